//! The learned filter: a logistic model over named features of a candidate (its rule, key
//! words, value shape and strength, file context, line clues) that says how likely a
//! user judges it a real credential.
//!
//! Hand rules judge what they can say for sure (a template expression is no secret); what
//! remains is a weighing of many weak signals, which a model fitted to labelled real code
//! (CredData's development third plus our own labels of the shared corpora) does better than
//! thresholds chosen by hand. The weights live in `patterns/model.json`, written by
//! `scripts/train-model.py` from the features `SCOUR_FEATURES=1` makes scour print; each
//! decision is explained by the features that weighed most.

use std::collections::HashMap;
use std::path::Path;
use std::sync::LazyLock;

use serde::Deserialize;

use super::clues::Clues;
use super::confidence::Confidence;
use super::context::Context;
use super::fasthash::FastMap;
use super::judge::{Strength, ValueRead};

/// The model's weights and decision thresholds.
#[derive(Debug, Deserialize)]
#[serde(from = "ModelFile")]
pub struct Model {
    /// Log-odds before any feature.
    bias: f64,
    /// Log-odds each present feature adds, by feature name (looked up for every feature of
    /// every candidate, so by a cheap hash rather than SipHash).
    weights: FastMap<Box<str>, f64>,
    /// The probability from which a finding is medium confidence (reported by default).
    medium: f64,
    /// The probability from which a finding the hand-written model reports stays reported:
    /// the model overrules it only when fairly sure.
    keep: f64,
    /// The probability from which it is high.
    high: f64,
}

/// `patterns/model.json` as written.
#[derive(Deserialize)]
struct ModelFile {
    bias: f64,
    weights: HashMap<String, f64>,
    medium: f64,
    keep: f64,
    high: f64,
}

impl From<ModelFile> for Model {
    fn from(file: ModelFile) -> Model {
        Model {
            bias: file.bias,
            weights: file
                .weights
                .into_iter()
                .map(|(name, w)| (name.into_boxed_str(), w))
                .collect(),
            medium: file.medium,
            keep: file.keep,
            high: file.high,
        }
    }
}

static BUILTIN: LazyLock<Model> = LazyLock::new(|| {
    serde_json::from_str(include_str!("../../patterns/model.json"))
        .expect("patterns/model.json is valid (checked by a test)")
});

/// Whether scour prints each finding's features (for `scripts/train-model.py`).
pub fn emit_features() -> bool {
    static ON: LazyLock<bool> =
        LazyLock::new(|| std::env::var_os("SCOUR_FEATURES").is_some_and(|v| v == "1"));
    *ON
}

/// What the model reads about one candidate.
pub struct Candidate<'a> {
    /// The rule's id.
    pub rule: &'a str,
    /// The rule's category.
    pub category: &'a str,
    /// The key the value is assigned to.
    pub key: Option<&'a str>,
    /// The value.
    pub value: &'a str,
    /// Its strength and dictionary reading.
    pub read: &'a ValueRead,
    /// Where its file sits.
    pub context: Context,
    /// The file's path, when known.
    pub path: Option<&'a Path>,
    /// The line is commented out.
    pub commented: bool,
    /// Spelling its key, or next to an example domain.
    pub exemplary: bool,
    /// Found under a base64 layer.
    pub decoded: bool,
    /// What the line says.
    pub clues: Clues,
}

/// What the verdict's caps read of the value (the same facts its features name).
#[derive(Debug, Clone, Copy)]
pub struct ValueSide {
    /// How hard the value is to guess.
    pub strength: Strength,
    /// Its line is commented out.
    pub commented: bool,
}

/// The model's verdict on one candidate.
#[derive(Debug, Clone)]
pub struct Verdict {
    /// Probability that the candidate is a real credential.
    pub probability: f64,
    /// The level that probability maps to.
    pub confidence: Confidence,
    /// The features that weighed most, strongest first, with their weights.
    pub weighed: Vec<(String, f64)>,
}

