//! The system a credential guards, named from where it sits: the registry host of a registry
//! login, else the chart or service directory, refined by a dotted key's prefix
//! (`postgresql.auth` of `postgresql.auth.password`).
//!
//! A random-looking value is one credential wherever it appears, but `admin` in two charts is
//! two credentials with two owners: the checklist groups weak, chosen and placeholder values by
//! value *and* system.

use super::Item;

/// Directory names that say what a folder holds (templates, tests, overlays...) rather than
/// which service it belongs to: a system's name stops before the first of them.
const HOLDERS: &[&str] = &[
    "base",
    "ci",
    "conf",
    "config",
    "configs",
    "deploy",
    "deployment",
    "deployments",
    "doc",
    "docs",
    "env",
    "envs",
    "environments",
    "etc",
    "example",
    "examples",
    "exports",
    "files",
    "fixtures",
    "helm",
    "k8s",
    "kubernetes",
    "manifests",
    "overlays",
    "samples",
    "scenarios",
    "secrets",
    "src",
    "templates",
    "test",
    "testdata",
    "tests",
];

/// Key suffixes that name a file (a Secret's `license.jwt`), not a setting under a prefix.
const FILE_SUFFIXES: &[&str] = &[
    "cfg",
    "conf",
    "crt",
    "env",
    "ini",
    "json",
    "jwt",
    "key",
    "pem",
    "properties",
    "toml",
    "txt",
    "xml",
    "yaml",
    "yml",
];

/// What a top-level file's system is called.
pub const TOP_LEVEL: &str = "(top level)";

/// The system `item` guards.
pub fn of(item: &Item) -> String {
    // History's pseudo-paths (`(commit message)`) are their own system.
    if item.path.starts_with('(') {
        return item.path.clone();
    }
    if item.rule == "registry.docker-auth" {
        if let Some(host) = item.key.as_deref().map(host).filter(|h| !h.is_empty()) {
            return host.to_string();
        }
    }
    let dir = directory(&item.path);
    match item.key.as_deref().and_then(key_prefix) {
        Some(prefix) => format!("{dir} ({prefix})"),
        None => dir,
    }
}

/// A registry key without scheme or trailing slash: `https://ghcr.io/` is `ghcr.io`.
fn host(key: &str) -> &str {
    let key = key.split_once("://").map_or(key, |(_, rest)| rest);
    key.split('/').next().unwrap_or(key)
}

/// The chart or service directory of `path`: its folders up to the first that only holds
/// files of some kind (`charts/loki/templates/secret.yaml` is `charts/loki`); folders of that
/// kind at the top are kept (`k8s/base/secret.yaml` is `k8s/base`).
fn directory(path: &str) -> String {
    let dirs = path.rsplit_once('/').map_or("", |(dirs, _)| dirs);
    let mut kept: Vec<&str> = Vec::new();
    let mut named = false;
    for d in dirs.split('/').filter(|d| !d.is_empty() && *d != ".") {
        let holder = HOLDERS.contains(&d.to_ascii_lowercase().as_str());
        if holder && named {
            break;
        }
        named |= !holder;
        kept.push(d);
    }
    if kept.is_empty() {
        TOP_LEVEL.to_string()
    } else {
        kept.join("/")
    }
}

/// The prefix of a dotted key (`postgresql.auth` of `postgresql.auth.password`), when the key
/// names a setting and not a file.
fn key_prefix(key: &str) -> Option<&str> {
    let (prefix, last) = key.rsplit_once('.')?;
    let setting = |s: &str| {
        !s.is_empty()
            && s.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
    };
    let file = FILE_SUFFIXES.contains(&last.to_ascii_lowercase().as_str());
    (setting(last) && !file && prefix.split('.').all(setting)).then_some(prefix)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn directories_stop_at_folders_of_a_kind() {
        assert_eq!(directory("charts/loki/values.yaml"), "charts/loki");
        assert_eq!(
            directory("charts/loki/templates/secret.yaml"),
            "charts/loki"
        );
        assert_eq!(
            directory("charts/loki/test/integration/values.yaml"),
            "charts/loki"
        );
        assert_eq!(
            directory("charts/app/charts/postgresql/values.yaml"),
            "charts/app/charts/postgresql"
        );
        assert_eq!(directory("infra/k8s/base/secrets.yaml"), "infra");
        assert_eq!(directory("k8s/base/secrets.yaml"), "k8s/base");
        assert_eq!(directory(".env"), TOP_LEVEL);
        assert_eq!(directory("./docker-compose.yml"), TOP_LEVEL);
    }

    #[test]
    fn dotted_keys_name_settings_not_files() {
        assert_eq!(
            key_prefix("postgresql.auth.password"),
            Some("postgresql.auth")
        );
        assert_eq!(
            key_prefix("spring.datasource.password"),
            Some("spring.datasource")
        );
        assert_eq!(key_prefix("license.jwt"), None);
        assert_eq!(key_prefix(".dockerconfigjson"), None);
        assert_eq!(key_prefix("POSTGRES_PASSWORD"), None);
    }

    #[test]
    fn registry_hosts() {
        assert_eq!(host("https://ghcr.io/"), "ghcr.io");
        assert_eq!(
            host("registry.example.com:5000"),
            "registry.example.com:5000"
        );
    }
}
