//! What the line around a value says about it: how it is assigned and what the code around it
//! is doing. Read once per match, from the bytes the match sits in, so a blob scanned without
//! its path carries them to every path it is placed at.

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
}

const ALL: [Clue; 12] = [
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
];

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
        let lower = text[line.clone()].to_ascii_lowercase();
        let has = |needle: &str| memchr::memmem::find(&lower, needle.as_bytes()).is_some();
        let quoted = before
            .last()
            .is_some_and(|b| matches!(b, b'"' | b'\'' | b'`'));
        clues.set(Clue::Quoted, quoted);
        let op: Vec<u8> = before
            .iter()
            .rev()
            .copied()
            .skip_while(|b| matches!(b, b'"' | b'\'' | b'`' | b' ' | b'\t' | b'@' | b'r' | b'b'))
            .take(3)
            .collect();
        match op.as_slice() {
            [b'=', b'=', ..] | [b'=', b'!', ..] => clues.set(Clue::Compared, true),
            [b'>', b'=', ..] => clues.set(Clue::AssignArrow, true),
            [b'=', ..] | [b'-', b'<', ..] => clues.set(Clue::AssignEquals, true),
            [b':', ..] => clues.set(Clue::AssignColon, true),
            [b'(', ..] | [b',', ..] => clues.set(Clue::Argument, true),
            _ => {}
        }
        clues.set(
            Clue::Asserts,
            ["assert", "expect", "should", "tobe(", "toequal("]
                .iter()
                .any(|w| has(w)),
        );
        clues.set(
            Clue::TestWords,
            [
                "test", "mock", "fake", "dummy", "sample", "example", "stub", "fixture",
            ]
            .iter()
            .any(|w| has(w)),
        );
        clues.set(
            Clue::ReadsEnv,
            [
                "getenv",
                "environ",
                "process.env",
                "env[",
                "env.fetch",
                "system.getenv",
            ]
            .iter()
            .any(|w| has(w)),
        );
        clues.set(Clue::HasUrl, has("://"));
        clues.set(Clue::LongLine, line.len() > 200);
        let rest = String::from_utf8_lossy(after);
        let words = rest
            .split(|c: char| !c.is_ascii_alphabetic())
            .filter(|w| w.len() >= 3)
            .count();
        clues.set(Clue::TrailingWords, words >= 3);
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
    }
}
