//! Detector throughput on one core, over a generated corpus of source and configuration text.
//!
//! The corpus (about 100 MiB, deterministic) mixes Rust and Python source, Kubernetes YAML,
//! JSON, `.env` files and Markdown, with a few planted secrets. Set `SCOUR_BENCH_MIB` to change
//! its size. Run: `cargo bench --bench detector`; criterion prints the throughput in MiB/s.

mod support;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use scour::detect::{Detector, Input};
use scour::rules::RuleSet;

fn detector_throughput(c: &mut Criterion) {
    let mib: usize = std::env::var("SCOUR_BENCH_MIB")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100);
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

criterion_group!(benches, detector_throughput);
criterion_main!(benches);
