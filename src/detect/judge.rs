//! Judging a captured value: is it a credential at all, and is it a weak one?
//!
//! A value in a password-like slot is not a secret when it only points at one (template
//! references, `$VAR`, `<your-password>`, sops or vault references), when it is empty or a
//! boolean, or when it is a mask such as `********` or `***REMOVED***`. Weak values (defaults,
//! placeholders, dictionary words) *are* secrets in deployable configuration, since that is what
//! the audit found; in source code they are usually examples and are dropped by the detector.

use std::cell::RefCell;

use super::entropy::shannon;
use super::fasthash::FastMap;

/// Whether a captured value is not a credential but a reference, placeholder syntax or mask.
pub fn is_not_a_secret(value: &str) -> bool {
    // Escaped quotes (`\"$VAR\"` inside a quoted shell line) and a trailing separator
    // (`false,` in JSON-like YAML) wrap the value; judge what they wrap.
    let v = value
        .trim()
        .trim_end_matches([',', ';'])
        .trim_start_matches(['\\', '"', '\''])
        .trim_end_matches(['\\', '"', '\''])
        .trim();
    if v.is_empty() || !v.chars().any(char::is_alphanumeric) {
        return true;
    }
    // Objects and lists: `{` or `[` opening a block, not a value.
    if v.starts_with(['{', '[']) && !v.contains(':') && v.len() <= 2 {
        return true;
    }
    // `%HOSTIP`, `%TESTNUMBER`: variables a test harness or build substitutes.
    if let Some(rest) = v.strip_prefix('%') {
        let name: String = rest
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect();
        if name.len() >= 3 && name.chars().all(|c| !c.is_ascii_lowercase()) {
            return true;
        }
    }
    let lower = v.to_ascii_lowercase();
    if NON_VALUES.contains(&lower.as_str()) {
        return true;
    }
    if TEMPLATE_MARKERS.iter().any(|m| v.contains(m)) || interpolates_php(v) {
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
    if only_variables(bytes) || interpolates_a_credential(bytes) {
        return true;
    }
    // A command's output (`` `pwd` ``, `` `dirname "$0"` ``), not a literal.
    if bytes[0] == b'`' {
        return true;
    }
    if bytes.len() > 2 && bytes[0] == b'%' && bytes[bytes.len() - 1] == b'%' {
        return true;
    }
    // A Nagios or Icinga macro: `$mysql_password$`, `$USER3$`.
    if bytes.len() > 2
        && bytes[0] == b'$'
        && bytes[bytes.len() - 1] == b'$'
        && identifier(&bytes[1..bytes.len() - 1])
    {
        return true;
    }
    if bytes[0] == b'<' && bytes[bytes.len() - 1] == b'>' {
        return true;
    }
    // A command line read to its end: `<password> --os-domain-name=<domain> token issue`.
    if let Some((first, _)) = v.split_once(char::is_whitespace) {
        if first.len() > 2 && first.starts_with('<') && first.ends_with('>') {
            return true;
        }
    }
    if is_yaml_tag(bytes)
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
    // The documented examples of cloud providers (AKIAIOSFODNN7EXAMPLE and its secret key),
    // which mark a long example value with `EXAMPLE` inside it or `example` at its end.
    if v.ends_with("EXAMPLE")
        || v.len() >= 16 && (v.contains("EXAMPLE") || lower.ends_with("example"))
    {
        return true;
    }
    if is_arn(v) || is_public_key(v) {
        return true;
    }
    // Short numbers are lengths, ports and counts, not passwords; nor is a letter or two.
    if bytes.len() < 4 && bytes.iter().all(u8::is_ascii_digit) || v.chars().count() <= 2 {
        return true;
    }
    // `$insta::secret`: a variable of another section (OpenSSL configuration, Perl), and
    // `$CPAN::Config->{password}` (the value stops at `>`, leaving the arrow's `-`).
    if bytes[0] == b'$' && v.len() > 1 && is_expression(v[1..].trim_end_matches('-')) {
        return true;
    }
    // The rest of a scope path after its first `:` (`Credential::USE_HTTP_PATH` read as a
    // key, a colon and a value), or a Ruby symbol (`password: :default`).
    if let Some(rest) = v.strip_prefix(':') {
        let rest = rest.strip_prefix(':').unwrap_or(rest);
        if is_expression(&format!("Scope::{rest}")) {
            return true;
        }
    }
    is_positional(bytes)
        || is_route_target(v)
        || is_selector(v)
        || is_alternation_of_names(v)
        || is_version(v)
        || is_format_string(v)
        || is_path(v)
        || is_file_name(&lower)
        || is_expression(v)
        || is_prose(v)
        || is_substitution_token(v)
}

/// Whether a value is `$` variables and what joins them, with no literal letter or digit of
/// its own: `$VAR`, `$user:$pass`, `$_[1]`, `$cred->{'password'}`, `$config{'db_pass'}`
/// (`${VAR}` is a template marker).
fn only_variables(bytes: &[u8]) -> bool {
    let mut rest = bytes;
    let mut variables = 0;
    let mut literal = false;
    while let Some((&b, tail)) = rest.split_first() {
        if b != b'$' {
            literal |= b.is_ascii_alphanumeric();
            rest = tail;
            continue;
        }
        // `$6$`, `$2y$10$`: a crypt hash's fields, not a variable.
        if !tail
            .first()
            .is_some_and(|c| c.is_ascii_alphabetic() || *c == b'_')
        {
            literal = true;
            rest = tail;
            continue;
        }
        variables += 1;
        let name = tail
            .iter()
            .take_while(|c| c.is_ascii_alphanumeric() || **c == b'_')
            .count();
        rest = &tail[name..];
        // A subscript or a field names a part of the variable (`{'password'}`, `[1]`, `->`).
        let mut part = false;
        loop {
            if let Some(field) = rest.strip_prefix(b"->") {
                rest = field;
            } else if let Some(open @ (b'[' | b'{')) = rest.first().copied() {
                let close = if open == b'[' { b']' } else { b'}' };
                let end = rest
                    .iter()
                    .position(|&c| c == close)
                    .map_or(rest.len(), |e| e + 1);
                rest = &rest[end..];
            } else {
                break;
            }
            part = true;
        }
        // `$apr1$salt$hash`: fields of a hash, where names of variables would be apart.
        literal |= !part && rest.first() == Some(&b'$');
    }
    variables > 0 && !literal
}

/// Whether a value interpolates a variable that holds the credential: an environment
/// variable (`::add-mask::$PASSWORD`) or one named for a credential (`"mime-$token"`). The
/// `$` opens the value or follows a separator, so `Pa$SWORD` and `pa$$word` stay literals.
fn interpolates_a_credential(bytes: &[u8]) -> bool {
    bytes.iter().enumerate().any(|(i, &b)| {
        if b != b'$' || i > 0 && (bytes[i - 1].is_ascii_alphanumeric() || bytes[i - 1] == b'$') {
            return false;
        }
        let name = &bytes[i + 1..];
        let len = name
            .iter()
            .take_while(|c| c.is_ascii_alphanumeric() || **c == b'_')
            .count();
        let name = &name[..len];
        if len < 3 || !name[0].is_ascii_alphabetic() && name[0] != b'_' {
            return false;
        }
        let environment = name
            .iter()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || *c == b'_')
            && name.iter().filter(|c| c.is_ascii_uppercase()).count() >= 3;
        environment || has_credential_word(&String::from_utf8_lossy(name))
    })
}

/// PHP's interpolation of an expression in a string, `{$this->getToken()}`: `{$` before a
/// name and a closing brace.
fn interpolates_php(v: &str) -> bool {
    v.match_indices("{$").any(|(i, _)| {
        let rest = &v[i + 2..];
        rest.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_') && rest.contains('}')
    })
}

