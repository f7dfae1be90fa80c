//! The literal prefilter: which rules to confirm, on which windows.
//!
//! Two stages keep the per-byte cost low. Vectorised packed searchers (Teddy) look for a small
//! set of *anchors*: the keywords that contain no other keyword, each in the case it is written
//! in and in lower, UPPER and Capitalised form; the common anchors in some searchers, the rare
//! prefixes of token formats in others, each laid out so that like prefixes share a bucket
//! (see `buckets`). Only on a line where an anchor occurs does one
//! Aho-Corasick automaton over every keyword (ASCII case-insensitive, overlapping) run, and each
//! keyword it finds gives its rules a window. Files that mention no keyword cost one packed
//! pass per searcher.
//!
//! The anchor stage misses a keyword only when it is written in an unusual mixed case
//! (`PassWord`); where the packed searchers cannot be built (too many anchors, no SIMD), the
//! automaton scans whole texts instead and nothing is missed.

use std::collections::{BTreeSet, HashMap};
use std::ops::Range;

use aho_corasick::packed::{self, MatchKind as PackedKind};
use aho_corasick::{AhoCorasick, AhoCorasickBuilder, AhoCorasickKind, MatchKind};

use super::{buckets, merge_ranges};
use crate::rules::Rule;

/// Keywords that say a file may hold YAML regions worth mapping (see `region`).
const REGION_KEYWORDS: &[&str] = &["kind: Secret", "kind: SealedSecret", "secretGenerator:"];

/// The compiled searchers and what each keyword triggers.
#[derive(Debug)]
pub struct Prefilter {
    /// Every keyword, case-insensitive.
    automaton: AhoCorasick,
    /// The anchors' case forms, split among packed searchers (none: none could be built).
    anchors: Vec<packed::Searcher>,
    /// For each keyword, the indices of the rules that list it.
    triggers: Vec<Vec<usize>>,
    /// For each keyword, whether it marks possible YAML regions.
    region: Vec<bool>,
    /// The rules without keywords (for dedicated files), which read whole texts.
    keywordless: Vec<usize>,
    /// For each keyword, the byte its line must hold after it for any of its rules to match
    /// (every one of them says so, see [`Rule::line_needs`]).
    needs: Vec<Option<u8>>,
    /// For each anchor searcher, by pattern: the byte the line must hold after the anchor for
    /// any keyword holding the anchor to count.
    anchor_needs: Vec<Vec<Option<u8>>>,
    /// How far past their keyword's line the windows reach; see [`Reach`].
    reach: Reach,
}

/// How many lines past a keyword's line the windows can reach: few, unless a rule that reads
/// far (a private key's block) has a window.
#[derive(Debug)]
struct Reach {
    /// The most lines after its keyword's line of a rule that does not read far.
    near: u32,
    /// The most lines of any rule.
    far: u32,
    /// The rules reading farther than `near`.
    far_rules: Vec<usize>,
}

/// A rule whose window takes more lines than this after its keyword's line reads far.
const NEAR_LINES: u32 = 8;

impl Reach {
    fn new(rules: &[Rule]) -> Reach {
        let near = rules
            .iter()
            .map(|r| r.lines_after)
            .filter(|&l| l <= NEAR_LINES)
            .max()
            .unwrap_or(0);
        let far_rules: Vec<usize> = (0..rules.len())
            .filter(|&r| rules[r].lines_after > near)
            .collect();
        let far = rules.iter().map(|r| r.lines_after).max().unwrap_or(0);
        Reach {
            near,
            far: far.max(near),
            far_rules,
        }
    }
}

/// What the prefilter found in one text.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Hits {
    /// The rules given a window, by their index, in its order, each with its merged windows
    /// (never empty). Sparse: a text triggers a few of the rules, and a list of every rule,
    /// allocated and walked for each of tens of thousands of small texts, cost more than the
    /// search.
    triggered: Vec<(usize, Vec<Range<usize>>)>,
    /// Whether a region keyword was seen.
    pub region: bool,
}

impl Hits {
    /// The windows of rule `r` (empty: not triggered).
    pub fn windows(&self, r: usize) -> &[Range<usize>] {
        match self.triggered.binary_search_by_key(&r, |(rule, _)| *rule) {
            Ok(i) => &self.triggered[i].1,
            Err(_) => &[],
        }
    }

