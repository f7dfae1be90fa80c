//! Rust's inline test modules: `#[cfg(test)] mod tests { ... }` at the foot of a source file
//! holds the file's tests, and a password there is a fixture, as one under `tests/` is. The
//! module is found in the whole text (its opening line may be far above a match), by counting
//! braces outside comments, strings and character literals.

use std::ops::Range;
use std::path::Path;

/// The attribute that opens a test module.
const CFG_TEST: &[u8] = b"#[cfg(test)]";

/// Marks the matches of `text` (a whole file) that sit inside a `#[cfg(test)]` module.
/// Whether that makes them test code depends on the file's language (see [`holds_tests`]).
pub fn mark_test_modules(text: &[u8], matches: &mut [super::Match]) {
    if matches.is_empty() {
        return;
    }
    let modules = test_modules(text);
    for m in matches.iter_mut() {
        let i = modules.partition_point(|r| r.end <= m.span.start);
        if modules.get(i).is_some_and(|r| r.start <= m.span.start) {
            m.in_test_module = true;
        }
    }
}

/// Whether a `#[cfg(test)]` module of the file at `path` holds tests: when it is Rust.
pub fn holds_tests(path: Option<&Path>) -> bool {
    path.and_then(Path::extension)
        .is_some_and(|e| e.eq_ignore_ascii_case("rs"))
}

/// The bodies of the `#[cfg(test)]` modules of `text`, in order.
fn test_modules(text: &[u8]) -> Vec<Range<usize>> {
    let mut modules: Vec<Range<usize>> = Vec::new();
    for at in memchr::memmem::find_iter(text, CFG_TEST) {
        if modules.last().is_some_and(|r| at < r.end) {
            continue;
        }
        let Some(open) = module_brace(text, at + CFG_TEST.len()) else {
            continue;
        };
        // An unclosed module (a file cut short) runs to the end.
        let end = closing_brace(text, open).unwrap_or(text.len());
        modules.push(open..end);
    }
    modules
}

/// The `{` of `[pub[(..)]] mod name {` after `at`, past blanks; `None` for anything else
/// (`mod tests;`, a test function, another attribute's item).
fn module_brace(text: &[u8], at: usize) -> Option<usize> {
    let mut rest = skip_blanks(text, at);
    if text[rest..].starts_with(b"pub") {
        rest += 3;
        if text.get(rest) == Some(&b'(') {
            rest += memchr::memchr(b')', &text[rest..])? + 1;
        }
        rest = skip_blanks(text, rest);
    }
    if !text[rest..].starts_with(b"mod") {
        return None;
    }
    rest += 3;
    let blank = skip_blanks(text, rest);
    let name = text[blank..]
        .iter()
        .take_while(|b| b.is_ascii_alphanumeric() || **b == b'_')
        .count();
    if blank == rest || name == 0 {
        return None;
    }
    let brace = skip_blanks(text, blank + name);
    (text.get(brace) == Some(&b'{')).then_some(brace)
}

fn skip_blanks(text: &[u8], at: usize) -> usize {
    at + text[at.min(text.len())..]
        .iter()
        .take_while(|b| b.is_ascii_whitespace())
        .count()
}

/// The offset just past the `}` that closes the `{` at `open`, skipping comments (nested block
/// comments too), strings, raw strings and character literals; `None` if it never closes.
fn closing_brace(text: &[u8], open: usize) -> Option<usize> {
    let mut depth = 0usize;
    let mut i = open;
    while i < text.len() {
        match text[i] {
            b'{' => depth += 1,
            b'}' => {
                depth -= 1;
                if depth == 0 {
                    return Some(i + 1);
                }
            }
            b'/' if text.get(i + 1) == Some(&b'/') => {
                i += memchr::memchr(b'\n', &text[i..]).unwrap_or(text.len() - i);
                continue;
            }
            b'/' if text.get(i + 1) == Some(&b'*') => {
                i = block_comment_end(text, i);
                continue;
            }
            b'r' if is_raw_string(text, i) => {
                i = raw_string_end(text, i);
                continue;
            }
            b'"' => {
                i = string_end(text, i);
                continue;
            }
            b'\'' => {
                i = char_end(text, i);
                continue;
            }
            _ => {}
        }
        i += 1;
    }
    None
}

