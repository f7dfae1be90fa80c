//! Decoders: base64 in its common dialects, basic-auth pairs, and the search for base64 runs.

use std::ops::Range;

use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig};
use base64::engine::DecodePaddingMode;
use base64::{alphabet, Engine};

const LENIENT: GeneralPurposeConfig = GeneralPurposeConfig::new()
    .with_decode_padding_mode(DecodePaddingMode::Indifferent)
    .with_decode_allow_trailing_bits(true);
const STANDARD: GeneralPurpose = GeneralPurpose::new(&alphabet::STANDARD, LENIENT);
const URL_SAFE: GeneralPurpose = GeneralPurpose::new(&alphabet::URL_SAFE, LENIENT);

/// Decodes standard or URL-safe base64, padded or not; `None` when it is neither.
pub fn base64(text: &[u8]) -> Option<Vec<u8>> {
    let text = trim_ascii(text);
    if text.is_empty() {
        return None;
    }
    let url_safe = text.iter().any(|&b| b == b'-' || b == b'_');
    let engine = if url_safe { &URL_SAFE } else { &STANDARD };
    engine.decode(text).ok()
}

/// Decoded bytes as text, when they are UTF-8 without control characters other than whitespace.
pub fn printable(bytes: Vec<u8>) -> Option<String> {
    let text = String::from_utf8(bytes).ok()?;
    let clean = !text.is_empty()
        && text
            .chars()
            .all(|c| !c.is_control() || c == '\n' || c == '\r' || c == '\t');
    clean.then_some(text)
}

/// Splits a decoded basic-auth pair `user:secret` into its secret, when there is one.
pub fn basic_auth_secret(decoded: &str) -> Option<(&str, &str)> {
    let (user, secret) = decoded.split_once(':')?;
    (!secret.is_empty()).then_some((user, secret))
}

/// Bytes that may appear in a base64 run (both alphabets; padding is handled apart).
static BASE64_BYTE: [bool; 256] = {
    let mut table = [false; 256];
    let mut b = 0;
    while b < 256 {
        let c = b as u8;
        table[b] = c.is_ascii_alphanumeric() || c == b'+' || c == b'/' || c == b'-' || c == b'_';
        b += 1;
    }
    table
};

/// [`base64_runs`]' reading of a byte: in a run (either alphabet), and its case.
const IN_RUN: u8 = 1;
const UPPER: u8 = 2;
const LOWER: u8 = 4;
static RUN_CLASS: [u8; 256] = {
    let mut table = [0; 256];
    let mut b = 0;
    while b < 256 {
        let c = b as u8;
        if BASE64_BYTE[b] {
            table[b] = IN_RUN
                | if c.is_ascii_uppercase() { UPPER } else { 0 }
                | if c.is_ascii_lowercase() { LOWER } else { 0 };
        }
        b += 1;
    }
    table
};

/// Whether `text` holds a run of at least `len` characters of one base64 alphabet (standard, or
/// URL-safe): the fewest [`base64`] needs to give `len * 3 / 4` bytes, since it decodes a text
/// in one alphabet or not at all (a URL path mixes `/` and `-`, and decodes as neither).
pub fn has_base64_run(text: &[u8], len: usize) -> bool {
    let standard = |b: u8| b.is_ascii_alphanumeric() || b == b'+' || b == b'/';
    let url_safe = |b: u8| b.is_ascii_alphanumeric() || b == b'-' || b == b'_';
    has_run(text, len, standard) || has_run(text, len, url_safe)
}

/// Whether `text` holds a run of at least `len` bytes that `member` accepts.
fn has_run(text: &[u8], len: usize, member: impl Fn(u8) -> bool) -> bool {
    if len == 0 {
        return true;
    }
    // No run of `len` starts before `from`. The run starting there would end at `probe`:
    // reading back from it, the first byte outside the run skips every start up to it, so
    // most bytes of a text without long runs are never read.
    let mut from = 0;
    while from + len <= text.len() {
        let probe = from + len - 1;
        match (from..=probe).rev().find(|&i| !member(text[i])) {
            None => return true,
            Some(stop) => from = stop + 1,
        }
    }
    false
}

/// Runs of at least `min_len` base64 characters (plus trailing `=`) that may hide encoded text.
///
/// Identifiers are long runs too; a run must mix upper and lower case to be worth decoding,
/// which every base64 encoding of text does and nearly no snake_case name does. The scan looks
/// at every `min_len`-th byte first: a run that long must cover it, so most text is skipped.
pub fn base64_runs(text: &[u8], min_len: usize) -> Vec<Range<usize>> {
    // One table read per byte says whether it is base64 and which case it has: a run of one
    // case (a hex digest, a path) is read once, not again to look for the other case.
    let class = |i: usize| RUN_CLASS[text[i] as usize];
    let n = text.len();
    let mut runs = Vec::new();
    let mut i = 0;
    while min_len > 0 && i + min_len <= n {
        let probe = i + min_len - 1;
        let mut cases = class(probe);
        if cases & IN_RUN == 0 {
            i = probe + 1;
            continue;
        }
        let mut start = probe;
        while start > i {
            let c = class(start - 1);
            if c & IN_RUN == 0 {
                break;
            }
            cases |= c;
            start -= 1;
        }
        let mut end = probe + 1;
        while end < n {
            let c = class(end);
            if c & IN_RUN == 0 {
                break;
            }
            cases |= c;
            end += 1;
        }
        if end - start >= min_len {
            let mixed = cases & (UPPER | LOWER) == UPPER | LOWER;
            if mixed {
                let mut padded = end;
                while padded < n && padded - end < 2 && text[padded] == b'=' {
                    padded += 1;
                }
                runs.push(start..padded);
            }
        }
        i = end + 1;
    }
    runs
}

