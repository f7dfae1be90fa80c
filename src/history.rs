//! `scour history`: every blob git holds, scanned once, then placed in history.
//!
//! One pass decodes every object of the database (packs by delta-tree traversal, on all cores):
//! blobs are scanned as they stream by, before anyone knows their paths; commits, tags and
//! trees go into an in-memory [`Index`]. From the index, the refs' history is walked, and only
//! the blobs that matched are placed: every path and commit that holds them, judged per path
//! (the path decides which rules apply), with the refs that reach them.

use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use gix::bstr::{BString, ByteSlice};
use gix::objs::Kind;
use gix::ObjectId;
use globset::GlobSet;
use serde::Serialize;

use crate::detect::{Detector, FileKind, Input, Match, Scanned, Site};
use crate::finding::{Finding, LineIndex, Placement, Provenance};
use crate::incremental::{self, Text};
use crate::report::human::plural;
use crate::scan::{Outcome, Summary, Warning};
use crate::source::delta_tree;
use crate::source::git::{self, Graph, Index, Obj, Occurrence, RefReach, Selection};
use crate::source::is_binary;

pub use git::Error;

/// What to scan and how.
#[derive(Debug, Default)]
pub struct Options {
    /// Report what only unreachable objects hold, too.
    pub all_objects: bool,
    /// Only refs whose full name matches.
    pub refs: Option<GlobSet>,
    /// Only blobs introduced by commits not reachable from this revision.
    pub since: Option<String>,
    /// Only blobs introduced by the commits of `A..B`.
    pub range: Option<String>,
    /// Worker threads; 0 picks one per core.
    pub threads: usize,
    /// Blobs larger than this many bytes are skipped.
    pub max_file_size: u64,
    /// Show a progress bar on stderr.
    pub progress: bool,
    /// Report paths that `.scourignore` (as committed at HEAD) excludes, too.
    pub no_ignore: bool,
    /// Only index the database, scan nothing (for `scour purge` with an explicit selection).
    pub index_only: bool,
    /// Keep every commit's raw bytes in the index (for `scour purge`, which rewrites them).
    pub keep_commits: bool,
}

/// What a history scan covered, beside the common counts.
#[derive(Debug, Default, Clone, Serialize)]
pub struct GitSummary {
    /// Commits walked from the refs.
    pub commits: u64,
    /// Refs followed.
    pub refs: u64,
    /// Commit and tag messages scanned.
    pub messages: u64,
    /// Objects decoded from the database.
    pub objects: u64,
    /// Blobs history names that are not in the database (partial clone, corruption).
    pub missing_blobs: u64,
    /// Submodule entries skipped.
    pub submodules: u64,
    /// The repository is a shallow clone: history stops at its boundary.
    pub shallow: bool,
}

/// A blob or message that matched, before it is placed in history.
struct Hit {
    /// Blob id, or commit/tag id for a message.
    id: ObjectId,
    holder: Holder,
    /// What matched.
    matches: Vec<Match>,
    /// Each match's 1-based line and column.
    positions: Vec<Placement>,
}

#[derive(Clone)]
enum Holder {
    /// A blob scanned before its paths were known.
    Blob,
    /// A blob scanned again at a known path (files only rules without keywords read).
    PathBlob(BString),
    Commit,
    Tag,
}

/// Counters shared by the pass's threads.
#[derive(Default)]
struct Counts {
    blobs: AtomicU64,
    bytes: AtomicU64,
    skipped_binary: AtomicU64,
    skipped_large: AtomicU64,
    decode_warnings: AtomicU64,
    messages: AtomicU64,
}

/// Scans the history of the repository at `path`.
pub fn scan_history(
    detector: &Detector,
    path: &Path,
    opts: &Options,
    warn: &(dyn Fn(Warning) + Sync),
) -> Result<Outcome, Error> {
    let examined = examine(detector, path, opts, warn)?;
    // Freeing millions of tree entries takes a while that nobody needs to wait for: the
    // report is written meanwhile, and a process that exits first skips it.
    let (index, tips, repo) = (examined.index, examined.tips, examined.repo);
    std::thread::spawn(move || drop((index, tips, repo)));
    Ok(examined.outcome)
}

/// A history scan and what it learnt of the database on the way.
pub struct Examined {
    /// The findings and summary.
    pub outcome: Outcome,
    /// Every commit, tag and tree of the database.
    pub index: Index,
    /// The refs as they were.
    pub tips: Vec<git::Tip>,
    /// The repository.
    pub repo: gix::Repository,
    /// Packs or objects the pass could not read: the index may lack what they hold.
    pub problems: usize,
}

