//! A blob as the delta scan reads it: whole, or rebuilt from its delta only where it is read.
//!
//! Most versions in a pack are deltas that no other object is based on, and the delta scan reads
//! a small part of each (the lines around what changed). Rebuilding such a version whole would
//! copy every byte only to read a few; a [`Sparse`] text copies the lines the scan asks for.

use std::ops::Range;

use super::{Piece, Ranges};
use crate::source::delta_tree::{Instructions, Op};

/// A blob's bytes, whole or rebuilt where read.
pub enum Text<'a> {
    /// Every byte at hand.
    Whole(&'a [u8]),
    /// Rebuilt from a delta where read.
    Sparse(Sparse<'a>),
}

/// A stretch of a delta's result and where its bytes are: in the base, or in the delta.
#[derive(Debug, Clone, Copy)]
pub struct Stretch<'a> {
    /// Where it starts in the result.
    pub at: usize,
    /// Its bytes.
    pub bytes: &'a [u8],
    /// Where they start in the base; `None` for inserted bytes.
    pub from: Option<usize>,
}

/// A delta's result, rebuilt only where read. Its buffer holds stale bytes elsewhere, so every
/// read goes through [`Text::readable`], [`Text::line_of`] or [`Text::whole`].
pub struct Sparse<'a> {
    stretches: Vec<Stretch<'a>>,
    /// Where each stretch ends, apart: a search for a position reads them alone.
    ends: Vec<usize>,
    /// The stretch found last: positions are mostly asked for in order.
    last: std::cell::Cell<usize>,
    buf: &'a mut [u8],
    filled: Ranges,
}

/// The stretches `delta` makes of `base`, checked against both sizes; `None` if the delta does
/// not fit the base or is malformed.
pub fn stretches<'a>(base: &'a [u8], delta: &'a [u8]) -> Option<Vec<Stretch<'a>>> {
    let ops = Instructions::parse(delta)?;
    if ops.base_len != base.len() {
        return None;
    }
    let result_len = ops.result_len;
    let mut out = Vec::new();
    let mut at = 0usize;
    for op in ops {
        let (bytes, from) = match op.ok()? {
            Op::Copy { from, len } => (base.get(from..from.checked_add(len)?)?, Some(from)),
            Op::Insert(bytes) => (bytes, None),
        };
        out.push(Stretch { at, bytes, from });
        at = at
            .checked_add(bytes.len())
            .filter(|&end| end <= result_len)?;
    }
    (at == result_len).then_some(out)
}

impl<'a> Sparse<'a> {
    /// The result of `stretches` (in order, touching, from 0), to be rebuilt in `buf`. With
    /// `poison`, what is not rebuilt reads as NUL bytes, so that a read past what was made
    /// readable changes what a scan finds (for `SCOUR_DELTA=check` and tests).
    pub fn new(stretches: Vec<Stretch<'a>>, buf: &'a mut Vec<u8>, poison: bool) -> Sparse<'a> {
        let n = stretches.last().map_or(0, |s| s.at + s.bytes.len());
        // The buffer is reused from blob to blob: only its growth is zeroed.
        if buf.len() < n {
            buf.resize(n, 0);
        }
        let buf = &mut buf[..n];
        if poison {
            buf.fill(0);
        }
        Sparse {
            ends: stretches.iter().map(|s| s.at + s.bytes.len()).collect(),
            last: std::cell::Cell::new(0),
            stretches,
            buf,
            filled: Ranges::default(),
        }
    }

    /// The pieces the stretches make, joined where they continue each other.
    pub fn pieces(&self) -> Vec<Piece> {
        super::pieces_of(&self.stretches)
    }

    fn len(&self) -> usize {
        self.buf.len()
    }

    /// The stretch holding byte `at` of the result.
    fn stretch_of(&self, at: usize) -> usize {
        let holds = |i: usize| {
            let start = |i: usize| if i == 0 { 0 } else { self.ends[i - 1] };
            self.ends
                .get(i)
                .is_some_and(|&end| start(i) <= at && at < end)
        };
        let last = self.last.get();
        let i = if holds(last) {
            last
        } else if holds(last + 1) {
            last + 1
        } else {
            self.ends.partition_point(|&end| end <= at)
        };
        self.last.set(i);
        i
    }

    /// Where the last newline before `at` is, searching the stretches' own bytes.
    fn newline_before(&self, at: usize) -> Option<usize> {
        if at == 0 {
            return None;
        }
        let mut i = self.stretch_of(at - 1);
        let mut end = at;
        loop {
            let s = self.stretches.get(i)?;
            let upto = end.saturating_sub(s.at).min(s.bytes.len());
            if let Some(p) = memchr::memrchr(b'\n', &s.bytes[..upto]) {
                return Some(s.at + p);
            }
            if i == 0 {
                return None;
            }
            i -= 1;
            end = s.at;
        }
    }

    /// Where the `lines`-th newline at or after `at` ends (one past it), or the end.
    fn past_newlines(&self, at: usize, mut lines: u32) -> usize {
        let n = self.len();
        if lines == 0 || at >= n {
            return at.min(n);
        }
        let mut i = self.stretch_of(at);
        let mut from = at;
        while let Some(s) = self.stretches.get(i) {
            let skip = from.saturating_sub(s.at).min(s.bytes.len());
            for p in memchr::memchr_iter(b'\n', &s.bytes[skip..]) {
                lines -= 1;
                if lines == 0 {
                    return s.at + skip + p + 1;
                }
            }
            i += 1;
            from = s.at + s.bytes.len();
        }
        n
    }

    /// Copies the bytes of `ranges` that are not in the buffer yet.
    fn fill(&mut self, ranges: Vec<Range<usize>>) {
        let n = self.len();
        let wanted = Ranges::from(
            ranges
                .into_iter()
                .map(|r| r.start.min(n)..r.end.min(n))
                .filter(|r| !r.is_empty())
                .collect::<Vec<_>>(),
        );
        let missing = wanted.minus(&self.filled);
        if missing.is_empty() {
            return;
        }
        for gap in &missing {
            let mut i = self.stretch_of(gap.start);
            while let Some(s) = self.stretches.get(i) {
                if s.at >= gap.end {
                    break;
                }
                let lo = gap.start.max(s.at);
                let hi = gap.end.min(s.at + s.bytes.len());
                self.buf[lo..hi].copy_from_slice(&s.bytes[lo - s.at..hi - s.at]);
                i += 1;
            }
        }
        let mut all = std::mem::take(&mut self.filled).0;
        all.extend(missing);
        self.filled = Ranges::from(all);
    }

    /// Whether a NUL byte lies in the first `probe` bytes, read where they are.
    fn has_nul_within(&self, probe: usize) -> bool {
        self.stretches
            .iter()
            .take_while(|s| s.at < probe)
            .any(|s| memchr::memchr(0, &s.bytes[..s.bytes.len().min(probe - s.at)]).is_some())
    }
}

