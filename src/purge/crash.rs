//! A test hook for crash consistency: with `SCOUR_CRASH_AT=<step>` in the environment, `scour
//! purge` kills itself with SIGKILL the first time it reaches that step, as a power cut or an
//! OOM kill would, with no destructor or clean-up running. `scripts/crash-purge.sh` and
//! `tests/purge.rs` find every step by searching the sources for `crash::point("`.

use std::sync::atomic::{AtomicBool, Ordering};

/// Dies here, at once, when `SCOUR_CRASH_AT` names `step`.
pub fn point(step: &str) {
    static FIRED: AtomicBool = AtomicBool::new(false);
    let wanted = std::env::var_os("SCOUR_CRASH_AT").is_some_and(|v| v == step);
    if wanted && !FIRED.swap(true, Ordering::SeqCst) {
        die();
    }
}

#[cfg(unix)]
fn die() {
    // SAFETY: kill(2) on our own pid with a valid signal number has no memory effects.
    unsafe {
        libc::kill(libc::getpid(), libc::SIGKILL);
    }
}

#[cfg(not(unix))]
fn die() {
    std::process::abort();
}
