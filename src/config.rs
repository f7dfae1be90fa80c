//! Project configuration: `.scour.toml` at a repository's top, or `--config FILE`.
//!
//! A command on files reads the file on disk; a command on history reads the one committed at
//! HEAD (as it reads `.scourignore`), so history is judged by what history holds; `hook
//! pre-receive` reads only the server's own file, never anything a push brings. Every problem
//! names the file, the line and the key.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use toml::Spanned;

use crate::allow::{self, Allow, AllowList};
use crate::detect::confidence::Confidence;
use crate::detect::Detector;
use crate::rules::{check, RuleSet, Severity};
use crate::scan::Baseline;

/// The file's name at a repository's top.
pub const FILE_NAME: &str = ".scour.toml";
/// The server's policy file for `hook pre-receive`, under the repository's git directory.
pub const SERVER_FILE: &str = "scour/config.toml";

/// A configuration that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The file could not be read.
    #[error("config '{file}': {message}")]
    Read { file: String, message: String },
    /// A key is unknown or its value unusable.
    #[error("{file}:{line}: {key}: {message}")]
    Invalid {
        file: String,
        line: usize,
        key: String,
        message: String,
    },
    /// The built-in rules or a `--rules` file are unusable.
    #[error(transparent)]
    Rules(#[from] crate::rules::Error),
    /// Rules that are not built in failed their own examples.
    #[error("{0}")]
    Examples(String),
    /// A rule file or baseline it names is unusable (the message names that file too).
    #[error("config '{file}': {message}")]
    Named { file: String, message: String },
}

/// The file as written; every key is optional.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    #[serde(default)]
    rules: Vec<Spanned<String>>,
    #[serde(default)]
    disable: Vec<Spanned<String>>,
    #[serde(default)]
    severity: BTreeMap<String, Severity>,
    #[serde(default)]
    allow: RawAllow,
    min_confidence: Option<Confidence>,
    min_severity: Option<Severity>,
    fail_on: Option<Severity>,
    baseline: Option<String>,
    bypass: Option<RawBypass>,
}

/// `[allow]`, and `[allow.rule."<id>"]` inside it (which may not nest further).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAllow {
    #[serde(default)]
    paths: Vec<Spanned<String>>,
    #[serde(default)]
    regexes: Vec<Spanned<String>>,
    #[serde(default)]
    stopwords: Vec<Spanned<String>>,
    #[serde(default)]
    commits: Vec<Spanned<String>>,
    #[serde(default)]
    rule: BTreeMap<String, RawAllow>,
}

#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum RawBypass {
    Word(String),
    Users(Vec<String>),
}

/// Who may push past `hook pre-receive` with `-o scour.skip=<reason>`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Bypass {
    /// Anyone, with a reason (the default).
    #[default]
    Allow,
    /// Nobody.
    Deny,
    /// These pushers only.
    Users(Vec<String>),
}

impl Bypass {
    /// Whether `pusher` may bypass.
    pub fn permits(&self, pusher: &str) -> bool {
        match self {
            Bypass::Allow => true,
            Bypass::Deny => false,
            Bypass::Users(users) => users.iter().any(|u| u == pusher),
        }
    }
}

/// Where a configuration was read from, which decides what its relative paths mean.
#[derive(Debug, Clone)]
pub enum Origin {
    /// A file on disk: paths are relative to this directory (absolute).
    Disk(PathBuf),
    /// Committed at HEAD of the repository at this path: paths name files of HEAD's tree.
    Head(PathBuf),
}

/// A parsed, validated configuration.
#[derive(Debug)]
pub struct Config {
    /// How messages name the file (`.scour.toml`, `HEAD:.scour.toml`).
    pub name: String,
    origin: Origin,
    text: String,
    rules: Vec<Spanned<String>>,
    disable: Vec<Spanned<String>>,
    severity: BTreeMap<String, Severity>,
    allow: Allow,
    /// The lowest confidence reported.
    pub min_confidence: Option<Confidence>,
    /// The lowest severity reported.
    pub min_severity: Option<Severity>,
    /// The lowest severity that makes the exit status 1.
    pub fail_on: Option<Severity>,
    baseline: Option<String>,
    /// Who may bypass the pre-receive hook.
    pub bypass: Bypass,
}

/// What the command line adds to the configuration, or overrides in it.
#[derive(Debug, Default)]
pub struct Overrides {
    /// `--rules` paths.
    pub rules: Vec<PathBuf>,
    /// `--min-confidence`, when given.
    pub min_confidence: Option<Confidence>,
}