/// Scans the history of the repository at `path`, keeping the index of its objects.
pub fn examine(
    detector: &Detector,
    path: &Path,
    opts: &Options,
    warn: &(dyn Fn(Warning) + Sync),
) -> Result<Examined, Error> {
    let started = Instant::now();
    let mut laps = crate::timing::Laps::start("history");
    let repo = git::open(path)?;
    let warn_git = |message: String| {
        warn(Warning {
            place: "history".into(),
            message,
        })
    };
    let selection = selection(&repo, opts)?;
    let head = repo.head_id().ok().map(|id| id.detach());
    let shallow = repo.is_shallow().unwrap_or(false);
    let hash = repo.object_hash();

    laps.lap("opening");

    // The pass: every object once.
    // Trees, commits and tags go, in batches, to one indexing thread; blobs and messages are
    // scanned on the pass's own threads.
    let (to_index, indexed) = std::sync::mpsc::sync_channel::<Vec<Record>>(64);
    let hits: Mutex<Vec<Hit>> = Mutex::new(Vec::new());
    let counts = Counts::default();
    let deltas = Deltas::new();
    let dirs = git::object_dirs(&repo);
    let pass_counts = git::PassCounts::default();
    let total = git::packed_object_count(&dirs, hash);
    let visitor = Visitor {
        detector,
        scan: !opts.index_only,
        max_file_size: opts.max_file_size,
        hash,
        counts: &counts,
        hits: &hits,
        to_index: Some(to_index),
        batch: Vec::new(),
        batch_bytes: 0,
        deltas: &deltas,
        rebuilt: Vec::new(),
    };
    let (pass_warnings, index, tips) = std::thread::scope(|scope| {
        // Thousands of loose refs take a while to read; the pass does not need them.
        let refs_repo = repo.clone();
        let tips = scope.spawn(move || git::tips(&refs_repo, opts.refs.as_ref()));
        let (stop, stopped) = std::sync::mpsc::channel::<()>();
        if opts.progress {
            let (objects, bytes) = (&pass_counts.objects, &counts.bytes);
            scope.spawn(move || show_progress(stopped, total, objects, bytes));
        }
        let keep_commits = opts.keep_commits;
        let indexer = scope.spawn(move || build_index(indexed, hash, keep_commits));
        let warnings = git::pass(
            &repo,
            git::Scope::Dirs(&dirs),
            opts.threads,
            &pass_counts,
            &crate::interrupt::REQUESTED,
            visitor,
        );
        drop(stop);
        let index = indexer.join().expect("the indexer does not panic");
        let tips = tips.join().expect("listing refs does not panic");
        (warnings, index, tips)
    });
    let tips = tips?;
    laps.lap("object pass");
    if std::env::var_os("SCOUR_TIMINGS").is_some() {
        eprintln!(
            "scour: timing: history blobs scanned by their delta's changes: {}, deltas of an unscanned base: {}, fallen back to a whole scan: {}",
            deltas.by_changes.load(Ordering::Relaxed),
            deltas.no_summary.load(Ordering::Relaxed),
            deltas.fell_back.load(Ordering::Relaxed)
        );
    }
    if crate::interrupt::requested() {
        return Err(Error::Interrupted);
    }
    let problems = pass_warnings.len() + index.corrupt.len();
    for w in pass_warnings {
        warn_git(w);
    }
    for id in &index.corrupt {
        warn_git(format!("object {id} is corrupt; skipped"));
    }

    // The graph: what the refs reach.
    let graph = Graph::build(&index, &tips, head, &selection);
    laps.lap("graph walk");
    if shallow {
        warn_git("shallow clone: commits behind the shallow boundary are not in this repository and are not scanned".into());
    } else if graph.missing_commits > 0 {
        warn_git(format!(
            "{} commit{} that history names could not be read (missing or corrupt); what lies behind them is not scanned",
            graph.missing_commits,
            plural(graph.missing_commits)
        ));
    }
    if graph.commits.is_empty() && graph.blobs.is_empty() {
        warn_git("no commits to scan (an empty repository, or refs that match nothing)".into());
    }
    let missing = graph.blobs.iter().filter(|&&b| !index.has_blob(b)).count() as u64;
    if missing > 0 {
        warn_git(format!(
            "{missing} blob{} named by history are not in the object database (a partial clone, or corruption); they were not scanned",
            plural(missing)
        ));
    }
    let mut hits = hits.into_inner().expect("no panics while holding the hits");
    if !opts.index_only {
        hits.extend(scan_dedicated_files(detector, &repo, &index, &graph));
    }
    laps.lap("dedicated files");

    let mut findings = place(detector, &index, &graph, hits, opts.all_objects);
    laps.lap("placing");
    if !opts.no_ignore {
        if let Some(ignore) = committed_ignore_file(&repo) {
            findings.retain(|f| {
                !ignore
                    .matched_path_or_any_parents(&f.path, false)
                    .is_ignore()
            });
        }
    }
    // Commits to skip are known only now that each finding has the commit that brought it.
    findings.retain(|f| {
        let commit = f.git.as_ref().and_then(|g| g.commit.as_deref());
        !commit.is_some_and(|c| detector.allow().skips_commit(f.rule.as_str(), c))
    });
    laps.lap("provenance");
    let mut outcome = Outcome {
        findings,
        summary: Summary {
            files: counts.blobs.into_inner(),
            bytes: counts.bytes.into_inner(),
            skipped_binary: counts.skipped_binary.into_inner(),
            skipped_large: counts.skipped_large.into_inner(),
            decode_warnings: counts.decode_warnings.into_inner(),
            seconds: started.elapsed().as_secs_f64(),
            git: Some(GitSummary {
                commits: graph.commits.len() as u64,
                refs: graph.refs.len() as u64,
                messages: counts.messages.into_inner(),
                objects: pass_counts.objects.into_inner(),
                missing_blobs: missing,
                submodules: graph.submodules,
                shallow,
            }),
            ..Summary::default()
        },
    };
    outcome.finish_counts();
    Ok(Examined {
        outcome,
        index,
        tips,
        repo,
        problems,
    })
}

