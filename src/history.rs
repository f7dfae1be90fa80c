//! `scour history`: every blob git holds, scanned once, then placed in history.
//!
//! Three steps: walk the refs' commits and trees to learn which blobs to scan and under which
//! paths (the path decides which rules apply); decode every object of the database once,
//! scanning the wanted blobs as they stream by; and, for the blobs that matched only, find the
//! commits, paths and refs that hold them.

use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use gix::bstr::{BString, ByteSlice};
use gix::objs::{CommitRef, Kind, TagRef};
use gix::ObjectId;
use globset::GlobSet;
use serde::Serialize;

use crate::detect::{Detector, FileKind, Input, Match};
use crate::finding::{Finding, LineIndex, Provenance};
use crate::scan::{Outcome, Summary, Warning};
use crate::source::git::{self, Graph, Occurrence, Selection, Wanted};
use crate::source::is_binary;

pub use git::Error;

/// What to scan and how.
#[derive(Debug, Default)]
pub struct Options {
    /// Scan every object in the database, unreachable ones too.
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
}

/// What a history scan covered, beside the common counts.
#[derive(Debug, Default, Clone, Serialize)]
pub struct GitSummary {
    /// Commits walked.
    pub commits: u64,
    /// Refs followed.
    pub refs: u64,
    /// Commit and tag messages scanned.
    pub messages: u64,
    /// Objects decoded from the database.
    pub objects: u64,
    /// Blobs that should have been scanned but are not in the database (partial clone, corruption).
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
    /// What holds it.
    holder: Holder,
    /// Matches with their position and the indices of the paths they apply to.
    matches: Vec<(Match, (usize, usize), Vec<usize>)>,
}

enum Holder {
    Blob,
    Commit,
    Tag,
}