/// Where to look for the configuration when no `--config` is given.
#[derive(Debug, Clone, Copy)]
pub enum Lookup<'a> {
    /// The nearest `.scour.toml` at or above this path, up to the top of its git work tree.
    Disk(&'a Path),
    /// The `.scour.toml` committed at HEAD of the repository at this path.
    Head(&'a Path),
    /// The server's own `scour/config.toml` in this git directory.
    Server(&'a Path),
}

/// The configuration a command uses: `--config FILE`, none with `--no-config`, or the one
/// `lookup` finds.
pub fn find(
    explicit: Option<&Path>,
    disabled: bool,
    lookup: Lookup<'_>,
) -> Result<Option<Config>, Error> {
    if disabled {
        return Ok(None);
    }
    if let Some(path) = explicit {
        return Config::load(path).map(Some);
    }
    match lookup {
        Lookup::Disk(start) => {
            let start = absolute(start);
            let mut dir = if start.is_dir() {
                Some(start.as_path())
            } else {
                start.parent()
            };
            while let Some(d) = dir {
                let candidate = d.join(FILE_NAME);
                if candidate.is_file() {
                    return Config::load(&candidate).map(Some);
                }
                if d.join(".git").exists() {
                    break;
                }
                dir = d.parent();
            }
            Ok(None)
        }
        Lookup::Head(repo) => {
            let Some(text) = read_at_head(repo, FILE_NAME)? else {
                return Ok(None);
            };
            let name = format!("HEAD:{FILE_NAME}");
            Config::parse(&text, &name, Origin::Head(absolute(repo))).map(Some)
        }
        Lookup::Server(git_dir) => {
            let path = git_dir.join(SERVER_FILE);
            if path.is_file() {
                Config::load(&path).map(Some)
            } else {
                Ok(None)
            }
        }
    }
}

/// The text of `path` in HEAD's tree, `None` when HEAD has no such file (or no HEAD at all).
fn read_at_head(repo: &Path, path: &str) -> Result<Option<String>, Error> {
    let Ok(repo) = crate::source::git::open(repo) else {
        return Ok(None);
    };
    let Ok(id) = repo.rev_parse_single(format!("HEAD:{path}").as_str()) else {
        return Ok(None);
    };
    let object = repo.find_object(id).map_err(|e| Error::Read {
        file: format!("HEAD:{path}"),
        message: e.to_string(),
    })?;
    String::from_utf8(object.data.to_vec())
        .map(Some)
        .map_err(|_| Error::Read {
            file: format!("HEAD:{path}"),
            message: "is not valid UTF-8".into(),
        })
}

/// The `*.toml` files of `dir` in HEAD's tree (or the file itself), with their text.
fn rule_texts_at_head(repo: &Path, rel: &str) -> Result<Vec<(String, String)>, String> {
    let repo = crate::source::git::open(repo).map_err(|e| e.to_string())?;
    let rel = rel.trim_end_matches('/');
    let spec = format!("HEAD:{rel}");
    let id = repo
        .rev_parse_single(spec.as_str())
        .map_err(|_| format!("'{rel}' is not committed at HEAD"))?;
    let object = repo.find_object(id).map_err(|e| e.to_string())?;
    let text = |data: &[u8], name: &str| {
        String::from_utf8(data.to_vec()).map_err(|_| format!("'{name}' is not valid UTF-8"))
    };
    if object.kind != gix::object::Kind::Tree {
        return Ok(vec![(spec.clone(), text(&object.data, &spec)?)]);
    }
    let tree = object.into_tree();
    let mut files = Vec::new();
    for entry in tree.iter() {
        let entry = entry.map_err(|e| e.to_string())?;
        let name = entry.filename().to_string();
        if !entry.mode().is_blob() || !name.ends_with(".toml") {
            continue;
        }
        let blob = repo.find_object(entry.oid()).map_err(|e| e.to_string())?;
        let shown = format!("HEAD:{rel}/{name}");
        files.push((shown.clone(), text(&blob.data, &shown)?));
    }
    files.sort();
    if files.is_empty() {
        return Err(format!("'{rel}' holds no *.toml rule files at HEAD"));
    }
    Ok(files)
}

fn absolute(path: &Path) -> PathBuf {
    if path.is_absolute() {
        allow::normalise(path)
    } else {
        let cwd = std::env::current_dir().unwrap_or_default();
        allow::normalise(&cwd.join(path))
    }
}

impl Config {
    /// Reads and validates the file at `path`.
    pub fn load(path: &Path) -> Result<Config, Error> {
        let name = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|e| Error::Read {
            file: name.clone(),
            message: e.to_string(),
        })?;
        let dir = absolute(path)
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_default();
        Config::parse(&text, &name, Origin::Disk(dir))
    }

    /// Parses and validates a configuration's text; `name` names it in messages.
    pub fn parse(text: &str, name: &str, origin: Origin) -> Result<Config, Error> {
        let raw: RawConfig = toml::from_str(text).map_err(|e| {
            let at = e.span().map_or(0, |s| s.start);
            invalid(name, text, at, e.message().trim().to_string())
        })?;
        let at_key = |key: &str| text.find(key).unwrap_or(0);
        let bypass = match raw.bypass {
            None => Bypass::Allow,
            Some(RawBypass::Word(w)) if w == "allow" => Bypass::Allow,
            Some(RawBypass::Word(w)) if w == "deny" => Bypass::Deny,
            Some(RawBypass::Word(w)) => {
                return Err(invalid(
                    name,
                    text,
                    at_key("bypass"),
                    format!("'{w}': expected \"allow\", \"deny\" or a list of user names"),
                ))
            }
            Some(RawBypass::Users(users)) => Bypass::Users(users),
        };
        let mut allow = compile_allow(&raw.allow, name, text)?;
        allow.per_rule = raw
            .allow
            .rule
            .iter()
            .map(|(id, list)| {
                if !list.rule.is_empty() {
                    return Err(invalid(
                        name,
                        text,
                        at_key(id),
                        "a rule's allowlist cannot hold [allow.rule] tables".into(),
                    ));
                }
                Ok((id.clone(), compile_allow(list, name, text)?.global))
            })
            .collect::<Result<_, _>>()?;
        if let Origin::Disk(dir) = &origin {
            allow.base = Some(dir.clone());
            allow.cwd = absolute(Path::new("."));
        }
        Ok(Config {
            name: name.to_string(),
            origin,
            text: text.to_string(),
            rules: raw.rules,
            disable: raw.disable,
            severity: raw.severity,
            allow,
            min_confidence: raw.min_confidence,
            min_severity: raw.min_severity,
            fail_on: raw.fail_on,
            baseline: raw.baseline,
            bypass,
        })
    }

    /// The baseline the file names (relative to it, or in HEAD's tree).
    pub fn baseline(&self) -> Result<Option<Baseline>, Error> {
        let Some(rel) = &self.baseline else {
            return Ok(None);
        };
        let loaded = match &self.origin {
            Origin::Disk(dir) => Baseline::load(&dir.join(rel)),
            Origin::Head(repo) => match read_at_head(repo, rel)? {
                Some(text) => Baseline::parse(&text, Path::new(&format!("HEAD:{rel}"))),
                None => {
                    return Err(invalid(
                        &self.name,
                        &self.text,
                        self.text.find("baseline").unwrap_or(0),
                        format!("'{rel}' is not committed at HEAD"),
                    ))
                }
            },
        };
        loaded.map(Some).map_err(|e| Error::Named {
            file: self.name.clone(),
            message: e.to_string(),
        })
    }

    /// Adds the file's rules to `set`, removes the disabled ones and sets severities; an id
    /// that names no rule is an error on its line.
    fn shape_rules(&self, set: &mut RuleSet) -> Result<(), Error> {
        for rel in &self.rules {
            let rules_error = |e: crate::rules::Error| Error::Named {
                file: self.name.clone(),
                message: e.to_string(),
            };
            match &self.origin {
                Origin::Disk(dir) => set
                    .add_path(&dir.join(rel.get_ref()))
                    .map_err(rules_error)?,
                Origin::Head(repo) => {
                    let files = rule_texts_at_head(repo, rel.get_ref())
                        .map_err(|m| self.invalid_at(rel.span().start, m))?;
                    for (shown, text) in files {
                        set.add_text(&text, Path::new(&shown))
                            .map_err(rules_error)?;
                    }
                }
            }
        }
        let unknown = |id: &str| format!("no rule has the id '{id}' (see `scour rules list`)");
        for id in &self.disable {
            if !set.remove(id.get_ref()) {
                return Err(self.invalid_at(id.span().start, unknown(id.get_ref())));
            }
        }
        for (id, severity) in &self.severity {
            if !set.set_severity(id, *severity) {
                return Err(self.invalid_at(self.text.find(id.as_str()).unwrap_or(0), unknown(id)));
            }
        }
        for (id, _) in &self.allow.per_rule {
            if set.get(id).is_none() {
                return Err(self.invalid_at(self.text.find(id.as_str()).unwrap_or(0), unknown(id)));
            }
        }
        Ok(())
    }

    fn invalid_at(&self, at: usize, message: String) -> Error {
        invalid(&self.name, &self.text, at, message)
    }

    /// How many allowlist entries it holds (for `config check`).
    pub fn allow_entries(&self) -> usize {
        let count = |l: &AllowList| {
            l.paths.as_ref().map_or(0, |g| g.len())
                + l.regexes.len()
                + l.stopwords.len()
                + l.commits.len()
        };
        count(&self.allow.global)
            + self
                .allow
                .per_rule
                .iter()
                .map(|(_, l)| count(l))
                .sum::<usize>()
    }
}

/// Builds the detector: built-in rules, the file's rules and `--rules`, without the disabled
/// ones, with severities, thresholds and allowlists. Rules that are not built in must pass
/// their own examples first.
pub fn detector(config: Option<&Config>, cli: &Overrides) -> Result<Detector, Error> {
    let mut set = RuleSet::builtin()?;
    for path in &cli.rules {
        set.add_path(path)?;
    }
    if let Some(config) = config {
        config.shape_rules(&mut set)?;
    }
    let min = cli
        .min_confidence
        .or(config.and_then(|c| c.min_confidence))
        .unwrap_or(Confidence::Medium);
    let mut detector = Detector::new(set).with_min_confidence(min);
    if let Some(config) = config {
        detector = detector
            .with_min_severity(config.min_severity.unwrap_or(Severity::Low))
            .with_allow(config.allow.clone());
    }
    let failures = check::run(&detector, |r| !r.builtin);
    if let Some(first) = failures.first() {
        return Err(Error::Examples(format!(
            "{first}{}",
            match failures.len() {
                1 => String::new(),
                n => format!(" (and {} more; see `scour rules check`)", n - 1),
            }
        )));
    }
    Ok(detector)
}

fn compile_allow(raw: &RawAllow, name: &str, text: &str) -> Result<Allow, Error> {
    let mut list = AllowList::default();
    if !raw.paths.is_empty() {
        let mut builder = globset::GlobSetBuilder::new();
        for glob in &raw.paths {
            let g = globset::Glob::new(glob.get_ref().trim_end_matches('/')).map_err(|e| {
                invalid(
                    name,
                    text,
                    glob.span().start,
                    format!("bad glob: {}", e.kind()),
                )
            })?;
            builder.add(g);
        }
        list.paths = Some(
            builder
                .build()
                .map_err(|e| invalid(name, text, raw.paths[0].span().start, e.to_string()))?,
        );
    }
    for re in &raw.regexes {
        let compiled = regex::Regex::new(re.get_ref()).map_err(|e| {
            let detail = e.to_string();
            let last = detail.lines().last().unwrap_or("").trim().to_string();
            invalid(name, text, re.span().start, format!("bad regex: {last}"))
        })?;
        list.regexes.push(compiled);
    }
    for word in &raw.stopwords {
        if word.get_ref().trim().is_empty() {
            return Err(invalid(
                name,
                text,
                word.span().start,
                "an empty stopword would allow every secret".into(),
            ));
        }
        list.stopwords.push(word.get_ref().to_lowercase());
    }
    for commit in &raw.commits {
        let c = commit.get_ref();
        if c.len() < 7 || c.len() > 64 || !c.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(invalid(
                name,
                text,
                commit.span().start,
                format!("'{c}' is not a commit id (7 to 64 hex digits)"),
            ));
        }
        list.commits.push(c.to_ascii_lowercase());
    }
    Ok(Allow {
        global: list,
        ..Allow::default()
    })
}

