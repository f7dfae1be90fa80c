//! The detector: keyword prefilter, per-rule regex confirmation, judgement, and decoding.
//!
//! One call to [`Detector::scan`] reads one input once. The prefilter finds which rules to
//! confirm on which windows; each rule's regex captures a `secret`; the capture is unquoted,
//! decoded when the rule says so, and judged (references and masks are not secrets, weak values
//! are dropped in source code, entropy and structure where the rule asks). Decoded text, and any
//! base64 run that decodes to text, goes back through the same steps, with its layers recorded.

mod buckets;
pub mod clues;
pub mod comment;
pub mod confidence;
pub mod context;
pub mod decode;
pub mod entropy;
mod fasthash;
pub mod judge;
pub mod kind;
pub mod learned;
mod list;
pub mod prefilter;
pub mod region;
pub mod test_module;
pub mod validate;

use std::borrow::Cow;
use std::ops::Range;
use std::path::Path;

pub use kind::FileKind;

use crate::allow::Allow;
use crate::finding::{Finding, Placement};
use crate::rules::{Category, Decode, Rule, RuleSet, Scope, Severity};
use confidence::Confidence;
pub use context::Site;
use prefilter::{Hits, Prefilter};
use region::{Region, RegionKind};

/// How many decoding layers deep the detector looks.
const MAX_LAYERS: usize = 3;
/// The shortest base64 run worth decoding: 15 bytes of text, enough for `password=x1234`.
const MIN_BASE64_RUN: usize = 20;
/// Decoded text longer than this, or spanning lines, is a document rather than one credential.
const MAX_VALUE_LEN: usize = 256;

/// An encoding a secret was found under.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Layer {
    /// Base64, standard or URL-safe.
    Base64,
}

impl Layer {
    /// The name used in reports.
    pub fn as_str(self) -> &'static str {
        match self {
            Layer::Base64 => "base64",
        }
    }
}

/// One input to scan: its bytes, and the path that decides which rules apply.
#[derive(Debug, Clone, Copy)]
pub struct Input<'a> {
    /// The whole content.
    pub bytes: &'a [u8],
    /// Where it came from, when it has a path.
    pub path: Option<&'a Path>,
    /// The kind of file, usually `FileKind::from_path(path)`.
    pub kind: FileKind,
}

impl<'a> Input<'a> {
    /// An input whose kind is judged from its path.
    pub fn from_path(bytes: &'a [u8], path: &'a Path) -> Input<'a> {
        Input {
            bytes,
            path: Some(path),
            kind: FileKind::from_path(path),
        }
    }
}

/// A credential the detector found.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Match {
    /// Index of the rule in the detector's rule set.
    pub rule: usize,
    /// Bytes of the outermost input that hold the secret (or its encoded form).
    pub span: Range<usize>,
    /// The secret, decoded.
    pub secret: String,
    /// The encodings it sat under, outermost first.
    pub decoded: Vec<Layer>,
    /// Found by decoding a base64 run (which only configuration files get).
    pub in_run: bool,
    /// What the line around the value says (how it is assigned, what the code does).
    pub clues: clues::Clues,
    /// Its line names a domain reserved for examples (`example.com`).
    pub example_domain: bool,
    /// The value only respells its key (`jwtSecret: jwt-secret`).
    pub names_key: bool,
    /// An unquoted identifier that program code passes on (`Password: b64Pwd,`): no value in
    /// a source file, which [`Detector::select_for_path`] applies once the path is known
    /// (history scans a blob before it knows its paths).
    pub a_name_in_code: bool,
    /// The name the secret was assigned to (`POSTGRES_PASSWORD`, a registry host), when the
    /// rule captures one.
    pub key: Option<String>,
    /// The comment syntax the match sits behind on its line, if any (whether it comments
    /// the line out depends on the file, see [`comment::Marker::comments_out`]).
    pub comment: Option<comment::Marker>,
    /// Inside a `#[cfg(test)]` module, read from the whole text: test code when the file is
    /// Rust (see [`test_module::holds_tests`]).
    pub in_test_module: bool,
    /// One of the many values the text assigns to the same key (see [`DATA_SET`]), read from
    /// the whole text.
    pub in_data_set: bool,
}

impl Match {
    /// Whether the value reads as an example where it sits: next to an example domain, or
    /// respelling its key, in program code even in one word (`token = "token"` names a map
    /// entry there), elsewhere only in two or more (a lone `password: password` is the weak
    /// default audits find).
    pub fn exemplary(&self, in_code: bool) -> bool {
        self.example_domain
            || self.names_key && (in_code || judge::split_words(&self.secret).len() >= 2)
    }
}

/// Something inside an input that a decoder could not read; the scan goes on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Issue {
    /// Offset in the outermost input.
    pub offset: usize,
    /// What was wrong.
    pub message: String,
}

/// What one scan of one input produced.
#[derive(Debug, Default)]
pub struct Scanned {
    /// The credentials, ordered by position.
    pub matches: Vec<Match>,
    /// Decoder problems, ordered by position.
    pub issues: Vec<Issue>,
}

/// A compiled rule set and its prefilter; shared read-only across threads.
#[derive(Debug)]
pub struct Detector {
    rules: RuleSet,
    prefilter: Prefilter,
    /// The rules [`Detector::scan_unplaced`] runs: those with keywords.
    unplaced: Vec<bool>,
    /// The rules that apply to a text of each kind with no path (a commit message), by
    /// [`FileKind::bit`]'s position: worked out once, not for each of a history's messages.
    pathless: [Vec<bool>; 4],
    /// For each rule without keywords that reads the whole text (no region scope), the
    /// fewest bytes its regex can match, when its syntax tells; see
    /// [`Detector::keywordless_may_match`].
    keywordless_min: Vec<Option<usize>>,
    /// Findings below this confidence are not reported.
    min_confidence: Confidence,
    /// Every rule's path globs, matched at once.
    path_globs: PathGlobs,
    /// Findings of rules below this severity are not reported.
    min_severity: Severity,
    /// What the project's configuration says is not a secret.
    allow: Allow,
}