/// A CSS class or an event's namespace (`.data-api`, `.is-hidden`): a name after a dot.
fn is_selector(v: &str) -> bool {
    v.strip_prefix('.').is_some_and(|name| {
        name.len() >= 3
            && name
                .split(['-', '_'])
                .all(|w| !w.is_empty() && w.bytes().all(|b| b.is_ascii_lowercase()))
            && name.contains(['-', '_'])
    })
}

/// A web framework's route target, `controller#action` (`active_storage/disk#update`), which a
/// route maps a path such as `/disk/:encoded_token` to.
fn is_route_target(v: &str) -> bool {
    let Some((controller, action)) = v.split_once('#') else {
        return false;
    };
    let lower_words = |s: &str, slash: bool| {
        !s.is_empty()
            && s.bytes()
                .all(|b| b.is_ascii_lowercase() || b == b'_' || slash && b == b'/')
            && s.split(['/', '_'])
                .all(|w| !w.is_empty() && reads_as_name(w))
    };
    lower_words(controller, true) && lower_words(action, false)
}

/// Alternatives of names joined by `|` (`PASSWORD|-PASS`, `pass|passwd|password`): a pattern
/// that matches a key, not a value.
fn is_alternation_of_names(v: &str) -> bool {
    let parts: Vec<&str> = v.split('|').collect();
    parts.len() >= 2
        && parts.iter().all(|p| {
            let p = p.trim_start_matches('-');
            !p.is_empty() && p.bytes().all(|b| b.is_ascii_alphabetic() || b == b'_')
        })
        && parts.iter().any(|p| has_credential_word(p))
}

/// Whether one of the words of a name (`api_token`, `dbPassword`) is a credential word.
fn has_credential_word(name: &str) -> bool {
    split_words(name)
        .iter()
        .any(|w| CREDENTIAL_WORDS.contains(&w.as_str()))
}

/// A public key in base64 DER (`MFkwEwYHKoZIzj0CAQYI...`, `MIIBIjANBgkqhkiG9w0BAQEF...`): a
/// SubjectPublicKeyInfo, a SEQUENCE that opens with the algorithm's SEQUENCE and its OID,
/// where a private key (PKCS#1, PKCS#8, SEC 1) opens with a version INTEGER. Registries,
/// JWT verifiers and package managers publish these; they are meant to be read.
fn is_public_key(v: &str) -> bool {
    if v.len() < 40 || !v.starts_with('M') {
        return false;
    }
    let Some(der) = super::decode::base64(v.as_bytes()) else {
        return false;
    };
    // A DER length: one byte below 0x80, or 0x81/0x82 and its bytes.
    let skip_len = |at: usize| -> Option<usize> {
        match *der.get(at)? {
            n if n < 0x80 => Some(at + 1),
            0x81 => Some(at + 2),
            0x82 => Some(at + 3),
            _ => None,
        }
    };
    let outer = der.first() == Some(&0x30);
    let inner = skip_len(1).filter(|&i| der.get(i) == Some(&0x30));
    let oid = inner
        .and_then(|i| skip_len(i + 1))
        .filter(|&i| der.get(i) == Some(&0x06));
    outer && oid.is_some()
}

/// A YAML tag (`!Ref`, `!!binary`, `!secret db_password`, `!vault |`): a word after `!`, up
/// to the end or a blank. `!Xk3q9v!` is a value that starts with `!`.
fn is_yaml_tag(bytes: &[u8]) -> bool {
    let Some(rest) = bytes.strip_prefix(b"!") else {
        return false;
    };
    let rest = rest.strip_prefix(b"!").unwrap_or(rest);
    rest.iter()
        .take_while(|b| !b.is_ascii_whitespace())
        .all(|b| b.is_ascii_alphanumeric() || b"_.:/<>-".contains(b))
}

/// An Amazon Resource Name (`arn:aws:iam::aws:policy/...`), or a pattern matching some
/// (`^arn:[a-z]*:secretsmanager:...`): it names a resource, and `:secret:` inside one is no key.
pub fn is_arn(v: &str) -> bool {
    let v = v.trim_start_matches('^');
    let Some(rest) = v.strip_prefix("arn:") else {
        return false;
    };
    let partition = rest.split(':').next().unwrap_or("");
    rest.contains(':') && (partition.starts_with("aws") || partition.starts_with(['*', '[', '.']))
}

/// Whether the text before a key holds the start of an ARN the key is part of
/// (`"arn:aws:secretsmanager:us-east-1:123:secret:name"`).
pub fn inside_arn(before: &[u8]) -> bool {
    let token = before
        .iter()
        .rev()
        .take_while(|&&b| !b.is_ascii_whitespace() && !matches!(b, b'"' | b'\'' | b'`' | b'='))
        .count();
    is_arn(&String::from_utf8_lossy(&before[before.len() - token..]))
}

/// A version or a package manager's version range (`^7.1.2`, `~> 2.0`, `>=1.4.0-rc.1`), or
/// an IPv4 address: `"minipass": "^7.1.2"` is a dependency whose name ends in `pass`.
fn is_version(v: &str) -> bool {
    let rest = v.trim_start_matches(['^', '~', '>', '<', '=', 'v', ' ']);
    let core = rest.split(['-', '+']).next().unwrap_or(rest);
    let parts: Vec<&str> = core.split('.').collect();
    let operator = rest.len() < v.len();
    parts.len() >= if operator { 2 } else { 3 }
        && parts[0].bytes().all(|b| b.is_ascii_digit())
        && parts.iter().all(|p| {
            !p.is_empty() && (p.bytes().all(|b| b.is_ascii_digit()) || *p == "x" || *p == "*")
        })
}

/// A URL or `host:port` address without credentials in it: where a service is, not a secret.
pub fn is_plain_url(v: &str) -> bool {
    let Some((scheme, rest)) = v.split_once("://") else {
        return false;
    };
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    !scheme.is_empty()
        && scheme
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'+' || b == b'-' || b == b'.')
        && !authority.contains('@')
        && !rest.contains(char::is_whitespace)
        && !rest.contains(['?', '='])
}

/// A crypt(3) hash (`$6$salt$...`, `$2y$10$...`, `$apr1$`, `$y$`, `$argon2id$`): what a
/// system stores, not a password a client sends.
pub fn is_crypt_hash(v: &str) -> bool {
    let Some(rest) = v.strip_prefix('$') else {
        return is_framework_hash(v) || is_ldap_hash(v);
    };
    let Some((scheme, body)) = rest.split_once('$') else {
        return false;
    };
    matches!(
        scheme,
        "1" | "2"
            | "2a"
            | "2b"
            | "2x"
            | "2y"
            | "5"
            | "6"
            | "7"
            | "y"
            | "gy"
            | "apr1"
            | "argon2i"
            | "argon2d"
            | "argon2id"
            | "pbkdf2-sha256"
            | "pbkdf2-sha512"
            | "scrypt"
    ) && body.len() >= 16
}

/// A hash as Django and passlib store it, `<algorithm>$<parameters>$<salt>$<hash>`
/// (`pbkdf2_sha256$600000$...`, `argon2$argon2id$...`, `bcrypt_sha256$$2b$12$...`).
fn is_framework_hash(v: &str) -> bool {
    let Some((scheme, body)) = v.split_once('$') else {
        return false;
    };
    matches!(
        scheme,
        "pbkdf2_sha256"
            | "pbkdf2_sha1"
            | "argon2"
            | "bcrypt"
            | "bcrypt_sha256"
            | "scrypt"
            | "sha1"
            | "md5"
            | "unsalted_sha1"
    ) && body.len() >= 16
        && body.contains('$')
}

