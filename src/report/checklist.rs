//! The checklist as Markdown (an overview table, then a GitHub task list, one `- [ ]` per
//! credential) or JSON.

use std::io::{self, Write};

use crate::checklist::{Checklist, Entry, Location, State};

/// Locations an entry lists in Markdown before "and N more" (the JSON has them all).
const MAX_LOCATIONS: usize = 5;
/// Blobs an entry's purge command may name in Markdown (the JSON has every command whole).
const MAX_PURGE_BLOBS: usize = 8;
/// Systems the overview names before "and N more".
const MAX_SYSTEMS: usize = 8;

/// Writes the checklist as Markdown, ready to paste into a tracking issue: the overview, then
/// one task per credential.
pub fn markdown(out: &mut dyn Write, checklist: &Checklist) -> io::Result<()> {
    let n = checklist.entries.len();
    writeln!(out, "# Rotation checklist\n")?;
    writeln!(
        out,
        "scour found {n} credential{} in {} finding{}. Work through them in order: **rotate each \
         credential first** (removing it from history does not make it secret again), then run \
         its purge command, push the rewrite with `git push --force --mirror`, ask the host to \
         drop cached and pull-request refs, and have every collaborator re-clone.\n",
        plural(n),
        checklist.findings,
        plural(checklist.findings),
    )?;
    write_overview(out, checklist)?;
    for (i, entry) in checklist.entries.iter().enumerate() {
        write_entry(out, i + 1, entry)?;
    }
    Ok(())
}

fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

/// `(count, label)` pairs as "3 critical, 2 high", leaving out the zeros.
fn counts(pairs: &[(usize, &str)]) -> String {
    let parts: Vec<String> = pairs
        .iter()
        .filter(|(n, _)| *n > 0)
        .map(|(n, label)| format!("{n} {label}"))
        .collect();
    if parts.is_empty() {
        "none".to_string()
    } else {
        parts.join(", ")
    }
}

fn write_overview(out: &mut dyn Write, checklist: &Checklist) -> io::Result<()> {
    let o = &checklist.overview;
    writeln!(out, "| credentials | |\n|---|---|")?;
    let severity = counts(&[
        (o.severity.critical, "critical"),
        (o.severity.high, "high"),
        (o.severity.medium, "medium"),
        (o.severity.low, "low"),
    ]);
    writeln!(out, "| by severity | {severity} |")?;
    let confidence = counts(&[
        (o.confidence.high, "high"),
        (o.confidence.medium, "medium"),
        (o.confidence.low, "low"),
        (o.confidence.unrated, "unrated"),
    ]);
    writeln!(out, "| by confidence | {confidence} |")?;
    let state = counts(&[
        (o.state.at_head, "at HEAD"),
        (o.state.history_only, "in history only"),
        (o.state.unreachable_only, "in unreachable objects only"),
        (o.state.worktree_only, "in the working tree only"),
    ]);
    writeln!(out, "| by state | {state} |")?;
    let mut systems: Vec<String> = o
        .systems
        .iter()
        .take(MAX_SYSTEMS)
        .map(|s| format!("`{}` {}", s.system, s.credentials))
        .collect();
    if o.systems.len() > MAX_SYSTEMS {
        systems.push(format!("and {} more", o.systems.len() - MAX_SYSTEMS));
    }
    writeln!(out, "| by system | {} |\n", systems.join(", "))?;
    if let Some(command) = &checklist.purge {
        writeln!(
            out,
            "Once every credential is rotated, one command removes everything listed from \
             history, given this checklist saved as JSON (`--format json -o checklist.json`, \
             with the same options): `{command}`\n"
        )?;
    }
    Ok(())
}

fn short(id: &str) -> &str {
    id.get(..10).unwrap_or(id)
}

fn day(date: &str) -> &str {
    date.split('T').next().unwrap_or(date)
}

fn write_entry(out: &mut dyn Write, number: usize, e: &Entry) -> io::Result<()> {
    let state = match e.state() {
        State::AtHead => "still at HEAD",
        State::WorktreeOnly => "in the working tree",
        State::UnreachableOnly => "only in unreachable objects",
        State::HistoryOnly => "removed from HEAD, still in history",
    };
    writeln!(
        out,
        "- [ ] **{number}. {}** in `{}`: `{}` ({}, {state})",
        e.kind,
        e.system,
        e.secret,
        e.severity.as_str()
    )?;
    if let Some(warning) = &e.warning {
        writeln!(out, "  - **Warning:** {warning}.")?;
    }
    let confidence = e
        .confidence
        .map(|c| format!(", {} confidence", c.as_str()))
        .unwrap_or_default();
    writeln!(
        out,
        "  - Value: `{}` (sha256 `{}`{confidence})",
        e.secret,
        e.secret_sha256.get(..12).unwrap_or(&e.secret_sha256)
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
        exposure.push(format!("exposed for {days} day{}", plural(days as usize)));
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
    for l in e.locations.iter().take(MAX_LOCATIONS) {
        writeln!(out, "    - `{}:{}`{}", l.path, l.line, location_notes(l))?;
    }
    if e.locations.len() > MAX_LOCATIONS {
        writeln!(
            out,
            "    - and {} more (the JSON checklist lists them all)",
            e.locations.len() - MAX_LOCATIONS
        )?;
    }
    writeln!(out, "  - Rotate:")?;
    for step in &e.rotation {
        writeln!(out, "    - {step}")?;
    }
    match &e.purge {
        Some(command) => {
            let with = if e.purge_with.is_empty() {
                String::new()
            } else {
                let others: Vec<String> = e.purge_with.iter().map(|n| n.to_string()).collect();
                format!(
                    ", with entr{} {} (they share its value or files, and a purge leaves no \
                     copy of a value it removes)",
                    if others.len() == 1 { "y" } else { "ies" },
                    others.join(", ")
                )
            };
            let blobs = command.matches(" --blob ").count();
            if blobs <= MAX_PURGE_BLOBS {
                writeln!(out, "  - Then remove it from history{with}: `{command}`")?;
            } else {
                writeln!(
                    out,
                    "  - Then remove it from history{with}: {blobs} blobs, too many to print here; \
                     run this entry's `purge` command from the JSON checklist, or the command \
                     for everything above."
                )?;
            }
        }
        None => writeln!(
            out,
            "  - Then remove it from the files on disk; it is not in history."
        )?,
    }
    writeln!(out)
}

/// What a location's line adds in parentheses: versions, first and last commit, state.
fn location_notes(l: &Location) -> String {
    let mut notes = Vec::new();
    if l.versions > 0 {
        notes.push(format!(
            "{} version{} in {} commit{}",
            l.versions,
            plural(l.versions),
            l.commits,
            plural(l.commits)
        ));
    }
    if let (Some(c), Some(d)) = (&l.first_commit, &l.first_date) {
        notes.push(format!("first `{}` {}", short(c), day(d)));
    }
    if let Some(a) = &l.author {
        notes.push(a.clone());
    }
    if let (Some(c), Some(d)) = (&l.last_commit, &l.last_date) {
        if Some(c) != l.first_commit.as_ref() {
            notes.push(format!("last `{}` {}", short(c), day(d)));
        }
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
    if notes.is_empty() {
        String::new()
    } else {
        format!(" ({})", notes.join(", "))
    }
}

/// Writes the checklist as JSON.
pub fn json(out: &mut dyn Write, checklist: &Checklist) -> io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, checklist)?;
    writeln!(out)
}