/// The path globs of every rule in one set, and the rule each glob belongs to.
#[derive(Debug)]
struct PathGlobs {
    set: globset::GlobSet,
    owner: Vec<usize>,
}

impl PathGlobs {
    fn new(rules: &[Rule]) -> PathGlobs {
        let mut builder = globset::GlobSetBuilder::new();
        let mut owner = Vec::new();
        for (r, rule) in rules.iter().enumerate() {
            for glob in &rule.path_globs {
                builder.add(glob.clone());
                owner.push(r);
            }
        }
        // Each glob already built into its rule's own set, so the union builds too.
        let set = builder
            .build()
            .unwrap_or_else(|_| globset::GlobSet::empty());
        PathGlobs { set, owner }
    }
}

/// A capture that passed the rule's checks, before overlaps are resolved.
/// A value a rule's regex captured, with the key it was captured under.
struct Capture<'a> {
    span: Range<usize>,
    key: Option<&'a [u8]>,
}

struct Candidate {
    rule: usize,
    span: Range<usize>,
    secret: String,
    layers: Vec<Layer>,
    /// Decoded text to scan again, for rules that decode.
    inner: Option<String>,
    /// See [`Match::clues`].
    clues: clues::Clues,
    /// See [`Match::example_domain`].
    example_domain: bool,
    /// See [`Match::names_key`].
    names_key: bool,
    /// See [`Match::a_name_in_code`].
    a_name_in_code: bool,
    /// The captured key, if any.
    key: Option<String>,
}

impl Detector {
    /// Compiles the prefilter for `rules`.
    pub fn new(rules: RuleSet) -> Detector {
        let prefilter = Prefilter::new(rules.rules());
        let unplaced = rules
            .rules()
            .iter()
            .map(|r| !r.keywords.is_empty())
            .collect();
        let keywordless_min = rules
            .rules()
            .iter()
            .map(|r| {
                let whole_text = r.keywords.is_empty() && r.scope == Scope::Anywhere;
                whole_text
                    .then(|| regex_syntax::parse(&r.pattern).ok())
                    .flatten()
                    .and_then(|hir| hir.properties().minimum_len())
            })
            .collect();
        let path_globs = PathGlobs::new(rules.rules());
        let pathless = [
            FileKind::Config,
            FileKind::Source,
            FileKind::Prose,
            FileKind::Lock,
        ]
        .map(|kind| pathless_rules(rules.rules(), kind));
        Detector {
            rules,
            prefilter,
            unplaced,
            pathless,
            keywordless_min,
            path_globs,
            min_confidence: Confidence::Medium,
            min_severity: Severity::Low,
            allow: Allow::default(),
        }
    }

    /// Reports only findings of rules of `level` and above (the default is every severity).
    pub fn with_min_severity(mut self, level: Severity) -> Detector {
        self.min_severity = level;
        self
    }

    /// Drops the findings that `allow` allows.
    pub fn with_allow(mut self, allow: Allow) -> Detector {
        self.allow = allow;
        self
    }

    /// The allowlists, for what is known only after a finding is made (its commit).
    pub fn allow(&self) -> &Allow {
        &self.allow
    }

    /// Reports findings of `level` and above (the default is medium).
    pub fn with_min_confidence(mut self, level: Confidence) -> Detector {
        self.min_confidence = level;
        self
    }

    /// The lowest confidence reported.
    pub fn min_confidence(&self) -> Confidence {
        self.min_confidence
    }

    /// Turns a match placed at `placement` into a finding shown at `path` (`site` decides
    /// where it sits), or `None` when its confidence or severity is below the threshold or
    /// the allowlists allow it: the one place every command filters.
    pub fn finding(
        &self,
        m: &Match,
        path: &str,
        site: Site<'_>,
        placement: Placement,
    ) -> Option<Finding> {
        let rule = self.rule(m);
        if rule.severity < self.min_severity || self.allow.allows(rule.id.as_str(), path, &m.secret)
        {
            return None;
        }
        let f = Finding::new(rule, m, path, site, placement);
        (f.confidence >= self.min_confidence).then_some(f)
    }

    /// The rule set.
    pub fn rules(&self) -> &RuleSet {
        &self.rules
    }

    /// The most lines past its keyword's line that a window of a rule that does not read far
    /// takes: unless [`Detector::reads_far`], [`Detector::unplaced_hits`] reads no further.
    pub fn near_reach(&self) -> u32 {
        self.prefilter.near_reach()
    }

    /// The most lines past its keyword's line that any window takes.
    pub fn far_reach(&self) -> u32 {
        self.prefilter.far_reach()
    }

    /// Whether `hits` give a window to a rule that reads farther than
    /// [`Detector::near_reach`] (a private key's block).
    pub fn reads_far(&self, hits: &Hits) -> bool {
        self.prefilter.reads_far(hits)
    }

    /// The rule a match refers to.
    pub fn rule(&self, m: &Match) -> &Rule {
        &self.rules.rules()[m.rule]
    }

    /// Scans one input.
    pub fn scan(&self, input: Input<'_>) -> Scanned {
        let applicable = self.applicable(input.kind, input.path);
        self.run(input.bytes, input.kind, &applicable)
    }

