//! Scanning a blob that a pack stores as a delta of another, from what the scan of that other
//! found: detection costs what the versions change, not what they hold.
//!
//! A delta rebuilds a blob B from its base A by copying ranges of A and inserting new bytes. A
//! line of B is *clean* when it and the newline before it were copied in one piece: it is then a
//! whole line of A, byte for byte. Everything else (lines holding inserted bytes or a seam
//! between pieces, and the first and last line) must be read again.
//!
//! [`Detector::scan_unplaced`] is additive over pieces of a text cut between lines that none
//! of its windows span, in a text without YAML region keywords (see
//! [`Detector::unplaced_hits`]). So the lines to read again grow, to a fixed point, by every
//! window of B that starts in them and by every window of A that spans the edge of a clean
//! stretch; then each stretch to read is scanned alone, and each clean stretch takes A's matches
//! there, moved to where the stretch sits in B. The result is exactly B's own scan; a blob
//! whose changes name a region is scanned whole. `tests/history.rs` holds the two to equal on
//! real repositories, and `SCOUR_DELTA=check` compares them blob by blob on any repository.

use std::ops::Range;

use crate::detect::prefilter::Hits;
use crate::detect::{Detector, Issue, Match, Scanned};

mod text;
pub use text::{stretches, Sparse, Stretch, Text};

/// Stretches to read closer than this many bytes are read as one.
const COALESCE: usize = 512;

/// What a blob's scan leaves for the blobs stored as deltas of it.
#[derive(Debug, Clone)]
pub struct Summary {
    /// The blob's length.
    pub len: usize,
    /// Its matches, ordered by position, as [`Detector::scan_unplaced`] gives them.
    pub matches: Vec<Match>,
    /// Its decoder problems, ordered by position.
    pub issues: Vec<Issue>,
    /// The windows of its keyword lines, merged where they overlap, ordered.
    pub blocks: Vec<Range<usize>>,
}

/// One piece of a delta: bytes `b` of the result, copied from the base at `from`, or inserted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Piece {
    /// Where the piece lies in the result.
    pub b: Range<usize>,
    /// Where its bytes start in the base; `None` for inserted bytes.
    pub from: Option<usize>,
}

/// Turns git's delta instructions (the pack entry inflated) into pieces, checking them against
/// the base and the size of the result. `None` if they are malformed.
pub fn parse_delta(delta: &[u8], base: &[u8], result_len: usize) -> Option<Vec<Piece>> {
    let stretches = text::stretches(base, delta)?;
    let n = stretches.last().map_or(0, |s| s.at + s.bytes.len());
    (n == result_len).then(|| pieces_of(&stretches))
}