/// What [`sweep`] found.
#[derive(Debug, Default)]
pub struct Sweep {
    /// Each blob, commit or tag holding something the rules find, with the SHA-256 (hex) of
    /// every secret in it.
    pub holders: Vec<(ObjectId, Vec<String>)>,
    /// Blobs scanned.
    pub blobs: u64,
    /// Objects decoded.
    pub objects: u64,
    /// Packs or objects that could not be read.
    pub problems: usize,
}

/// Scans every object in the database once, placing nothing at a path and indexing nothing:
/// the cheap half of a verification, which only needs to know whether a secret is anywhere.
pub fn sweep(
    detector: &Detector,
    repo: &gix::Repository,
    scope: git::Scope<'_>,
    threads: usize,
    warn: &(dyn Fn(Warning) + Sync),
) -> Sweep {
    let hits: Mutex<Vec<Hit>> = Mutex::new(Vec::new());
    let counts = Counts::default();
    let deltas = Deltas::new();
    let visitor = Visitor {
        detector,
        scan: true,
        max_file_size: crate::source::DEFAULT_MAX_FILE_SIZE,
        hash: repo.object_hash(),
        counts: &counts,
        hits: &hits,
        to_index: None,
        batch: Vec::new(),
        batch_bytes: 0,
        deltas: &deltas,
        rebuilt: Vec::new(),
    };
    let counts_of_pass = git::PassCounts::default();
    // Not stopped by Ctrl-C: a verification runs once the refs have moved, and a half-read
    // database would only look like a failed check.
    let never = std::sync::atomic::AtomicBool::new(false);
    let warnings = git::pass(repo, scope, threads, &counts_of_pass, &never, visitor);
    let problems = warnings.len();
    for message in warnings {
        warn(Warning {
            place: "history".into(),
            message,
        });
    }
    let holders = hits
        .into_inner()
        .expect("no panics while holding the hits")
        .into_iter()
        .map(|hit| {
            let secrets = hit
                .matches
                .iter()
                .map(|m| crate::finding::sha256_hex(m.secret.as_bytes()))
                .collect();
            (hit.id, secrets)
        })
        .collect();
    Sweep {
        holders,
        blobs: counts.blobs.into_inner(),
        objects: counts_of_pass.objects.into_inner(),
        problems,
    }
}

/// An object the index keeps: id, kind and (for trees, commits and tags) its bytes.
type Record = (ObjectId, Kind, Vec<u8>);

/// Hands objects of the pass to the scanner and, in batches, to the indexer.
struct Visitor<'a> {
    detector: &'a Detector,
    scan: bool,
    max_file_size: u64,
    hash: gix::hash::Kind,
    counts: &'a Counts,
    hits: &'a Mutex<Vec<Hit>>,
    /// Where trees, commits and tags go to be indexed; `None` when nothing is indexed.
    to_index: Option<std::sync::mpsc::SyncSender<Vec<Record>>>,
    batch: Vec<Record>,
    batch_bytes: usize,
    /// How blobs stored as deltas are scanned, and how many were, shared by the pass's threads.
    deltas: &'a Deltas,
    /// Where a blob the pass left unbuilt is rebuilt, as far as it is read.
    rebuilt: Vec<u8>,
}

/// How blobs stored as deltas are scanned (`SCOUR_DELTA`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum DeltaMode {
    /// Only around what the delta changed (the default).
    Changes,
    /// Whole (`SCOUR_DELTA=off`).
    Whole,
    /// Both, and a mismatch is a panic (`SCOUR_DELTA=check`, for tests and benchmarks).
    Check,
}

/// How the blobs a pack stores as deltas are scanned, and how many were scanned each way.
struct Deltas {
    mode: DeltaMode,
    /// Blobs scanned from their base's summary, and what failed to (for `SCOUR_TIMINGS`).
    by_changes: AtomicU64,
    no_summary: AtomicU64,
    fell_back: AtomicU64,
}

impl DeltaMode {
    fn from_env() -> DeltaMode {
        match std::env::var("SCOUR_DELTA").as_deref() {
            Ok("off") => DeltaMode::Whole,
            Ok("check") => DeltaMode::Check,
            _ => DeltaMode::Changes,
        }
    }
}

impl Deltas {
    fn new() -> Deltas {
        Deltas {
            mode: DeltaMode::from_env(),
            by_changes: AtomicU64::new(0),
            no_summary: AtomicU64::new(0),
            fell_back: AtomicU64::new(0),
        }
    }
}

impl Visitor<'_> {
    /// Batches of about this many bytes reach the indexer: few wake-ups, bounded memory.
    const BATCH_BYTES: usize = 1 << 20;

    fn keep(&self, hit: Option<Hit>) {
        if let Some(hit) = hit {
            self.hits
                .lock()
                .expect("no panics while holding the hits")
                .push(hit);
        }
    }

    fn flush(&mut self) {
        if let (false, Some(to_index)) = (self.batch.is_empty(), &self.to_index) {
            // The indexer outlives every visitor; a send fails only if it panicked.
            let _ = to_index.send(std::mem::take(&mut self.batch));
            self.batch_bytes = 0;
        }
    }
}

