//! The git object graph, read with gix: refs and their tips, the commits and trees they reach,
//! the blobs to scan, a fast pass over every object in the packs, and provenance for the blobs
//! that matched.
//!
//! The scan reads blobs by traversing each pack's delta tree (every object inflated once,
//! in parallel) rather than looking them up one by one, which is several times slower. Commits
//! and trees are looked up by id, each unique tree once.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Mutex;

use gix::bstr::{BString, ByteSlice};
use gix::objs::{CommitRef, Kind, TagRef, TreeRefIter};
use gix::ObjectId;
use globset::GlobSet;

/// A problem that stops the history scan.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The path is not inside a git repository.
    #[error("'{path}' is not a git repository")]
    NotARepository { path: PathBuf },
    /// A revision given on the command line does not resolve.
    #[error("revision '{spec}': {message}")]
    Revision { spec: String, message: String },
    /// The repository could not be read at all.
    #[error("repository '{path}': {message}")]
    Unreadable { path: PathBuf, message: String },
}

/// How many distinct paths of one blob are remembered for judging its file kind.
const MAX_PATHS_PER_BLOB: usize = 8;

/// Opens the repository holding `path` (a work tree, a bare repository or a mirror).
pub fn open(path: &Path) -> Result<gix::Repository, Error> {
    match gix::discover(path) {
        Ok(repo) => Ok(repo),
        Err(_) if !path.exists() => Err(Error::Unreadable {
            path: path.to_path_buf(),
            message: "No such file or directory".into(),
        }),
        Err(_) => Err(Error::NotARepository {
            path: path.to_path_buf(),
        }),
    }
}

/// A reference and the object it names.
#[derive(Debug, Clone)]
pub struct Tip {
    /// Full name, e.g. `refs/heads/main`, or `HEAD` when detached.
    pub name: String,
    /// The object the ref points at (an annotated tag is not yet peeled).
    pub target: ObjectId,
}

/// Every ref (branches, remote-tracking branches, tags, notes, the stash), plus a detached HEAD,
/// limited to names matching `only` when given.
pub fn tips(repo: &gix::Repository, only: Option<&GlobSet>) -> Result<Vec<Tip>, Error> {
    let unreadable = |e: &dyn std::fmt::Display| Error::Unreadable {
        path: repo.git_dir().to_path_buf(),
        message: format!("cannot list references: {e}"),
    };
    let platform = repo.references().map_err(|e| unreadable(&e))?;
    let mut tips = Vec::new();
    for reference in platform.all().map_err(|e| unreadable(&e))? {
        let Ok(reference) = reference else { continue };
        let name = reference.name().as_bstr().to_string();
        if only.is_some_and(|globs| !globs.is_match(&name)) {
            continue;
        }
        if let gix::refs::TargetRef::Object(id) = reference.target() {
            tips.push(Tip {
                name,
                target: id.to_owned(),
            });
        }
    }
    if only.is_none() {
        if let Ok(head) = repo.head() {
            if head.is_detached() {
                if let Some(id) = head.id() {
                    tips.push(Tip {
                        name: "HEAD".into(),
                        target: id.detach(),
                    });
                }
            }
        }
    }
    Ok(tips)
}

/// Resolves a revision (`main`, `v1.2`, `HEAD~3`, an abbreviated id) to an object id.
pub fn resolve(repo: &gix::Repository, spec: &str) -> Result<ObjectId, Error> {
    repo.rev_parse_single(spec)
        .map(|id| id.detach())
        .map_err(|e| Error::Revision {
            spec: spec.to_string(),
            message: e.to_string(),
        })
}

/// A commit of the graph.
#[derive(Debug, Clone)]
pub struct CommitNode {
    /// The commit's id.
    pub id: ObjectId,
    /// Its root tree.
    pub tree: ObjectId,
    /// Indices of its parents that are in the graph (a shallow boundary cuts the others).
    pub parents: Vec<usize>,
    /// `Name <email>` of the author.
    pub author: String,
    /// Author date, RFC 3339.
    pub date: String,
    /// Author time, seconds since the epoch, for ordering.
    pub seconds: i64,
}

