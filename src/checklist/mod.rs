//! The rotation checklist: findings grouped into one entry per credential, with what it is,
//! where and since when it leaked, how to rotate it and how to purge it.
//!
//! A checklist is built from finding *records* (the JSON report's shape), so that a checklist
//! from a saved report (`--from`) and one from a fresh scan are the same thing.
//!
//! One entry is one credential: a random-looking value wherever it appears, a weak, chosen or
//! placeholder value once per system it guards ([`system`]).

pub mod system;

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Deserializer, Serialize};

use crate::detect::confidence::Confidence;
use crate::finding::Finding;
use crate::rules::{Category, RuleSet, Severity};

/// One finding as the checklist reads it (a record of a JSON report).
#[derive(Debug, Clone, Deserialize)]
pub struct Item {
    /// Rule id.
    pub rule: String,
    /// Rule title.
    pub title: String,
    /// Credential category.
    pub category: Category,
    /// Severity.
    pub severity: Severity,
    /// The secret as the report shows it (redacted unless the report was written with
    /// `--show-secrets`).
    pub secret: String,
    /// SHA-256 of the raw secret: the grouping key.
    pub secret_sha256: String,
    /// Decoding layers.
    #[serde(default)]
    pub decoded: Vec<String>,
    /// A default or dictionary value.
    #[serde(default)]
    pub weak: bool,
    /// A stand-in meant to be replaced.
    #[serde(default)]
    pub placeholder: bool,
    /// The name the secret was assigned to.
    #[serde(default)]
    pub key: Option<String>,
    /// How likely it is a real credential (absent from reports older than confidence).
    #[serde(default, deserialize_with = "confidence")]
    pub confidence: Option<Confidence>,
    /// Why it has that confidence: its first words say how the value was judged.
    #[serde(default)]
    pub reason: String,
    /// Path (or `(commit message)` and the like).
    pub path: String,
    /// 1-based line.
    pub line: usize,
    /// Blob id, in history findings.
    #[serde(default)]
    pub blob: Option<String>,
    /// Earliest commit holding it there.
    #[serde(default)]
    pub commit: Option<String>,
    /// That commit's author.
    #[serde(default)]
    pub author: Option<String>,
    /// That commit's date.
    #[serde(default)]
    pub date: Option<String>,
    /// Latest commit holding it there.
    #[serde(default)]
    pub last_commit: Option<String>,
    /// Latest commit's date.
    #[serde(default)]
    pub last_date: Option<String>,
    /// How many commits hold the blob at this path.
    #[serde(default)]
    pub commits: usize,
    /// Still at HEAD.
    #[serde(default)]
    pub in_head: bool,
    /// Only in unreachable objects.
    #[serde(default)]
    pub unreachable: bool,
    /// Refs reaching it (capped).
    #[serde(default)]
    pub refs: Vec<String>,
    /// How many refs reach it.
    #[serde(default)]
    pub refs_total: usize,
    /// Found in the working tree (set by the checklist, not read from reports).
    #[serde(skip)]
    pub worktree: bool,
}

impl Item {
    /// The record of `finding`, as a report with the same `show_secrets` would hold it.
    pub fn from_finding(finding: &Finding, show_secrets: bool) -> Item {
        let value = serde_json::to_value(finding.record(show_secrets))
            .expect("a finding record always serialises");
        serde_json::from_value(value).expect("a finding record reads back as an item")
    }
}

/// Reads a confidence by its report name.
fn confidence<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Confidence>, D::Error> {
    let name = Option::<String>::deserialize(d)?;
    Ok(match name.as_deref() {
        Some("high") => Some(Confidence::High),
        Some("medium") => Some(Confidence::Medium),
        Some("low") => Some(Confidence::Low),
        _ => None,
    })
}

/// The findings of a saved `--format json` (or `jsonl`) report, or the blobs of a saved
/// `--format json` checklist (which is what `scour purge --findings` needs of it).
pub fn load_report(path: &std::path::Path) -> Result<Vec<Item>, String> {
    let text = std::fs::read_to_string(path).map_err(|e| e.to_string())?;
    crate::report::json::read_findings(&text).or_else(|report_err| {
        serde_json::from_str::<Saved>(&text)
            .map(Saved::items)
            .map_err(|_| report_err)
    })
}

