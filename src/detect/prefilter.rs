//! The literal prefilter: one Aho-Corasick automaton over every rule's keywords.
//!
//! A rule's regex runs only on the windows around its keywords' hits, so the cost of a file
//! that mentions no keyword is one automaton pass, whatever the number of rules.

use std::collections::HashMap;
use std::ops::Range;

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind};

use crate::rules::Rule;

/// Keywords that say a file may hold YAML regions worth mapping (see `context`).
const CONTEXT_KEYWORDS: &[&str] = &["kind: secret", "kind: sealedsecret", "secretgenerator:"];

/// The compiled automaton and what each of its patterns triggers.
#[derive(Debug)]
pub struct Prefilter {
    automaton: AhoCorasick,
    /// For each pattern, the indices of the rules that list it.
    triggers: Vec<Vec<usize>>,
    /// For each pattern, whether it marks possible YAML regions.
    context: Vec<bool>,
}

/// What the prefilter found in one text.
#[derive(Debug, Default)]
pub struct Hits {
    /// For each rule, the merged windows its regex should run on (empty: not triggered).
    pub windows: Vec<Vec<Range<usize>>>,
    /// Whether a context keyword was seen.
    pub context: bool,
}

impl Prefilter {
    /// Builds the automaton over the keywords of `rules`.
    pub fn new(rules: &[Rule]) -> Prefilter {
        let mut index: HashMap<String, usize> = HashMap::new();
        let mut patterns: Vec<String> = Vec::new();
        let mut triggers: Vec<Vec<usize>> = Vec::new();
        let mut context = Vec::new();
        let mut intern = |kw: &str, patterns: &mut Vec<String>| -> usize {
            *index.entry(kw.to_string()).or_insert_with(|| {
                patterns.push(kw.to_string());
                triggers.push(Vec::new());
                context.push(false);
                patterns.len() - 1
            })
        };
        let mut pairs = Vec::new();
        for (r, rule) in rules.iter().enumerate() {
            for kw in &rule.keywords {
                pairs.push((intern(kw, &mut patterns), r));
            }
        }
        let context_ids: Vec<usize> = CONTEXT_KEYWORDS
            .iter()
            .map(|kw| intern(kw, &mut patterns))
            .collect();
        for (p, r) in pairs {
            if !triggers[p].contains(&r) {
                triggers[p].push(r);
            }
        }
        for p in context_ids {
            context[p] = true;
        }
        let automaton = AhoCorasickBuilder::new()
            .ascii_case_insensitive(true)
            .match_kind(MatchKind::Standard)
            .build(&patterns)
            .expect("keywords are short literals; the automaton always builds");
        Prefilter {
            automaton,
            triggers,
            context,
        }
    }

    /// Runs the automaton over `text`, giving each applicable rule its windows.
    pub fn hits(&self, text: &[u8], rules: &[Rule], applicable: &[bool]) -> Hits {
        let mut hits = Hits {
            windows: vec![Vec::new(); rules.len()],
            context: false,
        };
        for (r, rule) in rules.iter().enumerate() {
            // Rules for dedicated files (`.pgpass`, `.htpasswd`) have no keyword: whole file.
            if rule.keywords.is_empty() && applicable[r] && !text.is_empty() {
                hits.windows[r].push(0..text.len());
            }
        }
        let mut line_cache: Option<Range<usize>> = None;
        for m in self.automaton.find_overlapping_iter(text) {
            let p = m.pattern().as_usize();
            hits.context |= self.context[p];
            for &r in &self.triggers[p] {
                if !applicable[r] {
                    continue;
                }
                let line = match &line_cache {
                    Some(range) if range.start <= m.start() && m.start() <= range.end => {
                        range.clone()
                    }
                    _ => {
                        let range = line_around(text, m.start());
                        line_cache = Some(range.clone());
                        range
                    }
                };
                let window = extend_lines(text, line, rules[r].lines_after);
                push_merged(&mut hits.windows[r], window);
            }
        }
        for windows in &mut hits.windows {
            if windows.len() > 1 {
                windows.sort_by_key(|w| w.start);
                let mut merged: Vec<Range<usize>> = Vec::with_capacity(windows.len());
                for w in windows.drain(..) {
                    push_merged(&mut merged, w);
                }
                *windows = merged;
            }
        }
        hits
    }
}

fn push_merged(windows: &mut Vec<Range<usize>>, w: Range<usize>) {
    if let Some(last) = windows.last_mut() {
        if w.start <= last.end && w.end >= last.start {
            last.start = last.start.min(w.start);
            last.end = last.end.max(w.end);
            return;
        }
    }
    windows.push(w);
}

/// The line holding byte `at`, without its newline.
pub fn line_around(text: &[u8], at: usize) -> Range<usize> {
    let start = memchr::memrchr(b'\n', &text[..at]).map_or(0, |i| i + 1);
    let end = memchr::memchr(b'\n', &text[at..]).map_or(text.len(), |i| at + i);
    start..end
}

fn extend_lines(text: &[u8], mut line: Range<usize>, extra: u32) -> Range<usize> {
    for _ in 0..extra {
        if line.end >= text.len() {
            break;
        }
        line.end = memchr::memchr(b'\n', &text[line.end + 1..]).map_or(text.len(), |i| line.end + 1 + i);
    }
    line
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_bounds() {
        let t = b"one\ntwo password\nthree";
        assert_eq!(line_around(t, 8), 4..16);
        assert_eq!(extend_lines(t, 4..16, 1), 4..22);
        assert_eq!(extend_lines(t, 4..16, 5), 4..22);
        assert_eq!(line_around(t, 0), 0..3);
    }
}
