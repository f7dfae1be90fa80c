//! Context and confidence on a real repository: where a finding sits decides whether the
//! default output shows it, and values that only name or point at a credential never count.

mod common;

use common::{code, report, Repo};
use serde_json::Value;

fn repo() -> Repo {
    let repo = Repo::new();
    repo.write(
        "charts/app/values.yaml",
        "postgresql:\n  auth:\n    password: postgres\n    existingSecretKey: postgresql-password\n  tls:\n    tlsSecret: myapp-tls\n    certFile: /etc/ssl/tls.key\n  admin:\n    secretKey: Qx7vLm2RtZ9wKp4N\n#   secret_key: hunter2x\n",
    );
    repo.write(
        "charts/app/templates/job.yaml",
        "env:\n  - name: PGPASSWORD\n    value: .Values.initdbPassword\ncommand: [\"sh\", \"-c\", \"PRIVATE_KEY=$6 run\"]\n",
    );
    repo.write("charts/app/ci/ha-values.yaml", "password: testpass\n");
    repo.write("t/t5550-http.sh", "HTTP_PASSWORD=askpass\n");
    repo.commit_all("a chart, its CI values and a test");
    // Messages are prose: a weak value in one is talk about a password, not configuration.
    repo.git(&[
        "commit",
        "-q",
        "--allow-empty",
        "-m",
        "ops: rotate the database password\n\nDB_PASSWORD=hunter2 was the old one",
    ]);
    repo
}

fn findings(out: &std::process::Output) -> Vec<Value> {
    report(out)["findings"]
        .as_array()
        .cloned()
        .unwrap_or_default()
}

/// The findings of `scour COMMAND` over the repository at every confidence.
fn at_low(repo: &Repo, command: &str) -> Vec<Value> {
    findings(&repo.scour(&[command, "--format", "json", "--min-confidence", "low", "."]))
}

/// What `pick` reads of each default finding of `scour COMMAND` over the repository (which
/// must report some), sorted and without repeats.
fn default_picks<T: Ord>(repo: &Repo, command: &str, pick: impl Fn(&Value) -> Option<T>) -> Vec<T> {
    let out = repo.scour(&[command, "--format", "json", "."]);
    assert_eq!(code(&out), 1, "{command}");
    let mut picked: Vec<T> = findings(&out).iter().filter_map(pick).collect();
    picked.sort();
    picked.dedup();
    picked
}

/// Commits `first`, then `second`, at `path`, and packs them (the second as a delta of the
/// first), so that history scans the later version by its changes.
fn two_versions_packed(repo: &Repo, path: &str, first: &str, second: &str) {
    repo.write(path, first).commit_all("first version");
    repo.write(path, second).commit_all("second version");
    repo.git(&["gc", "-q", "--aggressive"]);
}

fn at<'a>(found: &'a [Value], path: &str, line: u64) -> Option<&'a Value> {
    found
        .iter()
        .find(|f| f["path"] == path && f["line"] == line)
}

