//! The rewrite itself: blobs, then trees, commits and tags, each changed object written once;
//! whatever does not reach a flagged blob keeps its id.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::path::PathBuf;

use gix::bstr::{BStr, BString, ByteSlice};
use gix::objs::{Kind, WriteTo};
use gix::ObjectId;
use globset::GlobSet;

use super::pack::PackWriter;
use crate::detect::{Detector, FileKind, Input};
use crate::source::git::{Entry, EntryKind, Index, Obj};

/// What happens to the blobs the plan names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Remove their tree entries.
    Drop,
    /// Keep the files, with each secret replaced by [`REDACTION`].
    Redact,
}

/// What replaces a secret in redact mode.
pub const REDACTION: &str = "***REMOVED***";

/// What to remove, as the rewrite needs it.
pub struct Target<'a> {
    /// Drop or redact.
    pub mode: Mode,
    /// Blobs named by a report, by `--blob` or found by the scan.
    pub blobs: HashSet<ObjectId>,
    /// Paths anywhere in history (`--path`).
    pub paths: Option<PathGlobs>,
    /// Drop blobs larger than this (`--strip-bigger-than`).
    pub bigger_than: Option<u64>,
    /// The rules, for finding what to redact.
    pub detector: &'a Detector,
    /// The commits and tags whose messages hold a secret, when the scan already read every
    /// message; `None`: each message is scanned here.
    pub messages: Option<HashSet<ObjectId>>,
}

/// The `--path` globs, with the literal start of each: a directory that is on no glob's way
/// holds nothing to remove, and the rewrite need not read its trees.
#[derive(Debug, Clone)]
pub struct PathGlobs {
    set: GlobSet,
    /// What every path a glob matches starts with (empty: any path).
    prefixes: Vec<String>,
    /// The file name every match has, one per glob, when every glob fixes it.
    names: Option<Vec<String>>,
    /// Some glob may match under any directory (its fixed start is empty).
    anywhere: bool,
}

impl PathGlobs {
    /// Compiles `patterns` (git-style globs over full paths, `*` crossing `/`); `None` when
    /// there are none.
    pub fn new(patterns: &[String]) -> Result<Option<PathGlobs>, globset::Error> {
        if patterns.is_empty() {
            return Ok(None);
        }
        let mut builder = globset::GlobSetBuilder::new();
        for pattern in patterns {
            builder.add(globset::Glob::new(pattern)?);
        }
        let prefixes: Vec<String> = patterns
            .iter()
            .map(|p| {
                let end = p.find(['*', '?', '[', '{', '\\']).unwrap_or(p.len());
                p[..end].to_string()
            })
            .collect();
        // `dir/*x/name` can only match a file called `name`; a brace or escape may hide a `/`.
        let names = patterns
            .iter()
            .map(|p| {
                let name = p.rsplit('/').next().unwrap_or(p);
                let literal = !p.contains(['{', '\\']) && !name.contains(['*', '?', '[']);
                literal.then(|| name.to_string())
            })
            .collect();
        Ok(Some(PathGlobs {
            set: builder.build()?,
            anywhere: prefixes.iter().any(String::is_empty),
            prefixes,
            names,
        }))
    }

    /// Whether `path` matches a glob.
    pub fn is_match(&self, path: &std::path::Path) -> bool {
        self.set.is_match(path)
    }

    /// Whether a file called `name` may match a glob, wherever it is.
    fn may_match_name(&self, name: &BStr) -> bool {
        match &self.names {
            Some(names) => names.iter().any(|n| n.as_bytes() == name.as_bytes()),
            None => true,
        }
    }

    /// Whether some path under directory `dir` (empty for the root) may match a glob.
    fn may_hold(&self, dir: &BStr) -> bool {
        dir.is_empty()
            || self.anywhere
            || self.prefixes.iter().any(|p| {
                let p = p.as_bytes();
                // The glob's fixed start lies inside `dir/`, or `dir/` lies inside it.
                let inside = p.len() <= dir.len() && dir.starts_with(p);
                let leads_in = p.len() > dir.len() && p.starts_with(dir) && p[dir.len()] == b'/';
                inside || leads_in
            })
    }
}

