//! Rules: the data that says what a credential looks like.
//!
//! Rules live in TOML files (`patterns/*.toml`, one file per family). The built-in files are
//! embedded at build time; `--rules DIR` adds more. Loading validates every field and compiles
//! every regex of a rule file, so a bad rule is reported once, at start-up, naming the file and
//! the rule. The built-in rules' regexes, which the test suite compiles and checks, are compiled
//! on first use instead: compiling all of them is most of scour's start-up (about 200 M
//! instructions, 60-70 ms), and a pre-receive hook judging a one-commit push needs a few.

pub mod check;

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use globset::Glob;
use regex::bytes::Regex;
use serde::{Deserialize, Serialize};

use crate::detect::FileKind;

/// The rule files compiled into the binary, as (file name, contents).
pub const BUILTIN: &[(&str, &str)] = &[
    (
        "kubernetes.toml",
        include_str!("../../patterns/kubernetes.toml"),
    ),
    (
        "registry.toml",
        include_str!("../../patterns/registry.toml"),
    ),
    (
        "database.toml",
        include_str!("../../patterns/database.toml"),
    ),
    ("jwt.toml", include_str!("../../patterns/jwt.toml")),
    ("keys.toml", include_str!("../../patterns/keys.toml")),
    ("cloud.toml", include_str!("../../patterns/cloud.toml")),
    ("vcs.toml", include_str!("../../patterns/vcs.toml")),
    ("saas.toml", include_str!("../../patterns/saas.toml")),
    ("cmdline.toml", include_str!("../../patterns/cmdline.toml")),
    ("code.toml", include_str!("../../patterns/code.toml")),
    ("config.toml", include_str!("../../patterns/config.toml")),
    ("hashes.toml", include_str!("../../patterns/hashes.toml")),
    (
        "frameworks.toml",
        include_str!("../../patterns/frameworks.toml"),
    ),
    ("generic.toml", include_str!("../../patterns/generic.toml")),
];

/// A problem with a rule file; always names the file, and the rule when there is one.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The file or directory could not be read.
    #[error("rule file '{path}': {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// The file is not valid TOML or does not have the rule file's shape.
    #[error("rule file '{path}': {message}")]
    Parse { path: PathBuf, message: String },
    /// A rule parsed but one of its fields is unusable.
    #[error("rule file '{path}': rule '{rule}': {problem}")]
    Invalid {
        path: PathBuf,
        rule: String,
        problem: String,
    },
}

/// The stable, dotted identifier of a rule: `family.name`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct RuleId(String);

impl RuleId {
    /// The identifier as written in the rule file.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The family: the part before the first dot (`kubernetes` in `kubernetes.secret-data`).
    pub fn family(&self) -> &str {
        self.0.split('.').next().unwrap_or(&self.0)
    }

    /// Checks that `s` is a well-formed id.
    pub fn new(s: &str) -> Result<RuleId, String> {
        let well_formed = s.contains('.')
            && !s.starts_with('.')
            && !s.ends_with('.')
            && s.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"-._".contains(&b));
        if well_formed {
            Ok(RuleId(s.to_string()))
        } else {
            Err(format!(
                "id '{s}' must be lowercase 'family.name' (letters, digits, '-', '_')"
            ))
        }
    }
}

impl fmt::Display for RuleId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// What kind of credential a rule finds; drives the checklist's wording.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Category {
    Password,
    JwtSecret,
    Jwt,
    RegistryToken,
    PrivateKey,
    CloudKey,
    ApiKey,
    Token,
    ConnectionString,
}

impl Category {
    /// The name used in rule files and reports.
    pub fn as_str(self) -> &'static str {
        match self {
            Category::Password => "password",
            Category::JwtSecret => "jwt-secret",
            Category::Jwt => "jwt",
            Category::RegistryToken => "registry-token",
            Category::PrivateKey => "private-key",
            Category::CloudKey => "cloud-key",
            Category::ApiKey => "api-key",
            Category::Token => "token",
            Category::ConnectionString => "connection-string",
        }
    }
}

/// How bad a leak of this kind is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Low,
    Medium,
    High,
    Critical,
}

