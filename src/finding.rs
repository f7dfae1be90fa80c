//! Findings: a match placed in its file, with the ids that let it be tracked without its value.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use std::path::Path;

use crate::detect::confidence::{self, Confidence, Evidence};
use crate::detect::context::{Context, Site};
use crate::detect::{judge, learned, test_module, Match};
use crate::rules::{Category, Rule, RuleId, Severity};

/// A credential found at one place.
#[derive(Debug, Clone, PartialEq)]
pub struct Finding {
    /// The rule that found it.
    pub rule: RuleId,
    /// The rule's title.
    pub title: String,
    /// What kind of credential it is.
    pub category: Category,
    /// How bad its leak is.
    pub severity: Severity,
    /// The raw secret; shown only through [`Finding::shown_secret`].
    secret: String,
    /// Hex SHA-256 of the raw secret.
    pub secret_sha256: String,
    /// Hex id of the credential: rule family plus secret.
    pub fingerprint: String,
    /// Encodings the secret sat under, outermost first.
    pub decoded: Vec<&'static str>,
    /// A default, placeholder or dictionary value.
    pub weak: bool,
    /// A stand-in meant to be replaced (`replace-me`, `changeme`).
    pub placeholder: bool,
    /// The name the secret was assigned to, when the rule captures one.
    pub key: Option<String>,
    /// Path of the outermost file, as given or found by the walk.
    pub path: String,
    /// 1-based line in the outermost file.
    pub line: usize,
    /// 1-based column (in characters) in the outermost file.
    pub column: usize,
    /// 0-based character offsets of the value (or its encoded form) in its line.
    pub value_span: (usize, usize),
    /// Where the file sits: configuration, code, a test, an example, documentation.
    pub context: Context,
    /// The line is commented out.
    pub commented: bool,
    /// How likely it is a real credential.
    pub confidence: Confidence,
    /// Why it has that confidence.
    pub reason: String,
    /// The learned filter's features, kept only when `SCOUR_FEATURES=1` asks to print them.
    pub features: Option<Vec<String>>,
    /// Where in git history it sits, for findings from `scour history`: shared by every
    /// finding of one blob at one path.
    pub git: Option<std::sync::Arc<Provenance>>,
}

/// Where a finding sits in git history.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Provenance {
    /// Hex id of the blob (or, for a message, of the commit or tag) holding the secret.
    pub blob: String,
    /// Earliest commit whose tree holds the blob at this path.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub commit: Option<String>,
    /// That commit's author, `Name <email>`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub author: Option<String>,
    /// That commit's author date, RFC 3339.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub date: Option<String>,
    /// The latest commit (by author date) whose tree holds the blob at this path.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_commit: Option<String>,
    /// That commit's author date, RFC 3339.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_date: Option<String>,
    /// How many commits hold the blob at this path.
    pub commits: usize,
    /// Whether HEAD still holds it.
    pub in_head: bool,
    /// Found only among objects no ref reaches (`--all-objects`).
    pub unreachable: bool,
    /// Refs whose history holds it (capped; `refs_total` has the count).
    pub refs: Vec<String>,
    /// How many refs reach it.
    pub refs_total: usize,
}

/// Why a value that is not a token format is no live credential wherever its strength and
/// key would place it, if it is: its line carries another tool's mark that a person judged it
/// no secret, it is a weak or chosen value written for a reader (in documentation, an example
/// or a description's text), it is a program's messages in a translation, or one of a data
/// file's set of values in a test, example or document (hundreds of users' passwords in an
/// LDIF; a test's code states each case apart).
fn why_not_live(
    m: &Match,
    context: Context,
    path: Option<&Path>,
    strength: judge::Strength,
) -> Option<String> {
    if m.clues.has(crate::detect::clues::Clue::MarkedSafe) {
        return Some(
            "marked as no secret by a comment on its line (`nosec`, `gitleaks:allow`)".into(),
        );
    }
    if let Some(path) = path {
        if crate::detect::context::is_translation(path) {
            return Some("interface text in a translation".into());
        }
        let data_file = crate::detect::FileKind::from_path(path) != crate::detect::FileKind::Source;
        if m.in_data_set
            && data_file
            && matches!(context, Context::Test | Context::Example | Context::Docs)
        {
            return Some(format!(
                "one of {}+ values of one key in a data set",
                crate::detect::DATA_SET
            ));
        }
    }
    // Picked for the reader (`'PASSWORD': 's3krit'` in a guide), unless it reads as generated:
    // a pasted live key stays reported. Labelled code corpora count such values as
    // credentials, so the learned filter lifts them; a user does not.
    let for_a_reader = matches!(context, Context::Docs | Context::Example)
        || m.clues.has(crate::detect::clues::Clue::Describes);
    (for_a_reader && strength != judge::Strength::Strong).then(|| {
        "written for a reader (documentation, an example, a description or example field)".into()
    })
}

