//! The CI recipes of README.md, run as written on repositories built with git. Each test reads
//! its commands out of the README's code blocks, so that the README shows what ran here:
//!
//! - GitHub Actions: the scan step on a pull request's merge checkout, SARIF out;
//! - GitLab CI: the scan step on a merge request's checkout, the Secret Detection report out;
//! - pre-commit: `pre-commit try-repo` against this repository, and the README's
//!   `.pre-commit-config.yaml` installed with `pre-commit install`;
//! - the server hook: installed in a bare repository as "Guarding the door" says, then pushed to.
//!
//! The pre-commit tests build scour as pre-commit does (`cargo install`, a release build, into
//! `<target>/pre-commit`) from this repository's **committed** state: commit before running them.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use common::{binary, code, consumers, Repo};

const TOKEN: &str = "ghp_R8aK2mQ9xL4vT7bN1cW5yH3jD6fG0sP2eZ4u";

/// The first fenced code block after the first line of README.md that contains `marker`.
fn readme_block(marker: &str) -> String {
    let readme = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md"))
        .expect("README.md");
    let mut lines = readme
        .lines()
        .skip_while(|l| !l.contains(marker))
        .skip_while(|l| !l.starts_with("```"))
        .skip(1);
    let block: Vec<&str> = lines
        .by_ref()
        .take_while(|l| !l.starts_with("```"))
        .collect();
    assert!(
        !block.is_empty(),
        "no code block after {marker:?} in README.md"
    );
    block.join("\n") + "\n"
}

/// The scour commands of a CI job in a README block: the items of `key:` (`- run: ...` steps for
/// GitHub, `script:` lines for GitLab) that run scour; installing it is the test's business.
fn scour_steps(block: &str, item: &str) -> Vec<String> {
    let steps: Vec<String> = block
        .lines()
        .filter_map(|l| l.trim_start().strip_prefix(item))
        .map(|cmd| cmd.trim().to_string())
        .filter(|cmd| cmd.starts_with("scour "))
        .collect();
    assert!(!steps.is_empty(), "no `{item}scour ...` in:\n{block}");
    steps
}

/// Runs `command` with `sh -c` in `dir`, with this build's scour first on `PATH`.
fn sh(dir: &Path, command: &str, env: &[(&str, &str)]) -> Output {
    let bin = binary();
    let path = format!(
        "{}:{}",
        bin.parent().unwrap().display(),
        std::env::var("PATH").unwrap_or_default()
    );
    Command::new("sh")
        .args(["-c", command])
        .current_dir(dir)
        .env("PATH", path)
        .env("NO_COLOR", "1")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .envs(env.iter().copied())
        .output()
        .expect("sh runs")
}

