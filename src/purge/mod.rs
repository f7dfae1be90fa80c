//! `scour purge`: rewrite history so that no flagged blob is reachable, then prove it.
//!
//! This is destructive: commit ids change from the first commit that held a flagged blob
//! onwards, and (unless `--keep-objects`) the old objects are pruned. Rotate the credentials
//! first: a purge cannot make a leaked secret secret again. Before pruning, a bundle of the old
//! history is written to `.git/scour/` as the way back; delete it when you are sure.

pub mod compact;
mod crash;
pub mod journal;
mod lock;
pub mod pack;
pub mod rewrite;
pub mod verify;

use std::collections::{BTreeSet, HashSet};
use std::io::Write;
use std::path::{Path, PathBuf};

use gix::bstr::ByteSlice;
use gix::ObjectId;

use crate::detect::Detector;
use crate::history::{self, Examined};
use crate::scan::Warning;
use crate::source::git::{self, Index, Obj};
use journal::{Journal, RefEdit};
pub use rewrite::{Mode, PathGlobs};
use rewrite::{Rewriter, Target, Writer};

/// Why a purge stopped.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Reading the repository failed.
    #[error(transparent)]
    Git(#[from] git::Error),
    /// Running it now could lose work.
    #[error("refusing to rewrite history: {0} (commit or stash your work first, or pass --force)")]
    Unsafe(String),
    /// Flagged blobs are still in branch tips.
    #[error("refusing to rewrite history: flagged blobs are still at the tip of {0}; remove them in a new commit first, or pass --include-head to rewrite the tips too")]
    AtTip(String),
    /// The findings report could not be used.
    #[error("findings report '{path}': {message}")]
    Report { path: PathBuf, message: String },
    /// Writing objects, refs or files failed.
    #[error("rewrite failed: {0}")]
    Rewrite(String),
    /// A linked worktree has a rewritten commit checked out.
    #[error("refusing to rewrite history: the linked worktree {0} has checked out a commit the rewrite replaces, and scour does not move other worktrees' checkouts; remove it (`git worktree remove`) or check out an unaffected commit there first")]
    Worktree(String),
    /// A blob to remove is in a kept pack.
    #[error("refusing to rewrite history: {0}: a .keep file tells git never to prune that pack, so the blob would survive; delete the .keep file first, or pass --keep-objects")]
    Kept(String),
    /// A removed blob would stay reachable.
    #[error("refusing to rewrite history: {0}, which the selection does not cover: history would still hold them after the purge; widen --path (a `*` also matches `/`) or name the blobs with --blob")]
    Survives(String),
    /// Ctrl-C before any ref changed.
    #[error(
        "interrupted: no ref was changed, and the objects and bundle written so far were removed"
    )]
    Interrupted,
    /// Another purge holds the repository's lock.
    #[error("another scour purge (pid {0}) is running in this repository; wait for it to finish")]
    Busy(u32),
    /// Something flagged is still there after the purge.
    #[error("verification FAILED: {0}")]
    Verify(String),
}

/// What to remove and how.
#[derive(Debug, Default)]
pub struct Options {
    /// Drop the flagged blobs' entries, or redact the secrets inside them.
    pub mode: Option<Mode>,
    /// A `scour history --format json` report naming the flagged blobs.
    pub findings: Option<PathBuf>,
    /// Blob ids (`--blob`).
    pub blobs: Vec<String>,
    /// Path globs (`--path`).
    pub paths: Option<PathGlobs>,
    /// Drop blobs larger than this many bytes.
    pub bigger_than: Option<u64>,
    /// Print the plan and change nothing.
    pub dry_run: bool,
    /// Run even with a dirty tree or an operation in progress.
    pub force: bool,
    /// Rewrite branch tips that still hold flagged blobs.
    pub include_head: bool,
    /// Keep the old objects (and skip the backup bundle): the old state stays restorable.
    pub keep_objects: bool,
    /// Worker threads.
    pub threads: usize,
    /// Progress on stderr.
    pub progress: bool,
}

impl Options {
    /// Whether what to remove is named (a report, blobs, paths, a size) rather than left to
    /// the rules.
    fn explicit(&self) -> bool {
        self.findings.is_some()
            || !self.blobs.is_empty()
            || self.paths.is_some()
            || self.bigger_than.is_some()
    }
}

