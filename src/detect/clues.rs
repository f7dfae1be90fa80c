//! What the line around a value says about it: how it is assigned and what the code around it
//! is doing. Read once per match, from the bytes the match sits in, so a blob scanned without
//! its path carries them to every path it is placed at.

use std::sync::LazyLock;

use aho_corasick::{AhoCorasick, MatchKind};

/// A set of line clues, one bit each.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct Clues(u32);

/// One thing a line can say about the value on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Clue {
    /// The value is quoted.
    Quoted,
    /// Assigned with `=` (or `:=`, `<-`).
    AssignEquals,
    /// Assigned with `:` (a mapping key).
    AssignColon,
    /// Given with `=>` (a hash or array literal).
    AssignArrow,
    /// Compared with `==`, `!=` or `===`: a test's expectation, not an assignment.
    Compared,
    /// Passed as a call argument (`(` or `,` before it).
    Argument,
    /// The line asserts or expects (`assert`, `expect`, `should`, `toBe`).
    Asserts,
    /// The line talks of tests, mocks, fakes, dummies, samples or examples.
    TestWords,
    /// The line reads the environment (`getenv`, `os.environ`, `process.env`).
    ReadsEnv,
    /// The line holds a URL.
    HasUrl,
    /// The line is long (over 200 bytes): minified code, data dumps, recorded responses.
    LongLine,
    /// The value is followed by more words on its line (prose).
    TrailingWords,
    /// Another tool's mark that a person judged the line holds no secret: bandit's and gosec's
    /// `nosec`, Sonar's `NOSONAR`, flake8-bandit's `noqa: S105`, gitleaks' `gitleaks:allow`,
    /// detect-secrets' `pragma: allowlist secret`, TruffleHog's `trufflehog:ignore`.
    MarkedSafe,
    /// The line's key is a description, help text or example (`"description": "..."`,
    /// `help=`, `example:`): what it holds is written for a reader.
    Describes,
}

const ALL: [Clue; 14] = [
    Clue::Quoted,
    Clue::AssignEquals,
    Clue::AssignColon,
    Clue::AssignArrow,
    Clue::Compared,
    Clue::Argument,
    Clue::Asserts,
    Clue::TestWords,
    Clue::ReadsEnv,
    Clue::HasUrl,
    Clue::LongLine,
    Clue::TrailingWords,
    Clue::MarkedSafe,
    Clue::Describes,
];

/// What the line's words say, with the clue each sets; matched in any ASCII case.
const WORDS: &[(&str, Clue)] = &[
    ("assert", Clue::Asserts),
    ("expect", Clue::Asserts),
    ("should", Clue::Asserts),
    ("tobe(", Clue::Asserts),
    ("toequal(", Clue::Asserts),
    ("test", Clue::TestWords),
    ("mock", Clue::TestWords),
    ("fake", Clue::TestWords),
    ("dummy", Clue::TestWords),
    ("sample", Clue::TestWords),
    ("example", Clue::TestWords),
    ("stub", Clue::TestWords),
    ("fixture", Clue::TestWords),
    ("getenv", Clue::ReadsEnv),
    ("environ", Clue::ReadsEnv),
    ("process.env", Clue::ReadsEnv),
    ("env[", Clue::ReadsEnv),
    ("env.fetch", Clue::ReadsEnv),
    ("system.getenv", Clue::ReadsEnv),
    ("://", Clue::HasUrl),
    ("nosec", Clue::MarkedSafe),
    ("nosonar", Clue::MarkedSafe),
    ("noqa: s10", Clue::MarkedSafe),
    ("noqa:s10", Clue::MarkedSafe),
    ("gitleaks:allow", Clue::MarkedSafe),
    ("allowlist secret", Clue::MarkedSafe),
    ("trufflehog:ignore", Clue::MarkedSafe),
];

/// The clues of [`WORDS`] found anywhere in `line`, in one pass over it (every occurrence,
/// overlapping ones included: `expectest` holds `expect` and `test`).
fn words_on(line: &[u8]) -> u32 {
    static SEARCH: LazyLock<AhoCorasick> = LazyLock::new(|| {
        AhoCorasick::builder()
            .ascii_case_insensitive(true)
            .match_kind(MatchKind::Standard)
            .build(WORDS.iter().map(|(w, _)| w))
            .expect("the clue words build an automaton")
    });
    let all = WORDS.iter().fold(0, |bits, (_, c)| bits | c.bit());
    let mut bits = 0;
    for m in SEARCH.find_overlapping_iter(line) {
        bits |= WORDS[m.pattern().as_usize()].1.bit();
        if bits == all {
            break;
        }
    }
    bits
}