/// The features of a candidate, by name.
pub fn features(c: &Candidate<'_>) -> Vec<String> {
    let mut f = vec![format!("rule:{}", c.rule), format!("cat:{}", c.category)];
    match c.key {
        None => f.push("key:none".into()),
        Some(key) => {
            let words = super::judge::split_words(key);
            for w in words.iter().filter(|w| w.len() >= 2).take(6) {
                f.push(format!("kw:{w}"));
            }
            if let Some(last) = words.last() {
                f.push(format!("kwlast:{last}"));
            }
        }
    }
    value_features(c.value, c.read, &mut f);
    f.push(format!("ctx:{}", c.context.as_str()));
    if let Some(ext) = c.path.and_then(|p| p.extension()).and_then(|e| e.to_str()) {
        f.push(format!("ext:{}", ext.to_ascii_lowercase()));
    }
    for (on, name) in [
        (c.commented, "commented"),
        (c.exemplary, "exemplary"),
        (c.decoded, "decoded"),
    ] {
        if on {
            f.push(name.into());
        }
    }
    f.extend(c.clues.iter().map(|clue| format!("line:{}", clue.name())));
    // Pairs a linear model cannot form itself: a weak value counts in deployable
    // configuration and not in a test, a random one counts even in a comment.
    let strength = strength_name(c.read.strength);
    f.push(format!("ctx_strength:{}/{strength}", c.context.as_str()));
    if c.commented {
        f.push(format!("commented_strength:{strength}"));
    }
    if let Some(cover) = c.read.word_cover {
        f.push(format!(
            "ctx_words:{}/{}",
            c.context.as_str(),
            words_bucket(cover)
        ));
    }
    f
}

fn strength_name(s: Strength) -> &'static str {
    match s {
        Strength::Weak => "weak",
        Strength::Fair => "fair",
        Strength::Strong => "strong",
    }
}

fn words_bucket(cover: f64) -> u32 {
    (cover * 4.0).round() as u32
}

/// Shape, length, spread and guessability of the value.
fn value_features(v: &str, read: &ValueRead, f: &mut Vec<String>) {
    let n = v.chars().count();
    let bucket = match n {
        0..=3 => "0-3",
        4..=5 => "4-5",
        6..=7 => "6-7",
        8..=11 => "8-11",
        12..=15 => "12-15",
        16..=23 => "16-23",
        24..=39 => "24-39",
        40..=63 => "40-63",
        _ => "64+",
    };
    f.push(format!("len:{bucket}"));
    let classes = [
        (v.bytes().any(|b| b.is_ascii_lowercase()), "lower"),
        (v.bytes().any(|b| b.is_ascii_uppercase()), "upper"),
        (v.bytes().any(|b| b.is_ascii_digit()), "digit"),
        (v.bytes().any(|b| !b.is_ascii_alphanumeric()), "symbol"),
    ];
    let count = classes.iter().filter(|(on, _)| *on).count();
    f.extend(
        classes
            .iter()
            .filter(|(on, _)| *on)
            .map(|(_, name)| format!("has:{name}")),
    );
    f.push(format!("classes:{count}"));
    let entropy = super::entropy::shannon(v.as_bytes());
    f.push(format!(
        "entropy:{}",
        (entropy * 2.0).floor().min(10.0) as u32
    ));
    for (on, name) in [
        (is_hex(v) && n >= 16, "hex"),
        (is_uuid(v), "uuid"),
        (n >= 16 && token_chars(v), "token_chars"),
        (v.bytes().all(|b| b.is_ascii_digit()), "digits_only"),
        (v.bytes().all(|b| b.is_ascii_lowercase()), "lower_only"),
        (v.contains(' '), "space"),
        (v.contains('/') || v.contains('\\'), "slash"),
        // A base64 body's slashes are its alphabet's, not a path's (`i3j9W25+m8laz/mOe...h7=`).
        (is_base64(v) && v.contains('/'), "base64_slash"),
        (v.contains('.'), "dot"),
        (
            v.contains('$') || v.contains('%') || v.contains('{'),
            "sigil",
        ),
        (read.placeholder, "placeholder"),
    ] {
        if on {
            f.push(format!("shape:{name}"));
        }
    }
    f.push(format!("strength:{}", strength_name(read.strength)));
    if let Some(g) = read.guesses_log10 {
        f.push(format!("guesses:{}", (g / 2.0).floor().min(9.0) as u32));
    }
    // How much of the value is dictionary words, names or keyboard patterns: a chosen value
    // is mostly words, a generated one hardly any.
    if let Some(cover) = read.word_cover {
        f.push(format!("words:{}", words_bucket(cover)));
    }
}

/// Only characters of base64, base64url and most token alphabets.
fn token_chars(v: &str) -> bool {
    v.bytes()
        .all(|b| b.is_ascii_alphanumeric() || b"+/=_-".contains(&b))
}