/// What a purge did (or, in a dry run, would do).
#[derive(Debug, Default)]
pub struct Report {
    /// Blobs removed or replaced.
    pub blobs: BTreeSet<String>,
    /// Paths where something was removed or redacted.
    pub paths: BTreeSet<String>,
    /// Commits rewritten.
    pub commits: u64,
    /// Annotated tags re-created.
    pub tags: u64,
    /// Commit and tag messages redacted.
    pub messages: u64,
    /// Refs changed: name, old, new.
    pub refs: Vec<(String, String, String)>,
    /// Where the maps and the ban list went.
    pub state_dir: Option<PathBuf>,
    /// The backup bundle, when one was written.
    pub backup: Option<PathBuf>,
    /// How the old objects were pruned.
    pub pruned: Option<String>,
    /// What the verification checked.
    pub verified: Option<String>,
    /// Nothing was flagged.
    pub nothing: bool,
}

/// Purges the repository at `path`.
pub fn purge(
    detector: &Detector,
    path: &Path,
    opts: &Options,
    warn: &(dyn Fn(Warning) + Sync),
) -> Result<Report, Error> {
    let repo = git::open(path)?;
    let _lock = match opts.dry_run {
        true => None,
        false => Some(lock::Lock::take(repo.common_dir(), warn)?),
    };
    crash::point("locked");
    if !opts.dry_run {
        resume(detector, path, &repo, opts, warn)?;
    }
    if !opts.force && !opts.dry_run {
        safety_checks(&repo)?;
    }
    drop(repo);
    let explicit = opts.explicit();
    let history_opts = history::Options {
        max_file_size: crate::source::DEFAULT_MAX_FILE_SIZE,
        threads: opts.threads,
        progress: opts.progress,
        no_ignore: true,
        // What to remove is named: the database only needs indexing, not scanning.
        index_only: explicit,
        keep_commits: true,
        ..history::Options::default()
    };
    let mut laps = crate::timing::Laps::start("purge");
    let examined = history::examine(detector, path, &history_opts, warn)?;
    laps.lap("scan");
    crash::point("scanned");
    let (blobs, mut secrets) = flagged(&examined, opts)?;
    let mode = opts.mode.unwrap_or(Mode::Drop);
    // The scan read every message already: only those it flagged need the rules again.
    let messages = (!explicit).then(|| {
        examined
            .outcome
            .findings
            .iter()
            .filter(|f| f.path.starts_with('('))
            .filter_map(|f| f.git.as_ref())
            .filter_map(|g| ObjectId::from_hex(g.blob.as_bytes()).ok())
            .collect()
    });
    let target = Target {
        mode,
        blobs,
        paths: opts.paths.clone(),
        bigger_than: opts.bigger_than,
        detector,
        messages,
    };
    let Examined {
        index,
        tips,
        repo,
        problems,
        ..
    } = examined;
    let order = topological(&index, &tips);

    // Tips first, computed without writing: a refusal must leave nothing behind.
    let mut probe = Rewriter::new(
        &index,
        &target,
        Writer::new(&repo, true).map_err(Error::Rewrite)?,
    );
    let mut at_tip = Vec::new();
    for tip in &tips {
        let is_branch = tip.name.starts_with("refs/heads/") || tip.name == "HEAD";
        let commit = index.get(&tip.target).map(|o| index.peel(o));
        let tree = commit.and_then(|c| index.commit(c)).map(|c| c.tree);
        if let (true, Some(tree)) = (is_branch, tree) {
            if probe.tree_changes(tree).map_err(Error::Rewrite)? {
                at_tip.push(tip.name.clone());
            }
        }
    }
    if !at_tip.is_empty() && !opts.include_head {
        let paths: BTreeSet<String> = probe
            .touched_paths()
            .iter()
            .map(|p| p.to_string())
            .collect();
        return Err(Error::AtTip(format!(
            "{} (paths: {})",
            at_tip.join(", "),
            paths.into_iter().collect::<Vec<_>>().join(", ")
        )));
    }
    drop(probe);
    laps.lap("tip check");

    let mut rewriter = Rewriter::new(
        &index,
        &target,
        Writer::new(&repo, opts.dry_run).map_err(Error::Rewrite)?,
    );
    let commits = rewriter.commits(&order).map_err(Error::Rewrite)?;
    let mut edits = Vec::new();
    for tip in &tips {
        let Some(o) = index.get(&tip.target) else {
            continue;
        };
        let new = if index.tag_target(o).is_some() {
            rewriter.tag(tip.target).map_err(Error::Rewrite)?
        } else if let Some(new) = rewriter.commits.get(&tip.target).copied() {
            Some(new)
        } else if tip.name.starts_with("refs/notes/") {
            rewriter.rekey_notes(o).map_err(Error::Rewrite)?
        } else {
            None
        };
        if let Some(new) = new {
            edits.push((tip.name.clone(), tip.target, new));
        }
    }
    // The new objects must be in place before any ref points at them; an empty pack vanishes.
    let new_pack = rewriter.finish().map_err(Error::Rewrite)?;
    crash::point("rewritten");
    // What the removed blobs held must not be found anywhere afterwards (the scan, when there
    // was one, already put every flagged secret in the list). Each is judged as the file it was
    // at the paths it left, as the verification judges what stays: `password: admin` in a
    // README is prose there, and no secret to hunt down in a values.yaml that keeps it.
    for (blob, paths) in rewriter.removed_at.iter().filter(|_| explicit) {
        let Ok(object) = repo.find_object(*blob) else {
            continue;
        };
        let matches = detector.scan_unplaced(&object.data).matches;
        let lines = crate::finding::LineIndex::new(&object.data);
        for path in paths {
            let place = path.to_str_lossy();
            let fs = path.to_path().ok();
            for i in verify::reported(detector, &matches, &lines, &place, fs) {
                secrets.insert(crate::finding::sha256_hex(matches[i].secret.as_bytes()));
            }
        }
    }
    laps.lap("rewrite");
    // Whatever would leave a removed blob behind is said now, before anything changes.
    if let Some(refusal) = refusal(&repo, &index, &rewriter, &tips, &edits, opts) {
        discard(new_pack.as_deref(), None);
        return Err(refusal);
    }
    laps.lap("survivors");
    let mut report = Report {
        commits,
        tags: rewriter.tags.len() as u64,
        messages: rewriter.redacted_messages,
        refs: edits
            .iter()
            .map(|(n, o, new)| (n.clone(), o.to_string(), new.to_string()))
            .collect(),
        ..Report::default()
    };
    report.blobs = rewriter
        .removed_blobs
        .iter()
        .map(|b| b.to_string())
        .collect();
    report.paths = rewriter
        .touched_paths()
        .iter()
        .map(|p| p.to_string())
        .collect();
    if commits == 0 && edits.is_empty() {
        report.nothing = true;
        return Ok(report);
    }
    if opts.dry_run {
        return Ok(report);
    }

    let state = repo.common_dir().join("scour");
    if !opts.keep_objects {
        report.backup = Some(backup(&repo, &state)?);
        crash::point("bundled");
        laps.lap("backup bundle");
    }
    if crate::interrupt::requested() {
        // The last point of return: nothing refers to what was written, so it goes.
        discard(new_pack.as_deref(), report.backup.as_deref());
        return Err(Error::Interrupted);
    }
    let mut commit_map: Vec<(ObjectId, ObjectId)> =
        rewriter.commits.iter().map(|(o, n)| (*o, *n)).collect();
    commit_map.sort();
    let journal = Journal {
        checkout: checkout_to_move(&repo, &edits, opts),
        refs: edits,
        commits: commit_map,
        removed: rewriter.removed_blobs.clone(),
        replaced: rewriter.replacements(),
        secrets,
        prune: !opts.keep_objects,
        pack: new_pack,
        bundle: report.backup.clone(),
    };
    journal
        .write(&state)
        .map_err(|e| Error::Rewrite(format!("{}: {e}", Journal::path(&state).display())))?;
    crash::point("journaled");
    update_refs(&repo, &journal.refs)?;
    crash::point("refs");
    laps.lap("refs");
    let finish = Finish {
        repo: &repo,
        path,
        state: &state,
        detector,
        threads: opts.threads,
        warn,
    };
    let (pruned, verified) = finish.run(&journal, &index, rewriter.written(), problems)?;
    laps.lap("prune and verify");
    report.state_dir = Some(state);
    report.pruned = pruned;
    report.verified = Some(verified);
    Ok(report)
}