impl Severity {
    /// The name used in rule files and reports.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }
}

/// Where in a file a rule may match.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Scope {
    /// Anywhere, in windows around its keywords (except inside claimed regions, see below).
    #[default]
    Anywhere,
    /// Only in the `data:` block of a Kubernetes Secret manifest.
    SecretData,
    /// Only in the `stringData:` block of a Kubernetes Secret manifest.
    SecretStringData,
    /// Only in a kustomize `secretGenerator:` block.
    SecretGenerator,
}

/// How the captured `secret` is encoded, when it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Decode {
    /// Base64 text; the decoded text is judged, and scanned again for what it holds.
    Base64,
    /// Base64 of `user:secret` (HTTP basic auth, docker `auth`); the part after the colon is the secret.
    BasicAuth,
}

/// A structural check the capture must pass beyond the regex.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Validate {
    /// A JWT: the first segment decodes to a JSON object with an `alg` member.
    Jwt,
    /// A PEM or OpenSSH private key whose body decodes to plausible key material.
    PrivateKey,
    /// A NATS nkey seed: base32 whose trailing CRC-16 matches the bytes before it.
    NkeySeed,
}

/// One rule as written in a rule file; every field is documented in README's rule section.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RuleSpec {
    id: String,
    title: String,
    category: Category,
    severity: Severity,
    keywords: Vec<String>,
    regex: String,
    #[serde(default)]
    min_entropy: f64,
    rotation: String,
    examples: Vec<String>,
    counterexamples: Vec<String>,
    #[serde(default)]
    known_misses: Vec<String>,
    #[serde(default)]
    kinds: Vec<String>,
    #[serde(default)]
    paths: Vec<String>,
    #[serde(default)]
    scope: Scope,
    decode: Option<Decode>,
    validate: Option<Validate>,
    #[serde(default)]
    lines_after: u32,
    line_needs: Option<String>,
    #[serde(default = "default_priority")]
    priority: i32,
    ignore_keys: Option<String>,
    example_path: Option<String>,
    #[serde(default)]
    distinctive: bool,
    #[serde(default)]
    net: bool,
}

