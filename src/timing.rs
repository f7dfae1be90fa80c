//! `SCOUR_TIMINGS=1`: how long each phase of `history`, `purge` and `hook pre-receive` took, on
//! stderr (for the hook, git relays it to the pusher). The breakdowns in README's Speed section
//! and in the benchmark notes were read this way.

use std::time::Instant;

/// A stopwatch that prints each lap when `SCOUR_TIMINGS` is set, and is silent otherwise.
pub struct Laps {
    on: bool,
    what: &'static str,
    since: Instant,
}

impl Laps {
    /// Starts timing the phases of `what` (`history`, `purge`, `hook pre-receive`).
    pub fn start(what: &'static str) -> Laps {
        Laps {
            on: std::env::var_os("SCOUR_TIMINGS").is_some(),
            what,
            since: Instant::now(),
        }
    }

    /// Prints the time since the previous lap (or the start) as phase `name`.
    pub fn lap(&mut self, name: &str) {
        if self.on {
            eprintln!(
                "scour: timing: {} {name}: {:.3} s",
                self.what,
                self.since.elapsed().as_secs_f64()
            );
        }
        self.since = Instant::now();
    }
}