/// Scans the history of the repository at `path`.
pub fn scan_history(
    detector: &Detector,
    path: &Path,
    opts: &Options,
    warn: &(dyn Fn(Warning) + Sync),
) -> Result<Outcome, Error> {
    let started = Instant::now();
    let repo = git::open(path)?;
    let warn_git = |message: String| {
        warn(Warning {
            place: "history".into(),
            message,
        })
    };
    let mut selection = Selection {
        refs: opts.refs.clone(),
        ..Selection::default()
    };
    if let Some(since) = &opts.since {
        selection.exclude.push(git::resolve(&repo, since)?);
    }
    if let Some(range) = &opts.range {
        let (a, b) = range.split_once("..").ok_or_else(|| Error::Revision {
            spec: range.clone(),
            message: "expected a range A..B".into(),
        })?;
        selection.exclude.push(git::resolve(&repo, a)?);
        selection
            .include
            .push(git::resolve(&repo, if b.is_empty() { "HEAD" } else { b })?);
    }
    let graph = Graph::build(&repo, &selection)?;
    for w in &graph.warnings {
        warn_git(w.clone());
    }
    if graph.shallow {
        warn_git("shallow clone: commits behind the shallow boundary are not in this repository and are not scanned".into());
    }
    if graph.commits.is_empty() && graph.blobs.is_empty() && !opts.all_objects {
        warn_git("no commits to scan (an empty repository, or refs that match nothing)".into());
    }

    let hits: Mutex<Vec<Hit>> = Mutex::new(Vec::new());
    let blobs = AtomicU64::new(0);
    let bytes = AtomicU64::new(0);
    let skipped_binary = AtomicU64::new(0);
    let skipped_large = AtomicU64::new(0);
    let decode_warnings = AtomicU64::new(0);
    let messages = AtomicU64::new(0);

    // Messages reached through the refs are in the graph already.
    for message in &graph.messages {
        messages.fetch_add(1, Ordering::Relaxed);
        if let Some(hit) = scan_message(detector, message.id, message.tag, &message.text) {
            hits.lock()
                .expect("no panics while holding the hits")
                .push(hit);
        }
    }

    let claims: HashMap<ObjectId, AtomicBool> = graph
        .blobs
        .keys()
        .map(|id| (*id, AtomicBool::new(false)))
        .collect();
    let known: HashSet<ObjectId> = graph.messages.iter().map(|m| m.id).collect();
    let wanted = if opts.all_objects {
        Wanted::Everything { known: &known }
    } else {
        Wanted::Blobs(&claims)
    };
    let dirs = git::object_dirs(&repo);
    let counts = git::PassCounts::default();
    let interrupt = AtomicBool::new(false);
    let total = git::packed_object_count(&dirs, repo.object_hash());
    let hash = repo.object_hash();
    let visit = |found: git::Found<'_>| match found.kind {
        Kind::Blob => {
            let data = found.data;
            if data.len() as u64 > opts.max_file_size {
                skipped_large.fetch_add(1, Ordering::Relaxed);
                return;
            }
            if is_binary(data) {
                skipped_binary.fetch_add(1, Ordering::Relaxed);
                return;
            }
            blobs.fetch_add(1, Ordering::Relaxed);
            bytes.fetch_add(data.len() as u64, Ordering::Relaxed);
            let paths: Vec<&Path> = graph
                .blobs
                .get(&found.id)
                .map(|p| p.iter().filter_map(|p| p.to_path().ok()).collect())
                .unwrap_or_default();
            let (scanned, per_path) = detector.scan_blob(data, &paths);
            if !scanned.issues.is_empty() {
                decode_warnings.fetch_add(scanned.issues.len() as u64, Ordering::Relaxed);
            }
            if scanned.matches.is_empty() {
                return;
            }
            let lines = LineIndex::new(data);
            let matches = scanned
                .matches
                .into_iter()
                .zip(per_path)
                .filter(|(_, p)| paths.is_empty() || !p.is_empty())
                .map(|(m, p)| {
                    let pos = lines.position(m.span.start);
                    (m, pos, p)
                })
                .collect::<Vec<_>>();
            if !matches.is_empty() {
                hits.lock()
                    .expect("no panics while holding the hits")
                    .push(Hit {
                        id: found.id,
                        holder: Holder::Blob,
                        matches,
                    });
            }
        }
        Kind::Commit | Kind::Tag => {
            let text = if found.kind == Kind::Commit {
                CommitRef::from_bytes(found.data, hash).map(|c| c.message.to_owned())
            } else {
                TagRef::from_bytes(found.data, hash).map(|t| t.message.to_owned())
            };
            if let Ok(text) = text {
                messages.fetch_add(1, Ordering::Relaxed);
                if let Some(hit) = scan_message(detector, found.id, found.kind == Kind::Tag, &text)
                {
                    hits.lock()
                        .expect("no panics while holding the hits")
                        .push(hit);
                }
            }
        }
        Kind::Tree => {}
    };
    let pass_warnings = std::thread::scope(|scope| {
        let (stop, stopped) = std::sync::mpsc::channel::<()>();
        if opts.progress {
            let (objects, bytes) = (&counts.objects, &bytes);
            scope.spawn(move || show_progress(stopped, total, objects, bytes));
        }
        let warnings = git::pass(
            &repo,
            &dirs,
            &wanted,
            opts.threads,
            &counts,
            &interrupt,
            visit,
        );
        drop(stop);
        warnings
    });
    for w in pass_warnings {
        warn_git(w);
    }
    let missing = claims
        .values()
        .filter(|c| !c.load(Ordering::Relaxed))
        .count() as u64;
    let missing = if opts.all_objects { 0 } else { missing };
    if missing > 0 {
        warn_git(format!(
            "{missing} blob{} named by history are not in the object database (a partial clone, or corruption); they were not scanned",
            if missing == 1 { "" } else { "s" }
        ));
    }

    let hits = hits.into_inner().expect("no panics while holding the hits");
    let findings = place(detector, &repo, &graph, hits);
    let mut outcome = Outcome {
        findings,
        summary: Summary {
            files: blobs.into_inner(),
            bytes: bytes.into_inner(),
            skipped_binary: skipped_binary.into_inner(),
            skipped_large: skipped_large.into_inner(),
            decode_warnings: decode_warnings.into_inner(),
            seconds: started.elapsed().as_secs_f64(),
            git: Some(GitSummary {
                commits: graph.commits.len() as u64,
                refs: graph.refs.len() as u64,
                messages: messages.into_inner(),
                objects: counts.objects.into_inner(),
                missing_blobs: missing,
                submodules: graph.submodules,
                shallow: graph.shallow,
            }),
            ..Summary::default()
        },
    };
    outcome.finish_counts();
    Ok(outcome)
}

fn scan_message(detector: &Detector, id: ObjectId, tag: bool, text: &BString) -> Option<Hit> {
    let scanned = detector.scan(Input {
        bytes: text.as_slice(),
        path: None,
        kind: FileKind::Config,
    });
    if scanned.matches.is_empty() {
        return None;
    }
    let lines = LineIndex::new(text.as_slice());
    Some(Hit {
        id,
        holder: if tag { Holder::Tag } else { Holder::Commit },
        matches: scanned
            .matches
            .into_iter()
            .map(|m| {
                let pos = lines.position(m.span.start);
                (m, pos, Vec::new())
            })
            .collect(),
    })
}

