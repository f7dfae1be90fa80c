//! Detector throughput on one core, over a generated corpus of source and configuration text.
//!
//! The corpus (about 100 MiB, deterministic) mixes Rust and Python source, Kubernetes YAML,
//! JSON, `.env` files and Markdown, with a few planted secrets. Set `SCOUR_BENCH_MIB` to change
//! its size. Run: `cargo bench --bench detector`; criterion prints the throughput in MiB/s.
//!
//! A second bench scans keyword-dense configuration (Helm values files, a credential-named key
//! every other line; `SCOUR_BENCH_DENSE_MIB`, default 4) and turns each match into a finding,
//! as `scour scan` does: there the learned filter, the line clues and zxcvbn weigh most.

mod support;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use scour::detect::{Detector, Input, Site};
use scour::finding::LineIndex;
use scour::rules::RuleSet;

/// The corpus size in MiB that `var` asks for, or `default`.
fn mib_from_env(var: &str, default: usize) -> usize {
    std::env::var(var)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn detector_throughput(c: &mut Criterion) {
    let mib = mib_from_env("SCOUR_BENCH_MIB", 100);
    let files = support::corpus(mib);
    let bytes: usize = files.iter().map(|(_, t)| t.len()).sum();
    let detector = Detector::new(RuleSet::builtin().expect("built-in rules load"));
    let found: usize = files
        .iter()
        .map(|(p, t)| detector.scan(Input::from_path(t, p)).matches.len())
        .sum();
    assert!(found > 0, "the planted secrets must be found");
    let mut group = c.benchmark_group("detector");
    group.throughput(Throughput::Bytes(bytes as u64));
    group.sample_size(10);
    group.bench_function("full-rule-set-one-core", |b| {
        b.iter(|| {
            files
                .iter()
                .map(|(p, t)| detector.scan(Input::from_path(t, p)).matches.len())
                .sum::<usize>()
        })
    });
    group.finish();
}

fn dense_config_findings(c: &mut Criterion) {
    let mib = mib_from_env("SCOUR_BENCH_DENSE_MIB", 4);
    let files = support::dense_config(mib);
    let bytes: usize = files.iter().map(|(_, t)| t.len()).sum();
    let detector = Detector::new(RuleSet::builtin().expect("built-in rules load"));
    let findings = || {
        files
            .iter()
            .map(|(p, t)| {
                let lines = LineIndex::new(t);
                let shown = p.to_string_lossy();
                detector
                    .scan(Input::from_path(t, p))
                    .matches
                    .iter()
                    .filter_map(|m| {
                        detector.finding(m, &shown, Site::File(Some(p)), lines.place(&m.span))
                    })
                    .count()
            })
            .sum::<usize>()
    };
    assert!(findings() > 0, "the weak defaults must be found");
    let mut group = c.benchmark_group("detector");
    group.throughput(Throughput::Bytes(bytes as u64));
    group.sample_size(10);
    group.bench_function("keyword-dense-config-findings", |b| b.iter(findings));
    group.finish();
}

criterion_group!(benches, detector_throughput, dense_config_findings);
criterion_main!(benches);
