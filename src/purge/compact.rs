//! Pruning by compaction: once the refs have moved, the objects that are still live go into one
//! new pack, and every old pack and loose object is deleted; that is what removes the flagged
//! blobs from the disk.
//!
//! `git gc --prune=now` does the same job, but it first walks every tree of history again to
//! learn what is live, and in a bare repository it also builds a reachability bitmap. The purge
//! already knows what is live (its index of the old objects plus the links of the ones it
//! wrote), so it hands `git pack-objects` the exact list and lets git copy the data, reusing the
//! stored deltas. Where the object database holds something this module does not model (kept,
//! promisor or cruft packs, a multi-pack index, alternates, linked worktrees, or objects the pass
//! could not read), it leaves the whole job to `git gc`, which knows them all.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use gix::ObjectId;

use crate::source::git::{self, EntryKind, Index};

/// How the old objects were pruned.
#[derive(Debug)]
pub enum Pruned {
    /// One new pack of the live objects replaced the old packs and loose objects.
    Compacted {
        /// Objects in the new pack.
        kept: usize,
        /// Old packs removed.
        packs: usize,
        /// Loose objects removed.
        loose: usize,
    },
    /// `git gc --prune=now` did it, for the reason given.
    Gc(String),
}

impl std::fmt::Display for Pruned {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Pruned::Compacted { kept, packs, loose } => write!(
                f,
                "{kept} live objects repacked into one pack; {packs} old pack(s) and {loose} loose object(s) deleted"
            ),
            Pruned::Gc(why) => write!(f, "by `git gc --prune=now` ({why})"),
        }
    }
}

/// Expires every reflog, then keeps only what the refs, HEAD and the index reach.
/// `written` holds the objects the rewrite created, with what each points at; `problems` is how
/// many packs or objects the pass that built `index` could not read.
pub fn prune(
    repo: &gix::Repository,
    index: &Index,
    written: &HashMap<ObjectId, Vec<ObjectId>>,
    problems: usize,
) -> Result<Pruned, String> {
    let run = |args: &[&str], input: Option<&[u8]>| {
        let dir = repo.workdir().unwrap_or_else(|| repo.git_dir());
        git::run_git_with_input(dir, Some(repo.git_dir()), args, input)
    };
    run(&["reflog", "expire", "--expire=now", "--all"], None)?;
    // Absolute: git runs in another directory.
    let objects = std::fs::canonicalize(repo.common_dir().join("objects"))
        .map_err(|e| format!("{}: {e}", repo.common_dir().join("objects").display()))?;
    let live = match unusual(repo, &objects, problems) {
        Some(why) => Err(why),
        None => live_objects(repo, index, written),
    };
    let live = match live {
        Ok(live) => live,
        Err(why) => {
            run(&["gc", "--prune=now", "--quiet"], None)?;
            return Ok(Pruned::Gc(why));
        }
    };

    // What exists now is what goes once the new pack is in place; anything written meanwhile
    // by another process is left alone.
    let pack_dir = objects.join("pack");
    let old_packs = pack_files(&pack_dir)?;
    let old_loose = git::loose_ids(&objects);
    let mut list = String::with_capacity(live.len() * 41);
    for id in &live {
        list.push_str(&id.to_hex().to_string());
        list.push('\n');
    }
    let base = pack_dir.join("pack");
    let out = run(
        &[
            "pack-objects",
            "-q",
            "--delta-base-offset",
            &base.to_string_lossy(),
        ],
        Some(list.as_bytes()),
    )?;
    let name = format!("pack-{}", String::from_utf8_lossy(&out).trim());
    let idx = pack_dir.join(format!("{name}.idx"));
    let packed = gix::odb::pack::index::File::at(&idx, repo.object_hash())
        .map_err(|e| format!("the new pack {}: {e}", idx.display()))?
        .num_objects() as usize;
    if packed != live.len() {
        return Err(format!(
            "the new pack {} holds {packed} objects, not the {} listed; the old objects were kept",
            idx.display(),
            live.len()
        ));
    }

    // The commit-graph names commits; the old one would name pruned ones.
    let info = objects.join("info");
    remove_if_present(&info.join("commit-graph"))?;
    if info.join("commit-graphs").is_dir() {
        std::fs::remove_dir_all(info.join("commit-graphs"))
            .map_err(|e| format!("{}: {e}", info.join("commit-graphs").display()))?;
    }
    let mut packs = 0;
    for (stem, files) in &old_packs {
        if *stem == name {
            continue;
        }
        packs += 1;
        // Without its index git no longer sees a pack: the index goes first.
        for file in files {
            remove_if_present(file)?;
        }
    }
    for id in &old_loose {
        let hex = id.to_hex().to_string();
        remove_if_present(&objects.join(&hex[..2]).join(&hex[2..]))?;
    }
    for id in &old_loose {
        // Emptied fan-out directories go too; one still in use stays.
        let _ = std::fs::remove_dir(objects.join(&id.to_hex().to_string()[..2]));
    }
    if info.join("packs").is_file() {
        // The list dumb HTTP clients read.
        std::fs::write(info.join("packs"), format!("P {name}.pack\n\n"))
            .map_err(|e| format!("{}: {e}", info.join("packs").display()))?;
    }
    if writes_commit_graph(repo) {
        run(
            &["commit-graph", "write", "--reachable", "--no-progress"],
            None,
        )?;
    }
    Ok(Pruned::Compacted {
        kept: live.len(),
        packs,
        loose: old_loose.len(),
    })
}