    /// Which rules apply to a file of `kind` at `path`: with the kind, all that a path changes
    /// in [`Detector::scan`]. Equal bytes with equal kind and rules scan alike, so the same blob
    /// at many paths needs one scan per distinct (kind, rules), see [`Detector::scan_with`].
    /// Without a path (a commit message) the list is the kind's, worked out once.
    pub fn applicable(&self, kind: FileKind, path: Option<&Path>) -> Cow<'_, [bool]> {
        let pathless = &self.pathless[kind.bit().trailing_zeros() as usize];
        let Some(path) = path else {
            return Cow::Borrowed(pathless);
        };
        let rules = self.rules.rules();
        let mut applicable = pathless.clone();
        // One match of the path against every rule's globs, not one per path-limited rule.
        for g in self.path_globs.set.matches(path) {
            let r = self.path_globs.owner[g];
            applicable[r] = rules[r].kinds.contains(kind);
        }
        Cow::Owned(applicable)
    }

    /// Scans `bytes` as a file of `kind` with the rules `applicable` (from
    /// [`Detector::applicable`]) selects.
    pub fn scan_with(&self, bytes: &[u8], kind: FileKind, applicable: &[bool]) -> Scanned {
        self.run(bytes, kind, applicable)
    }

    /// Scans bytes whose path is not known yet (a blob streaming out of a pack): every rule
    /// that has keywords, judged as configuration, the most permissive kind. Once the paths are
    /// known, `Detector::keeps` says which matches stand at each path, so a blob is scanned
    /// once however many paths hold it. Rules without keywords read whole dedicated files
    /// (`.pgpass`) and are left to [`Detector::scan`] with the path.
    pub fn scan_unplaced(&self, bytes: &[u8]) -> Scanned {
        self.run_with(
            bytes,
            FileKind::Config,
            &self.unplaced,
            Overlaps::KeepAll,
            None,
        )
    }

    /// [`Detector::scan_unplaced`] of `bytes`, given what [`Detector::unplaced_hits`] found
    /// on all of its lines: the prefilter does not read them again.
    pub fn scan_unplaced_with(&self, bytes: &[u8], hits: Hits) -> Scanned {
        let (kind, overlaps) = (FileKind::Config, Overlaps::KeepAll);
        self.run_with(bytes, kind, &self.unplaced, overlaps, Some(hits))
    }

    /// What the prefilter of [`Detector::scan_unplaced`] finds on the keyword lines within
    /// `lines` (each whole lines of `text`, in order): the windows they open for their rules,
    /// reaching over `text` beyond them ([`Hits::blocks`] merges them: where the scan looks
    /// past a line), and whether one of those lines names a YAML region (`kind: Secret`).
    ///
    /// History scans a blob that is a delta of another only around what the delta changed
    /// (`crate::incremental`), which holds because, in a text without region keywords,
    /// `scan_unplaced` is additive over pieces cut between lines that no such window spans: a
    /// rule's regex reads only its windows, a base64 run lies within a line, and a line's
    /// judgement reads only that line. A change here that makes a match depend on more than
    /// that must show in these windows (or in `region`); `tests/history.rs` compares the two
    /// scans on real repositories.
    ///
    /// Of `text`, the hits read only the whole lines of `lines` and the lines after each
    /// keyword line that its rules' windows take.
    pub fn unplaced_hits(&self, text: &[u8], lines: &[Range<usize>]) -> Hits {
        self.prefilter
            .hits_in(text, lines, self.rules.rules(), &self.unplaced)
    }

    /// The matches of [`Detector::scan_unplaced`] that stand for a file at `path` (`None`: a
    /// blob no tree names): those whose rule applies there, with overlaps resolved among them.
    /// Returns their indices in `matches`.
    pub fn select_for_path(&self, matches: &[Match], path: Option<&Path>) -> Vec<usize> {
        let standing = |keep: &dyn Fn(&Match) -> bool| -> Vec<usize> {
            let kept: Vec<Indexed<'_>> = matches
                .iter()
                .enumerate()
                .filter(|(_, m)| keep(m))
                .map(|(i, m)| Indexed(i, m))
                .collect();
            resolve_overlaps(kept, self.rules.rules())
                .into_iter()
                .map(|Indexed(i, _)| i)
                .collect()
        };
        // A blob no tree names is kept as it was judged.
        let Some(path) = path else {
            return standing(&|_| true);
        };
        let kind = FileKind::from_path(path);
        let applicable = self.applicable(kind, Some(path));
        standing(&|m| applicable[m.rule] && Self::stands_in(m, kind))
    }

    /// Whether a match of [`Detector::scan_unplaced`], whose rule applies, stands in a file of
    /// `kind`: decoded base64 runs only in configuration, and identifiers only outside code.
    fn stands_in(m: &Match, kind: FileKind) -> bool {
        !(m.in_run && kind != FileKind::Config || m.a_name_in_code && kind == FileKind::Source)
    }

    /// Whether any rule without keywords reads files at `path` (they need a scan with the path).
    pub fn wants_path_scan(&self, path: &Path) -> bool {
        let applicable = self.applicable(FileKind::from_path(path), Some(path));
        self.rules
            .rules()
            .iter()
            .zip(applicable.iter())
            .any(|(r, &applies)| applies && r.keywords.is_empty())
    }

    /// Whether [`Detector::scan_with`] of `bytes` with the rules `applicable` may give a match
    /// of a rule without keywords. `false` only when it cannot: none of those rules' regexes
    /// matches the text, and no run of characters of one base64 alphabet in it is long enough
    /// to encode a text they could match. Such a rule reads the whole text of every layer (its
    /// window is the layer), and a decoded layer comes from one run of one alphabet (the
    /// decoders take no blank inside, and no mix of `+/` with `-_`), at least a third longer
    /// than the layer, which holds the match,
    /// at least as long as the regex's shortest match. History uses this to skip the path scan
    /// of most of the files such rules read (every version of every SQL dump).
    pub fn keywordless_may_match(&self, bytes: &[u8], applicable: &[bool]) -> bool {
        let mut shortest = usize::MAX;
        for (r, rule) in self.rules.rules().iter().enumerate() {
            if !applicable[r] || !rule.keywords.is_empty() {
                continue;
            }
            let Some(min) = self.keywordless_min[r] else {
                return true;
            };
            if bytes.is_empty() {
                continue;
            }
            if rule.confirm().regex.is_match(bytes) {
                return true;
            }
            shortest = shortest.min(min);
        }
        shortest != usize::MAX
            && decode::has_base64_run(bytes, shortest.saturating_mul(4).div_ceil(3).max(1))
    }

    /// Scans a whole file: the only scans that can tell a docstring or a test module (their
    /// openings may be far above the match).
    fn run(&self, bytes: &[u8], kind: FileKind, applicable: &[bool]) -> Scanned {
        let mut scanned = self.run_with(bytes, kind, applicable, Overlaps::Resolve, None);
        mark_whole_text(bytes, &mut scanned.matches);
        scanned
    }

    /// Scans `bytes`; `hits`, when given, are the prefilter's on the whole of them.
    fn run_with(
        &self,
        bytes: &[u8],
        kind: FileKind,
        applicable: &[bool],
        overlaps: Overlaps,
        hits: Option<Hits>,
    ) -> Scanned {
        let mut issues = Vec::new();
        let layer = Layering {
            kind,
            applicable,
            overlaps,
        };
        let mut matches = self.scan_layer(bytes, &layer, &[], hits, &mut issues);
        matches.retain(|m| !allowed(bytes, m.span.start));
        for m in &mut matches {
            let line = prefilter::line_around(bytes, m.span.start);
            m.comment = comment::marker_before(bytes, line.start, m.span.start);
        }
        matches.sort_by_key(|m| (m.span.start, m.rule));
        matches.dedup_by(|a, b| a.rule == b.rule && a.span == b.span && a.secret == b.secret);
        issues.sort_by_key(|i| i.offset);
        Scanned { matches, issues }
    }

    /// Scans one layer of text (its prefilter `hits` found anew when not given); spans in the
    /// result are offsets into `text`.
    fn scan_layer(
        &self,
        text: &[u8],
        layer: &Layering<'_>,
        layers: &[Layer],
        hits: Option<Hits>,
        issues: &mut Vec<Issue>,
    ) -> Vec<Match> {
        let (kind, applicable) = (layer.kind, layer.applicable);
        let rules = self.rules.rules();
        let hits = hits.unwrap_or_else(|| self.prefilter.hits(text, rules, applicable));
        let regions = if hits.region {
            region::regions(text)
        } else {
            Vec::new()
        };
        let mut candidates = Vec::new();
        for (r, windows) in hits.iter() {
            let rule = &rules[r];
            match region_kind(rule.scope) {
                None => {
                    for w in windows {
                        self.confirm(
                            r,
                            text,
                            w.clone(),
                            kind,
                            &regions,
                            layers,
                            issues,
                            &mut candidates,
                        );
                    }
                }
                Some(wanted) => {
                    for region in regions.iter().filter(|g| g.kind == wanted) {
                        self.confirm(
                            r,
                            text,
                            region.range.clone(),
                            kind,
                            &regions,
                            layers,
                            issues,
                            &mut candidates,
                        );
                    }
                }
            }
        }
        let survivors = match layer.overlaps {
            Overlaps::Resolve => resolve_overlaps(candidates, rules),
            Overlaps::KeepAll => candidates,
        };
        let mut out = Vec::new();
        let mut covered: Vec<Range<usize>> = Vec::with_capacity(survivors.len());
        for c in survivors {
            covered.push(c.span.clone());
            match c.inner {
                Some(inner) if layers.len() < MAX_LAYERS => {
                    let mut deeper = c.layers.clone();
                    let found = self.scan_layer(inner.as_bytes(), layer, &deeper, None, issues);
                    if !found.is_empty() {
                        out.extend(found.into_iter().map(|m| Match {
                            span: c.span.clone(),
                            ..m
                        }));
                    } else if is_value_like(&c.secret) {
                        deeper.truncate(c.layers.len());
                        out.push(Match {
                            rule: c.rule,
                            span: c.span,
                            secret: c.secret,
                            decoded: deeper,
                            in_run: false,
                            clues: c.clues,
                            example_domain: c.example_domain,
                            names_key: c.names_key,
                            a_name_in_code: c.a_name_in_code,
                            key: c.key,
                            comment: None,
                            in_test_module: false,
                            in_data_set: false,
                        });
                    }
                }
                _ => out.push(Match {
                    rule: c.rule,
                    span: c.span,
                    secret: c.secret,
                    decoded: c.layers,
                    in_run: false,
                    clues: c.clues,
                    example_domain: c.example_domain,
                    names_key: c.names_key,
                    a_name_in_code: c.a_name_in_code,
                    key: c.key,
                    comment: None,
                    in_test_module: false,
                    in_data_set: false,
                }),
            }
        }
        // Encoded credentials live in configuration; in source code and prose, runs are
        // identifiers, test vectors and images, and decoding them all costs a third of the scan.
        if kind == FileKind::Config && layers.len() < MAX_LAYERS {
            self.scan_base64_runs(text, layer, layers, &covered, issues, &mut out);
        }
        out
    }

    /// Decodes base64 runs not already covered by a capture, and scans the text they hide.
    #[allow(clippy::too_many_arguments)]
    fn scan_base64_runs(
        &self,
        text: &[u8],
        layer: &Layering<'_>,
        layers: &[Layer],
        covered: &[Range<usize>],
        issues: &mut Vec<Issue>,
        out: &mut Vec<Match>,
    ) {
        for run in decode::base64_runs(text, MIN_BASE64_RUN) {
            if covered
                .iter()
                .any(|c| c.start < run.end && run.start < c.end)
            {
                continue;
            }
            let Some(inner) = decode::base64(&text[run.clone()]).and_then(decode::printable) else {
                continue;
            };
            let mut deeper = layers.to_vec();
            deeper.push(Layer::Base64);
            let found = self.scan_layer(inner.as_bytes(), layer, &deeper, None, issues);
            out.extend(found.into_iter().map(|m| Match {
                span: run.clone(),
                ..m
            }));
        }
    }

    /// Runs rule `r`'s regex over `window` and judges each capture.
    #[allow(clippy::too_many_arguments)]
    fn confirm(
        &self,
        r: usize,
        text: &[u8],
        window: Range<usize>,
        kind: FileKind,
        regions: &[Region],
        layers: &[Layer],
        issues: &mut Vec<Issue>,
        out: &mut Vec<Candidate>,
    ) {
        let rule = &self.rules.rules()[r];
        let compiled = rule.confirm();
        let base = window.start;
        let hay = &text[window];
        // One set of capture slots for the whole window: `captures_iter` would allocate one
        // per match, and windows are many in keyword-dense configuration.
        let mut locs = compiled.regex.capture_locations();
        let mut at = 0;
        while at <= hay.len() {
            let Some(whole) = compiled.regex.captures_read_at(&mut locs, hay, at) else {
                break;
            };
            at = if whole.end() > whole.start() {
                whole.end()
            } else {
                whole.end() + 1
            };
            let Some((start, end)) = locs.get(compiled.secret_group) else {
                continue;
            };
            let span = to_closing_quote(text, unquote(text, base + start..base + end));
            let key_span = compiled.key_group.and_then(|g| locs.get(g));
            let key = key_span.map(|(start, end)| &hay[start..end]);
            if let (Some(ignore), Some(key)) = (&compiled.ignore_keys, key) {
                if ignore.is_match(key) {
                    continue;
                }
            }
            if key_span.is_some_and(|(at, _)| {
                judge::ends_a_quoted_qualified_name(&hay[..at]) || judge::inside_arn(&hay[..at])
            }) {
                continue;
            }
            let items = match key_span {
                Some((_, key_end))
                    if key_end <= start && list::opens_list(&hay[key_end..start]) =>
                {
                    list::following_items(text, span.end, base + hay.len())
                }
                _ => Vec::new(),
            };
            for span in std::iter::once(span).chain(items) {
                let capture = Capture { span, key };
                if let Some(c) = self.judge_capture(r, text, capture, kind, regions, layers, issues)
                {
                    out.push(c);
                }
            }
        }
    }

    /// Judges one captured value of rule `r`: decodes it when the rule says so, and drops
    /// references, placeholders and values that fail the rule's checks.
    #[allow(clippy::too_many_arguments)]
    fn judge_capture(
        &self,
        r: usize,
        text: &[u8],
        capture: Capture<'_>,
        kind: FileKind,
        regions: &[Region],
        layers: &[Layer],
        issues: &mut Vec<Issue>,
    ) -> Option<Candidate> {
        let rule = &self.rules.rules()[r];
        let Capture { span, key } = capture;
        if span.is_empty() {
            return None;
        }
        if rule.scope == Scope::Anywhere && in_claimed_region(regions, span.start) {
            return None;
        }
        let raw = &text[span.clone()];
        let mut candidate_layers = layers.to_vec();
        let (secret, inner) = match rule.decode {
            None => (String::from_utf8_lossy(raw).into_owned(), None),
            Some(how) => {
                let Some(decoded) = decode::base64(raw).and_then(decode::printable) else {
                    // Only a slot that must hold base64 (a Secret's `data`) is worth a
                    // warning; `Basic` in prose or a docker `auth` word is just not a match,
                    // and a template expression is filled in at deploy time.
                    let must_be_base64 = how == Decode::Base64
                        && !judge::is_not_a_secret(&String::from_utf8_lossy(raw));
                    if layers.is_empty() && must_be_base64 {
                        issues.push(Issue {
                            offset: span.start,
                            message: format!(
                                "{}: value is not base64-encoded text; skipped",
                                rule.id
                            ),
                        });
                    }
                    return None;
                };
                candidate_layers.push(Layer::Base64);
                match how {
                    Decode::Base64 => {
                        let value = decoded.trim_end_matches(['\n', '\r']).to_string();
                        (value, Some(decoded))
                    }
                    Decode::BasicAuth => match decode::basic_auth_secret(&decoded) {
                        Some((_, secret)) => (secret.to_string(), None),
                        None => return None,
                    },
                }
            }
        };
        // What a file of another kind reads as a value may be an identifier in code: judged
        // here for code, where it decides, and kept for history, which learns the path later.
        let a_name_in_code =
            key.is_some() && layers.is_empty() && unquoted_name(text, &span, FileKind::Source);
        // A URL without credentials is where a service is; only a token format (a webhook
        // URL) makes one a secret.
        if judge::is_not_a_secret(&secret)
            || !rule.distinctive && judge::is_plain_url(&secret)
            // A hash in a plaintext password slot is stored, not sent; the hash rules and
            // the rules of dedicated files (htpasswd, shadow) report hashes.
            || rule.category == Category::Password
                && rule.id.family() != "hashes"
                && rule.path_globs.is_empty()
                && judge::is_crypt_hash(&secret)
            // A Secret's own values are credentials whatever they read like; elsewhere
            // `tlsSecret: myapp-tls` names one.
            || rule.scope == Scope::Anywhere && judge::names_a_credential(&secret)
            || key.is_some_and(|k| judge::key_holds_no_credential(k, &secret))
            || key.is_some() && layers.is_empty() && unquoted_type(text, &span)
            || a_name_in_code && (kind == FileKind::Source || unquoted_name(text, &span, kind))
            || judge::inside_interpolation(
                &text[prefilter::line_around(text, span.start).start..span.start],
            )
        {
            return None;
        }
        if let Some(check) = rule.validate {
            if !validate::passes(check, &secret) {
                return None;
            }
        }
        if rule.min_entropy > 0.0 && entropy::shannon(secret.as_bytes()) < rule.min_entropy {
            return None;
        }
        // `password: password` is the weak default audits find; `jwtSecret: jwt-secret`
        // names its key in two words, and `example.com` marks an example. Whether either
        // counts where it sits (source code is full of examples) is the learned filter's
        // call, with the path ([`Match::exemplary`]).
        let line = prefilter::line_around(text, span.start);
        let names_key = key.is_some_and(|k| judge::names_itself(k, &secret));
        let example_domain = judge::mentions_example_domain(&text[line.clone()]);
        let clues = clues::Clues::read(text, line, span.clone());
        Some(Candidate {
            rule: r,
            span,
            secret,
            layers: candidate_layers,
            inner,
            clues,
            example_domain,
            names_key,
            a_name_in_code,
            key: key.map(|k| String::from_utf8_lossy(k).into_owned()),
        })
    }
}