impl Clone for Visitor<'_> {
    fn clone(&self) -> Self {
        Visitor {
            detector: self.detector,
            scan: self.scan,
            max_file_size: self.max_file_size,
            hash: self.hash,
            counts: self.counts,
            hits: self.hits,
            to_index: self.to_index.clone(),
            batch: Vec::new(),
            batch_bytes: 0,
            deltas: self.deltas,
            rebuilt: Vec::new(),
        }
    }
}

impl Drop for Visitor<'_> {
    fn drop(&mut self) {
        self.flush();
    }
}

impl Visitor<'_> {
    /// Sends trees, commits, tags and blob sizes to the indexer.
    fn record(&mut self, id: ObjectId, kind: Kind, data: &[u8]) {
        self.record_len(id, kind, data, data.len());
    }

    /// [`Visitor::record`] of an object of `len` bytes, `data` unread for a blob.
    fn record_len(&mut self, id: ObjectId, kind: Kind, data: &[u8], len: usize) {
        if self.to_index.is_some() {
            let record = match kind {
                // A blob's record carries only its size, in eight bytes.
                Kind::Blob => (len as u64).to_le_bytes().to_vec(),
                _ => data.to_vec(),
            };
            self.batch_bytes += record.len() + 32;
            self.batch.push((id, kind, record));
            if self.batch_bytes >= Self::BATCH_BYTES {
                self.flush();
            }
        }
    }

    /// Scans a blob of a pack: around what its delta changed when its base left a summary.
    fn packed_blob(&mut self, blob: &Packed<'_>) -> Option<incremental::Summary> {
        let deltas = self.deltas;
        let id = blob.id;
        // Before anything is rebuilt: a blob too large to scan costs nothing.
        if blob.len as u64 > self.max_file_size {
            self.counts.skipped_large.fetch_add(1, Ordering::Relaxed);
            return None;
        }
        let summarise = deltas.mode != DeltaMode::Whole && blob.is_base;
        let delta = blob
            .delta
            .as_ref()
            .filter(|_| deltas.mode != DeltaMode::Whole);
        let mut buf = std::mem::take(&mut self.rebuilt);
        let mut spare = Vec::new();
        let stretches = match (blob.data, delta) {
            (None, Some(d)) => incremental::stretches(d.base_data, d.instructions),
            _ => None,
        };
        let mut text = match (blob.data, stretches) {
            (Some(data), _) => Text::Whole(data),
            (None, Some(stretches)) => {
                let poison = deltas.mode == DeltaMode::Check;
                Text::Sparse(incremental::Sparse::new(stretches, &mut buf, poison))
            }
            // The walk checked the delta; a blob it cannot rebuild is read as it is.
            (None, None) => Text::Whole(blob.rebuild(&mut spare)),
        };
        let detector = self.detector;
        let mut incremental =
            |text: &mut Text<'_>| -> Option<(Scanned, Option<incremental::Summary>)> {
                let delta = delta?;
                let Some(base) = delta.base else {
                    deltas.no_summary.fetch_add(1, Ordering::Relaxed);
                    return None;
                };
                let pieces = match text {
                    Text::Sparse(sparse) => Some(sparse.pieces()),
                    Text::Whole(data) => {
                        incremental::parse_delta(delta.instructions, delta.base_data, data.len())
                    }
                };
                let found = pieces
                    .and_then(|pieces| incremental::scan(detector, text, &pieces, base, summarise));
                let counter = match found {
                    Some(_) => &deltas.by_changes,
                    None => &deltas.fell_back,
                };
                counter.fetch_add(1, Ordering::Relaxed);
                if deltas.mode == DeltaMode::Check {
                    if let Some((scanned, _)) = &found {
                        let whole = detector.scan_unplaced(text.whole());
                        assert!(
                        whole.matches == scanned.matches && whole.issues == scanned.issues,
                        "SCOUR_DELTA=check: blob {id}: the delta scan differs from the whole scan\nwhole: {:?} {:?}\ndelta: {:?} {:?}",
                        whole.matches,
                        whole.issues,
                        scanned.matches,
                        scanned.issues
                    );
                    }
                }
                found
            };
        let (hit, summary) = scan_blob(
            self.detector,
            id,
            &mut text,
            self.max_file_size,
            self.counts,
            summarise,
            &mut incremental,
        );
        drop(text);
        self.rebuilt = buf;
        self.keep(hit);
        summary
    }
}

/// A packed object as the pass hands it to the visitor.
type Packed<'a> = delta_tree::Object<'a, incremental::Summary>;

