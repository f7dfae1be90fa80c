//! `scour scan`: files on disk or standard input, through the detector, into findings.

use std::collections::HashSet;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use serde::Serialize;

use crate::detect::{Detector, FileKind, Input, Site};
use crate::finding::{Finding, LineIndex, RecordIds};
use crate::source::{self, stdin, worktree};

/// A fatal problem: nothing sensible can be scanned.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A path given on the command line does not exist or cannot be read.
    #[error("path '{path}': {source}")]
    Path {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// Standard input could not be read.
    #[error("standard input: {0}")]
    Stdin(#[source] std::io::Error),
    /// The baseline report could not be used.
    #[error("baseline '{path}': {message}")]
    Baseline { path: PathBuf, message: String },
}

/// Options of a scan.
#[derive(Debug, Clone)]
pub struct Options {
    /// Scan ignored files too.
    pub no_ignore: bool,
    /// Files larger than this many bytes are skipped.
    pub max_file_size: u64,
    /// Worker threads; 0 picks one per core.
    pub threads: usize,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            no_ignore: false,
            max_file_size: source::DEFAULT_MAX_FILE_SIZE,
            threads: 0,
        }
    }
}

/// Counts that tell what a scan covered and what it left out.
#[derive(Debug, Default, Clone, Serialize)]
pub struct Summary {
    /// Files (or inputs) scanned.
    pub files: u64,
    /// Bytes scanned.
    pub bytes: u64,
    /// Files skipped because they look binary.
    pub skipped_binary: u64,
    /// Files skipped because they exceed the size cap.
    pub skipped_large: u64,
    /// Files or directories that could not be read.
    pub unreadable: u64,
    /// Values a decoder could not read.
    pub decode_warnings: u64,
    /// Findings reported.
    pub findings: u64,
    /// Distinct secret values among them.
    pub credentials: u64,
    /// Findings suppressed by the baseline.
    pub baselined: u64,
    /// Wall-clock seconds.
    pub seconds: f64,
    /// What a history scan covered (`files` then counts unique blobs).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub git: Option<crate::history::GitSummary>,
}

impl Summary {
    /// Scanned megabytes (10^6 bytes) per second.
    pub fn mb_per_second(&self) -> f64 {
        if self.seconds > 0.0 {
            self.bytes as f64 / 1e6 / self.seconds
        } else {
            0.0
        }
    }
}

/// The result of a scan: findings ordered by path and position, and the summary.
#[derive(Debug, Default)]
pub struct Outcome {
    /// What was found.
    pub findings: Vec<Finding>,
    /// What was covered.
    pub summary: Summary,
}

impl Outcome {
    /// Drops findings whose fingerprint the baseline holds, counting them.
    pub fn apply_baseline(&mut self, baseline: &Baseline) {
        let before = self.findings.len();
        self.findings
            .retain(|f| !baseline.fingerprints.contains(&f.fingerprint));
        self.summary.baselined += (before - self.findings.len()) as u64;
        self.finish_counts();
    }

    /// Recomputes the finding counts after findings changed.
    pub(crate) fn finish_counts(&mut self) {
        self.summary.findings = self.findings.len() as u64;
        let distinct: HashSet<&str> = self
            .findings
            .iter()
            .map(|f| f.secret_sha256.as_str())
            .collect();
        self.summary.credentials = distinct.len() as u64;
    }
}

/// Fingerprints accepted earlier, read from a JSON report.
#[derive(Debug, Default)]
pub struct Baseline {
    fingerprints: HashSet<String>,
}

impl Baseline {
    /// Reads the fingerprints of a `--format json` report (or a `jsonl` one).
    pub fn load(path: &Path) -> Result<Baseline, Error> {
        let bad = |message: String| Error::Baseline {
            path: path.to_path_buf(),
            message,
        };
        let text = std::fs::read_to_string(path).map_err(|e| bad(e.to_string()))?;
        Baseline::parse(&text, path)
    }

    /// Reads the fingerprints of a report's text; `path` names it in messages.
    pub fn parse(text: &str, path: &Path) -> Result<Baseline, Error> {
        let bad = |message: String| Error::Baseline {
            path: path.to_path_buf(),
            message,
        };
        let records: Vec<RecordIds> = crate::report::json::read_findings(text).map_err(bad)?;
        Ok(Baseline {
            fingerprints: records.into_iter().map(|r| r.fingerprint).collect(),
        })
    }
}

/// A non-fatal problem met during a scan, reported as it happens.
#[derive(Debug, Clone)]
pub struct Warning {
    /// The file (or `<stdin>`) and line it concerns.
    pub place: String,
    /// What was wrong.
    pub message: String,
}

impl std::fmt::Display for Warning {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.place, self.message)
    }
}

/// Scans the files under `paths` in parallel.
pub fn scan_paths(
    detector: &Detector,
    paths: &[PathBuf],
    opts: &Options,
    warn: &(dyn Fn(Warning) + Sync),
) -> Result<Outcome, Error> {
    for path in paths {
        std::fs::symlink_metadata(path).map_err(|source| Error::Path {
            path: path.clone(),
            source,
        })?;
    }
    let started = Instant::now();
    let counts = Counters::default();
    let findings = Mutex::new(Vec::new());
    let walk_opts = worktree::WalkOptions {
        no_ignore: opts.no_ignore,
        threads: opts.threads,
    };
    worktree::walk(paths, &walk_opts, &|entry| match entry {
        worktree::Entry::Error(message) => {
            counts.unreadable.fetch_add(1, Ordering::Relaxed);
            warn(Warning {
                place: "walk".into(),
                message,
            });
        }
        worktree::Entry::File(path) => {
            let found = scan_file(detector, &path, paths, opts, &counts, warn);
            if !found.is_empty() {
                findings
                    .lock()
                    .expect("a worker panicked while holding the findings lock")
                    .extend(found);
            }
        }
    });
    let findings = findings
        .into_inner()
        .expect("a worker panicked while holding the findings lock");
    Ok(counts.finish(findings, started.elapsed()))
}