    /// The rules given a window, in their order, with their windows.
    pub fn iter(&self) -> impl Iterator<Item = (usize, &[Range<usize>])> + '_ {
        self.triggered.iter().map(|(r, w)| (*r, &w[..]))
    }

    /// The window list of rule `r`, created empty where it has none yet.
    fn of(&mut self, r: usize) -> &mut Vec<Range<usize>> {
        // Hits arrive in runs for one rule: the last entry first.
        let i = match self.triggered.last() {
            Some((last, _)) if *last == r => self.triggered.len() - 1,
            _ => match self.triggered.binary_search_by_key(&r, |(rule, _)| *rule) {
                Ok(i) => i,
                Err(i) => {
                    self.triggered.insert(i, (r, Vec::new()));
                    i
                }
            },
        };
        &mut self.triggered[i].1
    }

    /// Adds the hits found on other lines of the same text.
    pub fn absorb(&mut self, other: Hits) {
        self.region |= other.region;
        if self.triggered.is_empty() {
            self.triggered = other.triggered;
            return;
        }
        for (r, theirs) in other.triggered {
            let mine = self.of(r);
            mine.extend(theirs);
            *mine = merge_ranges(std::mem::take(mine));
        }
    }

    /// The hits within `part` (whole lines of the text), as offsets into `part` alone: what
    /// the prefilter finds on `part` by itself when no window reaches out of it.
    pub fn within(&self, part: &Range<usize>) -> Hits {
        let triggered = self
            .triggered
            .iter()
            .filter_map(|(r, ws)| {
                let first = ws.partition_point(|w| w.start < part.start);
                let end = first + ws[first..].partition_point(|w| w.start < part.end);
                let inside: Vec<Range<usize>> = ws[first..end]
                    .iter()
                    .map(|w| w.start - part.start..w.end.min(part.end) - part.start)
                    .collect();
                (!inside.is_empty()).then_some((*r, inside))
            })
            .collect();
        Hits {
            triggered,
            region: self.region,
        }
    }

    /// Every rule's windows, merged where they overlap or touch.
    pub fn blocks(&self) -> Vec<Range<usize>> {
        merge_ranges(
            self.triggered
                .iter()
                .flat_map(|(_, w)| w.iter().cloned())
                .collect(),
        )
    }
}

impl Prefilter {
    /// Builds the searchers over the keywords of `rules`.
    pub fn new(rules: &[Rule]) -> Prefilter {
        let mut index: HashMap<String, usize> = HashMap::new();
        let mut keywords: Vec<String> = Vec::new();
        let mut triggers: Vec<Vec<usize>> = Vec::new();
        let mut region: Vec<bool> = Vec::new();
        let mut written: Vec<BTreeSet<String>> = Vec::new();
        let mut intern = |kw: &str| -> usize {
            let id = *index.entry(kw.to_ascii_lowercase()).or_insert_with(|| {
                keywords.push(kw.to_ascii_lowercase());
                triggers.push(Vec::new());
                region.push(false);
                written.push(BTreeSet::new());
                keywords.len() - 1
            });
            written[id].insert(kw.to_string());
            id
        };
        let mut pairs = Vec::new();
        for (r, rule) in rules.iter().enumerate() {
            for kw in &rule.keywords {
                pairs.push((intern(kw), r));
            }
        }
        let region_ids: Vec<usize> = REGION_KEYWORDS.iter().map(|kw| intern(kw)).collect();
        for k in region_ids {
            region[k] = true;
        }
        for (k, r) in pairs {
            if !triggers[k].contains(&r) {
                triggers[k].push(r);
            }
        }
        let automaton = AhoCorasickBuilder::new()
            .ascii_case_insensitive(true)
            .match_kind(MatchKind::Standard)
            .kind(Some(AhoCorasickKind::DFA))
            .build(&keywords)
            .expect("keywords are short literals; the automaton always builds");
        // A keyword only token formats list (`shpat_`, `hvs.`) is rare in any text.
        let rare: Vec<bool> = triggers
            .iter()
            .map(|rs| !rs.is_empty() && rs.iter().all(|&r| rules[r].distinctive))
            .collect();
        let needs: Vec<Option<u8>> = triggers.iter().map(|rs| common_need(rules, rs)).collect();
        // The keywords holding a form, whatever their case.
        let holding = |f: &[u8]| -> Vec<usize> {
            let f = f.to_ascii_lowercase();
            (0..keywords.len())
                .filter(|&k| memchr::memmem::find(keywords[k].as_bytes(), &f).is_some())
                .collect()
        };
        let (anchors, groups) = anchor_forms(&keywords, &written)
            .and_then(|forms| {
                let rare_form = |f: &Vec<u8>| holding(f).iter().all(|&k| rare[k]);
                let (rare_forms, common_forms): (Vec<_>, Vec<_>) =
                    forms.into_iter().partition(rare_form);
                anchor_searchers(common_forms, rare_forms)
            })
            .unwrap_or_default();
        // A form stands for every keyword holding it: it needs a byte only if all of them do.
        let anchor_needs = groups
            .iter()
            .map(|forms| {
                forms
                    .iter()
                    .map(|f| {
                        let mut ks = holding(f).into_iter().map(|k| needs[k]);
                        let first = ks.next().flatten();
                        ks.all(|n| n == first).then_some(first).flatten()
                    })
                    .collect()
            })
            .collect();
        Prefilter {
            automaton,
            anchors,
            triggers,
            region,
            keywordless: (0..rules.len())
                .filter(|&r| rules[r].keywords.is_empty())
                .collect(),
            needs,
            anchor_needs,
            reach: Reach::new(rules),
        }
    }

