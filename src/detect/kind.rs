//! What kind of file a path names, which decides which rules look at it.

use std::path::Path;

/// The kind of a file, judged from its name alone.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FileKind {
    /// Deployable configuration: YAML, JSON, env files, INI, shell scripts, Dockerfiles...
    /// Also anything we do not recognise: a secret in an odd file is still a secret.
    Config,
    /// Program source code, where example credentials abound.
    Source,
    /// Prose (Markdown, plain text): only high-confidence token formats are reported.
    Prose,
    /// Dependency lock files, full of checksums that look random.
    Lock,
}

impl FileKind {
    /// The bit this kind occupies in a rule's kind mask.
    pub const fn bit(self) -> u8 {
        match self {
            FileKind::Config => 1,
            FileKind::Source => 2,
            FileKind::Prose => 4,
            FileKind::Lock => 8,
        }
    }

    /// Judges a path by its file name and extension.
    pub fn from_path(path: &Path) -> FileKind {
        let name = match path.file_name().and_then(|n| n.to_str()) {
            Some(n) => n,
            None => return FileKind::Config,
        };
        let lower = name.to_ascii_lowercase();
        if LOCK_NAMES.contains(&lower.as_str()) || lower.ends_with(".lock") {
            return FileKind::Lock;
        }
        let ext = match lower.rsplit_once('.') {
            Some((stem, ext)) if !stem.is_empty() => ext,
            _ => {
                // No extension (or a dotfile such as `.env`): prose only for the usual names.
                let stem = lower.split(['-', '_']).next().unwrap_or("");
                return if PROSE_NAMES.contains(&stem) {
                    FileKind::Prose
                } else {
                    FileKind::Config
                };
            }
        };
        if PROSE_EXTENSIONS.contains(&ext) {
            FileKind::Prose
        } else if SOURCE_EXTENSIONS.contains(&ext) {
            FileKind::Source
        } else {
            FileKind::Config
        }
    }
}

const LOCK_NAMES: &[&str] = &[
    "package-lock.json",
    "npm-shrinkwrap.json",
    "pnpm-lock.yaml",
    "packages.lock.json",
    "go.sum",
    "gradle.lockfile",
];

const PROSE_NAMES: &[&str] = &[
    "readme",
    "changelog",
    "changes",
    "license",
    "licence",
    "copying",
    "authors",
    "contributors",
    "contributing",
    "news",
    "history",
    "notice",
    "copyright",
    "todo",
];

const PROSE_EXTENSIONS: &[&str] = &[
    "md", "markdown", "mdx", "txt", "rst", "adoc", "asciidoc", "org", "textile", "rdoc", "pod",
];

const SOURCE_EXTENSIONS: &[&str] = &[
    "rs", "go", "py", "pyi", "rb", "js", "mjs", "cjs", "jsx", "ts", "tsx", "java", "kt", "kts",
    "scala", "c", "h", "cc", "cpp", "cxx", "hpp", "hh", "hxx", "cs", "fs", "swift", "m", "mm",
    "php", "pl", "pm", "perl", "lua", "dart", "ex", "exs", "erl", "hrl", "hs", "ml", "mli", "clj",
    "cljs", "r", "jl", "zig", "nim", "vue", "svelte", "html", "htm", "xhtml", "s", "asm", "proto",
    "fbs", "v", "d", "f90", "vim",
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_by_name() {
        let cases = [
            ("infra/k8s/base/secrets.yaml", FileKind::Config),
            (".env", FileKind::Config),
            (".env.production", FileKind::Config),
            ("deploy.sh", FileKind::Config),
            ("Dockerfile", FileKind::Config),
            ("src/main.rs", FileKind::Source),
            ("README.md", FileKind::Prose),
            ("README", FileKind::Prose),
            ("LICENSE-MIT", FileKind::Prose),
            ("Cargo.lock", FileKind::Lock),
            ("web/package-lock.json", FileKind::Lock),
            ("go.sum", FileKind::Lock),
            ("notes.txt", FileKind::Prose),
            ("weird.xyz", FileKind::Config),
        ];
        for (path, kind) in cases {
            assert_eq!(FileKind::from_path(Path::new(path)), kind, "{path}");
        }
    }
}
