//! Guarding the door: `scour hook pre-receive` (server side) and `pre-commit` (each developer).
//!
//! Plumbing, in gitoxide's sense: no colour, no progress; everything comes from the arguments,
//! the environment git sets for hooks, and standard input. What a push brings is read from the
//! push quarantine (`GIT_QUARANTINE_PATH`) through `git` itself, never by walking the refs
//! ([`crate::source::push`]); `SCOUR_TIMINGS=1` prints where the time went.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Serialize;

use crate::config::Bypass;
use crate::detect::{Detector, FileKind, Input, Scanned, Site};
use crate::finding::{Finding, LineIndex};
use crate::rules::Severity;
use crate::source::is_binary;
pub use crate::source::push::Update;
use crate::source::push::{self, Message, Quarantine, Way};
use crate::timing::Laps;

/// Why a hook could not do its job (as opposed to rejecting a push).
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A `git` subprocess failed.
    #[error("{0}")]
    Git(String),
    /// Standard input did not hold `old new ref` lines.
    #[error("pre-receive input line {line}: expected '<old> <new> <ref>', got {text:?}")]
    Input { line: usize, text: String },
    /// Installing a hook failed or was refused.
    #[error("{0}")]
    Install(String),
}

impl From<push::Error> for Error {
    fn from(e: push::Error) -> Error {
        match e {
            push::Error::Git(message) => Error::Git(message),
        }
    }
}

/// What the pre-receive hook decided.
#[derive(Debug)]
pub enum Verdict {
    /// Let the push in.
    Accept,
    /// Refuse it.
    Reject,
}

fn is_id(id: &str) -> bool {
    (id.len() == 40 || id.len() == 64) && id.bytes().all(|b| b.is_ascii_hexdigit())
}

/// Parses the `old new ref` lines git gives a pre-receive hook.
pub fn parse_updates(input: &str) -> Result<Vec<Update>, Error> {
    input
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(i, l)| {
            let mut parts = l.split_whitespace();
            match (parts.next(), parts.next(), parts.next(), parts.next()) {
                (Some(old), Some(new), Some(name), None) if is_id(old) && is_id(new) => {
                    Ok(Update {
                        old: old.into(),
                        new: new.into(),
                        name: name.into(),
                    })
                }
                _ => Err(Error::Input {
                    line: i + 1,
                    text: l.into(),
                }),
            }
        })
        .collect()
}

/// A finding in a push, with the ref and commit that bring it.
#[derive(Debug, Clone)]
pub struct Offence {
    /// The ref being updated.
    pub reference: String,
    /// The commit (or tag) that introduced it.
    pub commit: String,
    /// The finding.
    pub finding: Finding,
}

/// What was checked, and what was found.
#[derive(Debug, Default)]
pub struct Inspection {
    /// Secrets the push introduces.
    pub offences: Vec<Offence>,
    /// Objects the ban list names (removed by `scour purge`).
    pub banned: Vec<String>,
    /// Blobs scanned.
    pub blobs: usize,
    /// Commits looked at.
    pub commits: usize,
}

/// Runs git in `dir` (the push's repository, whose quarantine git sees) and returns its output.
fn git(dir: &Path, args: &[&str]) -> Result<Vec<u8>, Error> {
    crate::source::git::run_git(dir, None, args).map_err(Error::Git)
}

/// Reads objects through one `git cat-file --batch`, calling `each(id, data)`.
fn read_blobs(dir: &Path, ids: &[&str], each: impl FnMut(&str, &[u8])) -> Result<(), Error> {
    crate::source::git::cat_file_batch(dir, ids, each).map_err(Error::Git)
}

