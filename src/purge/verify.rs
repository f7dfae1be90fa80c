//! The verification after a rewrite: no removed blob is left, the new pack reads back whole,
//! and no flagged secret stands anywhere, judged as the scan that selected it judged it.
//!
//! Objects are scanned in one pass without their paths, as the selecting scan did; a blob that
//! turns out to hold a flagged secret is then placed in history and judged at each of its paths
//! (a `password: password` in `NOTES.txt` is prose, and was rightly left alone, while the same
//! line in `values.yaml` was removed). A redacted blob is judged at the paths of the blob it
//! replaced. Files that rules recognise by name alone (`.pgpass`) are covered by blob ids.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::hash::BuildHasherDefault;
use std::path::{Path, PathBuf};

use gix::bstr::{BString, ByteSlice};
use gix::objs::Kind;
use gix::ObjectId;

use super::Error;
use crate::detect::{Detector, FileKind, Input, Match, Site};
use crate::finding::LineIndex;
use crate::history;
use crate::scan::Warning;
use crate::source::git::{self, FxHasher, Index, Obj};

/// How many failing objects the message names; the file lists them all.
const SHOWN: usize = 5;

/// What a verification holds the rewrite to.
pub struct Check<'a> {
    /// The rules the selection used.
    pub detector: &'a Detector,
    /// Blobs whose entries were removed or replaced.
    pub removed: &'a HashSet<ObjectId>,
    /// SHA-256 (hex) of every flagged secret.
    pub secrets: &'a HashSet<String>,
    /// Where each blob sits: the objects as the purge found them.
    pub index: &'a Index,
    /// Each blob the redaction wrote, with the blob it replaced.
    pub replaced: &'a HashMap<ObjectId, ObjectId>,
    /// Where the full list of a failure is written (`.git/scour/`).
    pub state: &'a Path,
    /// Worker threads.
    pub threads: usize,
    /// Where unreadable objects are reported.
    pub warn: &'a (dyn Fn(Warning) + Sync),
}

/// Which of `matches` scour reports at `path` (`place` names it; no path: judged as
/// configuration): the rules that apply there, at the chosen confidence. The selection kept
/// only such findings, so the verification and the secrets a removed blob held are judged so.
pub fn reported(
    detector: &Detector,
    matches: &[crate::detect::Match],
    lines: &LineIndex,
    place: &str,
    path: Option<&Path>,
) -> Vec<usize> {
    detector
        .select_for_path(matches, path)
        .into_iter()
        .filter(|&i| {
            let m = &matches[i];
            detector
                .finding(m, place, Site::File(path), lines.place(&m.span))
                .is_some()
        })
        .collect()
}

/// What the scan calls the message of a commit or tag of `kind`, as a finding's path.
pub fn message_place(kind: Kind) -> &'static str {
    match kind {
        Kind::Commit => "(commit message)",
        _ => "(tag message)",
    }
}

/// The matches in a commit or tag message (of `kind`) that the scan reports there: the
/// rules' raw matches in prose are mostly noise (`secret (#919)`), so a message is judged, and
/// redacted, only where a finding stands.
pub fn reported_in_message(detector: &Detector, message: &[u8], kind: Kind) -> Vec<Match> {
    let lines = LineIndex::new(message);
    detector
        .scan(Input {
            bytes: message,
            path: None,
            kind: FileKind::Config,
        })
        .matches
        .into_iter()
        .filter(|m| {
            detector
                .finding(m, message_place(kind), Site::Message, lines.place(&m.span))
                .is_some()
        })
        .collect()
}

/// One flagged secret that still stands: the object, where, and the rule that found it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Held {
    id: ObjectId,
    place: String,
    rule: String,
}