/// The commit the checkout holds, when it is to follow the rewritten HEAD (a work tree, no
/// `--force`, and HEAD among the refs that change).
fn checkout_to_move(repo: &gix::Repository, edits: &[RefEdit], opts: &Options) -> Option<ObjectId> {
    if repo.workdir().is_none() || opts.force {
        return None;
    }
    edits
        .iter()
        .find(|(name, _, _)| name == "HEAD" || is_head_branch(repo, name))
        .map(|(_, old, _)| *old)
}

/// Finishes a purge whose journal is written and whose refs have moved: the maps, the
/// checkout, pruning and verification; then the journal goes.
struct Finish<'a> {
    repo: &'a gix::Repository,
    path: &'a Path,
    state: &'a Path,
    detector: &'a Detector,
    threads: usize,
    warn: &'a (dyn Fn(Warning) + Sync),
}

impl Finish<'_> {
    /// Runs the rest of `journal`'s purge; `index` holds every object the pruning must know
    /// of, but those in `written`. Returns how the old objects were pruned and what the
    /// verification checked.
    fn run(
        &self,
        journal: &Journal,
        index: &Index,
        written: &std::collections::HashMap<ObjectId, rewrite::Links>,
        problems: usize,
    ) -> Result<(Option<String>, String), Error> {
        write_state(self.state, journal)?;
        crash::point("state");
        if let Some(old) = journal.checkout {
            follow_head(self.repo, old)?;
            crash::point("checkout");
        }
        let check = verify::Check {
            detector: self.detector,
            removed: &journal.removed,
            secrets: &journal.secrets,
            index,
            replaced: &journal.replaced,
            state: self.state,
            threads: self.threads,
            warn: self.warn,
        };
        let outcome = if journal.prune {
            self.prune(&check, index, written, problems)
                .map(|(p, v)| (Some(p), v))
        } else {
            check.reachable(self.path).map(|v| (None, v))
        };
        // A failed verification is final (it changes nothing on a second try): the refs stay
        // new and the old objects stay, as with --keep-objects.
        if matches!(outcome, Ok(_) | Err(Error::Verify(_))) {
            crash::point("finished");
            Journal::remove(self.state).map_err(|e| {
                Error::Rewrite(format!("{}: {e}", Journal::path(self.state).display()))
            })?;
        }
        outcome
    }

    /// Prunes, with the new pack verified before the old objects go (a failure deletes
    /// nothing), or everything verified after a `git gc`.
    fn prune(
        &self,
        check: &verify::Check<'_>,
        index: &Index,
        written: &std::collections::HashMap<ObjectId, rewrite::Links>,
        problems: usize,
    ) -> Result<(String, String), Error> {
        let mut verified = None;
        let pruned = compact::prune(self.repo, index, written, problems, &mut |pack| {
            verified = Some(check.pack(self.repo, pack)?);
            Ok(())
        })?;
        let verified = match verified {
            Some(verified) => verified,
            // `git gc` did the pruning: check whatever it left.
            None => check.everything(self.path)?,
        };
        Ok((pruned.to_string(), verified))
    }
}