/// Turns hits into findings: one per match and path, with where history holds it.
fn place(
    detector: &Detector,
    repo: &gix::Repository,
    graph: &Graph,
    hits: Vec<Hit>,
) -> Vec<Finding> {
    let targets: HashSet<ObjectId> = hits
        .iter()
        .filter(|h| matches!(h.holder, Holder::Blob) && graph.blobs.contains_key(&h.id))
        .map(|h| h.id)
        .collect();
    let located = if targets.is_empty() {
        HashMap::new()
    } else {
        git::locate(repo, graph, &targets)
    };
    let reach = git::RefReach::compute(graph);
    let mut findings = Vec::new();
    for hit in hits {
        let blob_hex = hit.id.to_hex().to_string();
        let reachable_blob = graph.blobs.get(&hit.id);
        for (m, position, path_indices) in &hit.matches {
            let rule = detector.rule(m);
            let mut emit = |path: String, git: Provenance| {
                let mut f = Finding::new(rule, m, &path, *position);
                f.git = Some(git);
                findings.push(f);
            };
            match (&hit.holder, reachable_blob) {
                (Holder::Blob, Some(paths)) if !paths.is_empty() => {
                    for &i in path_indices {
                        let path = &paths[i];
                        let occurrence = located.get(&(hit.id, path.clone()));
                        emit(
                            path.to_str_lossy().into_owned(),
                            blob_provenance(graph, &blob_hex, occurrence),
                        );
                    }
                }
                (Holder::Blob, Some(_)) => emit(
                    "(blob named by a ref)".into(),
                    blob_provenance(graph, &blob_hex, None),
                ),
                (Holder::Blob, None) => emit(
                    "(unreachable blob)".into(),
                    Provenance {
                        blob: blob_hex.clone(),
                        commit: None,
                        author: None,
                        date: None,
                        commits: 0,
                        in_head: false,
                        unreachable: true,
                        refs: Vec::new(),
                        refs_total: 0,
                    },
                ),
                (Holder::Commit | Holder::Tag, _) => {
                    let index = graph.index.get(&hit.id).copied();
                    let node = index.map(|i| &graph.commits[i]);
                    let (refs, refs_total) =
                        index.map(|i| reach.names(graph, &[i])).unwrap_or_default();
                    let reachable =
                        index.is_some() || graph.messages.iter().any(|msg| msg.id == hit.id);
                    let what = if matches!(hit.holder, Holder::Tag) {
                        "(tag message)"
                    } else {
                        "(commit message)"
                    };
                    emit(
                        what.into(),
                        Provenance {
                            blob: blob_hex.clone(),
                            commit: Some(blob_hex.clone()),
                            author: node.map(|n| n.author.clone()),
                            date: node.map(|n| n.date.clone()),
                            commits: usize::from(index.is_some()),
                            in_head: index.is_some() && index == graph.head,
                            unreachable: !reachable,
                            refs,
                            refs_total,
                        },
                    )
                }
            }
        }
    }
    findings.sort_by(|a, b| {
        let date = |f: &Finding| {
            f.git
                .as_ref()
                .and_then(|g| g.date.clone())
                .unwrap_or_default()
        };
        (&a.path, a.line, a.column, date(a), &a.rule).cmp(&(
            &b.path,
            b.line,
            b.column,
            date(b),
            &b.rule,
        ))
    });
    findings
}

fn blob_provenance(graph: &Graph, blob: &str, occurrence: Option<&Occurrence>) -> Provenance {
    let first = occurrence.map(|o| &graph.commits[o.first]);
    Provenance {
        blob: blob.to_string(),
        commit: first.map(|c| c.id.to_hex().to_string()),
        author: first.map(|c| c.author.clone()),
        date: first.map(|c| c.date.clone()),
        commits: occurrence.map_or(0, |o| o.commits),
        in_head: occurrence.is_some_and(|o| o.in_head),
        unreachable: false,
        refs: occurrence.map(|o| o.refs.clone()).unwrap_or_default(),
        refs_total: occurrence.map_or(0, |o| o.refs_total),
    }
}

/// Draws an indicatif bar on stderr from the pass's counters until `stop` hangs up.
fn show_progress(
    stop: std::sync::mpsc::Receiver<()>,
    total: u64,
    objects: &AtomicU64,
    bytes: &AtomicU64,
) {
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
        bar.set_message(format!(
            "{} of blobs scanned",
            crate::report::human::human_bytes(bytes.load(Ordering::Relaxed))
        ));
        match stop.recv_timeout(Duration::from_millis(100)) {
            Err(std::sync::mpsc::RecvTimeoutError::Timeout) => continue,
            _ => {
                bar.finish_and_clear();
                return;
            }
        }
    }
}
