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
use std::hash::BuildHasherDefault;
use std::path::{Path, PathBuf};

use gix::ObjectId;

use super::pack::PackOut;
use super::rewrite::Links;
use super::Error;
use crate::source::git::{self, EntryKind, Index, Obj};

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
/// many packs or objects the pass that built `index` could not read. `check` is given the new
/// pack's index file before anything is deleted; when it fails, the new pack goes instead.
/// (When `git gc` does the job, `check` is not called.)
pub fn prune(
    repo: &gix::Repository,
    index: &Index,
    written: &HashMap<ObjectId, Links>,
    problems: usize,
    check: &mut dyn FnMut(&Path) -> Result<(), Error>,
) -> Result<Pruned, Error> {
    let run = |args: &[&str]| {
        let dir = repo.workdir().unwrap_or_else(|| repo.git_dir());
        git::run_git(dir, Some(repo.git_dir()), args).map_err(Error::Rewrite)
    };
    run(&["reflog", "expire", "--expire=now", "--all"])?;
    super::crash::point("reflogs");
    // Absolute: git runs in another directory.
    let objects = std::fs::canonicalize(repo.common_dir().join("objects")).map_err(|e| {
        Error::Rewrite(format!(
            "{}: {e}",
            repo.common_dir().join("objects").display()
        ))
    })?;
    let live = match unusual(repo, &objects, problems) {
        Some(why) => Err(why),
        None => live_objects(repo, index, written),
    };
    let live = match live {
        Ok(live) => live,
        Err(why) => {
            // Killed half-way, gc would leave a commit-graph naming commits its repack dropped.
            drop_commit_graph(&objects).map_err(Error::Rewrite)?;
            run(&["gc", "--prune=now", "--quiet"])?;
            return Ok(Pruned::Gc(why));
        }
    };

    // What exists now is what goes once the new pack is in place; anything written meanwhile
    // by another process is left alone.
    let pack_dir = objects.join("pack");
    let old_packs = pack_files(&pack_dir).map_err(Error::Rewrite)?;
    let old_loose = git::loose_ids(&objects);
    let name = write_pack(repo, &pack_dir, &live).map_err(Error::Rewrite)?;
    super::crash::point("packed");
    if let Err(e) = check(&pack_dir.join(format!("{name}.idx"))) {
        // Unless it replaced an identical old one, the new pack goes and the old ones stay.
        if !old_packs.iter().any(|(stem, _)| *stem == name) {
            for ext in ["idx", "pack"] {
                let _ = std::fs::remove_file(pack_dir.join(format!("{name}.{ext}")));
            }
        }
        return Err(e);
    }
    super::crash::point("verified");
    let packs = let_go(&objects, &name, &old_packs, &old_loose).map_err(Error::Rewrite)?;
    super::crash::point("pruned");
    if writes_commit_graph(repo) {
        run(&["commit-graph", "write", "--reachable", "--no-progress"])?;
        super::crash::point("graph-written");
    }
    Ok(Pruned::Compacted {
        kept: live.len(),
        packs,
        loose: old_loose.len(),
    })
}

/// Deletes what the new pack `name` replaces: the old packs (but one of that name), the loose
/// objects listed before it was written, and the commit-graph, which would name pruned commits;
/// updates the pack list of dumb HTTP clients. Returns how many packs went.
fn let_go(
    objects: &Path,
    name: &str,
    old_packs: &[(String, Vec<PathBuf>)],
    old_loose: &[ObjectId],
) -> Result<usize, String> {
    let info = objects.join("info");
    // First: a commit-graph naming a commit whose pack is gone fails `git fsck`.
    drop_commit_graph(objects)?;
    super::crash::point("graph-dropped");
    let mut packs = 0;
    for (stem, files) in old_packs.iter().filter(|(stem, _)| stem != name) {
        packs += 1;
        // Without its index git no longer sees a pack: the index goes first.
        for file in files {
            remove_if_present(file).map_err(|e| format!("{e} (while deleting the pack {stem})"))?;
        }
        super::crash::point("pack-deleted");
    }
    for id in old_loose {
        let hex = id.to_hex().to_string();
        remove_if_present(&objects.join(&hex[..2]).join(&hex[2..]))?;
    }
    for id in old_loose {
        // Emptied fan-out directories go too; one still in use stays.
        let _ = std::fs::remove_dir(objects.join(&id.to_hex().to_string()[..2]));
    }
    if info.join("packs").is_file() {
        std::fs::write(info.join("packs"), format!("P {name}.pack\n\n"))
            .map_err(|e| format!("{}: {e}", info.join("packs").display()))?;
    }
    Ok(packs)
}