/// Just enough of a saved checklist to name its blobs and secrets.
#[derive(Deserialize)]
struct Saved {
    entries: Vec<SavedEntry>,
}

#[derive(Deserialize)]
struct SavedEntry {
    kind: String,
    category: Category,
    severity: Severity,
    secret: String,
    secret_sha256: String,
    rules: Vec<String>,
    locations: Vec<SavedLocation>,
}

#[derive(Deserialize)]
struct SavedLocation {
    path: String,
    line: usize,
    #[serde(default)]
    blobs: Vec<String>,
}

impl Saved {
    /// One item per blob of every location.
    fn items(self) -> Vec<Item> {
        let mut items = Vec::new();
        for e in self.entries {
            for l in e.locations {
                for blob in l.blobs {
                    items.push(Item {
                        rule: e.rules.first().cloned().unwrap_or_default(),
                        title: e.kind.clone(),
                        category: e.category,
                        severity: e.severity,
                        secret: e.secret.clone(),
                        secret_sha256: e.secret_sha256.clone(),
                        decoded: Vec::new(),
                        weak: false,
                        placeholder: false,
                        key: None,
                        confidence: None,
                        reason: String::new(),
                        path: l.path.clone(),
                        line: l.line,
                        blob: Some(blob),
                        commit: None,
                        author: None,
                        date: None,
                        last_commit: None,
                        last_date: None,
                        commits: 0,
                        in_head: false,
                        unreachable: false,
                        refs: Vec::new(),
                        refs_total: 0,
                        worktree: false,
                    });
                }
            }
        }
        items
    }
}

/// What [`scan`] looks at.
#[derive(Debug, Default)]
pub struct ScanOptions {
    /// Also scan the files on disk.
    pub worktree: bool,
    /// Worker threads.
    pub threads: usize,
    /// Progress on stderr.
    pub progress: bool,
    /// Keep values in full in the items.
    pub show_secrets: bool,
}

