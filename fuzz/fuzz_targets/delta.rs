//! Git delta instructions from a hostile pack: applying them, checking them without building
//! the result, and reading them as stretches (what the delta scan rebuilds lines from) must
//! agree on every input, and never panic or allocate what the input does not hold.

#![no_main]

use libfuzzer_sys::fuzz_target;
use scour::incremental::{stretches, Sparse, Text};
use scour::source::delta_tree::{apply, result_len};

fuzz_target!(|data: &[u8]| {
    let Some((&cut, rest)) = data.split_first() else {
        return;
    };
    let (base, delta) = rest.split_at(usize::from(cut).min(rest.len()));
    let mut out = Vec::new();
    let applied = apply(base, delta, &mut out);
    let len = result_len(base.len(), delta);
    assert_eq!(applied, len.is_some(), "apply and result_len disagree");
    if let Some(len) = len {
        assert_eq!(out.len(), len);
    }
    let pieces = stretches(base, delta);
    assert_eq!(applied, pieces.is_some(), "apply and stretches disagree");
    let Some(pieces) = pieces else {
        return;
    };
    let mut buf = vec![0u8; usize::from(cut)];
    let mut sparse = Text::Sparse(Sparse::new(pieces, &mut buf, true));
    let whole = Text::Whole(&out);
    for at in (0..=out.len()).step_by(7) {
        assert_eq!(sparse.line_of(at), whole.line_of(at), "line of {at}");
    }
    let span = out.len() / 3..out.len() / 2;
    if !span.is_empty() {
        let line = whole.line_of(span.start);
        let read = sparse.readable(std::slice::from_ref(&span), 1);
        assert_eq!(read[line.clone()], out[line]);
    }
    assert_eq!(sparse.whole(), &out[..]);
});
