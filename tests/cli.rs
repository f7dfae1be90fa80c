//! The `scour scan` and `scour rules` command lines: exit codes, formats, redaction, report
//! files, ignore rules, skipped files, noise control and errors. Each test builds its own
//! repository with `git`.

mod common;

use std::io::Write;
use std::process::{Command, Stdio};

use common::{code, report, triples, Repo};

const TOKEN: &str = "ghp_R8aK2mQ9xL4vT7bN1cW5yH3jD6fG0sP2eZ4u";

fn repo_with_token() -> Repo {
    let repo = Repo::new();
    repo.write("ci/env.sh", format!("export GITHUB_TOKEN={TOKEN}\n"));
    repo.write("README.md", "# demo\n");
    repo.commit_all("init");
    repo
}

fn stdout(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn stderr(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn clean_tree_exits_zero_with_a_summary() {
    let repo = Repo::new();
    repo.write("src/main.rs", "fn main() { println!(\"hello\"); }\n");
    repo.commit_all("init");
    let out = repo.scour(&["scan"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert!(
        stdout(&out).contains("scour: 0 findings"),
        "{}",
        stdout(&out)
    );
    assert!(stdout(&out).contains("scanned 1 file"), "{}", stdout(&out));
}

#[test]
fn findings_exit_one_and_are_redacted_in_every_format() {
    let repo = repo_with_token();
    for format in ["human", "json", "jsonl", "sarif"] {
        let out = repo.scour(&["scan", "--format", format]);
        assert_eq!(code(&out), 1, "{format}: {}", stderr(&out));
        let text = stdout(&out);
        assert!(!text.contains(TOKEN), "{format} leaked the secret:\n{text}");
        assert!(
            text.contains("gh****4u"),
            "{format} lacks the redacted form:\n{text}"
        );
    }
    let out = repo.scour(&["scan", "--format", "json", "--show-secrets"]);
    assert!(stdout(&out).contains(TOKEN));
}

#[test]
fn human_format_names_path_line_rule() {
    let repo = repo_with_token();
    let out = repo.scour(&["scan", "--color", "never"]);
    let text = stdout(&out);
    assert!(
        text.starts_with("ci/env.sh:1:21  critical  vcs.github-pat"),
        "{text}"
    );
    assert!(
        text.contains("scour: 1 finding (1 distinct credential)"),
        "{text}"
    );
    assert!(!text.contains('\x1b'), "colour without a terminal");
    let coloured = repo.scour(&["scan", "--color", "always"]);
    assert!(stdout(&coloured).contains('\x1b'));
}

#[test]
fn json_report_carries_the_contract_fields() {
    let repo = repo_with_token();
    let report = report(&repo.scour(&["scan", "--format", "json"]));
    assert_eq!(report["version"], 1);
    let f = &report["findings"][0];
    for field in [
        "rule",
        "title",
        "category",
        "severity",
        "secret",
        "secret_sha256",
        "fingerprint",
        "decoded",
        "path",
        "line",
        "column",
    ] {
        assert!(!f[field].is_null(), "missing {field}: {f}");
    }
    // SHA-256 of the raw secret, so that reports can be matched without revealing it.
    let expected = {
        use sha2::{Digest, Sha256};
        Sha256::digest(TOKEN.as_bytes())
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect::<String>()
    };
    assert_eq!(f["secret_sha256"], expected);
    assert_eq!(report["summary"]["findings"], 1);
    assert_eq!(report["summary"]["files"], 2);
}

#[test]
fn jsonl_is_one_finding_per_line() {
    let repo = repo_with_token();
    repo.write("deploy/other.env", "DB_PASSWORD=enclii_dev\n");
    let out = repo.scour(&["scan", "--format", "jsonl"]);
    let lines: Vec<&str> = std::str::from_utf8(&out.stdout).unwrap().lines().collect();
    assert_eq!(lines.len(), 2);
    for line in lines {
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        assert!(v["fingerprint"].is_string());
    }
}

#[test]
fn sarif_is_2_1_0_with_rules_and_locations() {
    let repo = repo_with_token();
    let out = repo.scour(&["scan", "--format", "sarif"]);
    let log: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(log["version"], "2.1.0");
    let run = &log["runs"][0];
    assert_eq!(run["tool"]["driver"]["name"], "scour");
    assert_eq!(run["tool"]["driver"]["rules"][0]["id"], "vcs.github-pat");
    let result = &run["results"][0];
    assert_eq!(result["ruleId"], "vcs.github-pat");
    assert_eq!(result["level"], "error");
    let loc = &result["locations"][0]["physicalLocation"];
    assert_eq!(loc["artifactLocation"]["uri"], "ci/env.sh");
    assert_eq!(loc["region"]["startLine"], 1);
}

#[cfg(unix)]
#[test]
fn report_file_is_private_even_when_it_existed() {
    use std::os::unix::fs::PermissionsExt;
    let repo = repo_with_token();
    let report_path = repo.path().join("report.json");
    std::fs::write(&report_path, "old").unwrap();
    std::fs::set_permissions(&report_path, std::fs::Permissions::from_mode(0o644)).unwrap();
    let out = repo.scour(&["scan", "--format", "json", "--output", "report.json", "ci"]);
    assert_eq!(code(&out), 1);
    assert!(
        out.stdout.is_empty(),
        "the report went to the file, not stdout"
    );
    assert!(
        stderr(&out).contains("scour: 1 finding"),
        "summary on stderr: {}",
        stderr(&out)
    );
    let mode = std::fs::metadata(&report_path)
        .unwrap()
        .permissions()
        .mode()
        & 0o777;
    assert_eq!(mode, 0o600);
    let saved: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&report_path).unwrap()).unwrap();
    assert_eq!(saved["findings"][0]["rule"], "vcs.github-pat");
}

#[test]
fn ignore_files_and_no_ignore() {
    let repo = Repo::new();
    repo.write(".gitignore", "local.env\n");
    repo.write(".scourignore", "generated/\n*.fixture\n");
    repo.write("local.env", "DB_PASSWORD=l0calPass\n");
    repo.write("generated/lib/config.env", "DB_PASSWORD=vend0rPass\n");
    repo.write("test.fixture", format!("{TOKEN}\n"));
    repo.write("app.env", "DB_PASSWORD=appPass1\n");
    repo.commit_all("init");
    let paths = |args: &[&str]| -> Vec<String> {
        triples(&report(&repo.scour(args)))
            .into_iter()
            .map(|(p, _, _)| p)
            .collect()
    };
    assert_eq!(paths(&["scan", "--format", "json"]), vec!["app.env"]);
    assert_eq!(
        paths(&["scan", "--format", "json", "--no-ignore"]),
        vec![
            "app.env",
            "generated/lib/config.env",
            "local.env",
            "test.fixture"
        ]
    );
}

#[test]
fn git_directory_is_never_walked() {
    let repo = Repo::new();
    repo.write("a.txt", "nothing\n");
    repo.commit_all("init");
    repo.git(&[
        "config",
        "remote.origin.url",
        "https://bot:Sup3rT0ken99@git.enclii.dev/x.git",
    ]);
    let out = repo.scour(&["scan", "--no-ignore", "--format", "json"]);
    assert_eq!(code(&out), 0, "{}", stdout(&out));
}

#[test]
fn binary_and_large_files_are_skipped_and_counted() {
    let repo = Repo::new();
    let mut binary = b"\x00\x01ELF".to_vec();
    binary.extend_from_slice(format!("GITHUB_TOKEN={TOKEN}").as_bytes());
    repo.write("bin/tool", &binary);
    repo.write(
        "big.env",
        format!("{}\nDB_PASSWORD=bigPass1\n", "x".repeat(4096)),
    );
    repo.write("small.env", "DB_PASSWORD=smallPass1\n");
    repo.commit_all("init");
    let out = repo.scour(&["scan", "--format", "json", "--max-file-size", "1K"]);
    let report = report(&out);
    assert_eq!(report["summary"]["skipped_binary"], 1);
    assert_eq!(report["summary"]["skipped_large"], 1);
    let got: Vec<String> = triples(&report).into_iter().map(|(p, _, _)| p).collect();
    assert_eq!(got, vec!["small.env"]);
    let human = stdout(&repo.scour(&["scan", "--max-file-size", "1K"]));
    assert!(
        human.contains("skipped 1 binary, 1 over the size cap"),
        "{human}"
    );
}

#[cfg(unix)]
#[test]
fn symlinks_are_not_followed() {
    let outside = tempfile::tempdir().unwrap();
    std::fs::write(
        outside.path().join("secret.env"),
        "DB_PASSWORD=0utsidePass\n",
    )
    .unwrap();
    let repo = Repo::new();
    repo.write("a.txt", "nothing\n");
    std::os::unix::fs::symlink(
        outside.path().join("secret.env"),
        repo.path().join("link.env"),
    )
    .unwrap();
    std::os::unix::fs::symlink(outside.path(), repo.path().join("linkdir")).unwrap();
    let out = repo.scour(&["scan", "--format", "json"]);
    assert_eq!(code(&out), 0, "{}", stdout(&out));
}

#[test]
fn stdin_is_scanned_as_configuration() {
    let mut child = Command::new(common::binary())
        .args(["scan", "-", "--format", "json"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"apiVersion: v1\nkind: Secret\ndata:\n  POSTGRES_PASSWORD: cGFzc3dvcmQ=\n")
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    let got = triples(&report(&out));
    assert_eq!(
        got,
        vec![(
            "<stdin>".to_string(),
            4,
            "kubernetes.secret-data".to_string()
        )]
    );
}

#[test]
fn allow_comment_suppresses_its_line_only() {
    let repo = Repo::new();
    repo.write(
        "app.env",
        "DB_PASSWORD=t3stOnly  # scour:allow (test fixture)\nAPI_PASSWORD=r3alOne\n",
    );
    let got = triples(&report(&repo.scour(&["scan", "--format", "json"])));
    assert_eq!(
        got,
        vec![("app.env".into(), 2, "generic.env-password".into())]
    );
}

#[test]
fn baseline_hides_known_credentials_but_not_new_ones() {
    let repo = repo_with_token();
    let out = repo.scour(&["scan", "--format", "json", "--output", "baseline.json"]);
    assert_eq!(code(&out), 1);
    let again = repo.scour(&[
        "scan",
        "--baseline",
        "baseline.json",
        "--format",
        "json",
        "ci",
    ]);
    assert_eq!(code(&again), 0, "{}", stdout(&again));
    assert_eq!(report(&again)["summary"]["baselined"], 1);
    repo.write("ci/new.env", "DB_PASSWORD=n3wLeak\n");
    let third = repo.scour(&[
        "scan",
        "--baseline",
        "baseline.json",
        "--format",
        "json",
        "ci",
    ]);
    assert_eq!(code(&third), 1);
    assert_eq!(
        triples(&report(&third)),
        vec![("ci/new.env".into(), 1, "generic.env-password".into())]
    );
}

#[test]
fn bad_input_never_stops_the_scan() {
    let repo = Repo::new();
    let mut invalid = b"DB_PASSWORD=\xff\xfeok\n".to_vec();
    invalid.extend_from_slice(b"API_PASSWORD=st1llFound\n");
    repo.write("latin1.env", &invalid);
    repo.write(
        "bad-secret.yaml",
        "kind: Secret\ndata:\n  POSTGRES_PASSWORD: not*base64!\n  TOKEN: dG9rZW4tdmFsdWUtOTk=\n",
    );
    repo.write("long.yaml", format!("key: {}\n", "a".repeat(2_000_000)));
    repo.write("broken.json", "{\"password\": \"unterminated\n");
    repo.write("deep.yaml", "a:\n".repeat(10_000));
    let out = repo.scour(&["scan", "--format", "json"]);
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    let report = report(&out);
    let got = triples(&report);
    assert!(
        got.contains(&("latin1.env".into(), 2, "generic.env-password".into())),
        "{got:?}"
    );
    assert!(
        got.contains(&("bad-secret.yaml".into(), 4, "kubernetes.secret-data".into())),
        "{got:?}"
    );
    assert_eq!(report["summary"]["decode_warnings"], 1);
    assert!(
        stderr(&out).contains("bad-secret.yaml:3: kubernetes.secret-data: value is not base64"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn words_that_are_not_base64_are_not_warnings() {
    let repo = Repo::new();
    repo.write(
        "client.go",
        "\tauthorizationType = \"Basic Authentication\"\n// works 7.1 Basic queries\n",
    );
    repo.write(
        "config.json",
        "{\"auths\": {\"r.io\": {\"auth\": \"password\"}}}\n",
    );
    repo.write(
        "templates/secret.yaml",
        "kind: Secret\ndata:\n  root-password: \"{{ .Values.rootUser.password | b64enc }}\"\n",
    );
    let out = repo.scour(&["scan", "--format", "json"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(report(&out)["summary"]["decode_warnings"], 0);
    assert!(!stderr(&out).contains("warning"), "{}", stderr(&out));
}

#[test]
fn missing_path_is_one_line_exit_two() {
    let repo = Repo::new();
    let out = repo.scour(&["scan", "no/such/dir"]);
    assert_eq!(code(&out), 2);
    let err = stderr(&out);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.starts_with("scour: path 'no/such/dir': "), "{err}");
}

#[test]
fn bad_arguments_exit_two() {
    let repo = Repo::new();
    assert_eq!(code(&repo.scour(&["scan", "--format", "xml"])), 2);
    assert_eq!(code(&repo.scour(&["scan", "--max-file-size", "lots"])), 2);
    assert_eq!(code(&repo.scour(&["scan", "-", "other"])), 2);
}

const CUSTOM_RULE: &str = r#"
[[rule]]
id = "acme.deploy-token"
title = "ACME deploy token"
category = "token"
severity = "high"
keywords = ["acme_dt_"]
kinds = ["any"]
regex = '''\b(?P<secret>acme_dt_[a-z0-9]{20})\b'''
rotation = "Revoke it in the ACME console."
examples = ["ACME=acme_dt_abcdefghij0123456789"]
counterexamples = ["acme_dt_short"]
"#;

#[test]
fn extra_rules_are_loaded_and_checked() {
    let repo = Repo::new();
    repo.write("rules/acme.toml", CUSTOM_RULE);
    repo.write("deploy.env", "ACME=acme_dt_abcdefghij0123456789\n");
    let out = repo.scour(&["scan", "--rules", "rules", "--format", "json", "deploy.env"]);
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    assert_eq!(report(&out)["findings"][0]["rule"], "acme.deploy-token");

    let check = repo.scour(&["rules", "check", "rules/acme.toml"]);
    assert_eq!(code(&check), 0, "{}", stderr(&check));
    assert!(stdout(&check).contains("1 rule ok"), "{}", stdout(&check));
}

#[test]
fn a_bad_rule_file_is_one_line_naming_file_rule_and_problem() {
    let repo = Repo::new();
    let broken = CUSTOM_RULE.replace(
        r#"(?P<secret>acme_dt_[a-z0-9]{20})"#,
        r#"(?P<secret>acme_dt_[a-z0-9]{20)"#,
    );
    repo.write("rules/broken.toml", &broken);
    let out = repo.scour(&["scan", "--rules", "rules/broken.toml", "."]);
    assert_eq!(code(&out), 2);
    let err = stderr(&out);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.starts_with("scour: rule file 'rules/broken.toml': rule 'acme.deploy-token': regex:"),
        "{err}"
    );

    let failing = CUSTOM_RULE.replace(
        "counterexamples = [\"acme_dt_short\"]",
        "counterexamples = [\"acme_dt_abcdefghij9876543210\"]",
    );
    repo.write("rules/failing.toml", &failing);
    let out = repo.scour(&["rules", "check", "rules/failing.toml"]);
    assert_eq!(code(&out), 2);
    assert!(
        stderr(&out).contains("rule 'acme.deploy-token': counterexample found"),
        "{}",
        stderr(&out)
    );
    let out = repo.scour(&["scan", "--rules", "rules/failing.toml", "."]);
    assert_eq!(code(&out), 2);

    repo.write("rules/garbage.toml", "this is = = not toml");
    let out = repo.scour(&["rules", "check", "rules/garbage.toml"]);
    assert_eq!(code(&out), 2);
    assert!(
        stderr(&out).starts_with("scour: rule file 'rules/garbage.toml':"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn rules_list_shows_every_rule() {
    let out = common::scour_in(std::env::temp_dir().as_path(), &["rules", "list"]);
    assert_eq!(code(&out), 0);
    let text = stdout(&out);
    assert!(text.contains("kubernetes.secret-data"));
    let count: usize = text
        .lines()
        .last()
        .and_then(|l| l.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .expect("a count line");
    assert!(count >= 60, "{count} rules");
}

#[test]
fn builtin_rule_files_check_clean() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let out = common::scour_in(root, &["rules", "check", "patterns"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
}
