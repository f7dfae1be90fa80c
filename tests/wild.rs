//! Accuracy on real repositories: scour's findings on the shared corpora (snapshots of public
//! repositories nobody wrote for it) against the labels in `tests/wild/labels.tsv`.
//! `scripts/wild.py --check` fails when precision falls below the labels' floor, a finding
//! labelled real is no longer reported, or fewer fake-leaks fixtures are found than its floor.

use std::path::PathBuf;
use std::process::Command;

/// The corpora: `SCOUR_CORPORA`, or `../shared/corpora` beside the repository.
fn corpora() -> Option<PathBuf> {
    let dir = std::env::var_os("SCOUR_CORPORA")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/corpora"));
    dir.join("charts.tar.xz").exists().then_some(dir)
}

#[test]
fn labelled_corpora_keep_their_precision_and_real_findings() {
    let Some(corpora) = corpora() else {
        // The corpora are test data outside the repository; without them there is nothing to
        // measure. Say so loudly rather than pass in silence.
        eprintln!("SKIPPED: no corpora (set SCOUR_CORPORA to ../shared/corpora)");
        return;
    };
    // Outside the repository: its `.gitignore` (which ignores `target/`) would hide the files.
    let work = std::env::temp_dir().join("scour-wild-test");
    let out = Command::new("python3")
        .arg(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("scripts/wild.py"))
        .arg("--check")
        .arg("--scour")
        .arg(env!("CARGO_BIN_EXE_scour"))
        .arg("--corpora")
        .arg(&corpora)
        .arg("--work")
        .arg(&work)
        .output()
        .expect("python3 runs scripts/wild.py");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("all "), "{stdout}");
    assert!(stdout.contains("fake-leaks (recall fixtures)"), "{stdout}");
}