/// A commit or tag message to scan.
#[derive(Debug, Clone)]
pub struct Message {
    /// The commit or tag object holding it.
    pub id: ObjectId,
    /// Whether it is a tag's message.
    pub tag: bool,
    /// The text.
    pub text: BString,
}

/// What to walk.
#[derive(Debug, Default)]
pub struct Selection {
    /// Limit the refs to names matching these globs.
    pub refs: Option<GlobSet>,
    /// Start from these commits instead of the refs (the `B` of `A..B`).
    pub include: Vec<ObjectId>,
    /// Leave out commits reachable from these (the `A` of `A..B`, or `--since`).
    pub exclude: Vec<ObjectId>,
}

/// The part of the object graph that the refs reach.
#[derive(Debug, Default)]
pub struct Graph {
    /// The commits, in the order they were first reached.
    pub commits: Vec<CommitNode>,
    /// Commit id to index in `commits`.
    pub index: HashMap<ObjectId, usize>,
    /// Each ref and the commit it leads to (after peeling tags), when it leads to one.
    pub refs: Vec<(String, Option<usize>)>,
    /// The commit HEAD points at.
    pub head: Option<usize>,
    /// Every blob to scan, with up to a few of its paths (empty for a blob a ref names directly).
    pub blobs: HashMap<ObjectId, Vec<BString>>,
    /// Commit and tag messages to scan.
    pub messages: Vec<Message>,
    /// Problems met on the way, already phrased for the user.
    pub warnings: Vec<String>,
    /// Submodule entries (gitlinks) that were skipped.
    pub submodules: u64,
    /// Whether the repository is a shallow clone.
    pub shallow: bool,
    /// Commits that `exclude` removed; their blobs are not new.
    excluded: HashSet<ObjectId>,
}

impl Graph {
    /// Walks every commit, tree and tag reachable from the selection; each tree is read once.
    pub fn build(repo: &gix::Repository, selection: &Selection) -> Result<Graph, Error> {
        let mut graph = Graph {
            shallow: repo.is_shallow().unwrap_or(false),
            ..Graph::default()
        };
        let hash = repo.object_hash();
        let tips: Vec<Tip> = if selection.include.is_empty() {
            tips(repo, selection.refs.as_ref())?
        } else {
            selection
                .include
                .iter()
                .map(|id| Tip {
                    name: id.to_hex().to_string(),
                    target: *id,
                })
                .collect()
        };
        graph.excluded = ancestors(repo, &selection.exclude);
        let head = repo.head_id().ok().map(|id| id.detach());

        let mut commit_stack: Vec<ObjectId> = Vec::new();
        let mut root_trees: Vec<ObjectId> = Vec::new();
        for tip in &tips {
            let peeled = graph.peel(repo, tip.target, hash);
            match peeled {
                Some((id, Kind::Commit)) => {
                    commit_stack.push(id);
                    graph.refs.push((tip.name.clone(), None));
                }
                Some((id, Kind::Tree)) => root_trees.push(id),
                Some((id, Kind::Blob)) => {
                    graph.blobs.entry(id).or_default();
                }
                _ => {}
            }
        }
        let parent_ids = graph.walk_commits(repo, commit_stack, hash);
        for (node, parents) in graph.commits.iter_mut().zip(&parent_ids) {
            node.parents = parents
                .iter()
                .filter_map(|p| graph.index.get(p).copied())
                .collect();
        }
        // Resolve each ref's commit now that every commit has an index.
        let mut r = 0;
        for tip in &tips {
            if let Some((id, Kind::Commit)) = graph.peel_quiet(repo, tip.target, hash) {
                if let Some(entry) = graph.refs.get_mut(r) {
                    entry.1 = graph.index.get(&id).copied();
                }
                r += 1;
            }
        }
        graph.head = head.and_then(|h| graph.index.get(&h).copied());

        let introduced_only = !graph.excluded.is_empty();
        let mut seen_trees: HashSet<ObjectId> = HashSet::new();
        for (i, parents) in parent_ids.iter().enumerate() {
            let tree = graph.commits[i].tree;
            if introduced_only {
                graph.collect_introduced(repo, tree, parents, hash);
            } else {
                graph.collect_tree(repo, tree, &mut seen_trees, hash);
            }
        }
        for tree in root_trees {
            graph.collect_tree(repo, tree, &mut seen_trees, hash);
        }
        Ok(graph)
    }