type Fx = std::hash::BuildHasherDefault<crate::source::git::FxHasher>;

/// A directory of history, by its index in the rewriter's table (0: the root).
type Dir = u32;

/// What becomes of one blob at one path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Fate {
    Keep,
    Drop,
    Replace(ObjectId),
}

/// What becomes of a tree.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum TreeFate {
    Same,
    New(ObjectId),
    Empty,
}

/// An object on its way to the pack thread: id, kind, bytes and lineage (see
/// [`PackWriter::add`]).
type ToPack = (ObjectId, Kind, Vec<u8>, u32);

/// Writes objects into one new pack, or in a dry run only computes the ids they would have.
/// The rewrite needs only the ids, so deltas, compression and the file itself are left to a
/// thread of their own.
pub struct Writer<'r> {
    repo: &'r gix::Repository,
    to_pack: Option<std::sync::mpsc::SyncSender<ToPack>>,
    packer: Option<std::thread::JoinHandle<std::io::Result<PackWriter>>>,
    /// Every object written, with what it points at: what the compaction walks to know which
    /// objects stay.
    links: HashMap<ObjectId, Links>,
}

impl Drop for Writer<'_> {
    fn drop(&mut self) {
        // Unfinished (an error, Ctrl-C): the packer stops and its pack removes its file.
        self.to_pack = None;
        if let Some(packer) = self.packer.take() {
            let _ = packer.join();
        }
    }
}