/// Finishes what a killed purge left in its journal, before anything else: refs it had not
/// moved yet are moved, then the maps, checkout, pruning and verification follow. A journal
/// whose refs all still hold their old values changed nothing: its pack and bundle go.
fn resume(
    detector: &Detector,
    path: &Path,
    repo: &gix::Repository,
    opts: &Options,
    warn: &(dyn Fn(Warning) + Sync),
) -> Result<(), Error> {
    let state = repo.common_dir().join("scour");
    let Some(journal) = Journal::read(&state).map_err(Error::Rewrite)? else {
        return Ok(());
    };
    let say = |message: String| {
        warn(Warning {
            place: "purge".into(),
            message,
        })
    };
    let Some(rest) = refs_to_move(repo, &journal, &state)? else {
        discard(journal.pack.as_deref(), journal.bundle.as_deref());
        Journal::remove(&state).map_err(|e| Error::Rewrite(e.to_string()))?;
        say(
            "an earlier purge was killed before it changed any ref; removed its pack and bundle"
                .into(),
        );
        return Ok(());
    };
    update_refs(repo, &rest)?;
    let history_opts = history::Options {
        max_file_size: crate::source::DEFAULT_MAX_FILE_SIZE,
        threads: opts.threads,
        index_only: true,
        no_ignore: true,
        ..history::Options::default()
    };
    // The database as it is now, new objects included: what the pruning must know of.
    let examined = history::examine(detector, path, &history_opts, warn)?;
    let finish = Finish {
        repo,
        path,
        state: &state,
        detector,
        threads: opts.threads,
        warn,
    };
    let (pruned, verified) = finish.run(
        &journal,
        &examined.index,
        &Default::default(),
        examined.problems,
    )?;
    say(format!(
        "finished the purge an earlier run left half done (its backup: {}); pruned: {}; verified: {verified}",
        journal
            .bundle
            .as_ref()
            .map_or("none, --keep-objects".into(), |b| b.display().to_string()),
        pruned.as_deref().unwrap_or("no, --keep-objects"),
    ));
    Ok(())
}