impl git::Visit for Visitor<'_> {
    type Left = incremental::Summary;

    fn packed(&mut self, object: &Packed<'_>) -> Option<incremental::Summary> {
        if object.kind != Kind::Blob || !self.scan {
            let mut buf = std::mem::take(&mut self.rebuilt);
            self.object(object.id, object.kind, object.rebuild(&mut buf));
            self.rebuilt = buf;
            return None;
        }
        self.record_len(object.id, object.kind, &[], object.len);
        self.packed_blob(object)
    }

    fn lazy_leaves(&self) -> bool {
        self.scan && self.deltas.mode != DeltaMode::Whole
    }

    fn object(&mut self, id: ObjectId, kind: Kind, data: &[u8]) {
        self.record(id, kind, data);
        if !self.scan {
            return;
        }
        match kind {
            Kind::Blob => {
                let (hit, _) = scan_blob(
                    self.detector,
                    id,
                    &mut Text::Whole(data),
                    self.max_file_size,
                    self.counts,
                    false,
                    &mut |_| None,
                );
                self.keep(hit)
            }
            Kind::Commit => {
                if let Some(message) = git::commit_message(data) {
                    self.counts.messages.fetch_add(1, Ordering::Relaxed);
                    self.keep(scan_message(self.detector, id, Holder::Commit, message));
                }
            }
            Kind::Tag => {
                if let Some(tag) = git::decode_tag(data, self.hash) {
                    self.counts.messages.fetch_add(1, Ordering::Relaxed);
                    self.keep(scan_message(self.detector, id, Holder::Tag, tag.message));
                }
            }
            Kind::Tree => {}
        }
    }
}

/// Builds the index from the batches the visitors send, until the last visitor is gone.
fn build_index(
    batches: std::sync::mpsc::Receiver<Vec<Record>>,
    hash: gix::hash::Kind,
    keep_commits: bool,
) -> Index {
    let mut index = Index::default();
    for (id, kind, data) in batches.into_iter().flatten() {
        match kind {
            Kind::Blob => {
                let size = data.get(..8).map_or(0, |b| {
                    u64::from_le_bytes(b.try_into().expect("eight bytes"))
                });
                index.add_blob(id, size)
            }
            Kind::Tree => index.add_tree(id, &data, hash),
            Kind::Commit => {
                if index.add_commit(id, &data, hash) && keep_commits {
                    index.keep_raw_commit(id, data);
                }
            }
            Kind::Tag => {
                let target =
                    git::decode_tag(&data, hash).and_then(|t| ObjectId::from_hex(t.target).ok());
                if let Some(target) = target {
                    index.add_tag(id, target);
                }
            }
        }
    }
    index
}

/// The `.scourignore` committed at HEAD, as a matcher of the paths history holds.
fn committed_ignore_file(repo: &gix::Repository) -> Option<ignore::gitignore::Gitignore> {
    let spec = format!("HEAD:{}", crate::source::worktree::IGNORE_FILE);
    let id = repo.rev_parse_single(spec.as_str()).ok()?;
    let object = repo.find_object(id).ok()?;
    let mut builder = ignore::gitignore::GitignoreBuilder::new("");
    for line in object.data.lines() {
        // A malformed glob ignores nothing; the rest of the file still applies.
        let _ = builder.add_line(None, &line.to_str_lossy());
    }
    builder.build().ok()
}

/// The commits `--since` and `--range` select.
fn selection(repo: &gix::Repository, opts: &Options) -> Result<Selection, Error> {
    let mut selection = Selection::default();
    if let Some(since) = &opts.since {
        selection.exclude.push(git::resolve(repo, since)?);
    }
    if let Some(range) = &opts.range {
        let (a, b) = range.split_once("..").ok_or_else(|| Error::Revision {
            spec: range.clone(),
            message: "expected a range A..B".into(),
        })?;
        selection.exclude.push(git::resolve(repo, a)?);
        selection
            .include
            .push(git::resolve(repo, if b.is_empty() { "HEAD" } else { b })?);
    }
    Ok(selection)
}

