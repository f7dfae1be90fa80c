//! The items that follow a captured value in a one-line list.
//!
//! A rule captures the first value of `"tokens": ["a", "b"]` or `Tokens: []string{"a", "b"}`;
//! every item of a list under a credential-named key is a credential too, and a regex cannot
//! capture each of a repeated group. The later items are read here, on the first item's line.

use std::ops::Range;

/// More items than this on one line is data (a table, a word list), not credentials.
const MAX_ITEMS: usize = 64;
/// The shortest item worth judging, as the rules' own value classes require.
const MIN_ITEM: usize = 4;

/// Whether the text between a key and its first value opens a list: `: [`, `= []string{`.
pub fn opens_list(between: &[u8]) -> bool {
    let trimmed = trim_quote(between.trim_ascii_end()).trim_ascii_end();
    matches!(trimmed.last(), Some(b'[' | b'{'))
}

/// The spans of the quoted items that follow the quoted value ending at `end`, up to `limit`
/// (the end of the window the value was captured in) and never past its line.
///
/// Each item must be quoted as the first one is and written plainly, so that code after a
/// list (`["a"], foo(bar)`) is not read as more items.
pub fn following_items(text: &[u8], end: usize, limit: usize) -> Vec<Range<usize>> {
    let limit = limit.min(text.len());
    let line_end = memchr::memchr(b'\n', &text[end.min(limit)..limit]).map_or(limit, |i| end + i);
    let text = &text[..line_end];
    let Some(quote) = closing_quote(text, end) else {
        return Vec::new();
    };
    let mut items = Vec::new();
    let mut at = end + quote.len();
    while items.len() < MAX_ITEMS {
        let Some(start) = next_item_start(text, at, quote) else {
            break;
        };
        let len = text[start..]
            .iter()
            .take_while(|&&b| is_item_byte(b))
            .count();
        let stop = start + len;
        if !text[stop..].starts_with(quote) {
            break;
        }
        if len >= MIN_ITEM {
            items.push(start..stop);
        }
        at = stop + quote.len();
    }
    items
}

/// The quote closing the value at `end` (`"`, `'`, `` ` ``, or one escaped in a JSON string).
fn closing_quote(text: &[u8], end: usize) -> Option<&'static [u8]> {
    let rest = text.get(end..)?;
    [&b"\\\""[..], &b"\\'"[..], &b"\""[..], &b"'"[..], &b"`"[..]]
        .into_iter()
        .find(|q| rest.starts_with(q))
}

/// Where the next item's value starts after `at`: blanks, a comma, blanks, then `quote`.
fn next_item_start(text: &[u8], at: usize, quote: &[u8]) -> Option<usize> {
    let mut i = skip_blanks(text, at);
    if text.get(i) != Some(&b',') {
        return None;
    }
    i = skip_blanks(text, i + 1);
    text[i..].starts_with(quote).then_some(i + quote.len())
}

fn skip_blanks(text: &[u8], mut i: usize) -> usize {
    while matches!(text.get(i), Some(b' ' | b'\t' | b'\r')) {
        i += 1;
    }
    i
}

/// The bytes a value may hold, as in the rules' captures: no blanks, quotes or brackets.
fn is_item_byte(b: u8) -> bool {
    !b.is_ascii_whitespace() && !b"\"'`,;&(){}[]<>\\".contains(&b)
}

fn trim_quote(text: &[u8]) -> &[u8] {
    let text = match text.last() {
        Some(b'"' | b'\'' | b'`') => &text[..text.len() - 1],
        _ => text,
    };
    text.strip_suffix(b"\\").unwrap_or(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn items(line: &str, first: &str) -> Vec<String> {
        let end = line.find(first).unwrap() + first.len();
        following_items(line.as_bytes(), end, line.len())
            .into_iter()
            .map(|r| line[r].to_string())
            .collect()
    }

    #[test]
    fn lists_are_recognised_by_their_opener() {
        assert!(opens_list(b": [\""));
        assert!(opens_list(b":   []string{\""));
        assert!(opens_list(b"\\\": [\\\""));
        assert!(opens_list(b"= ["));
        assert!(!opens_list(b" = []byte(\""));
        assert!(!opens_list(b": \""));
        assert!(!opens_list(b".setPassword(\""));
    }

    #[test]
    fn every_plain_item_on_the_line_is_read() {
        assert_eq!(
            items(
                r#""tokens":["a9a3fad0","83f215ce", 'mixed', "ffee0011"],"x":1"#,
                "a9a3fad0"
            ),
            ["83f215ce"]
        );
        assert_eq!(
            items(
                r#"Tokens: []string{"k1k1k1k1", "k2k2k2k2",	"k3k3k3k3"}"#,
                "k1k1k1k1"
            ),
            ["k2k2k2k2", "k3k3k3k3"]
        );
        assert_eq!(
            items(r#"{\"keys\": [\"aaaa1111\", \"bbbb2222\"]}"#, "aaaa1111"),
            ["bbbb2222"]
        );
    }

    #[test]
    fn code_prose_and_other_lines_are_not_items() {
        assert!(items(r#"pw = ["abcd1234"], other("zzzz9999")"#, "abcd1234").is_empty());
        assert!(items(r#"pw = ["abcd1234", "has space"]"#, "abcd1234").is_empty());
        assert!(items("pw = [\"abcd1234\",\n \"nextline\"]", "abcd1234").is_empty());
        assert!(items("pw = [abcd1234, efgh5678]", "abcd1234").is_empty());
        assert_eq!(
            items(r#"pw = ["abcd1234", "ab", "cdef5678"]"#, "abcd1234"),
            ["cdef5678"]
        );
    }
}