/// Why the checklist's scan failed.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Reading history failed.
    #[error(transparent)]
    History(#[from] crate::history::Error),
    /// Reading the working tree failed.
    #[error(transparent)]
    Worktree(#[from] crate::scan::Error),
}

/// The items of a fresh scan: every object of history and, with `worktree`, the files on
/// disk (marked as such, with paths relative to the work tree as history's are).
pub fn scan(
    detector: &crate::detect::Detector,
    repo: &std::path::Path,
    opts: &ScanOptions,
    warn: &(dyn Fn(crate::scan::Warning) + Sync),
) -> Result<Vec<Item>, Error> {
    let history_opts = crate::history::Options {
        all_objects: true,
        max_file_size: crate::source::DEFAULT_MAX_FILE_SIZE,
        threads: opts.threads,
        progress: opts.progress,
        ..Default::default()
    };
    let examined = crate::history::examine(detector, repo, &history_opts, warn)?;
    let mut items: Vec<Item> = examined
        .outcome
        .findings
        .iter()
        .map(|f| Item::from_finding(f, opts.show_secrets))
        .collect();
    if !opts.worktree {
        return Ok(items);
    }
    let Some(dir) = examined.repo.workdir() else {
        warn(crate::scan::Warning {
            place: "checklist".into(),
            message: "--worktree: a bare repository has no working tree".into(),
        });
        return Ok(items);
    };
    let scan_opts = crate::scan::Options {
        threads: opts.threads,
        ..Default::default()
    };
    let files = crate::scan::scan_paths(detector, &[dir.to_path_buf()], &scan_opts, warn)?;
    items.extend(files.findings.iter().map(|f| {
        let mut item = Item::from_finding(f, opts.show_secrets);
        item.worktree = true;
        if let Ok(relative) = std::path::Path::new(&item.path).strip_prefix(dir) {
            item.path = relative.to_string_lossy().into_owned();
        }
        item
    }));
    Ok(items)
}

/// Where one credential was found at one path, over every version of the file that held it.
#[derive(Debug, Clone, Serialize)]
pub struct Location {
    /// Path (or `(commit message)` and the like).
    pub path: String,
    /// 1-based line, in the version HEAD or the disk holds, else in the latest one.
    pub line: usize,
    /// Earliest commit holding it there (none in the working tree).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub first_commit: Option<String>,
    /// That commit's author.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub author: Option<String>,
    /// That commit's date.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub first_date: Option<String>,
    /// Latest commit holding it there.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_commit: Option<String>,
    /// That commit's date.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_date: Option<String>,
    /// How many versions of the file (blobs) hold it.
    pub versions: usize,
    /// How many commits hold one of those versions there.
    pub commits: usize,
    /// Decoding layers, in the version the line is from.
    pub decoded: Vec<String>,
    /// The blobs holding it: what a purge removes.
    pub blobs: Vec<String>,
    /// HEAD holds it there.
    pub in_head: bool,
    /// Only unreachable objects hold it there.
    pub unreachable: bool,
    /// The file on disk holds it.
    pub worktree: bool,
}

/// One credential to rotate.
#[derive(Debug, Clone, Serialize)]
pub struct Entry {
    /// What it most likely is: "PostgreSQL password", "ghcr.io registry token"...
    pub kind: String,
    /// The system it guards: the registry host, or the chart or service directory (with a
    /// dotted key's prefix). A random-looking value found in several is named by the one
    /// holding it at most paths.
    pub system: String,
    /// The most severe of its findings.
    pub severity: Severity,
    /// The highest confidence of its findings (absent for reports older than confidence).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub confidence: Option<Confidence>,
    /// Its category.
    pub category: Category,
    /// The value as shown (redacted unless `--show-secrets`).
    pub secret: String,
    /// SHA-256 of the value.
    pub secret_sha256: String,
    /// Why the value itself is a problem, for weak and placeholder values.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub warning: Option<String>,
    /// Rules that found it.
    pub rules: Vec<String>,
    /// Every path it was found at, one location each.
    pub locations: Vec<Location>,
    /// Earliest date it was committed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub first_seen: Option<String>,
    /// The commit that first held it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub first_commit: Option<String>,
    /// Who authored that commit.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub first_author: Option<String>,
    /// Latest date a commit held it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_seen: Option<String>,
    /// Still held by HEAD.
    pub at_head: bool,
    /// Present in the files on disk (with `--worktree`).
    pub in_worktree: bool,
    /// Refs whose history holds it (capped at ten).
    pub refs: Vec<String>,
    /// How many refs hold it.
    pub refs_total: usize,
    /// Found only in unreachable objects.
    pub unreachable_only: bool,
    /// Days between first commit and last sight (today while it is at HEAD).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exposure_days: Option<i64>,
    /// Rotation steps, from the rules.
    pub rotation: Vec<String>,
    /// The command that removes its blobs from history, when it is in history: exactly its
    /// own, unless other entries share its value or files (see `purge_with`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub purge: Option<String>,
    /// Entries (1-based numbers) whose blobs the purge command removes too: a purge verifies
    /// that no value it removed is left anywhere, so a value or file shared between entries is
    /// purged for all of them at once.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub purge_with: Vec<usize>,
}

impl Entry {
    /// Where it stands: at HEAD, only on disk, only in unreachable objects, or in history.
    pub fn state(&self) -> State {
        if self.at_head {
            State::AtHead
        } else if self.in_worktree {
            State::WorktreeOnly
        } else if self.unreachable_only {
            State::UnreachableOnly
        } else {
            State::HistoryOnly
        }
    }
}

/// Where a credential stands, for the overview.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum State {
    /// HEAD holds it.
    AtHead,
    /// Only the files on disk hold it (not HEAD).
    WorktreeOnly,
    /// Only commits that HEAD no longer holds it in, on some ref.
    HistoryOnly,
    /// Only objects no ref reaches.
    UnreachableOnly,
}

/// How many credentials of each kind: what the reader sees before the entries.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Overview {
    /// By severity.
    pub severity: BySeverity,
    /// By confidence.
    pub confidence: ByConfidence,
    /// By where they stand.
    pub state: ByState,
    /// By system, most credentials first.
    pub systems: Vec<SystemCount>,
}

/// Credentials per severity.
#[derive(Debug, Clone, Default, Serialize)]
pub struct BySeverity {
    /// Critical.
    pub critical: usize,
    /// High.
    pub high: usize,
    /// Medium.
    pub medium: usize,
    /// Low.
    pub low: usize,
}

/// Credentials per confidence.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ByConfidence {
    /// High.
    pub high: usize,
    /// Medium.
    pub medium: usize,
    /// Low.
    pub low: usize,
    /// From a report older than confidence.
    #[serde(skip_serializing_if = "is_zero")]
    pub unrated: usize,
}

