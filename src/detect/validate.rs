//! Structural checks that a regex cannot make: a JWT's header, a private key's body.

use super::decode;
use crate::rules::Validate;

/// Whether `secret` passes the rule's structural check.
pub fn passes(check: Validate, secret: &str) -> bool {
    match check {
        Validate::Jwt => jwt(secret),
        Validate::PrivateKey => private_key(secret),
        Validate::NkeySeed => nkey_seed(secret),
    }
}

/// An nkey (NATS) is unpadded base32 of a prefix, the key and a CRC-16/XMODEM of both, little
/// endian: the checksum tells a real seed from a string of the same shape.
fn nkey_seed(seed: &str) -> bool {
    let Ok(bytes) = data_encoding::BASE32_NOPAD.decode(seed.as_bytes()) else {
        return false;
    };
    let Some((body, sum)) = bytes.split_last_chunk::<2>() else {
        return false;
    };
    crc::Crc::<u16>::new(&crc::CRC_16_XMODEM).checksum(body) == u16::from_le_bytes(*sum)
}

/// A JWT has three dot-separated base64url segments; the first is a JSON header with `alg`.
fn jwt(token: &str) -> bool {
    let mut parts = token.split('.');
    let (Some(header), Some(_payload), Some(_sig), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return false;
    };
    decode::base64(header.as_bytes())
        .and_then(|bytes| serde_json::from_slice::<serde_json::Value>(&bytes).ok())
        .is_some_and(|v| v.get("alg").is_some_and(|alg| alg.is_string()))
}

/// A private key block whose body decodes to plausible key material, not a placeholder.
fn private_key(block: &str) -> bool {
    let Some(body) = key_body(block) else {
        return false;
    };
    // A placeholder body (`XXXX...`, `AAAA...`) is valid base64 too; key material in base64
    // uses most of the alphabet within a few lines.
    let mut seen = [false; 256];
    body.bytes().for_each(|b| seen[b as usize] = true);
    if seen.iter().filter(|&&s| s).count() < 16 {
        return false;
    }
    let Some(bytes) = decode::base64(body.as_bytes()) else {
        return false;
    };
    if block.contains("OPENSSH PRIVATE KEY") {
        return bytes.starts_with(b"openssh-key-v1\0");
    }
    bytes.len() >= 64
}

/// The base64 body of a key block, however the file writes it down: one line per base64 line
/// (a key file, a YAML block), escaped newlines in one string (`"-----BEGIN ...\nMIIE...\n"` in
/// JSON), or a string literal per line joined by the language (`"MIIE...\n" +` in Java, Kotlin,
/// Go, JavaScript). `None` when a line holds anything but base64 and that literal syntax: the
/// text between a PEM parser's BEGIN and END constants is code, not a key.
fn key_body(block: &str) -> Option<String> {
    let block = block
        .replace("\\\\n", "\n")
        .replace("\\n", "\n")
        .replace("\\r", "");
    let mut body = String::new();
    for line in block.lines() {
        let line = literal_content(line);
        if line.is_empty()
            || line.starts_with("-----")
            || line.starts_with('=')
            || line.contains(':')
        {
            // blank, the armour (with whatever follows it), a checksum, or a header field
            // (`Proc-Type: 4,ENCRYPTED`)
            continue;
        }
        if !line
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'='))
        {
            return None;
        }
        body.push_str(line);
    }
    Some(body)
}

