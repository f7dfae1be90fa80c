//! `scour history` on real repositories built with `git`: every ref, tag, stash and merge;
//! deleted, renamed and duplicated files; binary blobs and submodule entries; objects only
//! `--all-objects` reaches; narrowing; bare, shallow, partial and corrupt repositories.

mod common;

use common::{code, report, Repo};
use serde_json::Value;

const DELETED: &str = "POSTGRES_PASSWORD=enclii_dev";
const BRANCH_TOKEN: &str = "ghp_R8aK2mQ9xL4vT7bN1cW5yH3jD6fG0sP2eZ4u";
const STASHED: &str = "REDIS_PASSWORD=st4shedRedis";
const AMENDED: &str = "API_PASSWORD=amendedAway1";
const SHARED: &str = "JWT_SECRET: replace-me-with-a-real-key\n";
const TAG_TOKEN: &str = "glpat-xR8aK2mQ9xL4vT7bN1cW";

struct Fixture {
    repo: Repo,
    deleted_commit: String,
}

/// The repository the issue describes, built step by step.
fn fixture() -> Fixture {
    let repo = Repo::new();
    repo.write("README.md", "# platform\n");
    repo.write("infra/.env", format!("{DELETED}\n"));
    repo.write("infra/shared/a.yaml", SHARED);
    repo.write("infra/shared/b.yaml", SHARED);
    repo.write("old/name.env", "DB_PASSWORD=r3namedPass\n");
    let mut binary = b"\x00\x01\x02".to_vec();
    binary.extend_from_slice(format!("TOKEN={BRANCH_TOKEN}").as_bytes());
    repo.write("assets/logo.bin", &binary);
    let deleted_commit = repo.commit_at("2023-03-01T09:00:00Z", "initial platform");

    // A submodule entry (gitlink) without a real submodule behind it.
    repo.git(&[
        "update-index",
        "--add",
        "--cacheinfo",
        "160000,1111111111111111111111111111111111111111,vendor/lib",
    ]);
    repo.git_at(
        "2023-04-01T09:00:00Z",
        &["commit", "-q", "-m", "add submodule"],
    );

    // Delete the secret and rename a file in a later commit.
    repo.remove("infra/.env");
    repo.git(&["mv", "old/name.env", "renamed.env"]);
    repo.commit_at("2023-06-01T09:00:00Z", "remove .env, rename");

    // A branch with its own secret, merged later; another branch never merged.
    repo.git(&["checkout", "-q", "-b", "feature"]);
    repo.write(
        "ci/deploy.sh",
        format!("export GITHUB_TOKEN={BRANCH_TOKEN}\n"),
    );
    repo.commit_at("2023-07-01T09:00:00Z", "ci token on a branch");
    repo.git(&["checkout", "-q", "main"]);
    repo.git(&["checkout", "-q", "-b", "merged"]);
    repo.write("docs/notes.txt", "nothing secret\n");
    repo.commit_at("2023-07-02T09:00:00Z", "docs");
    repo.git(&["checkout", "-q", "main"]);
    repo.git_at(
        "2023-07-03T09:00:00Z",
        &["merge", "-q", "--no-ff", "-m", "merge docs", "merged"],
    );

    // Tags: an annotated one with a secret in its message, and a lightweight one.
    repo.git_at(
        "2023-08-01T09:00:00Z",
        &[
            "tag",
            "-a",
            "v1.0",
            "-m",
            &format!("release; CI_TOKEN={TAG_TOKEN}"),
        ],
    );
    repo.git(&["tag", "v1.0-light"]);

    // A stash holding a secret that no branch has.
    repo.write("stash.env", format!("{STASHED}\n"));
    repo.git(&["add", "stash.env"]);
    repo.git(&["stash", "-q"]);

    // A commit amended away: its blob stays in the object database, unreachable.
    repo.write("tmp.env", format!("{AMENDED}\n"));
    repo.commit_at("2023-09-01T09:00:00Z", "wip");
    repo.write("tmp.env", "API_PASSWORD=${API_PASSWORD}\n");
    repo.git(&["add", "-A"]);
    repo.git_at(
        "2023-09-01T09:05:00Z",
        &["commit", "-q", "--amend", "-m", "wip, cleaned"],
    );
    repo.git(&["reflog", "expire", "--expire=now", "--all"]);
    Fixture {
        repo,
        deleted_commit,
    }
}

