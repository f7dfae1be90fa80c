//! How likely a user judges a finding a real credential: `high`, `medium` or `low`.
//!
//! The model, in order: a distinctive token format or validated private key is high
//! anywhere. Otherwise the value's strength sets the level (random-looking high, anything
//! else medium: a weak default in deployable configuration is what audits find), and where it
//! sits lowers it: in a test, example, documentation or a commented-out line, a weak or chosen
//! value is low and a random-looking one medium. Next to an example domain, or spelling its own
//! key, a value is low. In vendored third-party code (`node_modules/`, `vendor/`) every value
//! that is not a format is low: its owner, not the repository's, rotates it.

use serde::{Deserialize, Serialize};

use super::context::Context;
use super::judge::Strength;

/// How likely a finding is a real credential.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Confidence {
    /// Probably a fixture, an example or a note: hidden unless asked for.
    Low,
    /// Plausibly live: a chosen or default value where it gets deployed.
    Medium,
    /// A token format, a private key, or a random-looking value in configuration or code.
    High,
}

impl Confidence {
    /// The name used in reports.
    pub fn as_str(self) -> &'static str {
        match self {
            Confidence::Low => "low",
            Confidence::Medium => "medium",
            Confidence::High => "high",
        }
    }
}

/// What the model reads about one finding.
#[derive(Debug, Clone, Copy)]
pub struct Evidence {
    /// The rule's shape alone identifies a credential.
    pub distinctive: bool,
    /// How hard the value is to guess.
    pub strength: Strength,
    /// Where the file sits.
    pub context: Context,
    /// The line is commented out.
    pub commented: bool,
    /// Next to an example domain, or spelling its own key.
    pub example_like: bool,
}

/// A confidence and the reason for it, for `--explain`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Assessment {
    /// The level.
    pub confidence: Confidence,
    /// Why, in a few words.
    pub reason: String,
}

/// Applies the model to one finding's evidence.
pub fn assess(e: &Evidence) -> Assessment {
    let level = |confidence: Confidence, reason: String| Assessment { confidence, reason };
    if e.distinctive {
        return level(
            Confidence::High,
            "a credential format that holds anywhere".into(),
        );
    }
    let value = match e.strength {
        Strength::Weak => "weak value",
        Strength::Fair => "chosen value",
        Strength::Strong => "random-looking value",
    };
    let place = match e.context {
        Context::Config => "configuration",
        Context::Code => "code",
        Context::Test => "a test",
        Context::Example => "an example",
        Context::Docs => "documentation",
        Context::Vendored => "third-party code",
    };
    let aside = if e.commented {
        Some("a commented-out line")
    } else if e.example_like {
        Some("a line naming an example domain or the key itself")
    } else if matches!(e.context, Context::Test | Context::Example | Context::Docs) {
        Some(place)
    } else {
        None
    };
    // Whoever owns vendored code rotates what it holds; its formats are still reported above.
    if e.context == Context::Vendored {
        return level(Confidence::Low, format!("{value} in {place}"));
    }
    let confidence = match (aside, e.strength) {
        (None, Strength::Strong) => Confidence::High,
        (None, _) | (Some(_), Strength::Strong) => Confidence::Medium,
        (Some(_), _) => Confidence::Low,
    };
    level(confidence, format!("{value} in {}", aside.unwrap_or(place)))
}

/// The level the learned filter cannot take a finding below: what the hand model reports in
/// deployable configuration (a weak default there is what audits find, and labelled code
/// corpora, where weak values are fixtures, cannot judge that), and a chosen or random value in
/// program code. Elsewhere, and for weak or example-like values in code, the model decides.
pub fn floor(
    hand: &Assessment,
    context: Context,
    strength: Strength,
    commented: bool,
    example_like: bool,
) -> Confidence {
    let stands = !commented
        && match context {
            Context::Config => true,
            Context::Code => strength != Strength::Weak && !example_like,
            _ => false,
        };
    if stands {
        hand.confidence.min(Confidence::Medium)
    } else {
        Confidence::Low
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn evidence(strength: Strength, context: Context) -> Evidence {
        Evidence {
            distinctive: false,
            strength,
            context,
            commented: false,
            example_like: false,
        }
    }

    #[test]
    fn the_model() {
        let c = |e: Evidence| assess(&e).confidence;
        assert_eq!(
            c(evidence(Strength::Weak, Context::Config)),
            Confidence::Medium
        );
        assert_eq!(
            c(evidence(Strength::Strong, Context::Config)),
            Confidence::High
        );
        assert_eq!(c(evidence(Strength::Weak, Context::Test)), Confidence::Low);
        assert_eq!(c(evidence(Strength::Fair, Context::Docs)), Confidence::Low);
        assert_eq!(
            c(evidence(Strength::Strong, Context::Example)),
            Confidence::Medium
        );
        let commented = Evidence {
            commented: true,
            ..evidence(Strength::Weak, Context::Config)
        };
        assert_eq!(c(commented), Confidence::Low);
        let token = Evidence {
            distinctive: true,
            ..evidence(Strength::Weak, Context::Test)
        };
        assert_eq!(c(token), Confidence::High);
    }
}