/// The ids that `scour purge` removed from this repository.
pub fn ban_list(git_dir: &Path) -> HashSet<String> {
    std::fs::read_to_string(git_dir.join("scour").join("ban-list"))
        .map(|text| {
            text.lines()
                .filter_map(|l| l.split_whitespace().nth(1))
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default()
}

/// Finds what the updates bring that the repository did not have (from the push quarantine when
/// git gives one, see [`crate::source::push`]), and scans it once.
pub fn inspect(
    detector: &Detector,
    dir: &Path,
    git_dir: &Path,
    updates: &[Update],
) -> Result<Inspection, Error> {
    let mut laps = Laps::start("hook pre-receive");
    let banned = ban_list(git_dir);
    let quarantine = Quarantine::from_env();
    let brought = push::brought(dir, quarantine.as_ref(), updates, &banned)?;
    laps.lap(&match brought.way {
        Way::Quarantine { objects } => format!(
            "new objects from the quarantine ({objects} objects, {} commits)",
            brought.commits
        ),
        Way::RevList => format!(
            "new objects by rev-list --not --all ({} commits)",
            brought.commits
        ),
    });
    let mut inspection = Inspection {
        banned: brought.banned,
        commits: brought.commits,
        ..Inspection::default()
    };
    let (blobs, messages) = (brought.blobs, brought.messages);
    let (by_id, ids) = group_by_id(&blobs, |b| &b.id);
    read_blobs(dir, &ids, |id, data| {
        let Some(holders) = by_id.get(id) else { return };
        if is_binary(data) {
            return;
        }
        inspection.blobs += 1;
        // A blob at many paths (a generated tree of 100,000 copies) is scanned once per
        // distinct judgement, not once per path: a path changes a scan only through the
        // file's kind and the rules that apply there.
        let mut scans: HashMap<(FileKind, Vec<bool>), Scanned> = HashMap::new();
        let lines = LineIndex::new(data);
        for blob in holders {
            let path = Path::new(&blob.path);
            let kind = FileKind::from_path(path);
            let applicable = detector.applicable(kind, Some(path));
            let scanned = scans
                .entry((kind, applicable.into_owned()))
                .or_insert_with_key(|(kind, applicable)| {
                    detector.scan_with(data, *kind, applicable)
                });
            for m in &scanned.matches {
                let Some(finding) =
                    detector.finding(m, &blob.path, Site::File(Some(path)), lines.place(&m.span))
                else {
                    continue;
                };
                inspection.offences.push(Offence {
                    reference: blob.reference.clone(),
                    commit: blob.commit.clone(),
                    finding,
                });
            }
        }
    })?;
    for Message {
        reference,
        id,
        body,
    } in messages
    {
        let scanned = detector.scan(Input {
            bytes: &body,
            path: None,
            kind: FileKind::Config,
        });
        let lines = LineIndex::new(&body);
        for m in &scanned.matches {
            let Some(finding) = detector.finding(
                m,
                "(commit or tag message)",
                Site::Message,
                lines.place(&m.span),
            ) else {
                continue;
            };
            inspection.offences.push(Offence {
                reference: reference.clone(),
                commit: id.clone(),
                finding,
            });
        }
    }
    // A commit the server's allowlist names may bring what it likes.
    inspection.offences.retain(|o| {
        !detector
            .allow()
            .skips_commit(o.finding.rule.as_str(), &o.commit)
    });
    laps.lap(&format!("scan ({} blobs)", inspection.blobs));
    Ok(inspection)
}

/// How the pre-receive hook behaves.
#[derive(Debug, Clone)]
pub struct PreReceive {
    /// Give up after this long.
    pub timeout: Duration,
    /// Accept instead of reject when time runs out.
    pub accept_on_timeout: bool,
    /// Who may bypass with `-o scour.skip`.
    pub bypass: Bypass,
    /// The lowest severity that rejects; lower findings are shown and let through.
    pub fail_on: Severity,
}

/// The push options git hands the hook (`git push -o ...`).
pub fn push_options() -> Vec<String> {
    let count: usize = std::env::var("GIT_PUSH_OPTION_COUNT")
        .ok()
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    (0..count)
        .filter_map(|i| std::env::var(format!("GIT_PUSH_OPTION_{i}")).ok())
        .collect()
}

/// The bypass reason given with `-o scour.skip=<reason>`: `None` when no bypass was asked,
/// `Some("")` when it was asked without a reason.
pub fn bypass_reason(options: &[String]) -> Option<String> {
    options.iter().find_map(|o| {
        if o == "scour.skip" {
            Some(String::new())
        } else {
            o.strip_prefix("scour.skip=")
                .map(|r| r.trim().trim_matches('"').to_string())
        }
    })
}

/// A line of `scour/audit.jsonl`.
#[derive(Serialize)]
struct AuditLine<'a> {
    time: u64,
    pusher: String,
    refs: Vec<&'a str>,
    reason: &'a str,
    fingerprints: Vec<&'a str>,
}

/// Who is pushing, as the hosting software tells hooks (GitLab, Gitea, GitHub Enterprise, a web
/// server's authentication, then the account the hook runs as).
pub fn pusher() -> String {
    [
        "GL_USERNAME",
        "GITEA_PUSHER_NAME",
        "GITHUB_USER",
        "REMOTE_USER",
        "USER",
        "LOGNAME",
    ]
    .iter()
    .find_map(|v| std::env::var(v).ok().filter(|s| !s.is_empty()))
    .unwrap_or_else(|| "unknown".into())
}

/// Appends a bypass to `<git dir>/scour/audit.jsonl`.
fn audit(
    git_dir: &Path,
    updates: &[Update],
    reason: &str,
    inspection: &Inspection,
) -> std::io::Result<()> {
    let dir = git_dir.join("scour");
    std::fs::create_dir_all(&dir)?;
    let fingerprints: BTreeSet<&str> = inspection
        .offences
        .iter()
        .map(|o| o.finding.fingerprint.as_str())
        .collect();
    let line = AuditLine {
        time: std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs()),
        pusher: pusher(),
        refs: updates.iter().map(|u| u.name.as_str()).collect(),
        reason,
        fingerprints: fingerprints.into_iter().collect(),
    };
    let mut record = serde_json::to_vec(&line).expect("an audit line serialises");
    record.push(b'\n');
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(dir.join("audit.jsonl"))?;
    // Concurrent pushes each append a line: `writeln!` may split one line into several
    // writes that another hook's line can land between. One write of the whole line, under an
    // exclusive lock for filesystems where O_APPEND alone does not keep writes whole (NFS).
    let _lock = lock_exclusive(&file);
    file.write_all(&record)
}

