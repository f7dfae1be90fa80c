//! One purge at a time: `.git/scour/lock` names the process running one. A lock whose process
//! is gone (killed, or the machine went down) is taken over, and the lock files git and scour
//! left in that run are removed, but only while no git process works in the repository: a lock
//! of a live process is never touched.

use std::io::Write;
use std::path::{Path, PathBuf};

use super::Error;
use crate::scan::Warning;

/// The lock file's name under `.git/scour/`.
const NAME: &str = "lock";

/// Held while a purge runs; dropped, it removes its file (and `.git/scour/`, if it made that
/// and nothing else was put there: a refusal leaves no trace).
#[derive(Debug)]
pub struct Lock {
    path: PathBuf,
    made_dir: bool,
}

impl Drop for Lock {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
        if let (true, Some(dir)) = (self.made_dir, self.path.parent()) {
            let _ = std::fs::remove_dir(dir);
        }
    }
}

/// Who holds a lock: process id, its start time (to tell a reused id), and when it took it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Owner {
    pid: u32,
    started: u64,
    since: u64,
}

impl Owner {
    fn me() -> Owner {
        let pid = std::process::id();
        Owner {
            pid,
            started: proc_stat(pid).map_or(0, |(_, started)| started),
            since: now(),
        }
    }

    fn parse(text: &str) -> Option<Owner> {
        let mut fields = text.split_whitespace().map(str::parse::<u64>);
        let pid = u32::try_from(fields.next()?.ok()?).ok()?;
        Some(Owner {
            pid,
            started: fields.next()?.ok()?,
            since: fields.next()?.ok()?,
        })
    }

    fn alive(&self) -> bool {
        match proc_stat(self.pid) {
            // A zombie has died; one with another start time is another process.
            Some((state, started)) => state != 'Z' && started == self.started,
            None => is_running(self.pid),
        }
    }
}

impl Lock {
    /// Takes the lock of the repository whose common directory is `common`; a stale one is
    /// taken over (`warn` says what was cleared), a live one refused.
    pub fn take(common: &Path, warn: &(dyn Fn(Warning) + Sync)) -> Result<Lock, Error> {
        let state = common.join("scour");
        let made_dir = !state.is_dir();
        std::fs::create_dir_all(&state)
            .map_err(|e| Error::Rewrite(format!("{}: {e}", state.display())))?;
        let path = state.join(NAME);
        let me = Owner::me();
        for _ in 0..3 {
            let created = std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(&path);
            match created {
                Ok(mut file) => {
                    writeln!(file, "{} {} {}", me.pid, me.started, me.since)
                        .map_err(|e| Error::Rewrite(format!("{}: {e}", path.display())))?;
                    return Ok(Lock { path, made_dir });
                }
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                    let text = std::fs::read_to_string(&path).unwrap_or_default();
                    match Owner::parse(&text) {
                        Some(owner) if owner.alive() => return Err(Error::Busy(owner.pid)),
                        owner => take_over(common, &path, owner, warn)?,
                    }
                }
                Err(e) => return Err(Error::Rewrite(format!("{}: {e}", path.display()))),
            }
        }
        Err(Error::Rewrite(format!(
            "{}: could not take the lock",
            path.display()
        )))
    }
}

/// Clears what a dead purge left locked, then its lock.
fn take_over(
    common: &Path,
    path: &Path,
    owner: Option<Owner>,
    warn: &(dyn Fn(Warning) + Sync),
) -> Result<(), Error> {
    // A lock with no readable owner was cut short while being written: its run had not begun.
    let since = owner.map_or(u64::MAX, |o| o.since);
    let mut cleared = Vec::new();
    if since != u64::MAX {
        if let Some(busy) = git_running_in(common) {
            return Err(Error::Rewrite(format!(
                "an earlier purge (pid {}) was killed and left locks, but git (pid {busy}) is working in this repository now; run the purge again once it is done",
                owner.map_or(0, |o| o.pid)
            )));
        }
        for file in stale_files(common, since, owner.map(|o| o.pid)) {
            if std::fs::remove_file(&file).is_ok() {
                cleared.push(file.display().to_string());
            }
        }
    }
    std::fs::remove_file(path)
        .or_else(|e| match e.kind() {
            std::io::ErrorKind::NotFound => Ok(()),
            _ => Err(e),
        })
        .map_err(|e| Error::Rewrite(format!("{}: {e}", path.display())))?;
    let pid = owner.map_or("?".to_string(), |o| o.pid.to_string());
    let what = if cleared.is_empty() {
        String::new()
    } else {
        format!(" and removed the locks it left: {}", cleared.join(", "))
    };
    warn(Warning {
        place: "purge".into(),
        message: format!("an earlier purge (pid {pid}) was killed; took over its lock{what}"),
    });
    Ok(())
}

