//! The examples self-test: every example must be found by its rule, no counterexample may be.
//!
//! Examples run through the whole detector (prefilter, judgement, decoding, overlap resolution)
//! and the confidence a finding gets at the rule's example path, so a rule that another rule
//! shadows fails its own examples, and a counterexample passes when it is reported only below
//! the detector's minimum confidence (as a user would not see it).

use std::path::{Path, PathBuf};

use super::RuleId;
use crate::detect::context::Site;
use crate::detect::{Detector, Input};
use crate::finding::LineIndex;

/// An example that did not behave.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    /// The rule whose example failed.
    pub rule: RuleId,
    /// The file the rule came from.
    pub file: PathBuf,
    /// What went wrong, quoting the example.
    pub problem: String,
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "rule file '{}': rule '{}': {}",
            self.file.display(),
            self.rule,
            self.problem
        )
    }
}

/// Runs the examples of the rules that `select` picks, against all of the detector's rules.
pub fn run(detector: &Detector, select: impl Fn(&super::Rule) -> bool) -> Vec<Failure> {
    let mut failures = Vec::new();
    for (index, rule) in detector.rules().rules().iter().enumerate() {
        if !select(rule) {
            continue;
        }
        let path = Path::new(&rule.example_path);
        let fires = |text: &str| {
            let lines = LineIndex::new(text.as_bytes());
            detector
                .scan(Input::from_path(text.as_bytes(), path))
                .matches
                .iter()
                .filter(|m| m.rule == index)
                .any(|m| {
                    let at = lines.place(&m.span);
                    let site = Site::File(Some(path));
                    detector.finding(m, &rule.example_path, site, at).is_some()
                })
        };
        let fail = |problem: String| Failure {
            rule: rule.id.clone(),
            file: rule.source.clone(),
            problem,
        };
        for example in &rule.examples {
            if !fires(example) {
                failures.push(fail(format!("example not found: {example:?}")));
            }
        }
        for counter in &rule.counterexamples {
            if fires(counter) {
                failures.push(fail(format!("counterexample found: {counter:?}")));
            }
        }
    }
    failures
}

#[cfg(test)]
mod tests {
    use crate::detect::Detector;
    use crate::rules::RuleSet;

    #[test]
    fn every_builtin_example_and_counterexample_behaves() {
        let detector = Detector::new(RuleSet::builtin().expect("built-in rules load"));
        let failures = super::run(&detector, |_| true);
        let report: Vec<String> = failures.iter().map(ToString::to_string).collect();
        assert!(
            report.is_empty(),
            "{} failures:\n{}",
            report.len(),
            report.join("\n")
        );
    }

    #[test]
    fn every_builtin_rule_has_examples_of_both_kinds() {
        let set = RuleSet::builtin().expect("built-in rules load");
        for rule in set.rules() {
            assert!(
                !rule.examples.is_empty() && !rule.counterexamples.is_empty(),
                "{}",
                rule.id
            );
        }
    }
}