/// A line of a key block without the string-literal syntax around it: `+ "MIIE...`,
/// `MIIE..." +`, `"MIIE...",`. A `+` or `/` that is part of the base64 stays: only what lies
/// outside the quotes is syntax, and a line with no quote is taken whole.
fn literal_content(line: &str) -> &str {
    let syntax = |c: char| c.is_whitespace() || "+,();&".contains(c);
    let quote = |c: char| matches!(c, '"' | '\'' | '`');
    let mut content = line.trim();
    if let Some(at) = content.find(quote) {
        if content[..at].chars().all(syntax) {
            content = &content[at + 1..];
        }
    }
    if let Some(at) = content.rfind(quote) {
        if content[at + 1..].chars().all(syntax) {
            content = &content[..at];
        }
    }
    if content.chars().all(syntax) {
        return "";
    }
    content.trim()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nkey_seed_checksum_must_match() {
        let seed = "SUAMVNFYGIPNVHAKPGZYSZE6TUYA7N7EOXMLANRNMNZQ5SVFTTKSKSZYJ4";
        assert!(nkey_seed(seed));
        assert!(nkey_seed(
            "SOAFLIQ7SLBYGY7K73736B6FKD5VWBG6YAMNBYOKE2EIHAESU6XUZABQAA"
        ));
        // One character changed: same shape, wrong checksum.
        assert!(!nkey_seed(&seed.replacen("SUAM", "SUAN", 1)));
        assert!(!nkey_seed("SUA1"));
        assert!(!nkey_seed(""));
    }

    #[test]
    fn jwt_header_must_have_alg() {
        // {"alg":"HS256","typ":"JWT"}
        let good = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxIn0.c2ln";
        assert!(jwt(good));
        // {"typ":"JWT"}
        assert!(!jwt("eyJ0eXAiOiJKV1QifQ.eyJzdWIiOiIxIn0.c2ln"));
        assert!(!jwt("eyJhbGciOiJIUzI1NiJ9.only-two"));
    }

    /// A made-up key body in 64-character lines: base64 of no real key, long enough to pass.
    const BODY: &[&str] = &[
        "MIICXAIBAAKBgQC7vbqajDw4o6gJy8UtmIbkcpnkO3Kwc4qsEnSZp/TR+fQi62F7",
        "9mNwCv5ng0Ja4ZmqtxuVpWJqzBZ0lNiRdnV/0Kx6u7xG6NvDHLzYGvZtrwxBnXZi",
        "3TPHUGpj6n6N3LY4QHPbZJ9nmt4SiCeKZFdkCJJ8qTYxCUk1R5bqS4Dd4QIDAQAB",
        "AoGAIyaVF0lIi9qF8gMkFmLU4f1dYcJyPwDB4Cif5P8UwhUC5cOq3Y2v3A0nVbLi",
    ];

    #[test]
    fn key_bodies_in_every_written_form() {
        let armoured = |join: &str, begin: &str, end: &str| {
            format!(
                "-----BEGIN RSA PRIVATE KEY-----{begin}{}{join}-----END RSA PRIVATE KEY-----{end}",
                BODY.join(join)
            )
        };
        // A key file; JSON's escaped newlines; a Kotlin/Java concatenation; JSON inside a
        // Java string, its newlines escaped twice.
        assert!(private_key(&armoured("\n", "\n", "")));
        assert!(private_key(&armoured("\\n", "\\n", "")));
        assert!(private_key(&armoured(
            "\\n\" +\n        \"",
            "\\n\" +\n        \"",
            "\\n\""
        )));
        assert!(private_key(&armoured(
            "\\\\n\"\n      + \"",
            "\\\\n\"\n      + \"",
            ""
        )));
        // Base64 lines may start or end with `+` or `/`; they are not literal syntax.
        let plus = format!(
            "-----BEGIN RSA PRIVATE KEY-----\n+{}\n{}+\n-----END RSA PRIVATE KEY-----",
            &BODY[0][1..],
            &BODY[1][..63]
        );
        assert_eq!(
            key_body(&plus).unwrap().len(),
            128,
            "the + signs are part of the body"
        );
        // A PEM parser's constants with code between them.
        let code = "-----BEGIN RSA PRIVATE KEY-----\";\nlet key = decode(pem, BEGIN, END);\nreturn key;\nconst END = \"-----END RSA PRIVATE KEY-----";
        assert!(!private_key(code));
    }

    #[test]
    fn placeholder_key_body_fails() {
        let xs = format!(
            "-----BEGIN PRIVATE KEY-----\n{}\n-----END PRIVATE KEY-----",
            vec!["X".repeat(64); 4].join("\n")
        );
        assert!(
            !private_key(&xs),
            "replace the XXX with the actual private key"
        );
        let fake = "-----BEGIN PRIVATE KEY-----\nYOUR_KEY_HERE\n-----END PRIVATE KEY-----";
        assert!(!private_key(fake));
    }
}