impl<'r> Writer<'r> {
    /// A writer into `repo`; with `dry_run`, nothing touches the disk.
    pub fn new(repo: &'r gix::Repository, dry_run: bool) -> Result<Writer<'r>, String> {
        let (to_pack, packer) = if dry_run {
            (None, None)
        } else {
            let objects = repo.common_dir().join("objects");
            let mut pack = PackWriter::new(&objects, repo.object_hash())
                .map_err(|e| format!("cannot start a pack: {e}"))?;
            let (to_pack, objects) = std::sync::mpsc::sync_channel::<ToPack>(4096);
            let packer = std::thread::spawn(move || {
                for (id, kind, data, lineage) in objects {
                    pack.add(id, kind, &data, lineage)?;
                }
                Ok(pack)
            });
            (Some(to_pack), Some(packer))
        };
        Ok(Writer {
            repo,
            to_pack,
            packer,
            links: HashMap::new(),
        })
    }

    /// Writes a commit, tag or tree built by gix.
    fn write(&mut self, object: &impl WriteTo) -> Result<ObjectId, String> {
        let mut buf = Vec::new();
        object.write_to(&mut buf).map_err(|e| e.to_string())?;
        let links = Links::Ids(links(object.kind(), &buf, self.repo.object_hash()));
        self.store(object.kind(), buf, links, 0)
    }

    /// Stores an object whose links the caller knows. Objects of one `lineage` (the versions
    /// of one directory's tree) are stored as deltas of each other.
    fn store(
        &mut self,
        kind: Kind,
        data: Vec<u8>,
        links: Links,
        lineage: u32,
    ) -> Result<ObjectId, String> {
        let id = gix::objs::compute_hash(self.repo.object_hash(), kind, &data)
            .map_err(|e| e.to_string())?;
        if let std::collections::hash_map::Entry::Vacant(slot) = self.links.entry(id) {
            slot.insert(links);
            if let Some(to_pack) = &self.to_pack {
                if to_pack.send((id, kind, data, lineage)).is_err() {
                    // The packer stopped on an error; `finish` reports it.
                    self.to_pack = None;
                }
            }
        }
        Ok(id)
    }

    /// Completes the pack and its index, so that git sees the new objects; returns the pack's
    /// path (none in a dry run, or when nothing was written).
    pub fn finish(&mut self) -> Result<Option<PathBuf>, String> {
        self.to_pack = None;
        let Some(packer) = self.packer.take() else {
            return Ok(None);
        };
        let pack = packer
            .join()
            .map_err(|_| "the pack writer panicked".to_string())?
            .map_err(|e| format!("cannot write to the pack: {e}"))?;
        pack.finish()
            .map_err(|e| format!("cannot finish the pack: {e}"))
    }
}

/// What a written object points at.
#[derive(Debug, Clone)]
pub enum Links {
    /// These objects (a commit's tree and parents, a tag's target; nothing for a blob).
    Ids(Vec<ObjectId>),
    /// The entries of tree `from`, but those at the given positions replaced by another
    /// object, or removed: most new trees differ from an old one in an entry or two, and a
    /// rewrite of a long history writes hundreds of thousands of them.
    Edited {
        /// The old tree.
        from: Obj,
        /// Entry position, and what replaces the entry (`None`: removed).
        changes: Vec<(u32, Option<ObjectId>)>,
    },
}

/// The objects `data` points at: a commit's tree and parents, a tag's target, a tree's entries
/// (submodule commits excepted: they live in another repository).
fn links(kind: Kind, data: &[u8], hash: gix::hash::Kind) -> Vec<ObjectId> {
    use gix::objs::{CommitRefIter, TagRefIter, TreeRefIter};
    match kind {
        Kind::Blob => Vec::new(),
        Kind::Tree => TreeRefIter::from_bytes(data, hash)
            .filter_map(Result::ok)
            .filter(|e| !e.mode.is_commit())
            .map(|e| e.oid.to_owned())
            .collect(),
        Kind::Commit => {
            let tree = CommitRefIter::from_bytes(data, hash).tree_id().ok();
            tree.into_iter()
                .chain(CommitRefIter::from_bytes(data, hash).parent_ids())
                .collect()
        }
        Kind::Tag => TagRefIter::from_bytes(data, hash)
            .target_id()
            .into_iter()
            .collect(),
    }
}

/// Rewrites the objects of an [`Index`] for a [`Target`].
pub struct Rewriter<'a, 'r> {
    index: &'a Index,
    target: &'a Target<'a>,
    writer: Writer<'r>,
    /// Tree fates, by tree and (with path globs, where the path matters) directory.
    trees: HashMap<(Obj, Dir), TreeFate, Fx>,
    /// Directory paths met so far, the root first, by [`Dir`].
    dirs: Vec<BString>,
    /// A directory's [`Dir`] by its parent's and its name's.
    dir_ids: HashMap<(Dir, u32), Dir, Fx>,
    redacted: HashMap<ObjectId, Option<ObjectId>>,
    /// Old commit id to new, for every commit that changed.
    pub commits: HashMap<ObjectId, ObjectId>,
    /// Old tag id to new.
    pub tags: HashMap<ObjectId, ObjectId>,
    /// Blobs whose entries were removed or replaced.
    pub removed_blobs: HashSet<ObjectId>,
    /// The paths each removed or replaced blob left, to judge what it held as the file it was.
    pub removed_at: HashMap<ObjectId, BTreeSet<BString>>,
    /// Messages that were redacted (commit or tag ids).
    pub redacted_messages: u64,
    /// Problems worth telling.
    pub warnings: Vec<String>,
}

impl<'a, 'r> Rewriter<'a, 'r> {
    /// Paths where something was removed or redacted.
    pub fn touched_paths(&self) -> HashSet<&BString> {
        self.removed_at.values().flatten().collect()
    }

    /// A rewriter over `index` for `target`, writing with `writer`.
    pub fn new(index: &'a Index, target: &'a Target<'a>, writer: Writer<'r>) -> Rewriter<'a, 'r> {
        Rewriter {
            index,
            target,
            writer,
            trees: HashMap::default(),
            dirs: vec![BString::default()],
            dir_ids: HashMap::default(),
            redacted: HashMap::new(),
            commits: HashMap::new(),
            tags: HashMap::new(),
            removed_blobs: HashSet::new(),
            removed_at: HashMap::new(),
            redacted_messages: 0,
            warnings: Vec::new(),
        }
    }

    /// Completes the pack of new objects; returns its path, if one was written.
    pub fn finish(&mut self) -> Result<Option<PathBuf>, String> {
        self.writer.finish()
    }

