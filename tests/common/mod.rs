//! Test harness: a throw-away git repository built with real `git` commands, and a way to run
//! the `scour` binary in it and read its JSON report.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

/// A git repository in a temporary directory, removed when dropped.
pub struct Repo {
    dir: tempfile::TempDir,
}

impl Repo {
    /// `git init` in a fresh directory, with a fixed identity.
    pub fn new() -> Repo {
        let dir = tempfile::tempdir().expect("temporary directory");
        let repo = Repo { dir };
        repo.git(&["init", "-q", "-b", "main"]);
        repo.git(&["config", "user.name", "Test Author"]);
        repo.git(&["config", "user.email", "author@enclii.dev"]);
        repo.git(&["config", "commit.gpgsign", "false"]);
        repo
    }

    /// A copy of the whole repository (work tree and `.git`) in a fresh directory.
    pub fn copy(&self) -> Repo {
        let dir = tempfile::tempdir().expect("temporary directory");
        let status = Command::new("cp")
            .arg("-a")
            .arg(self.path().join("."))
            .arg(dir.path())
            .status()
            .expect("cp runs");
        assert!(status.success(), "cp -a failed");
        Repo { dir }
    }

    /// The repository's top directory.
    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Writes a file (creating directories), relative to the top.
    pub fn write(&self, rel: &str, content: impl AsRef<[u8]>) -> &Repo {
        let path = self.path().join(rel);
        std::fs::create_dir_all(path.parent().expect("a relative path has a parent"))
            .expect("create directories");
        std::fs::write(&path, content).expect("write file");
        self
    }

    /// Runs git in the repository; panics with its stderr when it fails.
    pub fn git(&self, args: &[&str]) -> String {
        self.git_at("2024-11-19T10:00:00Z", args)
    }

    /// Runs git with author and committer dates set to `date`.
    pub fn git_at(&self, date: &str, args: &[&str]) -> String {
        self.git_with(date, args, None)
    }

    /// Runs git with `input` on its standard input (`git mktree`, `git update-ref --stdin`).
    pub fn git_input(&self, args: &[&str], input: &[u8]) -> String {
        self.git_with("2024-11-19T10:00:00Z", args, Some(input))
    }

    fn git_with(&self, date: &str, args: &[&str], input: Option<&[u8]>) -> String {
        use std::io::Write;
        let mut child = Command::new("git")
            .args(args)
            .current_dir(self.path())
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("GIT_AUTHOR_DATE", date)
            .env("GIT_COMMITTER_DATE", date)
            .stdin(if input.is_some() {
                std::process::Stdio::piped()
            } else {
                std::process::Stdio::null()
            })
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("git runs");
        let mut stdin = child.stdin.take();
        // Written beside the reading of its output, so that neither pipe fills while the
        // other waits.
        let out = std::thread::scope(|scope| {
            if let (Some(mut stdin), Some(input)) = (stdin.take(), input) {
                scope.spawn(move || stdin.write_all(input).expect("git reads its input"));
            }
            child.wait_with_output().expect("git ends")
        });
        assert!(
            out.status.success(),
            "git {args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Stages everything and commits.
    pub fn commit_all(&self, message: &str) -> &Repo {
        self.git(&["add", "-A"]);
        self.git(&["commit", "-q", "-m", message]);
        self
    }

    /// Stages everything and commits with author and committer dates set to `date`.
    pub fn commit_at(&self, date: &str, message: &str) -> String {
        self.git(&["add", "-A"]);
        self.git_at(date, &["commit", "-q", "-m", message]);
        self.git(&["rev-parse", "HEAD"]).trim().to_string()
    }

    /// Removes a file relative to the top.
    pub fn remove(&self, rel: &str) -> &Repo {
        std::fs::remove_file(self.path().join(rel)).expect("remove file");
        self
    }

    /// Runs `scour ARGS` with the repository as working directory.
    pub fn scour(&self, args: &[&str]) -> Output {
        scour_in(self.path(), args)
    }

    /// Saves a `scour history --format json` report as `name` (with `extra` flags).
    pub fn history_report(&self, name: &str, extra: &[&str]) -> Output {
        let mut args = vec![
            "history",
            "--format",
            "json",
            "--output",
            name,
            "--progress",
            "never",
        ];
        args.extend_from_slice(extra);
        self.scour(&args)
    }
}

/// A `git` that runs `prelude` (shell) before the real git, in a directory of its own: returns
/// the directory (keep it alive) and a `PATH` with it first.
#[cfg(unix)]
pub fn git_wrapper(prelude: &str) -> (tempfile::TempDir, String) {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().expect("temporary directory");
    let exec_path = Command::new("git")
        .arg("--exec-path")
        .output()
        .expect("git runs");
    let real = String::from_utf8_lossy(&exec_path.stdout)
        .trim()
        .to_string();
    let script = dir.path().join("git");
    std::fs::write(
        &script,
        format!("#!/bin/sh\n{prelude}\nexec '{real}/git' \"$@\"\n"),
    )
    .expect("write the wrapper");
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755))
        .expect("make it executable");
    let path = format!(
        "{}:{}",
        dir.path().display(),
        std::env::var("PATH").unwrap_or_default()
    );
    (dir, path)
}

/// Asserts that scour exited 0 (showing what it said otherwise) and returns its stdout.
pub fn succeeded(out: &Output) -> String {
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    assert_eq!(
        code(out),
        0,
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

/// The path of the binary under test.
pub fn binary() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_scour"))
}

/// Runs `scour ARGS` in `dir`, never in colour.
pub fn scour_in(dir: &Path, args: &[&str]) -> Output {
    Command::new(binary())
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .output()
        .expect("scour runs")
}

/// The exit code, with the output shown when it is not what a test expects.
pub fn code(out: &Output) -> i32 {
    out.status.code().expect("scour exits, it is not killed")
}

/// Parses a `--format json` report.
pub fn report(out: &Output) -> Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "not JSON ({e}): stdout {} stderr {}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    })
}

/// The findings of a JSON report as (path, line, rule) triples, sorted.
pub fn triples(report: &Value) -> Vec<(String, u64, String)> {
    let mut v: Vec<(String, u64, String)> = report["findings"]
        .as_array()
        .expect("findings is an array")
        .iter()
        .map(|f| {
            (
                f["path"].as_str().unwrap().to_string(),
                f["line"].as_u64().unwrap(),
                f["rule"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    v.sort();
    v
}

/// Prints expected and actual side by side when they differ.
#[macro_export]
macro_rules! eqnice {
    ($expected:expr, $got:expr) => {{
        let expected = $expected;
        let got = $got;
        if expected != got {
            panic!(
                "\n\nexpected:\n{:#?}\n\ngot:\n{:#?}\n\nmissing: {:#?}\n\nextra: {:#?}\n",
                expected,
                got,
                expected
                    .iter()
                    .filter(|e| !got.contains(e))
                    .collect::<Vec<_>>(),
                got.iter()
                    .filter(|g| !expected.contains(g))
                    .collect::<Vec<_>>()
            );
        }
    }};
}

pub mod server;

pub mod consumers;