/// A hash under an LDAP or Dovecot scheme name (`{SSHA}...`, `{BLF-CRYPT}$2y$...`); the
/// plaintext schemes (`{PLAIN}`, `{CLEARTEXT}`) hold the password itself.
fn is_ldap_hash(v: &str) -> bool {
    let Some((scheme, body)) = v.strip_prefix('{').and_then(|r| r.split_once('}')) else {
        return false;
    };
    let scheme = scheme.to_ascii_uppercase();
    let hashes = [
        "SSHA",
        "SHA",
        "SSHA256",
        "SSHA512",
        "SHA256",
        "SHA512",
        "SMD5",
        "MD5",
        "CRYPT",
        "BLF-CRYPT",
        "SHA256-CRYPT",
        "SHA512-CRYPT",
        "MD5-CRYPT",
        "PBKDF2",
        "ARGON2I",
        "ARGON2ID",
        "SCRAM-SHA-1",
        "SCRAM-SHA-256",
    ];
    hashes.contains(&scheme.as_str()) && body.len() >= 12
}

/// Whether the text before a value on its line leaves an interpolation open (`${`, `{{`,
/// `<%`, `#{`, `$(`): the value is part of an expression, not a literal.
pub fn inside_interpolation(prefix: &[u8]) -> bool {
    let last = |needle: &[u8]| memchr::memmem::rfind(prefix, needle);
    let open_after = |open: &[u8], close: &[u8]| match last(open) {
        Some(o) => match last(close) {
            Some(c) => c < o,
            None => true,
        },
        None => false,
    };
    // `${TOKEN:-literal}`: the default after `:-` or `-` is a literal, and a secret.
    let default_literal = last(b"${").is_some_and(|o| {
        let inside = &prefix[o + 2..];
        let name = inside
            .iter()
            .take_while(|b| b.is_ascii_alphanumeric() || **b == b'_')
            .count();
        name > 0 && matches!(&inside[name..], b":-" | b"-" | b":=" | b"=")
    });
    open_after(b"{{", b"}}")
        || open_after(b"${", b"}") && !default_literal
        || open_after(b"<%", b"%>")
        || open_after(b"#{", b"}")
        || open_after(b"$(", b")")
}

/// Shell positionals and specials: `$1`, `"$3"`, `$@`, `${1}`.
fn is_positional(bytes: &[u8]) -> bool {
    match bytes {
        [b'$', rest @ ..] if !rest.is_empty() => {
            rest.iter().all(u8::is_ascii_digit) || matches!(rest, b"@" | b"*" | b"#" | b"?")
        }
        _ => false,
    }
}

/// printf and Python format strings: the value is filled in elsewhere (`%s`, `{}`, `{0}`,
/// `{password}`, `{OS_PASSWORD}`).
fn is_format_string(v: &str) -> bool {
    const CONVERSIONS: &[&str] = &["%s", "%d", "%v", "%q", "%r", "%x", "%+v", "%#v"];
    if CONVERSIONS.iter().any(|c| v.contains(c)) {
        return true;
    }
    // `{SHA}`, `{SSHA}`, `{CRYPT}`: the scheme of an LDAP or htpasswd hash, not a field.
    let hash_scheme = v.starts_with('{')
        && v[1..].split_once('}').is_some_and(|(scheme, rest)| {
            !rest.is_empty()
                && scheme
                    .bytes()
                    .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'-')
        });
    if hash_scheme {
        return false;
    }
    let mut rest = v;
    while let Some(open) = rest.find('{') {
        let after = &rest[open + 1..];
        let Some(close) = after.find('}') else { break };
        let inner = &after[..close];
        if inner.is_empty()
            || inner
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'.' || b == b':')
        {
            return true;
        }
        rest = &after[close + 1..];
    }
    false
}

/// A filesystem path: absolute, home- or dot-relative, or Windows, whose parts read as names
/// (a random base64 value may start with `/`, but its parts do not read as names).
fn is_path(v: &str) -> bool {
    let rest = ["/", "./", "../", "~/"]
        .iter()
        .find_map(|p| v.strip_prefix(p))
        .or_else(|| variable_root(v))
        .or_else(|| {
            let b = v.as_bytes();
            (b.len() > 3 && b[0].is_ascii_alphabetic() && b[1] == b':' && b[2] == b'\\')
                .then(|| &v[3..])
        });
    let Some(rest) = rest else { return false };
    !v.contains(char::is_whitespace)
        && rest
            .split(['/', '\\'])
            .filter(|part| !part.is_empty())
            .all(reads_as_name)
}

/// The rest of a path rooted at a variable: `$HOME/`, `${dir}/`, `$(TOP)/`.
fn variable_root(v: &str) -> Option<&str> {
    let rest = v.strip_prefix('$')?;
    let (name, rest) = match rest.as_bytes().first()? {
        b'{' => rest[1..].split_once('}')?,
        b'(' => rest[1..].split_once(')')?,
        _ => rest.split_once('/')?,
    };
    let rest = rest.strip_prefix('/').unwrap_or(rest);
    (!name.is_empty() && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_'))
        .then_some(rest)
}

/// A path or name part: letters with at most light capitalisation, digits, `.-_@`.
fn reads_as_name(part: &str) -> bool {
    let ok = part
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b".-_@*".contains(&b));
    let upper = part.bytes().filter(u8::is_ascii_uppercase).count();
    let digits = part.bytes().filter(u8::is_ascii_digit).count();
    ok && (upper <= 1 || upper == part.len()) && digits * 3 <= part.len().max(1)
}

/// A bare file name with an extension that credentials live in (`key.json`, `tls.key`).
fn is_file_name(lower: &str) -> bool {
    const EXTENSIONS: &[&str] = &[
        "json",
        "pem",
        "key",
        "crt",
        "cer",
        "cert",
        "p12",
        "pfx",
        "jks",
        "keystore",
        "txt",
        "yaml",
        "yml",
        "conf",
        "cfg",
        "ini",
        "env",
        "properties",
        "xml",
        "der",
        "gpg",
        "asc",
        "pub",
        "ppk",
        "kdbx",
        "csv",
        "sh",
        "toml",
        "o",
        "so",
        "a",
    ];
    let Some((stem, ext)) = lower.rsplit_once('.') else {
        return false;
    };
    EXTENSIONS.contains(&ext)
        && !stem.is_empty()
        && stem
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b".-_/".contains(&b))
        && stem.split(['/', '.', '-', '_']).all(reads_as_name)
}

/// Code and template expressions rather than literals: Helm `.Values.x`, Terraform `var.x`
/// and `random_password.db.result`, function calls, and identifiers that name a credential
/// (`adminPassword`, `self.secret_key`).
fn is_expression(v: &str) -> bool {
    const PREFIXES: &[&str] = &[
        ".Values.",
        ".Release.",
        ".Chart.",
        "$.Values.",
        "$.",
        "var.",
        "local.",
        "module.",
        "data.",
        "each.",
        "self.",
        "this.",
        "config.",
        "settings.",
        "env.",
        "secrets.",
        "vars.",
        "params.",
        "inputs.",
        "props.",
        "args.",
        "options.",
        "opts.",
    ];
    if PREFIXES.iter().any(|p| v.starts_with(p)) && !v.contains(char::is_whitespace) {
        return true;
    }
    let ident_char = |b: u8| b.is_ascii_alphanumeric() || b == b'_';
    let bytes = v.as_bytes();
    // `try(var.password, null)`, `getPassword()`, `os.Getenv("X").strip()`: a call, with
    // nothing after its closing parenthesis but more calls or fields (`s:(x)y` is no call).
    if let Some(open) = v.find('(') {
        let head = &bytes[..open];
        if !head.is_empty()
            && (head[0].is_ascii_alphabetic() || head[0] == b'_')
            && head
                .iter()
                .all(|&b| ident_char(b) || b == b'.' || b == b':')
            && after_call(&bytes[open..]).map_or(true, |rest| rest.is_empty() || rest[0] == b'.')
        {
            return true;
        }
    }
    // A dotted reference such as `random_password.master.result`: three identifier parts.
    let parts: Vec<&str> = v.split('.').collect();
    if parts.len() >= 3
        && parts.iter().all(|p| {
            !p.is_empty()
                && p.bytes().all(ident_char)
                && !p.as_bytes()[0].is_ascii_digit()
                && reads_as_name(p)
        })
    {
        return true;
    }
    // A path in Rust, C++, PHP or Ruby: `proc_macro2::TokenStream`, `Config::DEFAULT_KEY`.
    let segments: Vec<&str> = v.split("::").collect();
    if segments.len() >= 2
        && segments.iter().all(|p| {
            let p = p.split(['<', '(']).next().unwrap_or(p);
            !p.is_empty() && p.bytes().all(ident_char) && !p.as_bytes()[0].is_ascii_digit()
        })
    {
        return true;
    }
    is_header_name(v) || is_credential_identifier(v)
}

