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
//! [`Detector::unplaced_windows`]). So the lines to read again grow, to a fixed point, by every
//! window of B that starts in them and by every window of A that spans the edge of a clean
//! stretch; then each stretch to read is scanned alone, and each clean stretch takes A's matches
//! there, moved to where the stretch sits in B. The result is exactly B's own scan; a blob
//! whose changes name a region is scanned whole. `tests/history.rs` holds the two to equal on
//! real repositories, and `SCOUR_DELTA=check` compares them blob by blob on any repository.

use std::ops::Range;

use crate::detect::{Detector, Issue, Match, Scanned};

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

/// Decodes git's delta instructions (after the pack entry's zlib stream is inflated) into
/// pieces, checking them against the sizes of base and result. `None` if they are malformed.
pub fn parse_delta(delta: &[u8], base_len: usize, result_len: usize) -> Option<Vec<Piece>> {
    let mut at = 0;
    let mut varint = || -> Option<usize> {
        let mut value = 0usize;
        let mut shift = 0;
        loop {
            let byte = *delta.get(at)?;
            at += 1;
            value |= usize::from(byte & 0x7f).checked_shl(shift)?;
            shift += 7;
            if byte & 0x80 == 0 {
                return Some(value);
            }
        }
    };
    if varint()? != base_len || varint()? != result_len {
        return None;
    }
    let mut pieces: Vec<Piece> = Vec::new();
    let mut b = 0usize;
    while at < delta.len() {
        let cmd = delta[at];
        at += 1;
        let (from, len) = if cmd & 0x80 != 0 {
            let mut offset = 0usize;
            let mut size = 0usize;
            for i in 0..4 {
                if cmd & (1 << i) != 0 {
                    offset |= usize::from(*delta.get(at)?) << (8 * i);
                    at += 1;
                }
            }
            for i in 0..3 {
                if cmd & (0x10 << i) != 0 {
                    size |= usize::from(*delta.get(at)?) << (8 * i);
                    at += 1;
                }
            }
            if size == 0 {
                size = 0x10000;
            }
            if offset.checked_add(size)? > base_len {
                return None;
            }
            (Some(offset), size)
        } else if cmd != 0 {
            let len = usize::from(cmd);
            at = at.checked_add(len).filter(|&end| end <= delta.len())?;
            (None, len)
        } else {
            return None;
        };
        let end = b.checked_add(len).filter(|&end| end <= result_len)?;
        // Neighbours that continue each other are one piece.
        match (pieces.last_mut(), from) {
            (Some(last), Some(f)) if last.from.map(|l| l + last.b.len()) == Some(f) => {
                last.b.end = end
            }
            (Some(last), None) if last.from.is_none() => last.b.end = end,
            _ => pieces.push(Piece { b: b..end, from }),
        }
        b = end;
    }
    (b == result_len).then_some(pieces)
}

/// Scans `bytes` whole; with `summarise`, also says what deltas based on it need (`None` when it
/// names a YAML region, which its deltas must scan whole too).
pub fn full(detector: &Detector, bytes: &[u8], summarise: bool) -> (Scanned, Option<Summary>) {
    let scanned = detector.scan_unplaced(bytes);
    let summary = summarise
        .then(|| detector.unplaced_windows(bytes, &[0..bytes.len()]))
        .filter(|(_, region)| !region)
        .map(|(blocks, _)| Summary {
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
    b: &[u8],
    pieces: &[Piece],
    base: &Summary,
    summarise: bool,
) -> Option<(Scanned, Option<Summary>)> {
    let n = b.len();
    let fits = pieces.last().map_or(n == 0, |p| p.b.end == n)
        && pieces
            .iter()
            .all(|p| p.from.is_none_or(|f| f + p.b.len() <= base.len));
    if !fits {
        return None;
    }
    // The lines to read again: first, last, and every line holding a seam or inserted bytes.
    let mut dirty = vec![line_of(b, 0), line_of(b, n)];
    for (i, p) in pieces.iter().enumerate() {
        if i > 0 {
            dirty.push(line_of(b, p.b.start));
        }
        if p.from.is_none() && !p.b.is_empty() {
            dirty.push(line_of(b, p.b.start).start..line_of(b, p.b.end - 1).end);
        }
    }
    // Reading a few clean lines more costs less than one more piece to scan.
    let mut read = Ranges::from(dirty).coalesced(COALESCE);
    let mut windowed = Ranges::default();
    let mut windows: Vec<Range<usize>> = Vec::new();
    loop {
        let mut more = Vec::new();
        // Windows of B opening in the lines to read reach as far as they reach.
        let todo = read.minus(&windowed);
        if !todo.is_empty() {
            let (found, region) = detector.unplaced_windows(b, &todo);
            if region {
                return None;
            }
            for w in &found {
                let lines = w.start..(w.end + 1).min(n);
                if !read.covers(&lines) {
                    more.push(lines);
                }
            }
            windows.extend(found);
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
    let emit_read = |part: &Range<usize>, matches: &mut Vec<Match>, issues: &mut Vec<Issue>| {
        let scanned = detector.scan_unplaced(&b[part.clone()]);
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
        blocks.extend(windows);
        blocks.sort_by_key(|w| w.start);
        let mut merged: Vec<Range<usize>> = Vec::with_capacity(blocks.len());
        for w in blocks {
            match merged.last_mut() {
                Some(last) if w.start <= last.end => last.end = last.end.max(w.end),
                _ => merged.push(w),
            }
        }
        Summary {
            len: n,
            matches: matches.clone(),
            issues: issues.clone(),
            blocks: merged,
        }
    });
    Some((Scanned { matches, issues }, summary))
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
        list.sort_unstable_by_key(|r| (r.start, r.end));
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