fn default_priority() -> i32 {
    20
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RuleFile {
    #[serde(default)]
    rule: Vec<RuleSpec>,
}

/// A set of file kinds, as a bit mask over [`FileKind`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KindSet(u8);

impl KindSet {
    /// Every kind of file.
    pub const ANY: KindSet = KindSet(0xff);
    /// What a rule applies to when it does not say: configuration and source code, not prose.
    pub const DEFAULT: KindSet = KindSet(FileKind::Config.bit() | FileKind::Source.bit());

    /// Whether `kind` is in the set.
    pub fn contains(self, kind: FileKind) -> bool {
        self.0 & kind.bit() != 0
    }

    fn parse(names: &[String]) -> Result<KindSet, String> {
        if names.is_empty() {
            return Ok(KindSet::DEFAULT);
        }
        let mut bits = 0u8;
        for name in names {
            bits |= match name.as_str() {
                "any" => 0xff,
                "config" => FileKind::Config.bit(),
                "source" => FileKind::Source.bit(),
                "prose" => FileKind::Prose.bit(),
                "lock" => FileKind::Lock.bit(),
                other => {
                    return Err(format!(
                        "kinds: unknown kind '{other}' (expected any, config, source, prose, lock)"
                    ))
                }
            };
        }
        Ok(KindSet(bits))
    }
}

/// A validated, compiled rule.
#[derive(Debug)]
pub struct Rule {
    /// Stable identifier.
    pub id: RuleId,
    /// One-line description of what was found.
    pub title: String,
    /// What kind of credential this is.
    pub category: Category,
    /// How bad a leak is.
    pub severity: Severity,
    /// Literals for the prefilter, as written (matched ignoring ASCII case); empty for
    /// path-limited rules that read whole files.
    pub keywords: Vec<String>,
    /// The confirming regex as written; its `secret` group is the credential.
    pub pattern: String,
    /// Captures whose `key` group matches this are not secrets (e.g. `username`), as written.
    pub ignore_keys_pattern: Option<String>,
    /// The compiled regexes: at load for rule files, on first use for the built-in rules.
    confirm: OnceLock<Confirm>,
    /// Minimum Shannon entropy of the secret, in bits per byte.
    pub min_entropy: f64,
    /// Checklist steps for rotating this kind of credential.
    pub rotation: String,
    /// Texts the rule must find.
    pub examples: Vec<String>,
    /// Texts the rule must not find.
    pub counterexamples: Vec<String>,
    /// Texts the rule should find but does not yet; documented, not asserted.
    pub known_misses: Vec<String>,
    /// Kinds of file the rule applies to.
    pub kinds: KindSet,
    /// When not empty, the rule applies only to paths matching one of these globs (the
    /// detector matches every rule's globs in one set).
    pub path_globs: Vec<Glob>,
    /// Which part of a file the rule looks at.
    pub scope: Scope,
    /// How the captured secret is encoded.
    pub decode: Option<Decode>,
    /// Extra structural check on the capture.
    pub validate: Option<Validate>,
    /// How many lines after a keyword's line the regex may span.
    pub lines_after: u32,
    /// A byte every match holds after its keyword on the keyword's line (`@` of a URL's
    /// credentials): a keyword without it after it is no reason to try the rule.
    pub line_needs: Option<u8>,
    /// Which rule wins when two report overlapping text: higher first.
    pub priority: i32,
    /// The path the examples are judged as coming from (it decides the file kind).
    pub example_path: String,
    /// The match's shape alone identifies a credential (a fixed token prefix, a validated key
    /// block), so where it sits does not lower its confidence.
    pub distinctive: bool,
    /// A wide net: its candidates are reported only when the learned filter says so (the hand
    /// model's floor does not hold them), since most of what it catches is no credential.
    pub net: bool,
    /// The file the rule came from.
    pub source: PathBuf,
    /// Whether the rule is one of the built-in ones.
    pub builtin: bool,
}

/// A rule's compiled regexes.
#[derive(Debug)]
pub struct Confirm {
    /// The confirming regex.
    pub regex: Regex,
    /// The index of the regex's `secret` group.
    pub secret_group: usize,
    /// The index of its `key` group, when it has one.
    pub key_group: Option<usize>,
    /// Captures whose `key` group matches this are not secrets.
    pub ignore_keys: Option<Regex>,
}

impl Confirm {
    /// Compiles a rule's regex and its `ignore_keys`, checking the groups they need.
    fn compile(pattern: &str, ignore_keys: Option<&str>) -> Result<Confirm, String> {
        let regex = Regex::new(pattern).map_err(|e| format!("regex: {}", regex_error(&e)))?;
        let group = |name: &str| regex.capture_names().position(|n| n == Some(name));
        let Some(secret_group) = group("secret") else {
            return Err("regex has no named group 'secret' (the credential it captures)".into());
        };
        let key_group = group("key");
        let ignore_keys = match ignore_keys {
            None => None,
            Some(pattern) => {
                if key_group.is_none() {
                    return Err("ignore_keys needs a named group 'key' in the regex".into());
                }
                Some(Regex::new(pattern).map_err(|e| format!("ignore_keys: {}", regex_error(&e)))?)
            }
        };
        Ok(Confirm {
            regex,
            secret_group,
            key_group,
            ignore_keys,
        })
    }
}

impl Rule {
    /// The rule's compiled regexes (compiled now if this is their first use).
    pub fn confirm(&self) -> &Confirm {
        self.confirm.get_or_init(|| {
            Confirm::compile(&self.pattern, self.ignore_keys_pattern.as_deref()).unwrap_or_else(
                |problem| {
                    // Only built-in rules are compiled late, and `builtin_rules_compile`
                    // compiles every one of them.
                    panic!("built-in rule '{}': {problem}", self.id)
                },
            )
        })
    }

    /// Parses and validates a rule; with `eager`, compiles its regexes now, so that a bad one
    /// is an error at load (a rule file) rather than later (the built-in rules, checked by the
    /// tests).
    fn compile(spec: RuleSpec, source: &Path, eager: bool) -> Result<Rule, Error> {
        let invalid = |problem: String| Error::Invalid {
            path: source.to_path_buf(),
            rule: spec.id.clone(),
            problem,
        };
        let id = RuleId::new(&spec.id).map_err(invalid)?;
        if spec.title.trim().is_empty() {
            return Err(invalid("title is empty".into()));
        }
        if spec.rotation.trim().is_empty() {
            return Err(invalid(
                "rotation is empty: say how to rotate this credential".into(),
            ));
        }
        if spec.keywords.is_empty() && spec.paths.is_empty() {
            return Err(invalid(
                "keywords: give at least one (only a rule limited by `paths` may have none)".into(),
            ));
        }
        if spec.keywords.iter().any(|k| k.trim().len() < 3) {
            return Err(invalid(
                "keywords: each must be 3 characters or more (the prefilter needs them)".into(),
            ));
        }
        if spec.examples.is_empty() {
            return Err(invalid(
                "examples: give at least one text the rule must find".into(),
            ));
        }
        if spec.counterexamples.is_empty() {
            return Err(invalid(
                "counterexamples: give at least one text the rule must not find".into(),
            ));
        }
        if !(0.0..=8.0).contains(&spec.min_entropy) {
            return Err(invalid(format!(
                "min_entropy {} is outside 0..8 bits per byte",
                spec.min_entropy
            )));
        }
        let line_needs =
            match spec.line_needs.as_deref().map(str::as_bytes) {
                None => None,
                Some(&[b]) if b.is_ascii_graphic() && spec.lines_after == 0 => Some(b),
                Some(_) => return Err(invalid(
                    "line_needs must be one printable ASCII character, for a rule whose matches \
                     stay on their keyword's line (lines_after = 0)"
                        .into(),
                )),
            };
        let confirm = OnceLock::new();
        if eager {
            let compiled =
                Confirm::compile(&spec.regex, spec.ignore_keys.as_deref()).map_err(invalid)?;
            confirm.set(compiled).expect("a new cell is empty");
        }
        let kinds = KindSet::parse(&spec.kinds).map_err(invalid)?;
        let path_globs = spec
            .paths
            .iter()
            .map(|p| Glob::new(p).map_err(|e| invalid(format!("paths: {e}"))))
            .collect::<Result<Vec<Glob>, Error>>()?;
        let example_path =
            match (&spec.example_path, path_globs.is_empty()) {
                (Some(p), _) => p.clone(),
                (None, false) => return Err(invalid(
                    "example_path is required when paths is set (examples need a matching path)"
                        .into(),
                )),
                (None, true) => default_example_path(kinds).to_string(),
            };
        Ok(Rule {
            id,
            title: spec.title,
            category: spec.category,
            severity: spec.severity,
            keywords: spec.keywords,
            pattern: spec.regex,
            ignore_keys_pattern: spec.ignore_keys,
            confirm,
            min_entropy: spec.min_entropy,
            rotation: spec.rotation.trim().to_string(),
            examples: spec.examples,
            counterexamples: spec.counterexamples,
            known_misses: spec.known_misses,
            kinds,
            path_globs,
            scope: spec.scope,
            decode: spec.decode,
            validate: spec.validate,
            lines_after: spec.lines_after,
            line_needs,
            priority: spec.priority,
            example_path,
            distinctive: spec.distinctive,
            net: spec.net,
            source: source.to_path_buf(),
            builtin: false,
        })
    }
}

fn default_example_path(kinds: KindSet) -> &'static str {
    if kinds.contains(FileKind::Config) {
        "settings.yaml"
    } else if kinds.contains(FileKind::Source) {
        "app.py"
    } else {
        "notes.md"
    }
}