/// The name of an HTTP header that carries a credential (`X-Access-Token`, `x-api-key`): what
/// code sends the credential under, not the credential.
fn is_header_name(v: &str) -> bool {
    let parts: Vec<&str> = v.split('-').collect();
    let words = &parts[1..];
    parts[0].eq_ignore_ascii_case("x")
        && words.len() >= 2
        && words
            .iter()
            .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_alphabetic()))
        && words
            .iter()
            .any(|p| CREDENTIAL_WORDS.contains(&p.to_ascii_lowercase().as_str()))
}

/// What follows the parentheses opening `call` (which starts with `(`), or `None` if they do
/// not close.
fn after_call(call: &[u8]) -> Option<&[u8]> {
    let mut depth = 0usize;
    for (i, &b) in call.iter().enumerate() {
        match b {
            b'(' => depth += 1,
            b')' => {
                depth -= 1;
                if depth == 0 {
                    return Some(&call[i + 1..]);
                }
            }
            _ => {}
        }
    }
    None
}

/// An identifier of two or more words, one of them a credential word: `adminPassword`,
/// `DB_PASSWORD`, `secret_key_base`. A lone `password` is a weak value, not a name.
fn is_credential_identifier(v: &str) -> bool {
    // A leading underscore marks a private name in Python and others (`_DSAPrivateKey`, a
    // type named in an annotation): code, whatever its case.
    let private = v.starts_with('_');
    let v = v.trim_start_matches('_');
    let bytes = v.as_bytes();
    if bytes.is_empty()
        || !bytes[0].is_ascii_alphabetic()
        || !bytes
            .iter()
            .all(|&b| b.is_ascii_alphanumeric() || b == b'_' || b == b'.')
    {
        return false;
    }
    // camelCase, snake_case and dotted names are code; PascalCase (`SuperSecret`) reads as a
    // chosen password as often as a type name, so it stays a value.
    let camel = bytes[0].is_ascii_lowercase() && bytes.iter().any(u8::is_ascii_uppercase);
    let joined = private || v.contains(['_', '.']);
    let words = split_words(v);
    (camel || joined)
        && words_only(&words)
        && words.len() >= 2
        && words.iter().any(|w| CREDENTIAL_WORDS.contains(&w.as_str()))
        && !words
            .iter()
            .any(|w| w.len() >= 3 && w.bytes().all(|b| b.is_ascii_digit()))
}

/// Splits `adminPassword`, `DB_PASSWORD`, `jwt-secret.key` into lowercase words.
pub fn split_words(v: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut word = String::new();
    let mut prev_lower = false;
    for c in v.chars() {
        if !c.is_ascii_alphanumeric() {
            if !word.is_empty() {
                words.push(std::mem::take(&mut word));
            }
            prev_lower = false;
            continue;
        }
        if c.is_ascii_uppercase() && prev_lower && !word.is_empty() {
            words.push(std::mem::take(&mut word));
        }
        prev_lower = c.is_ascii_lowercase() || c.is_ascii_digit();
        word.push(c.to_ascii_lowercase());
    }
    if !word.is_empty() {
        words.push(word);
    }
    words
}

/// Words that say a name is about a credential.
const CREDENTIAL_WORDS: &[&str] = &[
    "password",
    "passwd",
    "pass",
    "pwd",
    "secret",
    "secrets",
    "token",
    "tokens",
    "key",
    "keys",
    "apikey",
    "credential",
    "credentials",
    "creds",
    "auth",
    "tls",
    "cert",
    "certs",
    "certificate",
    "passphrase",
    "keystore",
    "truststore",
    "htpasswd",
    "kubeconfig",
    "license",
];

/// A Kubernetes-style object or key name that names a credential rather than holding one:
/// `postgresql-password`, `cockroachdb-root-tls`, `myapp.local-tls`, `git-credentials`.
/// Placeholders (`replace-me-with-a-real-key`) are values, and stay.
pub fn names_a_credential(v: &str) -> bool {
    let name_like = !v.is_empty()
        && v.bytes().all(|b| {
            b.is_ascii_lowercase()
                || b.is_ascii_digit()
                || matches!(b, b'-' | b'.' | b'_' | b':' | b'/')
        })
        && v.contains(['-', '.', '_', ':', '/'])
        && v.as_bytes()[0].is_ascii_alphanumeric()
        && v.as_bytes()[v.len() - 1].is_ascii_alphanumeric();
    if !name_like || is_placeholder(v) {
        return false;
    }
    let words = split_words(v);
    words.len() >= 2
        && words_only(&words)
        && words
            .iter()
            .any(|w| CREDENTIAL_WORDS.contains(&w.as_str()) || w == "root" || w == "admin")
}

/// Whether every word reads as one: letters only or digits only, two characters or more on
/// average (`ghcr_registry_token_2f9a7c1e` ends in a random part, so it is a value).
fn words_only(words: &[String]) -> bool {
    words.iter().all(|w| {
        w.bytes().all(|b| b.is_ascii_alphabetic()) || w.bytes().all(|b| b.is_ascii_digit())
    }) && words.iter().map(String::len).sum::<usize>() >= 2 * words.len()
}

/// Whether `key` names an entry of a Secret rather than holding a credential
/// (`existingSecretKey`, `tokenSecretKey`, `passwordKey`, `secretName`), and `value` reads as
/// such a name (`token`, `hosted-grafana-id`).
fn names_an_entry(key: &[u8], value: &str) -> bool {
    // A Kubernetes-style name (`hosted-grafana-id`) or a CI secret's (`DOCKERHUB_USERNAME`).
    let charset = |upper: bool| {
        value.bytes().all(|b| {
            (if upper {
                b.is_ascii_uppercase()
            } else {
                b.is_ascii_lowercase()
            }) || b.is_ascii_digit()
                || matches!(b, b'-' | b'.' | b'_')
        })
    };
    let name_value = value.len() <= 64
        && (charset(false) || charset(true))
        && value.bytes().filter(u8::is_ascii_digit).count() * 4 <= value.len();
    if !name_value {
        return false;
    }
    let words = split_words(&String::from_utf8_lossy(key));
    let n = words.len();
    let ends = |a: &str, b: &str| n >= 2 && words[n - 2] == a && words[n - 1] == b;
    (n >= 3 && ends("secret", "key"))
        || ends("password", "key")
        || ends("token", "key")
        || ends("passwd", "key")
        // The secret that holds the user name to log in with (`username_secret: REGISTRY_USER`).
        || ends("username", "secret")
        || matches!(
            words.last().map(String::as_str),
            Some("name" | "ref" | "file" | "path" | "filename" | "id" | "selector" | "field")
        )
}