/// Credentials per state.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ByState {
    /// Still at HEAD.
    pub at_head: usize,
    /// Removed from HEAD, still in history.
    pub history_only: usize,
    /// Only in unreachable objects.
    pub unreachable_only: usize,
    /// Only in the files on disk.
    pub worktree_only: usize,
}

/// Credentials of one system.
#[derive(Debug, Clone, Serialize)]
pub struct SystemCount {
    /// The system.
    pub system: String,
    /// How many credentials guard it.
    pub credentials: usize,
}

fn is_zero(n: &usize) -> bool {
    *n == 0
}

impl Overview {
    /// Counts `entries`.
    fn of(entries: &[Entry]) -> Overview {
        let mut o = Overview::default();
        let mut systems: BTreeMap<&str, usize> = BTreeMap::new();
        for e in entries {
            *match e.severity {
                Severity::Critical => &mut o.severity.critical,
                Severity::High => &mut o.severity.high,
                Severity::Medium => &mut o.severity.medium,
                Severity::Low => &mut o.severity.low,
            } += 1;
            *match e.confidence {
                Some(Confidence::High) => &mut o.confidence.high,
                Some(Confidence::Medium) => &mut o.confidence.medium,
                Some(Confidence::Low) => &mut o.confidence.low,
                None => &mut o.confidence.unrated,
            } += 1;
            *match e.state() {
                State::AtHead => &mut o.state.at_head,
                State::HistoryOnly => &mut o.state.history_only,
                State::UnreachableOnly => &mut o.state.unreachable_only,
                State::WorktreeOnly => &mut o.state.worktree_only,
            } += 1;
            *systems.entry(&e.system).or_default() += 1;
        }
        o.systems = systems
            .into_iter()
            .map(|(system, credentials)| SystemCount {
                system: system.to_string(),
                credentials,
            })
            .collect();
        o.systems.sort_by(|a, b| {
            b.credentials
                .cmp(&a.credentials)
                .then(a.system.cmp(&b.system))
        });
        o
    }
}

/// The checklist: an overview, then entries in the order to work through them.
#[derive(Debug, Clone, Serialize)]
pub struct Checklist {
    /// Version of the JSON shape.
    pub version: u32,
    /// How many findings the entries group.
    pub findings: usize,
    /// Counts by severity, confidence, state and system.
    pub overview: Overview,
    /// The one command that purges everything listed, given this checklist saved as JSON.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub purge: Option<String>,
    /// The entries.
    pub entries: Vec<Entry>,
}

/// What [`Checklist::build`] needs besides the findings.
#[derive(Debug, Clone)]
pub struct BuildOptions {
    /// Seconds since the epoch: ends the exposure of credentials still at HEAD.
    pub now: i64,
    /// Findings below this confidence are left out (a saved report may hold them).
    pub min_confidence: Confidence,
    /// Where the checklist is saved as JSON, for the purge-everything command; without one,
    /// the command names `checklist.json`.
    pub saved_as: Option<String>,
}

/// Services recognised in key names, paths and rule ids, for naming a password.
const SERVICES: &[(&str, &str)] = &[
    ("postgres", "PostgreSQL"),
    ("pgpass", "PostgreSQL"),
    ("mysql", "MySQL"),
    ("mariadb", "MariaDB"),
    ("mongo", "MongoDB"),
    ("redis", "Redis"),
    ("rabbit", "RabbitMQ"),
    ("amqp", "RabbitMQ"),
    ("elastic", "Elasticsearch"),
    ("grafana", "Grafana"),
    ("gf_security", "Grafana"),
    ("smtp", "SMTP"),
    ("ldap", "LDAP"),
    ("sqlserver", "SQL Server"),
    ("mssql", "SQL Server"),
];

/// The rule that finds an AWS secret key.
const AWS_SECRET_KEY: &str = "cloud.aws-secret-access-key";
/// The rule that finds an AWS access key id, which names the pair.
const AWS_KEY_ID: &str = "cloud.aws-access-key-id";

/// Findings of one credential, and the system it was grouped by (none: a random-looking
/// value, one credential wherever it appears).
type Group = (Option<String>, Vec<Item>);