/// The ref edits of `journal` still to make; `None` when no ref has moved yet (the killed run
/// changed nothing). A ref at neither its old nor its new value cannot be finished.
fn refs_to_move(
    repo: &gix::Repository,
    journal: &Journal,
    state: &Path,
) -> Result<Option<Vec<RefEdit>>, Error> {
    let mut rest = Vec::new();
    for (name, old, new) in &journal.refs {
        match ref_value(repo, name) {
            Some(now) if now == *new => {}
            Some(now) if now == *old => rest.push((name.clone(), *old, *new)),
            _ => {
                return Err(Error::Rewrite(format!(
                    "an earlier purge was killed half-way and {name} has moved since, so it cannot be finished; point {name} back (its values are in {}), or delete that file to give up (the old objects then stay until `git gc --prune=now`)",
                    Journal::path(state).display()
                )))
            }
        }
    }
    Ok((rest.len() < journal.refs.len()).then_some(rest))
}

/// What ref `name` names now, if it exists.
fn ref_value(repo: &gix::Repository, name: &str) -> Option<ObjectId> {
    let reference = repo.try_find_reference(name).ok()??;
    reference.target().try_id().map(|id| id.to_owned())
}

/// Moves the checkout to the rewritten HEAD, unless some file holds work that is in neither
/// the commit it held (`old`) nor the new one: that would be lost.
fn follow_head(repo: &gix::Repository, old: ObjectId) -> Result<(), Error> {
    let from_new = [changed(repo, "HEAD", false)?, changed(repo, "HEAD", true)?];
    if from_new.iter().all(BTreeSet::is_empty) {
        // Already there (a finished purge's journal, finished again).
        return Ok(());
    }
    let old = old.to_string();
    for (cached, from_new) in [false, true].into_iter().zip(&from_new) {
        if let Some(path) = changed(repo, &old, cached)?.intersection(from_new).next() {
            return Err(Error::Rewrite(format!(
                "the checkout was not moved to the rewritten HEAD: {} has changes that are in neither the old nor the new commit; commit or stash them, then run the purge again to finish it",
                String::from_utf8_lossy(path)
            )));
        }
    }
    git_in(repo, &["reset", "--hard", "--quiet", "HEAD"])
}

/// The paths where the work tree (or with `cached`, the index) differs from `commit`.
fn changed(repo: &gix::Repository, commit: &str, cached: bool) -> Result<BTreeSet<Vec<u8>>, Error> {
    let mut args = vec!["diff", "--name-only", "-z", "--no-renames"];
    if cached {
        args.push("--cached");
    }
    args.extend([commit, "--"]);
    let dir = repo.workdir().unwrap_or_else(|| repo.git_dir());
    let out = git::run_git(dir, Some(repo.git_dir()), &args).map_err(Error::Rewrite)?;
    Ok(out
        .split(|&b| b == 0)
        .filter(|p| !p.is_empty())
        .map(<[u8]>::to_vec)
        .collect())
}

/// Removes the pack (and its index) and the bundle the purge wrote, when nothing refers to them
/// (a refusal, or Ctrl-C before the refs changed).
fn discard(pack: Option<&Path>, bundle: Option<&Path>) {
    let idx = pack.map(|p| p.with_extension("idx"));
    for file in [idx.as_deref(), pack, bundle].into_iter().flatten() {
        let _ = std::fs::remove_file(file);
    }
}

/// Why the planned rewrite would leave a removed blob behind, if it would: the same blob at a
/// path the selection misses (or, with `--force`, staged), a linked worktree on a rewritten
/// commit, or a kept pack holding it.
fn refusal(
    repo: &gix::Repository,
    index: &Index,
    rewriter: &Rewriter<'_, '_>,
    tips: &[git::Tip],
    edits: &[RefEdit],
    opts: &Options,
) -> Option<Error> {
    let planned: Vec<ObjectId> = tips
        .iter()
        .map(|t| {
            edits
                .iter()
                .find(|(name, _, _)| *name == t.name)
                .map_or(t.target, |(_, _, new)| *new)
        })
        .collect();
    let removed = &rewriter.removed_blobs;
    // Without --force the checkout follows the new HEAD, so the index as it is does not count.
    let left = compact::survivors(
        repo,
        index,
        rewriter.written(),
        removed,
        planned,
        opts.force,
    )
    .unwrap_or_default();
    if !left.is_empty() {
        return Some(Error::Survives(elsewhere(
            index,
            &left,
            &rewriter.touched_paths(),
        )));
    }
    let busy = worktrees_on(repo, tips, &rewriter.commits);
    if !busy.is_empty() {
        return Some(Error::Worktree(busy.join(", ")));
    }
    let kept = if opts.keep_objects {
        Vec::new()
    } else {
        in_kept_packs(repo, removed)
    };
    (!kept.is_empty()).then(|| Error::Kept(kept.join(", ")))
}

