//! JSON and JSON-lines reports.

use std::io::{self, Write};

use serde::Serialize;

use crate::finding::Record;
use crate::scan::{Outcome, Summary};

/// The version of the JSON report's shape.
pub const VERSION: u32 = 1;

#[derive(Serialize)]
struct Report<'a> {
    version: u32,
    findings: Vec<Record<'a>>,
    summary: &'a Summary,
}

/// Writes one JSON document.
pub fn write(out: &mut dyn Write, outcome: &Outcome, show_secrets: bool) -> io::Result<()> {
    let report = Report {
        version: VERSION,
        findings: outcome
            .findings
            .iter()
            .map(|f| f.record(show_secrets))
            .collect(),
        summary: &outcome.summary,
    };
    serde_json::to_writer_pretty(&mut *out, &report)?;
    writeln!(out)
}

/// Writes one JSON finding per line.
pub fn write_lines(out: &mut dyn Write, outcome: &Outcome, show_secrets: bool) -> io::Result<()> {
    for f in &outcome.findings {
        serde_json::to_writer(&mut *out, &f.record(show_secrets))?;
        writeln!(out)?;
    }
    Ok(())
}
