//! GitLab's Secret Detection report (`gl-secret-detection-report.json`), version 15 of its
//! published schema, so that findings show in merge requests and the security dashboard.

use std::io::{self, Write};

use serde_json::{json, Value};

use crate::rules::Severity;
use crate::scan::Outcome;

/// The schema version the report follows.
pub const SCHEMA_VERSION: &str = "15.0.7";

/// Outside git GitLab's own analyzer gives this commit; GitLab requires one.
const NO_COMMIT: &str = "0000000";

fn severity(s: Severity) -> &'static str {
    match s {
        Severity::Critical => "Critical",
        Severity::High => "High",
        Severity::Medium => "Medium",
        Severity::Low => "Low",
    }
}

/// `YYYY-MM-DDTHH:MM:SS` in UTC, the only form the schema accepts.
fn timestamp(unix: i64) -> String {
    let text =
        gix::date::Time::new(unix, 0).format_or_unix(gix::date::time::format::ISO8601_STRICT);
    text.chars().take(19).collect()
}

/// Writes the report; secrets are redacted unless `show_secrets`.
pub fn write(out: &mut dyn Write, outcome: &Outcome, show_secrets: bool) -> io::Result<()> {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64);
    let started = now - outcome.summary.seconds.ceil() as i64;
    let tool = json!({
        "id": "scour",
        "name": "scour",
        "version": env!("CARGO_PKG_VERSION"),
        "vendor": {"name": "scour"},
    });
    let vulnerabilities: Vec<Value> = outcome
        .findings
        .iter()
        .map(|f| {
            let commit = f
                .git
                .as_ref()
                .and_then(|g| g.commit.clone())
                .unwrap_or_else(|| NO_COMMIT.to_string());
            // One id per credential and place: GitLab tracks a vulnerability across pipelines
            // by it.
            let id = crate::finding::sha256_hex(
                format!("{}\0{}\0{}\0{}", f.fingerprint, f.path, f.line, commit).as_bytes(),
            );
            json!({
                "id": id,
                "category": "secret_detection",
                "name": f.title,
                "description": format!(
                    "{} ({}, {} confidence): {}",
                    f.title,
                    f.category.as_str(),
                    f.confidence.as_str(),
                    f.shown_secret(show_secrets)
                ),
                "severity": severity(f.severity),
                "confidence": "Unknown",
                "raw_source_code_extract": f.shown_secret(show_secrets),
                "scanner": {"id": "scour", "name": "scour"},
                "identifiers": [{
                    "type": "scour_rule_id",
                    "name": format!("scour rule {}", f.rule),
                    "value": f.rule.as_str(),
                }],
                "location": {
                    "file": f.path,
                    "start_line": f.line,
                    "end_line": f.line,
                    "commit": {"sha": commit},
                },
            })
        })
        .collect();
    let report = json!({
        "version": SCHEMA_VERSION,
        "scan": {
            "analyzer": tool,
            "scanner": tool,
            "type": "secret_detection",
            "start_time": timestamp(started),
            "end_time": timestamp(now),
            "status": "success",
        },
        "vulnerabilities": vulnerabilities,
    });
    serde_json::to_writer_pretty(&mut *out, &report)?;
    writeln!(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_have_the_schemas_shape() {
        assert_eq!(timestamp(0), "1970-01-01T00:00:00");
        assert_eq!(timestamp(1_700_000_000), "2023-11-14T22:13:20");
    }
}
