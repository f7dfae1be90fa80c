//! Properties of `scour purge`, on random small histories (branches, merges, annotated and
//! lightweight tags, renames, the same blob at several paths, secrets added and removed) and
//! random selections (`--path` globs, `--blob`):
//!
//! - `--dry-run` changes nothing;
//! - the purge refuses exactly when a selected blob also sits at an unselected path, and then
//!   changes nothing;
//! - otherwise `git fsck --full --strict` is clean, no selected blob is reachable or stored,
//!   every commit whose ancestry never held a selected blob keeps its id, every other commit is
//!   in the commit map, and each rewritten commit has the original's tree minus the selected
//!   entries and the original's parents (mapped);
//! - a second run changes nothing.
//!
//! `PROPTEST_CASES` (default 6) sets the number of histories; each builds a real repository.

mod common;

use std::collections::{BTreeMap, BTreeSet};

use common::{code, Repo};
use proptest::prelude::*;

const PATHS: &[&str] = &[
    "a.txt",
    "dir/b.txt",
    "deploy/app.env",
    "cfg/secret.yaml",
    "copy/app.env",
    "notes.md",
];
const CONTENTS: &[&str] = &[
    "hello\n",
    "x = 1\n",
    "DB_PASSWORD=s3cr3tDbPass1\n",
    "kind: Secret\ndata:\n  POSTGRES_PASSWORD: cGFzc3dvcmQ=\n",
    "token: ghp_R8aK2mQ9xL4vT7bN1cW5yH3jD6fG0sP2eZ4u\n",
];
/// `*` matches `/` too, as `--path` documents.
const GLOBS: &[&str] = &["deploy/*", "*app.env", "a.txt", "*.yaml", "dir/*", "*"];

#[derive(Debug, Clone)]
enum Op {
    Write(usize, usize),
    Remove(usize),
    Rename(usize, usize),
    Commit,
    Branch,
    Checkout(usize),
    Merge(usize),
    Tag(bool),
}

#[derive(Debug, Clone)]
enum Selection {
    Path(usize),
    Blob(usize),
}

fn op() -> impl Strategy<Value = Op> {
    let (p, c) = (PATHS.len(), CONTENTS.len());
    prop_oneof![
        4 => (0..p, 0..c).prop_map(|(p, c)| Op::Write(p, c)),
        1 => (0..p).prop_map(Op::Remove),
        1 => (0..p, 0..p).prop_map(|(a, b)| Op::Rename(a, b)),
        3 => Just(Op::Commit),
        1 => Just(Op::Branch),
        1 => (0..4usize).prop_map(Op::Checkout),
        1 => (0..4usize).prop_map(Op::Merge),
        1 => any::<bool>().prop_map(Op::Tag),
    ]
}

fn selection() -> impl Strategy<Value = Selection> {
    prop_oneof![
        (0..GLOBS.len()).prop_map(Selection::Path),
        (0..16usize).prop_map(Selection::Blob),
    ]
}

/// Runs git, returning whether it succeeded (merges may conflict).
fn try_git(repo: &Repo, args: &[&str]) -> bool {
    std::process::Command::new("git")
        .args(args)
        .current_dir(repo.path())
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_AUTHOR_DATE", "2024-01-01T00:00:00Z")
        .env("GIT_COMMITTER_DATE", "2024-01-01T00:00:00Z")
        .output()
        .expect("git runs")
        .status
        .success()
}

