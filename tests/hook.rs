//! The hooks with real `git push` into a local bare repository that has `scour hook
//! pre-receive` installed, and real `git commit` with the pre-commit hook.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use common::{code, Repo};

const TOKEN: &str = "ghp_R8aK2mQ9xL4vT7bN1cW5yH3jD6fG0sP2eZ4u";

struct Server {
    _dir: tempfile::TempDir,
    bare: PathBuf,
    client: Repo,
}

fn run(dir: &Path, args: &[&str]) -> Output {
    Command::new("git")
        .args(args)
        .current_dir(dir)
        .output()
        .expect("git runs")
}

fn server() -> Server {
    let dir = tempfile::tempdir().unwrap();
    let bare = dir.path().join("server.git");
    assert!(run(
        dir.path(),
        &["init", "-q", "--bare", "-b", "main", "server.git"]
    )
    .status
    .success());
    let out = common::scour_in(
        dir.path(),
        &["hook", "install", "--pre-receive", "server.git"],
    );
    assert_eq!(code(&out), 0, "{}", String::from_utf8_lossy(&out.stderr));
    assert!(
        run(&bare, &["config", "receive.advertisePushOptions", "true"])
            .status
            .success()
    );
    let client = Repo::new();
    client.git(&["remote", "add", "origin", bare.to_str().unwrap()]);
    client.write("README.md", "# service\n");
    client.commit_all("start");
    let first = push(&client, &["origin", "main"]);
    assert!(
        first.status.success(),
        "{}",
        String::from_utf8_lossy(&first.stderr)
    );
    Server {
        _dir: dir,
        bare,
        client,
    }
}

fn push(client: &Repo, args: &[&str]) -> Output {
    let mut all = vec!["push", "-q"];
    all.extend_from_slice(args);
    run(client.path(), &all)
}

fn refs(bare: &Path) -> String {
    String::from_utf8_lossy(&run(bare, &["for-each-ref"]).stdout).into_owned()
}