/// The `*.lock` files under `common` (loose object directories aside) made since `since`
/// (seconds), and the temporary packs of process `pid`.
fn stale_files(common: &Path, since: u64, pid: Option<u32>) -> Vec<PathBuf> {
    let tmp_prefix = pid.map(|p| format!("tmp_scour_{p}_"));
    let mut found = Vec::new();
    let mut dirs = vec![common.to_path_buf()];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
            let path = entry.path();
            let Ok(meta) = entry.metadata() else { continue };
            let name = entry.file_name().to_string_lossy().to_string();
            if meta.is_dir() {
                // Fan-out directories of loose objects hold no locks.
                let fan_out = name.len() == 2 && name.bytes().all(|b| b.is_ascii_hexdigit());
                if !fan_out && name != "worktrees" {
                    dirs.push(path);
                }
                continue;
            }
            let made = meta
                .modified()
                .ok()
                .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
                .map_or(0, |d| d.as_secs());
            let ours = tmp_prefix.as_deref().is_some_and(|p| name.starts_with(p));
            // Seconds are coarse: a lock made in the second the run began counts as its own.
            let lock = name.ends_with(".lock") && made + 1 >= since;
            if ours || lock {
                found.push(path);
            }
        }
    }
    found
}

/// A git process (other than scour's own) whose working directory or `GIT_DIR` lies in the
/// repository, if there is one; on systems without `/proc`, none is seen.
fn git_running_in(common: &Path) -> Option<u32> {
    let repo = std::fs::canonicalize(common).ok()?;
    let top = repo.parent().map(Path::to_path_buf);
    let me = std::process::id();
    for entry in std::fs::read_dir("/proc").ok()?.flatten() {
        let Some(pid) = entry
            .file_name()
            .to_str()
            .and_then(|s| s.parse::<u32>().ok())
        else {
            continue;
        };
        let comm = std::fs::read_to_string(entry.path().join("comm")).unwrap_or_default();
        if pid == me || !comm.trim_end().starts_with("git") {
            continue;
        }
        let cwd = std::fs::read_link(entry.path().join("cwd")).ok();
        let environ = std::fs::read(entry.path().join("environ")).unwrap_or_default();
        let git_dir = environ
            .split(|&b| b == 0)
            .find_map(|v| v.strip_prefix(b"GIT_DIR="))
            .map(|v| PathBuf::from(String::from_utf8_lossy(v).to_string()));
        let inside = |p: &Path| p.starts_with(&repo) || top.as_deref().is_some_and(|t| p == t);
        if cwd.as_deref().is_some_and(inside) || git_dir.as_deref().is_some_and(inside) {
            return Some(pid);
        }
    }
    None
}

fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// The state letter of process `pid` and when it started, in clock ticks since boot (Linux);
/// `None` when unknown.
fn proc_stat(pid: u32) -> Option<(char, u64)> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name, in parentheses, may hold spaces: count fields after its end.
    let mut rest = stat[stat.rfind(')')? + 1..].split_whitespace();
    let state = rest.next()?.chars().next()?;
    Some((state, rest.nth(18)?.parse().ok()?))
}

#[cfg(unix)]
fn is_running(pid: u32) -> bool {
    let Ok(pid) = libc::pid_t::try_from(pid) else {
        return false;
    };
    // SAFETY: signal 0 only checks that the process exists; nothing is delivered.
    let result = unsafe { libc::kill(pid, 0) };
    result == 0 || std::io::Error::last_os_error().raw_os_error() == Some(libc::EPERM)
}

#[cfg(not(unix))]
fn is_running(_pid: u32) -> bool {
    // Without a way to tell, a lock is presumed live: the user removes it.
    true
}