/// Scans all of `reader` as one input named `<stdin>`.
pub fn scan_reader(
    detector: &Detector,
    reader: impl Read,
    opts: &Options,
    warn: &(dyn Fn(Warning) + Sync),
) -> Result<Outcome, Error> {
    let started = Instant::now();
    let counts = Counters::default();
    let findings = match stdin::read_all(reader, opts.max_file_size).map_err(Error::Stdin)? {
        None => {
            counts.skipped_large.fetch_add(1, Ordering::Relaxed);
            warn(Warning {
                place: stdin::NAME.into(),
                message: format!(
                    "larger than --max-file-size ({} bytes); skipped",
                    opts.max_file_size
                ),
            });
            Vec::new()
        }
        Some(bytes) => {
            let input = Input {
                bytes: &bytes,
                path: None,
                kind: FileKind::Config,
            };
            scan_bytes(detector, input, (stdin::NAME, None), &counts, warn)
        }
    };
    Ok(counts.finish(findings, started.elapsed()))
}

#[derive(Default)]
struct Counters {
    files: AtomicU64,
    bytes: AtomicU64,
    skipped_binary: AtomicU64,
    skipped_large: AtomicU64,
    unreadable: AtomicU64,
    decode_warnings: AtomicU64,
}

impl Counters {
    fn finish(self, mut findings: Vec<Finding>, elapsed: Duration) -> Outcome {
        findings.sort_by(|a, b| {
            (&a.path, a.line, a.column, &a.rule).cmp(&(&b.path, b.line, b.column, &b.rule))
        });
        let mut outcome = Outcome {
            findings,
            summary: Summary {
                files: self.files.into_inner(),
                bytes: self.bytes.into_inner(),
                skipped_binary: self.skipped_binary.into_inner(),
                skipped_large: self.skipped_large.into_inner(),
                unreadable: self.unreadable.into_inner(),
                decode_warnings: self.decode_warnings.into_inner(),
                seconds: elapsed.as_secs_f64(),
                ..Summary::default()
            },
        };
        outcome.finish_counts();
        outcome
    }
}

fn scan_file(
    detector: &Detector,
    path: &Path,
    roots: &[PathBuf],
    opts: &Options,
    counts: &Counters,
    warn: &(dyn Fn(Warning) + Sync),
) -> Vec<Finding> {
    let shown = worktree::display_path(path);
    let unreadable = |e: std::io::Error| {
        counts.unreadable.fetch_add(1, Ordering::Relaxed);
        warn(Warning {
            place: shown.clone(),
            message: format!("cannot read: {e}"),
        });
    };
    let size = match std::fs::metadata(path) {
        Ok(m) => m.len(),
        Err(e) => {
            unreadable(e);
            return Vec::new();
        }
    };
    if size > opts.max_file_size {
        counts.skipped_large.fetch_add(1, Ordering::Relaxed);
        return Vec::new();
    }
    let bytes = match std::fs::read(path) {
        Ok(b) => b,
        Err(e) => {
            unreadable(e);
            return Vec::new();
        }
    };
    if source::is_binary(&bytes) {
        counts.skipped_binary.fetch_add(1, Ordering::Relaxed);
        return Vec::new();
    }
    scan_bytes(
        detector,
        Input::from_path(&bytes, path),
        (&shown, Some(inside_root(path, roots))),
        counts,
        warn,
    )
}

/// The part of `path` below the root it was found under: where a file sits is judged inside
/// what the user pointed at (a checkout under `~/src/tests/` is not a test suite).
fn inside_root<'p>(path: &'p Path, roots: &[PathBuf]) -> &'p Path {
    roots
        .iter()
        .filter_map(|r| path.strip_prefix(r).ok())
        .find(|rest| !rest.as_os_str().is_empty())
        .unwrap_or_else(|| path.file_name().map_or(path, Path::new))
}

/// Runs the detector over one input and turns its matches into findings; `place` is the path
/// shown and the path whose conventions say where the input sits.
fn scan_bytes(
    detector: &Detector,
    input: Input<'_>,
    place: (&str, Option<&Path>),
    counts: &Counters,
    warn: &(dyn Fn(Warning) + Sync),
) -> Vec<Finding> {
    let (shown, context_path) = place;
    counts.files.fetch_add(1, Ordering::Relaxed);
    counts
        .bytes
        .fetch_add(input.bytes.len() as u64, Ordering::Relaxed);
    let scanned = detector.scan(input);
    if scanned.matches.is_empty() && scanned.issues.is_empty() {
        return Vec::new();
    }
    let lines = LineIndex::new(input.bytes);
    for issue in &scanned.issues {
        counts.decode_warnings.fetch_add(1, Ordering::Relaxed);
        let (line, _) = lines.position(issue.offset);
        warn(Warning {
            place: format!("{shown}:{line}"),
            message: issue.message.clone(),
        });
    }
    scanned
        .matches
        .iter()
        .filter_map(|m| detector.finding(m, shown, Site::File(context_path), lines.place(&m.span)))
        .collect()
}