    /// Follows annotated tags to the object they name, keeping their messages.
    fn peel(
        &mut self,
        repo: &gix::Repository,
        mut id: ObjectId,
        hash: gix::hash::Kind,
    ) -> Option<(ObjectId, Kind)> {
        for _ in 0..32 {
            let object = match repo.find_object(id) {
                Ok(o) => o,
                Err(e) => {
                    self.warnings.push(format!("object {id}: {e}; skipped"));
                    return None;
                }
            };
            if object.kind != Kind::Tag {
                return Some((id, object.kind));
            }
            let tag = TagRef::from_bytes(&object.data, hash).ok()?;
            if !self.messages.iter().any(|m| m.id == id) {
                self.messages.push(Message {
                    id,
                    tag: true,
                    text: tag.message.to_owned(),
                });
            }
            id = ObjectId::from_hex(tag.target).ok()?;
        }
        None
    }

    fn peel_quiet(
        &self,
        repo: &gix::Repository,
        mut id: ObjectId,
        hash: gix::hash::Kind,
    ) -> Option<(ObjectId, Kind)> {
        for _ in 0..32 {
            let object = repo.find_object(id).ok()?;
            if object.kind != Kind::Tag {
                return Some((id, object.kind));
            }
            id = ObjectId::from_hex(TagRef::from_bytes(&object.data, hash).ok()?.target).ok()?;
        }
        None
    }

    /// Reads every commit reachable from `stack`, depth first; returns each one's parent ids.
    fn walk_commits(
        &mut self,
        repo: &gix::Repository,
        mut stack: Vec<ObjectId>,
        hash: gix::hash::Kind,
    ) -> Vec<Vec<ObjectId>> {
        let mut parent_ids = Vec::new();
        let mut missing = 0u64;
        while let Some(id) = stack.pop() {
            if self.index.contains_key(&id) || self.excluded.contains(&id) {
                continue;
            }
            let object = match repo.find_object(id) {
                Ok(o) if o.kind == Kind::Commit => o,
                Ok(_) => continue,
                Err(_) => {
                    missing += 1;
                    continue;
                }
            };
            let commit = match CommitRef::from_bytes(&object.data, hash) {
                Ok(c) => c,
                Err(e) => {
                    self.warnings
                        .push(format!("commit {id} is corrupt ({e}); skipped"));
                    continue;
                }
            };
            let parents: Vec<ObjectId> = commit.parents().collect();
            let (author, date, seconds) = match commit.author() {
                Ok(a) => {
                    let time = a.time().unwrap_or_default();
                    (
                        format!(
                            "{} <{}>",
                            a.name.trim().to_str_lossy(),
                            a.email.trim().to_str_lossy()
                        ),
                        time.format_or_unix(gix::date::time::format::ISO8601_STRICT),
                        time.seconds,
                    )
                }
                Err(_) => (String::new(), String::new(), 0),
            };
            self.messages.push(Message {
                id,
                tag: false,
                text: commit.message.to_owned(),
            });
            self.index.insert(id, self.commits.len());
            self.commits.push(CommitNode {
                id,
                tree: commit.tree(),
                parents: Vec::new(),
                author,
                date,
                seconds,
            });
            stack.extend(parents.iter().copied());
            parent_ids.push(parents);
        }
        if missing > 0 && !self.shallow {
            self.warnings.push(format!(
                "{missing} commit{} could not be read (missing or corrupt); history behind them is not scanned",
                if missing == 1 { "" } else { "s" }
            ));
        }
        parent_ids
    }

    /// Records every blob under `root`, reading each tree not seen before.
    fn collect_tree(
        &mut self,
        repo: &gix::Repository,
        root: ObjectId,
        seen: &mut HashSet<ObjectId>,
        hash: gix::hash::Kind,
    ) {
        if !seen.insert(root) {
            return;
        }
        let mut stack: Vec<(ObjectId, BString)> = vec![(root, BString::default())];
        while let Some((tree, prefix)) = stack.pop() {
            let Some(data) = self.read_tree(repo, tree) else {
                continue;
            };
            for entry in TreeRefIter::from_bytes(&data, hash) {
                let Ok(entry) = entry else {
                    self.warnings
                        .push(format!("tree {tree} is corrupt; the rest of it is skipped"));
                    break;
                };
                let path = join(&prefix, entry.filename);
                let id = entry.oid.to_owned();
                if entry.mode.is_tree() {
                    if seen.insert(id) {
                        stack.push((id, path));
                    }
                } else if entry.mode.is_commit() {
                    self.submodules += 1;
                } else if entry.mode.is_blob() {
                    self.add_blob(id, path);
                }
            }
        }
    }