/// Whether the key that follows `before` ends a quoted qualified name (`"AWS::KMS::Key"`,
/// `'Crypt::Secret'`): a type or module named as a map's key, not a setting.
pub fn ends_a_quoted_qualified_name(before: &[u8]) -> bool {
    let name = before
        .iter()
        .rev()
        .take_while(|&&b| b.is_ascii_alphanumeric() || b == b'_' || b == b':')
        .count();
    let qualifier = &before[before.len() - name..];
    qualifier.ends_with(b"::")
        && matches!(
            before.len().checked_sub(name + 1).map(|i| before[i]),
            Some(b'"' | b'\'')
        )
}

/// Whether the text after a value makes the value a declaration's type: `NAME: Type = ...`
/// (`api_token: Final[str] = ...`, `BYPASS: _bindgen_ty_24 = ...`), where the value is the
/// part after `=`, which the typed-assignment rule reads.
pub fn annotates_a_type(after: &[u8]) -> bool {
    let mut rest = after;
    if let Some(open @ (b'[' | b'<')) = rest.first().copied() {
        let close = if open == b'[' { b']' } else { b'>' };
        let Some(end) = rest.iter().position(|&b| b == close || b == b'\n') else {
            return false;
        };
        if rest[end] != close {
            return false;
        }
        rest = &rest[end + 1..];
    }
    let rest = rest.trim_ascii_start();
    rest.first() == Some(&b'=') && !matches!(rest.get(1), Some(b'=' | b'>' | b'~'))
}

/// Whether `key` names a token that is no credential: a position in a paged listing
/// (`NextToken`, `output_token`, `nextPageToken`), a request's idempotency or concurrency token
/// (`ClientRequestToken`, `ChangeToken`, `update_token`), or a lexical token of a language
/// model's vocabulary (`eos_token`, `max_tokens`).
fn names_a_non_credential_token(key: &[u8]) -> bool {
    const QUALIFIERS: &[&str] = &[
        "next",
        "prev",
        "previous",
        "page",
        "continuation",
        "pagination",
        "continue",
        "cursor",
        "starting",
        "start",
        "end",
        "ending",
        "forward",
        "backward",
        "resume",
        "sync",
        "cancel",
        "cancellation",
        "csrf",
        "xsrf",
        "input",
        "output",
        "bos",
        "eos",
        "pad",
        "unk",
        "sep",
        "cls",
        "mask",
        "special",
        "added",
        "max",
        "num",
        "total",
        "change",
        "creation",
        "idempotency",
        "request",
        "lock",
        "client",
        "sequence",
        "update",
        "lifecycle",
        "type",
        "kind",
    ];
    let words = split_words(&String::from_utf8_lossy(key));
    let n = words.len();
    n >= 2
        && matches!(words[n - 1].as_str(), "token" | "tokens" | "marker")
        && QUALIFIERS.contains(&words[n - 2].as_str())
}

/// Whether what a key says makes its value no credential: it names an entry of a Secret, a
/// token that is no credential, a grammar's keyword, the working directory or a build's
/// feature switch.
pub fn key_holds_no_credential(key: &[u8], value: &str) -> bool {
    names_an_entry(key, value)
        || names_a_non_credential_token(key)
        || is_lexical_token(key, value)
        || is_working_directory(key, value)
        || is_feature_switch(key)
        || is_autoconf_result(key)
}

/// Whether a key is one of autoconf's cache variables (`ac_cv_member_struct_passwd_pw_passwd`):
/// the result of a feature check, `yes` or `no`, in every generated `configure` script.
fn is_autoconf_result(key: &[u8]) -> bool {
    key.len() > 6 && key[..6].eq_ignore_ascii_case(b"ac_cv_")
}

/// Whether a key is a build's feature switch (`--enable-spasswd`, `--with-ldap-passwd`), which
/// turns a feature on or names a package: what follows it is prose or another option.
fn is_feature_switch(key: &[u8]) -> bool {
    ["enable-", "disable-", "with-", "without-"]
        .iter()
        .any(|p| key.len() > p.len() && key[..p.len()].eq_ignore_ascii_case(p.as_bytes()))
}

/// Whether a key named for the working directory (`PWD`, `ac_pwd`, `OLDPWD`) holds the
/// command that prints it (`pwd`): shells and build scripts, not a password.
fn is_working_directory(key: &[u8], value: &str) -> bool {
    // The shell's own variables hold the working directory whatever they are compared with.
    if matches!(key, b"PWD" | b"OLDPWD") {
        return true;
    }
    let command = value.trim_matches(|c| c == '`' || c == '$' || c == '(' || c == ')');
    let ends = |word: &[u8]| {
        key.len() >= word.len() && key[key.len() - word.len()..].eq_ignore_ascii_case(word)
    };
    matches!(command, "pwd" | "pwd -P" | "pwd -L") && (ends(b"pwd") || ends(b"cwd"))
}

/// Whether `value`, under a key named just `token`, is a keyword of a grammar or a protocol
/// (`"token": "RESET"` in a table of commands, `token: SELECT` in a lexer's tests): a word in
/// one case. A qualified key (`oauth_token`, `api_token`) says it holds a credential.
fn is_lexical_token(key: &[u8], value: &str) -> bool {
    // Only the key's letters: `"token`, `:tokens`, `$token`.
    let mut letters_of_key = key.iter().filter(|b| b.is_ascii_alphanumeric());
    let bare: Vec<u8> = letters_of_key
        .by_ref()
        .take(7)
        .map(u8::to_ascii_lowercase)
        .collect();
    if letters_of_key.next().is_some() || !matches!(&bare[..], b"token" | b"tokens") {
        return false;
    }
    // A word in capitals, perhaps numbered (`RESET`, `AUTH2`), or a word in lower case that
    // reads as one (`normal`; a random `wllfccvrzl` is a token).
    let letters = value.trim_end_matches(|c: char| c.is_ascii_digit());
    (2..=16).contains(&letters.len())
        && value.len() - letters.len() <= 2
        && (letters.bytes().all(|b| b.is_ascii_uppercase())
            || letters.bytes().all(|b| b.is_ascii_lowercase())
                && strength(value, &[]) == Strength::Weak)
}

/// Prose and instructions: several words with spaces (`Root Password here...`), or a dashed
/// sentence telling the reader what to do (`you-must-create-a-kong-license-secret`).
fn is_prose(v: &str) -> bool {
    let words: Vec<&str> = v.split_whitespace().collect();
    let wordy = words
        .iter()
        .filter(|w| {
            w.bytes()
                .all(|b| b.is_ascii_alphabetic() || b",.!?:;'()".contains(&b))
        })
        .count();
    if words.len() >= 3 && wordy * 4 >= words.len() * 3 {
        return true;
    }
    if v.ends_with("...") || v.ends_with('\u{2026}') {
        return true;
    }
    let dashed = split_words(v);
    dashed.len() >= 4
        && dashed
            .iter()
            .any(|w| matches!(w.as_str(), "you" | "must" | "please" | "here" | "should"))
}

/// A token a script substitutes: `__PASSWORD__`, `@@TOKEN@@`, `%%SECRET%%`, `@TOKEN@`.
fn is_substitution_token(v: &str) -> bool {
    let inner = |open: &str, close: &str| {
        v.len() > open.len() + close.len()
            && v.starts_with(open)
            && v.ends_with(close)
            && v[open.len()..v.len() - close.len()]
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-' || b == b'.')
    };
    inner("__", "__") || inner("@@", "@@") || inner("%%", "%%") || inner("@", "@")
}

/// Whether a credential is a placeholder someone meant to replace (`replace-me`, `changeme`,
/// `your-key-here`): it was never secret. The marks must stand as words, so that a random
/// token that happens to contain `todo` or `Fake` is not taken for one.
pub fn is_placeholder(value: &str) -> bool {
    let lower = value.trim().to_ascii_lowercase();
    if PLACEHOLDER_PHRASES.iter().any(|w| lower.contains(w)) {
        return true;
    }
    let words = split_words(value.trim());
    words.iter().any(|w| {
        PLACEHOLDER_WORDS.contains(&w.as_str()) || w.len() >= 3 && w.bytes().all(|b| b == b'x')
    })
}