/// Past the block comment opening at `i` (`/*`), nested ones included.
fn block_comment_end(text: &[u8], mut i: usize) -> usize {
    let mut depth = 0usize;
    while i + 1 < text.len() {
        match (text[i], text[i + 1]) {
            (b'/', b'*') => {
                depth += 1;
                i += 2;
            }
            (b'*', b'/') => {
                depth -= 1;
                i += 2;
                if depth == 0 {
                    return i;
                }
            }
            _ => i += 1,
        }
    }
    text.len()
}

/// Past the string opening at `i` (`"`), escapes included.
fn string_end(text: &[u8], mut i: usize) -> usize {
    i += 1;
    while i < text.len() {
        match text[i] {
            b'\\' => i += 2,
            b'"' => return i + 1,
            _ => i += 1,
        }
    }
    text.len()
}

/// Whether `r` at `i` opens a raw string (`r"`, `r#"`, `br"`), not ends an identifier.
fn is_raw_string(text: &[u8], i: usize) -> bool {
    let ident = |b: u8| b.is_ascii_alphanumeric() || b == b'_';
    let starts_word = match i.checked_sub(1).map(|j| text[j]) {
        None => true,
        Some(b'b') => i < 2 || !ident(text[i - 2]),
        Some(before) => !ident(before),
    };
    let hashes = text[i + 1..].iter().take_while(|b| **b == b'#').count();
    starts_word && text.get(i + 1 + hashes) == Some(&b'"')
}

/// Past the raw string opening at `i` (`r`, hashes, `"`).
fn raw_string_end(text: &[u8], i: usize) -> usize {
    let hashes = text[i + 1..].iter().take_while(|b| **b == b'#').count();
    let body = i + 1 + hashes + 1;
    let mut closing = vec![b'"'];
    closing.resize(1 + hashes, b'#');
    memchr::memmem::find(&text[body.min(text.len())..], &closing)
        .map_or(text.len(), |at| body + at + closing.len())
}

/// Past the character literal at `i` (`'x'`, `'\n'`, `'\u{..}'`), or just past the quote of
/// a lifetime (`'a`).
fn char_end(text: &[u8], i: usize) -> usize {
    match text.get(i + 1) {
        Some(b'\\') => memchr::memchr(b'\'', &text[(i + 2).min(text.len())..])
            .map_or(text.len(), |at| i + 2 + at + 1),
        Some(_) => {
            // One character, of one to four bytes, then the closing quote.
            let len = text[i + 1..]
                .iter()
                .skip(1)
                .take_while(|b| (**b & 0xC0) == 0x80)
                .count()
                + 1;
            if text.get(i + 1 + len) == Some(&b'\'') {
                i + 1 + len + 1
            } else {
                i + 1
            }
        }
        None => text.len(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bodies(text: &str) -> Vec<&str> {
        test_modules(text.as_bytes())
            .into_iter()
            .map(|r| &text[r])
            .collect()
    }

    #[test]
    fn the_test_module_runs_to_its_closing_brace() {
        let text = "fn main() {}\n#[cfg(test)]\nmod tests {\n    fn a() { let s = \"}\"; let c = '}'; }\n    // }\n    /* } /* } */ } */\n    fn b<'a>(x: &'a str) -> &'a str { r#\"}\"# ; x }\n}\nfn after() {}\n";
        let found = bodies(text);
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(found[0].starts_with("{\n    fn a()"));
        assert!(found[0].ends_with("x }\n}"), "{:?}", found[0]);
    }

    #[test]
    fn only_inline_modules_count() {
        assert!(bodies("#[cfg(test)]\nmod tests;\n").is_empty());
        assert!(bodies("#[cfg(test)]\nfn helper() { }\n").is_empty());
        assert!(bodies("#[cfg(test)]\nmodule_thing { }\n").is_empty());
        assert_eq!(bodies("#[cfg(test)] pub(crate) mod t { x }").len(), 1);
        assert_eq!(
            bodies("#[cfg(test)]\nmod tests {\n fn cut_short() {").len(),
            1
        );
    }
}
