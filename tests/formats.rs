//! CI formats and shell integration, read back by real consumers (`common::consumers`: what
//! `.ci/run` installs under tests/consumers) where the machine has them: SARIF by Microsoft's SARIF
//! Multitool and by the SARIF 2.1.0 JSON schema (Ajv), JUnit XML by junitparser, GitLab's Secret
//! Detection report by the shape its schema requires, bash completion loaded in bash, the man page
//! rendered by groff.

mod common;

use std::process::Command;

use common::{code, consumers, Repo};

const TOKEN: &str = "ghp_R8aK2mQ9xL4vT7bN1cW5yH3jD6fG0sP2eZ4u";

fn leaky_repo() -> Repo {
    let repo = Repo::new();
    repo.write("ci/env.sh", format!("export GITHUB_TOKEN={TOKEN}\n"));
    repo.write("app/.env", "DB_PASSWORD=Sup3rS3cretValue9\n");
    repo.commit_all("leak");
    repo
}

fn json(out: &std::process::Output) -> serde_json::Value {
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&out.stderr)))
}

fn has(cmd: &str) -> bool {
    Command::new(cmd).arg("--version").output().is_ok()
}

/// GitLab publishes the report's JSON schema in its repository and as a Ruby gem
/// (`gitlab-security_report_schemas`), not on npm, PyPI or crates.io, the registries this project
/// installs from; so this checks the fields schema 15 requires, by hand.
#[test]
fn gitlab_report_has_the_schemas_required_shape() {
    let repo = leaky_repo();
    for args in [
        &["scan", "--format", "gitlab"][..],
        &["history", "--format", "gitlab", "--progress", "never"][..],
    ] {
        let out = repo.scour(args);
        assert_eq!(code(&out), 1);
        assert!(
            !String::from_utf8_lossy(&out.stdout).contains(TOKEN),
            "redacted"
        );
        let r = json(&out);
        assert_eq!(r["version"], "15.0.7");
        let scan = &r["scan"];
        assert_eq!(scan["type"], "secret_detection");
        assert_eq!(scan["status"], "success");
        for key in ["analyzer", "scanner"] {
            for field in ["id", "name", "version"] {
                assert!(scan[key][field].is_string(), "{key}.{field}");
            }
            assert!(scan[key]["vendor"]["name"].is_string());
        }
        for key in ["start_time", "end_time"] {
            let t = scan[key].as_str().unwrap();
            assert_eq!(t.len(), 19, "{t}");
            assert_eq!(&t[10..11], "T");
        }
        let v = r["vulnerabilities"].as_array().unwrap();
        assert_eq!(v.len(), 2);
        for f in v {
            assert!(f["id"].as_str().unwrap().len() >= 32);
            assert!(
                ["Critical", "High", "Medium", "Low"].contains(&f["severity"].as_str().unwrap())
            );
            assert!(f["identifiers"][0]["value"].is_string());
            assert!(f["location"]["file"].is_string());
            assert!(f["location"]["start_line"].as_u64().unwrap() >= 1);
            assert!(f["location"]["commit"]["sha"].is_string());
        }
    }
}

/// Reads a JUnit report with junitparser as a test-report widget would: `"CASES FAILURES"`, or
/// why it is not a report whose counts agree with its test cases.
fn junit_cases(python: &std::path::Path, report: &std::path::Path) -> Result<String, String> {
    const READ: &str = "\
import sys
from junitparser import JUnitXml, TestSuite, Failure
xml = JUnitXml.fromfile(sys.argv[1])
cases = failures = 0
for suite in [xml] if isinstance(xml, TestSuite) else xml:
    n = sum(1 for _ in suite)
    f = sum(1 for c in suite if any(isinstance(r, Failure) for r in c.result))
    if (suite.tests, suite.failures) != (n, f):
        sys.exit(f'suite {suite.name}: says {suite.tests} tests, {suite.failures} failures; holds {n}, {f}')
    cases += n
    failures += f
print(cases, failures)
";
    let out = Command::new(python)
        .args(["-c", READ])
        .arg(report)
        .output()
        .expect("python runs");
    if out.status.success() {
        Ok(String::from_utf8_lossy(&out.stdout).trim().to_string())
    } else {
        Err(String::from_utf8_lossy(&out.stderr).into_owned())
    }
}

