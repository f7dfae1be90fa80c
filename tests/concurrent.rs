//! Concurrent pushes: eight clients push at once to one bare repository guarded by `scour hook
//! pre-receive`, for several rounds, each push one of: clean, secret-bearing, bypassed with a
//! reason, bringing back a banned blob, a new branch, a deletion. Every verdict must be the one
//! that push alone would get, the server's refs must show exactly the accepted pushes, and
//! `scour/audit.jsonl` must hold exactly one whole JSON line per bypass.
//!
//! `SCOUR_PUSH_ROUNDS` (default 3) sets the number of rounds.

mod common;

use std::collections::BTreeSet;
use std::sync::Barrier;

use common::server::{push, stderr, Server};
use common::Repo;

const CLIENTS: usize = 8;
/// Content that a purge removed: the server's ban list names its blob.
const BANNED: &str = "a file that `scour purge` once removed from this history\n";

#[derive(Debug, Clone, Copy)]
enum Action {
    Clean,
    Secret,
    Bypass,
    Banned,
    NewBranch,
    Delete,
}

const ACTIONS: [Action; 6] = [
    Action::Clean,
    Action::Secret,
    Action::Bypass,
    Action::Banned,
    Action::NewBranch,
    Action::Delete,
];

/// What one client did in one round, and what the server must show for it.
struct Outcome {
    action: Action,
    branch: String,
    /// The commit pushed (none for a deletion).
    commit: Option<String>,
    accepted: bool,
    stderr: String,
}

fn act(client: &Repo, c: usize, round: usize, base: &str, action: Action) -> Outcome {
    let tag = format!("c{c}-r{round}");
    let commit = |path: &str, content: String| {
        client.git(&["checkout", "-q", "--detach", base]);
        client.write(path, content);
        client.commit_all(&tag);
        client.git(&["rev-parse", "HEAD"]).trim().to_string()
    };
    // Each secret is unique: content already on the server is not new, and not scanned again.
    let secret = format!("DB_PASSWORD=s3cr3t{c}x{round}Qz7\n");
    let (branch, commit, args): (String, Option<String>, Vec<String>) = match action {
        Action::Clean => {
            let id = commit(&format!("src/{tag}.txt"), format!("clean work {tag}\n"));
            (format!("c{c}"), Some(id), vec![])
        }
        Action::Secret => {
            let id = commit(&format!("deploy/{tag}.env"), secret);
            (format!("secret-{tag}"), Some(id), vec![])
        }
        Action::Bypass => {
            let id = commit(&format!("config/{tag}.env"), secret);
            let reason = format!("scour.skip=fixture of {tag}");
            (format!("bypass-{tag}"), Some(id), vec!["-o".into(), reason])
        }
        Action::Banned => {
            let id = commit(&format!("restore/{tag}.txt"), BANNED.into());
            (format!("banned-{tag}"), Some(id), vec![])
        }
        Action::NewBranch => {
            let id = commit(&format!("feature/{tag}.txt"), format!("feature {tag}\n"));
            (format!("new-{tag}"), Some(id), vec![])
        }
        Action::Delete => (format!("victim-{tag}"), None, vec![]),
    };
    let refspec = match &commit {
        Some(id) => format!("+{id}:refs/heads/{branch}"),
        None => format!(":refs/heads/{branch}"),
    };
    let mut all: Vec<&str> = args.iter().map(String::as_str).collect();
    all.extend(["origin", &refspec]);
    let out = push(client, &all);
    Outcome {
        action,
        branch,
        commit,
        accepted: out.status.success(),
        stderr: stderr(&out),
    }
}

