//! The history reader over corrupted repositories: bytes of a small real repository's pack,
//! pack index and loose objects flipped, truncated and spliced, then `scour history` run on the
//! result. It must warn and go on: never panic, never hang, never give up on the whole scan
//! for one bad object.
//!
//! A seeded random walk instead of libFuzzer: each case needs a copy of a repository on disk.
//! `SCOUR_CORRUPT_ROUNDS` (default 24) and `SCOUR_CORRUPT_SEED` set a longer or another run;
//! a failure prints the seed and round that reproduce it.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::Repo;

/// How long one scan of the tiny repository may take before it counts as a hang.
const HANG: Duration = Duration::from_secs(20);

/// A small generator (PCG-style LCG): enough to spread corruptions, and reproducible.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        self.0 >> 33
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

/// A bare repository with one pack (older history) and loose objects (newer commits): secrets,
/// a merge, a tag, a rename, a blob at two paths, and a deltified file, so that the pack holds
/// deltas.
fn template() -> (Repo, PathBuf) {
    let repo = Repo::new();
    for i in 0..6 {
        let body: String = (0..60)
            .map(|l| format!("line {l} of version {i}\n"))
            .collect();
        repo.write("src/big.txt", body);
        repo.write(&format!("src/f{i}.rs"), format!("fn f{i}() {{}}\n"));
        if i == 2 {
            repo.write("deploy/app.env", "DB_PASSWORD=s3cr3tDbPass1\n");
            repo.write("deploy/copy.env", "DB_PASSWORD=s3cr3tDbPass1\n");
        }
        repo.commit_all(&format!("commit {i}"));
    }
    repo.git(&["checkout", "-q", "-b", "side"]);
    repo.write(
        "k8s/secret.yaml",
        "kind: Secret\ndata:\n  password: aHVudGVyMi1YeTk=\n",
    );
    repo.commit_all("side");
    repo.git(&["checkout", "-q", "main"]);
    repo.git(&["mv", "deploy/copy.env", "deploy/moved.env"]);
    repo.commit_all("rename");
    repo.git(&["merge", "-q", "--no-edit", "side"]);
    repo.git(&["tag", "-a", "v1", "-m", "release"]);
    repo.git(&["gc", "-q"]);
    let bare = repo.path().join("bare.git");
    repo.git(&[
        "clone",
        "-q",
        "--bare",
        "--no-local",
        ".",
        bare.to_str().unwrap(),
    ]);
    // Newer commits arrive by a small push, which the receiving side stores as loose objects.
    repo.write(
        "ci.yaml",
        "token: ghp_R8aK2mQ9xL4vT7bN1cW5yH3jD6fG0sP2eZ4u\n",
    );
    repo.commit_all("ci");
    repo.write("src/big.txt", "rewritten\n");
    repo.commit_all("loose");
    repo.git(&["push", "-q", bare.to_str().unwrap(), "main"]);
    (repo, bare)
}

/// Every file a corruption may hit: packs, pack indexes, loose objects.
fn targets(bare: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let objects = bare.join("objects");
    for dir in std::fs::read_dir(&objects).unwrap().flatten() {
        let name = dir.file_name().to_string_lossy().into_owned();
        if name == "info" {
            continue;
        }
        for f in std::fs::read_dir(dir.path()).unwrap().flatten() {
            let n = f.file_name().to_string_lossy().into_owned();
            if name != "pack" || n.ends_with(".pack") || n.ends_with(".idx") {
                out.push(f.path());
            }
        }
    }
    out.sort();
    out
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap().flatten() {
        let dest = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &dest);
        } else {
            std::fs::copy(e.path(), &dest).unwrap();
        }
    }
}