/// The linked worktrees whose checkout is a commit the rewrite replaces (their checkouts are
/// not moved, and would keep the old history alive), as `path (commit)`.
fn worktrees_on(
    repo: &gix::Repository,
    tips: &[git::Tip],
    rewritten: &std::collections::HashMap<ObjectId, ObjectId>,
) -> Vec<String> {
    let mut busy = Vec::new();
    let dir = repo.common_dir().join("worktrees");
    for entry in std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .filter_map(Result::ok)
    {
        let Ok(head) = std::fs::read_to_string(entry.path().join("HEAD")) else {
            continue;
        };
        let head = head.trim();
        let commit = match head.strip_prefix("ref: ") {
            Some(name) => tips.iter().find(|t| t.name == name).map(|t| t.target),
            None => ObjectId::from_hex(head.as_bytes()).ok(),
        };
        if let Some(commit) = commit.filter(|c| rewritten.contains_key(c)) {
            // `gitdir` names the worktree's `.git` file.
            let place = std::fs::read_to_string(entry.path().join("gitdir"))
                .ok()
                .and_then(|g| {
                    Path::new(g.trim())
                        .parent()
                        .map(|p| p.display().to_string())
                })
                .unwrap_or_else(|| entry.file_name().to_string_lossy().to_string());
            busy.push(format!("{place} ({commit})"));
        }
    }
    busy.sort();
    busy
}

/// `blob in pack` for each of `blobs` that a kept pack (one with a `.keep` file) holds: git
/// never prunes those.
fn in_kept_packs(repo: &gix::Repository, blobs: &HashSet<ObjectId>) -> Vec<String> {
    let dir = repo.common_dir().join("objects").join("pack");
    let mut found = Vec::new();
    for keep in std::fs::read_dir(&dir)
        .into_iter()
        .flatten()
        .filter_map(Result::ok)
    {
        let keep = keep.path();
        if keep.extension() != Some(std::ffi::OsStr::new("keep")) {
            continue;
        }
        let Ok(index) =
            gix::odb::pack::index::File::at(keep.with_extension("idx"), repo.object_hash())
        else {
            continue;
        };
        let name = keep.file_name().map(|n| n.to_string_lossy().to_string());
        for blob in blobs.iter().filter(|b| index.lookup(b.as_ref()).is_some()) {
            found.push(format!("{blob} in {}", name.clone().unwrap_or_default()));
        }
    }
    found.sort();
    found
}

/// The paths, other than `removed_at`, where history holds the blobs `left`, for a refusal.
fn elsewhere(
    index: &Index,
    left: &[ObjectId],
    removed_at: &HashSet<&gix::bstr::BString>,
) -> String {
    let targets: HashSet<Obj, std::hash::BuildHasherDefault<git::FxHasher>> =
        left.iter().filter_map(|id| index.get(id)).collect();
    let mut commits: Vec<Obj> = index.all_commits().collect();
    commits.sort_unstable();
    let mut paths: BTreeSet<String> = git::locate(index, &commits, None, &targets, None)
        .into_keys()
        .filter(|(_, path)| !removed_at.contains(&path))
        .map(|(_, path)| path.to_string())
        .collect();
    let ids: Vec<String> = left.iter().map(|id| id.to_string()).collect();
    let mut text = format!("{} removed blob(s) ({})", left.len(), ids.join(", "));
    if paths.len() > 10 {
        let more = paths.len() - 10;
        paths = paths.into_iter().take(10).collect();
        text.push_str(&format!(
            " also at {} and {more} more",
            paths.into_iter().collect::<Vec<_>>().join(", ")
        ));
    } else if !paths.is_empty() {
        text.push_str(&format!(
            " also at {}",
            paths.into_iter().collect::<Vec<_>>().join(", ")
        ));
    } else {
        text.push_str(" also staged in the index");
    }
    text
}