#[test]
fn eight_clients_pushing_at_once_each_get_the_right_verdict() {
    let rounds: usize = std::env::var("SCOUR_PUSH_ROUNDS")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(3);
    // A generous deadline: eight hooks share two cores here, and a timeout is not the point.
    let server = Server::new(&["--timeout", "30"], false);
    let first = server.client();
    let banned_id = {
        let f = server.dir().join("banned.txt");
        std::fs::write(&f, BANNED).unwrap();
        first
            .git(&["hash-object", f.to_str().unwrap()])
            .trim()
            .to_string()
    };
    std::fs::create_dir_all(server.bare.join("scour")).unwrap();
    std::fs::write(
        server.bare.join("scour/ban-list"),
        format!("blob {banned_id}\n"),
    )
    .unwrap();
    // The branches that deletions remove, pushed before the rounds.
    let victims: Vec<String> = (0..rounds)
        .flat_map(|r| (0..CLIENTS).map(move |c| format!("HEAD:refs/heads/victim-c{c}-r{r}")))
        .collect();
    let mut args = vec!["origin"];
    args.extend(victims.iter().map(String::as_str));
    let out = push(&first, &args);
    assert!(out.status.success(), "{}", stderr(&out));
    drop(first);
    let clients: Vec<Repo> = (0..CLIENTS).map(|_| server.client()).collect();
    let base = clients[0].git(&["rev-parse", "HEAD"]).trim().to_string();

    let mut bypasses = BTreeSet::new();
    let mut counts = [0usize; 6];
    for round in 0..rounds {
        let barrier = Barrier::new(CLIENTS);
        let outcomes: Vec<Outcome> = std::thread::scope(|scope| {
            let handles: Vec<_> = clients
                .iter()
                .enumerate()
                .map(|(c, client)| {
                    let (barrier, base) = (&barrier, &base);
                    let action = ACTIONS[(c + round) % ACTIONS.len()];
                    scope.spawn(move || {
                        // Commits are made first, then everyone pushes at the same moment.
                        barrier.wait();
                        act(client, c, round, base, action)
                    })
                })
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        });
        let refs = server.ls_remote();
        for (c, o) in outcomes.iter().enumerate() {
            let what = format!("round {round} client {c} {:?}: {}", o.action, o.stderr);
            counts[o.action as usize] += 1;
            let on_server =
                |id: &str| refs.contains(&format!("{id} commit\trefs/heads/{}", o.branch));
            match o.action {
                Action::Clean | Action::NewBranch => {
                    assert!(o.accepted, "{what}");
                    assert!(on_server(o.commit.as_deref().unwrap()), "{what}\n{refs}");
                }
                Action::Secret => {
                    assert!(
                        !o.accepted && o.stderr.contains("push rejected: it adds 1 secret"),
                        "{what}"
                    );
                    assert!(
                        !refs.contains(&format!("refs/heads/{}\n", o.branch)),
                        "{what}"
                    );
                }
                Action::Banned => {
                    assert!(!o.accepted && o.stderr.contains("scour purge"), "{what}");
                    assert!(
                        !refs.contains(&format!("refs/heads/{}\n", o.branch)),
                        "{what}"
                    );
                }
                Action::Bypass => {
                    // `push -q` drops what the hook says on success: the audit log below checks the bypass.
                    assert!(o.accepted, "{what}");
                    assert!(on_server(o.commit.as_deref().unwrap()), "{what}\n{refs}");
                    bypasses.insert(format!("fixture of c{c}-r{round}"));
                }
                Action::Delete => {
                    assert!(o.accepted, "{what}");
                    assert!(
                        !refs.contains(&format!("refs/heads/{}\n", o.branch)),
                        "{what}"
                    );
                }
            }
        }
    }
    let audit = std::fs::read_to_string(server.bare.join("scour/audit.jsonl")).unwrap_or_default();
    let mut reasons = BTreeSet::new();
    for line in audit.lines() {
        let entry: serde_json::Value = serde_json::from_str(line)
            .unwrap_or_else(|e| panic!("a whole JSON line ({e}): {line:?}\n{audit}"));
        assert_eq!(
            entry["fingerprints"].as_array().map(Vec::len),
            Some(1),
            "{line}"
        );
        assert!(
            reasons.insert(entry["reason"].as_str().unwrap().to_string()),
            "one line per bypass: {line}"
        );
    }
    assert_eq!(audit.lines().count(), bypasses.len(), "{audit}");
    assert_eq!(reasons, bypasses);
    eprintln!(
        "{rounds} rounds of {CLIENTS} concurrent pushes: {} clean, {} secret, {} bypassed, {} banned, {} new branches, {} deletions; {} audit lines",
        counts[0], counts[1], counts[2], counts[3], counts[4], counts[5], bypasses.len()
    );
}
