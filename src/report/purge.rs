//! What `scour purge` did, or would do, for a person to read.

use std::io::{self, Write};

use crate::purge::Report;

/// Writes the plan (dry run) or the result, then what to do next.
pub fn write(out: &mut dyn Write, report: &Report, dry_run: bool) -> io::Result<()> {
    if report.nothing {
        return writeln!(
            out,
            "scour: nothing to purge: no flagged blob or message is reachable."
        );
    }
    let heading = if dry_run {
        "Plan (dry run: nothing was changed)"
    } else {
        "Purged"
    };
    writeln!(out, "{heading}:")?;
    writeln!(out, "  blobs removed or redacted: {}", report.blobs.len())?;
    for blob in &report.blobs {
        writeln!(out, "    {blob}")?;
    }
    if !report.paths.is_empty() {
        let paths: Vec<&str> = report.paths.iter().map(String::as_str).collect();
        writeln!(out, "  at paths: {}", paths.join(", "))?;
    }
    writeln!(out, "  commits rewritten: {}", report.commits)?;
    writeln!(
        out,
        "  annotated tags re-created (signatures dropped): {}",
        report.tags
    )?;
    writeln!(out, "  messages redacted: {}", report.messages)?;
    writeln!(out, "  refs changed: {}", report.refs.len())?;
    for (name, old, new) in &report.refs {
        writeln!(out, "    {name} {} -> {}", short(old), short(new))?;
    }
    if dry_run {
        return Ok(());
    }
    if let Some(dir) = &report.state_dir {
        writeln!(
            out,
            "  maps: {0}/commit-map, {0}/ref-map, ban list: {0}/ban-list",
            dir.display()
        )?;
    }
    match &report.backup {
        Some(bundle) => writeln!(
            out,
            "  the old history is in {} (mode 0600, it holds the secrets): delete it once the rewrite is pushed and checked",
            bundle.display()
        )?,
        None => writeln!(out, "  old objects kept (--keep-objects): restore with the ref-map and `git update-ref`")?,
    }
    if let Some(pruned) = &report.pruned {
        writeln!(out, "  old objects pruned: {pruned}")?;
    }
    if let Some(verified) = &report.verified {
        writeln!(out, "  verified: {verified}")?;
    }
    writeln!(
        out,
        "\nNext:\n  1. Rotate every purged credential if you have not: it was public while it was pushed.\n  \
         2. Push the rewrite: git push --force --mirror (or git push --force --all && git push --force --tags).\n  \
         3. Ask the host to drop cached views and pull-request refs (hidden refs keep old commits alive).\n  \
         4. Forks and clones keep the old history: every collaborator must re-clone, not pull."
    )
}

fn short(id: &str) -> &str {
    &id[..id.len().min(10)]
}