fn region_kind(scope: Scope) -> Option<RegionKind> {
    match scope {
        Scope::Anywhere => None,
        Scope::SecretData => Some(RegionKind::SecretData),
        Scope::SecretStringData => Some(RegionKind::SecretStringData),
        Scope::SecretGenerator => Some(RegionKind::SecretGenerator),
    }
}

/// The rules that apply to a text of `kind` with no path: [`Detector::applicable`] without
/// one (a rule limited to some paths applies to none).
fn pathless_rules(rules: &[Rule], kind: FileKind) -> Vec<bool> {
    rules
        .iter()
        .map(|r| r.kinds.contains(kind) && r.path_globs.is_empty())
        .collect()
}

/// Regions whose values only their own rules may judge: base64 Secret data and ciphertext.
fn in_claimed_region(regions: &[Region], at: usize) -> bool {
    regions.iter().any(|g| {
        matches!(g.kind, RegionKind::SecretData | RegionKind::SealedData) && g.range.contains(&at)
    })
}

/// Whether an unquoted captured value is a declaration's type (`NAME: Type = value`).
fn unquoted_type(text: &[u8], span: &Range<usize>) -> bool {
    let line_end = prefilter::line_around(text, span.start).end;
    let after = &text[span.end..line_end.max(span.end)];
    let quoted = span.start > 0 && matches!(text[span.start - 1], b'"' | b'\'' | b'`');
    !quoted && judge::annotates_a_type(after)
}

