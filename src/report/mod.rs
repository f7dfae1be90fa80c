//! Reports: the same findings as human text, JSON, JSON lines, SARIF, GitLab's Secret Detection
//! report or JUnit XML.

pub mod checklist;
pub mod gitlab;
pub mod human;
pub mod json;
pub mod junit;
pub mod purge;
pub mod sarif;

use std::fs::OpenOptions;
use std::io::{self, Write};
use std::path::Path;

use crate::rules::RuleSet;
use crate::scan::Outcome;

/// An output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// One line per finding and a summary, for a terminal.
    Human,
    /// One JSON document: `{"version": 1, "findings": [...], "summary": {...}}`.
    Json,
    /// One JSON finding per line.
    Jsonl,
    /// SARIF 2.1.0, as code-scanning services accept it.
    Sarif,
    /// GitLab's Secret Detection report.
    Gitlab,
    /// JUnit XML, one failed test case per finding.
    Junit,
}

/// How a report is written.
#[derive(Debug, Clone, Copy)]
pub struct Style {
    /// The format.
    pub format: Format,
    /// Print secrets in full.
    pub show_secrets: bool,
    /// Use ANSI colours (human format only).
    pub color: bool,
    /// Say why each finding has its confidence (human format only).
    pub explain: bool,
}

/// Writes `outcome` to `out` in the chosen style.
pub fn write(
    out: &mut dyn Write,
    outcome: &Outcome,
    rules: &RuleSet,
    style: Style,
) -> io::Result<()> {
    match style.format {
        Format::Human => human::write(out, outcome, style),
        Format::Json => json::write(out, outcome, style.show_secrets),
        Format::Jsonl => json::write_lines(out, outcome, style.show_secrets),
        Format::Sarif => sarif::write(out, outcome, rules, style.show_secrets),
        Format::Gitlab => gitlab::write(out, outcome, style.show_secrets),
        Format::Junit => junit::write(out, outcome, style.show_secrets),
    }
}

/// Creates (or truncates) a report file readable by its owner only: reports hold secret ids
/// and, with `--show-secrets`, the secrets themselves.
pub fn create_private(path: &Path) -> io::Result<std::fs::File> {
    let mut options = OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
        options.mode(0o600);
        let file = options.open(path)?;
        // `mode` applies only when the file is created; tighten one that already existed.
        file.set_permissions(std::fs::Permissions::from_mode(0o600))?;
        Ok(file)
    }
    #[cfg(not(unix))]
    {
        options.open(path)
    }
}