impl Check<'_> {
    fn summary(&self, blobs: u64, what: &str) -> String {
        format!(
            "scanned {blobs} {what}: no flagged blob and none of the {} flagged secrets remain",
            self.secrets.len()
        )
    }

    /// The pack a compaction wrote, before the old objects go: it must decode whole, hold
    /// none of the removed blobs and none of the flagged secrets.
    pub fn pack(&self, repo: &gix::Repository, idx: &Path) -> Result<String, Error> {
        let index = gix::odb::pack::index::File::at(idx, repo.object_hash())
            .map_err(|e| Error::Verify(format!("{}: {e}", idx.display())))?;
        let left = self.left_behind(|b| index.lookup(b.as_ref()).is_some());
        if !left.is_empty() {
            return Err(Error::Verify(format!(
                "{left} would remain: history still holds them at paths the selection does not cover (`git log --all --name-status --find-object=ID` shows where); nothing was deleted"
            )));
        }
        let sweep = history::sweep(
            self.detector,
            repo,
            git::Scope::Pack(idx),
            self.threads,
            self.warn,
        );
        if sweep.problems > 0 || sweep.objects != u64::from(index.num_objects()) {
            return Err(Error::Verify(format!(
                "the new pack {} does not read back whole ({} of {} objects); nothing was deleted",
                idx.display(),
                sweep.objects,
                index.num_objects()
            )));
        }
        let held = self.held(repo, &sweep);
        if !held.is_empty() {
            return Err(self.failed(held, "would remain", "nothing was deleted"));
        }
        Ok(self.summary(
            sweep.blobs,
            "blobs in the new pack before deleting the old ones",
        ))
    }

    /// Every object left after `git gc`.
    pub fn everything(&self, path: &Path) -> Result<String, Error> {
        // A fresh handle: the packs changed under the one the purge used.
        let repo = git::open(path)?;
        let left = self.left_behind(|b| repo.has_object(b));
        if !left.is_empty() {
            return Err(Error::Verify(format!(
                "{left} still in the object database"
            )));
        }
        let dirs = git::object_dirs(&repo);
        let sweep = history::sweep(
            self.detector,
            &repo,
            git::Scope::Dirs(&dirs),
            self.threads,
            self.warn,
        );
        if sweep.problems > 0 {
            return Err(Error::Verify(
                "some objects could not be read, so they could not be checked".into(),
            ));
        }
        let held = self.held(&repo, &sweep);
        if !held.is_empty() {
            return Err(self.failed(held, "are still present", "run the purge again"));
        }
        Ok(self.summary(sweep.blobs, "remaining blobs"))
    }

    /// What the refs reach, when the old objects are kept: a scan with paths, as the selection.
    pub fn reachable(&self, path: &Path) -> Result<String, Error> {
        let history_opts = history::Options {
            max_file_size: crate::source::DEFAULT_MAX_FILE_SIZE,
            threads: self.threads,
            no_ignore: true,
            ..history::Options::default()
        };
        let outcome = history::examine(self.detector, path, &history_opts, self.warn)?.outcome;
        let held: Vec<Held> = outcome
            .findings
            .iter()
            .filter(|f| self.secrets.contains(&f.secret_sha256))
            .map(|f| Held {
                id: f
                    .git
                    .as_ref()
                    .and_then(|g| ObjectId::from_hex(g.blob.as_bytes()).ok())
                    .unwrap_or_else(|| ObjectId::null(gix::hash::Kind::Sha1)),
                place: format!("{}:{}", f.path, f.line),
                rule: f.rule.to_string(),
            })
            .collect();
        if !held.is_empty() {
            return Err(self.failed(held, "are still reachable", "the old objects are kept"));
        }
        Ok(self.summary(
            outcome.summary.files,
            "remaining blobs (reachable ones; old objects kept)",
        ))
    }

    /// `N flagged blob(s): ids` for the removed blobs that `present` says are still there;
    /// empty when none is.
    fn left_behind(&self, present: impl Fn(&ObjectId) -> bool) -> String {
        let left: BTreeSet<String> = self
            .removed
            .iter()
            .filter(|b| present(b))
            .map(|b| b.to_string())
            .collect();
        if left.is_empty() {
            return String::new();
        }
        let shown: Vec<&str> = left.iter().take(SHOWN).map(String::as_str).collect();
        let more = left.len().saturating_sub(SHOWN);
        let more = if more > 0 {
            format!(" and {more} more")
        } else {
            String::new()
        };
        format!(
            "{} flagged blob(s) ({}{more})",
            left.len(),
            shown.join(", ")
        )
    }

    /// Where a flagged secret of a sweep still stands: every message holding one, and every
    /// blob holding one that the rules keep at one of its paths.
    fn held(&self, repo: &gix::Repository, sweep: &history::Sweep) -> Vec<Held> {
        let suspects: Vec<ObjectId> = sweep
            .holders
            .iter()
            .filter(|(_, found)| found.iter().any(|s| self.secrets.contains(s)))
            .map(|(id, _)| *id)
            .collect();
        if suspects.is_empty() {
            return Vec::new();
        }
        let places = self.places(&suspects);
        let mut held = Vec::new();
        for id in suspects {
            let Ok(object) = repo.find_object(id) else {
                // Read a moment ago: a vanished object cannot be judged, so it counts.
                held.push(Held {
                    id,
                    place: "(unreadable)".into(),
                    rule: "-".into(),
                });
                continue;
            };
            match object.kind {
                Kind::Blob => held.extend(self.judge_blob(id, &object.data, &places)),
                kind => held.extend(self.judge_message(id, kind, &object.data, repo)),
            }
        }
        held
    }

    /// Each path (spelled out) of the `blobs`, or of the blob each replaced, in any commit the
    /// index knows.
    fn places(&self, blobs: &[ObjectId]) -> HashMap<ObjectId, Vec<BString>> {
        let origins = |id: &ObjectId| -> Vec<Obj> {
            [Some(*id), self.replaced.get(id).copied()]
                .into_iter()
                .flatten()
                .filter_map(|b| self.index.get(&b))
                .collect()
        };
        let targets: HashSet<Obj, BuildHasherDefault<FxHasher>> =
            blobs.iter().flat_map(origins).collect();
        let commits: Vec<Obj> = self.index.all_commits().collect();
        let mut by_blob: HashMap<Obj, Vec<BString>> = HashMap::new();
        for (blob, path) in git::locate(self.index, &commits, None, &targets, None).into_keys() {
            by_blob.entry(blob).or_default().push(path);
        }
        blobs
            .iter()
            .map(|id| {
                let mut paths: Vec<BString> = origins(id)
                    .iter()
                    .flat_map(|o| by_blob.get(o).cloned().unwrap_or_default())
                    .collect();
                paths.sort();
                paths.dedup();
                (*id, paths)
            })
            .collect()
    }

    /// The flagged secrets of blob `id` that stand at one of its paths (with no path, all).
    fn judge_blob(
        &self,
        id: ObjectId,
        data: &[u8],
        places: &HashMap<ObjectId, Vec<BString>>,
    ) -> Vec<Held> {
        let matches = self.detector.scan_unplaced(data).matches;
        let flagged = |i: &usize| {
            self.secrets
                .contains(&crate::finding::sha256_hex(matches[*i].secret.as_bytes()))
        };
        let paths = places.get(&id).map(Vec::as_slice).unwrap_or(&[]);
        let at: Vec<(String, Option<&Path>)> = if paths.is_empty() {
            vec![("(no path in history)".into(), None)]
        } else {
            paths
                .iter()
                .filter_map(|p| {
                    p.to_path()
                        .ok()
                        .map(|fs| (p.to_str_lossy().into(), Some(fs)))
                })
                .collect()
        };
        let lines = LineIndex::new(data);
        let mut held = Vec::new();
        for (place, path) in at {
            for i in reported(self.detector, &matches, &lines, &place, path)
                .into_iter()
                .filter(flagged)
            {
                held.push(Held {
                    id,
                    place: place.clone(),
                    rule: self.detector.rule(&matches[i]).id.to_string(),
                });
            }
        }
        held
    }

    /// The flagged secrets in the message of commit or tag `id`, judged as the scan judged it.
    fn judge_message(
        &self,
        id: ObjectId,
        kind: Kind,
        data: &[u8],
        repo: &gix::Repository,
    ) -> Vec<Held> {
        let hash = repo.object_hash();
        let message = match kind {
            Kind::Commit => git::commit_message(data),
            _ => git::decode_tag(data, hash).map(|t| t.message),
        };
        let Some(message) = message else {
            return Vec::new();
        };
        reported_in_message(self.detector, message.as_bytes(), kind)
            .into_iter()
            .filter(|m| {
                self.secrets
                    .contains(&crate::finding::sha256_hex(m.secret.as_bytes()))
            })
            .map(|m| Held {
                id,
                place: message_place(kind).into(),
                rule: self.detector.rule(&m).id.to_string(),
            })
            .collect()
    }

    /// The error for secrets that `what` (e.g. "would remain"): a count, the first few with
    /// path and rule, and the file under `.git/scour/` that lists them all; `after` says what
    /// became of the old objects.
    fn failed(&self, mut held: Vec<Held>, what: &str, after: &str) -> Error {
        held.sort();
        held.dedup();
        let objects = held.iter().map(|h| h.id).collect::<BTreeSet<_>>().len();
        let shown: Vec<String> = held
            .iter()
            .take(SHOWN)
            .map(|h| format!("{} at {} ({})", h.id, h.place, h.rule))
            .collect();
        let more = held.len().saturating_sub(SHOWN);
        let more = if more > 0 {
            format!(" and {more} more")
        } else {
            String::new()
        };
        let list = match write_list(self.state, &held) {
            Ok(file) => format!("the full list is in {}", file.display()),
            Err(e) => format!("the full list could not be written: {e}"),
        };
        Error::Verify(format!(
            "flagged secrets {what} in {objects} object(s): {}{more}; {list}; {after}",
            shown.join(", ")
        ))
    }
}

/// Writes `held` as `id<TAB>place<TAB>rule` lines to a new file under `state` (mode 0600: the
/// places say where secrets are).
fn write_list(state: &Path, held: &[Held]) -> std::io::Result<PathBuf> {
    use std::io::Write;
    std::fs::create_dir_all(state)?;
    let stamp = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let path = state.join(format!("verify-failed-{stamp}.txt"));
    let mut file = std::io::BufWriter::new(crate::report::create_private(&path)?);
    for h in held {
        writeln!(file, "{}\t{}\t{}", h.id, h.place, h.rule)?;
    }
    file.flush()?;
    Ok(std::fs::canonicalize(&path).unwrap_or(path))
}