/// Builds the history the ops describe; every commit message is unique, so no two commits
/// share an id by accident.
fn build(ops: &[Op]) -> Repo {
    let repo = Repo::new();
    repo.write("README.md", "# random\n");
    repo.commit_all("c0");
    let mut branches = vec!["main".to_string()];
    let mut n = 0;
    let commit = |repo: &Repo, n: &mut usize| {
        *n += 1;
        repo.git(&["add", "-A"]);
        repo.git(&["commit", "-q", "--allow-empty", "-m", &format!("c{n}")]);
    };
    for op in ops {
        match op {
            Op::Write(p, c) => {
                repo.write(PATHS[*p], CONTENTS[*c]);
            }
            Op::Remove(p) => {
                let _ = std::fs::remove_file(repo.path().join(PATHS[*p]));
            }
            Op::Rename(a, b) => {
                if let Ok(content) = std::fs::read(repo.path().join(PATHS[*a])) {
                    let _ = std::fs::remove_file(repo.path().join(PATHS[*a]));
                    repo.write(PATHS[*b], content);
                }
            }
            Op::Commit => commit(&repo, &mut n),
            Op::Branch => {
                commit(&repo, &mut n);
                let name = format!("b{}", branches.len());
                repo.git(&["checkout", "-q", "-b", &name]);
                branches.push(name);
            }
            Op::Checkout(b) => {
                commit(&repo, &mut n);
                repo.git(&["checkout", "-q", &branches[b % branches.len()]]);
            }
            Op::Merge(b) => {
                commit(&repo, &mut n);
                let other = &branches[b % branches.len()];
                if !try_git(&repo, &["merge", "-q", "--no-ff", "-m", "merge", other]) {
                    repo.git(&["merge", "--abort"]);
                }
            }
            Op::Tag(annotated) => {
                commit(&repo, &mut n);
                let name = format!("t{n}");
                if *annotated {
                    repo.git(&["tag", "-a", &name, "-m", "release"]);
                } else {
                    repo.git(&["tag", &name]);
                }
            }
        }
    }
    commit(&repo, &mut n);
    repo
}

/// What the tests compare: every commit's parents and files, and the refs.
struct State {
    refs: BTreeMap<String, String>,
    commits: BTreeMap<String, (Vec<String>, BTreeMap<String, String>)>,
    objects: BTreeSet<String>,
}

fn state(repo: &Repo) -> State {
    let refs = repo
        .git(&["for-each-ref", "--format=%(refname) %(objectname)"])
        .lines()
        .filter_map(|l| l.split_once(' '))
        .map(|(r, id)| (r.to_string(), id.to_string()))
        .collect();
    let commits = repo
        .git(&["rev-list", "--all", "--parents"])
        .lines()
        .map(|l| {
            let mut ids = l.split(' ').map(str::to_string);
            let id = ids.next().unwrap();
            let files = repo
                .git(&["ls-tree", "-r", &id])
                .lines()
                .map(|l| {
                    let (meta, path) = l.split_once('\t').unwrap();
                    (
                        path.to_string(),
                        meta.split(' ').nth(2).unwrap().to_string(),
                    )
                })
                .collect();
            (id, (ids.collect(), files))
        })
        .collect();
    let objects = repo
        .git(&[
            "cat-file",
            "--batch-all-objects",
            "--batch-check=%(objectname)",
        ])
        .lines()
        .map(str::to_string)
        .collect();
    State {
        refs,
        commits,
        objects,
    }
}

fn purge(repo: &Repo, args: &[String]) -> std::process::Output {
    let mut all = vec!["purge", "--progress", "never", "--include-head"];
    all.extend(args.iter().map(String::as_str));
    repo.scour(&all)
}