/// A base64 or base64url body of 16 or more characters with digits and letters of both cases.
fn is_base64(v: &str) -> bool {
    v.len() >= 16
        && token_chars(v)
        && v.bytes().any(|b| b.is_ascii_digit())
        && v.bytes().any(|b| b.is_ascii_uppercase())
        && v.bytes().any(|b| b.is_ascii_lowercase())
}

fn is_hex(v: &str) -> bool {
    !v.is_empty() && v.bytes().all(|b| b.is_ascii_hexdigit())
}

fn is_uuid(v: &str) -> bool {
    let parts: Vec<&str> = v.split('-').collect();
    parts.len() == 5
        && parts
            .iter()
            .zip([8, 4, 4, 4, 12])
            .all(|(p, n)| p.len() == n && is_hex(p))
}

impl Model {
    /// The model shipped in `patterns/model.json`.
    pub fn builtin() -> &'static Model {
        &BUILTIN
    }

    /// Scores a candidate by its features; `hand` is what the hand-written model says, and a
    /// commented-out line that is not random-looking stays low whatever the model says (a
    /// leaked value stays a leak in a comment, but `# password: changeme` is a note).
    pub fn judge(&self, features: &[String], hand: Confidence, value: ValueSide) -> Verdict {
        // The known features by their index, in the features' order (the sum adds them in it).
        let mut weighed: Vec<(usize, f64)> = features
            .iter()
            .enumerate()
            .filter_map(|(i, f)| self.weights.get(f.as_str()).map(|w| (i, *w)))
            .collect();
        let logit = self.bias + weighed.iter().map(|(_, w)| w).sum::<f64>();
        let probability = 1.0 / (1.0 + (-logit).exp());
        // A stable sort: equal weights keep the features' order.
        weighed.sort_by(|a, b| b.1.abs().total_cmp(&a.1.abs()));
        weighed.truncate(4);
        let weighed = weighed
            .into_iter()
            .map(|(i, w)| (features[i].clone(), w))
            .collect();
        let weak = value.strength == Strength::Weak;
        // A commented-out value that is not random-looking is a note, and a weak value is at
        // most medium: high promises a generated value or a format.
        let noted = value.commented && value.strength != Strength::Strong;
        let confidence = if noted && probability < self.high {
            Confidence::Low
        } else if probability >= self.high && !weak {
            Confidence::High
        } else if probability >= self.medium
            || hand >= Confidence::Medium && probability >= self.keep
            || probability >= self.high
        {
            Confidence::Medium
        } else {
            Confidence::Low
        };
        Verdict {
            probability,
            confidence,
            weighed,
        }
    }
}

impl Verdict {
    /// The reason, for `--explain`: the probability and what weighed most.
    pub fn reason(&self) -> String {
        let weighed: Vec<String> = self
            .weighed
            .iter()
            .map(|(f, w)| format!("{f} {w:+.1}"))
            .collect();
        format!(
            "model {:.2}: {}",
            self.probability,
            if weighed.is_empty() {
                "no known feature".into()
            } else {
                weighed.join(", ")
            }
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_builtin_model_loads_and_orders_its_thresholds() {
        let m = Model::builtin();
        assert!(m.keep > 0.0 && m.keep <= m.medium && m.medium <= m.high && m.high < 1.0);
        assert!(!m.weights.is_empty());
    }

    #[test]
    fn the_table_holds_every_weight_of_the_file_bit_for_bit() {
        let file: ModelFile = serde_json::from_str(include_str!("../../patterns/model.json"))
            .expect("patterns/model.json parses");
        let m = Model::builtin();
        assert_eq!(file.weights.len(), m.weights.len());
        for (name, w) in &file.weights {
            let got = m.weights.get(name.as_str()).map(|w| w.to_bits());
            assert_eq!(got, Some(w.to_bits()), "{name}");
        }
        assert_eq!(m.weights.get("kw:no-such-word"), None);
    }

    #[test]
    fn shapes() {
        assert!(is_uuid("84228635-7389-9500-5083-188cdd25bc73"));
        assert!(!is_uuid("84228635-7389-9500-5083"));
        assert!(is_base64("i3j9W25+m8lazNEg6Ac7f0n/mOeSA6OFDyWKpzU2oh7="));
        assert!(!is_base64("/etc/ssl/private/tls.key"));
        assert!(!is_base64("charts/app/templates/x"));
    }
}
