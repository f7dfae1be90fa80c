//! `scour purge` on real repositories built with `git`: branches, a merge, annotated and
//! lightweight tags, a stash, notes, a secret introduced mid-history and removed later, the same
//! blob at two paths, a bare mirror. After the purge: `git fsck --full` is clean, no flagged blob
//! is left, trees equal the originals minus the flagged entries (redact: only the secret text
//! changed), earlier commits keep their ids, every ref survives, the commit map is complete, and
//! a dry run or a second run changes nothing.

mod common;

use std::collections::{BTreeMap, BTreeSet};

use common::{code, Repo};

const SECRET_ENV: &str = "DB_PASSWORD=s3cr3tDbPass1\n";
const TOKEN: &str = "ghp_R8aK2mQ9xL4vT7bN1cW5yH3jD6fG0sP2eZ4u";
const SECRET_YAML: &str = "kind: Secret\ndata:\n  POSTGRES_PASSWORD: cGFzc3dvcmQ=\n";

struct Fixture {
    repo: Repo,
    before_secret: Vec<String>,
    secret_blobs: Vec<String>,
}

fn fixture() -> Fixture {
    let repo = Repo::new();
    repo.write("README.md", "# platform\n");
    let c0 = repo.commit_at("2022-01-01T00:00:00Z", "start");
    repo.write("src/app.py", "print('hello')\n");
    let c1 = repo.commit_at("2022-01-02T00:00:00Z", "app");
    repo.write("deploy/app.env", SECRET_ENV);
    repo.write("infra/secrets.yaml", SECRET_YAML);
    repo.write("infra/copy/secrets.yaml", SECRET_YAML);
    repo.commit_at("2022-02-01T00:00:00Z", "add deploy config");
    // A branch from before the secret, merged after it.
    repo.git(&["checkout", "-q", "-b", "feature", &c1]);
    repo.write("src/feature.py", "x = 1\n");
    repo.commit_at("2022-02-02T00:00:00Z", "feature");
    repo.git(&["checkout", "-q", "main"]);
    repo.write("src/main.py", "y = 2\n");
    repo.commit_at("2022-02-03T00:00:00Z", "main work");
    repo.git_at(
        "2022-02-04T00:00:00Z",
        &["merge", "-q", "--no-ff", "-m", "merge feature", "feature"],
    );
    repo.git_at(
        "2022-02-05T00:00:00Z",
        &["tag", "-a", "v1", "-m", "release 1"],
    );
    repo.git(&["tag", "v1-light"]);
    repo.git(&["notes", "add", "-m", "reviewed", "HEAD"]);
    // Remove the secrets from the files later on.
    repo.write("deploy/app.env", "DB_PASSWORD=${DB_PASSWORD}\n");
    repo.remove("infra/secrets.yaml");
    repo.remove("infra/copy/secrets.yaml");
    repo.commit_at("2022-03-01T00:00:00Z", "secrets out of git");
    // A stash that holds the secret again.
    repo.write("deploy/app.env", SECRET_ENV);
    repo.git(&["stash", "-q"]);
    // A commit-graph, as `git gc` leaves: the purge must not leave it naming pruned commits.
    repo.git(&["commit-graph", "write", "--reachable"]);
    let env_blob = hash(&repo, SECRET_ENV);
    let yaml_blob = hash(&repo, SECRET_YAML);
    Fixture {
        repo,
        before_secret: vec![c0, c1],
        secret_blobs: vec![env_blob, yaml_blob],
    }
}

fn hash(repo: &Repo, content: &str) -> String {
    let path = repo.path().join(".hash-input");
    std::fs::write(&path, content).unwrap();
    let id = repo.git(&["hash-object", ".hash-input"]).trim().to_string();
    std::fs::remove_file(path).unwrap();
    id
}

fn refs(repo: &Repo) -> BTreeMap<String, String> {
    repo.git(&["for-each-ref", "--format=%(refname) %(objectname)"])
        .lines()
        .map(|l| {
            let (name, id) = l.split_once(' ').unwrap();
            (name.to_string(), id.to_string())
        })
        .collect()
}

fn all_objects(repo: &Repo) -> BTreeSet<String> {
    repo.git(&[
        "cat-file",
        "--batch-all-objects",
        "--batch-check=%(objectname)",
    ])
    .lines()
    .map(str::to_string)
    .collect()
}

/// `path blob` for every file of a commit.
fn files(repo: &Repo, commit: &str) -> BTreeMap<String, String> {
    repo.git(&["ls-tree", "-r", commit])
        .lines()
        .map(|l| {
            let (meta, path) = l.split_once('\t').unwrap();
            (
                path.to_string(),
                meta.split_whitespace().nth(2).unwrap().to_string(),
            )
        })
        .collect()
}

fn purge(repo: &Repo, args: &[&str]) -> std::process::Output {
    let mut all = vec!["purge", "--progress", "never"];
    all.extend_from_slice(args);
    repo.scour(&all)
}

fn commit_map(repo: &Repo) -> BTreeMap<String, String> {
    std::fs::read_to_string(repo.path().join(".git/scour/commit-map"))
        .unwrap()
        .lines()
        .map(|l| {
            let (a, b) = l.split_once(' ').unwrap();
            (a.to_string(), b.to_string())
        })
        .collect()
}

#[test]
fn dry_run_changes_nothing() {
    let f = fixture();
    let (refs_before, objects_before) = (refs(&f.repo), all_objects(&f.repo));
    let out = purge(&f.repo, &["--dry-run"]);
    assert_eq!(code(&out), 0, "{}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("dry run") && text.contains("refs/heads/main"),
        "{text}"
    );
    assert_eq!(refs(&f.repo), refs_before);
    assert_eq!(all_objects(&f.repo), objects_before);
    assert!(!f.repo.path().join(".git/scour").exists());
}