/// An ordered, validated collection of rules with unique ids.
#[derive(Debug, Default)]
pub struct RuleSet {
    rules: Vec<Rule>,
}

impl RuleSet {
    /// The rules compiled into the binary.
    pub fn builtin() -> Result<RuleSet, Error> {
        let mut set = RuleSet::default();
        set.add_builtin(false)?;
        Ok(set)
    }

    /// Adds the built-in rules; with `skip_defined`, those whose id the set already holds are
    /// left out (so that a copy of a built-in file can be checked against the others).
    pub fn add_builtin(&mut self, skip_defined: bool) -> Result<(), Error> {
        for (name, text) in BUILTIN {
            let path = Path::new("patterns").join(name);
            for mut rule in parse(text, &path, false)? {
                if skip_defined && self.get(rule.id.as_str()).is_some() {
                    continue;
                }
                rule.builtin = true;
                self.push(rule)?;
            }
        }
        Ok(())
    }

    /// Adds the rules of one TOML text, read from `source` (used in messages).
    pub fn add_text(&mut self, text: &str, source: &Path) -> Result<(), Error> {
        for rule in parse(text, source, true)? {
            self.push(rule)?;
        }
        Ok(())
    }

    fn push(&mut self, rule: Rule) -> Result<(), Error> {
        if let Some(prev) = self.rules.iter().find(|r| r.id == rule.id) {
            return Err(Error::Invalid {
                path: rule.source.clone(),
                rule: rule.id.to_string(),
                problem: format!("id is already defined in '{}'", prev.source.display()),
            });
        }
        self.rules.push(rule);
        Ok(())
    }