/// Holds an advisory `flock` on `file` until dropped (nothing where there is no `flock`).
struct FileLock(#[cfg(unix)] std::os::unix::io::RawFd);

#[cfg(unix)]
fn lock_exclusive(file: &std::fs::File) -> FileLock {
    use std::os::unix::io::AsRawFd;
    let fd = file.as_raw_fd();
    // SAFETY: `fd` is open for the lifetime of the lock, which `file` outlives.
    unsafe { libc::flock(fd, libc::LOCK_EX) };
    FileLock(fd)
}

#[cfg(not(unix))]
fn lock_exclusive(_: &std::fs::File) -> FileLock {
    FileLock()
}

#[cfg(unix)]
impl Drop for FileLock {
    fn drop(&mut self) {
        // SAFETY: the descriptor is still open (see `lock_exclusive`).
        unsafe { libc::flock(self.0, libc::LOCK_UN) };
    }
}

/// The git directory a hook runs in: `GIT_DIR`, or the current directory (git runs a
/// pre-receive hook in the bare repository).
pub fn git_dir() -> Result<PathBuf, Error> {
    let dir =
        std::env::current_dir().map_err(|e| Error::Git(format!("the current directory: {e}")))?;
    Ok(std::env::var_os("GIT_DIR")
        .map(PathBuf::from)
        .map(|p| if p.is_absolute() { p } else { dir.join(p) })
        .unwrap_or(dir))
}

/// Runs the pre-receive hook: reads the updates from `input`, writes its verdict's message to
/// `out` (git relays it to the pusher).
pub fn pre_receive(
    detector: &Detector,
    input: &str,
    opts: &PreReceive,
    out: &mut dyn Write,
) -> Result<Verdict, Error> {
    let updates = parse_updates(input)?;
    let dir =
        std::env::current_dir().map_err(|e| Error::Git(format!("the current directory: {e}")))?;
    let git_dir = git_dir()?;
    let options = push_options();
    let mut bypass = bypass_reason(&options);
    if bypass.as_deref() == Some("") {
        let _ = writeln!(
            out,
            "scour: push rejected: a bypass needs a reason: git push -o scour.skip=\"why these are not secrets\""
        );
        return Ok(Verdict::Reject);
    }
    if bypass.is_some() && !opts.bypass.permits(&pusher()) {
        let _ = writeln!(
            out,
            "scour: the bypass (-o scour.skip) is not allowed for '{}' by this server's policy; the push is checked as usual",
            pusher()
        );
        bypass = None;
    }
    // Inspect on a worker thread, so that the deadline holds whatever git does.
    let (tx, rx) = std::sync::mpsc::channel();
    let work_updates = updates.clone();
    let (work_dir, work_git_dir) = (dir.clone(), git_dir.clone());
    std::thread::scope(|scope| {
        scope.spawn(move || {
            let _ = tx.send(inspect(detector, &work_dir, &work_git_dir, &work_updates));
        });
        let mut inspection = match rx.recv_timeout(opts.timeout) {
            Ok(result) => result?,
            Err(_) => {
                let verdict = if opts.accept_on_timeout {
                    "accepted"
                } else {
                    "rejected"
                };
                let _ = writeln!(
                    out,
                    "scour: push {verdict}: the secret scan did not finish within {} s (--timeout); {}",
                    opts.timeout.as_secs_f64(),
                    if opts.accept_on_timeout {
                        "it was NOT checked"
                    } else {
                        "push fewer commits at a time, or ask an admin to raise the limit"
                    }
                );
                let _ = out.flush();
                // The worker may still be waiting on git; the verdict must not wait for it.
                std::process::exit(if opts.accept_on_timeout { 0 } else { 1 });
            }
        };
        if !inspection.banned.is_empty() {
            let _ = writeln!(out, "scour: push rejected: it brings back objects removed from history by `scour purge`:");
            for b in &inspection.banned {
                let _ = writeln!(out, "  {b}");
            }
            let _ = writeln!(
                out,
                "Your clone predates the purge. Re-clone, re-apply your work on the new history, and push again."
            );
            return Ok(Verdict::Reject);
        }
        let (blocking, below): (Vec<Offence>, Vec<Offence>) =
            std::mem::take(&mut inspection.offences)
                .into_iter()
                .partition(|o| o.finding.severity >= opts.fail_on);
        for o in &below {
            let f = &o.finding;
            let _ = writeln!(
                out,
                "scour: warning: {} {}:{}  {} ({}, below the policy's fail_on)  {}",
                o.reference,
                f.path,
                f.line,
                f.rule,
                f.severity.as_str(),
                f.shown_secret(false)
            );
        }
        inspection.offences = blocking;
        if inspection.offences.is_empty() {
            return Ok(Verdict::Accept);
        }
        if let Some(reason) = &bypass {
            let _ = audit(&git_dir, &updates, reason, &inspection);
            let _ = writeln!(
                out,
                "scour: {} possible secret(s) accepted by bypass (reason: {reason}); the bypass is logged.",
                inspection.offences.len()
            );
            return Ok(Verdict::Accept);
        }
        let _ = write_rejection(out, &inspection);
        Ok(Verdict::Reject)
    })
}

fn write_rejection(out: &mut dyn Write, inspection: &Inspection) -> std::io::Result<()> {
    writeln!(
        out,
        "scour: push rejected: it adds {} secret(s):",
        inspection.offences.len()
    )?;
    for o in &inspection.offences {
        let f = &o.finding;
        writeln!(
            out,
            "  {} {}  {}:{}  {}  {}",
            o.reference,
            &o.commit[..o.commit.len().min(10)],
            f.path,
            f.line,
            f.rule,
            f.shown_secret(false)
        )?;
    }
    writeln!(out, "To fix it:")?;
    writeln!(
        out,
        "  1. Remove the secret from the file (read it from the environment or a secret manager)."
    )?;
    writeln!(out, "  2. Rewrite your unpushed commits so none of them holds it: `git commit --amend` for the last one,")?;
    writeln!(out, "     `git rebase -i` for older ones; then push again.")?;
    writeln!(out, "  3. Rotate the credential: it has left your machine, and may sit in other clones or CI logs.")?;
    writeln!(
        out,
        "If it is not a secret: add `scour:allow` in a comment on that line, or push with"
    )?;
    writeln!(
        out,
        "  git push -o scour.skip=\"<why>\"   (the bypass and its reason are logged)"
    )
}

/// Runs the pre-commit hook in the work tree `dir`: scans the staged blobs. Returns whether the
/// commit may go ahead.
/// Findings below `fail_on` are shown as warnings and do not block.
pub fn pre_commit(
    detector: &Detector,
    dir: &Path,
    fail_on: Severity,
    out: &mut dyn Write,
) -> Result<bool, Error> {
    let diff = git(
        dir,
        &[
            "diff",
            "--cached",
            "--raw",
            "--no-abbrev",
            "--no-renames",
            "-z",
            "--diff-filter=AMC",
        ],
    )?;
    // `-z`: `:<modes> <ids> <status>\0<path>\0` pairs.
    let fields: Vec<&[u8]> = diff.split(|&b| b == 0).collect();
    let mut staged: Vec<(String, String)> = Vec::new();
    for pair in fields.chunks(2) {
        let [meta, path] = pair else { continue };
        let meta: Vec<&[u8]> = meta.split(|&b| b == b' ').collect();
        let (Some(mode), Some(id)) = (meta.get(1), meta.get(3)) else {
            continue;
        };
        if mode.starts_with(b"160") {
            continue;
        }
        staged.push((
            String::from_utf8_lossy(id).into_owned(),
            String::from_utf8_lossy(path).into_owned(),
        ));
    }
    let (paths, ids) = group_by_id(&staged, |(id, _)| id);
    let mut findings = Vec::new();
    read_blobs(dir, &ids, |id, data| {
        let Some(holders) = paths.get(id) else { return };
        if is_binary(data) {
            return;
        }
        for (_, path) in holders {
            findings.extend(scan_at(detector, data, path));
        }
    })?;
    let line = |f: &Finding| {
        format!(
            "  {}:{}  {}  {}",
            f.path,
            f.line,
            f.rule,
            f.shown_secret(false)
        )
    };
    let (blocking, below): (Vec<Finding>, Vec<Finding>) =
        findings.into_iter().partition(|f| f.severity >= fail_on);
    if !below.is_empty() {
        let _ = writeln!(
            out,
            "scour: warning: the staged changes add {} possible secret(s) below fail_on:",
            below.len()
        );
        for f in &below {
            let _ = writeln!(out, "{}", line(f));
        }
    }
    if blocking.is_empty() {
        return Ok(true);
    }
    let _ = writeln!(
        out,
        "scour: commit blocked: the staged changes add {} secret(s):",
        blocking.len()
    );
    for f in &blocking {
        let _ = writeln!(out, "{}", line(f));
    }
    let _ = writeln!(
        out,
        "Remove the secret (and `git add` again), mark a false positive with a `scour:allow` comment\n\
         or in .scour.toml's [allow]. To commit anyway: git commit --no-verify (the server may still\n\
         refuse the push)."
    );
    Ok(false)
}

/// The script `scour hook install` writes.
pub fn hook_script(kind: &str, scour: &Path) -> String {
    format!(
        "#!/bin/sh\n# Installed by `scour hook install --{kind}`: {}\nexec '{}' hook {kind} \"$@\"\n",
        if kind == "pre-receive" {
            "rejects pushes that introduce secrets."
        } else {
            "blocks commits whose staged changes add secrets."
        },
        scour.display().to_string().replace('\'', "'\\''")
    )
}

/// Writes the hook script `kind` into the repository's hooks directory.
pub fn install(git_dir: &Path, kind: &str, scour: &Path, force: bool) -> Result<PathBuf, Error> {
    let hooks = git_dir.join("hooks");
    std::fs::create_dir_all(&hooks)
        .map_err(|e| Error::Install(format!("{}: {e}", hooks.display())))?;
    let path = hooks.join(kind);
    if path.exists() && !force {
        return Err(Error::Install(format!(
            "{} already exists; pass --force to replace it (or call `scour hook {kind}` from it)",
            path.display()
        )));
    }
    std::fs::write(&path, hook_script(kind, scour))
        .map_err(|e| Error::Install(format!("{}: {e}", path.display())))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755))
            .map_err(|e| Error::Install(format!("{}: {e}", path.display())))?;
    }
    Ok(path)
}