/// What [`incremental::scan`] made of a blob, when its base's scan could serve.
type Incremental<'a> =
    dyn FnMut(&mut Text<'_>) -> Option<(Scanned, Option<incremental::Summary>)> + 'a;

/// Scans one blob from the pass, whose paths are not known yet: through `incremental` when it
/// answers, whole otherwise; with `summarise`, also returns what deltas of it need.
fn scan_blob(
    detector: &Detector,
    id: ObjectId,
    text: &mut Text<'_>,
    max: u64,
    counts: &Counts,
    summarise: bool,
    incremental: &mut Incremental<'_>,
) -> (Option<Hit>, Option<incremental::Summary>) {
    let len = text.len();
    if len as u64 > max {
        counts.skipped_large.fetch_add(1, Ordering::Relaxed);
        return (None, None);
    }
    if text.is_binary() {
        counts.skipped_binary.fetch_add(1, Ordering::Relaxed);
        return (None, None);
    }
    counts.blobs.fetch_add(1, Ordering::Relaxed);
    counts.bytes.fetch_add(len as u64, Ordering::Relaxed);
    let (scanned, summary) = match incremental(text) {
        Some(found) => found,
        None => incremental::full(detector, text.whole(), summarise),
    };
    counts
        .decode_warnings
        .fetch_add(scanned.issues.len() as u64, Ordering::Relaxed);
    // Lines are counted only in a blob with matches.
    let hit = match scanned.matches.is_empty() {
        true => None,
        false => hit(id, Holder::Blob, text.whole(), scanned.matches),
    };
    (hit, summary)
}

fn scan_message(
    detector: &Detector,
    id: ObjectId,
    holder: Holder,
    text: &gix::bstr::BStr,
) -> Option<Hit> {
    let scanned = detector.scan(Input {
        bytes: text.as_bytes(),
        path: None,
        kind: FileKind::Config,
    });
    hit(id, holder, text.as_bytes(), scanned.matches)
}

fn hit(id: ObjectId, holder: Holder, text: &[u8], mut matches: Vec<Match>) -> Option<Hit> {
    if matches.is_empty() {
        return None;
    }
    // The scan of a delta read only around its changes; the whole text tells docstrings
    // and test modules.
    if matches!(holder, Holder::Blob) {
        crate::detect::mark_whole_text(text, &mut matches);
    }
    let lines = LineIndex::new(text);
    let positions = matches.iter().map(|m| lines.place(&m.span)).collect();
    Some(Hit {
        id,
        holder,
        matches,
        positions,
    })
}

/// Files that only rules without keywords read (`.pgpass`, `.htpasswd`): found by name among
/// the distinct tree entries, placed, read again and scanned once per path.
fn scan_dedicated_files(
    detector: &Detector,
    repo: &gix::Repository,
    index: &Index,
    graph: &Graph,
) -> Vec<Hit> {
    let mode = DeltaMode::from_env();
    let mut by_name: HashMap<u32, bool> = HashMap::new();
    let targets: HashSet<Obj, _> = index
        .entries()
        .iter()
        .filter(|e| e.kind == git::EntryKind::Blob && graph.blobs.contains(&e.id))
        .filter(|e| {
            *by_name.entry(e.name).or_insert_with(|| {
                index
                    .name(e)
                    .to_path()
                    .is_ok_and(|n| detector.wants_path_scan(n))
            })
        })
        .map(|e| e.id)
        .collect();
    if targets.is_empty() {
        return Vec::new();
    }
    let mut places: Vec<(Obj, BString)> =
        git::locate(index, &graph.commits, graph.head, &targets, None)
            .into_keys()
            .collect();
    places.sort();
    // Each blob is read once, on all cores, and scanned once per distinct (kind, rules) of its
    // paths; the hits keep the order of `places`.
    let mut by_blob: Vec<(Obj, Vec<BString>)> = Vec::new();
    for (blob, path) in places {
        match by_blob.last_mut() {
            Some((b, paths)) if *b == blob => paths.push(path),
            _ => by_blob.push((blob, vec![path])),
        }
    }
    let shared = repo.clone().into_sync();
    let (scanned, skipped) = (AtomicU64::new(0), AtomicU64::new(0));
    use rayon::prelude::*;
    let per_blob: Vec<Vec<Hit>> = by_blob
        .par_iter()
        .map_init(
            || shared.to_thread_local(),
            |repo, (blob, paths)| {
                let id = index.id(*blob);
                let Ok(object) = repo.find_object(id) else {
                    return Vec::new();
                };
                if is_binary(&object.data) {
                    return Vec::new();
                }
                // (kind, rules, matches of the rules without keywords). The decoder problems
                // of these scans are not counted: the object pass counted the blob's, and the
                // rules without keywords decode nothing.
                let mut scans: Vec<(FileKind, Vec<bool>, Vec<Match>)> = Vec::new();
                let mut hits = Vec::new();
                for path in paths {
                    let Ok(fs_path) = path.to_path() else {
                        continue;
                    };
                    if !detector.wants_path_scan(fs_path) {
                        continue;
                    }
                    let kind = FileKind::from_path(fs_path);
                    let applicable = detector.applicable(kind, Some(fs_path));
                    let known = scans
                        .iter()
                        .position(|(k, a, _)| *k == kind && a[..] == applicable[..]);
                    let i = known.unwrap_or_else(|| {
                        let keywordless = |scanned: Scanned| -> Vec<Match> {
                            scanned
                                .matches
                                .into_iter()
                                .filter(|m| detector.rule(m).keywords.is_empty())
                                .collect()
                        };
                        // Most versions of a SQL dump hold nothing these rules could match,
                        // which a look at their regexes tells without the full scan.
                        let may = mode == DeltaMode::Whole
                            || detector.keywordless_may_match(&object.data, &applicable);
                        let counter = if may { &scanned } else { &skipped };
                        counter.fetch_add(1, Ordering::Relaxed);
                        let only_new = if may {
                            keywordless(detector.scan_with(&object.data, kind, &applicable))
                        } else {
                            if mode == DeltaMode::Check {
                                let whole =
                                    keywordless(detector.scan_with(&object.data, kind, &applicable));
                                assert!(
                                    whole.is_empty(),
                                    "SCOUR_DELTA=check: blob {id} at {path}: the path scan was skipped but finds {} match(es)",
                                    whole.len()
                                );
                            }
                            Vec::new()
                        };
                        scans.push((kind, applicable.into_owned(), only_new));
                        scans.len() - 1
                    });
                    let (_, _, matches) = &scans[i];
                    hits.extend(hit(
                        id,
                        Holder::PathBlob(path.clone()),
                        &object.data,
                        matches.clone(),
                    ));
                }
                hits
            },
        )
        .collect();
    if std::env::var_os("SCOUR_TIMINGS").is_some() {
        eprintln!(
            "scour: timing: history path scans of dedicated files: {}, skipped as their rules' regexes cannot match: {}",
            scanned.into_inner(),
            skipped.into_inner()
        );
    }
    per_blob.into_iter().flatten().collect()
}

/// The findings [`place`] makes, in the order it meets them. The same secret stands at the same
/// path in many versions of a file: it is judged once per (match, path, site), since the
/// judgement reads those and the placement only moves it, and the judgements run on all cores.
#[derive(Default)]
struct Emits {
    /// Each judgement's number, by what it reads: the match (its span left out), the path and
    /// the kind of site.
    judgement_of: HashMap<(Match, String, u8), usize>,
    /// For each judgement, the rest of what it reads: the match's span, the site's path and
    /// the first placement met.
    to_judge: Vec<(
        std::ops::Range<usize>,
        Option<std::path::PathBuf>,
        Placement,
    )>,
    /// Each finding to be: its judgement, where it is placed, and its provenance.
    emits: Vec<(usize, Placement, Arc<Provenance>)>,
}

impl Emits {
    fn add(
        &mut self,
        m: &Match,
        placement: Placement,
        path: &str,
        site: Site<'_>,
        git: &Arc<Provenance>,
    ) {
        let (site_path, at) = match site {
            Site::File(Some(p)) => (Some(p.to_path_buf()), 0),
            Site::File(None) => (None, 1),
            Site::Message => (None, 2),
        };
        let key = (
            Match {
                span: 0..0,
                ..m.clone()
            },
            path.to_string(),
            at,
        );
        let next = self.to_judge.len();
        let j = *self.judgement_of.entry(key).or_insert(next);
        if j == next {
            self.to_judge.push((m.span.clone(), site_path, placement));
        }
        self.emits.push((j, placement, Arc::clone(git)));
    }

    fn finish(self, detector: &Detector) -> Vec<Finding> {
        use rayon::prelude::*;
        let mut keys: Vec<((Match, String, u8), usize)> = self.judgement_of.into_iter().collect();
        keys.sort_unstable_by_key(|(_, j)| *j);
        let judged: Vec<Option<Finding>> = keys
            .into_par_iter()
            .zip(self.to_judge)
            .map(|(((m, path, at), _), (span, site_path, placement))| {
                let site = match at {
                    0 => Site::File(site_path.as_deref()),
                    1 => Site::File(None),
                    _ => Site::Message,
                };
                let m = Match { span, ..m };
                detector.finding(&m, &path, site, placement)
            })
            .collect();
        self.emits
            .into_iter()
            .filter_map(|(j, placement, git)| {
                let mut f = judged[j].clone()?;
                f.line = placement.line;
                f.column = placement.column;
                f.value_span = placement.value;
                f.git = Some(git);
                Some(f)
            })
            .collect()
    }
}

/// Turns hits into findings: one per match and path where the match stands, placed in history.
fn place(
    detector: &Detector,
    index: &Index,
    graph: &Graph,
    hits: Vec<Hit>,
    all_objects: bool,
) -> Vec<Finding> {
    if hits.is_empty() {
        return Vec::new();
    }
    let reach = RefReach::compute(index, graph);
    let blob_of = |h: &Hit| {
        index
            .get(&h.id)
            .filter(|_| matches!(h.holder, Holder::Blob | Holder::PathBlob(_)))
    };
    let reachable: HashSet<Obj, _> = hits
        .iter()
        .filter_map(blob_of)
        .filter(|b| graph.blobs.contains(b))
        .collect();
    let unreachable: HashSet<Obj, _> = hits
        .iter()
        .filter_map(blob_of)
        .filter(|b| !graph.blobs.contains(b))
        .collect();
    let mut located = git::locate(index, &graph.commits, graph.head, &reachable, Some(&reach));
    let walked: HashSet<Obj> = graph.commits.iter().copied().collect();
    if all_objects && !unreachable.is_empty() {
        let mut others: Vec<Obj> = index
            .all_commits()
            .filter(|c| !walked.contains(c))
            .collect();
        others.sort_unstable();
        located.extend(git::locate(index, &others, None, &unreachable, None));
    }
    let mut by_blob: HashMap<Obj, Vec<(&BString, &Occurrence)>> = HashMap::new();
    for ((blob, path), occurrence) in &located {
        by_blob.entry(*blob).or_default().push((path, occurrence));
    }
    for list in by_blob.values_mut() {
        list.sort_by(|a, b| a.0.cmp(b.0));
    }

    let mut emits = Emits::default();
    let mut emit = |m: &Match, placement, path: &str, site: Site<'_>, git: &Arc<Provenance>| {
        emits.add(m, placement, path, site, git)
    };
    for hit in hits {
        let hex = hit.id.to_hex().to_string();
        match &hit.holder {
            Holder::Blob | Holder::PathBlob(_) => {
                let Some(blob) = index.get(&hit.id) else {
                    continue;
                };
                let is_reachable = graph.blobs.contains(&blob);
                if !is_reachable && !all_objects {
                    continue;
                }
                let places = by_blob.get(&blob).map(Vec::as_slice).unwrap_or(&[]);
                for (path, occurrence) in places {
                    if let Holder::PathBlob(p) = &hit.holder {
                        if p != *path {
                            continue;
                        }
                    }
                    let first = index.commit(occurrence.first);
                    let last = index.commit(occurrence.last);
                    let (refs, refs_total) = reach.names(graph, &occurrence.refs);
                    let git = Arc::new(Provenance {
                        blob: hex.clone(),
                        commit: Some(index.id(occurrence.first).to_hex().to_string()),
                        author: first.map(git::CommitData::author),
                        date: first.map(git::CommitData::date),
                        last_commit: Some(index.id(occurrence.last).to_hex().to_string()),
                        last_date: last.map(git::CommitData::date),
                        commits: occurrence.commits,
                        in_head: occurrence.in_head,
                        unreachable: !is_reachable,
                        refs,
                        refs_total,
                    });
                    for i in detector.select_for_path(&hit.matches, path.to_path().ok()) {
                        emit(
                            &hit.matches[i],
                            hit.positions[i],
                            &path.to_str_lossy(),
                            Site::File(path.to_path().ok()),
                            &git,
                        );
                    }
                }
                if places.is_empty() {
                    let what = if is_reachable {
                        "(blob named by a ref)"
                    } else {
                        "(unreachable blob)"
                    };
                    let git = Arc::new(bare_provenance(&hex, !is_reachable));
                    for i in detector.select_for_path(&hit.matches, None) {
                        emit(
                            &hit.matches[i],
                            hit.positions[i],
                            what,
                            Site::File(None),
                            &git,
                        );
                    }
                }
            }
            Holder::Commit | Holder::Tag => {
                let o = index.get(&hit.id);
                let is_commit = matches!(hit.holder, Holder::Commit);
                let is_reachable = o.is_some_and(|o| {
                    if is_commit {
                        walked.contains(&o)
                    } else {
                        graph.tags.contains(&o)
                    }
                });
                if !is_reachable && !all_objects {
                    continue;
                }
                let data = o.and_then(|o| index.commit(o));
                let (refs, refs_total) = match (o, is_commit) {
                    (Some(o), true) => reach.names(graph, &reach.of(o)),
                    _ => (Vec::new(), 0),
                };
                let git = Arc::new(Provenance {
                    blob: hex.clone(),
                    commit: is_commit.then(|| hex.clone()),
                    author: data.map(git::CommitData::author),
                    date: data.map(git::CommitData::date),
                    last_commit: is_commit.then(|| hex.clone()),
                    last_date: data.map(git::CommitData::date),
                    commits: usize::from(is_commit),
                    in_head: is_commit && o.is_some() && o == graph.head,
                    unreachable: !is_reachable,
                    refs,
                    refs_total,
                });
                let what = if is_commit {
                    "(commit message)"
                } else {
                    "(tag message)"
                };
                for (m, pos) in hit.matches.iter().zip(&hit.positions) {
                    emit(m, *pos, what, Site::Message, &git);
                }
            }
        }
    }
    let mut findings = emits.finish(detector);
    findings.sort_by(|a, b| {
        // The blob last: hits arrive in the order the pass's threads met them, and findings
        // equal but for their blob must not follow that order.
        (&a.path, a.line, a.column, date(a), &a.rule, blob(a)).cmp(&(
            &b.path,
            b.line,
            b.column,
            date(b),
            &b.rule,
            blob(b),
        ))
    });
    findings.dedup_by(|a, b| {
        a.path == b.path
            && a.line == b.line
            && a.column == b.column
            && a.rule == b.rule
            && a.git == b.git
    });
    findings
}