fn check(ops: &[Op], sel: &Selection) -> Result<(), TestCaseError> {
    let repo = build(ops);
    let before = state(&repo);
    let all_blobs: BTreeSet<&String> = before
        .commits
        .values()
        .flat_map(|(_, f)| f.values())
        .collect();
    let (args, selected): (Vec<String>, BTreeSet<String>) = match sel {
        Selection::Path(g) => {
            let glob = globset::Glob::new(GLOBS[*g]).unwrap().compile_matcher();
            let selected = before
                .commits
                .values()
                .flat_map(|(_, f)| f.iter())
                .filter(|(p, _)| glob.is_match(p.as_str()))
                .map(|(_, b)| b.clone())
                .collect();
            (vec!["--path".into(), GLOBS[*g].into()], selected)
        }
        Selection::Blob(i) => {
            let blob = (*all_blobs.iter().nth(i % all_blobs.len()).unwrap()).clone();
            (vec!["--blob".into(), blob.clone()], BTreeSet::from([blob]))
        }
    };
    let show = |out: &std::process::Output| {
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    };
    let unchanged = |what: &str| -> Result<(), TestCaseError> {
        let now = state(&repo);
        prop_assert_eq!(&now.refs, &before.refs, "{}: refs changed", what);
        prop_assert_eq!(&now.objects, &before.objects, "{}: objects changed", what);
        Ok(())
    };

    // A selected blob also at a path the globs miss would stay reachable: a refusal.
    let glob = match sel {
        Selection::Path(g) => Some(globset::Glob::new(GLOBS[*g]).unwrap().compile_matcher()),
        Selection::Blob(_) => None,
    };
    let stays = glob.as_ref().is_some_and(|glob| {
        before
            .commits
            .values()
            .flat_map(|(_, f)| f.iter())
            .any(|(p, b)| selected.contains(b) && !glob.is_match(p.as_str()))
    });
    let dry = purge(&repo, &[args.clone(), vec!["--dry-run".into()]].concat());
    prop_assert!(
        code(&dry) == if stays { 2 } else { 0 },
        "dry run: {}",
        show(&dry)
    );
    unchanged("--dry-run")?;
    prop_assert!(
        !repo.path().join(".git/scour").exists(),
        "--dry-run wrote .git/scour"
    );

    let out = purge(&repo, &args);
    if stays {
        prop_assert!(code(&out) == 2, "a refusal expected: {}", show(&out));
        return unchanged("a refused purge");
    }
    prop_assert!(code(&out) == 0, "purge: {}", show(&out));
    if selected.is_empty() {
        return unchanged("an empty selection");
    }
    prop_assert!(
        try_git(&repo, &["fsck", "--full", "--strict"]),
        "fsck after the purge"
    );
    let after = state(&repo);
    let reachable = repo.git(&["rev-list", "--objects", "--all"]);
    for blob in &selected {
        prop_assert!(
            !reachable.contains(blob.as_str()),
            "{} still reachable",
            blob
        );
        prop_assert!(!after.objects.contains(blob), "{} still stored", blob);
    }
    prop_assert_eq!(
        after.refs.keys().collect::<Vec<_>>(),
        before.refs.keys().collect::<Vec<_>>()
    );
    // Commits whose ancestry never held a selected blob keep their ids; the rest are mapped.
    let map: BTreeMap<String, String> =
        std::fs::read_to_string(repo.path().join(".git/scour/commit-map"))
            .unwrap_or_default()
            .lines()
            .filter_map(|l| l.split_once(' '))
            .map(|(a, b)| (a.to_string(), b.trim().to_string()))
            .collect();
    let mut tainted: BTreeSet<String> = BTreeSet::new();
    let old_order: Vec<&String> = {
        let mut ids: Vec<&String> = before.commits.keys().collect();
        // Parents first: repeat until stable (histories here are tiny).
        let mut placed: Vec<&String> = Vec::new();
        while !ids.is_empty() {
            ids.retain(|id| {
                let ready = before.commits[*id].0.iter().all(|p| placed.contains(&p));
                if ready {
                    placed.push(id);
                }
                !ready
            });
        }
        placed
    };
    for id in old_order {
        let (parents, files) = &before.commits[id];
        if files.values().any(|b| selected.contains(b))
            || parents.iter().any(|p| tainted.contains(p))
        {
            tainted.insert(id.clone());
        }
    }
    for (old, (parents, files)) in &before.commits {
        let new = if tainted.contains(old) {
            let mapped = map.get(old);
            prop_assert!(mapped.is_some(), "{} missing from the commit map", old);
            mapped.unwrap()
        } else {
            prop_assert!(after.commits.contains_key(old), "{} lost its id", old);
            old
        };
        let (new_parents, new_files) = &after.commits[new];
        let expected: BTreeMap<String, String> = files
            .iter()
            .filter(|(_, b)| !selected.contains(*b))
            .map(|(p, b)| (p.clone(), b.clone()))
            .collect();
        prop_assert_eq!(new_files, &expected, "tree of {} (was {})", new, old);
        let mapped_parents: Vec<&String> =
            parents.iter().map(|p| map.get(p).unwrap_or(p)).collect();
        prop_assert_eq!(
            new_parents.iter().collect::<Vec<_>>(),
            mapped_parents,
            "parents of {}",
            new
        );
    }
    prop_assert_eq!(
        after.commits.len(),
        before.commits.len(),
        "no commit dropped or added"
    );

    let again = purge(&repo, &args);
    prop_assert!(code(&again) == 0, "second run: {}", show(&again));
    prop_assert_eq!(state(&repo).refs, after.refs, "a second run changed refs");
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: std::env::var("PROPTEST_CASES").ok().and_then(|c| c.parse().ok()).unwrap_or(6),
        // Each case builds a repository and purges it three times: shrink briefly.
        max_shrink_iters: 64,
        ..ProptestConfig::default()
    })]

    #[test]
    fn purge_keeps_its_invariants_on_random_histories(
        ops in prop::collection::vec(op(), 3..16),
        sel in selection(),
    ) {
        check(&ops, &sel)?;
    }
}
