//! CI formats and shell integration, read back by real consumers where the machine has them:
//! GitLab's Secret Detection report, JUnit XML (python's XML parser), SARIF regions and rule
//! help, bash completion loaded in bash, the man page rendered by groff.

mod common;

use std::process::Command;

use common::{code, Repo};

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

#[test]
fn junit_report_parses_with_one_failure_per_finding() {
    let repo = leaky_repo();
    let out = repo.scour(&["scan", "--format", "junit", "--output", "report.xml"]);
    assert_eq!(code(&out), 1, "{}", String::from_utf8_lossy(&out.stderr));
    let xml = std::fs::read_to_string(repo.path().join("report.xml")).unwrap();
    assert!(!xml.contains(TOKEN));
    assert!(xml.contains(r#"failures="2""#), "{xml}");
    if !has("python3") {
        eprintln!("python3 not found: JUnit XML not parsed");
        return;
    }
    let parsed = Command::new("python3")
        .args([
            "-c",
            "import sys, xml.etree.ElementTree as E\n\
             r = E.parse(sys.argv[1]).getroot()\n\
             cases = r.findall('./testsuite/testcase')\n\
             print(len(cases), sum(1 for c in cases if c.find('failure') is not None))",
            repo.path().join("report.xml").to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert!(
        parsed.status.success(),
        "{}",
        String::from_utf8_lossy(&parsed.stderr)
    );
    assert_eq!(String::from_utf8_lossy(&parsed.stdout).trim(), "2 2");
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
    let installed = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/consumers/node_modules/@microsoft/sarif-multitool-linux/Sarif.Multitool");
    match std::env::var_os("SCOUR_SARIF_MULTITOOL") {
        Some(path) => Some(path.into()),
        None => installed.exists().then_some(installed),
    }
}

#[test]
fn sarif_passes_the_sarif_multitool_validator() {
    let Some(multitool) = sarif_multitool() else {
        eprintln!("SKIPPED: no SARIF Multitool (run `npm ci` in tests/consumers, as .ci/run does)");
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
    for (name, args) in [("scan.sarif", &scan[..]), ("history.sarif", &history[..])] {
        assert_eq!(code(&repo.scour(args)), 1);
        let errors = validate(&repo.path().join(name));
        assert!(errors.is_empty(), "{name}: {errors:#?}");
    }
    // And it can fail here: a region starting at line 0 breaks the schema.
    let broken = repo.path().join("broken.sarif");
    let text = std::fs::read_to_string(repo.path().join("scan.sarif")).unwrap();
    std::fs::write(
        &broken,
        text.replacen("\"startLine\": 1", "\"startLine\": 0", 1),
    )
    .unwrap();
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