impl Finding {
    /// Places a detector match at `placement` in what is shown as `path`; `site` says what
    /// holds it (a file and the path whose conventions apply, or a message).
    pub fn new(
        rule: &Rule,
        m: &Match,
        path: &str,
        site: Site<'_>,
        placement: Placement,
    ) -> Finding {
        let context_path = site.path();
        let context = match site.context() {
            // A Rust file's `#[cfg(test)]` module holds its tests.
            Context::Code if m.in_test_module && test_module::holds_tests(context_path) => {
                Context::Test
            }
            context => context,
        };
        let commented = m.comment.is_some_and(|c| c.comments_out(context_path));
        let in_code = context_path.is_some_and(|p| {
            crate::detect::FileKind::from_path(p) == crate::detect::FileKind::Source
        });
        let exemplary = m.exemplary(in_code);
        let words = context_words(m.key.as_deref(), context_path);
        let words: Vec<&str> = words.iter().map(String::as_str).collect();
        // A distinctive format's confidence is the hand model's, which reads only the value's
        // strength: the learned filter's reading and features are wanted only to print them.
        let weighed = !rule.distinctive || learned::emit_features();
        let read = if weighed {
            judge::read_value(&m.secret, &words)
        } else {
            judge::read_strength(&m.secret, &words)
        };
        let strength = read.strength;
        let hand = confidence::assess(&Evidence {
            distinctive: rule.distinctive,
            strength,
            context,
            commented,
            example_like: exemplary,
        });
        let mut features = Vec::new();
        if weighed {
            features = learned::features(&learned::Candidate {
                rule: rule.id.as_str(),
                category: rule.category.as_str(),
                key: m.key.as_deref(),
                value: &m.secret,
                read: &read,
                context,
                path: context_path,
                commented,
                exemplary,
                decoded: !m.decoded.is_empty(),
                clues: m.clues,
            });
            // The hand model's level is one more feature: it knows which strengths count where.
            features.push(format!("hand:{}", hand.confidence.as_str()));
            if rule.net {
                features.push("net".into());
            }
        }
        // A distinctive format is a credential wherever it sits, and vendored code's other
        // values are its owner's to judge; everything else is weighed.
        let assessment = if rule.distinctive || context == Context::Vendored {
            hand
        } else {
            let verdict = learned::Model::builtin().judge(
                &features,
                hand.confidence,
                learned::ValueSide {
                    strength,
                    commented,
                },
            );
            let floor = if rule.net {
                Confidence::Low
            } else {
                confidence::floor(&hand, context, strength, commented, exemplary)
            };
            if let Some(why) = why_not_live(m, context, context_path, strength) {
                confidence::Assessment {
                    confidence: Confidence::Low,
                    reason: format!("{}; {why}", hand.reason),
                }
            } else {
                confidence::Assessment {
                    confidence: floor.max(verdict.confidence),
                    reason: format!("{}; {}", hand.reason, verdict.reason()),
                }
            }
        };
        Finding {
            rule: rule.id.clone(),
            title: rule.title.clone(),
            category: rule.category,
            severity: rule.severity,
            secret_sha256: sha256_hex(m.secret.as_bytes()),
            fingerprint: fingerprint(&rule.id, &m.secret),
            weak: strength == judge::Strength::Weak,
            placeholder: judge::is_placeholder(&m.secret),
            key: m.key.clone(),
            secret: m.secret.clone(),
            decoded: m.decoded.iter().map(|l| l.as_str()).collect(),
            path: path.to_string(),
            line: placement.line,
            column: placement.column,
            value_span: placement.value,
            context,
            commented,
            confidence: assessment.confidence,
            reason: assessment.reason,
            features: learned::emit_features().then_some(features),
            git: None,
        }
    }

    /// The secret as it may be printed: redacted unless `show` is set.
    pub fn shown_secret(&self, show: bool) -> String {
        if show {
            self.secret.clone()
        } else {
            redact(&self.secret)
        }
    }

    /// The JSON record of this finding (the output contract in DESIGN.md).
    pub fn record(&self, show_secrets: bool) -> Record<'_> {
        Record {
            rule: self.rule.as_str(),
            title: &self.title,
            category: self.category,
            severity: self.severity,
            secret: self.shown_secret(show_secrets),
            secret_sha256: &self.secret_sha256,
            fingerprint: &self.fingerprint,
            decoded: &self.decoded,
            weak: self.weak,
            placeholder: self.placeholder,
            key: self.key.as_deref(),
            path: &self.path,
            line: self.line,
            column: self.column,
            value_start: self.value_span.0,
            value_end: self.value_span.1,
            context: self.context,
            commented: self.commented,
            confidence: self.confidence,
            reason: &self.reason,
            features: self.features.as_deref(),
            git: self.git.as_deref(),
        }
    }
}

/// The serialised form of a finding.
#[derive(Debug, Serialize)]
pub struct Record<'a> {
    rule: &'a str,
    title: &'a str,
    category: Category,
    severity: Severity,
    secret: String,
    secret_sha256: &'a str,
    fingerprint: &'a str,
    decoded: &'a [&'static str],
    weak: bool,
    placeholder: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    key: Option<&'a str>,
    path: &'a str,
    line: usize,
    column: usize,
    value_start: usize,
    value_end: usize,
    context: Context,
    commented: bool,
    confidence: Confidence,
    reason: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    features: Option<&'a [String]>,
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    git: Option<&'a Provenance>,
}

