//! Whether a match sits in a comment: a commented-out `password: ...` is a note or an old
//! value, not live configuration.
//!
//! The marker is read from the text alone (a blob streaming out of a pack has no path yet);
//! whether the marker starts a comment in a given file is decided once the path is known,
//! because `#` opens a comment in YAML, shell and Python but not in C or JavaScript.

use std::path::Path;

/// The syntax that opens the comment a match sits in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Marker {
    /// `#` at the start of the line or after a blank (YAML, shell, Python, TOML, Ruby...).
    Hash,
    /// `//` at the start of the line or after a blank (C family, JavaScript, Go, HCL...).
    Slashes,
    /// `;` at the start of the line (INI, assembly, Lisp).
    Semicolon,
    /// `-- ` at the start of the line (SQL, Lua, Haskell).
    DashDash,
    /// `/*`, or a line starting with `* ` inside a block comment (C family, CSS).
    Block,
    /// `<!--` (XML, HTML, Markdown).
    Markup,
    /// `REM ` or `::` at the start of the line (batch files).
    Rem,
    /// Inside a string of triple quotes that stands as a statement: a docstring, whose
    /// `password='...'` is an example in Python's documentation. Unlike the others it is read
    /// from the whole text (see [`mark_docstrings`]), not from the line.
    Docstring,
}

/// The comment marker before `at` on its line, if the match at `at` is commented out.
pub fn marker_before(text: &[u8], line_start: usize, at: usize) -> Option<Marker> {
    let prefix = &text[line_start..at.min(text.len())];
    let lead = prefix
        .iter()
        .take_while(|b| b.is_ascii_whitespace())
        .count();
    let start = &prefix[lead..];
    if start.starts_with(b"<!--") {
        return Some(Marker::Markup);
    }
    if start.starts_with(b"/*") || start.starts_with(b"* ") || start == b"*" {
        return Some(Marker::Block);
    }
    if start.starts_with(b"-- ") {
        return Some(Marker::DashDash);
    }
    if start.starts_with(b";") {
        return Some(Marker::Semicolon);
    }
    if start.len() >= 4 && start[..4].eq_ignore_ascii_case(b"rem ") || start.starts_with(b"::") {
        return Some(Marker::Rem);
    }
    if start.starts_with(b"#") && !is_preprocessor(start) {
        return Some(Marker::Hash);
    }
    // A trailing comment after code: the opener must follow a blank, so that `http://`,
    // `a#b` inside a value and `x//y` paths are not taken for comments.
    let mut quote: Option<u8> = None;
    for i in 0..start.len() {
        let b = start[i];
        match quote {
            Some(q) if b == q => quote = None,
            Some(_) => {}
            None if b == b'"' || b == b'\'' => quote = Some(b),
            None => {
                let after_blank = i > 0 && matches!(start[i - 1], b' ' | b'\t');
                if after_blank && b == b'#' {
                    return Some(Marker::Hash);
                }
                if after_blank && start[i..].starts_with(b"//") {
                    return Some(Marker::Slashes);
                }
                if start[i..].starts_with(b"<!--") {
                    return Some(Marker::Markup);
                }
            }
        }
    }
    if start.starts_with(b"//") {
        return Some(Marker::Slashes);
    }
    None
}

/// Marks the matches of `text` (a whole file) that sit inside a docstring, unless another
/// marker already comments them out.
pub fn mark_docstrings(text: &[u8], matches: &mut [super::Match]) {
    // Most texts with matches are configuration without triple quotes: two fast searches.
    let triple = |q: &[u8]| memchr::memmem::find(text, q).is_some();
    if matches.is_empty() || !triple(b"\"\"\"") && !triple(b"'''") {
        return;
    }
    let blocks = docstrings(text);
    if blocks.is_empty() {
        return;
    }
    for m in matches.iter_mut().filter(|m| m.comment.is_none()) {
        let i = blocks.partition_point(|b| b.end <= m.span.start);
        if blocks.get(i).is_some_and(|b| b.start <= m.span.start) {
            m.comment = Some(Marker::Docstring);
        }
    }
}

/// The strings of triple quotes (`"""` or `'''`) of `text` that open a line (after blanks and a
/// string prefix such as `r`): docstrings and strings standing as statements, in order. A
/// string opened after `=` or `(` is a value and is left out.
fn docstrings(text: &[u8]) -> Vec<std::ops::Range<usize>> {
    let mut out = Vec::new();
    let mut at = 0;
    while let Some(i) = memchr::memchr2(b'"', b'\'', &text[at..]).map(|i| at + i) {
        let q = text[i];
        if text.get(i..i + 3) != Some(&[q, q, q][..]) {
            at = i + 1;
            continue;
        }
        let close = memchr::memmem::find(&text[i + 3..], &[q, q, q]).map(|c| i + 3 + c + 3);
        let line_start = memchr::memrchr(b'\n', &text[..i]).map_or(0, |n| n + 1);
        let lead = &text[line_start..i];
        let lead = &lead[lead.iter().take_while(|b| b.is_ascii_whitespace()).count()..];
        let statement = lead.len() <= 2 && lead.iter().all(|b| b"rRuUbBfF".contains(b));
        let end = close.unwrap_or(text.len());
        if statement {
            out.push(i..end);
        }
        at = end;
    }
    out
}

/// `#define`, `#include` and the other C preprocessor lines are code, not comments.
fn is_preprocessor(line: &[u8]) -> bool {
    const DIRECTIVES: &[&[u8]] = &[
        b"define",
        b"include",
        b"if",
        b"ifdef",
        b"ifndef",
        b"else",
        b"elif",
        b"endif",
        b"undef",
        b"pragma",
        b"error",
        b"import",
        b"region",
        b"endregion",
        b"line",
    ];
    let word: &[u8] = {
        let rest = &line[1..];
        let rest = &rest[rest.iter().take_while(|b| **b == b' ').count()..];
        let n = rest.iter().take_while(|b| b.is_ascii_alphabetic()).count();
        &rest[..n]
    };
    DIRECTIVES.contains(&word)
}

