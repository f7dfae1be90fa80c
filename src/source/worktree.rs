//! Files on disk: a parallel walk that honours ignore files and never follows symlinks.

use std::path::{Path, PathBuf};

use ignore::{WalkBuilder, WalkState};

/// Options of the walk.
#[derive(Debug, Clone)]
pub struct WalkOptions {
    /// Scan ignored files too (`.gitignore`, `.ignore`, `.scourignore`).
    pub no_ignore: bool,
    /// Worker threads; 0 picks one per core.
    pub threads: usize,
}

/// What the walk hands to the visitor for each entry.
#[derive(Debug)]
pub enum Entry {
    /// A regular file to read.
    File(PathBuf),
    /// An entry the walk could not read (permission denied, a broken directory...).
    Error(String),
}

/// The name of the ignore file scour reads beside `.gitignore`, in gitignore syntax.
pub const IGNORE_FILE: &str = ".scourignore";

/// Walks `roots` in parallel, calling `visit` for every regular file (never for symlinks).
pub fn walk(roots: &[PathBuf], opts: &WalkOptions, visit: &(dyn Fn(Entry) + Sync)) {
    let Some((first, rest)) = roots.split_first() else {
        return;
    };
    let mut builder = WalkBuilder::new(first);
    for root in rest {
        builder.add(root);
    }
    let honour = !opts.no_ignore;
    builder
        .hidden(false)
        .follow_links(false)
        .parents(honour)
        .ignore(honour)
        .git_ignore(honour)
        .git_global(honour)
        .git_exclude(honour)
        .require_git(false)
        .threads(opts.threads)
        .filter_entry(|e| e.file_name() != ".git");
    if honour {
        builder.add_custom_ignore_filename(IGNORE_FILE);
    }
    builder.build_parallel().run(|| {
        Box::new(move |result| {
            match result {
                Ok(entry) => {
                    if entry.file_type().is_some_and(|t| t.is_file()) {
                        visit(Entry::File(entry.into_path()));
                    }
                }
                Err(err) => visit(Entry::Error(err.to_string())),
            }
            WalkState::Continue
        })
    });
}

/// A path as shown in reports: without a leading `./`.
pub fn display_path(path: &Path) -> String {
    let shown = path.strip_prefix(".").unwrap_or(path);
    let text = shown.to_string_lossy();
    if text.is_empty() {
        path.to_string_lossy().into_owned()
    } else {
        text.into_owned()
    }
}