    /// Records the blobs of `tree` that none of `parents`' trees holds at the same path.
    fn collect_introduced(
        &mut self,
        repo: &gix::Repository,
        tree: ObjectId,
        parents: &[ObjectId],
        hash: gix::hash::Kind,
    ) {
        let parent_trees: Vec<ObjectId> = parents
            .iter()
            .filter_map(|p| repo.find_object(*p).ok())
            .filter_map(|o| CommitRef::from_bytes(&o.data, hash).ok().map(|c| c.tree()))
            .collect();
        let mut stack: Vec<(ObjectId, Vec<ObjectId>, BString)> =
            vec![(tree, parent_trees, BString::default())];
        while let Some((tree, olds, prefix)) = stack.pop() {
            if olds.contains(&tree) {
                continue;
            }
            let Some(data) = self.read_tree(repo, tree) else {
                continue;
            };
            let old_entries: Vec<HashMap<BString, (ObjectId, bool)>> = olds
                .iter()
                .filter_map(|t| self.read_tree(repo, *t))
                .map(|d| {
                    TreeRefIter::from_bytes(&d, hash)
                        .filter_map(Result::ok)
                        .map(|e| (e.filename.to_owned(), (e.oid.to_owned(), e.mode.is_tree())))
                        .collect()
                })
                .collect();
            for entry in TreeRefIter::from_bytes(&data, hash).filter_map(Result::ok) {
                let id = entry.oid.to_owned();
                let path = join(&prefix, entry.filename);
                let before: Vec<(ObjectId, bool)> = old_entries
                    .iter()
                    .filter_map(|m| m.get(entry.filename).copied())
                    .collect();
                if before.iter().any(|(old, _)| *old == id) {
                    continue;
                }
                if entry.mode.is_tree() {
                    let old_subtrees = before.iter().filter(|(_, t)| *t).map(|(o, _)| *o).collect();
                    stack.push((id, old_subtrees, path));
                } else if entry.mode.is_commit() {
                    self.submodules += 1;
                } else if entry.mode.is_blob() {
                    self.add_blob(id, path);
                }
            }
        }
    }

    fn read_tree(&mut self, repo: &gix::Repository, id: ObjectId) -> Option<Vec<u8>> {
        match repo.find_object(id) {
            Ok(o) if o.kind == Kind::Tree => Some(o.detach().data),
            Ok(_) => None,
            Err(e) => {
                self.warnings.push(format!("tree {id}: {e}; skipped"));
                None
            }
        }
    }

    fn add_blob(&mut self, id: ObjectId, path: BString) {
        let paths = self.blobs.entry(id).or_default();
        if paths.len() < MAX_PATHS_PER_BLOB && !paths.contains(&path) {
            paths.push(path);
        }
    }
}

fn join(prefix: &BString, name: &gix::bstr::BStr) -> BString {
    if prefix.is_empty() {
        name.to_owned()
    } else {
        let mut path = prefix.clone();
        path.push(b'/');
        path.extend_from_slice(name);
        path
    }
}

/// Every commit reachable from `starts` (used to subtract the `A` of `A..B`).
fn ancestors(repo: &gix::Repository, starts: &[ObjectId]) -> HashSet<ObjectId> {
    let hash = repo.object_hash();
    let mut seen = HashSet::new();
    let mut stack: Vec<ObjectId> = starts.to_vec();
    while let Some(id) = stack.pop() {
        if !seen.insert(id) {
            continue;
        }
        let Ok(object) = repo.find_object(id) else {
            continue;
        };
        match object.kind {
            Kind::Commit => {
                if let Ok(commit) = CommitRef::from_bytes(&object.data, hash) {
                    stack.extend(commit.parents());
                }
            }
            Kind::Tag => {
                if let Ok(tag) = TagRef::from_bytes(&object.data, hash) {
                    if let Ok(target) = ObjectId::from_hex(tag.target) {
                        seen.remove(&id);
                        stack.push(target);
                    }
                }
            }
            _ => {}
        }
    }
    seen
}

