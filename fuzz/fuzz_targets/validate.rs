//! The structural checks: a PEM or OpenSSH private key's body (escaped newlines, headers,
//! padding lines) and a JWT's header, on arbitrary text, and the detector on the text wrapped
//! in PEM armour so that the private-key rules reach the check.

#![no_main]

#[path = "common.rs"]
mod common;

use std::path::Path;

use libfuzzer_sys::fuzz_target;
use scour::detect::{validate, Input};
use scour::rules::Validate;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let _ = validate::passes(Validate::PrivateKey, &text);
    let _ = validate::passes(Validate::Jwt, &text);
    let (label, body) = text.split_at(text.char_indices().nth(1).map_or(0, |(i, _)| i));
    let label = [
        "RSA PRIVATE KEY",
        "OPENSSH PRIVATE KEY",
        "PRIVATE KEY",
        "EC PRIVATE KEY",
    ][label.len() % 4];
    let armoured = format!("-----BEGIN {label}-----\n{body}\n-----END {label}-----\n");
    let path = Path::new("deploy/key.pem");
    let scanned = detector_scan(&armoured, path);
    common::check(&common::DETECTOR, armoured.as_bytes(), Some(path), &scanned);
});

fn detector_scan(text: &str, path: &Path) -> scour::detect::Scanned {
    common::DETECTOR.scan(Input::from_path(text.as_bytes(), path))
}