/// The pieces stretches make, joined where they continue each other.
fn pieces_of(stretches: &[Stretch<'_>]) -> Vec<Piece> {
    let mut pieces = Vec::with_capacity(stretches.len());
    for s in stretches {
        push_piece(
            &mut pieces,
            Piece {
                b: s.at..s.at + s.bytes.len(),
                from: s.from,
            },
        );
    }
    pieces
}

/// Appends a piece, joining it to the last when it continues it.
fn push_piece(pieces: &mut Vec<Piece>, piece: Piece) {
    match (pieces.last_mut(), piece.from) {
        (Some(last), Some(f)) if last.from.map(|l| l + last.b.len()) == Some(f) => {
            last.b.end = piece.b.end
        }
        (Some(last), None) if last.from.is_none() => last.b.end = piece.b.end,
        _ => pieces.push(piece),
    }
}

/// Scans `bytes` whole; with `summarise`, also says what deltas based on it need (`None` when it
/// names a YAML region, which its deltas must scan whole too).
pub fn full(detector: &Detector, bytes: &[u8], summarise: bool) -> (Scanned, Option<Summary>) {
    // The prefilter reads the blob once, for the scan and for the summary's blocks.
    let hits = detector.unplaced_hits(bytes, std::slice::from_ref(&(0..bytes.len())));
    let blocks = (summarise && !hits.region).then(|| hits.blocks());
    let scanned = detector.scan_unplaced_with(bytes, hits);
    let summary = blocks.map(|blocks| Summary {
        len: bytes.len(),
        matches: scanned.matches.clone(),
        issues: scanned.issues.clone(),
        blocks,
    });
    (scanned, summary)
}

/// Scans `b`, the result of applying `pieces` to a base whose scan left `base`, reading only
/// what the delta changed. `None` when that cannot be done exactly (the changes name a YAML
/// region, or the pieces do not fit the base): the caller scans `b` whole.
pub fn scan(
    detector: &Detector,
    b: &mut Text<'_>,
    pieces: &[Piece],
    base: &Summary,
    summarise: bool,
) -> Option<(Scanned, Option<Summary>)> {
    scan_joining(detector, b, pieces, base, summarise, COALESCE)
}

/// [`scan`], reading as one the stretches less than `join` bytes apart.
fn scan_joining(
    detector: &Detector,
    b: &mut Text<'_>,
    pieces: &[Piece],
    base: &Summary,
    summarise: bool,
    join: usize,
) -> Option<(Scanned, Option<Summary>)> {
    let n = b.len();
    let fits = pieces.last().map_or(n == 0, |p| p.b.end == n)
        && pieces
            .iter()
            .all(|p| p.from.map_or(true, |f| f + p.b.len() <= base.len));
    if !fits {
        return None;
    }
    // Reading a few clean lines more costs less than one more piece to scan.
    let mut read = Ranges::from(dirty_lines(b, pieces)).coalesced(join);
    let mut windowed = Ranges::default();
    // The prefilter's hits on the lines to read, kept for their scan.
    let mut hits = Hits::default();
    loop {
        let mut more = Vec::new();
        // Windows of B opening in the lines to read reach as far as they reach.
        let todo = read.minus(&windowed);
        if !todo.is_empty() {
            // Few lines past the lines to read are read, unless a window reads far.
            let bytes = b.readable(&todo, detector.near_reach());
            let mut found = detector.unplaced_hits(bytes, &todo);
            if b.is_sparse() && detector.reads_far(&found) {
                let bytes = b.readable(&todo, detector.far_reach());
                found = detector.unplaced_hits(bytes, &todo);
            }
            if found.region {
                return None;
            }
            for w in found.blocks() {
                let lines = w.start..(w.end + 1).min(n);
                if !read.covers(&lines) {
                    more.push(lines);
                }
            }
            hits.absorb(found);
            windowed = Ranges::from(windowed.0.into_iter().chain(todo).collect::<Vec<_>>());
        }
        // A clean stretch must not cut through a window of A: read what the window covers.
        for clean in read.gaps(n) {
            let a = source(pieces, &clean)?;
            let to_b = |x: usize| x - a.start + clean.start;
            for block in crossing(&base.blocks, a.start) {
                more.push(clean.start..to_b((block.end + 1).min(a.end)));
            }
            for block in crossing(&base.blocks, a.end) {
                more.push(to_b(block.start.max(a.start))..clean.end);
            }
        }
        if more.is_empty() {
            break;
        }
        more.extend(read.0);
        read = Ranges::from(more);
    }

    let mut matches = Vec::new();
    let mut issues = Vec::new();
    let mut blocks = Vec::new();
    // Every stretch to read was made readable when the prefilter searched it: its bytes are
    // taken as they are, without finding their lines again.
    let bytes: &[u8] = b.as_read();
    let emit_read = |part: &Range<usize>, matches: &mut Vec<Match>, issues: &mut Vec<Issue>| {
        // No window reaches out of a stretch to read, so its hits are those of the stretch.
        let mine = hits.within(part);
        debug_assert_eq!(
            mine,
            detector.unplaced_hits(&bytes[part.clone()], std::slice::from_ref(&(0..part.len())))
        );
        let scanned = detector.scan_unplaced_with(&bytes[part.clone()], mine);
        matches.extend(scanned.matches.into_iter().map(|mut m| {
            m.span = m.span.start + part.start..m.span.end + part.start;
            m
        }));
        issues.extend(scanned.issues.into_iter().map(|mut i| {
            i.offset += part.start;
            i
        }));
    };
    let gaps = read.gaps(n);
    let (mut r, mut g) = (read.0.iter().peekable(), gaps.iter().peekable());
    loop {
        let take_read = match (r.peek(), g.peek()) {
            (Some(x), Some(y)) => x.start < y.start,
            (Some(_), None) => true,
            (None, Some(_)) => false,
            (None, None) => break,
        };
        if take_read {
            let part = r.next().expect("peeked");
            emit_read(part, &mut matches, &mut issues);
        } else {
            let clean = g.next().expect("peeked");
            let a = source(pieces, clean)?;
            let moved = |x: usize| x - a.start + clean.start;
            let first = base.matches.partition_point(|m| m.span.start < a.start);
            for m in base.matches[first..]
                .iter()
                .take_while(|m| m.span.start < a.end)
            {
                let mut m = m.clone();
                m.span = moved(m.span.start)..moved(m.span.end);
                matches.push(m);
            }
            let first = base.issues.partition_point(|i| i.offset < a.start);
            for i in base.issues[first..].iter().take_while(|i| i.offset < a.end) {
                issues.push(Issue {
                    offset: moved(i.offset),
                    message: i.message.clone(),
                });
            }
            if summarise {
                let first = base.blocks.partition_point(|w| w.end < a.start);
                blocks.extend(
                    base.blocks[first..]
                        .iter()
                        .take_while(|w| w.start < a.end)
                        .map(|w| moved(w.start)..moved(w.end)),
                );
            }
        }
    }
    let summary = summarise.then(|| {
        blocks.extend(hits.blocks());
        Summary {
            len: n,
            matches: matches.clone(),
            issues: issues.clone(),
            blocks: crate::detect::merge_ranges(blocks),
        }
    });
    Some((Scanned { matches, issues }, summary))
}

/// The lines of `b` to read again whatever the windows: first, last, and every line holding a
/// seam between pieces or inserted bytes.
fn dirty_lines(b: &Text<'_>, pieces: &[Piece]) -> Vec<Range<usize>> {
    let mut dirty = vec![b.line_of(0)];
    // A delta's seams often share a line (a generated file's): each line is found once.
    let mut line = 0..0;
    let mut line_at = |at: usize| {
        if !line.contains(&at) {
            line = b.line_of(at);
        }
        line.clone()
    };
    for (i, p) in pieces.iter().enumerate() {
        let first = line_at(p.b.start);
        if i > 0 && dirty.last() != Some(&first) {
            dirty.push(first.clone());
        }
        if p.from.is_none() && !p.b.is_empty() {
            dirty.push(first.start..line_at(p.b.end - 1).end);
        }
    }
    dirty.push(b.line_of(b.len()));
    dirty
}

/// The line holding byte `at` (or the last line, for `at == text.len()`), with its newline.
fn line_of(text: &[u8], at: usize) -> Range<usize> {
    let start = memchr::memrchr(b'\n', &text[..at]).map_or(0, |i| i + 1);
    let end = memchr::memchr(b'\n', &text[at..]).map_or(text.len(), |i| at + i + 1);
    start..end
}

/// Where a clean stretch of B lies in the base.
fn source(pieces: &[Piece], clean: &Range<usize>) -> Option<Range<usize>> {
    let i = pieces.partition_point(|p| p.b.end <= clean.start);
    let p = pieces.get(i)?;
    let from = p.from?;
    if p.b.start > clean.start || clean.end > p.b.end {
        return None;
    }
    let start = from + (clean.start - p.b.start);
    Some(start..start + clean.len())
}

/// The blocks that span the line boundary `cut` (a block is whole lines, its end a line's end
/// before the newline).
fn crossing(blocks: &[Range<usize>], cut: usize) -> impl Iterator<Item = &Range<usize>> {
    let first = blocks.partition_point(|w| w.end < cut);
    blocks[first..]
        .iter()
        .take_while(move |w| w.start < cut)
        .filter(move |w| w.start < cut && cut <= w.end)
}

/// Disjoint, ordered byte ranges; touching ranges are joined.
#[derive(Debug, Default)]
struct Ranges(Vec<Range<usize>>);

impl From<Vec<Range<usize>>> for Ranges {
    fn from(mut list: Vec<Range<usize>>) -> Ranges {
        // The lists come as a few sorted runs (a delta's pieces in order, a list appended to
        // another), which the stable sort merges in linear time; equal keys are equal ranges.
        list.sort_by_key(|r| (r.start, r.end));
        let mut out: Vec<Range<usize>> = Vec::with_capacity(list.len());
        for r in list {
            match out.last_mut() {
                Some(last) if r.start <= last.end => last.end = last.end.max(r.end),
                _ => out.push(r),
            }
        }
        Ranges(out)
    }
}

impl Ranges {
    /// Joins ranges less than `gap` bytes apart.
    fn coalesced(self, gap: usize) -> Ranges {
        let mut out: Vec<Range<usize>> = Vec::with_capacity(self.0.len());
        for r in self.0 {
            match out.last_mut() {
                Some(last) if r.start <= last.end + gap => last.end = last.end.max(r.end),
                _ => out.push(r),
            }
        }
        Ranges(out)
    }

    fn covers(&self, r: &Range<usize>) -> bool {
        let i = self.0.partition_point(|x| x.end < r.end);
        self.0
            .get(i)
            .is_some_and(|x| x.start <= r.start && r.end <= x.end)
    }

    /// What lies between the ranges, within `0..n`.
    fn gaps(&self, n: usize) -> Vec<Range<usize>> {
        let mut out = Vec::new();
        let mut at = 0;
        for r in &self.0 {
            if r.start > at {
                out.push(at..r.start);
            }
            at = at.max(r.end);
        }
        if at < n {
            out.push(at..n);
        }
        out
    }

    /// The parts of these ranges that `other` does not cover.
    fn minus(&self, other: &Ranges) -> Vec<Range<usize>> {
        let mut out = Vec::new();
        for r in &self.0 {
            let mut at = r.start;
            let first = other.0.partition_point(|x| x.end <= r.start);
            for o in other.0[first..].iter().take_while(|o| o.start < r.end) {
                if o.start > at {
                    out.push(at..o.start);
                }
                at = at.max(o.end);
            }
            if at < r.end {
                out.push(at..r.end);
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::RuleSet;

    /// Lines that open windows of every reach, name regions, hide base64 and hold credentials.
    const LINES: &[&str] = &[
        "  password: hunter2-Zq8xYw2v",
        "  adminPassword: \"\"",
        "  apiKey: 3f9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c",
        "  existingSecret: my-secret",
        "  token: ghp_C0rpusT0kenAbcdefghijklmnopqrstuvw12",
        "- name: POSTGRES_PASSWORD",
        "  value: s3cr3t-Postgres-Value",
        "aws_secret_access_key =",
        "  wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEYzq",
        "-----BEGIN RSA PRIVATE KEY-----",
        "MIIEpAIBAFLyJmWmDBLSiRhdlQ7ogTYJFm9rET0XjWwP05Af8jmhoJXyD5OVZQz5",
        "-----END RSA PRIVATE KEY-----",
        "config: cGFzc3dvcmQ9aHVudGVyMlpxOHhZdzJ2NTU1",
        "  url: postgres://app:C0rpusDbPass@db:5432/app",
        "machine example.org login me password Zq8xYw2vAbc",
        "\"auths\": {\"ghcr.io\": {\"auth\": \"Ym90OkNvcnB1NVJlZ2lzdHJ5VDBrZW4=\"}}",
        "replicas: 3",
        "image: grafana/grafana:10.0.0",
        "",
        "# password: commented-Zq8xYw2v",
        "  twilio:",
        "    sid: SK0123456789abcdef0123456789abcdef",
        "- name: DB_PASSWORD\n  value: Zq8xYw2vAbcDef",
        "env:\n- name: API_TOKEN\n  value: tok-Zq8xYw2vAbcDef99",
        "--requirepass\n  Zq8xYw2vAbcDef",
        "aws_secret_access_key:\n  wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEYzq",
        "kind: Secret",
    ];

    use crate::testing::Rng;

    fn text(lines: &[String], newline_at_end: bool) -> Vec<u8> {
        let mut t = lines.join("\n").into_bytes();
        if newline_at_end {
            t.push(b'\n');
        }
        t
    }

    /// Pieces that rebuild `b` from `a`: whole lines copied where `a` has them (sometimes split,
    /// sometimes a line's prefix only), the rest inserted.
    fn pieces(a: &[u8], b: &[u8], rng: &mut Rng) -> Vec<Piece> {
        let mut out = Vec::new();
        let mut at = 0;
        while at < b.len() {
            let end = memchr::memchr(b'\n', &b[at..]).map_or(b.len(), |i| at + i + 1);
            let line = &b[at..end];
            // The copy that continues the last one, if any, as a delta encoder would pick.
            let next = out
                .last()
                .and_then(|p: &Piece| p.from.map(|f| f + p.b.len()));
            let found = next
                .filter(|&n| a.get(n..n + line.len()) == Some(line))
                .or_else(|| {
                    memchr::memmem::find_iter(a, line)
                        .find(|&i| i == 0 || a[i - 1] == b'\n' || rng.next(4) == 0)
                });
            match found {
                Some(i) if rng.next(8) != 0 => {
                    let cut = if line.len() > 2 && rng.next(5) == 0 {
                        1 + rng.next(line.len() - 1)
                    } else {
                        line.len()
                    };
                    push_piece(
                        &mut out,
                        Piece {
                            b: at..at + cut,
                            from: Some(i),
                        },
                    );
                    if cut < line.len() {
                        let from = (rng.next(2) == 0).then_some(i + cut);
                        push_piece(
                            &mut out,
                            Piece {
                                b: at + cut..end,
                                from,
                            },
                        );
                    }
                }
                _ => push_piece(
                    &mut out,
                    Piece {
                        b: at..end,
                        from: None,
                    },
                ),
            }
            at = end;
        }
        out
    }

    #[test]
    fn scanning_the_changes_gives_the_whole_scan() {
        let detector = Detector::new(RuleSet::builtin().unwrap());
        let mut rng = Rng(0x5eed);
        let rounds = std::env::var("SCOUR_DELTA_ROUNDS")
            .ok()
            .and_then(|r| r.parse().ok())
            .unwrap_or(600);
        let (mut by_changes, mut whole) = (0, 0);
        for _ in 0..rounds {
            let lines = LINES.len() - usize::from(rng.next(3) != 0);
            let mut doc: Vec<String> = (0..5 + rng.next(60))
                .flat_map(|_| LINES[rng.next(lines)].lines().map(str::to_string))
                .collect();
            let end = rng.next(2) == 0;
            let mut a = text(&doc, end);
            let (_, mut summary) = full(&detector, &a, true);
            // A chain of versions, each a delta of the one before.
            for _ in 0..6 {
                for _ in 0..1 + rng.next(4) {
                    let at = rng.next(doc.len() + 1);
                    match rng.next(4) {
                        0 => {
                            let item = LINES[rng.next(lines)].lines().map(str::to_string);
                            doc.splice(at..at, item);
                        }
                        1 if at < doc.len() => {
                            doc.remove(at);
                        }
                        2 if at < doc.len() => doc[at].push_str(LINES[rng.next(lines)]),
                        _ => {
                            let n = rng.next(doc.len()).min(8);
                            let block: Vec<String> = doc.drain(..n).collect();
                            let at = at.min(doc.len());
                            doc.splice(at..at, block);
                        }
                    }
                }
                let b = text(&doc, rng.next(4) != 0);
                let expected = detector.scan_unplaced(&b);
                let Some(base) = &summary else {
                    summary = full(&detector, &b, true).1;
                    a = b;
                    whole += 1;
                    continue;
                };
                let ps = pieces(&a, &b, &mut rng);
                let join = [0, 0, 40, COALESCE][rng.next(4)];
                // Rebuilt only where read (what is not holds NUL bytes, or the version before,
                // as a reused buffer does), or whole.
                let mut buf = a.clone();
                let mut text = match rng.next(3) {
                    0 => Text::Sparse(Sparse::new(stretches_of(&a, &b, &ps), &mut buf, true)),
                    1 => Text::Sparse(Sparse::new(stretches_of(&a, &b, &ps), &mut buf, false)),
                    _ => Text::Whole(&b),
                };
                match scan_joining(&detector, &mut text, &ps, base, true, join) {
                    Some((got, next)) => {
                        by_changes += 1;
                        assert_eq!(
                            got.matches,
                            expected.matches,
                            "matches differ\nA:\n{}\nB:\n{}\npieces: {ps:?}",
                            String::from_utf8_lossy(&a),
                            String::from_utf8_lossy(&b)
                        );
                        assert_eq!(got.issues, expected.issues);
                        let blocks = detector
                            .unplaced_hits(&b, std::slice::from_ref(&(0..b.len())))
                            .blocks();
                        assert_eq!(next.as_ref().unwrap().blocks, blocks, "summary blocks");
                        summary = next;
                    }
                    None => {
                        whole += 1;
                        summary = full(&detector, &b, true).1;
                    }
                }
                a = b;
            }
        }
        assert!(by_changes > whole, "{by_changes} by changes, {whole} whole");
    }

    /// The stretches of `pieces` over base `a`, the inserted bytes taken from `b`.
    fn stretches_of<'a>(a: &'a [u8], b: &'a [u8], pieces: &[Piece]) -> Vec<Stretch<'a>> {
        pieces
            .iter()
            .map(|p| Stretch {
                at: p.b.start,
                bytes: match p.from {
                    Some(f) => &a[f..f + p.b.len()],
                    None => &b[p.b.clone()],
                },
                from: p.from,
            })
            .collect()
    }

    /// Every line holding a seam or inserted bytes, and the first and last, found one by one.
    fn dirty_lines_one_by_one(b: &[u8], pieces: &[Piece]) -> Vec<Range<usize>> {
        let mut dirty = vec![line_of(b, 0), line_of(b, b.len())];
        for (i, p) in pieces.iter().enumerate() {
            if i > 0 {
                dirty.push(line_of(b, p.b.start));
            }
            if p.from.is_none() {
                dirty.push(line_of(b, p.b.start).start..line_of(b, p.b.end - 1).end);
            }
        }
        dirty
    }

    #[test]
    fn dirty_lines_are_those_of_every_seam_and_insertion() {
        let mut rng = Rng(0xd1e7);
        for _ in 0..2000 {
            let doc: Vec<String> = (0..1 + rng.next(30))
                .map(|_| LINES[rng.next(LINES.len())].to_string())
                .collect();
            let a = text(&doc, rng.next(2) == 0);
            let mut doc = doc;
            for _ in 0..rng.next(4) {
                let at = rng.next(doc.len());
                doc[at].push_str(LINES[rng.next(LINES.len())]);
            }
            let b = text(&doc, rng.next(2) == 0);
            let ps = pieces(&a, &b, &mut rng);
            let expected = Ranges::from(dirty_lines_one_by_one(&b, &ps)).0;
            assert_eq!(
                Ranges::from(dirty_lines(&Text::Whole(&b), &ps)).0,
                expected,
                "pieces: {ps:?}"
            );
            let mut buf = Vec::new();
            let sparse = Text::Sparse(Sparse::new(stretches_of(&a, &b, &ps), &mut buf, true));
            assert_eq!(
                Ranges::from(dirty_lines(&sparse, &ps)).0,
                expected,
                "sparse"
            );
        }
    }

    #[test]
    fn delta_instructions_decode() {
        // base "hello world\n" (12), result "hello there world\n" (18):
        // copy 0..6, insert "there ", copy 6..12.
        let mut d = vec![12, 18];
        d.extend([0x80 | 0x10, 6]);
        d.push(6);
        d.extend(b"there ");
        d.extend([0x80 | 0x01 | 0x10, 6, 6]);
        let pieces = parse_delta(&d, b"hello world\n", 18).unwrap();
        assert_eq!(
            pieces,
            vec![
                Piece {
                    b: 0..6,
                    from: Some(0)
                },
                Piece {
                    b: 6..12,
                    from: None
                },
                Piece {
                    b: 12..18,
                    from: Some(6)
                },
            ]
        );
        assert!(parse_delta(&d, b"hello world!\n", 18).is_none());
        assert!(parse_delta(&d[..d.len() - 1], b"hello world\n", 18).is_none());
        assert!(parse_delta(&d, b"hello world\n", 19).is_none());
    }
}