#[test]
fn drop_mode_removes_flagged_blobs_and_keeps_everything_else() {
    let f = fixture();
    let refs_before = refs(&f.repo);
    let trees_before: BTreeMap<String, BTreeMap<String, String>> = f
        .repo
        .git(&["rev-list", "--all"])
        .lines()
        .map(|c| (c.to_string(), files(&f.repo, c)))
        .collect();
    let out = purge(&f.repo, &[]);
    assert_eq!(
        code(&out),
        0,
        "{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );

    // The object database holds none of the flagged blobs, and is consistent.
    let objects = all_objects(&f.repo);
    for blob in &f.secret_blobs {
        assert!(!objects.contains(blob), "{blob} is still in the database");
    }
    f.repo.git(&["fsck", "--full", "--strict"]);

    // Every ref survives; commits before the secret keep their ids.
    let refs_after = refs(&f.repo);
    assert_eq!(
        refs_after.keys().collect::<Vec<_>>(),
        refs_before.keys().collect::<Vec<_>>()
    );
    let log: String = f.repo.git(&["rev-list", "--all"]);
    for c in &f.before_secret {
        assert!(log.contains(c.as_str()), "{c} lost its id");
    }

    // Every rewritten commit's tree is the original minus the flagged entries; the map is complete.
    let map = commit_map(&f.repo);
    let rewritten: Vec<&String> = trees_before
        .keys()
        .filter(|c| !log.contains(c.as_str()))
        .collect();
    assert!(!rewritten.is_empty());
    for old in rewritten {
        let new = map
            .get(old)
            .unwrap_or_else(|| panic!("{old} missing from the commit map"));
        let expected: BTreeMap<String, String> = trees_before[old]
            .iter()
            .filter(|(_, blob)| !f.secret_blobs.contains(blob))
            .map(|(p, b)| (p.clone(), b.clone()))
            .collect();
        assert_eq!(files(&f.repo, new), expected, "tree of {new} (was {old})");
    }

    // The ban list names the removed blobs and commits.
    let ban = std::fs::read_to_string(f.repo.path().join(".git/scour/ban-list")).unwrap();
    for blob in &f.secret_blobs {
        assert!(ban.contains(&format!("blob {blob}")), "{ban}");
    }

    // The note on the rewritten merge commit follows it.
    assert_eq!(
        f.repo.git(&["notes", "show", "refs/heads/main~1"]).trim(),
        "reviewed"
    );

    // Nothing is flagged any more, and a second run changes nothing.
    let scan = f.repo.scour(&[
        "history",
        "--all-objects",
        "--progress",
        "never",
        "--no-ignore",
    ]);
    assert_eq!(code(&scan), 0, "{}", String::from_utf8_lossy(&scan.stdout));
    let refs_once = refs(&f.repo);
    let again = purge(&f.repo, &[]);
    assert_eq!(code(&again), 0);
    assert!(String::from_utf8_lossy(&again.stdout).contains("nothing to purge"));
    assert_eq!(refs(&f.repo), refs_once);
}

#[test]
fn redact_mode_keeps_files_with_only_the_secret_changed() {
    let f = fixture();
    let before: BTreeMap<String, BTreeMap<String, String>> = f
        .repo
        .git(&["rev-list", "--all"])
        .lines()
        .map(|c| (c.to_string(), files(&f.repo, c)))
        .collect();
    let out = purge(&f.repo, &["--mode", "redact", "--keep-objects"]);
    assert_eq!(code(&out), 0, "{}", String::from_utf8_lossy(&out.stderr));
    let map = commit_map(&f.repo);
    let mut checked = 0;
    for (old, new) in &map {
        let (old_files, new_files) = (&before[old], files(&f.repo, new));
        assert_eq!(
            old_files.keys().collect::<Vec<_>>(),
            new_files.keys().collect::<Vec<_>>()
        );
        for (path, old_blob) in old_files {
            let new_blob = &new_files[path];
            if f.secret_blobs.contains(old_blob) {
                let text = f.repo.git(&["cat-file", "-p", new_blob]);
                assert!(text.contains("***REMOVED***"), "{path}: {text}");
                assert!(
                    !text.contains("s3cr3tDbPass1") && !text.contains("cGFzc3dvcmQ="),
                    "{text}"
                );
                let old_text = f.repo.git(&["cat-file", "-p", old_blob]);
                let key = old_text.split(['=', ':']).next().unwrap();
                assert!(
                    text.starts_with(key),
                    "only the secret changes: {old_text} -> {text}"
                );
                checked += 1;
            } else {
                assert_eq!(old_blob, new_blob, "{path} must not change");
            }
        }
    }
    assert!(checked > 0);
    // --keep-objects: the old state can be restored from the ref map.
    let ref_map = std::fs::read_to_string(f.repo.path().join(".git/scour/ref-map")).unwrap();
    for line in ref_map.lines() {
        let parts: Vec<&str> = line.split(' ').collect();
        f.repo.git(&["cat-file", "-e", parts[1]]);
    }
}

#[test]
fn refuses_dirty_trees_operations_in_progress_and_flagged_tips() {
    let repo = Repo::new();
    repo.write("app.env", SECRET_ENV);
    repo.commit_at("2022-01-01T00:00:00Z", "secret at the tip");
    // Flagged blob at the tip of main.
    let out = purge(&repo, &[]);
    assert_eq!(code(&out), 2);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("refs/heads/main")
            && err.contains("app.env")
            && err.contains("--include-head"),
        "{err}"
    );
    assert_eq!(err.lines().count(), 1, "{err}");
    // Dirty tree.
    repo.write("app.env", "DB_PASSWORD=${DB_PASSWORD}\n");
    let out = purge(&repo, &["--include-head"]);
    assert_eq!(code(&out), 2);
    assert!(String::from_utf8_lossy(&out.stderr).contains("uncommitted changes"));
    // An operation in progress.
    repo.git(&["checkout", "-q", "--", "app.env"]);
    std::fs::write(
        repo.path().join(".git/MERGE_HEAD"),
        repo.git(&["rev-parse", "HEAD"]),
    )
    .unwrap();
    let out = purge(&repo, &["--include-head"]);
    assert_eq!(code(&out), 2);
    assert!(String::from_utf8_lossy(&out.stderr).contains("merge is in progress"));
    std::fs::remove_file(repo.path().join(".git/MERGE_HEAD")).unwrap();
    // Older stashes live only in a reflog, which pruning expires.
    for n in 1..=2 {
        repo.write("notes.txt", format!("draft {n}\n"));
        repo.git(&["stash", "-q", "--include-untracked"]);
    }
    let out = purge(&repo, &["--include-head"]);
    assert_eq!(code(&out), 2);
    assert!(
        String::from_utf8_lossy(&out.stderr)
            .contains("1 older stash entry (stash@{1} and on) would be lost"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    repo.git(&["stash", "drop", "-q", "stash@{1}"]);
    // With --include-head the tip is rewritten, and the checkout follows.
    let out = purge(&repo, &["--include-head"]);
    assert_eq!(code(&out), 0, "{}", String::from_utf8_lossy(&out.stderr));
    assert!(
        !repo.path().join("app.env").exists(),
        "the checkout follows the rewritten tip"
    );
    assert!(repo.git(&["status", "--porcelain"]).is_empty());
}

#[test]
fn selection_by_path_blob_and_findings_report() {
    let f = fixture();
    // --path drops a file anywhere in history, whatever the rules say.
    let out = purge(
        &f.repo,
        &["--path", "src/app.py", "--keep-objects", "--include-head"],
    );
    assert_eq!(code(&out), 0, "{}", String::from_utf8_lossy(&out.stderr));
    for c in f.repo.git(&["rev-list", "--all"]).lines() {
        assert!(!files(&f.repo, c).contains_key("src/app.py"), "{c}");
    }
    // A saved report names the blobs.
    let g = fixture();
    let report = g.repo.history_report("report.json", &[]);
    assert_eq!(code(&report), 1);
    let out = purge(&g.repo, &["--findings", "report.json"]);
    assert_eq!(code(&out), 0, "{}", String::from_utf8_lossy(&out.stderr));
    let objects = all_objects(&g.repo);
    for blob in &g.secret_blobs {
        assert!(!objects.contains(blob));
    }
    // --blob names one.
    let h = fixture();
    let out = purge(&h.repo, &["--blob", &h.secret_blobs[1], "--keep-objects"]);
    assert_eq!(code(&out), 0, "{}", String::from_utf8_lossy(&out.stderr));
    for c in h.repo.git(&["rev-list", "--all"]).lines() {
        let blobs: Vec<String> = files(&h.repo, c).into_values().collect();
        assert!(!blobs.contains(&h.secret_blobs[1]));
    }
}

#[test]
fn bare_mirror_is_purged() {
    let f = fixture();
    let dir = tempfile::tempdir().unwrap();
    let mirror = dir.path().join("mirror.git");
    f.repo
        .git(&["clone", "-q", "--mirror", ".", mirror.to_str().unwrap()]);
    let out = common::scour_in(dir.path(), &["purge", "mirror.git", "--progress", "never"]);
    assert_eq!(code(&out), 0, "{}", String::from_utf8_lossy(&out.stderr));
    let objects = std::process::Command::new("git")
        .args([
            "cat-file",
            "--batch-all-objects",
            "--batch-check=%(objectname)",
        ])
        .current_dir(&mirror)
        .output()
        .unwrap();
    let objects = String::from_utf8_lossy(&objects.stdout);
    for blob in &f.secret_blobs {
        assert!(!objects.contains(blob.as_str()));
    }
    let fsck = std::process::Command::new("git")
        .args(["fsck", "--full"])
        .current_dir(&mirror)
        .output()
        .unwrap();
    assert!(
        fsck.status.success(),
        "{}",
        String::from_utf8_lossy(&fsck.stderr)
    );
}

#[test]
fn prune_repacks_what_is_live_and_keeps_staged_work() {
    let f = fixture();
    // Work that exists only in the index, kept through a forced purge.
    let staged = "staged but never committed\n";
    f.repo.write("notes/todo.txt", staged);
    f.repo.git(&["add", "notes/todo.txt"]);
    let staged_blob = hash(&f.repo, staged);
    // A loose object nothing names: pruned, as `git gc --prune=now` would.
    f.repo.write(".dangling", "written, never added\n");
    let dangling = f
        .repo
        .git(&["hash-object", "-w", ".dangling"])
        .trim()
        .to_string();
    std::fs::remove_file(f.repo.path().join(".dangling")).unwrap();
    let out = purge(&f.repo, &["--force"]);
    let text = common::succeeded(&out);
    assert!(text.contains("repacked into one pack"), "{text}");

    let objects = all_objects(&f.repo);
    assert!(objects.contains(&staged_blob), "the staged blob was pruned");
    assert!(!objects.contains(&dangling), "the dangling blob survived");
    for blob in &f.secret_blobs {
        assert!(!objects.contains(blob), "{blob} is still in the database");
    }
    assert_eq!(
        f.repo.git(&["diff", "--cached", "--name-only"]).trim(),
        "notes/todo.txt"
    );
    let counts = f.repo.git(&["count-objects", "-v"]);
    let lines: Vec<&str> = counts.lines().collect();
    assert!(
        lines.contains(&"count: 0") && lines.contains(&"packs: 1"),
        "{counts}"
    );
    f.repo.git(&["fsck", "--full", "--strict"]);
    // Every object the refs reach is there: the same list git computes.
    let reachable: BTreeSet<String> = f
        .repo
        .git(&["rev-list", "--objects", "--all", "--indexed-objects"])
        .lines()
        .map(|l| l[..40].to_string())
        .collect();
    assert!(reachable.is_subset(&objects));
}

#[test]
fn a_linked_worktree_leaves_pruning_to_git_gc() {
    let f = fixture();
    // One that has a commit the rewrite replaces checked out is refused: its checkout would
    // keep the old history alive.
    f.repo
        .git(&["worktree", "add", "-q", "--detach", ".wt-main", "main"]);
    let out = purge(&f.repo, &[]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(code(&out), 2, "{stderr}");
    assert!(
        stderr.contains("the linked worktree") && stderr.contains(".wt-main"),
        "{stderr}"
    );
    f.repo.git(&["worktree", "remove", "--force", ".wt-main"]);
    // Its HEAD is one more root the compaction does not model; git gc does.
    f.repo.git(&[
        "worktree",
        "add",
        "-q",
        "--detach",
        ".wt",
        &f.before_secret[0],
    ]);
    let out = purge(&f.repo, &[]);
    let text = common::succeeded(&out);
    assert!(
        text.contains("by `git gc --prune=now` (the repository has linked worktrees)"),
        "{text}"
    );
    let objects = all_objects(&f.repo);
    for blob in &f.secret_blobs {
        assert!(!objects.contains(blob), "{blob} is still in the database");
    }
    f.repo.git(&["fsck", "--full"]);
}

#[test]
fn deltas_against_a_removed_blob_are_stored_whole() {
    let repo = Repo::new();
    // Forty versions of one file, packed as deltas of each other; the one with the secret is
    // the largest, so git makes it a base of its neighbours.
    let base: String = (0..200)
        .map(|i| format!("setting_{i}: value {i}\n"))
        .collect();
    let mut secret_blob = String::new();
    for v in 0..40 {
        let mut text = format!("version: {v}\n{base}");
        if v == 20 {
            text.push_str(SECRET_ENV);
            secret_blob = hash(&repo, &text);
        }
        repo.write("deploy/config.env", &text);
        repo.commit_at(
            &format!("2023-01-{:02}T00:00:00Z", v % 28 + 1),
            &format!("v{v}"),
        );
    }
    repo.git(&[
        "repack",
        "-a",
        "-d",
        "-f",
        "-q",
        "--depth=50",
        "--window=50",
    ]);
    let pack = std::fs::read_dir(repo.path().join(".git/objects/pack"))
        .unwrap()
        .filter_map(Result::ok)
        .map(|e| e.path())
        .find(|p| p.extension().is_some_and(|e| e == "idx"))
        .unwrap();
    let layout = repo.git(&["verify-pack", "-v", pack.to_str().unwrap()]);
    assert!(
        layout
            .lines()
            .any(|l| l.split_whitespace().nth(6) == Some(secret_blob.as_str())),
        "the fixture needs a delta based on the secret blob:\n{layout}"
    );
    let versions_before: Vec<String> = repo
        .git(&["log", "--format=%H", "main"])
        .lines()
        .map(|c| repo.git(&["show", &format!("{c}:deploy/config.env")]))
        .filter(|text| !text.contains("s3cr3tDbPass1"))
        .collect();

    let out = purge(&repo, &[]);
    let text = common::succeeded(&out);
    assert!(text.contains("repacked into one pack"), "{text}");
    repo.git(&["fsck", "--full", "--strict"]);
    assert!(!all_objects(&repo).contains(&secret_blob));
    // Every other version reads back, byte for byte.
    let versions_after: Vec<String> = repo
        .git(&["log", "--format=%H", "main"])
        .lines()
        .filter_map(|c| {
            let out = std::process::Command::new("git")
                .args(["show", &format!("{c}:deploy/config.env")])
                .current_dir(repo.path())
                .output()
                .unwrap();
            out.status
                .success()
                .then(|| String::from_utf8(out.stdout).unwrap())
        })
        .collect();
    assert_eq!(versions_after, versions_before);
}

#[test]
fn a_secret_left_elsewhere_fails_verification_and_deletes_nothing() {
    let f = fixture();
    let (yaml_blob, env_blob) = (&f.secret_blobs[1], &f.secret_blobs[0]);
    // The same password as deploy/app.env, in a file the purge does not select.
    f.repo.write(
        "ops/runbook.env",
        format!("# staging, copied from prod\n{SECRET_ENV}"),
    );
    f.repo.commit_at("2022-03-02T00:00:00Z", "runbook");
    let out = purge(&f.repo, &["--path", "deploy/app.env", "--include-head"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(code(&out), 2, "{stderr}");
    assert!(
        stderr.contains("verification FAILED: flagged secrets would remain in 1 object(s): ")
            && stderr.contains("nothing was deleted"),
        "{stderr}"
    );
    // Readable: one line, the object with its path and rule, and the file listing them all.
    let runbook = hash(
        &f.repo,
        &format!("# staging, copied from prod\n{SECRET_ENV}"),
    );
    assert_eq!(stderr.trim_end().lines().count(), 1, "{stderr}");
    assert!(
        stderr.contains(&format!("{runbook} at ops/runbook.env (")),
        "{stderr}"
    );
    let list = stderr
        .split("the full list is in ")
        .nth(1)
        .and_then(|rest| rest.split(';').next())
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| panic!("no list named: {stderr}"));
    assert!(list.is_absolute() && list.parent().unwrap().ends_with(".git/scour"));
    let listed = std::fs::read_to_string(&list).unwrap();
    assert!(
        listed.starts_with(&format!("{runbook}\tops/runbook.env\t")),
        "{listed}"
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&list).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    // Nothing was pruned: the old objects are all still there, and the repository is sound.
    let objects = all_objects(&f.repo);
    assert!(objects.contains(env_blob) && objects.contains(yaml_blob));
    f.repo.git(&["fsck", "--full"]);
}

#[test]
fn the_same_weak_value_in_prose_and_in_config_is_judged_per_path_by_the_verification() {
    // As in a Helm chart: the chart's NOTES.txt and README are prose and rightly not flagged,
    // while the same line in values.yaml is. The verification must not flag the prose either.
    for mode in ["redact", "drop"] {
        let repo = Repo::new();
        repo.write("chart/values.yaml", "image: app\npassword: password\n");
        repo.write(
            "chart/templates/NOTES.txt",
            "Log in with\n  password: password\nand change it.\n",
        );
        repo.write(
            "chart/README.md",
            "The default:\n\n    password: password\n",
        );
        repo.commit_at("2022-01-01T00:00:00Z", "chart");
        repo.write("chart/values.yaml", "image: app\n");
        repo.commit_at("2022-01-02T00:00:00Z", "no default password");
        let notes = hash(&repo, "Log in with\n  password: password\nand change it.\n");
        let values = hash(&repo, "image: app\npassword: password\n");
        let out = purge(&repo, &["--mode", mode, "--include-head"]);
        let stdout = common::succeeded(&out);
        assert!(stdout.contains("verified: scanned"), "{stdout}");
        let objects = all_objects(&repo);
        assert!(
            objects.contains(&notes) && !objects.contains(&values),
            "{mode}"
        );
        let first = repo.git(&["rev-list", "--max-parents=0", "HEAD"]);
        let kept = files(&repo, first.trim());
        assert_eq!(kept["chart/templates/NOTES.txt"], notes);
        if mode == "redact" {
            let redacted = repo.git(&["show", &format!("{}:chart/values.yaml", first.trim())]);
            assert_eq!(redacted, "image: app\npassword: ***REMOVED***\n");
        } else {
            assert!(!kept.contains_key("chart/values.yaml"));
        }
        repo.git(&["fsck", "--full"]);
        // Nothing is left for a second run.
        let again = common::succeeded(&purge(&repo, &["--mode", mode, "--include-head"]));
        assert!(again.contains("nothing to purge"), "{again}");
    }
}

#[test]
fn dropping_a_readme_by_path_does_not_hunt_its_prose_values_in_config() {
    // Found on the grafana/helm-charts mirror: a README documents the chart's default password,
    // which values.yaml keeps. Dropping the README by path took what it held, judged without a
    // path (as configuration), for secrets that must not remain anywhere, and so the purge
    // could never pass its verification. Judged as the README it was, it holds no secret.
    let repo = Repo::new();
    repo.write("chart/values.yaml", "image: app\npassword: password\n");
    repo.write(
        "chart/README.md",
        "The default:\n\n    password: password\n",
    );
    repo.commit_at("2022-01-01T00:00:00Z", "chart");
    repo.write("chart/README.md", "See values.yaml.\n");
    repo.commit_at("2022-01-02T00:00:00Z", "readme");
    let readme = hash(&repo, "The default:\n\n    password: password\n");
    let out = purge(&repo, &["--path", "chart/README.md", "--include-head"]);
    let stdout = common::succeeded(&out);
    assert!(stdout.contains("verified: scanned"), "{stdout}");
    assert!(!all_objects(&repo).contains(&readme));
    let first = repo.git(&["rev-list", "--max-parents=0", "HEAD"]);
    let kept = files(&repo, first.trim());
    assert!(!kept.contains_key("chart/README.md") && kept.contains_key("chart/values.yaml"));
    repo.git(&["fsck", "--full"]);
}

#[test]
fn a_low_confidence_fixture_of_the_same_value_is_neither_selected_nor_held_against_the_purge() {
    // The test suite's copy of the value is low confidence, so the default selection leaves it;
    // the verification must judge it the same way, or the purge could never finish.
    let repo = Repo::new();
    repo.write("deploy/app.env", "DB_PASSWORD=hunter2\n");
    repo.write("tests/fixtures/app.env", "# fixture\nDB_PASSWORD=hunter2\n");
    repo.commit_at("2022-01-01T00:00:00Z", "app and its fixture");
    repo.write("deploy/app.env", "DB_PASSWORD=${DB_PASSWORD}\n");
    repo.commit_at("2022-01-02T00:00:00Z", "read it from the environment");
    let fixture = hash(&repo, "# fixture\nDB_PASSWORD=hunter2\n");
    let deployed = hash(&repo, "DB_PASSWORD=hunter2\n");
    let stdout = common::succeeded(&purge(&repo, &[]));
    assert!(stdout.contains("verified: scanned"), "{stdout}");
    let objects = all_objects(&repo);
    assert!(objects.contains(&fixture) && !objects.contains(&deployed));
    repo.git(&["fsck", "--full"]);
    // With every confidence selected, the fixture goes too.
    let stdout = common::succeeded(&purge(
        &repo,
        &["--min-confidence", "low", "--include-head"],
    ));
    assert!(stdout.contains("verified: scanned"), "{stdout}");
    assert!(!all_objects(&repo).contains(&fixture));
}

#[cfg(unix)]
#[test]
fn ctrl_c_before_the_refs_change_leaves_the_repository_as_it_was() {
    let f = fixture();
    let (refs_before, objects_before) = (refs(&f.repo), all_objects(&f.repo));
    // A `git` that pauses while writing the backup bundle: the moment to press Ctrl-C, after
    // the rewrite and before any ref changes.
    let marks = tempfile::tempdir().unwrap();
    let marker = marks.path().join("bundling");
    let (_wrapper, path) = common::git_wrapper(&format!(
        "if [ \"$1\" = bundle ]; then touch '{}'; sleep 2; fi",
        marker.display()
    ));
    let child = std::process::Command::new(common::binary())
        .args(["purge", "--progress", "never"])
        .current_dir(f.repo.path())
        .env("PATH", path)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while !marker.exists() {
        assert!(
            std::time::Instant::now() < deadline,
            "the purge never reached its backup"
        );
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    let sent = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(sent.success());
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(code(&out), 2, "{stderr}");
    assert!(
        stderr.contains("interrupted: no ref was changed"),
        "{stderr}"
    );
    // Same refs, same objects, no bundle with the secrets left behind.
    assert_eq!(refs(&f.repo), refs_before);
    assert_eq!(all_objects(&f.repo), objects_before);
    // (Nor the directory itself: the purge's lock made it, and took it away.)
    let bundles = std::fs::read_dir(f.repo.path().join(".git/scour"))
        .into_iter()
        .flatten()
        .filter_map(Result::ok)
        .filter(|e| e.path().extension().is_some_and(|x| x == "bundle"))
        .count();
    assert_eq!(bundles, 0);
    f.repo.git(&["fsck", "--full"]);
}

#[test]
fn a_blob_also_held_at_an_unselected_path_is_refused_before_anything_changes() {
    let f = fixture();
    let (refs_before, objects_before) = (refs(&f.repo), all_objects(&f.repo));
    // infra/copy/secrets.yaml holds the very same blob as infra/secrets.yaml.
    for dry_run in [true, false] {
        let mut args = vec!["--path", "infra/secrets.yaml"];
        if dry_run {
            args.push("--dry-run");
        }
        let out = purge(&f.repo, &args);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(code(&out), 2, "{stderr}");
        assert!(
            stderr.contains(&f.secret_blobs[1])
                && stderr.contains("also at infra/copy/secrets.yaml")
                && stderr.contains("widen --path"),
            "{stderr}"
        );
        assert_eq!(stderr.lines().count(), 1, "{stderr}");
        assert_eq!(refs(&f.repo), refs_before);
        assert_eq!(all_objects(&f.repo), objects_before);
        assert!(!f.repo.path().join(".git/scour").exists());
    }
    // A glob that covers both copies goes through.
    let out = purge(&f.repo, &["--path", "infra/*secrets.yaml"]);
    common::succeeded(&out);
    assert!(!all_objects(&f.repo).contains(&f.secret_blobs[1]));
}

#[test]
fn a_flagged_blob_in_a_kept_pack_is_refused_before_anything_changes() {
    let f = fixture();
    f.repo.git(&["repack", "-a", "-d", "-q"]);
    let pack = std::fs::read_dir(f.repo.path().join(".git/objects/pack"))
        .unwrap()
        .filter_map(Result::ok)
        .map(|e| e.path())
        .find(|p| p.extension().is_some_and(|e| e == "pack"))
        .unwrap();
    std::fs::write(pack.with_extension("keep"), "").unwrap();
    let (refs_before, objects_before) = (refs(&f.repo), all_objects(&f.repo));
    let out = purge(&f.repo, &[]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(code(&out), 2, "{stderr}");
    assert!(
        stderr.contains(".keep file") && stderr.contains(&f.secret_blobs[0]),
        "{stderr}"
    );
    assert_eq!(refs(&f.repo), refs_before);
    assert_eq!(all_objects(&f.repo), objects_before);
    // Without the .keep file the purge goes through (and git gc is not needed).
    std::fs::remove_file(pack.with_extension("keep")).unwrap();
    let text = common::succeeded(&purge(&f.repo, &[]));
    assert!(text.contains("repacked into one pack"), "{text}");
}

#[test]
fn secrets_in_commit_and_tag_messages_are_redacted_in_both_selections() {
    // Once with the rules choosing (the scan knows which messages hold a secret), once with a
    // path named (every message is read during the rewrite).
    for args in [&[][..], &["--path", "deploy/app.env", "--include-head"][..]] {
        let repo = Repo::new();
        repo.write("README.md", "# platform\n");
        repo.commit_at("2022-01-01T00:00:00Z", "start");
        repo.write("deploy/app.env", SECRET_ENV);
        repo.commit_at(
            "2022-01-02T00:00:00Z",
            &format!("add config\n\ndeployed with {TOKEN}"),
        );
        repo.git_at(
            "2022-01-03T00:00:00Z",
            &[
                "tag",
                "-a",
                "v1",
                "-m",
                &format!("release; CI_TOKEN={TOKEN}"),
            ],
        );
        repo.write("deploy/app.env", "DB_PASSWORD=${DB_PASSWORD}\n");
        repo.commit_at("2022-01-04T00:00:00Z", "secret out of the file");
        let text = common::succeeded(&purge(&repo, args));
        assert!(text.contains("messages redacted: 2"), "{args:?}: {text}");
        let log = repo.git(&["log", "--all", "--format=%B"]);
        assert!(!log.contains(TOKEN), "{args:?}: {log}");
        assert!(log.contains("***REMOVED***"), "{args:?}: {log}");
        let tag = repo.git(&["cat-file", "-p", "v1"]);
        assert!(
            !tag.contains(TOKEN) && tag.contains("***REMOVED***"),
            "{args:?}: {tag}"
        );
        // Messages without a secret are left as they were.
        assert!(log.contains("secret out of the file"));
    }
}

const KUBE_PASSWORD: &str = "kUb3-pA55-7731-zq";
const KUBE_PASSWORD_B64: &str = "a1ViMy1wQTU1LTc3MzEtenE=";

/// A history for killing purges in: secrets early on and at the tip (the checkout moves),
/// a branch merged back, an annotated tag, and a commit-graph.
#[test]
fn messages_keep_every_byte_but_the_secrets_the_scan_reports() {
    // From the grafana/helm-charts mirror: dropping a README by path rewrote messages such as
    // `Use credentials from secret (#919)` to `... (***REMOVED***)`, where the rules match
    // but report nothing, so the refs differed from `git filter-repo`'s.
    const NOISE: [&str; 3] = [
        "Use credentials from secret (#919)",
        "Remove generation of unneeded secret (#22514)",
        "Add support for mounting additional volumes (e.g. Secrets, ConfigMaps)",
    ];
    for args in [&[][..], &["--path", "deploy/app.env", "--include-head"][..]] {
        let repo = Repo::new();
        repo.write("README.md", "# platform\n");
        let untouched = repo.commit_at("2022-01-01T00:00:00Z", NOISE[0]);
        repo.git_at(
            "2022-01-01T00:00:00Z",
            &["tag", "-a", "v0", "-m", &format!("{}\n", NOISE[1])],
        );
        repo.write("deploy/app.env", SECRET_ENV);
        let leaky = format!("{}\n\ndeployed with {TOKEN}\n", NOISE[1]);
        let leaked = repo.commit_at("2022-01-02T00:00:00Z", &leaky);
        repo.write("deploy/app.env", "DB_PASSWORD=${DB_PASSWORD}\n");
        let later = repo.commit_at("2022-01-03T00:00:00Z", NOISE[2]);
        let tag_before = repo.git(&["cat-file", "tag", "v0"]);
        let raw = |id: &str| repo.git(&["cat-file", "commit", id]);
        let before = [raw(&leaked), raw(&later)];

        let text = common::succeeded(&purge(&repo, args));
        assert!(text.contains("messages redacted: 1\n"), "{args:?}: {text}");
        // Neither a commit nor a tag that only the noise would change is rewritten.
        let map = commit_map(&repo);
        assert!(!map.contains_key(&untouched), "{args:?}: {map:?}");
        assert_eq!(repo.git(&["rev-parse", "v0^{commit}"]).trim(), untouched);
        assert_eq!(repo.git(&["cat-file", "tag", "v0"]), tag_before, "{args:?}");
        // A rewritten commit differs in its tree and parent lines and the reported secret only.
        for (old, was) in [leaked, later].iter().zip(before) {
            assert_eq!(
                unlinked(&raw(&map[old])),
                unlinked(&was).replace(TOKEN, "***REMOVED***"),
                "{args:?}"
            );
        }
    }
}

/// A raw commit without its `tree` and `parent` lines, which a rewrite may change.
fn unlinked(raw: &str) -> String {
    raw.lines()
        .filter(|l| !l.starts_with("tree ") && !l.starts_with("parent "))
        .map(|l| format!("{l}\n"))
        .collect()
}

#[test]
fn a_signed_commit_keeps_its_signature_unless_it_is_rewritten() {
    // `git filter-repo` reads `git fast-export`, which drops every commit signature: on the
    // grafana/helm-charts mirror it rewrote each of the 6,648 signed commits and all their
    // descendants. scour keeps a commit that does not change byte for byte, signature and id;
    // a rewritten one loses its signature (it signed the old tree) and keeps all else, even the
    // old ids its message cites (filter-repo rewrites them unless --preserve-commit-hashes).
    let keys = tempfile::tempdir().unwrap();
    let key = keys.path().join("id");
    let made = std::process::Command::new("ssh-keygen")
        .args(["-q", "-t", "ed25519", "-N", "", "-C", "purge-test", "-f"])
        .arg(&key)
        .status()
        .expect("ssh-keygen runs");
    assert!(made.success());
    let repo = Repo::new();
    repo.git(&["config", "gpg.format", "ssh"]);
    repo.git(&["config", "user.signingkey", key.to_str().unwrap()]);
    repo.git(&["config", "commit.gpgsign", "true"]);
    repo.write("README.md", "# platform\n");
    let start = repo.commit_at("2022-01-01T00:00:00+05:30", "start");
    repo.write("deploy/app.env", SECRET_ENV);
    let cites = format!("config, after {}", &start[..7]);
    let config = repo.commit_at("2022-01-02T00:00:00-09:30", &cites);
    repo.write("deploy/app.env", "DB_PASSWORD=${DB_PASSWORD}\n");
    let later = repo.commit_at("2022-01-03T00:00:00Z", "secret out of the file");
    let raw = |id: &str| repo.git(&["cat-file", "commit", id]);
    let before = [raw(&config), raw(&later)];
    assert!(before
        .iter()
        .all(|c| c.contains("\ngpgsig -----BEGIN SSH SIGNATURE-----")));

    common::succeeded(&purge(
        &repo,
        &["--path", "deploy/app.env", "--include-head"],
    ));
    let map = commit_map(&repo);
    assert!(!map.contains_key(&start), "{map:?}");
    assert!(raw(&start).contains("\ngpgsig "));
    for (old, was) in [&config, &later].into_iter().zip(before) {
        let now = raw(&map[old]);
        let unsigned: String = unlinked(&was)
            .lines()
            .filter(|l| !l.starts_with("gpgsig ") && !l.starts_with(' '))
            .map(|l| format!("{l}\n"))
            .collect();
        assert_eq!(unlinked(&now), unsigned);
    }
    assert!(raw(&map[&config]).ends_with(&format!("\n{cites}\n")));
}

fn crash_fixture() -> Repo {
    let repo = Repo::new();
    repo.write("README.md", "# service\n");
    repo.commit_at("2022-01-01T00:00:00Z", "start");
    repo.write("deploy/app.env", SECRET_ENV);
    repo.write(
        "k8s/secret.yaml",
        format!("kind: Secret\ndata:\n  DB_PASSWORD: {KUBE_PASSWORD_B64}\n"),
    );
    let with_secrets = repo.commit_at("2022-01-02T00:00:00Z", "deploy");
    repo.git(&["checkout", "-q", "-b", "feature", &with_secrets]);
    repo.write("src/feature.py", "x = 1\n");
    repo.commit_at("2022-01-03T00:00:00Z", "feature");
    repo.git(&["checkout", "-q", "main"]);
    repo.write("ci.yaml", format!("token: {TOKEN}\n"));
    repo.commit_at("2022-01-04T00:00:00Z", "ci");
    repo.git_at(
        "2022-01-05T00:00:00Z",
        &["merge", "-q", "--no-ff", "-m", "merge feature", "feature"],
    );
    repo.git_at("2022-01-06T00:00:00Z", &["tag", "-a", "v1", "-m", "one"]);
    repo.write("src/main.py", "print(1)\n");
    repo.commit_at("2022-01-07T00:00:00Z", "main");
    repo.git(&["commit-graph", "write", "--reachable"]);
    repo
}

/// Every step boundary `SCOUR_CRASH_AT` can name, from the sources.
fn crash_steps() -> Vec<String> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/purge");
    let mut steps = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let text = std::fs::read_to_string(entry.unwrap().path()).unwrap();
        for piece in text.split("crash::point(\"").skip(1) {
            let step = piece.split_once("\")").map_or("", |(step, _)| step);
            // (The doc comment that names the pattern is not a step.)
            if !step.is_empty() && step.bytes().all(|b| b.is_ascii_lowercase() || b == b'-') {
                steps.push(step.to_string());
            }
        }
    }
    steps.sort();
    steps.dedup();
    steps
}

/// Each file of the checkout is as the `old` or the `new` files (path to blob) have it.
fn checkout_is_one_of(
    repo: &Repo,
    old: &BTreeMap<String, String>,
    new: &BTreeMap<String, String>,
) -> Result<(), String> {
    for path in old.keys().chain(new.keys()) {
        let on_disk = repo.path().join(path);
        let state = if on_disk.exists() {
            Some(repo.git(&["hash-object", path]).trim().to_string())
        } else {
            None
        };
        if state.as_ref() != old.get(path) && state.as_ref() != new.get(path) {
            return Err(format!("{path} is neither the old nor the new version"));
        }
    }
    Ok(())
}

/// The refs and the files at HEAD, before or after a purge.
struct Ends {
    refs: BTreeMap<String, String>,
    files: BTreeMap<String, String>,
}

impl Ends {
    fn of(repo: &Repo) -> Ends {
        Ends {
            refs: refs(repo),
            files: files(repo, "HEAD"),
        }
    }
}

/// What a killed purge must leave: a clean fsck, refs that all name objects and are all old
/// or all new, and a checkout of the old or the new commit, file by file.
fn sound_after_a_kill(repo: &Repo, old: &Ends, new: &Ends) -> Result<(), String> {
    let fsck = std::process::Command::new("git")
        .args(["fsck", "--full", "--no-progress"])
        .current_dir(repo.path())
        .output()
        .unwrap();
    let complaint = String::from_utf8_lossy(&fsck.stderr).to_string();
    if !fsck.status.success() || complaint.contains("error") {
        return Err(format!("git fsck: {complaint}"));
    }
    let now = refs(repo);
    for id in now.values() {
        repo.git(&["cat-file", "-e", id]);
    }
    if now != old.refs && now != new.refs {
        return Err(format!("refs are neither all old nor all new: {now:?}"));
    }
    checkout_is_one_of(repo, &old.files, &new.files)
}

/// No object holds a planted secret, raw or base64.
fn no_secret_in_any_object(repo: &Repo) -> Result<(), String> {
    let out = std::process::Command::new("git")
        .args(["cat-file", "--batch-all-objects", "--batch"])
        .current_dir(repo.path())
        .output()
        .unwrap();
    let all = String::from_utf8_lossy(&out.stdout);
    let secret = SECRET_ENV.trim_start_matches("DB_PASSWORD=").trim_end();
    for planted in [secret, TOKEN, KUBE_PASSWORD, KUBE_PASSWORD_B64] {
        if all.contains(planted) {
            return Err(format!("an object still holds {planted}"));
        }
    }
    Ok(())
}

#[cfg(target_os = "linux")]
#[test]
fn a_purge_killed_at_any_step_is_finished_by_the_next_run() {
    use std::os::unix::process::ExitStatusExt;
    let template = crash_fixture();
    let args = ["--include-head"];
    // The run nobody kills: what the refs and the commit map must end as.
    let reference = template.copy();
    common::succeeded(&purge(&reference, &args));
    let (old, new, map) = (
        Ends::of(&template),
        Ends::of(&reference),
        commit_map(&reference),
    );
    assert_ne!(old.refs, new.refs);
    assert_ne!(old.files, new.files);
    let steps = crash_steps();
    assert!(steps.len() >= 12, "{steps:?}");
    for step in &steps {
        let repo = template.copy();
        let killed = std::process::Command::new(common::binary())
            .args(["purge", "--progress", "never"])
            .args(args)
            .current_dir(repo.path())
            .env("SCOUR_CRASH_AT", step)
            .output()
            .unwrap();
        assert_eq!(
            killed.status.signal(),
            Some(9),
            "step {step} was never reached: {}",
            String::from_utf8_lossy(&killed.stderr)
        );
        sound_after_a_kill(&repo, &old, &new).unwrap_or_else(|e| panic!("killed at {step}: {e}"));
        let rerun = purge(&repo, &args);
        let stderr = String::from_utf8_lossy(&rerun.stderr);
        assert_eq!(code(&rerun), 0, "rerun after {step}: {stderr}");
        assert_eq!(refs(&repo), new.refs, "after {step}");
        assert_eq!(commit_map(&repo), map, "after {step}");
        no_secret_in_any_object(&repo).unwrap_or_else(|e| panic!("after {step}: {e}"));
        let history = repo.scour(&["history", "--all-objects", "--progress", "never"]);
        assert_eq!(code(&history), 0, "after {step}: {:?}", history);
        repo.git(&["fsck", "--full"]);
        assert_eq!(repo.git(&["status", "--porcelain"]), "", "after {step}");
    }
}

/// `pid start-time since`, as a purge writes its lock, for process `pid`.
#[cfg(target_os = "linux")]
fn lock_line(pid: u32) -> String {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    let started = stat
        .rsplit(')')
        .next()
        .and_then(|rest| rest.split_whitespace().nth(19))
        .unwrap_or("0")
        .to_string();
    let since = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    format!("{pid} {started} {}\n", since - 5)
}

#[cfg(target_os = "linux")]
#[test]
fn a_live_purge_lock_is_respected_and_a_dead_ones_locks_are_cleared() {
    let f = fixture();
    let scour_dir = f.repo.path().join(".git/scour");
    std::fs::create_dir_all(&scour_dir).unwrap();
    // This test process is alive: its lock stands, and nothing changes.
    std::fs::write(scour_dir.join("lock"), lock_line(std::process::id())).unwrap();
    let refs_before = refs(&f.repo);
    let out = purge(&f.repo, &["--include-head"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(code(&out), 2, "{stderr}");
    assert!(
        stderr.contains(&format!("another scour purge (pid {})", std::process::id())),
        "{stderr}"
    );
    assert_eq!(refs(&f.repo), refs_before);
    // A process that has exited, and a ref lock and index lock its run left behind.
    let mut gone = std::process::Command::new("true").spawn().unwrap();
    let pid = gone.id();
    let line = lock_line(pid);
    gone.wait().unwrap();
    std::fs::write(scour_dir.join("lock"), line).unwrap();
    std::fs::write(f.repo.path().join(".git/refs/heads/main.lock"), "").unwrap();
    std::fs::write(f.repo.path().join(".git/index.lock"), "").unwrap();
    let out = purge(&f.repo, &["--include-head"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(code(&out), 0, "{stderr}");
    assert!(
        stderr.contains(&format!("an earlier purge (pid {pid}) was killed")),
        "{stderr}"
    );
    assert!(!f.repo.path().join(".git/index.lock").exists());
    assert!(!scour_dir.join("lock").exists());
    f.repo.git(&["fsck", "--full"]);
}
