//! The real consumers of scour's reports and integrations, installed under `tests/consumers` by
//! `.ci/run`: npm packages (`npm ci`: Microsoft's SARIF Multitool, Ajv, the SARIF 2.1.0 schema
//! shipped in `@microsoft/jest-sarif`) and a Python virtual environment `.venv`
//! (`requirements.txt`: pre-commit, junitparser).
//!
//! A test whose consumer is missing skips and says so, unless `SCOUR_REQUIRE_CONSUMERS` is set
//! (`.ci/run` sets it): then it fails, so that CI cannot pass by skipping.

use std::path::{Path, PathBuf};
use std::process::Command;

/// `tests/consumers` in this repository.
pub fn dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/consumers")
}

/// Whether CI demands every consumer (`SCOUR_REQUIRE_CONSUMERS` set and not empty).
pub fn required() -> bool {
    std::env::var_os("SCOUR_REQUIRE_CONSUMERS").is_some_and(|v| !v.is_empty())
}

/// Reports a missing consumer: fails the test when consumers are required, otherwise prints
/// why the test checks less (the caller then returns or falls back).
pub fn missing(what: &str) {
    let how = "run `npm ci` and `python3 -m venv .venv && .venv/bin/pip install -r \
               requirements.txt` in tests/consumers, as .ci/run does";
    assert!(
        !required(),
        "{what} is missing and SCOUR_REQUIRE_CONSUMERS is set: {how}"
    );
    eprintln!("SKIPPED: {what} is missing ({how})");
}

/// A file under `tests/consumers/node_modules`, when installed.
pub fn node_module(rel: &str) -> Option<PathBuf> {
    let path = dir().join("node_modules").join(rel);
    path.exists().then_some(path)
}

/// A program of the virtual environment `tests/consumers/.venv`, when installed.
pub fn venv_bin(name: &str) -> Option<PathBuf> {
    let path = dir().join(".venv/bin").join(name);
    path.exists().then_some(path)
}

/// The SARIF 2.1.0 JSON schema (rtm.5, the one schemastore publishes as `sarif-2.1.0.json`), as
/// Microsoft ships it in `@microsoft/jest-sarif`.
pub fn sarif_schema() -> Option<PathBuf> {
    node_module("@microsoft/jest-sarif/lib/schemas/sarif-2.1.0-rtm.5.json")
}

/// Validates `documents` against `schema` with Ajv (`tests/consumers/validate-json-schema.js`):
/// `Ok` when all are valid, `Err` with Ajv's report otherwise. `None` when node or Ajv is
/// missing.
pub fn ajv_validate(schema: &Path, documents: &[&Path]) -> Option<Result<(), String>> {
    node_module("ajv-draft-04/package.json")?;
    let out = Command::new("node")
        .arg(dir().join("validate-json-schema.js"))
        .arg(schema)
        .args(documents)
        .output()
        .ok()?;
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    match out.status.code() {
        Some(0) => Some(Ok(())),
        Some(1) => Some(Err(said)),
        _ => panic!("the validator could not run: {said}"),
    }
}