    /// The most lines past its keyword's line that a window of a rule that does not read far
    /// takes; see [`Prefilter::reads_far`].
    pub fn near_reach(&self) -> u32 {
        self.reach.near
    }

    /// The most lines past its keyword's line that any window takes.
    pub fn far_reach(&self) -> u32 {
        self.reach.far
    }

    /// Whether `hits` give a window to a rule that reads more than
    /// [`Prefilter::near_reach`] lines past its keyword's line.
    pub fn reads_far(&self, hits: &Hits) -> bool {
        self.reach
            .far_rules
            .iter()
            .any(|&r| !hits.windows(r).is_empty())
    }

    /// Whether the fast anchor stage is in use (false: the automaton scans every byte).
    pub fn has_anchor_stage(&self) -> bool {
        !self.anchors.is_empty()
    }

    /// Finds the windows of each applicable rule in `text`.
    pub fn hits(&self, text: &[u8], rules: &[Rule], applicable: &[bool]) -> Hits {
        self.hits_in(
            text,
            std::slice::from_ref(&(0..text.len())),
            rules,
            applicable,
        )
    }

    /// Finds the windows that the keyword lines within `spans` (each whole lines of `text`,
    /// in order) give each applicable rule: those [`Prefilter::hits`] finds on these lines,
    /// extended over `text` beyond them as a rule asks.
    pub fn hits_in(
        &self,
        text: &[u8],
        spans: &[Range<usize>],
        rules: &[Rule],
        applicable: &[bool],
    ) -> Hits {
        let mut hits = Hits::default();
        // Rules for dedicated files (`.pgpass`, `.htpasswd`) have no keyword: whole file.
        for &r in &self.keywordless {
            if applicable[r] && !text.is_empty() {
                hits.of(r).push(0..text.len());
            }
        }
        for span in spans {
            if self.anchors.is_empty() {
                self.keywords_in(text, span.clone(), rules, applicable, &mut hits);
                continue;
            }
            let mut next = AnchorCursor::new(&self.anchors);
            let mut at = span.start;
            while let Some((found, searcher, pattern)) = next.find(text, at..span.end) {
                let line = line_around(text, found);
                // An anchor whose keywords need a byte their line lacks after it: the next one.
                if let Some(b) = self.anchor_needs[searcher][pattern] {
                    if memchr::memchr(b, &text[found..line.end]).is_none() {
                        at = found + 1;
                        continue;
                    }
                }
                self.keywords_in(text, line.clone(), rules, applicable, &mut hits);
                at = line.end + 1;
            }
        }
        // Most rules have no window or one: nothing to merge (and no call for each rule).
        for (_, windows) in hits.triggered.iter_mut().filter(|(_, w)| w.len() > 1) {
            *windows = merge_ranges(std::mem::take(windows));
        }
        hits
    }

