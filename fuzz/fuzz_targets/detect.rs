//! The detector over arbitrary bytes at arbitrary paths: `Detector::scan` with the path's kind,
//! `scan_unplaced` (a blob before its paths are known) and `select_for_path` on its result.
//!
//! Input: `path\0content` when there is a NUL in the first 256 bytes, else the content alone
//! at one of `common::PATHS` chosen by its length.

#![no_main]

#[path = "common.rs"]
mod common;

use std::path::Path;

use libfuzzer_sys::fuzz_target;
use scour::detect::Input;

fuzz_target!(|data: &[u8]| {
    let detector = &*common::DETECTOR;
    let (path, bytes) = match memchr_nul(data) {
        Some(at) => (
            String::from_utf8_lossy(&data[..at]).into_owned(),
            &data[at + 1..],
        ),
        None => (
            common::PATHS[data.len() % common::PATHS.len()].to_string(),
            data,
        ),
    };
    let path = Path::new(&path);
    let scanned = detector.scan(Input::from_path(bytes, path));
    common::check(detector, bytes, Some(path), &scanned);
    let unplaced = detector.scan_unplaced(bytes);
    common::check(detector, bytes, None, &unplaced);
    for i in detector.select_for_path(&unplaced.matches, Some(path)) {
        assert!(i < unplaced.matches.len());
    }
    let _ = detector.wants_path_scan(path);
});

fn memchr_nul(data: &[u8]) -> Option<usize> {
    data.iter().take(256).position(|&b| b == 0)
}
