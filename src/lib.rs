//! scour finds leaked credentials in files and git history.
//!
//! The library is organised as the data flows: [`source`] yields bytes, [`detect`] finds
//! [`detect::Match`]es with the [`rules`], [`finding`] places them in files, [`scan`] drives a
//! whole scan, and [`report`] writes the result. `main.rs` only wires the command line to these.

pub mod allow;
pub mod checklist;
pub mod config;
pub mod detect;
pub mod finding;
pub mod history;
pub mod hook;
pub mod incremental;
pub mod interrupt;
pub mod purge;
pub mod report;
pub mod rules;
pub mod scan;
pub mod source;
pub mod timing;

/// What unit tests share.
#[cfg(test)]
pub(crate) mod testing {
    /// A seeded generator for tests that draw many cases (a linear congruential one: the same
    /// seed draws the same cases on every machine).
    pub struct Rng(pub u64);

    impl Rng {
        /// A draw in `0..n` (0 when `n` is 0).
        pub fn next(&mut self, n: usize) -> usize {
            self.raw() % n.max(1)
        }

        /// A draw of any size.
        pub fn raw(&mut self) -> usize {
            self.0 = self
                .0
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (self.0 >> 33) as usize
        }
    }
}