/// Why this object database is better left to `git gc`, if it is.
fn unusual(repo: &gix::Repository, objects: &Path, problems: usize) -> Option<String> {
    if problems > 0 {
        return Some("some objects could not be read".into());
    }
    let alternates = objects.join("info").join("alternates");
    if std::fs::metadata(&alternates).is_ok_and(|m| m.len() > 0) {
        return Some("the repository borrows objects from another one".into());
    }
    if objects.join("pack").join("multi-pack-index").exists() {
        return Some("the repository has a multi-pack index".into());
    }
    let worktrees = repo.common_dir().join("worktrees");
    if std::fs::read_dir(&worktrees).is_ok_and(|mut d| d.next().is_some()) {
        return Some("the repository has linked worktrees".into());
    }
    let special = std::fs::read_dir(objects.join("pack"))
        .into_iter()
        .flatten()
        .filter_map(Result::ok)
        .any(|e| {
            let name = e.file_name();
            let name = name.to_string_lossy();
            [".keep", ".promisor", ".mtimes"]
                .iter()
                .any(|ext| name.ends_with(ext))
        });
    if special {
        return Some("the repository has kept, promisor or cruft packs".into());
    }
    None
}

/// Every object the refs, HEAD and the index reach, old or newly written; an error says why
/// the answer cannot be trusted (then `git gc` decides instead).
fn live_objects(
    repo: &gix::Repository,
    index: &Index,
    written: &HashMap<ObjectId, Vec<ObjectId>>,
) -> Result<Vec<ObjectId>, String> {
    let mut stack: Vec<ObjectId> = git::tips(repo, None)
        .map_err(|e| e.to_string())?
        .into_iter()
        .map(|t| t.target)
        .collect();
    if let Ok(head) = repo.head_id() {
        stack.push(head.detach());
    }
    if repo.workdir().is_some() {
        // Staged content is only in the index; it must survive.
        let staged = repo
            .index_or_empty()
            .map_err(|e| format!("reading the index: {e}"))?;
        for entry in staged.entries() {
            if entry.mode != gix::index::entry::Mode::COMMIT {
                stack.push(entry.id);
            }
        }
    }
    let mut seen: HashSet<ObjectId> = HashSet::with_capacity(index.entries().len());
    let mut live = Vec::new();
    while let Some(id) = stack.pop() {
        if !seen.insert(id) {
            continue;
        }
        if let Some(links) = written.get(&id) {
            stack.extend(links);
            live.push(id);
            continue;
        }
        let Some(o) = index.get(&id) else {
            absent(repo, id)?;
            continue;
        };
        if let Some(commit) = index.commit(o) {
            stack.push(index.id(commit.tree));
            stack.extend(commit.parents.iter().map(|&p| index.id(p)));
        } else if let Some(target) = index.tag_target(o) {
            stack.push(index.id(target));
        } else if let Some(entries) = index.tree(o) {
            stack.extend(
                entries
                    .filter(|e| e.kind != EntryKind::Submodule)
                    .map(|e| index.id(e.id)),
            );
        } else if !index.has_blob(o) {
            absent(repo, id)?;
            continue;
        }
        live.push(id);
    }
    Ok(live)
}

/// An object history names but the index does not hold must really be missing (a shallow or
/// partial clone): one that exists unread would be lost by the compaction.
fn absent(repo: &gix::Repository, id: ObjectId) -> Result<(), String> {
    if id == ObjectId::empty_tree(repo.object_hash()) || !repo.has_object(id) {
        Ok(())
    } else {
        Err(format!("object {id} was not indexed"))
    }
}

/// The files of each pack in `dir`, by stem (`pack-<hash>`), the index first.
fn pack_files(dir: &Path) -> Result<Vec<(String, Vec<PathBuf>)>, String> {
    let mut packs: HashMap<String, Vec<PathBuf>> = HashMap::new();
    let entries = std::fs::read_dir(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    for entry in entries.filter_map(Result::ok) {
        let path = entry.path();
        let (Some(stem), Some(ext)) = (
            path.file_stem().and_then(|s| s.to_str()),
            path.extension().and_then(|s| s.to_str()),
        ) else {
            continue;
        };
        if stem.starts_with("pack-") && ["idx", "pack", "rev", "bitmap"].contains(&ext) {
            packs
                .entry(stem.to_string())
                .or_default()
                .push(path.clone());
        }
    }
    let mut packs: Vec<(String, Vec<PathBuf>)> = packs.into_iter().collect();
    for (_, files) in &mut packs {
        files.sort_by_key(|f| f.extension() != Some(std::ffi::OsStr::new("idx")));
    }
    Ok(packs)
}

fn remove_if_present(path: &Path) -> Result<(), String> {
    match std::fs::remove_file(path) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
            Err(format!("cannot remove {}: {e}", path.display()))
        }
        _ => Ok(()),
    }
}

/// Whether `git gc` would write a commit-graph here (it does unless configured not to).
fn writes_commit_graph(repo: &gix::Repository) -> bool {
    let config = repo.config_snapshot();
    config.boolean("core.commitGraph") != Some(false)
        && config.boolean("gc.writeCommitGraph") != Some(false)
}