fn findings(report: &Value) -> Vec<Value> {
    report["findings"].as_array().unwrap().clone()
}

fn by_path<'a>(findings: &'a [Value], path: &str) -> Vec<&'a Value> {
    findings.iter().filter(|f| f["path"] == path).collect()
}

fn history(repo: &Repo, args: &[&str]) -> (i32, Value, String) {
    let mut all = vec![
        "history",
        "--format",
        "json",
        "--show-secrets",
        "--progress",
        "never",
    ];
    all.extend_from_slice(args);
    let out = repo.scour(&all);
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    (code(&out), report(&out), stderr)
}

#[test]
fn deleted_secret_has_its_introducing_commit_and_is_not_at_head() {
    let f = fixture();
    let (status, report, stderr) = history(&f.repo, &[]);
    assert_eq!(status, 1, "{stderr}");
    let all = findings(&report);
    let deleted = by_path(&all, "infra/.env");
    assert_eq!(deleted.len(), 1, "{all:#?}");
    let d = deleted[0];
    assert_eq!(d["rule"], "generic.env-password");
    assert_eq!(d["secret"], "enclii_dev");
    assert_eq!(d["commit"], f.deleted_commit.as_str());
    assert_eq!(d["author"], "Test Author <author@enclii.dev>");
    assert_eq!(d["date"], "2023-03-01T09:00:00+00:00");
    assert_eq!(d["in_head"], false);
    assert_eq!(d["unreachable"], false);
    assert_eq!(d["line"], 1);
    let refs: Vec<&str> = d["refs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r.as_str().unwrap())
        .collect();
    assert!(
        refs.contains(&"refs/heads/main") && refs.contains(&"refs/tags/v1.0"),
        "{refs:?}"
    );
}

#[test]
fn branch_stash_and_tag_message_secrets_are_found() {
    let f = fixture();
    let (_, report, _) = history(&f.repo, &[]);
    let all = findings(&report);
    let branch = by_path(&all, "ci/deploy.sh");
    assert_eq!(branch.len(), 1, "{all:#?}");
    assert_eq!(branch[0]["secret"], BRANCH_TOKEN);
    assert_eq!(branch[0]["refs"], serde_json::json!(["refs/heads/feature"]));
    let stash = by_path(&all, "stash.env");
    assert_eq!(stash.len(), 1, "{all:#?}");
    assert_eq!(stash[0]["secret"], "st4shedRedis");
    assert!(stash[0]["refs"]
        .as_array()
        .unwrap()
        .contains(&Value::from("refs/stash")));
    let tag = by_path(&all, "(tag message)");
    assert_eq!(tag.len(), 1, "{all:#?}");
    assert_eq!(tag[0]["rule"], "vcs.gitlab-pat");
}

#[test]
fn a_blob_at_two_paths_and_a_renamed_file_are_scanned_once_reported_per_path() {
    let f = fixture();
    let (_, report, _) = history(&f.repo, &[]);
    let all = findings(&report);
    let shared: Vec<&Value> = all
        .iter()
        .filter(|x| x["rule"] == "jwt.signing-key")
        .collect();
    let mut paths: Vec<&str> = shared.iter().map(|x| x["path"].as_str().unwrap()).collect();
    paths.sort();
    assert_eq!(paths, vec!["infra/shared/a.yaml", "infra/shared/b.yaml"]);
    assert_eq!(shared[0]["blob"], shared[1]["blob"]);
    assert_eq!(shared[0]["in_head"], true);
    let renamed: Vec<&str> = all
        .iter()
        .filter(|x| x["secret"] == "r3namedPass")
        .map(|x| x["path"].as_str().unwrap())
        .collect();
    assert_eq!(renamed.len(), 2, "{renamed:?}");
    assert!(renamed.contains(&"old/name.env") && renamed.contains(&"renamed.env"));
    // Every blob of the database is read once: README, .env, the shared YAML (once), the
    // renamed file (once), the branch script, the docs note, the stashed file, the cleaned
    // tmp.env and the amended-away one; the binary blob is skipped.
    let summary = &report["summary"];
    assert_eq!(summary["files"], 9, "{summary}");
    assert_eq!(summary["skipped_binary"], 1, "{summary}");
    assert!(
        summary["git"]["submodules"].as_u64().unwrap() >= 1,
        "{summary}"
    );
}

#[test]
fn amended_away_secret_needs_all_objects_and_is_marked_unreachable() {
    let f = fixture();
    let (_, report, _) = history(&f.repo, &[]);
    assert!(
        !findings(&report)
            .iter()
            .any(|x| x["secret"] == "amendedAway1"),
        "reachable scan must not see the amended-away blob"
    );
    let (_, report, stderr) = history(&f.repo, &["--all-objects"]);
    let all = findings(&report);
    let amended: Vec<&Value> = all
        .iter()
        .filter(|x| x["secret"] == "amendedAway1")
        .collect();
    assert_eq!(amended.len(), 1, "{stderr}\n{all:#?}");
    assert_eq!(amended[0]["unreachable"], true);
    // The amended-away commit is still in the database: it gives the path and the date.
    assert_eq!(amended[0]["path"], "tmp.env");
    assert_eq!(amended[0]["date"], "2023-09-01T09:00:00+00:00");
    assert_eq!(amended[0]["in_head"], false);
    // What refs reach is still placed in history under --all-objects.
    let deleted = by_path(&all, "infra/.env");
    assert_eq!(deleted[0]["commit"], f.deleted_commit.as_str());
}

#[test]
fn narrowing_by_range_since_and_refs() {
    let f = fixture();
    let feature_base = f.repo.git(&["merge-base", "main", "feature"]);
    let range = format!("{}..feature", feature_base.trim());
    let (_, report, stderr) = history(&f.repo, &["--range", &range]);
    let paths: Vec<String> = findings(&report)
        .iter()
        .map(|x| x["path"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(paths, vec!["ci/deploy.sh"], "{stderr}");

    let (_, report, _) = history(&f.repo, &["--since", "main", "--refs", "refs/heads/*"]);
    let paths: Vec<String> = findings(&report)
        .iter()
        .map(|x| x["path"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(paths, vec!["ci/deploy.sh"]);

    let (_, report, _) = history(&f.repo, &["--refs", "refs/heads/main"]);
    let all = findings(&report);
    assert!(by_path(&all, "ci/deploy.sh").is_empty());
    assert!(by_path(&all, "stash.env").is_empty());
    assert_eq!(by_path(&all, "infra/.env").len(), 1);
}

#[test]
fn bare_mirror_gives_the_same_findings() {
    let f = fixture();
    let mirror = tempfile::tempdir().unwrap();
    let dest = mirror.path().join("platform.git");
    f.repo
        .git(&["clone", "-q", "--mirror", ".", dest.to_str().unwrap()]);
    let out = common::scour_in(
        mirror.path(),
        &[
            "history",
            "platform.git",
            "--format",
            "json",
            "--progress",
            "never",
        ],
    );
    assert_eq!(code(&out), 1, "{}", String::from_utf8_lossy(&out.stderr));
    let got = findings(&report(&out));
    assert!(!by_path(&got, "infra/.env").is_empty());
    assert!(!by_path(&got, "ci/deploy.sh").is_empty());
}

#[test]
fn shallow_clone_warns_and_scans_what_it_has() {
    let f = fixture();
    let dir = tempfile::tempdir().unwrap();
    let url = format!("file://{}", f.repo.path().display());
    let dest = dir.path().join("shallow");
    f.repo
        .git(&["clone", "-q", "--depth", "1", &url, dest.to_str().unwrap()]);
    let out = common::scour_in(
        &dest,
        &["history", "--format", "json", "--progress", "never"],
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("shallow clone"), "{stderr}");
    assert_eq!(code(&out), 1, "{stderr}");
    let got = findings(&report(&out));
    assert!(!by_path(&got, "infra/shared/a.yaml").is_empty());
    assert!(
        by_path(&got, "infra/.env").is_empty(),
        "deleted before the boundary"
    );
}

#[test]
fn partial_clone_counts_missing_blobs() {
    let f = fixture();
    f.repo.git(&["config", "uploadpack.allowFilter", "true"]);
    let dir = tempfile::tempdir().unwrap();
    let url = format!("file://{}", f.repo.path().display());
    let dest = dir.path().join("partial");
    f.repo.git(&[
        "clone",
        "-q",
        "--filter=blob:none",
        "--no-checkout",
        &url,
        dest.to_str().unwrap(),
    ]);
    let out = common::scour_in(
        &dest,
        &["history", "--format", "json", "--progress", "never"],
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("not in the object database"), "{stderr}");
    let report = report(&out);
    assert!(report["summary"]["git"]["missing_blobs"].as_u64().unwrap() > 0);
    assert_ne!(code(&out), 2);
}

#[test]
fn corrupt_loose_object_is_a_warning_not_a_stop() {
    let repo = Repo::new();
    repo.write("a.env", "DB_PASSWORD=g00dPass1\n");
    repo.commit_all("good");
    repo.write("b.env", "OTHER_PASSWORD=c0rruptMe\n");
    let blob = repo.git(&["hash-object", "-w", "b.env"]).trim().to_string();
    let path = repo
        .path()
        .join(".git/objects")
        .join(&blob[..2])
        .join(&blob[2..]);
    let mut perms = std::fs::metadata(&path).unwrap().permissions();
    #[allow(clippy::permissions_set_readonly_false)]
    perms.set_readonly(false);
    std::fs::set_permissions(&path, perms).unwrap();
    std::fs::write(&path, b"this is not zlib").unwrap();
    let out = repo.scour(&[
        "history",
        "--all-objects",
        "--format",
        "json",
        "--progress",
        "never",
    ]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains(&blob), "{stderr}");
    assert_eq!(code(&out), 1, "{stderr}");
    let got = findings(&report(&out));
    assert_eq!(by_path(&got, "a.env").len(), 1);
}

#[test]
fn not_a_repository_is_one_line_exit_two_and_empty_is_clean() {
    let dir = tempfile::tempdir().unwrap();
    let out = common::scour_in(dir.path(), &["history", "--progress", "never"]);
    assert_eq!(code(&out), 2);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("is not a git repository"), "{err}");

    let empty = Repo::new();
    let out = empty.scour(&["history", "--progress", "never"]);
    assert_eq!(code(&out), 0, "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no commits"));
}

#[test]
fn human_output_says_since_when_and_whether_at_head() {
    let f = fixture();
    let out = f
        .repo
        .scour(&["history", "--progress", "never", "--color", "never"]);
    let text = String::from_utf8_lossy(&out.stdout);
    let line = text
        .lines()
        .find(|l| l.starts_with("infra/.env:1:"))
        .unwrap_or_else(|| panic!("{text}"));
    assert!(
        line.contains(&format!("since {}", &f.deleted_commit[..10])),
        "{line}"
    );
    assert!(
        line.contains("2023-03-01") && line.contains("not at HEAD"),
        "{line}"
    );
    assert!(text.contains("unique blobs"), "{text}");
}

#[test]
fn committed_scourignore_applies_to_history_unless_no_ignore() {
    let repo = Repo::new();
    repo.write(
        "fixtures/token.env",
        format!("GITHUB_TOKEN={BRANCH_TOKEN}\n"),
    );
    repo.write("app.env", "DB_PASSWORD=r3alLeak1\n");
    repo.commit_all("fixtures");
    repo.write(".scourignore", "fixtures/\n");
    repo.commit_all("ignore fixtures");
    let (_, report, _) = history(&repo, &[]);
    let paths: Vec<String> = findings(&report)
        .iter()
        .map(|x| x["path"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(paths, vec!["app.env"]);
    let (_, report, _) = history(&repo, &["--no-ignore"]);
    let mut paths: Vec<String> = findings(&report)
        .iter()
        .map(|x| x["path"].as_str().unwrap().to_string())
        .collect();
    paths.sort();
    assert_eq!(paths, vec!["app.env", "fixtures/token.env"]);
}

#[cfg(unix)]
#[test]
fn odd_paths_and_deep_trees_do_not_break_the_scan() {
    use std::os::unix::ffi::OsStrExt;
    let repo = Repo::new();
    let deep: String = (0..120).map(|i| format!("d{i}/")).collect();
    repo.write(&format!("{deep}deep.env"), "DB_PASSWORD=d33pSecret1\n");
    repo.write("name with\nnewline.env", "DB_PASSWORD=n3wlineSecret\n");
    let odd = repo
        .path()
        .join(std::ffi::OsStr::from_bytes(b"latin1-\xe9.env"));
    std::fs::write(odd, "DB_PASSWORD=lat1nSecret1\n").unwrap();
    repo.commit_all("odd paths");
    let (status, report, stderr) = history(&repo, &[]);
    assert_eq!(status, 1, "{stderr}");
    let secrets: Vec<String> = findings(&report)
        .iter()
        .map(|f| f["secret"].as_str().unwrap().to_string())
        .collect();
    for s in ["d33pSecret1", "n3wlineSecret", "lat1nSecret1"] {
        assert!(secrets.iter().any(|x| x == s), "{s} not found: {secrets:?}");
    }
    let out = repo.scour(&["checklist", "--progress", "never"]);
    assert_eq!(code(&out), 1, "{}", String::from_utf8_lossy(&out.stderr));
}

/// Many versions of keyword-dense files, packed as deep delta chains: scanning each delta's
/// changes (the default) finds exactly what scanning every version whole finds, and
/// `SCOUR_DELTA=check` (both, compared blob by blob) agrees.
#[test]
fn delta_scanning_finds_what_whole_scans_find() {
    let repo = Repo::new();
    let palette = [
        "  password: hunter2-Zq8xYw2v",
        "  adminPassword: \"\"",
        "  existingSecret: my-secret",
        "  token: ghp_C0rpusT0kenAbcdefghijklmnopqrstuvw12",
        "- name: POSTGRES_PASSWORD",
        "  value: s3cr3t-Postgres-Value",
        "aws_secret_access_key =",
        "  wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEYzq",
        "-----BEGIN RSA PRIVATE KEY-----",
        "MIIEpAIBAFLyJmWmDBLSiRhdlQ7ogTYJFm9rET0XjWwP05Af8jmhoJXyD5OVZQz5",
        "-----END RSA PRIVATE KEY-----",
        "config: cGFzc3dvcmQ9aHVudGVyMlpxOHhZdzJ2NTU1",
        "  url: postgres://app:C0rpusDbPass@db:5432/app",
        "replicas: 3",
        "image: grafana/grafana:10.0.0",
        "",
        "fernetKey: Zq1xYw2v3kK8vQ0Zx1mR0n8L5q9pYbT7aXcV2nM4bZ6=",
        // The same line and a private key, base64-encoded: the path scan must read them too.
        "blob: ZmVybmV0S2V5OiBacTF4WXcydjNrSzh2UTBaeDFtUjBuOEw1cTlwWWJUN2FYY1Yybk00Ylo2PQo=",
        "k: cHJpdmF0ZUtleTogMzgwMGExYjJjM2Q0ZTVmNjA3MTgyOTNhNGI1YzZkN2U4ZjkwMTIzNDU2NzhhYmNkZWYwMTIzNDU2Nzg5YWJjZg==",
    ];
    let mut state = 0x5eed_u64;
    let mut next = |n: usize| {
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((state >> 33) as usize) % n
    };
    // (path, how many lines of the palette it draws from): the last, a SQL dump that a rule
    // without keywords reads whole, holds no line it could match (no hash, no base64 run
    // long enough to encode one), so its path scans can be skipped.
    let shapes = [
        ("charts/a/values.yaml", palette.len()),
        ("deploy/app.yaml", palette.len()),
        ("db/dump.sql", 7),
    ];
    let mut files: Vec<(String, Vec<String>)> = shapes
        .iter()
        .map(|&(p, drawn)| {
            let lines = (0..120).map(|_| palette[next(drawn)].to_string());
            (p.to_string(), lines.collect())
        })
        .collect();
    let mut stream = String::new();
    for n in 0..80 {
        let which = next(shapes.len());
        let drawn = shapes[which].1;
        let (path, lines) = &mut files[which];
        for _ in 0..1 + next(3) {
            let at = next(lines.len());
            match next(3) {
                0 => lines.insert(at, palette[next(drawn)].to_string()),
                1 => {
                    lines.remove(at);
                }
                _ => lines[at] = palette[next(drawn)].to_string(),
            }
        }
        let content = lines.join("\n") + "\n";
        stream.push_str(&format!(
            "commit refs/heads/main\ncommitter Dev <dev@example.com> {} +0000\ndata 4\nedit\n",
            1_600_000_000 + n * 60
        ));
        if n == 0 {
            for (p, l) in &files {
                let c = l.join("\n") + "\n";
                stream.push_str(&format!("M 100644 inline {p}\ndata {}\n{c}\n", c.len()));
            }
        } else {
            stream.push_str(&format!(
                "M 100644 inline {path}\ndata {}\n{content}\n",
                content.len()
            ));
        }
        if n % 10 == 0 {
            stream.push_str(&format!(
                "reset refs/pull/{n}/head\nfrom refs/heads/main\n\n"
            ));
        }
    }
    std::fs::write(repo.path().join("import.stream"), stream).unwrap();
    let out = std::process::Command::new("sh")
        .arg("-c")
        .arg("git fast-import --quiet < import.stream && git repack -a -d -f -q --depth=50 --window=250 && git prune-packed && rm import.stream")
        .current_dir(repo.path())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    let run = |mode: &str| {
        let out = std::process::Command::new(common::binary())
            .args([
                "history",
                "--all-objects",
                "--format",
                "json",
                "--progress",
                "never",
            ])
            .current_dir(repo.path())
            .env("SCOUR_DELTA", mode)
            .env("SCOUR_TIMINGS", "1")
            .output()
            .unwrap();
        assert_eq!(code(&out), 1, "{}", String::from_utf8_lossy(&out.stderr));
        let mut r = report(&out);
        r["summary"]["seconds"] = Value::Null;
        (r, String::from_utf8_lossy(&out.stderr).into_owned())
    };
    let (whole, _) = run("off");
    let (changes, timings) = run("on");
    let (checked, _) = run("check");
    assert!(
        whole["findings"].as_array().unwrap().len() > 50,
        "a dense history has many findings"
    );
    assert_eq!(whole, changes);
    assert_eq!(whole, checked);
    // The Helm values keys, plain and base64-encoded, are found in every version.
    let values_keys: Vec<Value> = findings(&whole)
        .into_iter()
        .filter(|f| f["rule"] == "frameworks.values-key")
        .collect();
    let decoded = |f: &Value| f["decoded"].as_array().is_some_and(|d| !d.is_empty());
    assert!(
        values_keys.iter().any(decoded) && !values_keys.iter().all(decoded),
        "values keys found plain and decoded: {values_keys:?}"
    );
    let by_changes: u64 = timings
        .split("scanned by their delta's changes: ")
        .nth(1)
        .and_then(|rest| rest.split(',').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or(0);
    assert!(by_changes > 40, "most versions are deltas: {timings}");
    let skipped: u64 = timings
        .split("skipped as their rules' regexes cannot match: ")
        .nth(1)
        .and_then(|rest| rest.lines().next())
        .and_then(|n| n.trim().parse().ok())
        .unwrap_or(0);
    assert!(
        skipped > 0,
        "some versions hold nothing for the path scan: {timings}"
    );
}

/// A tree of 100,000 names that all hold one blob (the empty file): their raw entries end in
/// the same id, and were once hashed by it alone, which made indexing the tree quadratic
/// (50,000 names took 9 s in a release build). The bound is far above what linear work takes
/// in a debug build and far below what quadratic work does.
#[test]
fn many_names_of_one_blob_are_indexed_in_linear_time() {
    let repo = Repo::new();
    repo.write("app.env", "DB_PASSWORD=m4nyN4mesSecret\n");
    repo.commit_all("a secret");
    let empty = repo.git(&["hash-object", "-w", "/dev/null"]);
    let empty = empty.trim();
    let secret = repo.git(&["rev-parse", "HEAD:app.env"]);
    let mut listing = format!("100644 blob {}\tapp.env\n", secret.trim());
    for i in 0..100_000 {
        listing.push_str(&format!("100644 blob {empty}\tempty-{i:06}.txt\n"));
    }
    let tree = repo.git_input(&["mktree"], listing.as_bytes());
    let tree = tree.trim();
    let commit = repo.git(&["commit-tree", tree, "-p", "HEAD", "-m", "many names"]);
    repo.git(&["update-ref", "refs/heads/many", commit.trim()]);
    let started = std::time::Instant::now();
    let (status, report, stderr) = history(&repo, &["--refs", "refs/heads/many"]);
    let took = started.elapsed();
    assert_eq!(status, 1, "{stderr}");
    assert!(
        findings(&report)
            .iter()
            .any(|f| f["path"] == "app.env" && f["secret"] == "m4nyN4mesSecret"),
        "{report}"
    );
    assert!(took.as_secs() < 30, "history took {took:?}");
}

/// History reads a commit's headers only as far as its author: one whose committer line is
/// broken (as `git hash-object --literally` or an old tool writes) is still walked, its
/// message scanned and its author credited, while one without an author is reported corrupt
/// and skipped, as before.
#[test]
fn a_commit_is_read_as_far_as_its_author() {
    let repo = Repo::new();
    repo.write("app.yaml", "name: app\n").commit_all("first");
    let tree = repo.git(&["rev-parse", "HEAD^{tree}"]);
    let tree = tree.trim();
    let broken = format!(
        "tree {tree}\nauthor Ann <ann@example.org> 1600000000 +0000\ncommitter broken\n\n\
         rotate: DB_PASSWORD=Zq8vLm2xR7tKp4Wn\n"
    );
    let no_author = format!("tree {tree}\ncommitter C <c@example.org> 1600000000 +0000\n\nx\n");
    let write = |raw: &str| {
        repo.git_input(
            &[
                "hash-object",
                "-t",
                "commit",
                "-w",
                "--literally",
                "--stdin",
            ],
            raw.as_bytes(),
        )
        .trim()
        .to_string()
    };
    let (broken, no_author) = (write(&broken), write(&no_author));
    repo.git(&["update-ref", "refs/heads/broken", &broken]);
    repo.git(&["update-ref", "refs/heads/no-author", &no_author]);
    let out = repo.scour(&["history", "--format", "json", "--progress", "never", "."]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(&format!("object {no_author} is corrupt")),
        "{stderr}"
    );
    assert!(!stderr.contains(&broken), "{stderr}");
    let found = report(&out)["findings"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let message = found
        .iter()
        .find(|f| f["commit"] == broken.as_str())
        .unwrap_or_else(|| panic!("the broken commit's message is scanned: {found:#?}"));
    assert_eq!(message["author"], "Ann <ann@example.org>");
}