/// Whether an unquoted value is a name in code rather than a literal: a function it calls
/// (`password = utf8_to_utf16_dup(v);`: a name in code style, snake_case or camelCase, right
/// before `(`), and in program source a variable it indexes (`Password: pwds[i]`) or a
/// variable in code style that ends an argument or a field (`Password: b64Pwd,`).
fn unquoted_name(text: &[u8], span: &Range<usize>, kind: FileKind) -> bool {
    let quoted = span.start > 0 && matches!(text[span.start - 1], b'"' | b'\'' | b'`');
    let name = &text[span.clone()];
    let identifier = name
        .first()
        .is_some_and(|b| b.is_ascii_alphabetic() || *b == b'_')
        && name.iter().all(|b| b.is_ascii_alphanumeric() || *b == b'_');
    let code_style = name.contains(&b'_')
        || name.windows(2).any(|w| {
            (w[0].is_ascii_lowercase() || w[0].is_ascii_digit()) && w[1].is_ascii_uppercase()
        });
    if quoted || !identifier {
        return false;
    }
    match text.get(span.end) {
        Some(b'(') => code_style,
        Some(b'[') => kind == FileKind::Source,
        Some(b',' | b')') => kind == FileKind::Source && code_style,
        _ => false,
    }
}

/// Strips one pair of matching quotes and surrounding blanks from a captured span.
fn unquote(text: &[u8], mut span: Range<usize>) -> Range<usize> {
    while span.start < span.end && text[span.end - 1].is_ascii_whitespace() {
        span.end -= 1;
    }
    while span.start < span.end && text[span.start].is_ascii_whitespace() {
        span.start += 1;
    }
    if span.end - span.start >= 2 {
        let (first, last) = (text[span.start], text[span.end - 1]);
        if first == last && (first == b'"' || first == b'\'' || first == b'`') {
            span.start += 1;
            span.end -= 1;
        }
    }
    span
}