    /// Runs the full automaton over `span` of `text`, giving each hit's rules a window.
    fn keywords_in(
        &self,
        text: &[u8],
        span: Range<usize>,
        rules: &[Rule],
        applicable: &[bool],
        hits: &mut Hits,
    ) {
        let mut line: Option<Range<usize>> = None;
        let input = aho_corasick::Input::new(text).span(span);
        for m in self.automaton.find_overlapping_iter(input) {
            let k = m.pattern().as_usize();
            hits.region |= self.region[k];
            if let Some(b) = self.needs[k] {
                let end =
                    memchr::memchr(b'\n', &text[m.end()..]).map_or(text.len(), |i| m.end() + i);
                if memchr::memchr(b, &text[m.end()..end]).is_none() {
                    continue;
                }
            }
            for &r in &self.triggers[k] {
                if !applicable[r] {
                    continue;
                }
                let current = match &line {
                    Some(l) if l.start <= m.start() && m.start() <= l.end => l.clone(),
                    _ => {
                        let l = line_around(text, m.start());
                        line = Some(l.clone());
                        l
                    }
                };
                let window = extend_lines(text, current, rules[r].lines_after);
                push_merged(hits.of(r), window);
            }
        }
    }
}

/// Packed searchers over the anchor forms: the common forms (which occur on most keyword
/// lines) and the rare ones (token formats' prefixes) each laid out over slim searchers by
/// [`buckets::plan`]. `None` when one cannot be built (no SIMD): the automaton then scans.
fn anchor_searchers(
    common: Vec<Vec<u8>>,
    rare: Vec<Vec<u8>>,
) -> Option<(Vec<packed::Searcher>, Vec<Forms>)> {
    let groups: Vec<Forms> = buckets::plan(common)
        .into_iter()
        .chain(buckets::plan(rare))
        .collect();
    if std::env::var_os("SCOUR_DEBUG_ANCHORS").is_some() {
        for (i, forms) in groups.iter().enumerate() {
            let shown: Vec<_> = forms.iter().map(|f| String::from_utf8_lossy(f)).collect();
            eprintln!(
                "searcher {i}: {} patterns in id order: {shown:?}",
                forms.len()
            );
        }
    }
    let searchers = groups
        .iter()
        .map(|forms| {
            packed::Config::new()
                .match_kind(PackedKind::LeftmostFirst)
                .builder()
                .extend(forms)
                .build()
        })
        .collect::<Option<Vec<_>>>()?;
    Some((searchers, groups))
}

/// The literals one packed searcher looks for, in pattern order.
type Forms = Vec<Vec<u8>>;

/// The byte that every rule of `rules` needs after its keyword on its line, if they agree.
fn common_need(all: &[Rule], rules: &[usize]) -> Option<u8> {
    let first = all[*rules.first()?].line_needs?;
    rules
        .iter()
        .all(|&r| all[r].line_needs == Some(first))
        .then_some(first)
}

/// The next anchor at or after a position, over several searchers: each one's next match is
/// kept until the search passes it, so no searcher scans the same bytes twice.
struct AnchorCursor<'a> {
    searchers: &'a [packed::Searcher],
    /// Per searcher: its last search.
    next: Vec<Option<Lookup>>,
}

/// Where a searcher's last search started, and the start and pattern of the match it found.
#[derive(Debug, Clone, Copy)]
struct Lookup {
    from: usize,
    found: Option<(usize, usize)>,
}

impl<'a> AnchorCursor<'a> {
    fn new(searchers: &'a [packed::Searcher]) -> Self {
        AnchorCursor {
            searchers,
            next: vec![None; searchers.len()],
        }
    }

    /// The start of the first anchor in `span`, with its searcher and pattern. (Two anchors
    /// never start at one place: neither holds the other, so neither is a prefix of the other.)
    fn find(&mut self, text: &[u8], span: Range<usize>) -> Option<(usize, usize, usize)> {
        if span.start >= span.end {
            return None;
        }
        let mut first: Option<(usize, usize, usize)> = None;
        for (i, (searcher, next)) in self.searchers.iter().zip(&mut self.next).enumerate() {
            // A cached answer stands while the span starts at or before the match it found
            // (or, when it found none, while the span starts after where it looked from).
            let stale = match *next {
                Some(Lookup {
                    from,
                    found: Some((found, _)),
                }) => span.start < from || span.start > found,
                Some(Lookup { from, found: None }) => span.start < from,
                None => true,
            };
            if stale {
                let found = searcher
                    .find_in(text, aho_corasick::Span::from(span.clone()))
                    .map(|m| (m.start(), m.pattern().as_usize()));
                *next = Some(Lookup {
                    from: span.start,
                    found,
                });
            }
            if let Some(Lookup {
                found: Some((found, pattern)),
                ..
            }) = *next
            {
                if first.map_or(true, |(f, _, _)| found < f) {
                    first = Some((found, i, pattern));
                }
            }
        }
        first.filter(|&(f, _, _)| f < span.end)
    }
}