/// Which objects the pass over the object database hands to the scanner.
pub enum Wanted<'a> {
    /// Only these blobs (each claimed once, however many packs hold it).
    Blobs(&'a HashMap<ObjectId, AtomicBool>),
    /// Every blob, and every commit and tag not in `known` (their messages).
    Everything {
        /// Commits and tags whose messages were already read from the graph.
        known: &'a HashSet<ObjectId>,
    },
}

/// An object handed to the scanner.
pub struct Found<'a> {
    /// Its id.
    pub id: ObjectId,
    /// Blob, commit or tag.
    pub kind: Kind,
    /// Its content.
    pub data: &'a [u8],
}

/// Counts from the pass over the object database.
#[derive(Debug, Default)]
pub struct PassCounts {
    /// Objects decoded from packs and loose files.
    pub objects: AtomicU64,
    /// Objects that could not be decoded.
    pub corrupt: AtomicU64,
}

/// Every object directory to read: the repository's own, then its alternates.
pub fn object_dirs(repo: &gix::Repository) -> Vec<PathBuf> {
    let own = repo.common_dir().join("objects");
    let mut dirs = vec![own.clone()];
    let mut i = 0;
    while i < dirs.len() && dirs.len() < 16 {
        let alternates = dirs[i].join("info").join("alternates");
        if let Ok(text) = std::fs::read_to_string(&alternates) {
            for line in text
                .lines()
                .map(str::trim)
                .filter(|l| !l.is_empty() && !l.starts_with('#'))
            {
                let path = if Path::new(line).is_absolute() {
                    PathBuf::from(line)
                } else {
                    dirs[i].join(line)
                };
                if !dirs.contains(&path) {
                    dirs.push(path);
                }
            }
        }
        i += 1;
    }
    dirs
}

/// How many objects the packs in `dirs` hold (for progress).
pub fn packed_object_count(dirs: &[PathBuf], hash: gix::hash::Kind) -> u64 {
    pack_indices(dirs)
        .iter()
        .filter_map(|idx| gix::odb::pack::index::File::at(idx, hash).ok())
        .map(|f| u64::from(f.num_objects()))
        .sum()
}

fn pack_indices(dirs: &[PathBuf]) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for dir in dirs {
        let Ok(entries) = std::fs::read_dir(dir.join("pack")) else {
            continue;
        };
        let mut found: Vec<PathBuf> = entries
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|e| e == "idx"))
            .collect();
        found.sort();
        out.extend(found);
    }
    out
}