/// An error at byte `at` of `text`, naming its line and the dotted key written there.
fn invalid(name: &str, text: &str, at: usize, message: String) -> Error {
    let at = at.min(text.len());
    let line = text[..at].matches('\n').count() + 1;
    Error::Invalid {
        file: name.to_string(),
        line,
        key: key_at(text, line),
        message,
    }
}

/// The dotted key that line `line` (1-based) sets or continues, by the nearest `key =` at or
/// above it and the table header above that.
fn key_at(text: &str, line: usize) -> String {
    let lines: Vec<&str> = text.lines().collect();
    let upto = line.min(lines.len());
    let mut key = None;
    for l in lines[..upto].iter().rev() {
        let t = l.trim();
        if t.starts_with('[') {
            let table = t.trim_matches(|c| c == '[' || c == ']').trim();
            return match key {
                Some(k) => format!("{table}.{k}"),
                None => table.to_string(),
            };
        }
        if key.is_none() {
            // An array element may hold `=`; a key is bare or wholly quoted.
            if let Some((k, _)) = t.split_once('=') {
                let k = k.trim();
                let quoted = |q: char| k.starts_with(q) && !(k.len() > 1 && k.ends_with(q));
                if !t.starts_with('#') && !quoted('"') && !quoted('\'') {
                    key = Some(k.to_string());
                }
            }
        }
    }
    key.unwrap_or_else(|| "(top level)".into())
}