/// Phrases that mark a value as a stand-in wherever they appear.
const PLACEHOLDER_PHRASES: &[&str] = &[
    "changeme",
    "change-me",
    "change_me",
    "change-in-production",
    "change_in_production",
    "changethis",
    "replace-me",
    "replace_me",
    "replaceme",
    "placeholder",
    "your-",
    "your_",
    "not-a-real",
    "notreal",
    "notasecret",
    "not-a-secret",
    // A test's stand-ins that say what they are: some password, a wrong or bad one.
    "somepass",
    "some-pass",
    "some_pass",
    "somesecret",
    "some-secret",
    "some_secret",
    "sometoken",
    "wrongpass",
    "wrong-pass",
    "wrong_pass",
    "badpass",
    "bad-pass",
    "bad_pass",
    "invalidpass",
    "invalid-pass",
    "invalid_pass",
    "incorrectpass",
    "incorrect-pass",
];

/// Words that mark a value as a stand-in when they stand alone.
const PLACEHOLDER_WORDS: &[&str] = &[
    "example",
    "dummy",
    "sample",
    "fake",
    "todo",
    "fixme",
    "redacted",
    "replace",
    "insert",
    "yourpassword",
    "mypassword",
    "mysecret",
    "mytoken",
];

/// How hard a value is to guess.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Strength {
    /// A default, placeholder, dictionary word or short value: guessed in a few tries.
    Weak,
    /// Neither weak nor random-looking: a chosen password.
    Fair,
    /// Random-looking: generated, and hard to guess.
    Strong,
}

/// Judges a value's strength with zxcvbn (frequency lists of passwords, names and words, and
/// keyboard patterns) plus what configuration adds: the key and path words it sits under
/// (`prom-operator` in a prometheus-operator chart is a guess away).
pub fn strength(value: &str, context_words: &[&str]) -> Strength {
    judge_value(value, context_words, false).strength
}

/// What the learned filter reads of a value: its strength, and zxcvbn's guesses and how much
/// of the value its dictionaries and patterns explain (estimated for every value of 64
/// characters or fewer, not only where strength needs it).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ValueRead {
    /// How hard the value is to guess.
    pub strength: Strength,
    /// A placeholder (`<your-password>`, `changeme`).
    pub placeholder: bool,
    /// zxcvbn's estimate of guesses, as a power of ten.
    pub guesses_log10: Option<f64>,
    /// The share of the value's characters that words, names, keyboard walks, sequences,
    /// repeats or dates explain (0 to 1).
    pub word_cover: Option<f64>,
}

/// Reads a value for the learned filter (see [`ValueRead`]).
///
/// zxcvbn costs most of a finding, and configuration repeats its values (one password under
/// every environment of a chart, one fixture in every test), so each thread remembers the
/// reads of the values it met last, by value and context words: all the read depends on.
pub fn read_value(value: &str, context_words: &[&str]) -> ValueRead {
    /// Reads kept per thread before the memory is cleared, and the longest value kept (a
    /// long one is a key or a blob, seldom repeated): about 1.5 MiB per thread at most.
    const KEPT: usize = 4096;
    const LONGEST: usize = 256;
    if value.len() > LONGEST {
        return judge_value(value, context_words, true);
    }
    thread_local! {
        static READS: RefCell<FastMap<Box<str>, ValueRead>> = RefCell::default();
    }
    // Each part behind its length, so that no two (value, words) spell the same key.
    let mut key = String::with_capacity(value.len() + 32);
    for part in std::iter::once(value).chain(context_words.iter().copied()) {
        key.push_str(&part.len().to_string());
        key.push(':');
        key.push_str(part);
    }
    if let Some(read) = READS.with_borrow(|reads| reads.get(key.as_str()).copied()) {
        return read;
    }
    let read = judge_value(value, context_words, true);
    READS.with_borrow_mut(|reads| {
        if reads.len() >= KEPT {
            reads.clear();
        }
        reads.insert(key.into_boxed_str(), read);
    });
    read
}

/// The value's strength and placeholder flag alone, without what only the learned filter
/// reads (zxcvbn's guesses and word cover are estimated only where strength needs them).
pub fn read_strength(value: &str, context_words: &[&str]) -> ValueRead {
    judge_value(value, context_words, false)
}

fn judge_value(value: &str, context_words: &[&str], detail: bool) -> ValueRead {
    let v = value.trim();
    let placeholder = is_placeholder(v);
    let estimate = |always: bool| {
        (always || detail && v.len() <= 64).then(|| zxcvbn::zxcvbn(v, context_words))
    };
    let read = |strength: Strength, estimate: Option<zxcvbn::Entropy>| ValueRead {
        strength,
        placeholder,
        guesses_log10: estimate.as_ref().map(zxcvbn::Entropy::guesses_log10),
        word_cover: estimate.as_ref().map(|e| word_cover(e, v)),
    };
    let lower = v.to_ascii_lowercase();
    if WEAK_VALUES.contains(&lower.as_str())
        || placeholder
        || WEAK_WORDS.iter().any(|w| lower.contains(w))
        || v.chars().count() < 8
        || shannon(lower.as_bytes()) < 2.5
    {
        return read(Strength::Weak, estimate(false));
    }
    // A base64 value hides its text: `cGFzc3dvcmQ=` is `password`.
    if let Some(inner) = decoded_text(v) {
        if strength(&inner, context_words) == Strength::Weak {
            return read(Strength::Weak, estimate(false));
        }
    }
    // Long generated values need no dictionary search to be judged (and it costs most on
    // them): a value of this length and spread is no word, keyboard walk or sequence.
    if v.len() >= 24 && looks_generated(v) && shannon(v.as_bytes()) >= 4.0 {
        return read(Strength::Strong, estimate(false));
    }
    let e = zxcvbn::zxcvbn(v, context_words);
    let guesses = e.guesses_log10();
    // A generated value costs about one order of magnitude per character (zxcvbn stops
    // counting near 10^19); sequences, repeats and words (`87654321-4321`) cost far less.
    let expected = (v.chars().count() as f64 * 0.6).min(18.0);
    let strength = if u8::from(e.score()) <= WEAK_SCORE {
        Strength::Weak
    } else if guesses >= STRONG_GUESSES_LOG10 && guesses >= expected && looks_generated(v) {
        Strength::Strong
    } else {
        Strength::Fair
    };
    read(strength, Some(e))
}

/// The share of `v` that zxcvbn explains by anything but brute force, read from its guesses:
/// brute force costs a power of ten per character (up to where zxcvbn's count saturates), so
/// what the guesses fall short of that is explained by words, names, patterns or dates. Not
/// read from the match sequence: zxcvbn breaks ties between equally cheap readings in hash-map
/// order, which changes from run to run, and the same value would read differently each time.
fn word_cover(e: &zxcvbn::Entropy, v: &str) -> f64 {
    let brute_force = (v.chars().count() as f64).clamp(1.0, SATURATED_GUESSES_LOG10);
    1.0 - (e.guesses_log10() / brute_force).clamp(0.0, 1.0)
}

/// Where zxcvbn's count of guesses stops growing (a u64).
const SATURATED_GUESSES_LOG10: f64 = 19.0;

/// zxcvbn's score 2 and below: fewer than about 10^8 guesses, what an offline attack with a
/// word list and its rules tries in seconds.
const WEAK_SCORE: u8 = 2;
/// More guesses than 10^12 and the shape of a generated value.
const STRONG_GUESSES_LOG10: f64 = 12.0;

