//! The rotation checklist: findings grouped into one entry per credential, with what it is,
//! where and since when it leaked, how to rotate it and how to purge it.
//!
//! A checklist is built from finding *records* (the JSON report's shape), so that a checklist
//! from a saved report (`--from`) and one from a fresh scan are the same thing.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

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
    /// Latest commit's date.
    #[serde(default)]
    pub last_date: Option<String>,
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

/// The findings of a saved `--format json` (or `jsonl`) report.
pub fn load_report(path: &std::path::Path) -> Result<Vec<Item>, String> {
    let text = std::fs::read_to_string(path).map_err(|e| e.to_string())?;
    crate::report::json::read_findings(&text)
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

/// Where one credential was found.
#[derive(Debug, Clone, Serialize, PartialEq, Eq, PartialOrd, Ord)]
pub struct Location {
    /// Path and line.
    pub path: String,
    /// 1-based line.
    pub line: usize,
    /// Earliest commit holding it there (history), or none (working tree).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub commit: Option<String>,
    /// That commit's author.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub author: Option<String>,
    /// That commit's date.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub date: Option<String>,
    /// Decoding layers.
    pub decoded: Vec<String>,
    /// Blob holding it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub blob: Option<String>,
    /// Still at HEAD there.
    pub in_head: bool,
    /// Only in unreachable objects.
    pub unreachable: bool,
    /// Found in the working tree.
    pub worktree: bool,
}

/// One credential to rotate.
#[derive(Debug, Clone, Serialize)]
pub struct Entry {
    /// What it most likely is: "PostgreSQL password", "ghcr.io registry token"...
    pub kind: String,
    /// The most severe of its findings.
    pub severity: Severity,
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
    /// Every place it was found.
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
    /// The command that removes it from history, when it is in history.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub purge: Option<String>,
}

/// The checklist: entries in the order to work through them.
#[derive(Debug, Clone, Serialize)]
pub struct Checklist {
    /// Version of the JSON shape.
    pub version: u32,
    /// The entries.
    pub entries: Vec<Entry>,
    /// How many findings they group.
    pub findings: usize,
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

impl Checklist {
    /// Groups `items` by secret value; `now` (seconds since the epoch) ends the exposure of
    /// credentials still at HEAD.
    pub fn build(items: Vec<Item>, rules: &RuleSet, now: i64) -> Checklist {
        let findings = items.len();
        let mut groups: BTreeMap<String, Vec<Item>> = BTreeMap::new();
        for item in items {
            groups
                .entry(item.secret_sha256.clone())
                .or_default()
                .push(item);
        }
        let mut entries: Vec<Entry> = groups
            .into_values()
            .map(|group| entry(group, rules, now))
            .collect();
        pair_aws_keys(&mut entries);
        entries.sort_by(|a, b| {
            (
                b.severity,
                b.at_head || b.in_worktree,
                b.exposure_days.unwrap_or(0),
                &a.kind,
            )
                .cmp(&(
                    a.severity,
                    a.at_head || a.in_worktree,
                    a.exposure_days.unwrap_or(0),
                    &b.kind,
                ))
        });
        Checklist {
            version: 1,
            entries,
            findings,
        }
    }
}

fn entry(group: Vec<Item>, rules: &RuleSet, now: i64) -> Entry {
    let severity = group
        .iter()
        .map(|i| i.severity)
        .max()
        .expect("groups are not empty");
    // The most specific rule names the category.
    let lead = group
        .iter()
        .max_by_key(|i| (rules.get(&i.rule).map_or(0, |r| r.priority), i.severity))
        .expect("groups are not empty");
    let mut locations: Vec<Location> = group
        .iter()
        .map(|i| Location {
            path: i.path.clone(),
            line: i.line,
            commit: i.commit.clone(),
            author: i.author.clone(),
            date: i.date.clone(),
            decoded: i.decoded.clone(),
            blob: i.blob.clone(),
            in_head: i.in_head,
            unreachable: i.unreachable,
            worktree: i.worktree,
        })
        .collect();
    locations.sort();
    locations.dedup();
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
        severity,
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
        locations,
    }
}

/// What the credential most likely is, from the rules, the key names and the paths.
fn describe(group: &[Item], lead: &Item) -> String {
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

/// An AWS secret key found beside an access key id becomes one "AWS key pair" entry.
fn pair_aws_keys(entries: &mut Vec<Entry>) {
    let mut i = 0;
    while i < entries.len() {
        if !entries[i]
            .rules
            .iter()
            .any(|r| r == "cloud.aws-secret-access-key")
        {
            i += 1;
            continue;
        }
        let beside = |e: &Entry| {
            e.rules.iter().all(|r| r == "cloud.aws-access-key-id")
                && e.locations.iter().any(|l| {
                    entries[i]
                        .locations
                        .iter()
                        .any(|s| s.path == l.path && s.blob == l.blob)
                })
        };
        if let Some(j) = entries.iter().position(beside) {
            let id = entries.remove(j);
            let i = if j < i { i - 1 } else { i };
            let pair = &mut entries[i];
            pair.kind = format!("AWS key pair (access key id {})", id.secret);
            pair.locations.extend(id.locations);
            pair.locations.sort();
            pair.rules.extend(id.rules);
            pair.severity = pair.severity.max(id.severity);
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

/// How many blob ids a purge command lists before it names paths instead.
const MAX_PURGE_BLOBS: usize = 8;

/// The `scour purge` command that removes the credential from history.
fn purge_command(locations: &[Location]) -> Option<String> {
    let blobs: BTreeSet<&str> = locations
        .iter()
        .filter(|l| !l.path.starts_with('('))
        .filter_map(|l| l.blob.as_deref())
        .collect();
    if blobs.is_empty() {
        return None;
    }
    let mut command = String::from("scour purge --mode redact");
    if blobs.len() <= MAX_PURGE_BLOBS {
        for blob in blobs {
            command.push_str(&format!(" --blob {blob}"));
        }
    } else {
        let paths: BTreeSet<&str> = locations
            .iter()
            .filter(|l| l.blob.is_some() && !l.path.starts_with('('))
            .map(|l| l.path.as_str())
            .collect();
        for path in paths {
            command.push_str(&format!(" --path '{}'", path.replace('\'', "'\\''")));
        }
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
    fn rotation_steps_join_continuations() {
        let text = "- First step\n  continues here.\n- Second.\n";
        assert_eq!(steps(text), vec!["First step continues here.", "Second."]);
    }
}