/// One corruption of `file`, described for the failure message.
fn corrupt(rng: &mut Rng, file: &Path, all: &[PathBuf]) -> String {
    let mut bytes = std::fs::read(file).unwrap();
    // Git writes objects read-only.
    let mut perms = std::fs::metadata(file).unwrap().permissions();
    #[allow(clippy::permissions_set_readonly_false)]
    perms.set_readonly(false);
    std::fs::set_permissions(file, perms).unwrap();
    let len = bytes.len().max(1);
    let what = match rng.below(4) {
        0 => {
            let n = 1 + rng.below(8);
            for _ in 0..n {
                let at = rng.below(len).min(bytes.len().saturating_sub(1));
                if let Some(b) = bytes.get_mut(at) {
                    *b ^= 1 << rng.below(8);
                }
            }
            format!("flip {n} bit(s)")
        }
        1 => {
            let at = rng.below(len);
            bytes.truncate(at);
            format!("truncate at {at}")
        }
        2 => {
            // Bytes of another object file over this one: valid-looking headers, wrong places.
            let other = std::fs::read(&all[rng.below(all.len())]).unwrap();
            let from = rng.below(other.len());
            let n = (1 + rng.below(64)).min(other.len() - from);
            let at = rng.below(len).min(bytes.len());
            let end = (at + n).min(bytes.len());
            bytes.splice(at..end, other[from..from + n].iter().copied());
            format!("splice {n} byte(s) at {at}")
        }
        _ => {
            // Large and small header numbers: sizes, offsets and counts that lie.
            let at = rng.below(len).min(bytes.len().saturating_sub(1));
            let value: &[u8] =
                [&[0xff; 4][..], &[0x7f, 0xff, 0xff, 0xff], &[0, 0, 0, 0]][rng.below(3)];
            for (i, v) in value.iter().enumerate() {
                if let Some(b) = bytes.get_mut(at + i) {
                    *b = *v;
                }
            }
            format!("overwrite with {value:02x?} at {at}")
        }
    };
    std::fs::write(file, &bytes).unwrap();
    what
}

/// Runs `scour history` on `dir`, killing it after [`HANG`]: (exit code, stderr, duration).
fn history(dir: &Path, extra: &[&str]) -> (Option<i32>, String, Duration) {
    let started = Instant::now();
    let mut child = Command::new(common::binary())
        .args([
            "history",
            "--format",
            "json",
            "--progress",
            "never",
            "-j",
            "2",
        ])
        .args(extra)
        .arg(dir)
        .env("NO_COLOR", "1")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let reader = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = std::io::Read::read_to_string(&mut { stderr }, &mut s);
        s
    });
    let code = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status.code();
        }
        if started.elapsed() > HANG {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    (code, reader.join().unwrap(), started.elapsed())
}

#[test]
fn corrupted_packs_and_loose_objects_warn_and_go_on() {
    let rounds: usize = std::env::var("SCOUR_CORRUPT_ROUNDS")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(24);
    let seed: u64 = std::env::var("SCOUR_CORRUPT_SEED")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(0x5c0_u64);
    let (_repo, bare) = template();
    let files = targets(&bare);
    assert!(
        files
            .iter()
            .any(|f| f.extension().is_some_and(|e| e == "pack"))
            && files
                .iter()
                .any(|f| !f.to_string_lossy().contains("/pack/")),
        "the template has a pack and loose objects: {files:?}"
    );
    let (clean, _, _) = history(&bare, &[]);
    assert_eq!(clean, Some(1), "the intact template has findings");
    let work = tempfile::tempdir().unwrap();
    let (mut warned, mut findings, mut slowest) = (0, 0, Duration::ZERO);
    for round in 0..rounds {
        let mut rng = Rng(seed ^ (round as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15));
        let dir = work.path().join(format!("r{round}"));
        copy_dir(&bare, &dir);
        let copies = targets(&dir);
        let mut done = Vec::new();
        for _ in 0..1 + rng.below(3) {
            let file = &copies[rng.below(copies.len())];
            let what = corrupt(&mut rng, file, &copies);
            done.push(format!(
                "{}: {what}",
                file.strip_prefix(&dir).unwrap().display()
            ));
        }
        let extra: &[&str] = if round % 2 == 0 {
            &[]
        } else {
            &["--all-objects"]
        };
        let (code, err, took) = history(&dir, extra);
        let case = format!("seed {seed} round {round} ({done:?}, {extra:?})");
        assert!(
            code.is_some(),
            "{case}: hung or was killed after {took:?}\n{err}"
        );
        assert!(!err.contains("panicked"), "{case}: panicked\n{err}");
        assert!(
            matches!(code, Some(0 | 1)),
            "{case}: gave up (exit {code:?}) instead of warning and going on\n{err}"
        );
        warned += usize::from(err.contains("warning"));
        findings += usize::from(code == Some(1));
        slowest = slowest.max(took);
        std::fs::remove_dir_all(&dir).unwrap();
    }
    eprintln!(
        "{rounds} corrupted repositories: {warned} warned, {findings} still had findings, slowest scan {slowest:?}"
    );
}