/// Mixed character classes and no long run of letters only: what generators produce.
fn looks_generated(v: &str) -> bool {
    let classes = [
        v.bytes().any(|b| b.is_ascii_lowercase()),
        v.bytes().any(|b| b.is_ascii_uppercase()),
        v.bytes().any(|b| b.is_ascii_digit()),
        v.bytes().any(|b| !b.is_ascii_alphanumeric()),
    ]
    .iter()
    .filter(|c| **c)
    .count();
    let hex = v.len() >= 16 && v.bytes().all(|b| b.is_ascii_hexdigit());
    // `alone-in-the-dark`, `correct_horse`: words joined, chosen by a person.
    let words_only = v
        .split(['-', '_', '.', ' '])
        .all(|part| part.bytes().all(|b| b.is_ascii_alphabetic()));
    v.len() >= 12 && (classes >= 2 || hex) && !words_only && shannon(v.as_bytes()) >= 3.0
}

/// The text a base64 value decodes to, when it is printable text.
fn decoded_text(v: &str) -> Option<String> {
    if v.len() < 8 || v.len() % 4 != 0 {
        return None;
    }
    let text = super::decode::base64(v.as_bytes()).and_then(super::decode::printable)?;
    (text.len() >= 3 && !text.contains(char::is_whitespace)).then_some(text)
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
    // Names of algorithms and types that sit next to a credential's key (`password_encryption
    // = scram-sha-256`, a pg_hba method list, a catalog's `rolpassword = text`).
    "md5",
    "sha1",
    "sha256",
    "sha-256",
    "sha512",
    "sha-512",
    "scram-sha-256",
    "bcrypt",
    "scrypt",
    "argon2",
    "argon2i",
    "argon2id",
    "pbkdf2",
    "hs256",
    "rs256",
    "es256",
    "text",
    "varchar",
    "bytea",
    // The anonymous FTP login's password by convention (RFC 1635): no secret by design.
    "anonymous@",
    "-anonymous@",
    "anonymous",
    // Keywords that stand where a value would: Go's constant counter (`FooPass = iota`), a
    // function literal's (`match_credentials = lambda { ... }`).
    "iota",
    "lambda",
];

