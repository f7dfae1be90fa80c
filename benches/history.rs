//! `scour history --all-objects` on a generated repository: one pass over every object, the
//! full rule set, provenance for the planted secrets.
//!
//! The repository (built once per run with `git fast-import`, about 1,500 commits over 20 MiB
//! of generated text, then `git gc`) lives in a temporary directory. Set `SCOUR_BENCH_MIB` to
//! change the amount of text. Run: `cargo bench --bench history`. For the comparison with
//! `git cat-file` on a realistic repository, see `scripts/bench-history.sh`.

mod support;

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use scour::detect::Detector;
use scour::history::{scan_history, Options};
use scour::rules::RuleSet;

/// Writes the history: files added twenty per commit, then edited one per commit.
fn build_repository(dir: &Path, mib: usize) -> u64 {
    let git = |args: &[&str]| {
        let status = Command::new("git")
            .args(args)
            .current_dir(dir)
            .status()
            .expect("git runs");
        assert!(status.success(), "git {args:?}");
    };
    git(&["init", "-q", "--bare"]);
    let mut import = Command::new("git")
        .args(["fast-import", "--quiet"])
        .current_dir(dir)
        .stdin(Stdio::piped())
        .spawn()
        .expect("git fast-import runs");
    let mut stream = std::io::BufWriter::new(import.stdin.take().expect("piped stdin"));
    let files = support::corpus(mib);
    let mut rng = support::Rng(42);
    let mut time = 1_420_070_400u64;
    let mut commit = |stream: &mut dyn Write, mark: usize, ops: &[(&Path, &[u8])]| {
        time += 3600;
        let who = format!("Bench <bench@scour.invalid> {time} +0000");
        write!(
            stream,
            "commit refs/heads/main\nmark :{mark}\nauthor {who}\ncommitter {who}\ndata 6\nchange\n"
        )
        .unwrap();
        if mark > 1 {
            writeln!(stream, "from :{}", mark - 1).unwrap();
        }
        for (path, data) in ops {
            write!(
                stream,
                "M 100644 inline {}\ndata {}\n",
                path.display(),
                data.len()
            )
            .unwrap();
            stream.write_all(data).unwrap();
            writeln!(stream).unwrap();
        }
        writeln!(stream).unwrap();
    };
    let mut mark = 0;
    for chunk in files.chunks(20) {
        mark += 1;
        let ops: Vec<(&Path, &[u8])> = chunk
            .iter()
            .map(|(p, d)| (p.as_path(), d.as_slice()))
            .collect();
        commit(&mut stream, mark, &ops);
    }
    for _ in 0..1000 {
        mark += 1;
        let (path, data) = &files[(rng.next() as usize) % files.len()];
        let mut edited = data.clone();
        edited.extend_from_slice(format!("// edit {mark}\n").as_bytes());
        commit(&mut stream, mark, &[(path.as_path(), &edited)]);
    }
    drop(stream);
    assert!(import.wait().expect("fast-import finishes").success());
    git(&["gc", "--quiet"]);
    files.iter().map(|(_, d)| d.len() as u64).sum()
}

fn history_scan(c: &mut Criterion) {
    let mib: usize = std::env::var("SCOUR_BENCH_MIB")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(20);
    let dir = tempfile::tempdir().expect("temporary directory");
    build_repository(dir.path(), mib);
    let detector = Detector::new(RuleSet::builtin().expect("built-in rules load"));
    let options = Options {
        all_objects: true,
        max_file_size: 25 << 20,
        ..Options::default()
    };
    let first = scan_history(&detector, dir.path(), &options, &|_| {}).expect("the scan runs");
    assert!(
        !first.findings.is_empty(),
        "the planted secrets must be found"
    );
    let mut group = c.benchmark_group("history");
    group.throughput(Throughput::Bytes(first.summary.bytes));
    group.sample_size(10);
    group.bench_function("all-objects-full-rule-set", |b| {
        b.iter(|| {
            scan_history(&detector, dir.path(), &options, &|_| {})
                .expect("the scan runs")
                .findings
                .len()
        })
    });
    group.finish();
}

criterion_group!(benches, history_scan);
criterion_main!(benches);
