//! The journal of a purge in flight: `.git/scour/journal` (mode 0600), written and synced
//! before the first ref changes, removed once the old objects are pruned and the result
//! verified. A purge that finds one finishes it first: a run killed after the refs moved would
//! otherwise leave every old object, secrets included, where no later scan of reachable history
//! looks.
//!
//! The format is text, one fact a line: `ref NAME OLD NEW`, `commit OLD NEW`, `removed BLOB`,
//! `replaced NEW OLD`, `secret SHA256`, `checkout COMMIT` (the commit the checkout held, when
//! it follows HEAD), `prune`, `pack PATH`, `bundle PATH`, between a header and `end`.

use std::collections::{HashMap, HashSet};
use std::io::Write;
use std::path::{Path, PathBuf};

use gix::ObjectId;

/// A ref that changes: name, old value, new value.
pub type RefEdit = (String, ObjectId, ObjectId);

/// The journal's file name under `.git/scour/`.
const NAME: &str = "journal";
const HEADER: &str = "scour purge journal 1";

/// What a purge is about to do, and what finishing it takes.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Journal {
    /// Each ref that changes: name, old value, new value.
    pub refs: Vec<RefEdit>,
    /// Each rewritten commit: old id, new id.
    pub commits: Vec<(ObjectId, ObjectId)>,
    /// Blobs whose entries were removed or replaced.
    pub removed: HashSet<ObjectId>,
    /// Each redacted blob written, with the blob it replaces.
    pub replaced: HashMap<ObjectId, ObjectId>,
    /// SHA-256 (hex) of every flagged secret.
    pub secrets: HashSet<String>,
    /// The commit the checkout held, when it is to follow HEAD.
    pub checkout: Option<ObjectId>,
    /// The old objects are to be pruned (no `--keep-objects`).
    pub prune: bool,
    /// The pack of new objects.
    pub pack: Option<PathBuf>,
    /// The backup bundle.
    pub bundle: Option<PathBuf>,
}

impl Journal {
    /// Writes the journal into `state` durably: a temporary file, synced, renamed into place.
    pub fn write(&self, state: &Path) -> std::io::Result<()> {
        let tmp = state.join(format!("{NAME}.tmp"));
        let mut out = std::io::BufWriter::new(crate::report::create_private(&tmp)?);
        out.write_all(self.to_text().as_bytes())?;
        let file = out.into_inner().map_err(|e| e.into_error())?;
        file.sync_all()?;
        std::fs::rename(&tmp, state.join(NAME))?;
        sync_dir(state)
    }

    /// The journal in `state`, if there is one.
    pub fn read(state: &Path) -> Result<Option<Journal>, String> {
        let path = state.join(NAME);
        match std::fs::read_to_string(&path) {
            Ok(text) => Journal::parse(&text)
                .map(Some)
                .map_err(|e| format!("{}: {e}", path.display())),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(format!("{}: {e}", path.display())),
        }
    }

    /// Removes the journal in `state`: the purge is complete.
    pub fn remove(state: &Path) -> std::io::Result<()> {
        match std::fs::remove_file(state.join(NAME)) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(e),
            _ => sync_dir(state),
        }
    }

    /// Where the journal of the repository with `state` lives.
    pub fn path(state: &Path) -> PathBuf {
        state.join(NAME)
    }

    fn to_text(&self) -> String {
        let mut lines = vec![HEADER.to_string()];
        lines.extend(
            self.refs
                .iter()
                .map(|(name, old, new)| format!("ref {name} {old} {new}")),
        );
        lines.extend(self.commits.iter().map(|(o, n)| format!("commit {o} {n}")));
        lines.extend(self.removed.iter().map(|b| format!("removed {b}")));
        lines.extend(
            self.replaced
                .iter()
                .map(|(n, o)| format!("replaced {n} {o}")),
        );
        lines.extend(self.secrets.iter().map(|s| format!("secret {s}")));
        lines.extend(self.checkout.iter().map(|c| format!("checkout {c}")));
        if self.prune {
            lines.push("prune".into());
        }
        lines.extend(self.pack.iter().map(|p| format!("pack {}", p.display())));
        lines.extend(
            self.bundle
                .iter()
                .map(|p| format!("bundle {}", p.display())),
        );
        lines.push("end".into());
        lines.join("\n") + "\n"
    }

    fn parse(text: &str) -> Result<Journal, String> {
        let mut lines = text.lines();
        if lines.next() != Some(HEADER) {
            return Err("not a scour purge journal (or of another version)".into());
        }
        let mut journal = Journal::default();
        let mut ended = false;
        for (n, line) in lines.enumerate() {
            let bad = || format!("line {}: cannot read '{line}'", n + 2);
            let (key, rest) = line.split_once(' ').unwrap_or((line, ""));
            let id = |s: &str| ObjectId::from_hex(s.as_bytes()).map_err(|_| bad());
            let mut words = rest.split(' ');
            let mut next = || words.next().ok_or_else(bad);
            match key {
                "ref" => journal
                    .refs
                    .push((next()?.into(), id(next()?)?, id(next()?)?)),
                "commit" => journal.commits.push((id(next()?)?, id(next()?)?)),
                "removed" => drop(journal.removed.insert(id(rest)?)),
                "replaced" => drop(journal.replaced.insert(id(next()?)?, id(next()?)?)),
                "secret" => drop(journal.secrets.insert(rest.to_string())),
                "checkout" => journal.checkout = Some(id(rest)?),
                "prune" => journal.prune = true,
                "pack" => journal.pack = Some(PathBuf::from(rest)),
                "bundle" => journal.bundle = Some(PathBuf::from(rest)),
                "end" => ended = true,
                _ => return Err(bad()),
            }
        }
        if !ended {
            return Err("cut short (no `end` line)".into());
        }
        Ok(journal)
    }
}

/// Makes a rename or removal in `dir` durable.
fn sync_dir(dir: &Path) -> std::io::Result<()> {
    #[cfg(unix)]
    std::fs::File::open(dir)?.sync_all()?;
    #[cfg(not(unix))]
    let _ = dir;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_refuses_a_cut_short_journal() {
        let a = ObjectId::from_hex(b"1111111111111111111111111111111111111111").unwrap();
        let b = ObjectId::from_hex(b"2222222222222222222222222222222222222222").unwrap();
        let journal = Journal {
            refs: vec![("refs/heads/main".into(), a, b)],
            commits: vec![(a, b)],
            removed: [a].into_iter().collect(),
            replaced: [(b, a)].into_iter().collect(),
            secrets: ["ab".repeat(32)].into_iter().collect(),
            checkout: Some(a),
            prune: true,
            pack: Some("/r/.git/objects/pack/pack-1.pack".into()),
            bundle: Some("/r/.git/scour/before-purge-1.bundle".into()),
        };
        let text = journal.to_text();
        assert_eq!(Journal::parse(&text), Ok(journal));
        let cut = text.trim_end().trim_end_matches("end");
        assert!(Journal::parse(cut).is_err());
        assert!(Journal::parse("garbage\nend\n").is_err());
    }
}