impl Text<'_> {
    /// The blob's length.
    pub fn len(&self) -> usize {
        match self {
            Text::Whole(b) => b.len(),
            Text::Sparse(s) => s.len(),
        }
    }

    /// Whether the blob is empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The line holding byte `at` (or the last line, for `at == len`), with its newline.
    pub fn line_of(&self, at: usize) -> Range<usize> {
        match self {
            Text::Whole(b) => super::line_of(b, at),
            Text::Sparse(s) => {
                let start = s.newline_before(at).map_or(0, |i| i + 1);
                start..s.past_newlines(at, 1)
            }
        }
    }

    /// Whether the blob is rebuilt only where read.
    pub fn is_sparse(&self) -> bool {
        matches!(self, Text::Sparse(_))
    }

    /// The blob's bytes, where the whole lines of `spans` can be read (with the newline before
    /// the first) and, after each span, `lines_after` lines more (and one for good measure):
    /// what a prefilter search of `spans` reads, its windows included.
    pub fn readable(&mut self, spans: &[Range<usize>], lines_after: u32) -> &[u8] {
        let s = match self {
            Text::Whole(b) => return b,
            Text::Sparse(s) => s,
        };
        let more = lines_after.saturating_add(1);
        let wanted: Vec<Range<usize>> = spans
            .iter()
            .filter(|r| !r.is_empty())
            .map(|r| {
                // From the newline before the first line: a search for where a line starts
                // reads back to it.
                let start = s.newline_before(r.start).unwrap_or(0);
                let end = s.past_newlines(r.end - 1, 1);
                start..s.past_newlines(end, more)
            })
            .collect();
        s.fill(wanted);
        s.buf
    }

    /// Whether the blob looks binary: a NUL byte in its first bytes, as git judges.
    pub fn is_binary(&self) -> bool {
        match self {
            Text::Whole(b) => crate::source::is_binary(b),
            Text::Sparse(s) => s.has_nul_within(crate::source::BINARY_PROBE),
        }
    }

    /// The blob's bytes as far as they were made readable (all of them for a whole text).
    pub fn as_read(&self) -> &[u8] {
        match self {
            Text::Whole(b) => b,
            Text::Sparse(s) => s.buf,
        }
    }

    /// Every byte of the blob.
    pub fn whole(&mut self) -> &[u8] {
        match self {
            Text::Whole(b) => b,
            Text::Sparse(s) => {
                let n = s.len();
                s.fill(std::iter::once(0..n).collect());
                s.buf
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::Rng;

    #[test]
    fn what_is_made_readable_reads_as_the_rebuilt_blob() {
        let mut rng = Rng(7);
        let alphabet = b"ab\n";
        for _ in 0..3000 {
            let pool: Vec<u8> = (0..200).map(|_| alphabet[rng.next(3)]).collect();
            let mut stretches = Vec::new();
            let mut at = 0;
            for _ in 0..rng.next(12) {
                let from = rng.next(150);
                let len = 1 + rng.next(40);
                stretches.push(Stretch {
                    at,
                    bytes: &pool[from..from + len],
                    from: Some(from),
                });
                at += len;
            }
            let truth: Vec<u8> = stretches.iter().flat_map(|s| s.bytes.to_vec()).collect();
            let n = truth.len();
            let mut buf = vec![b'x'; rng.next(400)];
            let mut text = Text::Sparse(Sparse::new(stretches, &mut buf, rng.next(2) == 0));
            for _ in 0..4 {
                let spans: Vec<Range<usize>> = (0..rng.next(4))
                    .map(|_| {
                        let a = rng.next(n + 1);
                        a..(a + rng.next(30)).min(n)
                    })
                    .collect();
                let after = rng.next(3) as u32;
                let bytes = text.readable(&spans, after).to_vec();
                for span in spans.iter().filter(|s| !s.is_empty()) {
                    let whole = Text::Whole(&truth);
                    let start = whole.line_of(span.start).start.saturating_sub(1);
                    let mut end = whole.line_of(span.end - 1).end;
                    for _ in 0..=after {
                        if end < n {
                            end = whole.line_of(end).end;
                        }
                    }
                    assert_eq!(
                        bytes[start..end],
                        truth[start..end],
                        "{span:?} after {after}"
                    );
                }
                for at in (0..=n).step_by(7) {
                    assert_eq!(
                        text.line_of(at),
                        Text::Whole(&truth).line_of(at),
                        "line of {at}"
                    );
                }
            }
            assert_eq!(text.whole(), &truth[..]);
        }
    }
}