/// Refuses a dirty tree or an operation in progress.
fn safety_checks(repo: &gix::Repository) -> Result<(), Error> {
    let git_dir = repo.git_dir();
    for (marker, what) in [
        ("MERGE_HEAD", "a merge is in progress"),
        ("CHERRY_PICK_HEAD", "a cherry-pick is in progress"),
        ("REVERT_HEAD", "a revert is in progress"),
        ("rebase-merge", "a rebase is in progress"),
        ("rebase-apply", "a rebase or am is in progress"),
        ("BISECT_LOG", "a bisect is in progress"),
    ] {
        if git_dir.join(marker).exists() {
            return Err(Error::Unsafe(what.into()));
        }
    }
    // Pruning expires every reflog, and older stashes live only in the stash's reflog.
    let stashes = std::fs::read_to_string(repo.common_dir().join("logs/refs/stash"))
        .map_or(0, |log| {
            log.lines().filter(|l| !l.trim().is_empty()).count()
        });
    if stashes > 1 {
        let older = stashes - 1;
        return Err(Error::Unsafe(format!(
            "{older} older stash {} (stash@{{1}} and on) would be lost when the reflogs are expired; apply or drop {}",
            if older == 1 { "entry" } else { "entries" },
            if older == 1 { "it" } else { "them" },
        )));
    }
    if let Some(dir) = repo.workdir() {
        let status = git::run_git(
            dir,
            None,
            &["status", "--porcelain", "--untracked-files=no"],
        )
        .map_err(|e| Error::Unsafe(format!("cannot check the working tree: {e}")))?;
        if !status.is_empty() {
            return Err(Error::Unsafe(
                "the working tree has uncommitted changes".into(),
            ));
        }
    }
    Ok(())
}

/// The blobs to remove and the hashes of the secrets they hold (for the verification).
fn flagged(
    examined: &Examined,
    opts: &Options,
) -> Result<(HashSet<ObjectId>, HashSet<String>), Error> {
    let mut blobs = HashSet::new();
    let mut secrets = HashSet::new();
    let explicit = opts.explicit();
    if let Some(report) = &opts.findings {
        let items = crate::checklist::load_report(report).map_err(|message| Error::Report {
            path: report.clone(),
            message,
        })?;
        for item in items {
            if let Some(blob) = item.blob.as_deref().filter(|_| !item.path.starts_with('(')) {
                let id = ObjectId::from_hex(blob.as_bytes()).map_err(|_| Error::Report {
                    path: report.clone(),
                    message: format!("'{blob}' is not an object id"),
                })?;
                blobs.insert(id);
            }
            secrets.insert(item.secret_sha256);
        }
    }
    for spec in &opts.blobs {
        // A full id is taken as given, as a report's are: a blob that an earlier run removed
        // leaves nothing to do, so the same purge run twice is a no-op, not an error.
        let id = match ObjectId::from_hex(spec.as_bytes()) {
            Ok(id) => id,
            Err(_) => git::resolve(&examined.repo, spec)?,
        };
        blobs.insert(id);
    }
    for f in &examined.outcome.findings {
        let Some(g) = &f.git else { continue };
        let Ok(blob) = ObjectId::from_hex(g.blob.as_bytes()) else {
            continue;
        };
        if !explicit && !f.path.starts_with('(') {
            blobs.insert(blob);
        }
        let by_path = opts
            .paths
            .as_ref()
            .is_some_and(|g| g.is_match(Path::new(&f.path)));
        if blobs.contains(&blob) || by_path || !explicit || f.path.starts_with('(') {
            secrets.insert(f.secret_sha256.clone());
        }
    }
    Ok((blobs, secrets))
}

/// Commits reachable from the tips, parents before children.
fn topological(index: &Index, tips: &[git::Tip]) -> Vec<Obj> {
    let mut order = Vec::new();
    let mut state: std::collections::HashMap<Obj, bool> = std::collections::HashMap::new();
    let starts: Vec<Obj> = tips
        .iter()
        .filter_map(|t| index.get(&t.target))
        .map(|o| index.peel(o))
        .filter(|o| index.commit(*o).is_some())
        .collect();
    for start in starts {
        let mut stack = vec![(start, false)];
        while let Some((c, done)) = stack.pop() {
            if done {
                if state.insert(c, true) != Some(true) {
                    order.push(c);
                }
                continue;
            }
            if state.contains_key(&c) {
                continue;
            }
            state.insert(c, false);
            stack.push((c, true));
            if let Some(commit) = index.commit(c) {
                for &p in commit.parents.iter().rev() {
                    if !state.contains_key(&p) && index.commit(p).is_some() {
                        stack.push((p, false));
                    }
                }
            }
        }
    }
    order
}

fn is_head_branch(repo: &gix::Repository, name: &str) -> bool {
    repo.head_name()
        .ok()
        .flatten()
        .is_some_and(|head| head.as_bstr() == name)
}

