//! `scour checklist` on a repository in the audit's shape: one entry per planted credential,
//! the right kind, first-seen commit and date, at-HEAD state; Markdown as a task list; the
//! same checklist from a saved report.

mod common;

use base64::Engine;
use common::{code, Repo};
use serde_json::Value;

const BRANCH_TOKEN: &str = "ghp_R8aK2mQ9xL4vT7bN1cW5yH3jD6fG0sP2eZ4u";

fn b64(s: &str) -> String {
    base64::engine::general_purpose::STANDARD.encode(s)
}

struct Fixture {
    repo: Repo,
    first: String,
    legacy: String,
    branch: String,
}

fn fixture() -> Fixture {
    let repo = Repo::new();
    let auth = b64("enclii-bot:ghcr_registry_token_2f9a7c1e");
    let dockerconfig = b64(&format!(r#"{{"auths":{{"ghcr.io":{{"auth":"{auth}"}}}}}}"#));
    repo.write(
        "infra/k8s/base/secrets.yaml",
        format!(
            "apiVersion: v1\nkind: Secret\nmetadata:\n  name: enclii\ndata:\n  POSTGRES_PASSWORD: cGFzc3dvcmQ=\n\
             stringData:\n  JWT_SECRET: replace-me-with-a-real-key\n  REDIS_PASSWORD: redis_dev\n---\n\
             apiVersion: v1\nkind: Secret\nmetadata:\n  name: ghcr-pull\ntype: kubernetes.io/dockerconfigjson\n\
             data:\n  .dockerconfigjson: {dockerconfig}\n"
        ),
    );
    repo.write(
        "infra/k8s/base/redis.yaml",
        "spec:\n  containers:\n  - name: redis\n    command: [\"redis-server\", \"--requirepass\", \"redis_dev\"]\n",
    );
    let first = repo.commit_at("2021-01-10T09:00:00Z", "platform manifests");
    repo.write("legacy/db.env", "DB_PASSWORD=0ldLegacyPass\n");
    let legacy = repo.commit_at("2021-02-01T09:00:00Z", "legacy settings");
    repo.remove("legacy/db.env");
    repo.commit_at("2021-06-01T09:00:00Z", "drop legacy settings");
    repo.git(&["checkout", "-q", "-b", "feature"]);
    repo.write("ci/env.sh", format!("export GITHUB_TOKEN={BRANCH_TOKEN}\n"));
    let branch = repo.commit_at("2024-06-01T09:00:00Z", "ci on a branch");
    repo.git(&["checkout", "-q", "main"]);
    repo.write("README.md", "# enclii\n");
    repo.commit_at("2024-11-19T09:00:00Z", "readme");
    Fixture {
        repo,
        first,
        legacy,
        branch,
    }
}

fn checklist(repo: &Repo, args: &[&str]) -> (i32, String) {
    let mut all = vec!["checklist", "--progress", "never"];
    all.extend_from_slice(args);
    let out = repo.scour(&all);
    assert_ne!(code(&out), 2, "{}", String::from_utf8_lossy(&out.stderr));
    (
        code(&out),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

fn entry<'a>(entries: &'a [Value], kind: &str) -> &'a Value {
    let found: Vec<&Value> = entries.iter().filter(|e| e["kind"] == kind).collect();
    assert_eq!(found.len(), 1, "one entry of kind {kind}: {entries:#?}");
    found[0]
}

#[test]
fn one_entry_per_credential_with_kind_history_and_state() {
    let f = fixture();
    let (status, text) = checklist(&f.repo, &["--format", "json"]);
    assert_eq!(status, 1);
    let list: Value = serde_json::from_str(&text).unwrap();
    let entries = list["entries"].as_array().unwrap().clone();
    let mut kinds: Vec<&str> = entries
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    kinds.sort();
    assert_eq!(
        kinds,
        vec![
            "GitHub personal access token (classic)",
            "JWT signing key",
            "Password (DB_PASSWORD)",
            "PostgreSQL password",
            "Redis password",
            "ghcr.io registry token",
        ],
        "{entries:#?}"
    );

    let postgres = entry(&entries, "PostgreSQL password");
    assert_eq!(postgres["first_commit"], f.first.as_str());
    assert_eq!(postgres["first_seen"], "2021-01-10T09:00:00+00:00");
    assert_eq!(postgres["at_head"], true);
    assert!(postgres["warning"].as_str().unwrap().contains("weak"));

    // Reused in two files: one entry, two locations.
    let redis = entry(&entries, "Redis password");
    let paths: Vec<&str> = redis["locations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["path"].as_str().unwrap())
        .collect();
    assert_eq!(
        paths,
        vec!["infra/k8s/base/redis.yaml", "infra/k8s/base/secrets.yaml"]
    );

    // Double base64 inside the registry Secret.
    let registry = entry(&entries, "ghcr.io registry token");
    assert_eq!(
        registry["locations"][0]["decoded"],
        serde_json::json!(["base64", "base64"])
    );
    assert!(registry["purge"]
        .as_str()
        .unwrap()
        .starts_with("scour purge --mode redact --blob "));

    let jwt = entry(&entries, "JWT signing key");
    assert_eq!(
        jwt["warning"],
        "a placeholder JWT signing key: anyone can forge tokens"
    );

    // Removed years before HEAD.
    let legacy = entry(&entries, "Password (DB_PASSWORD)");
    assert_eq!(legacy["first_commit"], f.legacy.as_str());
    assert_eq!(legacy["at_head"], false);
    assert_eq!(legacy["last_seen"], "2021-02-01T09:00:00+00:00");
    assert_eq!(legacy["exposure_days"], 0);

    // Only on a branch.
    let token = entry(&entries, "GitHub personal access token (classic)");
    assert_eq!(token["first_commit"], f.branch.as_str());
    assert_eq!(token["at_head"], false);
    assert_eq!(token["refs"], serde_json::json!(["refs/heads/feature"]));

    // Order: severity, then still present before removed.
    let first_removed = entries.iter().position(|e| e["at_head"] == false).unwrap();
    assert!(entries[..first_removed]
        .iter()
        .all(|e| e["at_head"] == true || e["severity"] != entries[first_removed]["severity"]));

    // Never the secret in full.
    assert!(
        !text.contains("redis_dev")
            && !text.contains(BRANCH_TOKEN)
            && !text.contains("0ldLegacyPass")
    );
}

#[test]
fn markdown_is_a_task_list_with_one_box_per_credential() {
    let f = fixture();
    let (_, text) = checklist(&f.repo, &[]);
    assert_eq!(text.matches("- [ ]").count(), 6, "{text}");
    assert!(text.lines().filter(|l| l.starts_with("- [ ]")).count() == 6);
    assert!(
        text.contains("a placeholder JWT signing key: anyone can forge tokens"),
        "{text}"
    );
    assert!(text.contains("scour purge --mode redact --blob "));
    assert!(!text.contains("redis_dev"));
    let (_, shown) = checklist(&f.repo, &["--show-secrets"]);
    assert!(shown.contains("redis_dev"));
}

#[test]
fn from_a_saved_report_gives_the_same_checklist() {
    let f = fixture();
    let out = f.repo.history_report("report.json", &["--all-objects"]);
    assert_eq!(code(&out), 1, "{}", String::from_utf8_lossy(&out.stderr));
    let (_, direct) = checklist(&f.repo, &["--format", "json"]);
    let (_, from) = checklist(&f.repo, &["--format", "json", "--from", "report.json"]);
    assert_eq!(direct, from);
    let (_, direct_md) = checklist(&f.repo, &[]);
    let (_, from_md) = checklist(&f.repo, &["--from", "report.json"]);
    assert_eq!(direct_md, from_md);
}

#[test]
fn worktree_marks_what_is_still_on_disk_and_output_is_private() {
    let f = fixture();
    f.repo.write("local.env", "API_PASSWORD=untracked1Pass\n");
    let out = f.repo.scour(&[
        "checklist",
        "--worktree",
        "--format",
        "json",
        "--output",
        "list.json",
        "--progress",
        "never",
    ]);
    assert_eq!(code(&out), 1, "{}", String::from_utf8_lossy(&out.stderr));
    let path = f.repo.path().join("list.json");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(
            std::fs::metadata(&path).unwrap().permissions().mode() & 0o777,
            0o600
        );
    }
    let list: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    let entries = list["entries"].as_array().unwrap();
    let redis = entry(entries, "Redis password");
    assert_eq!(redis["in_worktree"], true);
    let untracked = entry(entries, "Password (API_PASSWORD)");
    assert_eq!(untracked["in_worktree"], true);
    assert!(
        untracked["purge"].is_null(),
        "not in history: nothing to purge"
    );
    let token = entry(entries, "GitHub personal access token (classic)");
    assert_eq!(token["in_worktree"], false);
}

/// A weak password guarding two services, one token pasted in three files, and a weak value in
/// a test fixture: the shape of issue 14.
struct Services {
    repo: Repo,
}

const PASTED_TOKEN: &str = "ghp_Q7vM2kX9pL4wR8tZ1nB6cY3hJ5dF0gS2aE7u";

fn services() -> Services {
    let repo = Repo::new();
    for (n, replicas) in [1, 2, 3].iter().enumerate() {
        repo.write(
            "services/billing/config.yaml",
            format!("service: billing\nreplicas: {replicas}\ndatabase:\n  password: postgres\n"),
        );
        if n == 0 {
            repo.write(
                "services/auth/config.yaml",
                "service: auth\ndatabase:\n  password: postgres\n",
            );
            repo.write(
                "tests/fixtures/config.yaml",
                "service: fixture\ndatabase:\n  password: hunter2\n",
            );
        }
        repo.commit_at(&format!("2023-0{}-01T09:00:00Z", n + 1), "billing settings");
    }
    repo.write(
        "services/billing/.env",
        format!("BILLING=1\nGITHUB_TOKEN={PASTED_TOKEN}\n"),
    );
    repo.write(
        "services/auth/.env",
        format!("AUTH=1\nGITHUB_TOKEN={PASTED_TOKEN}\n"),
    );
    repo.write(
        "ci/deploy.sh",
        format!("#!/bin/sh\nexport GITHUB_TOKEN={PASTED_TOKEN}\n"),
    );
    repo.commit_at("2023-05-01T09:00:00Z", "ci token");
    Services { repo }
}

fn paths(entry: &Value) -> Vec<&str> {
    entry["locations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["path"].as_str().unwrap())
        .collect()
}

#[test]
fn a_weak_value_is_one_credential_per_system_a_token_one_everywhere() {
    let s = services();
    let (status, text) = checklist(&s.repo, &["--format", "json"]);
    assert_eq!(status, 1);
    let list: Value = serde_json::from_str(&text).unwrap();
    let entries = list["entries"].as_array().unwrap();
    let mut named: Vec<(&str, &str)> = entries
        .iter()
        .map(|e| (e["kind"].as_str().unwrap(), e["system"].as_str().unwrap()))
        .collect();
    named.sort();
    assert_eq!(
        named,
        vec![
            ("GitHub personal access token (classic)", "ci"),
            ("Password (password)", "services/auth"),
            ("Password (password)", "services/billing"),
        ],
        "{entries:#?}"
    );

    let token = entries
        .iter()
        .find(|e| e["kind"] == "GitHub personal access token (classic)")
        .unwrap();
    assert_eq!(
        paths(token),
        vec![
            "ci/deploy.sh",
            "services/auth/.env",
            "services/billing/.env"
        ]
    );

    // Three versions of one file: one location, with its history.
    let billing = entries
        .iter()
        .find(|e| e["system"] == "services/billing")
        .unwrap();
    assert_eq!(paths(billing), vec!["services/billing/config.yaml"]);
    let location = &billing["locations"][0];
    assert_eq!(location["line"], 4);
    assert_eq!(location["versions"], 3);
    assert_eq!(location["commits"], 4);
    assert_eq!(location["in_head"], true);
    assert_eq!(location["first_date"], "2023-01-01T09:00:00+00:00");
    assert_eq!(location["last_date"], "2023-05-01T09:00:00+00:00");
    assert_eq!(location["blobs"].as_array().unwrap().len(), 3);

    // The overview counts credentials, not findings.
    let overview = &list["overview"];
    assert_eq!(overview["severity"]["critical"], 1, "{overview:#}");
    assert_eq!(overview["state"]["at_head"], 3);
    assert_eq!(overview["systems"].as_array().unwrap().len(), 3);

    let (_, markdown) = checklist(&s.repo, &[]);
    let overview_at = markdown.find("| by system |").expect("an overview");
    assert!(overview_at < markdown.find("- [ ]").unwrap(), "{markdown}");
    assert!(markdown.contains("`services/billing/config.yaml:4` (3 versions in 4 commits"));
    assert!(markdown.contains("scour purge --mode redact --findings checklist.json --include-head"));
}

#[test]
fn min_confidence_reaches_the_checklist_and_a_saved_report() {
    let s = services();
    let fixture = |args: &[&str]| {
        let (_, text) = checklist(&s.repo, args);
        text.contains("tests/fixtures/config.yaml")
    };
    assert!(!fixture(&["--format", "json"]));
    assert!(fixture(&["--format", "json", "--min-confidence", "low"]));

    // A report saved with every finding gives the checklist the threshold asks for.
    let out = s
        .repo
        .history_report("report.json", &["--all-objects", "--min-confidence", "low"]);
    assert_eq!(code(&out), 1, "{}", String::from_utf8_lossy(&out.stderr));
    let (_, direct) = checklist(&s.repo, &[]);
    let (_, from) = checklist(&s.repo, &["--from", "report.json"]);
    assert_eq!(direct, from);
    assert!(fixture(&[
        "--from",
        "report.json",
        "--min-confidence",
        "low"
    ]));
}

fn blobs(entry: &Value) -> Vec<String> {
    entry["locations"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|l| l["blobs"].as_array().unwrap().iter())
        .map(|b| b.as_str().unwrap().to_string())
        .collect()
}

fn exists(repo: &Repo, blob: &str) -> bool {
    std::process::Command::new("git")
        .args(["cat-file", "-e", blob])
        .current_dir(repo.path())
        .status()
        .unwrap()
        .success()
}

/// Runs a command the checklist printed (no quoting in these).
fn run_printed(repo: &Repo, command: &str) {
    let words: Vec<&str> = command.split_whitespace().collect();
    assert_eq!(words[..2], ["scour", "purge"], "{command}");
    let mut args = words[1..].to_vec();
    args.extend(["--progress", "never"]);
    let out = repo.scour(&args);
    assert_eq!(
        code(&out),
        0,
        "{command}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn saved_checklist(repo: &Repo) -> Value {
    let out = repo.scour(&[
        "checklist",
        "--format",
        "json",
        "-o",
        "checklist.json",
        "--progress",
        "never",
    ]);
    assert_eq!(code(&out), 1, "{}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_str(&std::fs::read_to_string(repo.path().join("checklist.json")).unwrap())
        .unwrap()
}

#[test]
fn an_entry_purge_command_removes_exactly_its_blobs() {
    let s = services();
    let list = saved_checklist(&s.repo);
    let entries = list["entries"].as_array().unwrap();
    let number = |system: &str| 1 + entries.iter().position(|e| e["system"] == system).unwrap();
    // One value in two systems: a purge leaves no copy of a value, so it takes both.
    let auth = &entries[number("services/auth") - 1];
    let billing = &entries[number("services/billing") - 1];
    assert_eq!(
        auth["purge_with"],
        serde_json::json!([number("services/billing")])
    );
    assert_eq!(auth["purge"], billing["purge"]);
    for blob in blobs(auth).iter().chain(&blobs(billing)) {
        assert!(auth["purge"].as_str().unwrap().contains(blob.as_str()));
    }

    let token = &entries[number("ci") - 1];
    assert!(token["purge_with"].is_null(), "{token:#}");
    let others: Vec<String> = entries
        .iter()
        .filter(|e| e["system"] != "ci")
        .flat_map(blobs)
        .collect();
    let command = token["purge"].as_str().unwrap();
    assert!(command.ends_with(" --include-head"), "{command}");
    run_printed(&s.repo, command);
    for blob in blobs(token) {
        assert!(!exists(&s.repo, &blob), "{blob} is gone");
    }
    for blob in others {
        assert!(exists(&s.repo, &blob), "{blob} stays");
    }
    let text = std::fs::read_to_string(s.repo.path().join("ci/deploy.sh")).unwrap();
    assert!(
        text.contains("***REMOVED***") && !text.contains(PASTED_TOKEN),
        "{text}"
    );
}

#[test]
fn the_header_command_purges_everything_listed() {
    let s = services();
    let list = saved_checklist(&s.repo);
    let command = list["purge"].as_str().unwrap();
    assert_eq!(
        command,
        "scour purge --mode redact --findings checklist.json --include-head"
    );
    run_printed(&s.repo, command);
    for entry in list["entries"].as_array().unwrap() {
        for blob in blobs(entry) {
            assert!(!exists(&s.repo, &blob), "{blob} is gone");
        }
    }
    let out = s
        .repo
        .scour(&["history", "--format", "json", "--progress", "never"]);
    assert_eq!(code(&out), 0, "{}", String::from_utf8_lossy(&out.stdout));
}