/// A finding's first date, for sorting (none sorts as empty).
fn date(f: &Finding) -> &str {
    f.git
        .as_ref()
        .and_then(|g| g.date.as_deref())
        .unwrap_or_default()
}

/// A finding's blob, for sorting (none sorts as empty).
fn blob(f: &Finding) -> &str {
    f.git.as_ref().map_or("", |g| g.blob.as_str())
}

fn bare_provenance(blob: &str, unreachable: bool) -> Provenance {
    Provenance {
        blob: blob.to_string(),
        commit: None,
        author: None,
        date: None,
        last_commit: None,
        last_date: None,
        commits: 0,
        in_head: false,
        unreachable,
        refs: Vec::new(),
        refs_total: 0,
    }
}

/// Shows progress on stderr until `stop` hangs up: an indicatif bar on a terminal, otherwise
/// (`--progress always` into a log) a plain line every few seconds.
fn show_progress(
    stop: std::sync::mpsc::Receiver<()>,
    total: u64,
    objects: &AtomicU64,
    bytes: &AtomicU64,
) {
    use std::io::IsTerminal;
    let scanned = || crate::report::human::human_bytes(bytes.load(Ordering::Relaxed));
    if !std::io::stderr().is_terminal() {
        while let Err(std::sync::mpsc::RecvTimeoutError::Timeout) =
            stop.recv_timeout(Duration::from_secs(2))
        {
            eprintln!(
                "scour: progress: {}/{total} objects, {} of blobs scanned",
                objects.load(Ordering::Relaxed),
                scanned()
            );
        }
        return;
    }
    let bar = indicatif::ProgressBar::new(total.max(1));
    bar.set_style(
        indicatif::ProgressStyle::with_template(
            "{spinner} {pos}/{len} objects [{bar:30}] {msg}, {per_sec}, ETA {eta}",
        )
        .expect("the template is valid")
        .progress_chars("=> "),
    );
    loop {
        bar.set_position(objects.load(Ordering::Relaxed));
        bar.set_message(format!("{} of blobs scanned", scanned()));
        if let Err(std::sync::mpsc::RecvTimeoutError::Timeout) =
            stop.recv_timeout(Duration::from_millis(100))
        {
            continue;
        }
        bar.finish_and_clear();
        return;
    }
}