impl Marker {
    /// Whether this marker opens a comment in a file at `path` (`None`: unknown, judged as
    /// configuration, where every marker does).
    pub fn comments_out(self, path: Option<&Path>) -> bool {
        let Some(path) = path else { return true };
        match self {
            Marker::Hash => !hash_is_syntax(path),
            Marker::Slashes => !slashes_are_syntax(path),
            Marker::Docstring => matches!(extension(path).as_deref(), Some("py" | "pyi")),
            _ => true,
        }
    }
}

/// The file's extension, lowercased.
fn extension(path: &Path) -> Option<String> {
    path.extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase)
}

/// Languages where `#` is syntax, not a comment (private fields, attributes, macros).
fn hash_is_syntax(path: &Path) -> bool {
    matches!(
        extension(path).as_deref(),
        Some(
            "c" | "h"
                | "cc"
                | "cpp"
                | "cxx"
                | "hpp"
                | "hh"
                | "js"
                | "mjs"
                | "cjs"
                | "jsx"
                | "ts"
                | "tsx"
                | "java"
                | "kt"
                | "kts"
                | "go"
                | "rs"
                | "cs"
                | "swift"
                | "scala"
                | "dart"
                | "m"
                | "mm"
                | "json"
        )
    )
}

/// Files whose syntax has no `//` comment, where a leading `//` is data: `.npmrc` scopes its
/// credentials to a registry as `//registry.example.com/:_authToken=...`.
fn slashes_are_syntax(path: &Path) -> bool {
    let name = path
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or_default();
    matches!(name, ".npmrc" | "npmrc" | ".yarnrc" | ".yarnrc.yml")
        || matches!(
            extension(path).as_deref(),
            Some(
                "npmrc"
                    | "yaml"
                    | "yml"
                    | "toml"
                    | "ini"
                    | "properties"
                    | "env"
                    | "sh"
                    | "bash"
                    | "zsh"
                    | "py"
                    | "rb"
            )
        )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(line: &str, needle: &str) -> Option<Marker> {
        marker_before(line.as_bytes(), 0, line.find(needle).unwrap())
    }

    #[test]
    fn comment_markers() {
        assert_eq!(
            at("#   secret_key: password", "password"),
            Some(Marker::Hash)
        );
        assert_eq!(
            at("  # connectionURI: postgres://u:pw@h", "pw@"),
            Some(Marker::Hash)
        );
        assert_eq!(at("// apiKey = \"abc\"", "abc"), Some(Marker::Slashes));
        assert_eq!(at("x = 1 // token: abc", "abc"), Some(Marker::Slashes));
        assert_eq!(at("; password = x", "x"), Some(Marker::Semicolon));
        assert_eq!(at("-- password 'x'", "'x'"), Some(Marker::DashDash));
        assert_eq!(
            at(" * @param password hunter2", "hunter2"),
            Some(Marker::Block)
        );
        assert_eq!(
            at("<!-- <password>x</password> -->", "x<"),
            Some(Marker::Markup)
        );
        assert_eq!(at("REM set PASSWORD=x", "x"), Some(Marker::Rem));
        assert_eq!(at("foo: bar # password: x", "x"), Some(Marker::Hash));
    }

    #[test]
    fn not_comments() {
        assert_eq!(at("password: abc#def", "abc"), None);
        assert_eq!(at("url: postgres://u:pw@h", "pw@"), None);
        assert_eq!(at("#define DB_PASSWORD \"x\"", "\"x\""), None);
        assert_eq!(at("  --password foo \\", "foo"), None);
        assert_eq!(at("k: \"a # b\" password: x", "x"), None);
        assert_eq!(at("curl http://host//x -u a:b", "a:b"), None);
        assert!(!Marker::Hash.comments_out(Some(Path::new("src/a.js"))));
        assert!(Marker::Hash.comments_out(Some(Path::new("values.yaml"))));
        // `.npmrc` scopes a credential to a registry with a leading `//`.
        let npmrc = "//npm.pkg.github.com/:_authToken=abc";
        assert_eq!(at(npmrc, "abc"), Some(Marker::Slashes));
        assert!(!Marker::Slashes.comments_out(Some(Path::new("home/.npmrc"))));
        assert!(!Marker::Slashes.comments_out(Some(Path::new("ci/values.yaml"))));
        assert!(Marker::Slashes.comments_out(Some(Path::new("src/main.go"))));
        assert!(Marker::Hash.comments_out(None));
        assert!(Marker::Docstring.comments_out(Some(Path::new("lib/urllib/request.py"))));
        assert!(!Marker::Docstring.comments_out(Some(Path::new("config/app.yaml"))));
    }

    #[test]
    fn docstrings_are_strings_of_triple_quotes_that_open_a_line() {
        let text: &[u8] = b"def f():\n    \"\"\"Open it.\n\n    password='geheim'\n    \"\"\"\n    q = \"\"\"password='real'\"\"\"\n    r'''x'''\n";
        let blocks = docstrings(text);
        assert_eq!(blocks.len(), 2, "{blocks:?}");
        let inside = |needle: &[u8]| {
            let at = memchr::memmem::find(text, needle).unwrap();
            blocks.iter().any(|b| b.contains(&at))
        };
        assert!(inside(b"geheim"));
        assert!(!inside(b"real"), "a string after `=` is a value");
        assert!(inside(b"x'''"));
    }
}
