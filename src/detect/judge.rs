//! Judging a captured value: is it a credential at all, and is it a weak one?
//!
//! A value in a password-like slot is not a secret when it only points at one (template
//! references, `$VAR`, `<your-password>`, sops or vault references), when it is empty or a
//! boolean, or when it is a mask such as `********` or `***REMOVED***`. Weak values (defaults,
//! placeholders, dictionary words) *are* secrets in deployable configuration, since that is what
//! the audit found; in source code they are usually examples and are dropped by the detector.

use super::entropy::shannon;

/// Whether a captured value is not a credential but a reference, placeholder syntax or mask.
pub fn is_not_a_secret(value: &str) -> bool {
    let v = value.trim();
    if v.is_empty() {
        return true;
    }
    let lower = v.to_ascii_lowercase();
    if NON_VALUES.contains(&lower.as_str()) {
        return true;
    }
    if TEMPLATE_MARKERS.iter().any(|m| v.contains(m)) {
        return true;
    }
    if REFERENCE_PREFIXES.iter().any(|p| lower.starts_with(p)) {
        return true;
    }
    let bytes = v.as_bytes();
    // `$VAR`, `${VAR}`, `$(cmd)`, `%VAR%`, `<your-password>`, YAML tags and block scalars.
    let identifier = |b: &[u8]| {
        !b.is_empty()
            && !b[0].is_ascii_digit()
            && b.iter().all(|c| c.is_ascii_alphanumeric() || *c == b'_')
    };
    if bytes[0] == b'$' && identifier(&bytes[1..]) {
        return true;
    }
    if bytes.len() > 2 && bytes[0] == b'%' && bytes[bytes.len() - 1] == b'%' {
        return true;
    }
    if bytes[0] == b'<' && bytes[bytes.len() - 1] == b'>' {
        return true;
    }
    if bytes[0] == b'!'
        || bytes[0] == b'&'
        || bytes[0] == b'*' && bytes.len() > 1 && bytes[1].is_ascii_alphabetic()
    {
        return true;
    }
    if matches!(
        v,
        "|" | ">" | "|-" | ">-" | "|+" | ">+" | "[]" | "{}" | "\"\"" | "''"
    ) {
        return true;
    }
    // Masks: one repeated character (`********`, `xxxxxx`), or a redaction marker.
    if bytes.len() >= 3 && bytes.iter().all(|&b| b == bytes[0]) && !bytes[0].is_ascii_alphanumeric()
    {
        return true;
    }
    if lower.chars().all(|c| c == 'x') && v.len() >= 3 {
        return true;
    }
    if v.contains("***") || v.contains("REDACTED") || v.contains("REMOVED") {
        return true;
    }
    // The documented examples of cloud providers (AKIAIOSFODNN7EXAMPLE and its secret key).
    if v.ends_with("EXAMPLE") || v.contains("EXAMPLEKEY") {
        return true;
    }
    // Short numbers are lengths, ports and counts, not passwords.
    if bytes.len() < 4 && bytes.iter().all(u8::is_ascii_digit) {
        return true;
    }
    false
}

/// Whether a credential is a placeholder someone meant to replace (`replace-me`, `changeme`,
/// `your-key-here`): it was never secret.
pub fn is_placeholder(value: &str) -> bool {
    let lower = value.trim().to_ascii_lowercase();
    PLACEHOLDER_WORDS.iter().any(|w| lower.contains(w))
}

/// Words that mark a value as a stand-in.
const PLACEHOLDER_WORDS: &[&str] = &[
    "changeme",
    "change-me",
    "change_me",
    "change-in-production",
    "change_in_production",
    "replace-me",
    "replace_me",
    "replaceme",
    "placeholder",
    "your-",
    "your_",
    "example",
    "dummy",
    "sample",
    "not-a-real",
    "notreal",
    "fake",
    "todo",
    "xxx",
];

/// Whether a credential is weak: a default, a placeholder or a dictionary word.
pub fn is_weak(value: &str) -> bool {
    let lower = value.trim().to_ascii_lowercase();
    if WEAK_VALUES.contains(&lower.as_str()) {
        return true;
    }
    if is_placeholder(&lower) || WEAK_WORDS.iter().any(|w| lower.contains(w)) {
        return true;
    }
    lower.len() < 8 || shannon(lower.as_bytes()) < 2.5
}