    /// Adds a rule file, or every `*.toml` file in a directory (sorted by name).
    pub fn add_path(&mut self, path: &Path) -> Result<(), Error> {
        let io = |source| Error::Io {
            path: path.to_path_buf(),
            source,
        };
        let meta = std::fs::metadata(path).map_err(io)?;
        let files = if meta.is_dir() {
            let mut files: Vec<PathBuf> = std::fs::read_dir(path)
                .map_err(io)?
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.extension().is_some_and(|e| e == "toml"))
                .collect();
            files.sort();
            if files.is_empty() {
                return Err(Error::Parse {
                    path: path.to_path_buf(),
                    message: "directory holds no *.toml rule files".into(),
                });
            }
            files
        } else {
            vec![path.to_path_buf()]
        };
        for file in files {
            let bytes = std::fs::read(&file).map_err(|source| Error::Io {
                path: file.clone(),
                source,
            })?;
            let text = String::from_utf8(bytes).map_err(|_| Error::Parse {
                path: file.clone(),
                message: "is not valid UTF-8".into(),
            })?;
            self.add_text(&text, &file)?;
        }
        Ok(())
    }

    /// The rules, in load order.
    pub fn rules(&self) -> &[Rule] {
        &self.rules
    }

    /// The rule with this id.
    pub fn get(&self, id: &str) -> Option<&Rule> {
        self.rules.iter().find(|r| r.id.as_str() == id)
    }

    /// Removes the rule with this id; returns whether there was one.
    pub fn remove(&mut self, id: &str) -> bool {
        let before = self.rules.len();
        self.rules.retain(|r| r.id.as_str() != id);
        self.rules.len() != before
    }

    /// Gives the rule with this id another severity; returns whether there was one.
    pub fn set_severity(&mut self, id: &str, severity: Severity) -> bool {
        match self.rules.iter_mut().find(|r| r.id.as_str() == id) {
            Some(rule) => {
                rule.severity = severity;
                true
            }
            None => false,
        }
    }

    /// How many rules the set holds.
    pub fn len(&self) -> usize {
        self.rules.len()
    }

    /// Whether the set holds no rule.
    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }
}

/// Parses and compiles the rules of one TOML text.
/// The rules of one TOML text; `eager` as in [`Rule::compile`].
fn parse(text: &str, source: &Path, eager: bool) -> Result<Vec<Rule>, Error> {
    let file: RuleFile = toml::from_str(text).map_err(|e| Error::Parse {
        path: source.to_path_buf(),
        message: one_line(&e.to_string()),
    })?;
    if file.rule.is_empty() {
        return Err(Error::Parse {
            path: source.to_path_buf(),
            message: "holds no [[rule]] tables".into(),
        });
    }
    file.rule
        .into_iter()
        .map(|spec| Rule::compile(spec, source, eager))
        .collect()
}

/// Regex syntax errors draw a caret under the pattern over several lines; keep the verdict.
fn regex_error(e: &regex::Error) -> String {
    let text = e.to_string();
    let last = text
        .lines()
        .rev()
        .find(|l| !l.trim().is_empty())
        .unwrap_or("invalid regex");
    last.trim().trim_start_matches("error: ").to_string()
}