impl Checklist {
    /// One entry per credential: findings grouped by value, and a weak, chosen or placeholder
    /// value also by the system it guards.
    pub fn build(items: Vec<Item>, rules: &RuleSet, opts: &BuildOptions) -> Checklist {
        let items: Vec<Item> = items
            .into_iter()
            .filter(|i| i.confidence.map_or(true, |c| c >= opts.min_confidence))
            .collect();
        let findings = items.len();
        let mut by_value: BTreeMap<String, Vec<Item>> = BTreeMap::new();
        for item in items {
            by_value
                .entry(item.secret_sha256.clone())
                .or_default()
                .push(item);
        }
        let mut groups: Vec<Group> = Vec::new();
        for group in by_value.into_values() {
            if group.iter().all(|i| generated(i, rules)) {
                groups.push((None, group));
                continue;
            }
            let mut by_system: BTreeMap<String, Vec<Item>> = BTreeMap::new();
            for item in group {
                by_system.entry(system::of(&item)).or_default().push(item);
            }
            groups.extend(by_system.into_iter().map(|(s, g)| (Some(s), g)));
        }
        pair_aws_keys(&mut groups);
        let mut entries: Vec<Entry> = groups
            .into_iter()
            .map(|(system, group)| entry(group, system, rules, opts.now))
            .collect();
        entries.sort_by(|a, b| {
            (
                b.severity,
                b.at_head || b.in_worktree,
                b.exposure_days.unwrap_or(0),
                &a.kind,
                &a.system,
            )
                .cmp(&(
                    a.severity,
                    a.at_head || a.in_worktree,
                    a.exposure_days.unwrap_or(0),
                    &b.kind,
                    &b.system,
                ))
        });
        join_purges(&mut entries);
        let purge = entries.iter().any(|e| e.purge.is_some()).then(|| {
            let file = opts.saved_as.as_deref().unwrap_or("checklist.json");
            let mut command = format!("scour purge --mode redact --findings {}", quote(file));
            if entries.iter().any(|e| e.purge.is_some() && e.at_head) {
                command.push_str(" --include-head");
            }
            command
        });
        Checklist {
            version: 2,
            findings,
            overview: Overview::of(&entries),
            purge,
            entries,
        }
    }
}

/// Gives entries that share a value (a weak value in several systems) or a blob (two values
/// in one file) one purge command: a purge removes whole blobs and then verifies that none of
/// the values they held is left anywhere, so it cannot take one of them alone.
fn join_purges(entries: &mut [Entry]) {
    // Union-find over entries, joined through each value and each blob they hold.
    let mut parent: Vec<usize> = (0..entries.len()).collect();
    fn root(parent: &mut [usize], mut i: usize) -> usize {
        while parent[i] != i {
            parent[i] = parent[parent[i]];
            i = parent[i];
        }
        i
    }
    let mut owner: BTreeMap<&str, usize> = BTreeMap::new();
    for (i, e) in entries.iter().enumerate() {
        let blobs = e.locations.iter().flat_map(|l| l.blobs.iter());
        for key in std::iter::once(&e.secret_sha256).chain(blobs) {
            if let Some(&j) = owner.get(key.as_str()) {
                let (a, b) = (root(&mut parent, i), root(&mut parent, j));
                parent[a] = b;
            } else {
                owner.insert(key, i);
            }
        }
    }
    let mut components: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
    for i in 0..entries.len() {
        let r = root(&mut parent, i);
        components.entry(r).or_default().push(i);
    }
    for members in components.into_values().filter(|m| m.len() > 1) {
        let locations: Vec<Location> = members
            .iter()
            .flat_map(|&i| entries[i].locations.iter().cloned())
            .collect();
        let command = purge_command(&locations);
        for &i in &members {
            entries[i].purge = command.clone();
            if command.is_some() {
                entries[i].purge_with = members
                    .iter()
                    .filter(|&&j| j != i)
                    .map(|&j| j + 1)
                    .collect();
            }
        }
    }
}

/// A value generated rather than chosen (a token format, or random-looking where it was
/// judged): one credential wherever it appears. Findings of reports older than the judgement
/// (no reason) count as generated unless flagged weak, as they were grouped before.
fn generated(item: &Item, rules: &RuleSet) -> bool {
    if item.weak || item.placeholder {
        return false;
    }
    rules.get(&item.rule).is_some_and(|r| r.distinctive)
        || item.reason.is_empty()
        || item.reason.starts_with(GENERATED_REASON)
}

