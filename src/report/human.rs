//! The human report: `path:line:column`, rule, severity, redacted secret; then a summary.

use std::io::{self, Write};

use super::Style;
use crate::detect::context::Context;
use crate::rules::Severity;
use crate::scan::{Outcome, Summary};

struct Paint {
    on: bool,
}

impl Paint {
    fn wrap(&self, code: &str, text: &str) -> String {
        if self.on {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_string()
        }
    }
}

/// Writes the findings, one per line, and the summary line.
pub fn write(out: &mut dyn Write, outcome: &Outcome, style: Style) -> io::Result<()> {
    let paint = Paint { on: style.color };
    for f in &outcome.findings {
        let severity = match f.severity {
            Severity::Critical => paint.wrap("1;31", f.severity.as_str()),
            Severity::High => paint.wrap("31", f.severity.as_str()),
            Severity::Medium => paint.wrap("33", f.severity.as_str()),
            Severity::Low => f.severity.as_str().to_string(),
        };
        let mut notes = vec![if style.explain {
            format!("{} confidence: {}", f.confidence.as_str(), f.reason)
        } else {
            format!("{} confidence", f.confidence.as_str())
        }];
        if f.context != Context::Config {
            notes.push(f.context.as_str().to_string());
        }
        if f.commented {
            notes.push("commented out".to_string());
        }
        if !f.decoded.is_empty() {
            notes.push(format!("decoded: {}", f.decoded.join(" > ")));
        }
        if f.weak {
            notes.push("weak".to_string());
        }
        if let Some(git) = &f.git {
            if git.unreachable {
                notes.push(format!("unreachable, blob {}", short(&git.blob)));
            } else if let (Some(commit), Some(date)) = (&git.commit, &git.date) {
                let day = date.split('T').next().unwrap_or(date);
                notes.push(format!("since {} {day}", short(commit)));
                notes.push(if git.in_head {
                    "at HEAD".into()
                } else {
                    "not at HEAD".into()
                });
            }
        }
        let notes = if notes.is_empty() {
            String::new()
        } else {
            format!("  ({})", notes.join(", "))
        };
        writeln!(
            out,
            "{}:{}:{}  {}  {}  {}  {}{}",
            paint.wrap("35", &f.path),
            paint.wrap("32", &f.line.to_string()),
            f.column,
            severity,
            paint.wrap("1", f.rule.as_str()),
            f.title,
            paint.wrap("36", &f.shown_secret(style.show_secrets)),
            notes
        )?;
    }
    if !outcome.findings.is_empty() {
        writeln!(out)?;
    }
    writeln!(out, "{}", summary_line(&outcome.summary))
}

fn short(hex: &str) -> &str {
    &hex[..hex.len().min(10)]
}

/// One line that says what was found and what was covered.
pub fn summary_line(s: &Summary) -> String {
    let covered = match &s.git {
        None => format!("{} file{}", s.files, plural(s.files)),
        Some(g) => format!(
            "{} unique blob{} and {} message{} from {} commit{} and {} ref{}",
            s.files,
            plural(s.files),
            g.messages,
            plural(g.messages),
            g.commits,
            plural(g.commits),
            g.refs,
            plural(g.refs)
        ),
    };
    let mut line = format!(
        "scour: {} finding{} ({} distinct credential{}); scanned {covered}, {} in {:.2} s ({:.1} MB/s)",
        s.findings,
        plural(s.findings),
        s.credentials,
        plural(s.credentials),
        human_bytes(s.bytes),
        s.seconds,
        s.mb_per_second()
    );
    let mut skipped = Vec::new();
    if s.skipped_binary > 0 {
        skipped.push(format!("{} binary", s.skipped_binary));
    }
    if s.skipped_large > 0 {
        skipped.push(format!("{} over the size cap", s.skipped_large));
    }
    if s.unreadable > 0 {
        skipped.push(format!("{} unreadable", s.unreadable));
    }
    if !skipped.is_empty() {
        line.push_str(&format!("; skipped {}", skipped.join(", ")));
    }
    if s.decode_warnings > 0 {
        line.push_str(&format!(
            "; {} undecodable value{}",
            s.decode_warnings,
            plural(s.decode_warnings)
        ));
    }
    if let Some(g) = &s.git {
        if g.missing_blobs > 0 {
            line.push_str(&format!("; {} blobs missing", g.missing_blobs));
        }
        if g.submodules > 0 {
            line.push_str(&format!("; {} submodule entries skipped", g.submodules));
        }
    }
    if s.baselined > 0 {
        line.push_str(&format!("; {} suppressed by the baseline", s.baselined));
    }
    line
}

/// "s" unless `n` is one.
pub fn plural(n: u64) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

/// Bytes in binary units, one decimal.
pub fn human_bytes(n: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut value = n as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit < UNITS.len() - 1 {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{n} B")
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}