/// Substrings of template and interpolation syntax.
const TEMPLATE_MARKERS: &[&str] = &[
    "${",
    "$(",
    "%(",
    "{{",
    "}}",
    "{%",
    "%}",
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

    /// Found by the `decode_docker` fuzz target: a keyboard walk of many turns made zxcvbn's
    /// spatial estimate overflow (`degree.pow(turns)`), a panic in any build that checks
    /// overflow. Cargo.toml builds zxcvbn without those checks in every profile, as released.
    /// zxcvbn's hash maps are seeded anew in each thread (and process); how a value reads must
    /// not depend on that, or the same finding would change confidence between runs.
    #[test]
    fn a_credential_header_name_is_a_name() {
        for name in ["X-Access-Token", "x-api-key", "X-Vault-Token", "X-Auth-Key"] {
            assert!(is_not_a_secret(name), "{name}");
        }
        for value in ["X-Zq8vLm2xR7tK", "X-Request-Id9", "Xk-9f2c-token1"] {
            assert!(!is_not_a_secret(value), "{value}");
        }
    }

    #[test]
    fn a_call_is_a_reference_and_a_bracketed_value_is_not() {
        for call in [
            "getPassword()",
            "os.Getenv(\"X\").strip()",
            "try(var.password, null)",
        ] {
            assert!(is_not_a_secret(call), "{call}");
        }
        for value in ["s:(jekufxjmri)qjz", "Ab(cd)ef12"] {
            assert!(!is_not_a_secret(value), "{value}");
        }
    }

    #[test]
    fn a_value_reads_the_same_in_every_thread() {
        const VALUES: [&str; 12] = [
            "github.GithubObject.NotSet",
            "request.RequestUri.AbsolutePath",
            "Tr0ub4dor&3",
            "correcthorsebatterystaple",
            "admin123password",
            "P@ssw0rd2024!",
            "qwertyuiop1234",
            "summer2019london",
            "johnsmith1985",
            "letmein-please-now",
            "dragon_master_99",
            "NewYorkYankees27",
        ];
        let read = || -> Vec<(Option<f64>, Option<f64>)> {
            VALUES
                .iter()
                .map(|v| {
                    let r = read_value(v, &["db", "password"]);
                    (r.guesses_log10, r.word_cover)
                })
                .collect()
        };
        let first = read();
        for _ in 0..16 {
            let again = std::thread::spawn(read).join().unwrap();
            assert_eq!(again, first);
        }
    }

    #[test]
    fn a_long_keyboard_walk_is_read_without_panicking() {
        let walk = "redisdxSeRdxSeRdxSeRdxSeRdxSeRdxSeReRdxSeRedxSeSeRReR`xSeRdxSeR";
        let read = read_value(walk, &["auth"]);
        assert!(read.guesses_log10.is_some());
    }

    #[test]
    fn a_remembered_read_is_the_read_and_strength_alone_agrees() {
        for v in [
            "changeme",
            "ghp_R8aK2mQ9xL4vT7bN1cW5yH3jD6fG0sP2eZ4u",
            "abc",
            "prom-operator",
        ] {
            let first = read_value(v, &["grafana", "admin"]);
            assert_eq!(read_value(v, &["grafana", "admin"]), first, "{v}");
            let alone = read_strength(v, &["grafana", "admin"]);
            assert_eq!(
                (alone.strength, alone.placeholder),
                (first.strength, first.placeholder)
            );
        }
    }

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
            "!Ref",
            "!!binary",
            "!secret db_password",
            "!GetAtt Db.Endpoint.Address",
            "|",
            "********",
            "xxxxxx",
            "***REMOVED***",
            "8",
            "443",
            "op://vault/item/password",
            "{{ secrets.DB }}",
            "^7.1.2",
            "~> 2.0",
            ">=1.4.0-rc.1",
            "1.2.x",
            "10.0.0.1",
            "arn:aws:iam::aws:policy/IAMUserChangePassword",
            "^arn:[a-z]*:secretsmanager:[a-z0-9]*:[0-9]*:secret:[a-zA-Z0-9]*",
            "arn:.*:secretsmanager:[a-z]+:\\d{12}:secret:[a-z]+",
            "proc_macro2::TokenStream",
            "proc_macro2::TokenStream::from_str",
            "Config::DEFAULT_KEY",
            "$insta::secret",
            "$CPAN::Config-",
            "-anonymous@",
            "scram-sha-256",
            "text",
            "_DSAPrivateKey",
            "_EllipticCurvePrivateKey",
            // An EC P-256 and an RSA public key (SubjectPublicKeyInfo).
            "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE1Olb3zMAFFxXKHiIkQO5cJ3Yhl5i6UPp+IhuteBJbuHcA5UogKo0EWtlWwW6KSaKoTNEYL7JlCQiVnkhBktUgg==",
            "MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAu1SU1LfVLPHCozMxH2Mo4lgOEePzNm0tRgeLezV6ffAt0gunVTLw7onLRnrq0/IzW7yWR7QkrmBL7jTKEn5u+qKhbwKfBstIs+bMY2Zkp18gnTxKLxoS2tFczGkPLPgizskuemMghRniWaoLcyehkd3qqGElvW/VDL5AaWTg0nLVkjRo9z+40RQzuVaE8AkAFmxZzow3x+VJYKdjykkJ0iT9wCS0DRTXu269V264Vf/3jvredZiKRkgwlL9xNAwxXFg0x/XFw005UWVRIkdgcKWTjpBP2dPwVZ4WWC+9aGVd+Gyn1o0CLelf4rEjGoXbAAEgAqeGUxrcIlbjXfbcmwIDAQAB",
            ":USE_HTTP_PATH",
            ":default_password",
            "$dir/private/cakey.pem",
            "${HOME}/.ssh/id_rsa",
            "$(TOP)/keys/dev.key",
            "A",
            "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
            "9drTJvcXLB89EXAMPLELB8923FB892xMFI",
            "so0eNA2uSHUNlHI0S2cJ305GuIX1CezaRdGtexample",
        ] {
            assert!(is_not_a_secret(v), "{v:?} should not be a secret");
        }
        for v in [
            "1.2",
            "2024",
            "v1.2.3abc",
            "12.34.56a",
            "~Zq8.vLm2",
            "!Fq8vLm2x!",
            "!Zq8@vLm2",
            ":Zq8@vLm2x!",
            // An EC private key (SEC 1: a version INTEGER first) is a secret.
            "MHcCAQEEIBrlw3vQ8Fq8vLm2xR7nT4dK9pYb2cN6wJ3hF5gE1aS0oAoGCCqGSM49AwEHoUQDQgAE",
            "$Zq8@vLm2-",
            "_Zq8vLm2xR7",
        ] {
            assert!(!is_not_a_secret(v), "{v:?} is a value");
        }
    }

    #[test]
    fn quoted_qualified_names_are_types_not_settings() {
        assert!(ends_a_quoted_qualified_name(b"    \"AWS::ApiGateway::"));
        assert!(ends_a_quoted_qualified_name(b"requires => { 'Crypt::"));
        assert!(!ends_a_quoted_qualified_name(b"const char* Config::"));
        assert!(!ends_a_quoted_qualified_name(b"    \""));
        assert!(!ends_a_quoted_qualified_name(b""));
    }

    #[test]
    fn a_type_before_an_assignment_is_no_value() {
        assert!(annotates_a_type(b"[str] = \"x\""));
        assert!(annotates_a_type(b" = _bindgen_ty_24::A;"));
        assert!(annotates_a_type(b"<u8> = vec![]"));
        assert!(!annotates_a_type(b" == other"));
        assert!(!annotates_a_type(b"\"\n"));
        assert!(!annotates_a_type(b", user: bob"));
    }

    #[test]
    fn paging_request_and_vocabulary_tokens_are_no_credentials() {
        for k in [
            "NextToken",
            "output_token",
            "nextPageToken",
            "ClientRequestToken",
            "eos_token",
            "max_tokens",
            "input_token",
            "NextMarker",
        ] {
            assert!(names_a_non_credential_token(k.as_bytes()), "{k}");
        }
        for k in [
            "token",
            "access_token",
            "refreshToken",
            "GITHUB_TOKEN",
            "SessionToken",
            "bot_token",
        ] {
            assert!(!names_a_non_credential_token(k.as_bytes()), "{k}");
        }
    }

    #[test]
    fn variables_and_commands_are_no_values() {
        for v in [
            "$user:$curpas",
            "$_[1]",
            "$cred->{'password'}",
            "$config{'db_pass'}",
            "`pwd`",
            "`dirname \"$0\"`",
            "<password> --os-domain-name=<domain> token issue",
            "$mysql_health_env_password$",
            "::add-mask::$PASSWORD",
            "mime-$token",
            "--password=$DB_PASS",
            "active_storage/disk#update",
            "sessions#create",
            "PASSWORD|-PASS",
            "pass|passwd|password",
            "iota",
            "{$this->getToken()}",
            ".data-api",
            "_env.args(3).u32()",
        ] {
            assert!(is_not_a_secret(v), "{v}");
        }
        // Literals with a `$` inside, a fragment, and alternatives that name nothing.
        for v in [
            "Pa$SWORD99x",
            "pa$$WORDxyz",
            "S3cr3t$abc9",
            "x9#Qm7vLp2",
            "Zq8v|Lm2x|R7tK",
            "Qm{$7vL}x9",
            ".Zq8vLm2x",
            ".abc",
        ] {
            assert!(!is_not_a_secret(v), "{v}");
        }
        for v in [
            "pa$$word1",
            "x$1y9Qz",
            "$7k$85$npj",
            "$apr1$r31vt8lk$Hp0Bdq5wL4HzDq7aGmVx1/",
        ] {
            assert!(!only_variables(v.as_bytes()), "{v}");
        }
    }

    #[test]
    fn hashes_of_frameworks_and_directories_are_hashes() {
        for v in [
            "pbkdf2_sha256$600000$Zx9qLmRt2vYb$Qk3o9YpU1Hc2hA0nLq8Zt7m1Xw4eV6bR5sD2fG8jK0=",
            "argon2$argon2id$v=19$m=102400,t=2,p=8$c29tZXNhbHQ$aGFzaGhhc2hoYXNo",
            "{SSHA}W6ph5Mm5Pz8GgiULbPgzG37mj9g7ZmVkOTJiZjA=",
            "{BLF-CRYPT}$2y$05$K1yYlW8qQ0bHqX4Jtr3N0uZ8tYqKcJ3qjv7Y1oE2r6A9cNnHqY3Wm",
        ] {
            assert!(is_crypt_hash(v), "{v}");
        }
        for v in [
            "{PLAIN}hunter22hunter2",
            "sha1$x",
            "pbkdf2_sha256",
            "{SSHA}short",
        ] {
            assert!(!is_crypt_hash(v), "{v}");
        }
    }

    #[test]
    fn stand_ins_that_say_what_they_are_are_placeholders() {
        for v in [
            "somepassword",
            "bad-password",
            "wrong_password1",
            "some-secret",
        ] {
            assert!(is_placeholder(v), "{v}");
        }
        for v in ["Kq7zSomeXpassW9", "handsome-pw-92x", "Wr0ngP4ss!x9"] {
            assert!(!is_placeholder(v), "{v}");
        }
    }

    #[test]
    fn autoconfs_cache_variables_hold_no_password() {
        assert!(key_holds_no_credential(
            b"ac_cv_member_struct_passwd_pw_passwd",
            "xyes"
        ));
        assert!(!key_holds_no_credential(b"ac_password", "Zq8vLm2xR7tK"));
    }

    #[test]
    fn a_builds_feature_switches_hold_no_password() {
        assert!(is_feature_switch(b"enable-spasswd"));
        assert!(is_feature_switch(b"with-ldap-passwd"));
        assert!(!is_feature_switch(b"password"));
        assert!(!is_feature_switch(b"http-password"));
        assert!(!is_feature_switch(b"with-"));
    }

    #[test]
    fn the_working_directory_is_no_password() {
        assert!(is_working_directory(b"ac_pwd", "pwd"));
        assert!(is_working_directory(b"PWD", "`pwd`"));
        assert!(!is_working_directory(b"DB_PWD", "hunter22"));
        assert!(!is_working_directory(b"password", "pwd"));
        assert!(is_working_directory(b"PWD", "/tmp/build"));
    }

    #[test]
    fn keywords_of_a_grammar_are_no_tokens() {
        assert!(is_lexical_token(b"token", "RESET"));
        assert!(is_lexical_token(b"\"token", "WITHSCORES"));
        assert!(is_lexical_token(b"token", "normal"));
        assert!(is_lexical_token(b"token", "AUTH2"));
        for (k, v) in [
            ("token", "Reset"),
            ("token", "A8K2QXJ4"),
            ("token", "ABCDEFGHJKMNPQRSTVWXYZ"),
            ("password", "RESET"),
            ("oauth_token", "IVWPNAOV"),
            ("token", "wllfccvrzl"),
        ] {
            assert!(!is_lexical_token(k.as_bytes(), v), "{k}: {v}");
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
            assert_eq!(strength(v, &[]), Strength::Weak, "{v:?} should be weak");
        }
        assert_ne!(strength("hQ8#vR2!mZp9@Lw4", &[]), Strength::Weak);
    }
}