/// How the confidence model's reason starts for a random-looking value.
const GENERATED_REASON: &str = "random-looking";

/// `s` as one shell word.
fn quote(s: &str) -> String {
    if s.chars()
        .all(|c| c.is_ascii_alphanumeric() || "-_./:@=+".contains(c))
    {
        s.to_string()
    } else {
        format!("'{}'", s.replace('\'', "'\\''"))
    }
}

fn entry(group: Vec<Item>, system: Option<String>, rules: &RuleSet, now: i64) -> Entry {
    let severity = group
        .iter()
        .map(|i| i.severity)
        .max()
        .expect("groups are not empty");
    // The most specific rule names the category; in a key pair, the secret key leads.
    let lead = group
        .iter()
        .max_by_key(|i| {
            (
                i.rule != AWS_KEY_ID,
                rules.get(&i.rule).map_or(0, |r| r.priority),
                i.severity,
            )
        })
        .expect("groups are not empty");
    let system = system.unwrap_or_else(|| busiest_system(&group));
    let locations = locations(&group);
    let first = group.iter().filter(|i| i.date.is_some()).min_by(|a, b| {
        a.date
            .as_deref()
            .and_then(seconds)
            .cmp(&b.date.as_deref().and_then(seconds))
    });
    let last_seen = group
        .iter()
        .filter_map(|i| i.last_date.clone().or_else(|| i.date.clone()))
        .max_by_key(|d| seconds(d));
    let at_head = group.iter().any(|i| i.in_head);
    let in_worktree = group.iter().any(|i| i.worktree);
    let exposure_days = first
        .and_then(|f| f.date.as_deref())
        .and_then(seconds)
        .map(|start| {
            let end = if at_head || in_worktree {
                now
            } else {
                last_seen.as_deref().and_then(seconds).unwrap_or(start)
            };
            (end - start).max(0) / 86_400
        });
    let mut refs: BTreeSet<String> = BTreeSet::new();
    for i in &group {
        refs.extend(i.refs.iter().cloned());
    }
    let refs_total = group
        .iter()
        .map(|i| i.refs_total)
        .max()
        .unwrap_or(0)
        .max(refs.len());
    let rule_ids: BTreeSet<String> = group.iter().map(|i| i.rule.clone()).collect();
    let mut rotation: Vec<String> = Vec::new();
    for id in &rule_ids {
        let text = rules.get(id).map(|r| r.rotation.as_str()).unwrap_or(
            "- Revoke the credential where it was issued and issue a new one, stored outside the repository.",
        );
        for step in steps(text) {
            if !rotation.contains(&step) {
                rotation.push(step);
            }
        }
    }
    let kind = describe(&group, lead);
    let warning = if group.iter().any(|i| i.placeholder) {
        Some(match lead.category {
            Category::JwtSecret => {
                "a placeholder JWT signing key: anyone can forge tokens".to_string()
            }
            Category::Password | Category::ConnectionString => {
                "a placeholder password: anyone who reads the repository knows it".to_string()
            }
            _ => "a placeholder value: anyone who reads the repository knows it".to_string(),
        })
    } else if group.iter().any(|i| i.weak) {
        Some(match lead.category {
            Category::JwtSecret => {
                "a weak signing key: anyone can guess it and forge tokens".to_string()
            }
            _ => "a weak or default value: anyone can guess it".to_string(),
        })
    } else {
        None
    };
    Entry {
        kind,
        system,
        severity,
        confidence: group.iter().filter_map(|i| i.confidence).max(),
        category: lead.category,
        secret: lead.secret.clone(),
        secret_sha256: lead.secret_sha256.clone(),
        warning,
        rules: rule_ids.into_iter().collect(),
        first_seen: first.and_then(|f| f.date.clone()),
        first_commit: first.and_then(|f| f.commit.clone()),
        first_author: first.and_then(|f| f.author.clone()),
        last_seen,
        at_head,
        in_worktree,
        refs_total,
        refs: refs
            .into_iter()
            .take(crate::source::git::MAX_REFS)
            .collect(),
        unreachable_only: group.iter().all(|i| i.unreachable),
        exposure_days,
        rotation,
        purge: purge_command(&locations),
        purge_with: Vec::new(),
        locations,
    }
}