/// Removes the commit-graph (single file or chain), synced: it may name commits about to go.
fn drop_commit_graph(objects: &Path) -> Result<(), String> {
    let info = objects.join("info");
    remove_if_present(&info.join("commit-graph"))?;
    if info.join("commit-graphs").is_dir() {
        std::fs::remove_dir_all(info.join("commit-graphs"))
            .map_err(|e| format!("{}: {e}", info.join("commit-graphs").display()))?;
    }
    #[cfg(unix)]
    if info.is_dir() {
        std::fs::File::open(&info)
            .and_then(|dir| dir.sync_all())
            .map_err(|e| format!("{}: {e}", info.display()))?;
    }
    Ok(())
}

/// Writes one pack holding exactly `live` into `pack_dir` and returns its name
/// (`pack-<hash>`). Each object's stored bytes are copied from the pack that holds it, checked
/// against the CRC32 its index records; a delta is re-pointed at its base's new place, or, when
/// its base does not come along, the object is stored whole. Loose objects are compressed anew.
fn write_pack(
    repo: &gix::Repository,
    pack_dir: &Path,
    live: &[ObjectId],
) -> Result<String, String> {
    use gix::odb::pack::data::entry::Header;
    type IdSet = HashSet<ObjectId, BuildHasherDefault<git::TailHasher>>;
    let hash = repo.object_hash();
    let wanted: IdSet = live.iter().copied().collect();
    let mut taken = IdSet::default();
    let count = u32::try_from(live.len()).map_err(|_| "too many objects for one pack")?;
    let failed = |e: std::io::Error| format!("writing the new pack: {e}");
    let mut out = PackOut::new(pack_dir, Some(count), hash).map_err(failed)?;
    let whole = |out: &mut PackOut, id: ObjectId| -> Result<(), String> {
        let object = repo
            .find_object(id)
            .map_err(|e| format!("object {id}: {e}"))?;
        out.whole(id, object.kind, &object.data).map_err(failed)
    };
    let objects = pack_dir.parent().unwrap_or(pack_dir).to_path_buf();
    for idx in git::pack_indices(&[objects]) {
        let unreadable = |e: &dyn std::fmt::Display| format!("{}: {e}", idx.display());
        let index = gix::odb::pack::index::File::at(&idx, hash).map_err(|e| unreadable(&e))?;
        let pack = gix::odb::pack::data::File::at(idx.with_extension("pack"), hash)
            .map_err(|e| unreadable(&e))?;
        let mut entries: Vec<_> = index.iter().collect();
        entries.sort_by_key(|e| e.pack_offset);
        // Old offset to new, for the objects copied from this pack: where deltas find bases.
        let mut moved: HashMap<u64, u64> = HashMap::new();
        for (i, e) in entries.iter().enumerate() {
            if !wanted.contains(&e.oid) || taken.contains(&e.oid) {
                continue;
            }
            let end = entries
                .get(i + 1)
                .map_or(pack.pack_end() as u64, |next| next.pack_offset);
            let stored = pack
                .entry_slice(e.pack_offset..end)
                .ok_or_else(|| unreadable(&format!("object {} lies past the end", e.oid)))?;
            if e.crc32.is_some_and(|crc| crc != crc32fast::hash(stored)) {
                return Err(unreadable(&format!(
                    "object {} does not match its checksum",
                    e.oid
                )));
            }
            let entry = pack.entry(e.pack_offset).map_err(|err| unreadable(&err))?;
            let new_offset = out.offset();
            match entry.header {
                Header::OfsDelta { base_distance } => {
                    let base = e.pack_offset.checked_sub(base_distance);
                    match base.and_then(|b| moved.get(&b)) {
                        Some(&new_base) => {
                            let data = &stored[(entry.data_offset - e.pack_offset) as usize..];
                            out.delta(e.oid, entry.decompressed_size, new_base, data)
                                .map_err(failed)?
                        }
                        None => whole(&mut out, e.oid)?,
                    }
                }
                Header::RefDelta { .. } => whole(&mut out, e.oid)?,
                _ => out.raw(e.oid, stored, e.crc32).map_err(failed)?,
            }
            moved.insert(e.pack_offset, new_offset);
            taken.insert(e.oid);
        }
    }
    // What no pack held is loose.
    for id in live.iter().filter(|id| !taken.contains(*id)) {
        whole(&mut out, *id)?;
    }
    let pack = out.finish().map_err(failed)?;
    pack.and_then(|p| p.file_stem().map(|s| s.to_string_lossy().to_string()))
        .ok_or_else(|| "nothing is live: no pack written".to_string())
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
    written: &HashMap<ObjectId, Links>,
) -> Result<Vec<ObjectId>, String> {
    let mut roots: Vec<ObjectId> = git::tips(repo, None)
        .map_err(|e| e.to_string())?
        .into_iter()
        .map(|t| t.target)
        .collect();
    if let Ok(head) = repo.head_id() {
        roots.push(head.detach());
    }
    roots.extend(staged(repo)?);
    reach(repo, index, written, roots)
}