/// The commented starter file `scour config init` writes.
pub const STARTER: &str = r#"# scour configuration: read by `scour scan`, `history` (as committed at HEAD), `checklist`,
# `purge` and `hook pre-commit`. Check it with `scour config check`.

# Extra rule files or directories of *.toml rules, relative to this file.
# rules = ["scour-rules/"]

# Rules to turn off (ids from `scour rules list`).
# disable = ["generic.env-password"]

# Report findings of this confidence and above: low, medium (default) or high.
# min_confidence = "medium"

# Report findings of rules of this severity and above: low (default), medium, high, critical.
# min_severity = "low"

# The lowest severity that makes the exit status 1; lower findings are still reported.
# fail_on = "high"

# Hide the credentials an earlier `--format json` report lists (relative to this file).
# baseline = "scour-baseline.json"

# Per-rule severity.
[severity]
# "database.redis-requirepass-flag" = "critical"

# What is not a secret. A finding is dropped when its path matches a glob (a directory's glob
# covers everything under it; `*` also matches `/`), its secret matches a regex, its secret
# contains a stopword (any case), or history places it in a listed commit.
[allow]
paths = []        # e.g. ["testdata", "docs/**/*.md"]
regexes = []      # e.g. ['^dummy-']
stopwords = []    # e.g. ["example", "changeme"]
commits = []      # e.g. ["4f2a9c1"]

