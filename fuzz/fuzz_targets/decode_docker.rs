//! The docker config decoders: arbitrary bytes as the base64 `.dockerconfigjson` of a Secret
//! (decoded, scanned again, its `auth` pairs decoded once more), as a plain
//! `.docker/config.json`, and as a decoded basic-auth pair.

#![no_main]

#[path = "common.rs"]
mod common;

use std::path::Path;

use base64::Engine;
use libfuzzer_sys::fuzz_target;
use scour::detect::{decode, Input};

fuzz_target!(|data: &[u8]| {
    let detector = &*common::DETECTOR;
    let encoded = base64::engine::general_purpose::STANDARD.encode(data);
    let secret = format!(
        "apiVersion: v1\nkind: Secret\ntype: kubernetes.io/dockerconfigjson\ndata:\n  .dockerconfigjson: {encoded}\n"
    );
    let path = Path::new("k8s/registry.yaml");
    let scanned = detector.scan(Input::from_path(secret.as_bytes(), path));
    common::check(detector, secret.as_bytes(), Some(path), &scanned);

    let path = Path::new(".docker/config.json");
    let scanned = detector.scan(Input::from_path(data, path));
    common::check(detector, data, Some(path), &scanned);

    if let Ok(text) = std::str::from_utf8(data) {
        if let Some((user, secret)) = decode::basic_auth_secret(text) {
            assert!(!secret.is_empty() && user.len() + secret.len() < text.len());
        }
    }
});