/// Decodes every object in the packs (each pack's delta tree, in parallel) and the loose
/// objects of `dirs`, handing the wanted ones to `visit`. Returns problems as warnings.
pub fn pass<F>(
    repo: &gix::Repository,
    dirs: &[PathBuf],
    wanted: &Wanted<'_>,
    threads: usize,
    counts: &PassCounts,
    interrupt: &AtomicBool,
    visit: F,
) -> Vec<String>
where
    F: Fn(Found<'_>) + Send + Sync + Clone,
{
    use gix::odb::pack::index::traverse::{Algorithm, Options, SafetyCheck};
    let hash = repo.object_hash();
    let mut warnings = Vec::new();
    let all_seen: Mutex<HashSet<ObjectId>> = Mutex::new(HashSet::new());
    let handle = |id: ObjectId, kind: Kind, data: &[u8]| {
        counts.objects.fetch_add(1, Ordering::Relaxed);
        let take = match (wanted, kind) {
            (Wanted::Blobs(set), Kind::Blob) => set
                .get(&id)
                .is_some_and(|claimed| !claimed.swap(true, Ordering::AcqRel)),
            (Wanted::Blobs(_), _) => false,
            (Wanted::Everything { known }, kind) => {
                (kind == Kind::Blob || !known.contains(&id))
                    && kind != Kind::Tree
                    && all_seen
                        .lock()
                        .expect("no panics while holding the set")
                        .insert(id)
            }
        };
        if take {
            visit(Found { id, kind, data });
        }
    };
    for idx in pack_indices(dirs) {
        if interrupt.load(Ordering::Relaxed) {
            break;
        }
        let bundle = match gix::odb::pack::Bundle::at(&idx, hash) {
            Ok(b) => b,
            Err(e) => {
                warnings.push(format!("pack {}: {e}; skipped", idx.display()));
                continue;
            }
        };
        let processor = |kind: Kind,
                         data: &[u8],
                         entry: &gix::odb::pack::index::Entry,
                         _: &dyn gix::Progress|
         -> gix::Result<()> {
            handle(entry.oid, kind, data);
            Ok(())
        };
        let options = Options {
            traversal: Algorithm::DeltaTreeLookup,
            thread_limit: (threads > 0).then_some(threads),
            // Like `git cat-file`, trust the object ids; a decode error costs one object, not the pack.
            check: SafetyCheck::SkipFileAndObjectChecksumVerificationAndNoAbortOnDecodeError,
            alloc_limit_bytes: None,
            make_pack_lookup_cache: || gix::odb::pack::cache::Never,
        };
        let mut progress = gix::utils::progress::Discard;
        if let Err(e) =
            bundle
                .index
                .traverse(&bundle.pack, &mut progress, interrupt, processor, options)
        {
            warnings.push(format!(
                "pack {}: {e}; objects after the error are skipped",
                idx.display()
            ));
        }
    }
    for dir in dirs {
        for id in loose_ids(dir) {
            if interrupt.load(Ordering::Relaxed) {
                break;
            }
            match repo.find_object(id) {
                Ok(object) => handle(id, object.kind, &object.data),
                Err(_) => {
                    counts.corrupt.fetch_add(1, Ordering::Relaxed);
                    warnings.push(format!("loose object {id} is corrupt; skipped"));
                }
            }
        }
    }
    warnings
}

fn loose_ids(dir: &Path) -> Vec<ObjectId> {
    let mut ids = Vec::new();
    let Ok(fanout) = std::fs::read_dir(dir) else {
        return ids;
    };
    for sub in fanout.filter_map(Result::ok) {
        let prefix = sub.file_name();
        let Some(prefix) = prefix
            .to_str()
            .filter(|p| p.len() == 2 && p.bytes().all(|b| b.is_ascii_hexdigit()))
        else {
            continue;
        };
        let Ok(files) = std::fs::read_dir(sub.path()) else {
            continue;
        };
        for file in files.filter_map(Result::ok) {
            let name = file.file_name();
            if let Some(rest) = name.to_str() {
                if let Ok(id) = ObjectId::from_hex(format!("{prefix}{rest}").as_bytes()) {
                    ids.push(id);
                }
            }
        }
    }
    ids
}

/// Where a blob sits in history, at one path.
#[derive(Debug, Clone)]
pub struct Occurrence {
    /// The earliest commit (by author date) whose tree holds the blob at this path.
    pub first: usize,
    /// How many commits hold it there.
    pub commits: usize,
    /// Whether HEAD's commit holds it there.
    pub in_head: bool,
    /// The refs whose history holds it there, capped.
    pub refs: Vec<String>,
    /// How many refs reach it, before the cap.
    pub refs_total: usize,
}

/// How many ref names a finding lists.
pub const MAX_REFS: usize = 10;

/// Finds every (blob, path) where the `targets` sit in the graph's commits.
pub fn locate(
    repo: &gix::Repository,
    graph: &Graph,
    targets: &HashSet<ObjectId>,
) -> HashMap<(ObjectId, BString), Occurrence> {
    let hash = repo.object_hash();
    let mut memo: HashMap<ObjectId, std::rc::Rc<Vec<(BString, ObjectId)>>> = HashMap::new();
    let mut holders: HashMap<(ObjectId, BString), Vec<usize>> = HashMap::new();
    for (i, commit) in graph.commits.iter().enumerate() {
        let found = targets_in(repo, commit.tree, targets, &mut memo, hash);
        for (path, blob) in found.iter() {
            holders.entry((*blob, path.clone())).or_default().push(i);
        }
    }
    let reach = RefReach::compute(graph);
    holders
        .into_iter()
        .map(|(key, commits)| {
            let first = *commits
                .iter()
                .min_by_key(|&&c| (graph.commits[c].seconds, std::cmp::Reverse(c)))
                .expect("a holder list is never empty");
            let in_head = graph.head.is_some_and(|h| commits.contains(&h));
            let (names, refs_total) = reach.names(graph, &commits);
            (
                key,
                Occurrence {
                    first,
                    commits: commits.len(),
                    in_head,
                    refs: names,
                    refs_total,
                },
            )
        })
        .collect()
}

/// The target blobs under `tree`, with their paths relative to it; memoised per tree id.
fn targets_in(
    repo: &gix::Repository,
    tree: ObjectId,
    targets: &HashSet<ObjectId>,
    memo: &mut HashMap<ObjectId, std::rc::Rc<Vec<(BString, ObjectId)>>>,
    hash: gix::hash::Kind,
) -> std::rc::Rc<Vec<(BString, ObjectId)>> {
    if let Some(found) = memo.get(&tree) {
        return found.clone();
    }
    let mut found = Vec::new();
    if let Ok(object) = repo.find_object(tree) {
        let data = object.detach().data;
        let entries: Vec<(BString, ObjectId, bool)> = TreeRefIter::from_bytes(&data, hash)
            .filter_map(Result::ok)
            .filter(|e| e.mode.is_tree() || e.mode.is_blob())
            .map(|e| (e.filename.to_owned(), e.oid.to_owned(), e.mode.is_tree()))
            .collect();
        for (name, id, is_tree) in entries {
            if is_tree {
                for (sub, blob) in targets_in(repo, id, targets, memo, hash).iter() {
                    found.push((join(&name, sub.as_bstr()), *blob));
                }
            } else if targets.contains(&id) {
                found.push((name, id));
            }
        }
    }
    let found = std::rc::Rc::new(found);
    memo.insert(tree, found.clone());
    found
}

/// Which refs reach each commit, as bit sets propagated from tips to ancestors.
pub struct RefReach {
    words: usize,
    bits: Vec<u64>,
}

impl RefReach {
    /// Refs beyond this many are not tracked (their names would be capped anyway).
    const MAX_TRACKED: usize = 256;

    /// Propagates every ref's bit from its tip to all its ancestors.
    pub fn compute(graph: &Graph) -> RefReach {
        let tracked = graph.refs.len().min(Self::MAX_TRACKED);
        let words = tracked.div_ceil(64).max(1);
        let n = graph.commits.len();
        let mut bits = vec![0u64; n * words];
        for (r, (_, commit)) in graph.refs.iter().enumerate().take(tracked) {
            if let Some(c) = commit {
                bits[c * words + r / 64] |= 1 << (r % 64);
            }
        }
        // Children before parents: Kahn's order over the child counts.
        let mut children = vec![0u32; n];
        for c in &graph.commits {
            for &p in &c.parents {
                children[p] += 1;
            }
        }
        let mut ready: Vec<usize> = (0..n).filter(|&c| children[c] == 0).collect();
        while let Some(c) = ready.pop() {
            for &p in &graph.commits[c].parents {
                for w in 0..words {
                    let v = bits[c * words + w];
                    bits[p * words + w] |= v;
                }
                children[p] -= 1;
                if children[p] == 0 {
                    ready.push(p);
                }
            }
        }
        RefReach { words, bits }
    }

    /// The names of the refs reaching any of `commits` (capped at [`MAX_REFS`]) and their count.
    pub fn names(&self, graph: &Graph, commits: &[usize]) -> (Vec<String>, usize) {
        let mut refs: Vec<usize> = Vec::new();
        for &c in commits {
            for r in self.refs_of(c) {
                if !refs.contains(&r) {
                    refs.push(r);
                }
            }
        }
        refs.sort_unstable();
        let names = refs
            .iter()
            .take(MAX_REFS)
            .map(|&r| graph.refs[r].0.clone())
            .collect();
        (names, refs.len())
    }

    fn refs_of(&self, commit: usize) -> impl Iterator<Item = usize> + '_ {
        (0..self.words * 64)
            .filter(move |&r| self.bits[commit * self.words + r / 64] & (1 << (r % 64)) != 0)
    }
}
