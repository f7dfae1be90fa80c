//! A bare "server" repository with `scour hook pre-receive` installed, and clients that push to
//! it with real `git push`. The hook script can wrap scour in `/usr/bin/time`, so that a test
//! reads what each run of the hook cost (peak RSS, wall time).

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::Duration;

use super::Repo;

/// The server side: a bare repository and the hook's measurements file.
pub struct Server {
    dir: tempfile::TempDir,
    /// The bare repository.
    pub bare: PathBuf,
    measure: Option<PathBuf>,
}

/// What one run of the hook cost.
#[derive(Debug, Clone, Copy)]
pub struct Cost {
    /// Peak resident set size of the hook (scour and the `git` it waited for), KiB.
    pub max_rss_kib: u64,
    /// Wall time of the hook.
    pub wall: Duration,
}

/// Runs `git ARGS` in `dir`.
pub fn git(dir: &Path, args: &[&str]) -> Output {
    Command::new("git")
        .args(args)
        .current_dir(dir)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .output()
        .expect("git runs")
}

impl Server {
    /// A bare repository whose pre-receive hook runs `scour hook pre-receive HOOK_ARGS`; with
    /// `measure`, under `/usr/bin/time` (when the machine has it).
    pub fn new(hook_args: &[&str], measure: bool) -> Server {
        let dir = tempfile::tempdir().expect("temporary directory");
        let bare = dir.path().join("server.git");
        assert!(git(
            dir.path(),
            &["init", "-q", "--bare", "-b", "main", "server.git"]
        )
        .status
        .success());
        for (k, v) in [
            ("receive.advertisePushOptions", "true"),
            // Big test blobs: store them fast.
            ("core.compression", "1"),
        ] {
            assert!(git(&bare, &["config", k, v]).status.success());
        }
        let time = Path::new("/usr/bin/time");
        let measure = (measure && time.exists()).then(|| dir.path().join("measure.txt"));
        let quote = |s: &str| format!("'{}'", s.replace('\'', "'\\''"));
        let scour = quote(&super::binary().display().to_string());
        let args: Vec<String> = hook_args.iter().map(|a| quote(a)).collect();
        let command = match &measure {
            // `%M %e` ends each run's record; time adds a line of its own before it when the
            // hook exits non-zero.
            Some(file) => format!(
                "/usr/bin/time -a -o {} -f 'cost %M %e' {scour} hook pre-receive {}",
                quote(&file.display().to_string()),
                args.join(" ")
            ),
            None => format!("{scour} hook pre-receive {}", args.join(" ")),
        };
        let hook = bare.join("hooks/pre-receive");
        std::fs::write(&hook, format!("#!/bin/sh\nexec {command}\n")).expect("write the hook");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&hook, std::fs::Permissions::from_mode(0o755))
                .expect("make the hook executable");
        }
        Server { dir, bare, measure }
    }

    /// A client clone with one clean commit pushed to `main`.
    pub fn client(&self) -> Repo {
        let client = Repo::new();
        client.git(&["remote", "add", "origin", self.bare.to_str().unwrap()]);
        client.git(&["config", "core.compression", "1"]);
        client.git(&["config", "pack.compression", "1"]);
        if self.ls_remote().contains("refs/heads/main") {
            client.git(&["fetch", "-q", "origin"]);
            client.git(&["reset", "-q", "--hard", "origin/main"]);
        } else {
            client.write("README.md", "# service\n");
            client.commit_all("start");
            let first = push(&client, &["origin", "main"]);
            assert!(first.status.success(), "{}", stderr(&first));
        }
        client
    }

    /// The server's refs, as `git for-each-ref` prints them.
    pub fn ls_remote(&self) -> String {
        String::from_utf8_lossy(&git(&self.bare, &["for-each-ref"]).stdout).into_owned()
    }

    /// The costs of every hook run so far, in order (empty without measuring).
    pub fn costs(&self) -> Vec<Cost> {
        let Some(file) = &self.measure else {
            return Vec::new();
        };
        std::fs::read_to_string(file)
            .unwrap_or_default()
            .lines()
            .filter_map(|l| {
                let mut f = l.strip_prefix("cost ")?.split_whitespace();
                let rss = f.next()?.parse().ok()?;
                let secs: f64 = f.next()?.parse().ok()?;
                Some(Cost {
                    max_rss_kib: rss,
                    wall: Duration::from_secs_f64(secs),
                })
            })
            .collect()
    }

    /// The temporary directory holding the server.
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }
}

/// `git push -q ARGS` from the client.
pub fn push(client: &Repo, args: &[&str]) -> Output {
    let mut all = vec!["push", "-q"];
    all.extend_from_slice(args);
    git(client.path(), &all)
}

/// Standard error as text.
pub fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}
