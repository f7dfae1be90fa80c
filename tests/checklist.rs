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