/// The forms of the anchors: short literals, as written, that every keyword contains.
///
/// A keyword that contains another keyword needs no anchor of its own; the rest collapse into
/// shared prefixes (`postgres://` and `postgresql+` into `postg`) when the prefix is long enough
/// to stay rare. Each anchor is searched in every case its keywords are written in, which is why
/// rule files list `password`, `PASSWORD` and `Password`. `None` past `PACKED_LIMIT` forms,
/// where the automaton alone is left to scan.
fn anchor_forms(keywords: &[String], written: &[BTreeSet<String>]) -> Option<Vec<Vec<u8>>> {
    // A bound, not a measured optimum: each searcher is one more pass over the text, and with
    // many of them the automaton alone may be cheaper (the built-in rules make 120 forms).
    const PACKED_LIMIT: usize = 128;
    let mut order: Vec<usize> = (0..keywords.len())
        .filter(|&k| {
            !keywords.iter().any(|other| {
                other.len() < keywords[k].len() && keywords[k].contains(other.as_str())
            })
        })
        .collect();
    order.sort_by(|&a, &b| keywords[a].cmp(&keywords[b]));
    let mut groups: Vec<(String, Vec<usize>)> = Vec::new();
    for k in order {
        let kw = &keywords[k];
        if let Some((prefix, members)) = groups.last_mut() {
            let common = common_prefix(prefix, kw);
            if rare_enough(common) {
                *prefix = common.to_string();
                members.push(k);
                continue;
            }
        }
        groups.push((kw.clone(), vec![k]));
    }
    let standalone: Vec<&(String, Vec<usize>)> = groups
        .iter()
        .filter(|(a, _)| {
            !groups
                .iter()
                .any(|(other, _)| other.len() < a.len() && a.contains(other.as_str()))
        })
        .collect();
    let mut forms: BTreeSet<String> = BTreeSet::new();
    for (anchor, members) in &standalone {
        for &k in members {
            forms.extend(
                written[k]
                    .iter()
                    .filter_map(|w| w.get(..anchor.len()))
                    .map(str::to_string),
            );
        }
    }
    // A keyword written in a case no form covers lends that case to an anchor inside it:
    // `PuTTY-User-Key-File-` makes `-Key` a form of the anchor `-key`.
    for (k, kw) in keywords.iter().enumerate() {
        for w in &written[k] {
            if forms.iter().any(|f| w.contains(f.as_str())) {
                continue;
            }
            let inside = standalone
                .iter()
                .find_map(|(a, _)| kw.find(a.as_str()).map(|at| (at, a.len())));
            if let Some((at, len)) = inside {
                forms.insert(w[at..at + len].to_string());
            }
        }
    }
    if std::env::var_os("SCOUR_DEBUG_ANCHORS").is_some() {
        eprintln!("{} anchor forms: {forms:?}", forms.len());
    }
    (forms.len() <= PACKED_LIMIT).then(|| forms.into_iter().map(String::into_bytes).collect())
}

fn common_prefix<'a>(a: &'a str, b: &str) -> &'a str {
    let n = a.bytes().zip(b.bytes()).take_while(|(x, y)| x == y).count();
    &a[..n]
}

/// A prefix is rare enough to stand for its keywords at 4 letters, or 3 bytes with punctuation.
fn rare_enough(prefix: &str) -> bool {
    let alnum = prefix.bytes().all(|b| b.is_ascii_alphanumeric());
    prefix.len() >= if alnum { 4 } else { 3 }
}