/// All changed refs in one transaction, each expected at its old value.
fn update_refs(repo: &gix::Repository, edits: &[RefEdit]) -> Result<(), Error> {
    use gix::refs::transaction::{Change, LogChange, PreviousValue, RefEdit, RefLog};
    use gix::refs::Target as RefTarget;
    let edits: Vec<RefEdit> = edits
        .iter()
        .map(|(name, old, new)| {
            Ok(RefEdit {
                change: Change::Update {
                    log: LogChange {
                        mode: RefLog::AndReference,
                        force_create_reflog: false,
                        message: "scour purge".into(),
                    },
                    expected: PreviousValue::MustExistAndMatch(RefTarget::Object(*old)),
                    new: RefTarget::Object(*new),
                },
                name: name
                    .as_str()
                    .try_into()
                    .map_err(|e| Error::Rewrite(format!("ref {name}: {e}")))?,
                deref: false,
            })
        })
        .collect::<Result<_, Error>>()?;
    let failed = |e: &dyn std::fmt::Display| Error::Rewrite(format!("updating refs: {e}"));
    // All or nothing: loose refs are renamed into place one by one, and a kill between two
    // would leave some old and some new. With every ref packed first, the one rename of
    // `packed-refs` moves them all. (HEAD, when detached, cannot be packed.)
    let mut transaction = repo.refs.transaction();
    if edits.iter().all(|e| e.name.as_bstr().starts_with(b"refs/")) {
        git_in(repo, &["pack-refs", "--all"])?;
        crash::point("refs-packed");
        transaction = transaction.packed_refs(
            gix::refs::file::transaction::PackedRefs::DeletionsAndNonSymbolicUpdatesRemoveLooseSourceReference(
                Box::new(repo.objects.clone()),
            ),
        );
    }
    let committer = repo.committer().transpose().map_err(|e| failed(&e))?;
    let fail = gix::lock::acquire::Fail::Immediately;
    transaction
        .prepare(edits, fail, fail)
        .map_err(|e| failed(&e))?
        .commit(committer)
        .map_err(|e| failed(&e))?;
    Ok(())
}

/// Writes the commit map, the ref map and the ban list under `.git/scour/` (again, when a
/// purge is finished a second time: the ban list gains only lines it lacks).
fn write_state(state: &Path, journal: &Journal) -> Result<(), Error> {
    let io = |path: &Path, e: std::io::Error| Error::Rewrite(format!("{}: {e}", path.display()));
    let write = |name: &str, lines: Vec<String>, append: bool| -> Result<(), Error> {
        let path = state.join(name);
        let mut file = std::fs::OpenOptions::new()
            .create(true)
            .append(append)
            .write(true)
            .truncate(!append)
            .open(&path)
            .map_err(|e| io(&path, e))?;
        for line in lines {
            writeln!(file, "{line}").map_err(|e| io(&path, e))?;
        }
        Ok(())
    };
    let map = journal.commits.iter().map(|(o, n)| format!("{o} {n}"));
    write("commit-map", map.collect(), false)?;
    let refs = journal
        .refs
        .iter()
        .map(|(name, o, n)| format!("{name} {o} {n}"));
    write("ref-map", refs.collect(), false)?;
    let banned = std::fs::read_to_string(state.join("ban-list")).unwrap_or_default();
    let banned: HashSet<&str> = banned.lines().collect();
    let mut ban: Vec<String> = journal
        .removed
        .iter()
        .map(|b| format!("blob {b}"))
        .chain(journal.commits.iter().map(|(c, _)| format!("commit {c}")))
        .filter(|line| !banned.contains(line.as_str()))
        .collect();
    ban.sort();
    // The ban list grows across purges: a later push must not bring back an earlier one.
    write("ban-list", ban, true)
}

/// A bundle of every ref as it was: the way back, until the user deletes it.
fn backup(repo: &gix::Repository, state: &Path) -> Result<PathBuf, Error> {
    let stamp = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let state = std::fs::canonicalize(state).unwrap_or_else(|_| state.to_path_buf());
    let path = state.join(format!("before-purge-{stamp}.bundle"));
    git_in(
        repo,
        &[
            "bundle",
            "create",
            "--quiet",
            &path.to_string_lossy(),
            "--all",
        ],
    )?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let _ = std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600));
    }
    Ok(path)
}

fn git_in(repo: &gix::Repository, args: &[&str]) -> Result<(), Error> {
    let dir = repo.workdir().unwrap_or_else(|| repo.git_dir());
    git::run_git(dir, Some(repo.git_dir()), args)
        .map(|_| ())
        .map_err(Error::Rewrite)
}
