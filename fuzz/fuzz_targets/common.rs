//! Shared by the fuzz targets: one detector over the built-in rules, and the checks every scan
//! result must pass whatever the input.

#![allow(dead_code)]

use std::path::Path;
use std::sync::LazyLock;

use scour::detect::{Detector, Scanned};
use scour::finding::LineIndex;
use scour::rules::RuleSet;

/// Built once per process: compiling the rules costs far more than one input.
pub static DETECTOR: LazyLock<Detector> = LazyLock::new(|| {
    Detector::new(RuleSet::builtin().expect("the built-in rules load"))
        .with_min_confidence(scour::detect::confidence::Confidence::Low)
});

/// Spans inside the input, in order; every match turns into a finding whose shown secret is
/// redacted (no secret of 8 characters or more printed whole).
pub fn check(detector: &Detector, bytes: &[u8], path: Option<&Path>, scanned: &Scanned) {
    let lines = LineIndex::new(bytes);
    let shown = path.map_or("(input)".into(), |p| p.to_string_lossy().into_owned());
    for pair in scanned.matches.windows(2) {
        assert!(pair[0].span.start <= pair[1].span.start, "matches in order");
    }
    for m in &scanned.matches {
        assert!(
            m.span.start < m.span.end && m.span.end <= bytes.len(),
            "span {:?} inside {} bytes",
            m.span,
            bytes.len()
        );
        assert!(m.decoded.len() <= 3, "at most three layers");
        if let Some(f) = detector.finding(
            m,
            &shown,
            scour::detect::Site::File(path),
            lines.place(&m.span),
        ) {
            let (shown, secret) = (f.shown_secret(false), f.shown_secret(true));
            assert!(
                secret.chars().count() < 8 || shown != secret,
                "a secret is never shown whole"
            );
        }
    }
    for i in &scanned.issues {
        assert!(i.offset <= bytes.len(), "issue offset inside the input");
    }
}

/// Paths of every kind the detector tells apart (config, code, prose, lock files, dedicated
/// files, tests and examples).
pub const PATHS: &[&str] = &[
    "k8s/secret.yaml",
    "deploy/app.env",
    ".env",
    "src/main.rs",
    "app/settings.py",
    "README.md",
    "docs/notes.txt",
    "Cargo.lock",
    ".pgpass",
    ".htpasswd",
    ".git-credentials",
    ".docker/config.json",
    "tests/fixtures/key.pem",
    "examples/values.yaml",
    "charts/x/templates/NOTES.txt",
    "Dockerfile",
    "config.toml",
    "id_rsa",
];
