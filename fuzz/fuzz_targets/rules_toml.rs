//! The rule loader on arbitrary TOML: `RuleSet::add_text` must return a rule or an error that
//! names the file, never panic; a rule set that loads must compile into a detector that scans.

#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;
use scour::detect::{Detector, Input};
use scour::rules::RuleSet;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let mut set = RuleSet::default();
    match set.add_text(text, Path::new("fuzz.toml")) {
        Err(e) => assert!(
            e.to_string().contains("fuzz.toml"),
            "the error names the file: {e}"
        ),
        Ok(()) => {
            let detector = Detector::new(set);
            let _ = scour::rules::check::run(&detector, |_| true);
            let probe = b"password: hunter2-Xy9\ntoken = \"ghp_abc\"\nkind: Secret\ndata:\n  a: cGFzc3dvcmQ=\n";
            let _ = detector.scan(Input::from_path(probe, Path::new("app.yaml")));
            let _ = detector.scan_unplaced(text.as_bytes());
        }
    }
});