/// Extends a value the rule's class cut short inside its quotes (`"s:(x)y"`, `'ab,cd;e'`) to
/// its closing quote: a quoted value is the literal between its quotes, and chosen passwords
/// hold brackets, commas and semicolons that the value classes stop at in unquoted code.
fn to_closing_quote(text: &[u8], span: Range<usize>) -> Range<usize> {
    const STOPS: &[u8] = b",;&(){}[]<>";
    const MOST: usize = 128;
    let Some(&quote) = span.start.checked_sub(1).and_then(|i| text.get(i)) else {
        return span;
    };
    if !matches!(quote, b'"' | b'\'' | b'`') || span.start >= 2 && text[span.start - 2] == b'\\' {
        return span;
    }
    if !text.get(span.end).is_some_and(|b| STOPS.contains(b)) {
        return span;
    }
    let rest = &text[span.end..text.len().min(span.end + MOST)];
    let Some(close) = rest
        .iter()
        .position(|&b| b == quote || b == b'\n' || b == b'\\')
    else {
        return span;
    };
    if rest[close] != quote {
        return span;
    }
    // Not into an interpolation or a call: `'Zq8vLm${suffix}'` keeps its literal part.
    let whole = span.start..span.end + close;
    let reference =
        |s: &Range<usize>| judge::is_not_a_secret(&String::from_utf8_lossy(&text[s.clone()]));
    if reference(&whole) && !reference(&span) {
        return span;
    }
    whole
}

