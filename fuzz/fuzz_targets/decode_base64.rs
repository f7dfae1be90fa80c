//! The base64 decoders: lenient decoding in both alphabets, the printable-text test, and the
//! search for base64 runs (which probes every `min_len`-th byte, so off-by-ones hide there).

#![no_main]

use libfuzzer_sys::fuzz_target;
use scour::detect::decode;

fuzz_target!(|data: &[u8]| {
    let Some((&min_len, text)) = data.split_first() else {
        return;
    };
    if let Some(bytes) = decode::base64(text) {
        // Four characters carry three bytes.
        assert!(bytes.len() <= text.len() * 3 / 4 + 3);
        let _ = decode::printable(bytes);
    }
    let min_len = usize::from(min_len);
    let runs = decode::base64_runs(text, min_len);
    let mut last_end = 0;
    for run in runs {
        assert!(
            run.start >= last_end && run.end <= text.len(),
            "runs in order, in bounds"
        );
        assert!(
            run.end - run.start >= min_len,
            "a run is at least min_len long"
        );
        last_end = run.end;
    }
});
