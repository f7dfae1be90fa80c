//! Allowlists: what a project's configuration says is not a secret, by path, by the secret's
//! text, by stopword or by commit, for every rule or for one.
//!
//! [`Detector::finding`](crate::detect::Detector::finding) consults the path, regex and
//! stopword lists for every match, so every command drops the same findings; commits are known
//! only once a finding is placed in history, where [`Allow::skips_commit`] is asked.

use std::path::{Component, Path, PathBuf};

use globset::GlobSet;
use regex::Regex;

/// One set of allowances: a finding matching any of them is dropped.
#[derive(Debug, Default, Clone)]
pub struct AllowList {
    /// Paths (relative to the project's top) whose findings are dropped; a glob also matches
    /// everything under a directory it matches.
    pub paths: Option<GlobSet>,
    /// Regexes on the secret.
    pub regexes: Vec<Regex>,
    /// Words (lower case): a secret containing one, in any case, is dropped.
    pub stopwords: Vec<String>,
    /// Commit ids, or prefixes of at least seven hex digits.
    pub commits: Vec<String>,
}

impl AllowList {
    fn allows_path(&self, path: &Path) -> bool {
        let Some(globs) = &self.paths else {
            return false;
        };
        path.ancestors()
            .filter(|p| !p.as_os_str().is_empty())
            .any(|p| globs.is_match(p))
    }

    fn allows_secret(&self, secret: &str) -> bool {
        if self.regexes.iter().any(|r| r.is_match(secret)) {
            return true;
        }
        if self.stopwords.is_empty() {
            return false;
        }
        let lower = secret.to_lowercase();
        self.stopwords.iter().any(|w| lower.contains(w.as_str()))
    }

    fn skips_commit(&self, commit: &str) -> bool {
        self.commits
            .iter()
            .any(|c| commit.len() >= c.len() && commit[..c.len()].eq_ignore_ascii_case(c))
    }
}

/// The allowances of a configuration: one list for every rule, and lists for single rules.
#[derive(Debug, Default, Clone)]
pub struct Allow {
    /// Applies to every rule.
    pub global: AllowList,
    /// Applies to the rule of that id only.
    pub per_rule: Vec<(String, AllowList)>,
    /// The project's top as an absolute directory, when finding paths are relative to the
    /// current directory rather than to the top (a scan of files on disk).
    pub base: Option<PathBuf>,
    /// The current directory, for such paths.
    pub cwd: PathBuf,
}

impl Allow {
    /// Whether nothing is allowed (the common case, kept cheap).
    pub fn is_empty(&self) -> bool {
        let empty =
            |l: &AllowList| l.paths.is_none() && l.regexes.is_empty() && l.stopwords.is_empty();
        empty(&self.global) && self.per_rule.iter().all(|(_, l)| empty(l))
    }

    fn lists<'a>(&'a self, rule: &'a str) -> impl Iterator<Item = &'a AllowList> + 'a {
        std::iter::once(&self.global).chain(
            self.per_rule
                .iter()
                .filter(move |(id, _)| id == rule)
                .map(|(_, l)| l),
        )
    }

    /// Whether a finding of `rule` at `path` (as shown) with this secret is allowed.
    pub fn allows(&self, rule: &str, path: &str, secret: &str) -> bool {
        if self.is_empty() {
            return false;
        }
        let relative = self.relative(Path::new(path));
        self.lists(rule)
            .any(|l| l.allows_path(&relative) || l.allows_secret(secret))
    }

    /// Whether a finding of `rule` introduced by `commit` is allowed.
    pub fn skips_commit(&self, rule: &str, commit: &str) -> bool {
        self.lists(rule).any(|l| l.skips_commit(commit))
    }

    /// `path` relative to the project's top, when it lies under it.
    fn relative(&self, path: &Path) -> PathBuf {
        let Some(base) = &self.base else {
            return path.to_path_buf();
        };
        let absolute = normalise(&self.cwd.join(path));
        match absolute.strip_prefix(base) {
            Ok(rest) => rest.to_path_buf(),
            Err(_) => path.to_path_buf(),
        }
    }
}

/// Removes `.` and resolves `..` by name: finding paths are compared, not opened.
pub fn normalise(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for part in path.components() {
        match part {
            Component::CurDir => {}
            Component::ParentDir => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn globs(list: &[&str]) -> Option<GlobSet> {
        let mut b = globset::GlobSetBuilder::new();
        for g in list {
            b.add(globset::Glob::new(g).unwrap());
        }
        Some(b.build().unwrap())
    }

    #[test]
    fn paths_regexes_stopwords_and_commits() {
        let allow = Allow {
            global: AllowList {
                paths: globs(&["testdata", "*.lock"]),
                regexes: vec![Regex::new("^dummy-").unwrap()],
                stopwords: vec!["fixture".into()],
                commits: vec!["abcdef1".into()],
            },
            per_rule: vec![(
                "generic.env-password".into(),
                AllowList {
                    stopwords: vec!["local".into()],
                    ..AllowList::default()
                },
            )],
            ..Allow::default()
        };
        assert!(allow.allows("a.b", "testdata/x/y.env", "s3cr3t"));
        assert!(allow.allows("a.b", "deep/Cargo.lock", "s3cr3t"));
        assert!(!allow.allows("a.b", "src/testdata.rs", "s3cr3t"));
        assert!(allow.allows("a.b", "x.env", "dummy-123"));
        assert!(allow.allows("a.b", "x.env", "MyFIXTUREpass"));
        assert!(!allow.allows("a.b", "x.env", "LocalPass1"));
        assert!(allow.allows("generic.env-password", "x.env", "LocalPass1"));
        assert!(allow.skips_commit("a.b", "ABCDEF1234"));
        assert!(!allow.skips_commit("a.b", "abcde"));
    }

    #[test]
    fn paths_on_disk_are_judged_from_the_top() {
        let allow = Allow {
            global: AllowList {
                paths: globs(&["fixtures/**"]),
                ..AllowList::default()
            },
            base: Some(PathBuf::from("/work/project")),
            cwd: PathBuf::from("/work/project/sub"),
            ..Allow::default()
        };
        assert!(allow.allows("a.b", "../fixtures/a.env", "x"));
        assert!(allow.allows("a.b", "/work/project/fixtures/a.env", "x"));
        assert!(!allow.allows("a.b", "fixtures/a.env", "x"));
    }
}
