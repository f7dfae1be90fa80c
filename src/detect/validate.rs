//! Structural checks that a regex cannot make: a JWT's header, a private key's body.

use super::decode;
use crate::rules::Validate;

/// Whether `secret` passes the rule's structural check.
pub fn passes(check: Validate, secret: &str) -> bool {
    match check {
        Validate::Jwt => jwt(secret),
        Validate::PrivateKey => private_key(secret),
    }
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
    // Keys embedded in JSON strings carry escaped newlines.
    let block = block.replace("\\n", "\n");
    let body: String = block
        .lines()
        .map(str::trim)
        .filter(|l| !l.starts_with("-----") && !l.contains(':') && !l.starts_with('='))
        .collect();
    let Some(bytes) = decode::base64(body.as_bytes()) else {
        return false;
    };
    if block.contains("OPENSSH PRIVATE KEY") {
        return bytes.starts_with(b"openssh-key-v1\0");
    }
    bytes.len() >= 64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jwt_header_must_have_alg() {
        // {"alg":"HS256","typ":"JWT"}
        let good = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxIn0.c2ln";
        assert!(jwt(good));
        // {"typ":"JWT"}
        assert!(!jwt("eyJ0eXAiOiJKV1QifQ.eyJzdWIiOiIxIn0.c2ln"));
        assert!(!jwt("eyJhbGciOiJIUzI1NiJ9.only-two"));
    }

    #[test]
    fn placeholder_key_body_fails() {
        let fake = "-----BEGIN PRIVATE KEY-----\nYOUR_KEY_HERE\n-----END PRIVATE KEY-----";
        assert!(!private_key(fake));
    }
}