/// Runs git in `dir` and returns its stdout; panics with its stderr when it fails.
fn git(dir: &Path, args: &[&str]) -> String {
    let out = Command::new("git")
        .args(["-c", "user.name=CI", "-c", "user.email=ci@enclii.dev"])
        .args(args)
        .current_dir(dir)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .output()
        .expect("git runs");
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

fn said(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// A forge repository and a CI runner's clone of it, for a change proposed on branch `change`:
/// `main` already holds a credential in `app/.env` when the change branches off; the change adds
/// `ci/env.sh` (a token when `leaky`, clean otherwise) in two commits; `main` then moves on.
struct Change {
    _forge: Repo,
    runner: tempfile::TempDir,
}

impl Change {
    fn new(leaky: bool) -> Change {
        let forge = Repo::new();
        forge.write("app/.env", "DB_PASSWORD=Sup3rS3cretValue9\n");
        forge.commit_all("app");
        forge.git(&["checkout", "-q", "-b", "change"]);
        forge.write("ci/env.sh", "set -e\n");
        forge.commit_all("ci: start");
        let value = if leaky { TOKEN } else { "$CI_SECRET" };
        forge.write(
            "ci/env.sh",
            format!("set -e\nexport GITHUB_TOKEN={value}\n"),
        );
        forge.commit_all("ci: token");
        forge.git(&["checkout", "-q", "main"]);
        forge.write("README.md", "# app\n");
        forge.commit_all("docs");
        let runner = tempfile::tempdir().unwrap();
        git(
            runner.path(),
            &["clone", "-q", forge.path().to_str().unwrap(), "."],
        );
        Change {
            _forge: forge,
            runner,
        }
    }

    fn dir(&self) -> &Path {
        self.runner.path()
    }

    /// Checks out what GitHub's `actions/checkout` does for a pull request: the merge of the
    /// change into its base, detached.
    fn github_merge(&self) {
        git(self.dir(), &["checkout", "-q", "--detach", "origin/main"]);
        git(
            self.dir(),
            &[
                "merge",
                "-q",
                "--no-ff",
                "-m",
                "Merge change",
                "origin/change",
            ],
        );
    }

    /// Checks out what GitLab's runner does for a merge request pipeline: the change's head,
    /// detached; returns `CI_MERGE_REQUEST_DIFF_BASE_SHA`, the merge request's base.
    fn gitlab_checkout(&self) -> String {
        git(self.dir(), &["checkout", "-q", "--detach", "origin/change"]);
        git(self.dir(), &["merge-base", "origin/main", "origin/change"])
    }
}

fn read_json(path: &Path) -> serde_json::Value {
    let text = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_slice(&text).unwrap()
}

#[test]
fn github_actions_recipe_reports_what_the_pull_request_adds_as_sarif() {
    let block = readme_block("**GitHub Actions**");
    let steps = scour_steps(&block, "- run: ");
    assert!(block.contains("fetch-depth: 0") && block.contains("sarif_file: scour.sarif"));
    let env = [("GITHUB_BASE_REF", "main"), ("CI", "true")];
    for leaky in [true, false] {
        let change = Change::new(leaky);
        change.github_merge();
        for step in &steps {
            let out = sh(change.dir(), step, &env);
            assert_eq!(code(&out), i32::from(leaky), "{step}: {}", said(&out));
        }
        let sarif = change.dir().join("scour.sarif");
        let report = read_json(&sarif);
        let uris: Vec<&str> = report["runs"][0]["results"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| {
                r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
                    .as_str()
                    .unwrap()
            })
            .collect();
        // The credential already on main is not the pull request's doing.
        let expected: &[&str] = if leaky { &["ci/env.sh"] } else { &[] };
        assert_eq!(uris, expected);
        assert!(!std::fs::read_to_string(&sarif).unwrap().contains(TOKEN));
        match consumers::sarif_schema().and_then(|s| consumers::ajv_validate(&s, &[&sarif])) {
            Some(verdict) => verdict.unwrap(),
            None => consumers::missing("Ajv and the SARIF 2.1.0 schema"),
        }
    }
}

#[test]
fn gitlab_ci_recipe_reports_what_the_merge_request_adds() {
    let block = readme_block("**GitLab CI**");
    let steps = scour_steps(&block, "- ");
    assert!(block.contains("GIT_DEPTH: 0"));
    assert!(block.contains("secret_detection: gl-secret-detection-report.json"));
    for leaky in [true, false] {
        let change = Change::new(leaky);
        let base = change.gitlab_checkout();
        let env = [
            ("CI_MERGE_REQUEST_DIFF_BASE_SHA", base.as_str()),
            ("CI_PIPELINE_SOURCE", "merge_request_event"),
            ("CI", "true"),
        ];
        for step in &steps {
            let out = sh(change.dir(), step, &env);
            assert_eq!(code(&out), i32::from(leaky), "{step}: {}", said(&out));
        }
        let report = read_json(&change.dir().join("gl-secret-detection-report.json"));
        assert_eq!(report["scan"]["type"], "secret_detection");
        let files: Vec<&str> = report["vulnerabilities"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v["location"]["file"].as_str().unwrap())
            .collect();
        let expected: &[&str] = if leaky { &["ci/env.sh"] } else { &[] };
        assert_eq!(files, expected);
    }
}

#[test]
fn server_hook_recipe_rejects_a_secret_push_and_audits_a_bypass() {
    let server = tempfile::tempdir().unwrap();
    git(
        server.path(),
        &["init", "-q", "--bare", "-b", "main", "platform.git"],
    );
    let bare = server.path().join("platform.git");
    let dev = Repo::new();
    dev.write("README.md", "# platform\n");
    dev.commit_all("start");
    dev.git(&["remote", "add", "origin", bare.to_str().unwrap()]);
    // "Guarding the door": the server's hook, its push options, each developer's hook.
    let block = readme_block("### Guarding the door");
    for line in block.lines().filter(|l| !l.trim().is_empty()) {
        let line = line.replace("/srv/git/platform.git", bare.to_str().unwrap());
        let out = sh(dev.path(), &line, &[]);
        assert!(out.status.success(), "{line}: {}", said(&out));
    }
    dev.git(&["push", "-q", "-u", "origin", "main"]);
    // The developer's hook blocks the commit; skipping it locally, the server rejects the push.
    dev.write("ci/env.sh", format!("export GITHUB_TOKEN={TOKEN}\n"));
    dev.git(&["add", "-A"]);
    let commit = sh(dev.path(), "git commit -q -m ci", &[]);
    assert!(!commit.status.success(), "{}", said(&commit));
    dev.git(&["commit", "-q", "--no-verify", "-m", "ci"]);
    let push = sh(dev.path(), "git push -q", &[("USER", "alice")]);
    assert!(!push.status.success());
    let err = said(&push);
    assert!(err.contains("ci/env.sh:1") && !err.contains(TOKEN), "{err}");
    // The bypass, as the README writes it, is accepted and audited with its reason.
    let bypass = readme_block("and how to bypass a false positive");
    let bypass = bypass.trim();
    assert!(bypass.starts_with("git push -o scour.skip="), "{bypass}");
    let out = sh(dev.path(), bypass, &[("USER", "alice")]);
    assert!(out.status.success(), "{}", said(&out));
    let audit = std::fs::read_to_string(bare.join("scour/audit.jsonl")).unwrap();
    let line: serde_json::Value = serde_json::from_str(audit.lines().last().unwrap()).unwrap();
    assert_eq!(line["pusher"], "alice");
    assert_eq!(line["reason"], "test fixture, not a credential");
}

// pre-commit ---------------------------------------------------------------------------------

/// This repository's committed HEAD, which pre-commit clones.
fn this_repo_head() -> String {
    git(
        Path::new(env!("CARGO_MANIFEST_DIR")),
        &["rev-parse", "HEAD"],
    )
}

/// pre-commit, and the environment its `cargo install` of scour builds in: a target directory
/// beside this build's (kept between runs, so only the first build is slow) and a pre-commit
/// home of its own. `None` (after saying so) without pre-commit or cargo.
fn pre_commit(home: &Path) -> Option<(PathBuf, Vec<(String, String)>)> {
    let Some(pre_commit) = consumers::venv_bin("pre-commit") else {
        consumers::missing("pre-commit (tests/consumers/.venv)");
        return None;
    };
    if !Command::new("cargo")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
    {
        consumers::missing("cargo, which pre-commit builds the hook with");
        return None;
    }
    let target = binary()
        .parent()
        .and_then(Path::parent)
        .expect("the binary sits in <target>/<profile>")
        .join("pre-commit");
    let env = [
        ("CARGO_TARGET_DIR", target.display().to_string()),
        ("PRE_COMMIT_HOME", home.display().to_string()),
        ("PRE_COMMIT_COLOR", "never".to_string()),
    ];
    Some((pre_commit, env.map(|(k, v)| (k.to_string(), v)).to_vec()))
}

/// A scratch repository with one commit.
fn scratch() -> Repo {
    let repo = Repo::new();
    repo.write("README.md", "# scratch\n");
    repo.commit_all("start");
    repo
}

/// Stages a leaked token in `repo`, or unstages it and stages a clean change instead.
fn stage(repo: &Repo, leaky: bool) {
    if leaky {
        repo.write("ci/env.sh", format!("export GITHUB_TOKEN={TOKEN}\n"));
        repo.git(&["add", "ci/env.sh"]);
    } else {
        repo.git(&["rm", "-q", "--cached", "--ignore-unmatch", "ci/env.sh"]);
        repo.remove("ci/env.sh");
        repo.write("docs/notes.md", "Tokens come from the CI's secret store.\n");
        repo.git(&["add", "docs/notes.md"]);
    }
}

#[test]
fn pre_commit_try_repo_blocks_a_staged_secret_and_passes_a_clean_change() {
    let home = tempfile::tempdir().unwrap();
    let Some((pre_commit, env)) = pre_commit(home.path()) else {
        return;
    };
    let head = this_repo_head();
    let repo = scratch();
    let try_repo = || {
        Command::new(&pre_commit)
            .args([
                "try-repo",
                env!("CARGO_MANIFEST_DIR"),
                "scour",
                "--ref",
                &head,
            ])
            .current_dir(repo.path())
            .envs(env.iter().map(|(k, v)| (k, v)))
            .output()
            .expect("pre-commit runs")
    };
    stage(&repo, true);
    let out = try_repo();
    let text = said(&out);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(
        text.contains("Failed") && text.contains("ci/env.sh"),
        "{text}"
    );
    assert!(
        text.contains("vcs.github-pat") && !text.contains(TOKEN),
        "{text}"
    );
    stage(&repo, false);
    let out = try_repo();
    let text = said(&out);
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(text.contains("Passed"), "{text}");
}

#[test]
fn pre_commit_readme_config_installs_a_hook_that_blocks_the_commit() {
    let home = tempfile::tempdir().unwrap();
    let Some((pre_commit, env)) = pre_commit(home.path()) else {
        return;
    };
    let config = readme_block("**pre-commit**");
    assert!(config.contains("https://github.com/OWNER/scour") && config.contains("rev: "));
    let config = config
        .replace("https://github.com/OWNER/scour", env!("CARGO_MANIFEST_DIR"))
        .replace("v0.1.0", &this_repo_head());
    let repo = scratch();
    repo.write(".pre-commit-config.yaml", config);
    repo.commit_all("pre-commit");
    let out = Command::new(&pre_commit)
        .arg("install")
        .current_dir(repo.path())
        .envs(env.iter().map(|(k, v)| (k, v)))
        .output()
        .expect("pre-commit runs");
    assert!(out.status.success(), "{}", said(&out));
    let commit = |message: &str| {
        Command::new("git")
            .args(["commit", "-q", "-m", message])
            .current_dir(repo.path())
            .envs(env.iter().map(|(k, v)| (k, v)))
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .output()
            .expect("git runs")
    };
    stage(&repo, true);
    let out = commit("leak");
    let text = said(&out);
    assert!(!out.status.success(), "{text}");
    assert!(
        text.contains("vcs.github-pat") && !text.contains(TOKEN),
        "{text}"
    );
    stage(&repo, false);
    let out = commit("notes");
    assert!(out.status.success(), "{}", said(&out));
    assert_eq!(repo.git(&["log", "-1", "--format=%s"]).trim(), "notes");
}