    /// Each redacted blob written, with the blob it replaces.
    pub fn replacements(&self) -> HashMap<ObjectId, ObjectId> {
        self.redacted
            .iter()
            .filter_map(|(old, new)| new.map(|new| (new, *old)))
            .collect()
    }

    /// Every object the rewrite wrote, with what each points at.
    pub fn written(&self) -> &HashMap<ObjectId, Links> {
        &self.writer.links
    }

    /// The fate of the blob of entry `e` in directory `dir`. Its path is spelled out only
    /// when a glob may match its name, or when it is removed or redacted.
    fn fate(&mut self, e: &Entry, dir: Dir) -> Result<Fate, String> {
        let id = self.index.id(e.id);
        let too_big = self
            .target
            .bigger_than
            .is_some_and(|limit| self.index.blob_size(e.id).is_some_and(|s| s > limit));
        if too_big {
            return Ok(Fate::Drop);
        }
        let name = self.index.name(e);
        let by_path = self.target.paths.as_ref().is_some_and(|g| {
            g.may_match_name(name)
                && join(self.dirs[dir as usize].as_bstr(), name)
                    .to_path()
                    .is_ok_and(|p| g.is_match(p))
        });
        if !self.target.blobs.contains(&id) && !by_path {
            return Ok(Fate::Keep);
        }
        match self.target.mode {
            Mode::Drop => Ok(Fate::Drop),
            Mode::Redact => {
                let path = join(self.dirs[dir as usize].as_bstr(), name);
                match self.redact(id, path.as_bstr())? {
                    Some(new) => Ok(Fate::Replace(new)),
                    // Nothing the rules can point at: a named blob is dropped rather than kept.
                    None if self.target.blobs.contains(&id) => Ok(Fate::Drop),
                    None => Ok(Fate::Keep),
                }
            }
        }
    }

    /// The directory `name` (an index into the index's names) inside `parent`.
    fn dir(&mut self, parent: Dir, name: u32, spelled: &BStr) -> Dir {
        if let Some(&dir) = self.dir_ids.get(&(parent, name)) {
            return dir;
        }
        let dir = self.dirs.len() as Dir;
        let path = join(self.dirs[parent as usize].as_bstr(), spelled);
        self.dirs.push(path);
        self.dir_ids.insert((parent, name), dir);
        dir
    }

    /// The redacted version of blob `id`, memoised; `None` when no rule finds anything in it.
    fn redact(&mut self, id: ObjectId, path: &BStr) -> Result<Option<ObjectId>, String> {
        if let Some(known) = self.redacted.get(&id) {
            return Ok(*known);
        }
        let repo = self.writer.repo;
        let object = repo
            .find_object(id)
            .map_err(|e| format!("blob {id}: {e}"))?;
        let fs_path = path.to_path().ok();
        let mut data = object.data.clone();
        let mut changed = false;
        // Redact until the rules find nothing: a secret inside a decoded layer is replaced
        // with its whole encoded span, which may reveal nothing more, but check.
        for _ in 0..3 {
            let scanned = match fs_path {
                Some(p) => self.target.detector.scan(Input::from_path(&data, p)),
                None => self.target.detector.scan(Input {
                    bytes: &data,
                    path: None,
                    kind: FileKind::Config,
                }),
            };
            if scanned.matches.is_empty() {
                break;
            }
            data = replace_spans(&data, scanned.matches.iter().map(|m| m.span.clone()));
            changed = true;
        }
        let result = if changed {
            Some(
                self.writer
                    .store(Kind::Blob, data, Links::Ids(Vec::new()), 0)?,
            )
        } else {
            None
        };
        self.redacted.insert(id, result);
        Ok(result)
    }