/// Whether `value` is only its key's name respelled (`JwtSecret => "jwt-secret"`): in code,
/// that maps a name, it does not hold a secret.
pub fn names_itself(key: &[u8], value: &str) -> bool {
    let letters = |b: &[u8]| -> Vec<u8> {
        b.iter()
            .filter(|c| c.is_ascii_alphanumeric())
            .map(u8::to_ascii_lowercase)
            .collect()
    };
    let (k, v) = (letters(key), letters(value.as_bytes()));
    !v.is_empty() && (k == v || k.ends_with(&v) && v.len() >= 6)
}

/// Whether a line names a domain reserved for documentation (RFC 2606 and 6761): a
/// credential next to `example.com` in code is an example.
pub fn mentions_example_domain(line: &[u8]) -> bool {
    const DOMAINS: &[&[u8]] = &[
        b"example.com",
        b"example.org",
        b"example.net",
        b".example",
        b".invalid",
    ];
    DOMAINS
        .iter()
        .any(|d| memchr::memmem::find(line, d).is_some())
}

/// Values that say "nothing here" rather than hold a secret.
const NON_VALUES: &[&str] = &[
    "true",
    "false",
    "yes",
    "no",
    "on",
    "off",
    "null",
    "nil",
    "none",
    "~",
    "undefined",
    "empty",
    "required",
    "optional",
    "string",
    "str",
    "bool",
    "int",
    "read",
    "write",
    "read-all",
    "write-all",
];

/// Substrings of template and interpolation syntax.
const TEMPLATE_MARKERS: &[&str] = &[
    "${",
    "$(",
    "%(",
    "{{",
    "}}",
    "#{",
    "%{",
    "<%",
    "%>",
    "[[",
    "]]",
    "ENC[",
    "process.env",
    "os.environ",
    "os.getenv",
    "getenv(",
    "env(",
    "ENV[",
    "secretKeyRef",
    "valueFrom",
];

/// Prefixes of references to secrets kept elsewhere.
const REFERENCE_PREFIXES: &[&str] = &[
    "vault:",
    "ref+",
    "secretsmanager:",
    "arn:aws:secretsmanager:",
    "arn:aws:ssm:",
    "awssecretsmanager:",
    "sm://",
    "gcp:secretmanager:",
    "projects/",
    "azurekeyvault:",
    "keyvault:",
    "op://",
    "file:",
    "env:",
    "secret:",
    "/run/secrets/",
    "/var/run/secrets/",
];

/// Common defaults and placeholders.
const WEAK_VALUES: &[&str] = &[
    "password",
    "passw0rd",
    "postgres",
    "postgresql",
    "mysql",
    "root",
    "admin",
    "administrator",
    "secret",
    "changeme",
    "change_me",
    "changeit",
    "default",
    "guest",
    "test",
    "testing",
    "demo",
    "example",
    "sample",
    "dev",
    "development",
    "local",
    "letmein",
    "welcome",
    "qwerty",
    "123456",
    "12345678",
    "123456789",
    "1234567890",
    "pass",
    "pass123",
    "password123",
    "admin123",
    "redis",
    "mongo",
    "rabbitmq",
    "user",
    "foobar",
    "foo",
    "bar",
    "hunter2",
];

/// Words that mark a weak value beyond the placeholders: development defaults.
const WEAK_WORDS: &[&str] = &["_dev", "-dev"];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_and_syntax_are_not_secrets() {
        for v in [
            "",
            "  ",
            "true",
            "False",
            "null",
            "~",
            "${DB_PASSWORD}",
            "$(DB_PASSWORD)",
            "{{ .Values.db.password }}",
            "<your-password>",
            "$DB_PASSWORD",
            "%DB_PASSWORD%",
            "ENC[AES256_GCM,data:abc]",
            "vault:secret/data/db#password",
            "!vault |",
            "|",
            "********",
            "xxxxxx",
            "***REMOVED***",
            "8",
            "443",
            "op://vault/item/password",
            "{{ secrets.DB }}",
        ] {
            assert!(is_not_a_secret(v), "{v:?} should not be a secret");
        }
    }

    #[test]
    fn names_that_respell_their_key() {
        assert!(names_itself(b"JwtSecret", "jwt-secret"));
        assert!(names_itself(b"DB_PASSWORD", "db_password"));
        assert!(!names_itself(b"JWT_SECRET", "9f8e7d6c5b4a"));
    }

    #[test]
    fn audit_values_are_secrets_and_weak() {
        for v in [
            "password",
            "postgres",
            "enclii_dev",
            "changeme",
            "replace-me-with-a-real-key",
            "admin",
        ] {
            assert!(!is_not_a_secret(v), "{v:?}");
            assert!(is_weak(v), "{v:?} should be weak");
        }
        assert!(!is_weak("hQ8#vR2!mZp9@Lw4"));
    }
}
