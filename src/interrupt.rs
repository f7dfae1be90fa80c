//! Ctrl-C for long operations: the first one asks them to stop at the next safe point (a scan
//! stops reading objects, a purge stops before any ref changes and removes its temporary
//! pack); a second one exits at once.

use std::sync::atomic::{AtomicBool, Ordering};

/// Set when the user asked to stop.
pub static REQUESTED: AtomicBool = AtomicBool::new(false);

/// Installs the Ctrl-C handler (once; later calls do nothing).
pub fn install() {
    // Without a handler Ctrl-C still stops scour, just without cleaning up.
    let _ = ctrlc::set_handler(|| {
        if REQUESTED.swap(true, Ordering::SeqCst) {
            std::process::exit(130);
        }
        eprintln!("scour: stopping at the next safe point (Ctrl-C again to quit at once)");
    });
}

/// Whether the user asked to stop.
pub fn requested() -> bool {
    REQUESTED.load(Ordering::Relaxed)
}
