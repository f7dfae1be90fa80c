//! The checklist as Markdown (a GitHub task list, one `- [ ]` per credential) or JSON.

use std::io::{self, Write};

use crate::checklist::{Checklist, Entry};

/// Writes the checklist as Markdown, ready to paste into a tracking issue.
pub fn markdown(out: &mut dyn Write, checklist: &Checklist) -> io::Result<()> {
    let n = checklist.entries.len();
    writeln!(out, "# Rotation checklist\n")?;
    writeln!(
        out,
        "scour found {n} credential{} in {} finding{}. Work through them in order: **rotate each \
         credential first** (removing it from history does not make it secret again), then run \
         its purge command, push the rewrite with `git push --force --mirror`, ask the host to \
         drop cached and pull-request refs, and have every collaborator re-clone.\n",
        if n == 1 { "" } else { "s" },
        checklist.findings,
        if checklist.findings == 1 { "" } else { "s" },
    )?;
    for (i, entry) in checklist.entries.iter().enumerate() {
        write_entry(out, i + 1, entry)?;
    }
    Ok(())
}

fn short(id: &str) -> &str {
    &id[..id.len().min(10)]
}

fn day(date: &str) -> &str {
    date.split('T').next().unwrap_or(date)
}

fn write_entry(out: &mut dyn Write, number: usize, e: &Entry) -> io::Result<()> {
    let state = if e.at_head {
        "still at HEAD"
    } else if e.in_worktree {
        "in the working tree"
    } else if e.unreachable_only {
        "only in unreachable objects"
    } else {
        "removed from HEAD, still in history"
    };
    writeln!(
        out,
        "- [ ] **{number}. {}** `{}` ({}, {state})",
        e.kind,
        e.secret,
        e.severity.as_str()
    )?;
    if let Some(warning) = &e.warning {
        writeln!(out, "  - **Warning:** {warning}.")?;
    }
    writeln!(
        out,
        "  - Value: `{}` (sha256 `{}`)",
        e.secret,
        &e.secret_sha256[..12]
    )?;
    let mut exposure = Vec::new();
    if let Some(first) = &e.first_seen {
        let by = match (&e.first_commit, &e.first_author) {
            (Some(c), Some(a)) => format!(" (commit `{}` by {a})", short(c)),
            (Some(c), None) => format!(" (commit `{}`)", short(c)),
            _ => String::new(),
        };
        exposure.push(format!("first committed {}{by}", day(first)));
    }
    if e.at_head {
        exposure.push("still at HEAD".into());
    } else if let Some(last) = &e.last_seen {
        exposure.push(format!("last in a commit of {}", day(last)));
    }
    if e.in_worktree {
        exposure.push("present in the working tree".into());
    }
    if let Some(days) = e.exposure_days {
        exposure.push(format!(
            "exposed for {days} day{}",
            if days == 1 { "" } else { "s" }
        ));
    }
    if !exposure.is_empty() {
        writeln!(out, "  - Exposure: {}.", exposure.join("; "))?;
    }
    if e.unreachable_only {
        writeln!(out, "  - Reached by: no ref (only unreachable objects hold it; `git gc` alone would not remove it from clones already made).")?;
    } else if !e.refs.is_empty() {
        let names: Vec<String> = e.refs.iter().map(|r| format!("`{r}`")).collect();
        let more = e.refs_total.saturating_sub(e.refs.len());
        let more = if more > 0 {
            format!(" and {more} more")
        } else {
            String::new()
        };
        writeln!(out, "  - Reached by: {}{more}.", names.join(", "))?;
    }
    writeln!(out, "  - Found at:")?;
    for l in &e.locations {
        let mut notes = Vec::new();
        if let (Some(c), Some(d)) = (&l.commit, &l.date) {
            notes.push(format!("since `{}` {}", short(c), day(d)));
        }
        if let Some(a) = &l.author {
            notes.push(a.clone());
        }
        if !l.decoded.is_empty() {
            notes.push(format!("decoded from {}", l.decoded.join(" > ")));
        }
        if l.in_head {
            notes.push("at HEAD".into());
        }
        if l.unreachable {
            notes.push("unreachable".into());
        }
        if l.worktree {
            notes.push("working tree".into());
        }
        let notes = if notes.is_empty() {
            String::new()
        } else {
            format!(" ({})", notes.join(", "))
        };
        writeln!(out, "    - `{}:{}`{notes}", l.path, l.line)?;
    }
    writeln!(out, "  - Rotate:")?;
    for step in &e.rotation {
        writeln!(out, "    - {step}")?;
    }
    match &e.purge {
        Some(command) => writeln!(out, "  - Then remove it from history: `{command}`")?,
        None => writeln!(
            out,
            "  - Then remove it from the files on disk; it is not in history."
        )?,
    }
    writeln!(out)
}

/// Writes the checklist as JSON.
pub fn json(out: &mut dyn Write, checklist: &Checklist) -> io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, checklist)?;
    writeln!(out)
}
