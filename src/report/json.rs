//! JSON and JSON-lines reports.

use std::io::{self, Write};

use serde::Serialize;

use crate::finding::Finding;
use crate::scan::{Outcome, Summary};

/// The version of the JSON report's shape.
pub const VERSION: u32 = 1;

#[derive(Serialize)]
struct Report<'a> {
    version: u32,
    findings: Records<'a>,
    summary: &'a Summary,
}

/// The findings' records, made one at a time as they are written (a history's hundreds of
/// thousands of findings would otherwise be held twice).
struct Records<'a> {
    findings: &'a [Finding],
    show_secrets: bool,
}

impl Serialize for Records<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.findings.iter().map(|f| f.record(self.show_secrets)))
    }
}

/// Writes one JSON document.
pub fn write(out: &mut dyn Write, outcome: &Outcome, show_secrets: bool) -> io::Result<()> {
    let report = Report {
        version: VERSION,
        findings: Records {
            findings: &outcome.findings,
            show_secrets,
        },
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

/// The findings of a saved `--format json` report (or a `jsonl` one), in whatever shape the
/// caller reads them.
pub fn read_findings<T: serde::de::DeserializeOwned>(text: &str) -> Result<Vec<T>, String> {
    #[derive(serde::Deserialize)]
    struct Saved<T> {
        findings: Vec<T>,
    }
    match serde_json::from_str::<Saved<T>>(text) {
        Ok(report) => Ok(report.findings),
        Err(json_err) => text
            .lines()
            .filter(|l| !l.trim().is_empty())
            .map(serde_json::from_str::<T>)
            .collect::<Result<_, _>>()
            .map_err(|_| {
                format!("not a scour JSON report ({json_err}); write one with --format json")
            }),
    }
}