    /// Rewrites tree `tree` found in directory `dir`.
    fn tree(&mut self, tree: Obj, dir: Dir) -> Result<TreeFate, String> {
        // Without path globs a tree's fate does not depend on where it sits.
        let globs = self.target.paths.is_some();
        // A directory off every glob's way changes only when blobs are chosen some other way.
        let only_paths = self.target.blobs.is_empty() && self.target.bigger_than.is_none();
        if let (true, Some(paths)) = (only_paths, &self.target.paths) {
            if !paths.may_hold(self.dirs[dir as usize].as_bstr()) {
                return Ok(TreeFate::Same);
            }
        }
        let key = (tree, if globs { dir } else { 0 });
        if let Some(fate) = self.trees.get(&key) {
            return Ok(*fate);
        }
        let Some(entries) = self.index.tree(tree) else {
            return Ok(TreeFate::Same);
        };
        let entries: Vec<Entry> = entries.copied().collect();
        // (entry index, new id or None for removed)
        let mut changes: Vec<(usize, Option<ObjectId>)> = Vec::new();
        for (i, e) in entries.iter().enumerate() {
            match e.kind {
                EntryKind::Tree => {
                    let sub = self.dir(dir, e.name, self.index.name(e));
                    match self.tree(e.id, sub)? {
                        TreeFate::Same => {}
                        TreeFate::New(id) => changes.push((i, Some(id))),
                        TreeFate::Empty => changes.push((i, None)),
                    }
                }
                EntryKind::Blob => {
                    let fate = self.fate(e, dir)?;
                    if fate != Fate::Keep {
                        let id = self.index.id(e.id);
                        let path = join(self.dirs[dir as usize].as_bstr(), self.index.name(e));
                        self.removed_blobs.insert(id);
                        self.removed_at.entry(id).or_default().insert(path);
                    }
                    match fate {
                        Fate::Keep => {}
                        Fate::Drop => changes.push((i, None)),
                        Fate::Replace(new) => changes.push((i, Some(new))),
                    }
                }
                EntryKind::Submodule => {}
            }
        }
        let fate = if changes.is_empty() {
            TreeFate::Same
        } else {
            // Serialised here from the interned entries: modes keep their exact spelling and
            // nothing is allocated per entry.
            let mut data = Vec::with_capacity(entries.len() * 48);
            let mut mode = [0u8; 6];
            let mut next = changes.iter().peekable();
            for (i, e) in entries.iter().enumerate() {
                let mut oid = self.index.id(e.id);
                if let Some(&&(at, change)) = next.peek() {
                    if at == i {
                        next.next();
                        match change {
                            Some(new) => oid = new,
                            None => continue,
                        }
                    }
                }
                data.extend_from_slice(e.mode.as_bytes(&mut mode));
                data.push(b' ');
                data.extend_from_slice(self.index.name(e));
                data.push(0);
                data.extend_from_slice(oid.as_bytes());
            }
            if data.is_empty() {
                TreeFate::Empty
            } else {
                let links = Links::Edited {
                    from: tree,
                    changes: changes.iter().map(|&(i, new)| (i as u32, new)).collect(),
                };
                TreeFate::New(self.writer.store(Kind::Tree, data, links, dir)?)
            }
        };
        self.trees.insert(key, fate);
        Ok(fate)
    }

    /// Whether the tree of a commit would change (for the tip check; writes nothing new
    /// beyond what the rewrite will write anyway, and memoises).
    pub fn tree_changes(&mut self, tree: Obj) -> Result<bool, String> {
        Ok(self.tree(tree, 0)? != TreeFate::Same)
    }

