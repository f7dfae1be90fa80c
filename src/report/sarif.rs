//! SARIF 2.1.0, in the subset GitHub code scanning reads.

use std::collections::BTreeMap;
use std::io::{self, Write};

use serde_json::{json, Value};

use crate::rules::{Rule, RuleSet, Severity};
use crate::scan::Outcome;

const SCHEMA: &str = "https://json.schemastore.org/sarif-2.1.0.json";

fn level(severity: Severity) -> &'static str {
    match severity {
        Severity::Critical | Severity::High => "error",
        Severity::Medium => "warning",
        Severity::Low => "note",
    }
}

/// GitHub ranks alerts by this 0-10 score.
fn security_severity(severity: Severity) -> &'static str {
    match severity {
        Severity::Critical => "9.5",
        Severity::High => "8.0",
        Severity::Medium => "5.5",
        Severity::Low => "3.0",
    }
}

/// What to do about a rule's findings, as plain text.
fn help_text(r: &Rule) -> String {
    format!(
        "{}\n\nRotate the credential first: once committed or pushed it must be treated as leaked. \
         Then remove it from the file (read it from the environment or a secret manager), and from \
         history with `scour purge`.\n\nRotation:\n{}\n\nIf it is not a secret: a `scour:allow` comment \
         on the line, or an [allow] entry in .scour.toml.",
        r.title,
        r.rotation.trim()
    )
}

/// The same as Markdown, which GitHub shows on the alert.
fn help_markdown(r: &Rule) -> String {
    let steps: String = r
        .rotation
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(|l| format!("- {}\n", l.trim_start_matches("- ")))
        .collect();
    format!(
        "**{}** (`{}`, {})\n\n**Rotate the credential first**: once committed or pushed it must be \
         treated as leaked. Then remove it from the file and from history (`scour purge`).\n\n\
         Rotation:\n\n{steps}\nNot a secret? Add a `scour:allow` comment on the line, or an `[allow]` \
         entry in `.scour.toml`.",
        r.title,
        r.id,
        r.category.as_str()
    )
}

/// Writes one SARIF log with one run; only rules that fired are described.
pub fn write(
    out: &mut dyn Write,
    outcome: &Outcome,
    rules: &RuleSet,
    show_secrets: bool,
) -> io::Result<()> {
    let mut used: BTreeMap<&str, usize> = BTreeMap::new();
    for f in &outcome.findings {
        let next = used.len();
        used.entry(f.rule.as_str()).or_insert(next);
    }
    let mut ordered: Vec<(&str, usize)> = used.iter().map(|(k, v)| (*k, *v)).collect();
    ordered.sort_by_key(|(_, i)| *i);
    let descriptors: Vec<Value> = ordered
        .iter()
        .filter_map(|(id, _)| rules.get(id))
        .map(|r| {
            json!({
                "id": r.id.as_str(),
                "name": pascal_case(r.id.as_str()),
                "shortDescription": {"text": r.title},
                "fullDescription": {"text": format!("{} ({}).", r.title, r.category.as_str())},
                "help": {
                    "text": help_text(r),
                    "markdown": help_markdown(r),
                },
                "defaultConfiguration": {"level": level(r.severity)},
                "properties": {
                    "tags": ["security", "secret", r.category.as_str()],
                    "security-severity": security_severity(r.severity),
                },
            })
        })
        .collect();
    let results: Vec<Value> = outcome
        .findings
        .iter()
        .map(|f| {
            let decoded = if f.decoded.is_empty() {
                String::new()
            } else {
                format!(", decoded from {}", f.decoded.join(" > "))
            };
            json!({
                "ruleId": f.rule.as_str(),
                "ruleIndex": used[f.rule.as_str()],
                "level": level(f.severity),
                "message": {"text": format!("{}: {}{}", f.title, f.shown_secret(show_secrets), decoded)},
                "locations": [{
                    "physicalLocation": {
                        "artifactLocation": {"uri": f.path.replace('\\', "/")},
                        "region": {
                            "startLine": f.line,
                            "startColumn": f.value_span.0 + 1,
                            "endLine": f.line,
                            "endColumn": f.value_span.1.max(f.value_span.0 + 1) + 1,
                        },
                    }
                }],
                "partialFingerprints": {"scour/credential/v1": f.fingerprint},
                "properties": {
                    "secret_sha256": f.secret_sha256,
                    "severity": f.severity.as_str(),
                    "confidence": f.confidence.as_str(),
                    "context": f.context.as_str(),
                    "commented": f.commented,
                },
            })
        })
        .collect();
    let log = json!({
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "scour",
                "version": env!("CARGO_PKG_VERSION"),
                "rules": descriptors,
            }},
            "results": results,
            // GitHub keeps one category's alerts apart from another's (scan vs history).
            "automationDetails": {"id": format!("scour/{}/", if outcome.summary.git.is_some() { "history" } else { "scan" })},
        }],
    });
    serde_json::to_writer_pretty(&mut *out, &log)?;
    writeln!(out)
}

/// A rule's readable name for SARIF, which must differ from its id: `generic.yaml-password`
/// becomes `GenericYamlPassword`.
fn pascal_case(id: &str) -> String {
    id.split(['.', '-', '_'])
        .filter(|w| !w.is_empty())
        .map(|w| {
            let mut chars = w.chars();
            chars
                .next()
                .map(|c| c.to_ascii_uppercase().to_string() + chars.as_str())
                .unwrap_or_default()
        })
        .collect()
}
