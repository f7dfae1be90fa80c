//! `.scour.toml` on real repositories: a false positive silenced by path, regex and stopword, a
//! rule turned off, commits skipped, fail_on, the file at HEAD for history, and the errors a
//! bad file gives.

mod common;

use common::{code, report, triples, Repo};

/// Four high-confidence passwords in deployable configuration, one per way to silence it.
fn repo_with_false_positives() -> Repo {
    let repo = Repo::new();
    repo.write("testdata/app.env", "DB_PASSWORD=Sup3rS3cretValue9\n");
    repo.write(
        "app/.env",
        "DB_PASSWORD=Xk9q2Lm7Wz4Rt8\nAPI_PASSWORD=fixtureZq81Lp\nREDIS_PASSWORD=Hq72LmPz91Xa\n",
    );
    // Dated: a finding's commit is the earliest (by date) that holds it.
    repo.commit_at("2024-01-01T10:00:00Z", "configuration");
    repo
}

fn paths(out: &std::process::Output) -> Vec<String> {
    triples(&report(out)).into_iter().map(|t| t.0).collect()
}

fn lines(out: &std::process::Output) -> Vec<u64> {
    triples(&report(out)).into_iter().map(|t| t.1).collect()
}

fn stderr(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn a_false_positive_is_silenced_by_path_regex_and_stopword() {
    let repo = repo_with_false_positives();
    let before = repo.scour(&["scan", "--format", "json"]);
    assert_eq!(report(&before)["findings"].as_array().unwrap().len(), 4);
    repo.write(
        ".scour.toml",
        "[allow]\npaths = [\"testdata\"]\nregexes = ['^Xk9']\nstopwords = [\"FIXTURE\"]\n",
    );
    let out = repo.scour(&["scan", "--format", "json"]);
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    assert_eq!(paths(&out), vec!["app/.env"]);
    assert_eq!(lines(&out), vec![3], "only REDIS_PASSWORD is left");
    // The same from a subdirectory, and with the folder named from outside: paths are judged
    // from the file's directory.
    let out = common::scour_in(&repo.path().join("app"), &["scan", "--format", "json"]);
    assert_eq!(lines(&out), vec![3]);
    let out = common::scour_in(
        repo.path().parent().unwrap(),
        &["scan", "--format", "json", repo.path().to_str().unwrap()],
    );
    assert_eq!(lines(&out), vec![3]);
    // --no-config reports them all again.
    let out = repo.scour(&["scan", "--format", "json", "--no-config"]);
    assert_eq!(report(&out)["findings"].as_array().unwrap().len(), 4);
}

#[test]
fn allowlists_for_one_rule_leave_the_others_alone() {
    let repo = repo_with_false_positives();
    repo.write(
        ".scour.toml",
        "[allow.rule.\"generic.env-password\"]\npaths = [\"app\"]\n\n[allow.rule.\"vcs.github-pat\"]\npaths = [\"testdata\"]\n",
    );
    let out = repo.scour(&["scan", "--format", "json"]);
    assert_eq!(paths(&out), vec!["testdata/app.env"]);
}

#[test]
fn a_rule_is_turned_off_and_severities_change() {
    let repo = repo_with_false_positives();
    repo.write(".scour.toml", "disable = [\"generic.env-password\"]\n");
    let out = repo.scour(&["scan", "--format", "json"]);
    let rules: Vec<String> = report(&out)["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["rule"].as_str().unwrap().to_string())
        .collect();
    assert!(
        !rules.contains(&"generic.env-password".to_string()),
        "{rules:?}"
    );
    // The wide net then catches what the format rule no longer claims; turn it off too.
    repo.write(
        ".scour.toml",
        "disable = [\"generic.env-password\", \"generic.keyword-value\"]\n",
    );
    let out = repo.scour(&["scan", "--format", "json"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert!(report(&out)["findings"].as_array().unwrap().is_empty());
    let listed = repo.scour(&["rules", "list"]);
    assert!(!String::from_utf8_lossy(&listed.stdout).contains("generic.env-password "));

    repo.write(
        ".scour.toml",
        "min_severity = \"critical\"\n[severity]\n\"generic.env-password\" = \"critical\"\n",
    );
    let out = repo.scour(&["scan", "--format", "json"]);
    let findings = report(&out)["findings"].as_array().unwrap().clone();
    assert_eq!(findings.len(), 4);
    assert!(findings.iter().all(|f| f["severity"] == "critical"));
}

#[test]
fn fail_on_sets_the_exit_status_and_lower_findings_are_still_reported() {
    let repo = repo_with_false_positives();
    repo.write(".scour.toml", "fail_on = \"critical\"\n");
    let out = repo.scour(&["scan", "--format", "json"]);
    assert_eq!(code(&out), 0, "high findings do not fail: {}", stderr(&out));
    assert_eq!(report(&out)["findings"].as_array().unwrap().len(), 4);
    repo.write(".scour.toml", "fail_on = \"high\"\n");
    assert_eq!(code(&repo.scour(&["scan", "--format", "json"])), 1);
}

#[test]
fn history_reads_the_file_committed_at_head_and_skips_commits() {
    let repo = repo_with_false_positives();
    let first = repo.git(&["rev-parse", "HEAD"]).trim().to_string();
    // On disk only: history does not read it.
    repo.write(".scour.toml", "disable = [\"generic.env-password\"]\n");
    let out = repo.scour(&["history", "--format", "json", "--progress", "never"]);
    assert_eq!(report(&out)["findings"].as_array().unwrap().len(), 4);
    // Committed, with the commit that brought the passwords listed.
    repo.write(
        ".scour.toml",
        format!("[allow]\ncommits = [\"{}\"]\n", &first[..10]),
    );
    repo.commit_at("2024-02-01T10:00:00Z", "allow the fixtures' commit");
    repo.write("later.env", "DB_PASSWORD=Lq83Jd72Ka91Pw\n");
    repo.commit_at("2024-03-01T10:00:00Z", "a new one");
    let out = repo.scour(&["history", "--format", "json", "--progress", "never"]);
    assert_eq!(paths(&out), vec!["later.env"], "{}", stderr(&out));
    // A checklist and a purge select through the same file.
    let out = repo.scour(&["checklist", "--format", "json", "--progress", "never"]);
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("later.env") && !text.contains("app/.env"),
        "{text}"
    );
}

#[test]
fn a_baseline_named_in_the_file_hides_accepted_credentials() {
    let repo = repo_with_false_positives();
    let out = repo.scour(&["scan", "--format", "json", "--output", "accepted.json"]);
    assert_eq!(code(&out), 1);
    repo.write(".scour.toml", "baseline = \"accepted.json\"\n");
    let out = repo.scour(&["scan", "--format", "json"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(report(&out)["summary"]["baselined"], 4);
}

#[test]
fn bad_files_are_one_clear_error_naming_file_line_and_key() {
    let repo = repo_with_false_positives();
    let cases: &[(&str, &str)] = &[
        (
            "disable = []\n[allow]\npathz = [\"x\"]\n",
            ".scour.toml:3: allow.pathz: unknown field `pathz`",
        ),
        (
            "min_confidence = \"hgh\"\n",
            ".scour.toml:1: min_confidence: unknown variant `hgh`",
        ),
        (
            "[allow]\nregexes = [\n  '(unclosed',\n]\n",
            ".scour.toml:3: allow.regexes: bad regex",
        ),
        (
            "[allow]\ncommits = [\"main\"]\n",
            ".scour.toml:2: allow.commits: 'main' is not a commit id",
        ),
        (
            "\ndisable = [\"no.such-rule\"]\n",
            ".scour.toml:2: disable: no rule has the id 'no.such-rule'",
        ),
        (
            "[severity]\n\"generic.env-password\" = \"huge\"\n",
            ".scour.toml:2: severity.\"generic.env-password\": unknown variant `huge`",
        ),
        ("fail_on = 3\n", ".scour.toml:1: fail_on: "),
        ("rules = [\"missing-dir\"]\n", "missing-dir"),
    ];
    for (text, expected) in cases {
        repo.write(".scour.toml", text);
        let out = repo.scour(&["scan"]);
        let err = stderr(&out);
        assert_eq!(code(&out), 2, "{text}: {err}");
        assert_eq!(err.lines().count(), 1, "one line: {err}");
        assert!(
            err.contains(expected),
            "{text}: expected {expected:?} in {err}"
        );
        let check = repo.scour(&["config", "check", ".scour.toml"]);
        assert_eq!(code(&check), 2, "config check: {text}");
        assert!(stderr(&check).contains(expected), "{}", stderr(&check));
    }
}

#[test]
fn config_init_writes_a_file_that_checks() {
    let repo = Repo::new();
    let out = repo.scour(&["config", "init"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let out = repo.scour(&["config", "check"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert!(String::from_utf8_lossy(&out.stdout).contains(": ok"));
    let again = repo.scour(&["config", "init"]);
    assert_eq!(code(&again), 2);
    assert!(stderr(&again).contains("already exists"));
}

#[test]
fn the_pre_commit_hook_reads_the_file_on_disk() {
    let repo = Repo::new();
    repo.write("README.md", "# x\n");
    repo.commit_all("start");
    let out = repo.scour(&["hook", "install", "--pre-commit"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    repo.write("fixtures/app.env", "DB_PASSWORD=Sup3rS3cretValue9\n");
    repo.git(&["add", "-A"]);
    let blocked = std::process::Command::new("git")
        .args(["commit", "-q", "-m", "fixture"])
        .current_dir(repo.path())
        .output()
        .unwrap();
    assert!(!blocked.status.success());
    repo.write(".scour.toml", "[allow]\npaths = [\"fixtures\"]\n");
    repo.git(&["add", "-A"]);
    repo.git(&["commit", "-q", "-m", "fixture, allowed"]);
}