#[test]
fn default_output_shows_deployable_values_and_hides_fixtures() {
    let repo = repo();
    let out = repo.scour(&["scan", "--format", "json", "."]);
    assert_eq!(code(&out), 1);
    let found = findings(&out);
    let paths: Vec<(String, u64)> = found
        .iter()
        .map(|f| {
            (
                f["path"].as_str().unwrap().to_string(),
                f["line"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        paths,
        vec![
            ("charts/app/values.yaml".to_string(), 3),
            ("charts/app/values.yaml".to_string(), 9),
        ],
        "{found:#?}"
    );
    let weak = &found[0];
    assert_eq!(weak["context"], "config");
    assert_eq!(weak["confidence"], "medium");
    assert_eq!(weak["commented"], false);
    // `    password: postgres`: the value sits at characters 14..22 of its line.
    assert_eq!(
        (weak["value_start"].as_u64(), weak["value_end"].as_u64()),
        (Some(14), Some(22))
    );
    assert_eq!(found[1]["confidence"], "high", "{:#?}", found[1]);
}

#[test]
fn low_confidence_shows_tests_ci_values_and_comments_with_reasons() {
    let repo = repo();
    let out = repo.scour(&["scan", "--format", "json", "--min-confidence", "low", "."]);
    let found = findings(&out);
    let ci = at(&found, "charts/app/ci/ha-values.yaml", 1).expect("Helm CI values");
    assert_eq!(
        (ci["context"].as_str(), ci["confidence"].as_str()),
        (Some("test"), Some("low"))
    );
    let shell = at(&found, "t/t5550-http.sh", 1).expect("a test suite's fixture");
    assert_eq!(shell["context"], "test");
    let commented = at(&found, "charts/app/values.yaml", 10).expect("the commented-out line");
    assert_eq!(
        (
            commented["commented"].as_bool(),
            commented["confidence"].as_str()
        ),
        (Some(true), Some("low"))
    );
    assert!(commented["reason"]
        .as_str()
        .unwrap()
        .contains("commented-out"));
    // Names, paths and references are not credentials at any confidence.
    for (path, line) in [
        ("charts/app/values.yaml", 4),
        ("charts/app/values.yaml", 6),
        ("charts/app/values.yaml", 7),
        ("charts/app/templates/job.yaml", 3),
        ("charts/app/templates/job.yaml", 4),
    ] {
        assert!(
            at(&found, path, line).is_none(),
            "{path}:{line} reported: {found:#?}"
        );
    }
    let human = repo.scour(&[
        "scan",
        "--min-confidence",
        "low",
        "--explain",
        "--color",
        "never",
        ".",
    ]);
    let text = String::from_utf8_lossy(&human.stdout);
    assert!(
        text.contains("low confidence: weak value in a test"),
        "{text}"
    );
}

#[test]
fn history_and_the_hook_honour_the_threshold() {
    let repo = repo();
    let out = repo.scour(&[
        "history",
        "--format",
        "json",
        "--min-confidence",
        "high",
        ".",
    ]);
    let found = findings(&out);
    assert_eq!(found.len(), 1, "{found:#?}");
    assert_eq!(found[0]["line"], 9);
    let found = at_low(&repo, "history");
    let message = found
        .iter()
        .find(|f| f["path"] == "(commit message)")
        .expect("the message's weak value, at low confidence");
    assert_eq!(
        (message["context"].as_str(), message["confidence"].as_str()),
        (Some("docs"), Some("low"))
    );
    let out = repo.scour(&["history", "--format", "json", "."]);
    assert!(findings(&out)
        .iter()
        .all(|f| f["path"] != "(commit message)"));
    // A commit that adds only a fixture passes the pre-commit hook; a deployable default does not.
    repo.write("t/t9999-more.sh", "DB_PASSWORD=secret\n");
    repo.git(&["add", "."]);
    assert_eq!(code(&repo.scour(&["hook", "pre-commit"])), 0);
    repo.write("deploy/app.env", "DB_PASSWORD=secret\n");
    repo.git(&["add", "."]);
    assert_eq!(code(&repo.scour(&["hook", "pre-commit"])), 1);
}

#[test]
fn the_learned_filter_weighs_candidates_and_explains_itself() {
    let repo = Repo::new();
    // A Go struct literal and a setter: only the wide net and the source rules catch these,
    // and only the learned filter lets the random one through.
    repo.write(
        "src/client.go",
        "package client\n\nfunc New() Options {\n\treturn Options{User: \"svc\", Password: \"g4mh9oXq2Lzr\"}\n}\n",
    );
    repo.write(
        "src/Setup.java",
        "class Setup {\n  void run(Factory f) {\n    f.setKeyPassword(\"Wq7zLx2mRv9T\");\n  }\n}\n",
    );
    // A test's weak fixture values stay low.
    repo.write(
        "test/test_login.py",
        "def test_login():\n    client.password = \"hunter2\"\n",
    );
    repo.commit_all("code and a test");
    let out = repo.scour(&["scan", "--format", "json", "--min-confidence", "low", "."]);
    let found = findings(&out);
    let level = |path: &str, line: u64| {
        at(&found, path, line).unwrap_or_else(|| panic!("{path}:{line} not found: {found:#?}"))
            ["confidence"]
            .as_str()
            .unwrap()
            .to_string()
    };
    assert_eq!(level("src/client.go", 4), "high");
    assert_ne!(level("src/Setup.java", 3), "low");
    assert_eq!(level("test/test_login.py", 2), "low");
    let reason = at(&found, "test/test_login.py", 2).unwrap()["reason"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        reason.starts_with("weak value in a test; model 0."),
        "{reason}"
    );
    // The training features are printed only when asked for.
    assert!(found.iter().all(|f| f.get("features").is_none()));
    let out = std::process::Command::new(common::binary())
        .args(["scan", "--format", "json", "."])
        .current_dir(repo.path())
        .env("SCOUR_FEATURES", "1")
        .output()
        .unwrap();
    let found = findings(&out);
    let features: Vec<&str> = found[0]["features"]
        .as_array()
        .expect("features with SCOUR_FEATURES=1")
        .iter()
        .map(|f| f.as_str().unwrap())
        .collect();
    assert!(features.contains(&"ctx:code"), "{features:?}");
}

#[test]
fn every_item_of_a_credential_list_is_a_finding() {
    let repo = Repo::new();
    repo.write(
        "config/tokens.json",
        "{\"api_tokens\": [\"9f2c7a1e5b3d8f4a6c0e2b7d\", \"Qm7xT2vL9pR4sK8wZ3nBc5Hd\"], \"other\": \"x\"}\n",
    );
    repo.commit_all("two tokens");
    for args in ["scan", "history"] {
        let starts = default_picks(&repo, args, |f| {
            (f["path"] == "config/tokens.json").then(|| f["value_start"].as_u64().unwrap())
        });
        assert_eq!(starts, [17, 45], "{args:?}");
    }
}

#[test]
fn a_quoted_value_is_read_to_its_closing_quote() {
    let repo = Repo::new();
    // Chosen passwords hold brackets, commas and semicolons; an interpolation is not read into.
    repo.write(
        "config/app.yml",
        "db:\n  password: \"s:(jekufxjmri)qjz\"\n  secret: \"Kq9zzLm;ab,9x\"\n  token: \"Zq8vLm2xR7tK{{ .Values.suffix }}\"\n",
    );
    repo.commit_all("quoted values");
    for args in ["scan", "history"] {
        let spans = default_picks(&repo, args, |f| {
            let at = |k: &str| f[k].as_u64().unwrap();
            Some((at("line"), at("value_start"), at("value_end")))
        });
        assert_eq!(spans, [(2, 13, 30), (3, 11, 24), (4, 10, 22)], "{args:?}");
    }
}

#[test]
fn vendored_code_keeps_only_credential_formats_by_default() {
    let repo = Repo::new();
    // Package data of the kind botocore and npm packages ship, and a key format in vendored code.
    repo.write(
        "venv/lib/python3.11/site-packages/sdk/data/paginators-1.json",
        "{\"input_token\": \"NextToken\", \"output_token\": \"NextToken\"}\n",
    );
    repo.write(
        "node_modules/lib/config.json",
        "{\"api_secret\": \"Qm7xT2vL9pR4sK8wZ3nBc5Hd\"}\n",
    );
    repo.write(
        "vendor/github.com/org/sdk/creds.go",
        "const accessKey = \"AKIAZ3MPLQ7RT2VXW4N6\"\n",
    );
    repo.write(
        "package.json",
        "{\"dependencies\": {\"minipass\": \"^7.1.2\"}}\n",
    );
    repo.commit_all("vendored code");
    let out = repo.scour(&["scan", "--format", "json", "."]);
    let shown: Vec<String> = findings(&out)
        .iter()
        .map(|f| {
            format!(
                "{} {}",
                f["path"].as_str().unwrap(),
                f["context"].as_str().unwrap()
            )
        })
        .collect();
    assert_eq!(shown, ["vendor/github.com/org/sdk/creds.go vendored"]);
    let out = repo.scour(&["scan", "--format", "json", "--min-confidence", "low", "."]);
    let low = findings(&out);
    let secret = at(&low, "node_modules/lib/config.json", 1).expect("still found, at low");
    assert_eq!(secret["context"], "vendored");
    assert_eq!(secret["confidence"], "low");
    // Paging tokens and version ranges are no candidates at all.
    assert!(low.iter().all(|f| f["path"] != "package.json"
        && !f["path"].as_str().unwrap().ends_with("paginators-1.json")));
}

/// A Python docstring's example password is documentation: commented out, low confidence (a
/// random-looking one would stay reported, as in any comment), in a scan of the tree and in
/// history alike, even when a later version changes only lines
/// far below the docstring's opening quotes (the delta scan does not read them, the placing
/// reads the whole blob). The same value assigned in code stays reported.
#[test]
fn python_docstring_examples_are_documentation_in_scans_and_history() {
    let repo = Repo::new();
    let filler: String = (0..40)
        .map(|i| format!("    step {i} of the setup.\n"))
        .collect();
    let module = |tail: &str| {
        format!(
            "def connect():\n    \"\"\"Connect to the server.\n\n    Example:\n{filler}        connect(user='klem', password='geheim$parole')\n    \"\"\"\n    password = 'Zq8vLm2xR7!pT4w'\n    return password\n{tail}"
        )
    };
    two_versions_packed(
        &repo,
        "lib/client.py",
        &module(""),
        &module("\n\ndef close():\n    pass\n"),
    );
    let docstring_line = 45;
    for args in ["scan", "history"] {
        let found = at_low(&repo, args);
        let example = at(&found, "lib/client.py", docstring_line)
            .unwrap_or_else(|| panic!("{args:?}: the example at low confidence: {found:#?}"));
        assert_eq!(example["commented"], true, "{args:?}");
        assert_eq!(example["confidence"], "low", "{args:?}");
        let code = at(&found, "lib/client.py", docstring_line + 2)
            .unwrap_or_else(|| panic!("{args:?}: the assignment: {found:#?}"));
        assert_eq!(code["commented"], false, "{args:?}");
        assert_ne!(code["confidence"], "low", "{args:?}");
    }
}

/// A Rust file's `#[cfg(test)]` module holds its tests: a password there sits in a test, in a
/// scan of the tree and in history alike, even when a later version changes only lines far
/// below the module's opening (the delta scan does not read them, the placing reads the whole
/// blob). The same value in the file's code above the module stays code.
#[test]
fn rust_test_modules_are_tests_in_scans_and_history() {
    let repo = Repo::new();
    let filler: String = (0..40)
        .map(|i| format!("    // step {i} of the fixture.\n"))
        .collect();
    let module = |tail: &str| {
        format!(
            "pub fn connect() -> Client {{\n    let password = \"Zq8vLm2xR7!pT4w\";\n    Client::new(password)\n}}\n\n#[cfg(test)]\nmod tests {{\n    use super::*;\n{filler}    #[test]\n    fn connects() {{\n        let s = \"}}\"; let c = '}}';\n        let password = \"Wq3nTz8kPv5xLm2\";\n        assert!(login(password));\n    }}\n{tail}}}\n"
        )
    };
    two_versions_packed(
        &repo,
        "src/client.rs",
        &module(""),
        &module("\n    #[test]\n    fn closes() {}\n"),
    );
    for args in ["scan", "history"] {
        let found = at_low(&repo, args);
        let code = at(&found, "src/client.rs", 2)
            .unwrap_or_else(|| panic!("{args:?}: the code's password: {found:#?}"));
        assert_eq!(code["context"], "code", "{args:?}");
        let test = at(&found, "src/client.rs", 52)
            .unwrap_or_else(|| panic!("{args:?}: the test's password: {found:#?}"));
        assert_eq!(test["context"], "test", "{args:?}");
    }
}

/// An LDIF of `n` users, each with a chosen password of its own.
fn ldif(n: usize) -> String {
    (0..n)
        .map(|i| format!("dn: uid=user{i},dc=example,dc=org\nuid: user{i}\nuserPassword: Tq{i}wurvoKel{}\n\n", i * 7))
        .collect()
}

#[test]
fn fixture_data_sets_translations_and_grammar_tokens_are_no_credentials() {
    let repo = Repo::new();
    repo.write("tests/data/users.ldif", ldif(25));
    repo.write("deploy/users.ldif", ldif(25));
    repo.write(
        "plugins/password/localization/de_DE.inc",
        "<?php\n$labels['curpasswd'] = 'Aktuelles Passwort:';\n$messages['password'] = 'Geheimwort';\n",
    );
    repo.write(
        "src/commands/client-kill.json",
        "{\n  \"arguments\": [\n    {\n      \"name\": \"reset\",\n      \"type\": \"pure-token\",\n      \"token\": \"RESET\"\n    }\n  ]\n}\n",
    );
    repo.commit_all("a directory's fixture, its deployed twin, translations, a command table");

    // By default: the deployed directory's passwords are reported, the fixture's are not.
    for command in ["scan", "history"] {
        let paths = default_picks(&repo, command, |f| f["path"].as_str().map(str::to_string));
        assert_eq!(paths, ["deploy/users.ldif"], "{command}");
    }
    // At low, the fixture's values say why they are low; translations say they are
    // interface text; a grammar's token is no value at all.
    let found = at_low(&repo, "scan");
    let reasons = |path: &str| -> Vec<String> {
        found
            .iter()
            .filter(|f| f["path"] == path)
            .map(|f| format!("{} {}", f["confidence"], f["reason"]))
            .collect()
    };
    let fixture = reasons("tests/data/users.ldif");
    assert_eq!(fixture.len(), 25, "{fixture:?}");
    assert!(
        fixture
            .iter()
            .all(|r| r.starts_with("\"low\"") && r.contains("data set")),
        "{fixture:?}"
    );
    let translated = reasons("plugins/password/localization/de_DE.inc");
    assert!(!translated.is_empty());
    assert!(
        translated.iter().all(|r| r.contains("translation")),
        "{translated:?}"
    );
    assert!(reasons("src/commands/client-kill.json").is_empty());
    assert_eq!(reasons("deploy/users.ldif").len(), 25);
}

/// A data set's mark is read from each blob whole: a later version that keeps a few of the
/// fixture's entries (scanned by its changes against the large one) is no data set.
#[test]
fn a_data_sets_mark_is_read_from_each_version_whole() {
    let repo = Repo::new();
    two_versions_packed(&repo, "tests/data/users.ldif", &ldif(25), &ldif(3));
    let found = at_low(&repo, "history");
    let in_set = |f: &&Value| f["reason"].as_str().is_some_and(|r| r.contains("data set"));
    let marked = found.iter().filter(in_set).count();
    let unmarked = found.iter().filter(|f| !in_set(f)).count();
    assert_eq!((marked, unmarked), (25, 3), "{found:#?}");
}

/// Another tool's mark that a person judged a line free of secrets lowers it; the same value
/// without the mark is reported.
#[test]
fn other_tools_no_secret_marks_lower_a_finding() {
    let repo = Repo::new();
    repo.write(
        "deploy/app.py",
        "API_SECRET = \"Kq7vLm2RtZ9wPx4N\"  # nosec B105\nDB_SECRET = \"Wd8sHj3KpQ6zRt2M\"\n",
    );
    repo.write(
        "deploy/app.env",
        "TOKEN=Zr5nBv8QwX2kLm7P # gitleaks:allow\n",
    );
    repo.commit_all("two secrets, two of them marked");
    let lines = default_picks(&repo, "scan", |f| {
        Some((f["path"].as_str()?.to_string(), f["line"].as_u64()?))
    });
    assert_eq!(lines, [("deploy/app.py".to_string(), 2)]);
    let marked: Vec<Value> = at_low(&repo, "scan")
        .into_iter()
        .filter(|f| {
            f["reason"]
                .as_str()
                .is_some_and(|r| r.contains("marked as no secret"))
        })
        .collect();
    assert_eq!(marked.len(), 2, "{marked:#?}");
    assert!(marked.iter().all(|f| f["confidence"] == "low"));
}

/// What is written for a reader is no deployed credential: a chosen password in
/// documentation or an example, a value inside a schema's `description` text, and what a
/// minified bundle holds are low in scans and history alike, while the same chosen value in
/// deployable configuration, and a random-looking one in documentation, stay reported. An
/// unquoted identifier passed on in code (`Password: b64Pwd,`) is no value at all.
#[test]
fn values_written_for_a_reader_are_low_and_identifiers_are_no_values() {
    let repo = Repo::new();
    repo.write(
        "docs/setup.md",
        "```yaml\ndatabase:\n  password: devstacker\n  secret_key: Zq8vLm2xR7tKp4Wn9Bc3\n```\n",
    );
    repo.write("examples/app.yaml", "db_password: devstacker\n");
    repo.write(
        "schema/config.json",
        "{\"proxy\": {\n  \"description\": \"the proxy, as http://[[user][:pass]@]host[:port]/\",\n  \"type\": \"string\"\n}}\n",
    );
    repo.write(
        "static/js/app.min.js",
        "!function(){var e={api_secret:\"kT9vQm2xLp7R\"};window.cfg=e}();\n",
    );
    repo.write(
        "auth/basic.go",
        "func config(b64Pwd string) Account {\n\treturn Account{\n\t\tPassword: b64Pwd,\n\t}\n}\n",
    );
    repo.write("deploy/app.yaml", "db_password: devstacker\n");
    repo.write(
        "auth/login.go",
        "func login() {\n\tpassword := \"password\"\n\tconnect(user, password)\n}\n",
    );
    repo.commit_all("docs, an example, a schema, a bundle, code and a deployment");
    let expected = [
        "deploy/app.yaml:1".to_string(),
        "docs/setup.md:4".to_string(),
    ];
    for command in ["scan", "history"] {
        let shown = default_picks(&repo, command, |f| {
            Some(format!("{}:{}", f["path"].as_str()?, f["line"]))
        });
        assert_eq!(shown, expected, "{command}");
        let low = at_low(&repo, command);
        for (path, line, why) in [
            ("docs/setup.md", 3, "chosen value in documentation"),
            ("examples/app.yaml", 1, "chosen value in an example"),
            ("schema/config.json", 2, "description or example field"),
            ("static/js/app.min.js", 1, "third-party code"),
        ] {
            let f =
                at(&low, path, line).unwrap_or_else(|| panic!("{command}: {path}:{line} at low"));
            assert_eq!(f["confidence"], "low", "{command}: {f:#?}");
            assert!(
                f["reason"].as_str().unwrap().contains(why),
                "{command}: {f:#?}"
            );
        }
        assert!(
            low.iter().all(|f| f["path"] != "auth/basic.go"),
            "{command}: {low:#?}"
        );
    }
}