# The same lists for one rule only.
# [allow.rule."generic.yaml-password"]
# paths = ["charts/*/values.yaml"]
"#;

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Config, Error> {
        Config::parse(text, ".scour.toml", Origin::Head(PathBuf::from(".")))
    }

    #[test]
    fn the_starter_file_parses() {
        let c = parse(STARTER).unwrap();
        assert_eq!(c.allow_entries(), 0);
        assert_eq!(c.bypass, Bypass::Allow);
    }

    #[test]
    fn errors_name_line_and_key() {
        let err = parse("disable = []\n[allow]\npathz = [\"x\"]\n").unwrap_err();
        let text = err.to_string();
        assert!(text.starts_with(".scour.toml:3: allow.pathz: "), "{text}");
        assert!(text.contains("pathz"), "{text}");
        let err = parse("min_confidence = \"hgh\"\n").unwrap_err().to_string();
        assert!(err.starts_with(".scour.toml:1: min_confidence: "), "{err}");
        let err = parse("[allow]\nregexes = [\n  'ok',\n  '(unclosed',\n]\n")
            .unwrap_err()
            .to_string();
        assert!(
            err.starts_with(".scour.toml:4: allow.regexes: bad regex"),
            "{err}"
        );
        let err = parse("bypass = \"maybe\"\n").unwrap_err().to_string();
        assert!(err.starts_with(".scour.toml:1: bypass: "), "{err}");
        let err = parse("[allow]\ncommits = [\"xyz\"]\n")
            .unwrap_err()
            .to_string();
        assert!(err.contains(":2: allow.commits: "), "{err}");
    }

    #[test]
    fn unknown_rule_ids_are_errors_on_their_line() {
        let c = parse("# note\ndisable = [\"no.such-rule\"]\n").unwrap();
        let err = detector(Some(&c), &Overrides::default())
            .unwrap_err()
            .to_string();
        assert!(err.starts_with(".scour.toml:2: disable: no rule"), "{err}");
    }

    #[test]
    fn bypass_policies() {
        assert_eq!(parse("bypass = \"deny\"").unwrap().bypass, Bypass::Deny);
        let users = parse("bypass = [\"alice\"]").unwrap().bypass;
        assert!(users.permits("alice") && !users.permits("bob"));
    }
}