fn is_value_like(secret: &str) -> bool {
    secret.len() <= MAX_VALUE_LEN && !secret.contains('\n')
}

/// Whether the line holding `at` carries a `scour:allow` marker.
fn allowed(text: &[u8], at: usize) -> bool {
    let line = &text[prefilter::line_around(text, at)];
    memchr::memmem::find(line, b"scour:allow").is_some()
}

/// Whether overlapping captures of different rules are resolved in the layer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Overlaps {
    /// Keep the winner (the file's kind and path are known).
    Resolve,
    /// Keep all: which rules apply is decided per path later.
    KeepAll,
}

/// How a layer is scanned.
struct Layering<'a> {
    kind: FileKind,
    applicable: &'a [bool],
    overlaps: Overlaps,
}

/// A capture or match: a rule and the span it reports.
trait Spanned {
    fn rule(&self) -> usize;
    fn span(&self) -> &Range<usize>;
}

impl Spanned for Candidate {
    fn rule(&self) -> usize {
        self.rule
    }
    fn span(&self) -> &Range<usize> {
        &self.span
    }
}

/// A match and its index in the slice it came from.
struct Indexed<'a>(usize, &'a Match);

impl Spanned for Indexed<'_> {
    fn rule(&self) -> usize {
        self.1.rule
    }
    fn span(&self) -> &Range<usize> {
        &self.1.span
    }
}

/// Where captures overlap, keeps the one of higher priority, then the narrower one.
fn resolve_overlaps<T: Spanned>(mut candidates: Vec<T>, rules: &[Rule]) -> Vec<T> {
    candidates.sort_by_key(|c| (c.span().start, c.span().end));
    let mut kept: Vec<T> = Vec::with_capacity(candidates.len());
    'next: for c in candidates {
        // Look back a short way: overlaps come from several rules on the same few bytes.
        let lookback = kept.len().saturating_sub(16);
        let mut i = kept.len();
        while i > lookback {
            i -= 1;
            let k = &kept[i];
            let overlaps = k.span().start < c.span().end && c.span().start < k.span().end;
            if !overlaps {
                continue;
            }
            let (pc, pk) = (rules[c.rule()].priority, rules[k.rule()].priority);
            let c_wins = pc > pk || pc == pk && c.span().len() < k.span().len();
            if c_wins {
                kept.remove(i);
            } else {
                continue 'next;
            }
        }
        kept.push(c);
    }
    kept.sort_by_key(|c| c.span().start);
    kept
}

/// `ranges` sorted, with those that overlap or touch joined into one.
pub fn merge_ranges(mut ranges: Vec<Range<usize>>) -> Vec<Range<usize>> {
    // The prefilter merges every rule's windows per text, most of them empty or one.
    if ranges.len() <= 1 {
        return ranges;
    }
    ranges.sort_by_key(|r| r.start);
    let mut merged: Vec<Range<usize>> = Vec::with_capacity(ranges.len());
    for r in ranges {
        match merged.last_mut() {
            Some(last) if r.start <= last.end => last.end = last.end.max(r.end),
            _ => merged.push(r),
        }
    }
    merged
}

/// Marks what only a whole text tells about its matches: docstrings and test modules, whose
/// openings may be far above a match (a delta's scan reads only around its changes, so the
/// marks are made once a blob with matches is read whole).
pub fn mark_whole_text(text: &[u8], matches: &mut [Match]) {
    comment::mark_docstrings(text, matches);
    test_module::mark_test_modules(text, matches);
    mark_data_sets(matches);
}

/// How many values one key takes in one text before the text reads as a data set (a
/// directory's users in LDIF, recorded fixtures) rather than as settings. Test files of
/// labelled code corpora give one key up to 17 values, each its own fixture; a test
/// directory's generated LDIF gives `userPassword` hundreds.
pub const DATA_SET: usize = 20;