    /// Rewrites `commits`, given parents first; returns how many changed.
    ///
    /// A commit is edited as bytes: its `tree` and `parent` lines are replaced and any
    /// signature dropped (it covered the old content), every other header and the message stay
    /// exactly as they were, unless the message holds a secret.
    pub fn commits(&mut self, order: &[Obj]) -> Result<u64, String> {
        let repo = self.writer.repo;
        let mut changed = 0;
        for (n, &c) in order.iter().enumerate() {
            if n % 256 == 0 && crate::interrupt::requested() {
                return Err("interrupted; no ref was changed".into());
            }
            let old = self.index.id(c);
            let Some(known) = self.index.commit(c) else {
                continue;
            };
            let new_tree = match self.tree(known.tree, 0)? {
                TreeFate::New(id) => Some(id),
                TreeFate::Empty => {
                    Some(
                        self.writer
                            .store(Kind::Tree, Vec::new(), Links::Ids(Vec::new()), 0)?,
                    )
                }
                TreeFate::Same => None,
            };
            let parents_changed = known
                .parents
                .iter()
                .any(|p| self.commits.contains_key(&self.index.id(*p)));
            let read;
            let data = match self.index.raw_commit(c) {
                Some(data) => data,
                None => {
                    read = repo
                        .find_object(old)
                        .map_err(|e| format!("commit {old}: {e}"))?;
                    &read.data
                }
            };
            let (header, message) = match data.find(b"\n\n") {
                Some(end) => (&data[..end + 1], Some(&data[end + 2..])),
                None => (data, None),
            };
            let redacted =
                message.and_then(|m| self.redact_message(old, Kind::Commit, m.as_bstr()));
            if new_tree.is_none() && !parents_changed && redacted.is_none() {
                continue;
            }
            let mut out = Vec::with_capacity(data.len());
            let mut links = Vec::new();
            let mut dropping = false;
            for line in header.lines_with_terminator() {
                // A line that starts with a space continues the header before it.
                if line.starts_with(b" ") {
                    if !dropping {
                        out.extend_from_slice(line);
                    }
                    continue;
                }
                dropping = line.starts_with(b"gpgsig ") || line.starts_with(b"gpgsig-sha256 ");
                let id_of = |rest: &[u8]| ObjectId::from_hex(rest.trim_end());
                if let Some(Ok(id)) = line.strip_prefix(b"tree ").map(id_of) {
                    let id = new_tree.unwrap_or(id);
                    out.extend_from_slice(format!("tree {id}\n").as_bytes());
                    links.push(id);
                } else if let Some(Ok(id)) = line.strip_prefix(b"parent ").map(id_of) {
                    let id = self.commits.get(&id).copied().unwrap_or(id);
                    out.extend_from_slice(format!("parent {id}\n").as_bytes());
                    links.push(id);
                } else if !dropping {
                    out.extend_from_slice(line);
                }
            }
            if let Some(message) = message {
                out.push(b'\n');
                match &redacted {
                    Some(new) => {
                        out.extend_from_slice(new);
                        self.redacted_messages += 1;
                    }
                    None => out.extend_from_slice(message),
                }
            }
            let new = self.writer.store(Kind::Commit, out, Links::Ids(links), 0)?;
            self.commits.insert(old, new);
            changed += 1;
        }
        Ok(changed)
    }

    /// Re-creates an annotated tag whose target (or message) changed; returns the new id.
    pub fn tag(&mut self, tag: ObjectId) -> Result<Option<ObjectId>, String> {
        if let Some(new) = self.tags.get(&tag) {
            return Ok(Some(*new));
        }
        let repo = self.writer.repo;
        let object = repo
            .find_object(tag)
            .map_err(|e| format!("tag {tag}: {e}"))?;
        let parsed = gix::objs::TagRef::from_bytes(&object.data, repo.object_hash())
            .map_err(|e| format!("tag {tag}: {e}"))?;
        let mut owned: gix::objs::Tag =
            parsed.into_owned().map_err(|e| format!("tag {tag}: {e}"))?;
        let new_target = match owned.target_kind {
            Kind::Commit => self.commits.get(&owned.target).copied(),
            Kind::Tag => self.tag(owned.target)?,
            _ => None,
        };
        let message = self.redact_message(tag, Kind::Tag, owned.message.as_bstr());
        if new_target.is_none() && message.is_none() {
            return Ok(None);
        }
        if let Some(target) = new_target {
            owned.target = target;
        }
        if let Some(message) = message {
            owned.message = message;
            self.redacted_messages += 1;
        }
        owned.signature = None;
        let new = self.writer.write(&owned)?;
        self.tags.insert(tag, new);
        Ok(Some(new))
    }

