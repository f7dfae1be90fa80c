//! JUnit XML, for CI test-report widgets: one test case per finding, failed; a scan without
//! findings is one passing case.

use std::io::{self, Write};

use crate::scan::Outcome;

/// Escapes text for an XML attribute or element.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            // XML 1.0 cannot hold other control characters, even escaped.
            c if (c as u32) < 0x20 && !matches!(c, '\t' | '\n' | '\r') => out.push('\u{fffd}'),
            c => out.push(c),
        }
    }
    out
}

/// Writes one `<testsuites>` with one `<testsuite name="scour">`.
pub fn write(out: &mut dyn Write, outcome: &Outcome, show_secrets: bool) -> io::Result<()> {
    let failures = outcome.findings.len();
    let tests = failures.max(1);
    writeln!(out, r#"<?xml version="1.0" encoding="UTF-8"?>"#)?;
    writeln!(
        out,
        r#"<testsuites name="scour" tests="{tests}" failures="{failures}" errors="0" time="{:.3}">"#,
        outcome.summary.seconds
    )?;
    writeln!(
        out,
        r#"  <testsuite name="scour" tests="{tests}" failures="{failures}" errors="0" skipped="0" time="{:.3}">"#,
        outcome.summary.seconds
    )?;
    if outcome.findings.is_empty() {
        writeln!(
            out,
            r#"    <testcase classname="scour" name="no secrets found" time="0"/>"#
        )?;
    }
    for f in &outcome.findings {
        let place = format!("{}:{}:{}", f.path, f.line, f.column);
        let message = format!("{}: {}", f.title, f.shown_secret(show_secrets));
        writeln!(
            out,
            r#"    <testcase classname="{}" name="{} at {}" file="{}" line="{}" time="0">"#,
            escape(&f.path),
            escape(f.rule.as_str()),
            escape(&place),
            escape(&f.path),
            f.line
        )?;
        writeln!(
            out,
            r#"      <failure message="{}" type="{}">{}&#10;severity {}, confidence {}, context {}&#10;fingerprint {}</failure>"#,
            escape(&message),
            f.severity.as_str(),
            escape(&place),
            f.severity.as_str(),
            f.confidence.as_str(),
            f.context.as_str(),
            f.fingerprint
        )?;
        writeln!(out, "    </testcase>")?;
    }
    writeln!(out, "  </testsuite>")?;
    writeln!(out, "</testsuites>")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup_and_control_characters() {
        assert_eq!(escape(r#"a<b>&"c'"#), "a&lt;b&gt;&amp;&quot;c&apos;");
        assert_eq!(escape("x\u{1}y"), "x\u{fffd}y");
    }
}