#[test]
fn junit_report_parses_with_one_failure_per_finding() {
    let repo = leaky_repo();
    let out = repo.scour(&["scan", "--format", "junit", "--output", "report.xml"]);
    assert_eq!(code(&out), 1, "{}", String::from_utf8_lossy(&out.stderr));
    let xml = std::fs::read_to_string(repo.path().join("report.xml")).unwrap();
    assert!(!xml.contains(TOKEN));
    assert!(xml.contains(r#"failures="2""#), "{xml}");
    let report = repo.path().join("report.xml");
    let Some(python) = consumers::venv_bin("python") else {
        consumers::missing("junitparser (tests/consumers/.venv)");
        return;
    };
    assert_eq!(junit_cases(&python, &report).unwrap(), "2 2");
    // And it can fail: a suite whose counts disagree with its cases, or a report cut short.
    let lying = repo.path().join("lying.xml");
    let suite = r#"failures="2" errors="0" skipped="0""#;
    assert!(xml.contains(suite), "{xml}");
    std::fs::write(
        &lying,
        xml.replacen(suite, r#"failures="1" errors="0" skipped="0""#, 1),
    )
    .unwrap();
    let err = junit_cases(&python, &lying).unwrap_err();
    assert!(
        err.contains("says 2 tests, 1 failures; holds 2, 2"),
        "{err}"
    );
    std::fs::write(&lying, &xml[..xml.len() / 2]).unwrap();
    assert!(junit_cases(&python, &lying).is_err());
    // A clean scan is one passing case.
    let clean = Repo::new();
    clean.write("README.md", "# nothing\n");
    let out = clean.scour(&["scan", "--format", "junit"]);
    assert_eq!(code(&out), 0);
    assert!(String::from_utf8_lossy(&out.stdout).contains(r#"name="no secrets found""#));
}

#[test]
fn sarif_has_value_regions_rule_help_and_a_category() {
    let repo = leaky_repo();
    let out = repo.scour(&["scan", "--format", "sarif", "ci"]);
    let r = json(&out);
    let run = &r["runs"][0];
    assert_eq!(run["automationDetails"]["id"], "scour/scan/");
    let region = &run["results"][0]["locations"][0]["physicalLocation"]["region"];
    // `export GITHUB_TOKEN=` is 20 characters: the value spans columns 21 to 61.
    assert_eq!(region["startLine"], 1);
    assert_eq!(region["startColumn"], 21);
    assert_eq!(region["endColumn"], 21 + TOKEN.len() as u64);
    let rule = &run["tool"]["driver"]["rules"][0];
    assert!(rule["help"]["markdown"]
        .as_str()
        .unwrap()
        .contains("Rotate"));
    assert!(run["results"][0]["partialFingerprints"]["scour/credential/v1"].is_string());
    let out = repo.scour(&["history", "--format", "sarif", "--progress", "never"]);
    assert_eq!(
        json(&out)["runs"][0]["automationDetails"]["id"],
        "scour/history/"
    );
}

/// Microsoft's SARIF Multitool: `SCOUR_SARIF_MULTITOOL`, or where `.ci/run` installs it
/// (`npm ci` in tests/consumers).
fn sarif_multitool() -> Option<std::path::PathBuf> {
    match std::env::var_os("SCOUR_SARIF_MULTITOOL") {
        Some(path) => Some(path.into()),
        None => consumers::node_module("@microsoft/sarif-multitool-linux/Sarif.Multitool"),
    }
}

/// The SARIF reports of a scan and of a history scan of `leaky_repo`, written in it.
fn sarif_reports(repo: &Repo) -> [std::path::PathBuf; 2] {
    let scan = ["scan", "--format", "sarif", "-o", "scan.sarif"];
    let history = [
        "history",
        "--format",
        "sarif",
        "--progress",
        "never",
        "-o",
        "history.sarif",
    ];
    for args in [&scan[..], &history[..]] {
        assert_eq!(code(&repo.scour(args)), 1);
    }
    ["scan.sarif", "history.sarif"].map(|name| repo.path().join(name))
}

/// A copy of a SARIF report whose first region starts at line 0, which the schema forbids.
fn broken_sarif(report: &std::path::Path) -> std::path::PathBuf {
    let broken = report.with_file_name("broken.sarif");
    let text = std::fs::read_to_string(report).unwrap();
    assert!(text.contains("\"startLine\": 1"));
    std::fs::write(
        &broken,
        text.replacen("\"startLine\": 1", "\"startLine\": 0", 1),
    )
    .unwrap();
    broken
}

#[test]
fn sarif_passes_the_sarif_2_1_0_json_schema() {
    let Some(schema) = consumers::sarif_schema() else {
        consumers::missing("the SARIF 2.1.0 schema (@microsoft/jest-sarif)");
        return;
    };
    let repo = leaky_repo();
    let reports = sarif_reports(&repo);
    let Some(verdict) = consumers::ajv_validate(&schema, &[&reports[0], &reports[1]]) else {
        consumers::missing("node and Ajv");
        return;
    };
    verdict.unwrap();
    // And it can fail here.
    let broken = broken_sarif(&reports[0]);
    let err = consumers::ajv_validate(&schema, &[&broken])
        .unwrap()
        .unwrap_err();
    assert!(
        err.contains("/region/startLine") && err.contains("must be >= 1"),
        "{err}"
    );
}

#[test]
fn sarif_passes_the_sarif_multitool_validator() {
    let Some(multitool) = sarif_multitool() else {
        consumers::missing("Microsoft's SARIF Multitool");
        return;
    };
    // The errors the Multitool finds in a SARIF file (schema and SARIF rules).
    let validate = |report: &std::path::Path| -> Vec<serde_json::Value> {
        let verdict = report.with_extension("validation.sarif");
        let out = Command::new(&multitool)
            .arg("validate")
            .arg(report)
            .arg("--output")
            .arg(&verdict)
            .env("DOTNET_SYSTEM_GLOBALIZATION_INVARIANT", "1")
            .output()
            .expect("the SARIF Multitool runs");
        let said = String::from_utf8_lossy(&out.stdout);
        assert!(out.status.success(), "{said}");
        let v: serde_json::Value =
            serde_json::from_slice(&std::fs::read(&verdict).unwrap()).unwrap();
        v["runs"][0]["results"]
            .as_array()
            .map(|r| {
                r.iter()
                    .filter(|r| r["level"] == "error")
                    .cloned()
                    .collect()
            })
            .unwrap_or_default()
    };
    let repo = leaky_repo();
    for report in sarif_reports(&repo) {
        let errors = validate(&report);
        assert!(errors.is_empty(), "{}: {errors:#?}", report.display());
    }
    // And it can fail here: a region starting at line 0 breaks the schema.
    let broken = broken_sarif(&repo.path().join("scan.sarif"));
    assert!(
        !validate(&broken).is_empty(),
        "the validator found nothing wrong"
    );
}

#[test]
fn bash_completion_loads_in_bash() {
    let dir = tempfile::tempdir().unwrap();
    let out = common::scour_in(dir.path(), &["completions", "bash"]);
    assert_eq!(code(&out), 0);
    let script = dir.path().join("scour.bash");
    std::fs::write(&script, &out.stdout).unwrap();
    for shell in ["zsh", "fish", "powershell"] {
        let out = common::scour_in(dir.path(), &["completions", shell]);
        assert_eq!(code(&out), 0, "{shell}");
        assert!(!out.stdout.is_empty());
    }
    if !has("bash") {
        eprintln!("bash not found: completion not loaded");
        return;
    }
    // Load it, then ask the completion function what follows `scour h`.
    let probe = format!(
        "source '{}' && complete -p scour && COMP_WORDS=(scour h) COMP_CWORD=1 COMP_LINE='scour h' COMP_POINT=7 && _scour scour h scour && printf '%s\\n' \"${{COMPREPLY[@]}}\"",
        script.display()
    );
    let out = Command::new("bash").args(["-c", &probe]).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        text.contains("complete") && text.contains("scour"),
        "{text}"
    );
    assert!(text.lines().any(|l| l == "history"), "{text}");
    assert!(text.lines().any(|l| l == "hook"), "{text}");
}

#[test]
fn the_man_page_renders() {
    let dir = tempfile::tempdir().unwrap();
    let out = common::scour_in(dir.path(), &["man"]);
    assert_eq!(code(&out), 0);
    let roff = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        roff.starts_with(".ie") || roff.contains(".TH scour"),
        "{roff}"
    );
    assert!(roff.contains("completions") && roff.contains("history"));
    let page = dir.path().join("scour.1");
    std::fs::write(&page, &roff).unwrap();
    if !has("groff") {
        eprintln!("groff not found: the roff was checked, not rendered");
        return;
    }
    let rendered = Command::new("groff")
        .args(["-man", "-Tutf8", "-ww"])
        .arg(&page)
        .output()
        .unwrap();
    assert!(rendered.status.success());
    // grotty emboldens by overstriking (`N\bN`): read the page as a terminal would show it.
    let mut text = String::new();
    for c in String::from_utf8_lossy(&rendered.stdout).chars() {
        if c == '\u{8}' {
            text.pop();
        } else {
            text.push(c);
        }
    }
    assert!(
        text.contains("NAME") && text.contains("SUBCOMMANDS"),
        "{text}"
    );
    let warnings = String::from_utf8_lossy(&rendered.stderr);
    assert!(warnings.trim().is_empty(), "groff warnings: {warnings}");
}