/// Marks the matches whose key (compared without case) holds [`DATA_SET`] values or more in
/// the text, and unmarks the others (a delta's matches carry their base's marks).
fn mark_data_sets(matches: &mut [Match]) {
    if matches.len() < DATA_SET {
        matches.iter_mut().for_each(|m| m.in_data_set = false);
        return;
    }
    let key = |m: &Match| m.key.as_deref().map(str::to_ascii_lowercase);
    let mut counts: std::collections::HashMap<String, usize> = Default::default();
    for k in matches.iter().filter_map(key) {
        *counts.entry(k).or_default() += 1;
    }
    for m in matches.iter_mut() {
        m.in_data_set = key(m).is_some_and(|k| counts[&k] >= DATA_SET);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::RuleSet;

    #[test]
    fn rules_for_texts_without_a_path_are_those_applicable_without_one() {
        let detector = Detector::new(RuleSet::builtin().unwrap());
        for kind in [
            FileKind::Config,
            FileKind::Source,
            FileKind::Prose,
            FileKind::Lock,
        ] {
            let kept = &detector.pathless[kind.bit().trailing_zeros() as usize];
            assert_eq!(kept[..], *detector.applicable(kind, None), "{kind:?}");
        }
    }

    /// Whenever `keywordless_may_match` says a path scan can be skipped, the scan finds nothing
    /// by a rule without keywords; and it does skip texts without such lines.
    #[test]
    fn skipped_path_scans_find_nothing_without_keywords() {
        let detector = Detector::new(RuleSet::builtin().unwrap());
        let lines: &[&str] = &[
            "  fernetKey: \"Zq1xYw2v3kK8vQ0Zx1mR0n8L5q9pYbT7aXcV2nM4bZ6=\"",
            "node:\n  privateKey: 3800a1b2c3d4e5f60718293a4b5c6d7e8f9012345678abcdef0123456789abcf",
            "fernetKeySecretName: airflow-fernet-key",
            "blob: ZmVybmV0S2V5OiBacTF4WXcydjNrSzh2UTBaeDFtUjBuOEw1cTlwWWJUN2FYY1Yybk00Ylo2PQo=",
            "k: cHJpdmF0ZUtleTogMzgwMGExYjJjM2Q0ZTVmNjA3MTgyOTNhNGI1YzZkN2U4ZjkwMTIzNDU2NzhhYmNkZWYwMTIzNDU2Nzg5YWJjZg==",
            "kind: Secret\ndata:\n  key: ZmVybmV0S2V5OiBacTF4WXcydjNrSzh2UTBaeDFtUjBuOEw1cTlwWWJUN2FYY1Yybk00Ylo2PQo=",
            "  password: hunter2-Zq8xYw2v",
            "MIIEpAIBAFLyJmWmDBLSiRhdlQ7ogTYJFm9rET0XjWwP05Af8jmhoJXyD5OVZQz5",
            "replicas: 3",
            "machine example.org login me password Zq8xYw2vAbc",
            "db:5432:app:me:Zq8xYw2vAbcDef",
            "admin:$apr1$Zq8xYw2v$abcdefghijklmnopqrstuv",
        ];
        let mut rng = crate::testing::Rng(0x5eed);
        let mut next = |n: usize| rng.next(n);
        let paths = [
            "charts/x/values.yaml",
            ".pgpass",
            "conf/.htpasswd",
            "values-prod.yml",
        ];
        let (mut skipped, mut scanned) = (0, 0);
        for _ in 0..400 {
            let text: Vec<&str> = (0..1 + next(12))
                .map(|_| lines[next(lines.len())])
                .collect();
            let text = text.join("\n");
            let path = Path::new(paths[next(paths.len())]);
            let kind = FileKind::from_path(path);
            let applicable = detector.applicable(kind, Some(path));
            let found = detector
                .scan_with(text.as_bytes(), kind, &applicable)
                .matches
                .into_iter()
                .filter(|m| detector.rule(m).keywords.is_empty())
                .count();
            if detector.keywordless_may_match(text.as_bytes(), &applicable) {
                scanned += 1;
            } else {
                skipped += 1;
                assert_eq!(found, 0, "skipped, but the scan finds some in {text:?}");
            }
        }
        assert!(
            skipped > 20 && scanned > 20,
            "{skipped} skipped, {scanned} scanned"
        );
    }

    /// Random bytes mixed with keywords, quotes, base64 and YAML punctuation: the detector must
    /// never panic, whatever it is fed.
    #[test]
    fn hostile_input_never_panics() {
        let detector = Detector::new(RuleSet::builtin().unwrap());
        let pieces: &[&[u8]] = &[
            b"password",
            b"PASSWORD=",
            b"kind: Secret\n",
            b"data:\n  ",
            b"stringData:\n",
            b"  key: ",
            b"\"auth\":\"",
            b"eyJ",
            b"-----BEGIN RSA PRIVATE KEY-----\n",
            b"-----END",
            b"ghp_",
            b"://user:",
            b"@host",
            b"=",
            b":",
            b"\"",
            b"'",
            b"\n",
            b"\r\n",
            b"  - ",
            b"\t",
            b"cGFzc3dvcmQ=",
            b"\xff\xfe",
            b"\x00",
            "é€".as_bytes(),
            b"secretGenerator:\n",
            b"--requirepass ",
            b"token",
            b"${X}",
            b"scour:allow",
            b"AKIA",
        ];
        let mut rng = crate::testing::Rng(0x5eed);
        let mut next = || rng.raw();
        // SCOUR_FUZZ_ROUNDS raises the count for a longer run by hand.
        let rounds = std::env::var("SCOUR_FUZZ_ROUNDS")
            .ok()
            .and_then(|r| r.parse().ok())
            .unwrap_or(3000);
        for round in 0..rounds {
            let mut text = Vec::new();
            for _ in 0..(next() % 40) {
                if next() % 3 == 0 {
                    text.extend((0..next() % 12).map(|_| next() as u8));
                } else {
                    text.extend_from_slice(pieces[next() % pieces.len()]);
                }
            }
            let path = ["x.yaml", "x.rs", "README.md", ".pgpass", "Cargo.lock"][round % 5];
            let scanned = detector.scan(Input::from_path(&text, Path::new(path)));
            for m in &scanned.matches {
                assert!(m.span.end <= text.len(), "span out of bounds");
            }
            let _ = detector.scan_unplaced(&text);
        }
    }
}