/// Just enough of an earlier JSON report to read its fingerprints back.
#[derive(Debug, Deserialize)]
pub struct RecordIds {
    /// The finding's credential id.
    pub fingerprint: String,
}

/// Words a guesser would try first for a value: its key's words and the path's names
/// (`prom-operator` in `charts/prometheus-operator/values.yaml`).
fn context_words(key: Option<&str>, path: Option<&Path>) -> Vec<String> {
    let mut words: Vec<String> = key.map(judge::split_words).unwrap_or_default();
    if let Some(path) = path {
        for part in path.iter().filter_map(|p| p.to_str()) {
            let stem = part.split('.').next().unwrap_or(part);
            words.extend(judge::split_words(stem));
            words.push(stem.to_ascii_lowercase());
        }
    }
    words.retain(|w| w.len() >= 3);
    words.sort();
    words.dedup();
    words
}

/// Where a match sits in its file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Placement {
    /// 1-based line.
    pub line: usize,
    /// 1-based column, in characters.
    pub column: usize,
    /// 0-based character offsets of the value in its line (end exclusive, cut at the line's end).
    pub value: (usize, usize),
}

/// Hex SHA-256 of `bytes`.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

/// The credential id: stable across runs and files, and reveals nothing of the secret.
pub fn fingerprint(rule: &RuleId, secret: &str) -> String {
    let mut h = Sha256::new();
    h.update(b"scour-fingerprint-v1\0");
    h.update(rule.family().as_bytes());
    h.update(b"\0");
    h.update(secret.as_bytes());
    hex(&h.finalize()[..16])
}

/// Redacts a secret: at most the first and last two characters survive, never its length.
pub fn redact(secret: &str) -> String {
    let chars: Vec<char> = secret.chars().collect();
    let keep = match chars.len() {
        0..=7 => 0,
        8..=15 => 1,
        _ => 2,
    };
    if keep == 0 {
        return "****".to_string();
    }
    let head: String = chars[..keep].iter().collect();
    let tail: String = chars[chars.len() - keep..].iter().collect();
    format!("{head}****{tail}")
}

fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes
        .iter()
        .fold(String::with_capacity(bytes.len() * 2), |mut s, b| {
            let _ = write!(s, "{b:02x}");
            s
        })
}

/// Turns byte offsets into 1-based line and column numbers.
#[derive(Debug)]
pub struct LineIndex<'a> {
    text: &'a [u8],
    starts: Vec<usize>,
}

impl<'a> LineIndex<'a> {
    /// Indexes the line starts of `text`.
    pub fn new(text: &'a [u8]) -> LineIndex<'a> {
        let mut starts = vec![0];
        starts.extend(memchr::memchr_iter(b'\n', text).map(|i| i + 1));
        LineIndex { text, starts }
    }

    /// Where the bytes `span` sit: line, column and the value's offsets in its line.
    pub fn place(&self, span: &std::ops::Range<usize>) -> Placement {
        let (line, column) = self.position(span.start);
        let line_end = self
            .starts
            .get(line)
            .map_or(self.text.len(), |next| next - 1)
            .max(span.start);
        let end = span.end.min(line_end).min(self.text.len());
        let width = String::from_utf8_lossy(&self.text[span.start.min(end)..end])
            .chars()
            .count();
        Placement {
            line,
            column,
            value: (column - 1, column - 1 + width),
        }
    }

    /// The 1-based line and character column of byte `offset`.
    pub fn position(&self, offset: usize) -> (usize, usize) {
        let line = self.starts.partition_point(|&s| s <= offset).max(1);
        let start = self.starts[line - 1];
        let prefix = &self.text[start..offset.min(self.text.len())];
        let column = String::from_utf8_lossy(prefix).chars().count() + 1;
        (line, column)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redaction_never_shows_more_than_two_each_end() {
        assert_eq!(redact("abc"), "****");
        assert_eq!(redact("postgres"), "p****s");
        // A token-shaped test string: the allow marker keeps `scour scan .` quiet on it.
        let token = "ghp_abcdefghijklmnopqrstuvwxyz0123456789"; // scour:allow
        assert_eq!(redact(token), "gh****89");
        assert_eq!(redact(""), "****");
    }

    #[test]
    fn positions() {
        let idx = LineIndex::new("ab\ncdé f\n".as_bytes());
        assert_eq!(idx.position(0), (1, 1));
        assert_eq!(idx.position(3), (2, 1));
        assert_eq!(idx.position(7), (2, 4));
    }

    #[test]
    fn fingerprint_depends_on_family_and_secret() {
        let a = RuleId::new("db.postgres-url").unwrap();
        let b = RuleId::new("db.mysql-url").unwrap();
        let c = RuleId::new("generic.yaml-password").unwrap();
        assert_eq!(fingerprint(&a, "x"), fingerprint(&b, "x"));
        assert_ne!(fingerprint(&a, "x"), fingerprint(&c, "x"));
        assert_ne!(fingerprint(&a, "x"), fingerprint(&a, "y"));
        assert_eq!(fingerprint(&a, "x").len(), 32);
    }
}