/// The system holding a random-looking value at the most paths (the first by name on a tie).
fn busiest_system(group: &[Item]) -> String {
    let mut counts: BTreeMap<String, usize> = BTreeMap::new();
    let mut seen: BTreeSet<&str> = BTreeSet::new();
    for item in group {
        if seen.insert(&item.path) {
            *counts.entry(system::of(item)).or_default() += 1;
        }
    }
    counts
        .into_iter()
        .max_by(|a, b| a.1.cmp(&b.1).then(b.0.cmp(&a.0)))
        .map(|(s, _)| s)
        .expect("groups are not empty")
}

/// One location per path: its versions joined, with the line of the version that matters
/// now (HEAD's or the disk's, else the latest).
fn locations(group: &[Item]) -> Vec<Location> {
    let mut by_path: BTreeMap<&str, Vec<&Item>> = BTreeMap::new();
    for item in group {
        by_path.entry(&item.path).or_default().push(item);
    }
    by_path
        .into_iter()
        .map(|(path, items)| location(path, &items))
        .collect()
}

fn location(path: &str, items: &[&Item]) -> Location {
    let last_seconds = |i: &Item| {
        i.last_date
            .as_deref()
            .or(i.date.as_deref())
            .and_then(seconds)
    };
    let current = items
        .iter()
        .max_by_key(|i| {
            (
                i.in_head || i.worktree,
                last_seconds(i),
                std::cmp::Reverse(i.line),
            )
        })
        .expect("a path has items");
    let first = items
        .iter()
        .filter(|i| i.date.is_some())
        .min_by_key(|i| i.date.as_deref().and_then(seconds));
    let last = items
        .iter()
        .filter(|i| i.last_date.is_some() || i.date.is_some())
        .max_by_key(|i| last_seconds(i));
    // Several findings can share a blob (the value on two lines): count each blob once.
    let mut blobs: BTreeMap<&str, usize> = BTreeMap::new();
    for item in items {
        if let Some(blob) = &item.blob {
            let commits = blobs.entry(blob).or_default();
            *commits = (*commits).max(item.commits);
        }
    }
    Location {
        path: path.to_string(),
        line: current.line,
        first_commit: first.and_then(|f| f.commit.clone()),
        author: first.and_then(|f| f.author.clone()),
        first_date: first.and_then(|f| f.date.clone()),
        last_commit: last.and_then(|l| l.last_commit.clone().or_else(|| l.commit.clone())),
        last_date: last.and_then(|l| l.last_date.clone().or_else(|| l.date.clone())),
        versions: blobs.len(),
        commits: blobs.values().sum(),
        decoded: current.decoded.clone(),
        blobs: blobs.keys().map(|b| b.to_string()).collect(),
        in_head: items.iter().any(|i| i.in_head),
        unreachable: items.iter().all(|i| i.unreachable),
        worktree: items.iter().any(|i| i.worktree),
    }
}

/// What the credential most likely is, from the rules, the key names and the paths.
fn describe(group: &[Item], lead: &Item) -> String {
    if lead.rule == AWS_SECRET_KEY {
        if let Some(id) = group.iter().find(|i| i.rule == AWS_KEY_ID) {
            return format!("AWS key pair (access key id {})", id.secret);
        }
    }
    let service = || {
        let texts = group
            .iter()
            .flat_map(|i| {
                [
                    i.key.clone().unwrap_or_default(),
                    i.rule.clone(),
                    i.path.clone(),
                ]
            })
            .map(|t| t.to_ascii_lowercase());
        let texts: Vec<String> = texts.collect();
        SERVICES
            .iter()
            .find(|(needle, _)| texts.iter().any(|t| t.contains(needle)))
            .map(|(_, name)| *name)
    };
    match lead.category {
        Category::Password | Category::ConnectionString => match service() {
            Some(name) => format!("{name} password"),
            None => match group.iter().find_map(|i| i.key.clone()) {
                Some(key) => format!("Password ({key})"),
                None => "Password".to_string(),
            },
        },
        Category::JwtSecret => "JWT signing key".to_string(),
        Category::Jwt => "JSON Web Token".to_string(),
        Category::RegistryToken => {
            let host = group
                .iter()
                .filter(|i| i.rule == "registry.docker-auth")
                .find_map(|i| i.key.clone())
                .map(|h| {
                    h.trim_start_matches("https://")
                        .trim_end_matches('/')
                        .to_string()
                });
            match host {
                Some(host) => format!("{host} registry token"),
                None => lead.title.clone(),
            }
        }
        _ => lead.title.clone(),
    }
}