fn trim_ascii(mut s: &[u8]) -> &[u8] {
    while let [first, rest @ ..] = s {
        if first.is_ascii_whitespace() {
            s = rest;
        } else {
            break;
        }
    }
    while let [rest @ .., last] = s {
        if last.is_ascii_whitespace() {
            s = rest;
        } else {
            break;
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_runs_are_found_as_a_byte_by_byte_count_finds_them() {
        let mut rng = crate::testing::Rng(0x5eed);
        let mut next = |n: usize| rng.next(n);
        for _ in 0..2000 {
            let text: Vec<u8> = (0..next(200))
                .map(|_| {
                    let b = [
                        b'a', b'Z', b'9', b'+', b'_', b'/', b'-', b' ', b'\n', b'=', b':',
                    ][next(11)];
                    if next(4) == 0 {
                        b' '
                    } else {
                        b
                    }
                })
                .collect();
            let len = next(12);
            let longest = |alphabet: &[u8]| {
                let (mut longest, mut run) = (0, 0);
                for &b in &text {
                    run = if b.is_ascii_alphanumeric() || alphabet.contains(&b) {
                        run + 1
                    } else {
                        0
                    };
                    longest = longest.max(run);
                }
                longest
            };
            let expected = longest(b"+/") >= len || longest(b"-_") >= len;
            assert_eq!(has_base64_run(&text, len), expected, "{text:?} {len}");
        }
    }

    #[test]
    fn base64_runs_are_the_long_mixed_case_runs_a_byte_by_byte_walk_finds() {
        let mut rng = crate::testing::Rng(0xb64);
        let mut next = |n: usize| rng.next(n);
        for _ in 0..2000 {
            let text: Vec<u8> = (0..next(300))
                .map(|_| [b'a', b'Z', b'9', b'f', b'/', b'-', b' ', b'\n', b'=', b'.'][next(10)])
                .collect();
            let min_len = 1 + next(24);
            let mut expected = Vec::new();
            let mut at = 0;
            while at < text.len() {
                let len = text[at..]
                    .iter()
                    .take_while(|&&b| BASE64_BYTE[b as usize])
                    .count();
                let run = &text[at..at + len];
                if len >= min_len
                    && run.iter().any(u8::is_ascii_uppercase)
                    && run.iter().any(u8::is_ascii_lowercase)
                {
                    let pad = text[at + len..]
                        .iter()
                        .take(2)
                        .take_while(|&&b| b == b'=')
                        .count();
                    expected.push(at..at + len + pad);
                }
                at += len.max(1);
            }
            assert_eq!(base64_runs(&text, min_len), expected, "{text:?} {min_len}");
        }
    }

    #[test]
    fn dialects() {
        assert_eq!(base64(b"cGFzc3dvcmQ=").unwrap(), b"password");
        assert_eq!(base64(b"cGFzc3dvcmQ").unwrap(), b"password");
        assert_eq!(base64(b"Pz8_").unwrap(), b"???");
        assert!(base64(b"not base64!").is_none());
        assert!(base64(b"").is_none());
    }

    #[test]
    fn printable_rejects_binary() {
        assert_eq!(
            printable(b"user:pass".to_vec()).as_deref(),
            Some("user:pass")
        );
        assert!(printable(vec![0xa6, 0x8b, 0x2c]).is_none());
        assert!(printable(vec![1, 2, 3]).is_none());
    }

    #[test]
    fn runs_at_every_position() {
        for pad in 0..30 {
            let text = format!("{}x \"cGFzc3dvcmQ6IGh1bnRlcjI=\" y", "-".repeat(pad));
            let runs = base64_runs(text.as_bytes(), 20);
            assert_eq!(runs.len(), 1, "pad {pad}");
            assert_eq!(&text[runs[0].clone()], "cGFzc3dvcmQ6IGh1bnRlcjI=");
        }
        assert!(base64_runs(b"short", 20).is_empty());
        assert_eq!(base64_runs(b"QUJDREVGR0hJSktMTU5PUFFS", 20), vec![0..24]);
    }

    #[test]
    fn runs_need_mixed_case_and_length() {
        let text = b"x = \"cGFzc3dvcmQ6IGh1bnRlcjIgYW5kIG1vcmU=\" and some_long_snake_case_identifier_name_here";
        let runs = base64_runs(text, 24);
        assert_eq!(runs.len(), 1);
        assert_eq!(
            &text[runs[0].clone()],
            b"cGFzc3dvcmQ6IGh1bnRlcjIgYW5kIG1vcmU="
        );
    }
}