/// Groups items by blob id, and lists each id once (the order of first appearance).
fn group_by_id<'a, T>(
    items: &'a [T],
    id: impl Fn(&'a T) -> &'a String,
) -> (HashMap<&'a str, Vec<&'a T>>, Vec<&'a str>) {
    let mut groups: HashMap<&str, Vec<&T>> = HashMap::new();
    let mut ids = Vec::new();
    for item in items {
        let key = id(item).as_str();
        let group = groups.entry(key).or_default();
        if group.is_empty() {
            ids.push(key);
        }
        group.push(item);
    }
    (groups, ids)
}

/// The findings of a blob's bytes judged at `path`.
fn scan_at(detector: &Detector, data: &[u8], path: &str) -> Vec<Finding> {
    let scanned = detector.scan(Input::from_path(data, Path::new(path)));
    let lines = LineIndex::new(data);
    scanned
        .matches
        .iter()
        .filter_map(|m| {
            detector.finding(
                m,
                path,
                Site::File(Some(Path::new(path))),
                lines.place(&m.span),
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn updates_parse_and_bad_lines_are_named() {
        let (zero, one, two) = ("0".repeat(40), "1".repeat(40), "2".repeat(40));
        let input = format!("{zero} {one} refs/heads/main\n{two} {zero} refs/heads/old\n");
        let u = parse_updates(&input).unwrap();
        assert_eq!(u.len(), 2);
        assert!(u[1].is_deletion());
        let err = parse_updates("just two\n").unwrap_err().to_string();
        assert!(err.contains("line 1"), "{err}");
        assert!(parse_updates("not an id refs/heads/x\n").is_err());
    }

    #[test]
    fn bypass_needs_a_reason() {
        assert_eq!(bypass_reason(&[]), None);
        assert_eq!(bypass_reason(&["scour.skip".into()]), Some(String::new()));
        assert_eq!(bypass_reason(&["scour.skip=".into()]), Some(String::new()));
        assert_eq!(
            bypass_reason(&["ci.skip".into(), "scour.skip=test fixture".into()]),
            Some("test fixture".into())
        );
    }
}