    /// Re-keys a notes tree whose notes annotate rewritten commits: a new notes commit on top
    /// of `notes_commit`, with each note filed under its commit's new id. `None` when no note
    /// needs it.
    pub fn rekey_notes(&mut self, notes_commit: Obj) -> Result<Option<ObjectId>, String> {
        let Some(tree) = self.index.commit(notes_commit).map(|c| c.tree) else {
            return Ok(None);
        };
        // Notes trees may fan out (`ab/cdef...`); the key is the path without slashes.
        let mut notes: Vec<(String, Entry)> = Vec::new();
        let mut stack = vec![(tree, String::new())];
        while let Some((t, prefix)) = stack.pop() {
            for e in self.index.tree(t).into_iter().flatten() {
                let name = format!("{prefix}{}", self.index.name(e));
                match e.kind {
                    EntryKind::Tree => stack.push((e.id, name)),
                    _ => notes.push((name, *e)),
                }
            }
        }
        let mut changed = false;
        let mut entries: Vec<gix::objs::tree::Entry> = notes
            .into_iter()
            .map(|(key, e)| {
                let renamed = ObjectId::from_hex(key.as_bytes())
                    .ok()
                    .and_then(|old| self.commits.get(&old))
                    .map(|new| new.to_string());
                changed |= renamed.is_some();
                gix::objs::tree::Entry {
                    mode: e.mode,
                    filename: renamed.unwrap_or(key).into(),
                    oid: self.index.id(e.id),
                }
            })
            .collect();
        if !changed {
            return Ok(None);
        }
        entries.sort_by(|a, b| a.filename.cmp(&b.filename));
        let tree = self.writer.write(&gix::objs::Tree { entries })?;
        let who = gix::actor::Signature {
            name: "scour purge".into(),
            email: "scour@localhost".into(),
            time: gix::date::Time::now_utc(),
        };
        let commit = gix::objs::Commit {
            tree,
            parents: [self.index.id(notes_commit)].into_iter().collect(),
            author: who.clone(),
            committer: who,
            encoding: None,
            message: "Notes re-keyed to the commits `scour purge` rewrote\n".into(),
            extra_headers: Vec::new(),
        };
        self.writer.write(&commit).map(Some)
    }

    /// The message of commit or tag `holder` (of `kind`) with each secret the scan reports in
    /// it replaced, when there is one.
    fn redact_message(&self, holder: ObjectId, kind: Kind, message: &BStr) -> Option<BString> {
        if self
            .target
            .messages
            .as_ref()
            .is_some_and(|known| !known.contains(&holder))
        {
            return None;
        }
        let found = super::verify::reported_in_message(self.target.detector, message, kind);
        if found.is_empty() {
            return None;
        }
        Some(replace_spans(message, found.into_iter().map(|m| m.span)).into())
    }
}

/// `data` with each span (merged where they overlap) replaced by [`REDACTION`].
pub fn replace_spans(data: &[u8], spans: impl Iterator<Item = std::ops::Range<usize>>) -> Vec<u8> {
    let mut spans: Vec<std::ops::Range<usize>> = spans.collect();
    spans.sort_by_key(|s| s.start);
    let mut merged: Vec<std::ops::Range<usize>> = Vec::new();
    for s in spans {
        match merged.last_mut() {
            Some(last) if s.start <= last.end => last.end = last.end.max(s.end),
            _ => merged.push(s),
        }
    }
    let mut out = Vec::with_capacity(data.len());
    let mut at = 0;
    for s in merged {
        out.extend_from_slice(&data[at..s.start]);
        out.extend_from_slice(REDACTION.as_bytes());
        at = s.end;
    }
    out.extend_from_slice(&data[at..]);
    out
}

fn join(prefix: &BStr, name: &BStr) -> BString {
    if prefix.is_empty() {
        name.to_owned()
    } else {
        let mut path: BString = prefix.to_owned();
        path.push(b'/');
        path.extend_from_slice(name);
        path
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overlapping_spans_merge() {
        let out = replace_spans(b"a=secret1 b=secret2", [2..9, 4..9, 12..19].into_iter());
        assert_eq!(out, b"a=***REMOVED*** b=***REMOVED***");
    }
}