/// TOML errors span several lines with a source excerpt; a fatal error is one line.
fn one_line(message: &str) -> String {
    let mut lines = message.lines().filter(|l| !l.trim().is_empty());
    let first = lines.next().unwrap_or("invalid TOML").trim().to_string();
    let last = message
        .lines()
        .rev()
        .find(|l| !l.trim().is_empty() && !l.trim_start().starts_with('|'))
        .map(str::trim)
        .unwrap_or("");
    if last.is_empty() || last == first {
        first
    } else {
        format!("{first}: {last}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MINIMAL: &str = r#"
[[rule]]
id = "test.thing"
title = "A thing"
category = "token"
severity = "high"
keywords = ["thing_"]
regex = '''thing_(?P<secret>[a-z0-9]{12})'''
rotation = "Revoke it."
examples = ["thing_abcdef123456"]
counterexamples = ["thing_short"]
"#;

    #[test]
    fn builtin_rules_load() {
        let set = RuleSet::builtin().expect("built-in rules must load");
        assert!(set.len() >= 60, "only {} rules", set.len());
    }

    /// The built-in rules' regexes are compiled on first use: each must compile, with the
    /// groups it needs, as a rule file's would have to at load.
    #[test]
    fn builtin_rules_compile() {
        for (name, text) in BUILTIN {
            for rule in parse(text, Path::new(name), false).unwrap() {
                assert!(rule.confirm.get().is_none(), "compiled late");
                if let Err(problem) =
                    Confirm::compile(&rule.pattern, rule.ignore_keys_pattern.as_deref())
                {
                    panic!("{name}: rule '{}': {problem}", rule.id);
                }
            }
        }
    }

    #[test]
    fn duplicate_id_names_both_files() {
        let mut set = RuleSet::default();
        set.add_text(MINIMAL, Path::new("a.toml")).unwrap();
        let err = set.add_text(MINIMAL, Path::new("b.toml")).unwrap_err();
        let msg = err.to_string();
        assert!(
            msg.contains("b.toml") && msg.contains("a.toml") && msg.contains("test.thing"),
            "{msg}"
        );
    }

    #[test]
    fn missing_secret_group_is_named() {
        let text = MINIMAL.replace("(?P<secret>[a-z0-9]{12})", "[a-z0-9]{12}");
        let err = RuleSet::default()
            .add_text(&text, Path::new("x.toml"))
            .unwrap_err();
        assert!(err.to_string().contains("'secret'"), "{err}");
    }

    #[test]
    fn bad_toml_is_one_line() {
        let err = RuleSet::default()
            .add_text("[[rule]]\nid = ", Path::new("x.toml"))
            .unwrap_err();
        let msg = err.to_string();
        assert!(
            !msg.contains('\n') && msg.starts_with("rule file 'x.toml'"),
            "{msg}"
        );
    }

    #[test]
    fn unknown_field_is_rejected() {
        let text = format!("{MINIMAL}colour = \"red\"\n");
        let err = RuleSet::default()
            .add_text(&text, Path::new("x.toml"))
            .unwrap_err();
        assert!(err.to_string().contains("colour"), "{err}");
    }

    #[test]
    fn line_needs_is_one_character_on_the_keyword_line() {
        let with = |needs: &str, after: u32| {
            let text = format!("{MINIMAL}line_needs = \"{needs}\"\nlines_after = {after}\n");
            let mut set = RuleSet::default();
            set.add_text(&text, Path::new("x.toml")).map(|()| set)
        };
        let set = with("_", 0).unwrap();
        assert_eq!(set.rules()[0].line_needs, Some(b'_'));
        for (needs, after) in [("@@", 0), ("", 0), ("@", 2)] {
            let err = with(needs, after).err().unwrap();
            assert!(err.to_string().contains("line_needs"), "{err}");
        }
    }

    #[test]
    fn bad_id_is_rejected() {
        let text = MINIMAL.replace("test.thing", "Thing");
        assert!(RuleSet::default()
            .add_text(&text, Path::new("x.toml"))
            .is_err());
    }
}