/// The removed blobs that history would still reach once the refs point at `tips` (a blob
/// also held at a path the selection misses, or, with `with_staged`, in the index as it is);
/// `None` when that cannot be told.
pub fn survivors(
    repo: &gix::Repository,
    index: &Index,
    written: &HashMap<ObjectId, Links>,
    removed: &HashSet<ObjectId>,
    tips: Vec<ObjectId>,
    with_staged: bool,
) -> Option<Vec<ObjectId>> {
    let mut roots = tips;
    if with_staged {
        roots.extend(staged(repo).ok()?);
    }
    let live = reach(repo, index, written, roots).ok()?;
    Some(live.into_iter().filter(|id| removed.contains(id)).collect())
}

/// What the index of a work tree holds: staged content lives nowhere else, and must survive.
fn staged(repo: &gix::Repository) -> Result<Vec<ObjectId>, String> {
    if repo.workdir().is_none() {
        return Ok(Vec::new());
    }
    let index = repo
        .index_or_empty()
        .map_err(|e| format!("reading the index: {e}"))?;
    Ok(index
        .entries()
        .iter()
        .filter(|e| e.mode != gix::index::entry::Mode::COMMIT)
        .map(|e| e.id)
        .collect())
}

/// Every object `roots` reach, old or newly written.
fn reach(
    repo: &gix::Repository,
    index: &Index,
    written: &HashMap<ObjectId, Links>,
    roots: Vec<ObjectId>,
) -> Result<Vec<ObjectId>, String> {
    // Old objects are walked by their index number (a bit each, no hashing: most of the walk
    // is tree entries); only objects the rewrite wrote, and not already in the index, by id.
    enum Node {
        Old(Obj),
        New(ObjectId),
    }
    let node = |id: ObjectId| match index.get(&id) {
        Some(o) => Some(Node::Old(o)),
        None => written.contains_key(&id).then_some(Node::New(id)),
    };
    let mut seen_old = vec![false; index.len()];
    let mut seen_new: HashSet<ObjectId> = HashSet::new();
    let mut stack: Vec<Node> = Vec::with_capacity(roots.len());
    for id in roots {
        match node(id) {
            Some(n) => stack.push(n),
            None => absent(repo, id)?,
        }
    }
    let mut live = Vec::new();
    while let Some(next) = stack.pop() {
        let o = match next {
            Node::New(id) => {
                if seen_new.insert(id) {
                    let mut links: Vec<ObjectId> = Vec::new();
                    match &written[&id] {
                        Links::Ids(ids) => links.extend(ids),
                        Links::Edited { from, changes } => {
                            let mut changes = changes.iter().peekable();
                            for (i, e) in index.tree(*from).into_iter().flatten().enumerate() {
                                let change = changes.next_if(|(at, _)| *at as usize == i);
                                match change {
                                    Some((_, Some(new))) => links.push(*new),
                                    Some((_, None)) => {}
                                    None if e.kind == EntryKind::Submodule => {}
                                    None => stack.push(Node::Old(e.id)),
                                }
                            }
                        }
                    }
                    for link in links {
                        match node(link) {
                            Some(n) => stack.push(n),
                            None => absent(repo, link)?,
                        }
                    }
                    live.push(id);
                }
                continue;
            }
            Node::Old(o) => o,
        };
        if std::mem::replace(&mut seen_old[o as usize], true) {
            continue;
        }
        if let Some(commit) = index.commit(o) {
            stack.push(Node::Old(commit.tree));
            stack.extend(commit.parents.iter().map(|&p| Node::Old(p)));
        } else if let Some(target) = index.tag_target(o) {
            stack.push(Node::Old(target));
        } else if let Some(entries) = index.tree(o) {
            stack.extend(
                entries
                    .filter(|e| e.kind != EntryKind::Submodule)
                    .map(|e| Node::Old(e.id)),
            );
        } else if !index.has_blob(o) {
            // Named by history but not in the database as the pass saw it: written by the
            // rewrite, or missing.
            let id = index.id(o);
            if written.contains_key(&id) {
                stack.push(Node::New(id));
            } else {
                absent(repo, id)?;
            }
            continue;
        }
        live.push(index.id(o));
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
