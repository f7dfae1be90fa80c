//! Sources of bytes to scan: files on disk, standard input, git objects, and what a push brings.

pub mod delta_tree;
pub mod git;
pub mod push;
pub mod stdin;
pub mod worktree;

/// Files larger than this are skipped unless `--max-file-size` says otherwise.
pub const DEFAULT_MAX_FILE_SIZE: u64 = 25 * 1024 * 1024;

/// How many leading bytes are searched for a NUL to call a file binary.
pub(crate) const BINARY_PROBE: usize = 8 * 1024;

/// Whether `bytes` look binary: a NUL byte in the first 8 KiB, as git judges.
pub fn is_binary(bytes: &[u8]) -> bool {
    memchr::memchr(0, &bytes[..bytes.len().min(BINARY_PROBE)]).is_some()
}