/// Keys whose values are text for a reader: descriptions, help, usage and examples of a
/// schema, an API description, a command's options or a package's metadata.
const DESCRIBING_KEYS: &[&str] = &[
    "description",
    "desc",
    "help",
    "helptext",
    "help_text",
    "summary",
    "usage",
    "title",
    "tooltip",
    "hint",
    "example",
    "examples",
    "x-example",
    "docstring",
];

/// Whether the line up to a value opens with a describing key (`"description": "`,
/// `  help="`, `- example: `): the value sits in that key's text.
fn describes(before: &[u8]) -> bool {
    let rest = before.trim_ascii_start();
    let rest = rest.strip_prefix(b"- ").unwrap_or(rest).trim_ascii_start();
    let rest = rest.strip_prefix(b"\"").unwrap_or(rest);
    let end = rest
        .iter()
        .position(|b| !(b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-')))
        .unwrap_or(rest.len());
    let (key, after) = rest.split_at(end);
    let after = after
        .strip_prefix(b"\"")
        .unwrap_or(after)
        .trim_ascii_start();
    matches!(after.first(), Some(b':' | b'='))
        && DESCRIBING_KEYS
            .iter()
            .any(|k| k.as_bytes().eq_ignore_ascii_case(key))
}

impl Clue {
    /// The feature name the learned filter knows the clue by.
    pub fn name(self) -> &'static str {
        match self {
            Clue::Quoted => "quoted",
            Clue::AssignEquals => "assign_equals",
            Clue::AssignColon => "assign_colon",
            Clue::AssignArrow => "assign_arrow",
            Clue::Compared => "compared",
            Clue::Argument => "argument",
            Clue::Asserts => "asserts",
            Clue::TestWords => "test_words",
            Clue::ReadsEnv => "reads_env",
            Clue::HasUrl => "has_url",
            Clue::LongLine => "long_line",
            Clue::TrailingWords => "trailing_words",
            Clue::MarkedSafe => "marked_safe",
            Clue::Describes => "describes",
        }
    }

    fn bit(self) -> u32 {
        1 << (self as u32)
    }
}

impl Clues {
    /// Reads the clues of the value at `value` inside `line` (both offsets into `text`).
    pub fn read(text: &[u8], line: std::ops::Range<usize>, value: std::ops::Range<usize>) -> Clues {
        let mut clues = Clues::default();
        let before = &text[line.start..value.start.max(line.start)];
        let after = &text[value.end.min(line.end)..line.end];
        let quoted = before
            .last()
            .is_some_and(|b| matches!(b, b'"' | b'\'' | b'`'));
        clues.set(Clue::Quoted, quoted);
        let mut op =
            before.iter().rev().copied().skip_while(|b| {
                matches!(b, b'"' | b'\'' | b'`' | b' ' | b'\t' | b'@' | b'r' | b'b')
            });
        match (op.next(), op.next()) {
            (Some(b'='), Some(b'=' | b'!')) => clues.set(Clue::Compared, true),
            (Some(b'>'), Some(b'=')) => clues.set(Clue::AssignArrow, true),
            (Some(b'='), _) | (Some(b'-'), Some(b'<')) => clues.set(Clue::AssignEquals, true),
            (Some(b':'), _) => clues.set(Clue::AssignColon, true),
            (Some(b'(' | b','), _) => clues.set(Clue::Argument, true),
            _ => {}
        }
        clues.0 |= words_on(&text[line.clone()]);
        clues.set(Clue::LongLine, line.len() > 200);
        // Words of three letters or more after the value: bytes, as a non-ASCII character or
        // an invalid byte ends a word as any other non-letter does.
        let words = after
            .split(|b| !b.is_ascii_alphabetic())
            .filter(|w| w.len() >= 3)
            .count();
        clues.set(Clue::TrailingWords, words >= 3);
        clues.set(
            Clue::Describes,
            describes(&text[line.start..value.start.max(line.start)]),
        );
        clues
    }

    fn set(&mut self, clue: Clue, on: bool) {
        if on {
            self.0 |= clue.bit();
        }
    }

    /// Whether `clue` holds.
    pub fn has(self, clue: Clue) -> bool {
        self.0 & clue.bit() != 0
    }

    /// The clues that hold.
    pub fn iter(self) -> impl Iterator<Item = Clue> {
        ALL.into_iter().filter(move |c| self.has(*c))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn clues(line: &str, value: &str) -> Clues {
        let at = line.find(value).unwrap();
        Clues::read(line.as_bytes(), 0..line.len(), at..at + value.len())
    }

    /// The reading as first written: the line lowercased, and one search per word.
    fn words_by_lowercasing(line: &[u8]) -> u32 {
        let lower = line.to_ascii_lowercase();
        WORDS
            .iter()
            .filter(|(w, _)| memchr::memmem::find(&lower, w.as_bytes()).is_some())
            .fold(0, |bits, (_, c)| bits | c.bit())
    }

    #[test]
    fn a_describing_key_marks_its_text() {
        let line = r#"  "description": "proxy url in the format https://[user][:pass]@]host","#;
        assert!(clues(line, "pass]").has(Clue::Describes));
        assert!(clues("- example: hunter22", "hunter22").has(Clue::Describes));
        assert!(clues("  help='Password for the admin: s3cret'", "s3cret").has(Clue::Describes));
        assert!(!clues("password: hunter22", "hunter22").has(Clue::Describes));
        assert!(!clues("description_password: hunter22", "hunter22").has(Clue::Describes));
        // The key must open the line: a value named by another key only mentions one.
        assert!(!clues("x = call(title, password='hunter22')", "hunter22").has(Clue::Describes));
    }

    #[test]
    fn one_pass_finds_what_lowercasing_found() {
        let lines: &[&[u8]] = &[
            b"",
            b"PASSWORD = 'x'",
            b"ExpecTest(password).ToBe(\"x\")",
            b"self.assertEqual(os.ENVIRON['X'], SAMPLE_fixture)",
            b"url: HTTPS://user:pw@example.com/ # System.GetEnv",
            b"x = ENV['A'] || env.fetch('b') || Process.Env.C",
            b"mockstubdummyfake tobe( toequal( should",
            b"t\xc3\xa9st caf\xc3\xa9 TESTING \xff\xfeexample",
            b"te st moc k ://",
        ];
        for line in lines {
            assert_eq!(
                words_on(line),
                words_by_lowercasing(line),
                "{}",
                String::from_utf8_lossy(line)
            );
        }
        // Every word alone, in upper case, and inside others.
        for (w, c) in WORDS {
            let upper = format!("xx{}yy", w.to_ascii_uppercase());
            assert_eq!(words_on(upper.as_bytes()) & c.bit(), c.bit(), "{w}");
            assert_eq!(
                words_on(upper.as_bytes()),
                words_by_lowercasing(upper.as_bytes())
            );
        }
    }

    #[test]
    fn reads_how_a_value_is_given() {
        let c = clues(r#"  password: "hunter2xyz","#, "hunter2xyz");
        assert!(c.has(Clue::Quoted) && c.has(Clue::AssignColon));
        let c = clues(r#"assert cfg.password == "hunter2xyz""#, "hunter2xyz");
        assert!(c.has(Clue::Compared) && c.has(Clue::Asserts));
        let c = clues(r#"login("admin", "hunter2xyz")"#, "hunter2xyz");
        assert!(c.has(Clue::Argument) && !c.has(Clue::AssignEquals));
        let c = clues(r#"'password' => 'hunter2xyz',"#, "hunter2xyz");
        assert!(c.has(Clue::AssignArrow));
        let c = clues("DB_PASSWORD=hunter2xyz", "hunter2xyz");
        assert!(c.has(Clue::AssignEquals) && !c.has(Clue::Quoted));
        for line in [
            r#"_ACCESS_TOKEN = "OS-OAUTH1:access_token"  # nosec"#,
            r#"password = "hunter2xyz"  # noqa: S105"#,
            r#"const secret = "hunter2xyz" // #nosec G101"#,
            r#"token: hunter2xyz # pragma: allowlist secret"#,
        ] {
            let value = if line.contains("OS-") {
                "OS-OAUTH1:access_token"
            } else {
                "hunter2xyz"
            };
            assert!(clues(line, value).has(Clue::MarkedSafe), "{line}");
        }
        assert!(!clues("password = hunter2xyz # secure", "hunter2xyz").has(Clue::MarkedSafe));
    }
}