/// An AWS secret key found beside an access key id (same path, same blob) takes in the id's
/// findings: one "AWS key pair" entry.
fn pair_aws_keys(groups: &mut Vec<Group>) {
    let mut i = 0;
    while i < groups.len() {
        let secret = &groups[i].1;
        if !secret.iter().any(|s| s.rule == AWS_SECRET_KEY) {
            i += 1;
            continue;
        }
        let beside = |(_, ids): &Group| {
            ids.iter().all(|id| id.rule == AWS_KEY_ID)
                && ids.iter().any(|id| {
                    secret
                        .iter()
                        .any(|s| s.path == id.path && s.blob == id.blob)
                })
        };
        if let Some(j) = groups.iter().position(beside) {
            let (_, ids) = groups.remove(j);
            if j < i {
                i -= 1;
            }
            groups[i].1.extend(ids);
        }
        i += 1;
    }
}

/// The bullet points of a rule's rotation text, one step each (continuation lines joined).
fn steps(text: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for line in text.lines().map(str::trim).filter(|l| !l.is_empty()) {
        match line.strip_prefix("- ") {
            Some(step) => out.push(step.to_string()),
            None => match out.last_mut() {
                Some(last) => {
                    last.push(' ');
                    last.push_str(line);
                }
                None => out.push(line.to_string()),
            },
        }
    }
    out
}

/// The `scour purge` command that removes exactly the credential's blobs from history (every
/// one named: a path would also take versions that never held it), rewriting branch tips too
/// when HEAD still holds it.
fn purge_command(locations: &[Location]) -> Option<String> {
    let in_history = || locations.iter().filter(|l| !l.path.starts_with('('));
    let blobs: BTreeSet<&str> = in_history()
        .flat_map(|l| l.blobs.iter().map(String::as_str))
        .collect();
    if blobs.is_empty() {
        return None;
    }
    let mut command = String::from("scour purge --mode redact");
    for blob in blobs {
        command.push_str(" --blob ");
        command.push_str(blob);
    }
    if in_history().any(|l| l.in_head) {
        command.push_str(" --include-head");
    }
    Some(command)
}

/// Seconds since the epoch of an RFC 3339 date such as `2024-11-19T10:00:00+01:00`.
pub fn seconds(date: &str) -> Option<i64> {
    let b = date.as_bytes();
    if b.len() < 19 {
        return None;
    }
    let num = |r: std::ops::Range<usize>| date.get(r)?.parse::<i64>().ok();
    let (y, mo, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (h, mi, s) = (num(11..13)?, num(14..16)?, num(17..19)?);
    let offset = match b.get(19) {
        Some(b'+') | Some(b'-') => {
            let sign = if b[19] == b'-' { -1 } else { 1 };
            sign * (num(20..22)? * 3600 + num(23..25)? * 60)
        }
        _ => 0,
    };
    // Days from the civil date (Howard Hinnant's algorithm).
    let y = if mo <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (mo + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    Some(days * 86_400 + h * 3600 + mi * 60 + s - offset)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3339_seconds() {
        assert_eq!(seconds("1970-01-01T00:00:00+00:00"), Some(0));
        assert_eq!(seconds("2024-11-19T10:00:00+00:00"), Some(1_732_010_400));
        assert_eq!(seconds("2024-11-19T11:00:00+01:00"), Some(1_732_010_400));
        assert_eq!(seconds("2000-03-01T00:00:00Z"), Some(951_868_800));
        assert_eq!(seconds("garbage"), None);
    }

    #[test]
    fn the_generated_reason_is_the_confidence_models() {
        use crate::detect::confidence::{assess, Evidence};
        use crate::detect::{context::Context, judge::Strength};
        for context in [Context::Config, Context::Test] {
            let assessment = assess(&Evidence {
                distinctive: false,
                strength: Strength::Strong,
                context,
                commented: false,
                example_like: false,
            });
            assert!(assessment.reason.starts_with(GENERATED_REASON));
        }
    }

    #[test]
    fn rotation_steps_join_continuations() {
        let text = "- First step\n  continues here.\n- Second.\n";
        assert_eq!(steps(text), vec!["First step continues here.", "Second."]);
    }
}