fn objects(bare: &Path) -> String {
    String::from_utf8_lossy(
        &run(bare, &["cat-file", "--batch-all-objects", "--batch-check"]).stdout,
    )
    .into_owned()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn clean_push_is_accepted() {
    let s = server();
    s.client.write("src/app.py", "print('hi')\n");
    s.client.commit_all("app");
    let out = push(&s.client, &["origin", "main"]);
    assert!(out.status.success(), "{}", stderr(&out));
}

#[test]
fn secret_push_is_rejected_naming_file_and_line_and_leaves_nothing() {
    let s = server();
    let (refs_before, objects_before) = (refs(&s.bare), objects(&s.bare));
    s.client.write(
        "ci/env.sh",
        format!("set -e\nexport GITHUB_TOKEN={TOKEN}\n"),
    );
    s.client.commit_all("ci");
    let out = push(&s.client, &["origin", "main"]);
    assert!(!out.status.success());
    let err = stderr(&out);
    assert!(
        err.contains("push rejected")
            && err.contains("ci/env.sh:2")
            && err.contains("vcs.github-pat"),
        "{err}"
    );
    assert!(
        err.contains("refs/heads/main") && err.contains("scour.skip"),
        "{err}"
    );
    assert!(!err.contains(TOKEN), "the secret is redacted: {err}");
    assert_eq!(refs(&s.bare), refs_before);
    assert_eq!(
        objects(&s.bare),
        objects_before,
        "the quarantine is dropped"
    );
}

#[test]
fn secret_in_the_middle_commit_is_caught() {
    let s = server();
    s.client.write("a.txt", "one\n");
    s.client.commit_all("one");
    s.client
        .write("deploy/app.env", "DB_PASSWORD=s3cr3tDbPass1\n");
    s.client.commit_all("two");
    s.client
        .write("deploy/app.env", "DB_PASSWORD=${DB_PASSWORD}\n");
    s.client.commit_all("three");
    let out = push(&s.client, &["origin", "main"]);
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("deploy/app.env:1"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn branches_tags_force_pushes_deletions_and_two_refs() {
    let s = server();
    // A new branch with a clean commit, and a lightweight and an annotated tag.
    s.client.git(&["checkout", "-q", "-b", "feature"]);
    s.client.write("f.txt", "feature\n");
    s.client.commit_all("feature");
    let out = push(&s.client, &["origin", "feature"]);
    assert!(out.status.success(), "{}", stderr(&out));
    s.client.git(&["tag", "v1"]);
    s.client
        .git(&["tag", "-a", "v2", "-m", &format!("release, token {TOKEN}")]);
    assert!(push(&s.client, &["origin", "v1"]).status.success());
    let out = push(&s.client, &["origin", "v2"]);
    assert!(
        !out.status.success(),
        "a secret in an annotated tag message"
    );
    assert!(stderr(&out).contains("refs/tags/v2"), "{}", stderr(&out));
    // A force push that rewrites the branch with a secret.
    s.client.write("f.txt", format!("token={TOKEN}\n"));
    s.client.git(&["add", "-A"]);
    s.client
        .git(&["commit", "-q", "--amend", "-m", "feature, amended"]);
    let out = push(&s.client, &["--force", "origin", "feature"]);
    assert!(!out.status.success());
    // Two refs in one push: the clean one alone would pass, the push fails as a whole.
    s.client.git(&["checkout", "-q", "main"]);
    s.client.write("m.txt", "main work\n");
    s.client.commit_all("main work");
    let out = push(&s.client, &["origin", "main", "feature", "--force"]);
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("refs/heads/feature"),
        "{}",
        stderr(&out)
    );
    // Deleting a branch needs no check.
    let out = push(&s.client, &["origin", "--delete", "feature"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(!refs(&s.bare).contains("refs/heads/feature"));
}

#[test]
fn bypass_with_a_reason_is_accepted_and_audited_and_without_one_refused() {
    let s = server();
    s.client
        .write("config/app.env", "DB_PASSWORD=t3stFixturePass\n");
    s.client.commit_all("fixture");
    let out = push(&s.client, &["-o", "scour.skip", "origin", "main"]);
    assert!(!out.status.success());
    assert!(stderr(&out).contains("needs a reason"), "{}", stderr(&out));
    let out = push(
        &s.client,
        &[
            "-o",
            "scour.skip=test fixture, not a credential",
            "origin",
            "main",
        ],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let audit = std::fs::read_to_string(s.bare.join("scour/audit.jsonl")).unwrap();
    let line: serde_json::Value = serde_json::from_str(audit.lines().last().unwrap()).unwrap();
    assert_eq!(line["reason"], "test fixture, not a credential");
    assert_eq!(line["refs"], serde_json::json!(["refs/heads/main"]));
    assert_eq!(line["fingerprints"].as_array().unwrap().len(), 1);
    assert!(line["time"].as_u64().unwrap() > 0 && line["pusher"].is_string());
}

#[test]
fn a_purged_blob_pushed_again_is_rejected() {
    let s = server();
    // The server's history once held the blob; a purge put it on the ban list.
    s.client
        .write("notes.txt", "harmless text the scanner does not flag\n");
    let id = s
        .client
        .git(&["hash-object", "notes.txt"])
        .trim()
        .to_string();
    std::fs::create_dir_all(s.bare.join("scour")).unwrap();
    std::fs::write(s.bare.join("scour/ban-list"), format!("blob {id}\n")).unwrap();
    s.client.commit_all("notes");
    let out = push(&s.client, &["origin", "main"]);
    assert!(!out.status.success());
    let err = stderr(&out);
    assert!(err.contains("scour purge") && err.contains(&id), "{err}");
}

#[test]
fn pre_commit_blocks_a_staged_secret_and_lets_a_clean_commit_through() {
    let repo = Repo::new();
    let out = repo.scour(&["hook", "install", "--pre-commit"]);
    assert_eq!(code(&out), 0, "{}", String::from_utf8_lossy(&out.stderr));
    let again = repo.scour(&["hook", "install", "--pre-commit"]);
    assert_eq!(code(&again), 2, "an existing hook is not overwritten");
    repo.write("app.py", "print('ok')\n");
    repo.git(&["add", "-A"]);
    let ok = run(repo.path(), &["commit", "-q", "-m", "clean"]);
    assert!(ok.status.success(), "{}", stderr(&ok));
    repo.write("deploy/app.env", "DB_PASSWORD=s3cr3tDbPass1\n");
    // Unstaged secrets are not the commit's business.
    repo.write("scratch.env", "API_PASSWORD=n0tStaged99\n");
    repo.git(&["add", "deploy/app.env"]);
    let blocked = run(repo.path(), &["commit", "-q", "-m", "secret"]);
    assert!(!blocked.status.success());
    let err = stderr(&blocked);
    assert!(
        err.contains("deploy/app.env:1") && !err.contains("scratch.env"),
        "{err}"
    );
}

#[cfg(unix)]
#[test]
fn the_deadline_rejects_or_accepts_as_told() {
    use std::io::Write;
    let s = server();
    s.client.write("b.txt", "more\n");
    s.client.commit_all("more");
    let new = s.client.git(&["rev-parse", "HEAD"]).trim().to_string();
    let old = s.client.git(&["rev-parse", "HEAD~1"]).trim().to_string();
    // Make the objects visible to the server without updating its refs.
    assert!(push(&s.client, &["origin", "HEAD:refs/heads/staging"])
        .status
        .success());
    // A `git` that takes its time, first on the hook's PATH.
    let (_slow, path) = common::git_wrapper("sleep 3");
    let hook = |on_timeout: &str| {
        let mut child = Command::new(common::binary())
            .args([
                "hook",
                "pre-receive",
                "--timeout",
                "0.5",
                "--on-timeout",
                on_timeout,
            ])
            .current_dir(&s.bare)
            .env("PATH", &path)
            .env("GIT_DIR", &s.bare)
            .stdin(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        writeln!(child.stdin.take().unwrap(), "{old} {new} refs/heads/main").unwrap();
        child.wait_with_output().unwrap()
    };
    let started = std::time::Instant::now();
    let rejected = hook("reject");
    assert!(
        started.elapsed() < std::time::Duration::from_secs(3),
        "the deadline holds"
    );
    assert_eq!(rejected.status.code(), Some(1));
    assert!(
        stderr(&rejected).contains("did not finish within 0.5 s"),
        "{}",
        stderr(&rejected)
    );
    let accepted = hook("accept");
    assert_eq!(accepted.status.code(), Some(0));
    assert!(
        stderr(&accepted).contains("NOT checked"),
        "{}",
        stderr(&accepted)
    );
}

#[test]
fn a_secret_in_a_commit_message_is_caught() {
    let s = server();
    s.client.write("c.txt", "clean\n");
    s.client.git(&["add", "-A"]);
    s.client
        .git(&["commit", "-q", "-m", &format!("deploy with {TOKEN}")]);
    let out = push(&s.client, &["origin", "main"]);
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("(commit or tag message)"),
        "{}",
        stderr(&out)
    );
}

/// Pushes with the environment a hosting service gives the hook for `user`.
fn push_as(client: &Repo, user: &str, args: &[&str]) -> Output {
    let mut all = vec!["push", "-q"];
    all.extend_from_slice(args);
    Command::new("git")
        .args(&all)
        .current_dir(client.path())
        .env("GL_USERNAME", user)
        .output()
        .expect("git runs")
}

#[test]
fn pushed_configuration_is_never_read() {
    let s = server();
    // A push that tries to allow its own secret every way a project file could.
    s.client.write(
        ".scour.toml",
        "disable = [\"vcs.github-token\"]\nmin_severity = \"critical\"\nfail_on = \"critical\"\n[allow]\npaths = [\"*\"]\nstopwords = [\"ghp\"]\n",
    );
    s.client.write(".scourignore", "*\n");
    s.client
        .write("deploy/token.txt", format!("token={TOKEN}\n"));
    s.client.commit_all("allow everything, and a token");
    let out = push(&s.client, &["origin", "main"]);
    assert!(!out.status.success(), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("deploy/token.txt"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn the_servers_policy_allows_and_decides_who_may_bypass() {
    let s = server();
    std::fs::create_dir_all(s.bare.join("scour")).unwrap();
    std::fs::write(
        s.bare.join("scour/config.toml"),
        "bypass = [\"alice\"]\n[allow]\npaths = [\"fixtures\"]\n",
    )
    .unwrap();
    s.client
        .write("fixtures/app.env", "DB_PASSWORD=Sup3rS3cretValue9\n");
    s.client.commit_all("fixture");
    let out = push(&s.client, &["origin", "main"]);
    assert!(out.status.success(), "allowed by path: {}", stderr(&out));

    s.client
        .write("config/app.env", "DB_PASSWORD=t3stFixturePass\n");
    s.client.commit_all("config");
    let reason = "scour.skip=test fixture, not a credential";
    let out = push_as(&s.client, "bob", &["-o", reason, "origin", "main"]);
    assert!(!out.status.success(), "bob may not bypass");
    assert!(
        stderr(&out).contains("not allowed for 'bob'"),
        "{}",
        stderr(&out)
    );
    let out = push_as(&s.client, "alice", &["-o", reason, "origin", "main"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let audit = std::fs::read_to_string(s.bare.join("scour/audit.jsonl")).unwrap();
    assert!(audit.contains("\"pusher\":\"alice\""), "{audit}");

    std::fs::write(s.bare.join("scour/config.toml"), "bypass = \"deny\"\n").unwrap();
    s.client
        .write("config/other.env", "DB_PASSWORD=An0therFixture7\n");
    s.client.commit_all("another");
    let out = push_as(&s.client, "alice", &["-o", reason, "origin", "main"]);
    assert!(!out.status.success(), "nobody may bypass");
}

#[test]
fn hooks_install_into_a_repository_named_relative_to_a_working_copy() {
    let s = server();
    // From inside the client's working copy, the server's repository is `../server.git`
    // when both sit in one directory; here, a path relative to the client.
    let rel = pathdiff(&s.bare, s.client.path());
    let out = common::scour_in(
        s.client.path(),
        &["hook", "install", "--pre-receive", "--force", &rel],
    );
    assert_eq!(code(&out), 0, "{rel}: {}", stderr(&out));
    assert!(String::from_utf8_lossy(&out.stdout).contains("server.git"));
}

/// `to` as a path relative to `from` (both absolute, on one file system).
fn pathdiff(to: &Path, from: &Path) -> String {
    let to: Vec<_> = to.components().collect();
    let from: Vec<_> = from.components().collect();
    let common = to.iter().zip(&from).take_while(|(a, b)| a == b).count();
    let mut rel = PathBuf::new();
    for _ in common..from.len() {
        rel.push("..");
    }
    for c in &to[common..] {
        rel.push(c);
    }
    rel.display().to_string()
}

// The push quarantine. git receives a push's objects into a quarantine directory and runs the
// hook with `GIT_QUARANTINE_PATH` naming it; the hook reads what the push brings from there
// and never walks the refs. Without one (the hook run by hand, old git) it walks them.

/// `git push` with `SCOUR_TIMINGS=1`: the hook (which inherits the environment of a local
/// push) says which way it found the new objects.
fn push_timed(client: &Repo, args: &[&str]) -> Output {
    let mut all = vec!["push", "-q"];
    all.extend_from_slice(args);
    Command::new("git")
        .args(&all)
        .current_dir(client.path())
        .env("SCOUR_TIMINGS", "1")
        .output()
        .expect("git runs")
}

const FROM_QUARANTINE: &str = "new objects from the quarantine";
const BY_REV_LIST: &str = "new objects by rev-list --not --all";

#[test]
fn real_pushes_are_read_from_the_quarantine_loose_or_packed() {
    let s = server();
    s.client.write("src/app.py", "print('hi')\n");
    s.client.commit_all("app");
    let out = push_timed(&s.client, &["origin", "main"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stderr(&out).contains(FROM_QUARANTINE), "{}", stderr(&out));
    assert!(!stderr(&out).contains(BY_REV_LIST), "{}", stderr(&out));
    // Past `receive.unpackLimit` objects git keeps the push as one pack in the quarantine.
    assert!(run(&s.bare, &["config", "receive.unpackLimit", "1"])
        .status
        .success());
    for i in 0..30 {
        s.client
            .write(&format!("docs/page{i}.md"), format!("page {i}\n"));
    }
    s.client
        .write("deploy/app.env", "DB_PASSWORD=s3cr3tDbPass1\n");
    s.client.commit_all("docs and a secret");
    let out = push_timed(&s.client, &["origin", "main"]);
    let err = stderr(&out);
    assert!(!out.status.success(), "{err}");
    assert!(
        err.contains(FROM_QUARANTINE) && err.contains("deploy/app.env:1"),
        "{err}"
    );
    assert!(
        std::fs::read_dir(s.bare.join("objects/pack"))
            .unwrap()
            .count()
            <= 2,
        "the rejected pack did not enter the repository"
    );
    s.client
        .write("deploy/app.env", "DB_PASSWORD=${DB_PASSWORD}\n");
    s.client.git(&["add", "-A"]);
    s.client.git(&["commit", "-q", "--amend", "-m", "docs"]);
    let out = push_timed(&s.client, &["origin", "main"]);
    assert!(out.status.success(), "{}", stderr(&out));
}

/// Where the hook finds a push's objects, when a test runs it by hand.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Received {
    /// Loose objects in a quarantine, as `git unpack-objects` leaves a small push.
    Loose,
    /// One pack in a quarantine, as `git index-pack` keeps a large push.
    Pack,
    /// No quarantine: the objects sit, unreferenced, in the repository itself.
    Unquarantined,
}

/// Receives what `revs` (for `git pack-objects --revs`) hold from `client` into `bare` the way
/// git does; returns the quarantine directory, if any.
fn receive(client: &Repo, bare: &Path, revs: &[&str], how: Received) -> Option<PathBuf> {
    use std::io::Write;
    use std::process::Stdio;
    let mut pack = Command::new("git")
        .args(["pack-objects", "--stdout", "--revs", "-q"])
        .current_dir(client.path())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let input: String = revs.iter().map(|r| format!("{r}\n")).collect();
    pack.stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    let pack = pack.wait_with_output().unwrap();
    assert!(pack.status.success());
    let quarantine = (how != Received::Unquarantined).then(|| {
        let q = bare.join(format!("objects/incoming-test-{how:?}"));
        std::fs::create_dir_all(q.join("pack")).unwrap();
        q
    });
    let args: &[&str] = match how {
        Received::Pack => &["index-pack", "--stdin", "--fix-thin"],
        _ => &["unpack-objects", "-q"],
    };
    let mut command = Command::new("git");
    command
        .args(args)
        .current_dir(bare)
        .env("GIT_DIR", bare)
        .stdin(Stdio::piped())
        .stdout(Stdio::null());
    if let Some(q) = &quarantine {
        command
            .env("GIT_OBJECT_DIRECTORY", q)
            .env("GIT_ALTERNATE_OBJECT_DIRECTORIES", bare.join("objects"));
    }
    let mut child = command.spawn().unwrap();
    child.stdin.take().unwrap().write_all(&pack.stdout).unwrap();
    assert!(child.wait().unwrap().success(), "{args:?}");
    quarantine
}

/// Runs the installed hook's command by hand in `bare`, as git would run it: with the
/// quarantine's environment when there is one.
fn hook_by_hand(bare: &Path, quarantine: Option<&Path>, input: &str) -> Output {
    use std::io::Write;
    let mut command = Command::new(common::binary());
    command
        .args(["hook", "pre-receive"])
        .current_dir(bare)
        .env("GIT_DIR", ".")
        .env("SCOUR_TIMINGS", "1")
        .env_remove("GIT_QUARANTINE_PATH")
        .env_remove("GIT_OBJECT_DIRECTORY")
        .env_remove("GIT_ALTERNATE_OBJECT_DIRECTORIES")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    if let Some(q) = quarantine {
        command
            .env("GIT_QUARANTINE_PATH", q)
            .env("GIT_OBJECT_DIRECTORY", q)
            .env("GIT_ALTERNATE_OBJECT_DIRECTORIES", bare.join("objects"));
    }
    let mut child = command.spawn().unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

/// The lines of a rejection that name what was found (ref, commit, place, rule, secret).
fn verdict_lines(out: &Output) -> Vec<String> {
    let mut lines: Vec<String> = stderr(out)
        .lines()
        .filter(|l| l.starts_with("  refs/") || l.starts_with("  (no pushed ref)"))
        .map(str::to_string)
        .collect();
    lines.sort();
    lines
}

#[test]
fn the_quarantine_and_the_walk_of_the_refs_judge_alike() {
    let s = server();
    let old = s.client.git(&["rev-parse", "HEAD"]).trim().to_string();
    // Three commits, the middle one with a secret, a secret in a message, and a new branch
    // with an annotated tag whose message holds a token.
    s.client.write("a.txt", "one\n");
    s.client.commit_all("one");
    s.client
        .write("deploy/app.env", "DB_PASSWORD=s3cr3tDbPass1\n");
    s.client.commit_all("two");
    s.client
        .write("deploy/app.env", "DB_PASSWORD=${DB_PASSWORD}\n");
    s.client.git(&["add", "-A"]);
    s.client
        .git(&["commit", "-q", "-m", &format!("three, with {TOKEN}")]);
    let main = s.client.git(&["rev-parse", "HEAD"]).trim().to_string();
    s.client.git(&["checkout", "-q", "-b", "feature", &old]);
    s.client.write("f.txt", format!("token={TOKEN}\n"));
    // git C-quotes this path unless asked for `-z`; both ways must read it as it is.
    s.client.write(
        "odd\t\"dir\"/.pgpass",
        "db.internal:5432:app:alice:Tr0ub4dor-3\n",
    );
    s.client.commit_all("feature");
    s.client
        .git(&["tag", "-a", "v2", "-m", &format!("release, token {TOKEN}")]);
    let tag = s.client.git(&["rev-parse", "v2"]).trim().to_string();
    let zero = "0".repeat(40);
    let input = format!("{old} {main} refs/heads/main\n{zero} {tag} refs/tags/v2\n");
    let revs = [main.as_str(), tag.as_str(), &format!("^{old}")];
    let mut verdicts = Vec::new();
    // The by-hand run without a quarantine goes last: it puts the objects in the repository.
    for how in [Received::Loose, Received::Pack, Received::Unquarantined] {
        let quarantine = receive(&s.client, &s.bare, &revs, how);
        let out = hook_by_hand(&s.bare, quarantine.as_deref(), &input);
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(1), "{how:?}: {err}");
        let way = if how == Received::Unquarantined {
            BY_REV_LIST
        } else {
            FROM_QUARANTINE
        };
        assert!(err.contains(way), "{how:?}: {err}");
        verdicts.push((how, verdict_lines(&out)));
        if let Some(q) = quarantine {
            std::fs::remove_dir_all(q).unwrap();
        }
    }
    let (_, first) = &verdicts[0];
    for place in [
        "refs/heads/main",
        "deploy/app.env:1",
        "(commit or tag message)",
        "refs/tags/v2",
        "f.txt:1",
        "odd\t\"dir\"/.pgpass:1",
    ] {
        assert!(
            first.iter().any(|l| l.contains(place)),
            "{place}: {first:#?}"
        );
    }
    for (how, lines) in &verdicts[1..] {
        assert_eq!(lines, first, "{how:?} judges as {:?} does", verdicts[0].0);
    }
}

#[test]
fn objects_that_no_pushed_ref_reaches_are_judged_too() {
    // A crafted push can carry a commit that none of its refs reaches; it would enter the
    // repository, and a later push naming it would bring nothing new.
    let s = server();
    let old = s.client.git(&["rev-parse", "HEAD"]).trim().to_string();
    s.client.git(&["checkout", "-q", "-b", "hidden"]);
    s.client
        .write("deploy/app.env", "DB_PASSWORD=s3cr3tDbPass1\n");
    s.client.commit_all("hidden secret");
    let hidden = s.client.git(&["rev-parse", "HEAD"]).trim().to_string();
    s.client.git(&["checkout", "-q", "main"]);
    s.client.write("clean.txt", "clean\n");
    s.client.commit_all("clean");
    let main = s.client.git(&["rev-parse", "HEAD"]).trim().to_string();
    for how in [Received::Loose, Received::Pack] {
        let quarantine = receive(
            &s.client,
            &s.bare,
            &[&main, &hidden, &format!("^{old}")],
            how,
        )
        .unwrap();
        let out = hook_by_hand(
            &s.bare,
            Some(&quarantine),
            &format!("{old} {main} refs/heads/main\n"),
        );
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(1), "{how:?}: {err}");
        assert!(
            err.contains("(no pushed ref)") && err.contains("deploy/app.env:1"),
            "{how:?}: {err}"
        );
        std::fs::remove_dir_all(quarantine).unwrap();
    }
}

#[test]
fn a_new_ref_at_a_commit_the_repository_holds_brings_nothing_to_judge() {
    let s = server();
    s.client
        .write("config/app.env", "DB_PASSWORD=t3stFixturePass\n");
    s.client.commit_all("fixture");
    let out = push(
        &s.client,
        &["-o", "scour.skip=test fixture", "origin", "main"],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let out = push_timed(&s.client, &["origin", "main:refs/heads/copy"]);
    let err = stderr(&out);
    assert!(out.status.success(), "{err}");
    assert!(err.contains("(0 objects, 0 commits)"), "{err}");
}

#[test]
fn a_blob_the_repository_holds_is_judged_again_at_a_new_path() {
    // Each path is judged on its own: a blob accepted as a fixture is not thereby accepted as
    // deployable configuration, though it is not new to the repository.
    let s = server();
    std::fs::create_dir_all(s.bare.join("scour")).unwrap();
    std::fs::write(
        s.bare.join("scour/config.toml"),
        "[allow]\npaths = [\"fixtures\"]\n",
    )
    .unwrap();
    s.client
        .write("fixtures/app.env", "DB_PASSWORD=Sup3rS3cretValue9\n");
    s.client.commit_all("fixture");
    let out = push(&s.client, &["origin", "main"]);
    assert!(out.status.success(), "{}", stderr(&out));
    s.client
        .write("config/app.env", "DB_PASSWORD=Sup3rS3cretValue9\n")
        .remove("fixtures/app.env")
        .commit_all("promote the fixture");
    let out = push_timed(&s.client, &["origin", "main"]);
    let err = stderr(&out);
    assert!(!out.status.success(), "{err}");
    assert!(
        err.contains(FROM_QUARANTINE) && err.contains("config/app.env:1"),
        "{err}"
    );
}

#[test]
fn the_ban_list_is_checked_by_id_where_the_repository_kept_the_objects() {
    // `scour purge --keep-objects` leaves the old objects in the repository: a push that names
    // them brings none of them into the quarantine, and must be refused all the same.
    let s = server();
    let base = s.client.git(&["rev-parse", "HEAD"]).trim().to_string();
    s.client.git(&["checkout", "-q", "-b", "old"]);
    s.client
        .write("notes.txt", "harmless text the scanner does not flag\n");
    s.client.commit_all("old notes");
    let old = s.client.git(&["rev-parse", "HEAD"]).trim().to_string();
    let blob = s
        .client
        .git(&["rev-parse", "HEAD:notes.txt"])
        .trim()
        .to_string();
    assert!(push(&s.client, &["origin", "old"]).status.success());
    // The purge: the branch goes, its objects stay, the ban list names them.
    assert!(push(&s.client, &["origin", "--delete", "old"])
        .status
        .success());
    std::fs::create_dir_all(s.bare.join("scour")).unwrap();
    std::fs::write(
        s.bare.join("scour/ban-list"),
        format!("blob {blob}\ncommit {old}\n"),
    )
    .unwrap();
    let rejected = |out: &Output, id: &str| {
        let err = stderr(out);
        assert!(!out.status.success(), "{err}");
        assert!(err.contains("scour purge") && err.contains(id), "{err}");
    };
    // A ref at the old commit.
    rejected(&push(&s.client, &["origin", "old:refs/heads/again"]), &old);
    // A new commit on top of it.
    s.client.write("more.txt", "more\n");
    s.client.commit_all("on top of the old history");
    rejected(&push(&s.client, &["origin", "old:refs/heads/again"]), &old);
    // A new commit elsewhere whose tree holds the old blob.
    s.client.git(&["checkout", "-q", "-b", "fresh", &base]);
    s.client
        .write("copy.txt", "harmless text the scanner does not flag\n");
    s.client.commit_all("the same bytes again");
    rejected(&push(&s.client, &["origin", "fresh"]), &blob);
}

#[test]
fn a_tag_may_name_a_tree_or_a_blob_and_they_are_judged_too() {
    let s = server();
    // A lightweight tag at a blob, an annotated one at a tree: no commit places either.
    s.client
        .write("deploy/app.env", "DB_PASSWORD=s3cr3tDbPass1\n");
    let blob = s
        .client
        .git(&["hash-object", "-w", "deploy/app.env"])
        .trim()
        .to_string();
    s.client.git(&["tag", "loose-blob", &blob]);
    let out = push_timed(&s.client, &["origin", "loose-blob"]);
    let err = stderr(&out);
    assert!(!out.status.success(), "{err}");
    assert!(
        err.contains(FROM_QUARANTINE) && err.contains("(blob named by refs/tags/loose-blob):1"),
        "{err}"
    );
    s.client.git(&["add", "deploy/app.env"]);
    let tree = s.client.git(&["write-tree"]).trim().to_string();
    s.client
        .git(&["tag", "-a", "snapshot", "-m", "a tree", &tree]);
    let out = push_timed(&s.client, &["origin", "snapshot"]);
    let err = stderr(&out);
    assert!(!out.status.success(), "{err}");
    assert!(
        err.contains("refs/tags/snapshot") && err.contains("deploy/app.env:1"),
        "{err}"
    );
}