/// Appends `w` to `windows`, joined with the last one when they overlap or touch: a line's
/// keywords come in text order, so this keeps the list short; `merge_ranges` sorts the rest.
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
        line.end =
            memchr::memchr(b'\n', &text[line.end + 1..]).map_or(text.len(), |i| line.end + 1 + i);
    }
    line
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::RuleSet;

    #[test]
    fn line_bounds() {
        let t = b"one\ntwo password\nthree";
        assert_eq!(line_around(t, 8), 4..16);
        assert_eq!(extend_lines(t, 4..16, 1), 4..22);
        assert_eq!(extend_lines(t, 4..16, 5), 4..22);
        assert_eq!(line_around(t, 0), 0..3);
    }

    #[test]
    fn builtin_rules_get_the_anchor_stage() {
        let set = RuleSet::builtin().unwrap();
        let prefilter = Prefilter::new(set.rules());
        assert!(
            prefilter.has_anchor_stage(),
            "too many anchor forms for a packed searcher"
        );
        let keywords: Vec<String> = set
            .rules()
            .iter()
            .flat_map(|r| r.keywords.clone())
            .collect();
        let lower: Vec<String> = keywords.iter().map(|k| k.to_ascii_lowercase()).collect();
        let written: Vec<BTreeSet<String>> = keywords
            .iter()
            .map(|k| BTreeSet::from([k.clone()]))
            .collect();
        let forms = anchor_forms(&lower, &written).unwrap();
        eprintln!(
            "{} anchor forms: {:?}",
            forms.len(),
            forms
                .iter()
                .map(|f| String::from_utf8_lossy(f))
                .collect::<Vec<_>>()
        );
    }

    /// The anchor stage, however many searchers hold the forms, finds every line the
    /// automaton alone finds, when keywords are written in a case their rules list.
    #[test]
    fn split_anchor_searchers_find_what_the_automaton_finds() {
        let set = RuleSet::builtin().unwrap();
        let anchored = Prefilter::new(set.rules());
        assert!(
            anchored.anchors.len() >= 2,
            "the built-in rules need two searchers"
        );
        let mut plain = Prefilter::new(set.rules());
        plain.anchors.clear();
        let applicable = vec![true; set.len()];
        let mut text = String::new();
        for rule in set.rules() {
            for k in &rule.keywords {
                text.push_str(&format!("x {k} = 1\nfiller line\n{k}{k}\n{k}u:p@h {k}\n"));
            }
        }
        let text = text.as_bytes();
        let a = anchored.hits(text, set.rules(), &applicable);
        let p = plain.hits(text, set.rules(), &applicable);
        assert_eq!(a.triggered, p.triggered);
        assert_eq!(a.region, p.region);
        // Spans that end mid-text, and an empty one, stay inside the text.
        let spans = [0..10, 10..10, text.len() - 5..text.len()];
        let _ = anchored.hits_in(text, &spans, set.rules(), &applicable);
    }

    #[test]
    fn a_keyword_whose_rules_need_a_byte_after_it_counts_only_where_the_line_has_it() {
        let set = RuleSet::builtin().unwrap();
        let prefilter = Prefilter::new(set.rules());
        let applicable = vec![true; set.len()];
        let rule = |id: &str| {
            set.rules()
                .iter()
                .position(|r| r.id.as_str() == id)
                .unwrap()
        };
        let (url, postgres, yaml) = (
            rule("generic.url-credentials"),
            rule("database.postgres-url"),
            rule("generic.yaml-password"),
        );
        let text = b"home: https://example.org/x\n\
                     db: postgres://app:pw@db/x\n\
                     mail: me@example.org https://example.org\n\
                     password: https://example.org/vault\n";
        let hits = prefilter.hits(text, set.rules(), &applicable);
        // Only the line with an `@` after its scheme gives the URL rules a window.
        assert_eq!(hits.windows(url), vec![28..54]);
        assert_eq!(hits.windows(postgres), vec![28..54]);
        // A bare URL does not keep another keyword of its line from counting.
        assert_eq!(hits.windows(yaml), vec![96..131]);
    }

    #[test]
    fn anchors_cover_mixed_case_forms_of_longer_keywords() {
        let set = RuleSet::builtin().unwrap();
        let prefilter = Prefilter::new(set.rules());
        let applicable = vec![true; set.len()];
        let text = b"x: 1\nkind: Secret\npostgresPassword: x\nJWT_SECRET=y\n";
        let hits = prefilter.hits(text, set.rules(), &applicable);
        assert!(hits.region);
        let helm = set
            .rules()
            .iter()
            .position(|r| r.id.as_str() == "kubernetes.helm-password")
            .unwrap();
        assert_eq!(hits.windows(helm), vec![18..37]);
    }
}
