//! The git object database, read with gix in one pass, and the history graph built from it.
//!
//! [`pass`] decodes every object of every pack by walking the pack's delta tree
//! ([`delta_tree`]: each object inflated once, on all cores), then the loose objects, and hands
//! each to a visitor; looking objects up one by one is several times slower. The visitor keeps commits, tags and an
//! interned copy of the trees in an [`Index`] (identical tree entries are stored once, so the
//! hundreds of versions of a root tree cost a few bytes each), and scans the blobs. From the
//! index, [`Graph`] then finds what the refs reach and where each blob sits, without reading
//! the database again.

use std::collections::{HashMap, HashSet};
use std::hash::{BuildHasherDefault, Hasher};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use gix::bstr::{BStr, BString, ByteSlice};
use gix::objs::{Kind, TagRef, TreeRefIter};
use gix::ObjectId;
use globset::GlobSet;

use super::delta_tree;

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
    /// The user pressed Ctrl-C.
    #[error("interrupted")]
    Interrupted,
}

/// Opens the repository holding `path` (a work tree, a bare repository or a mirror).
pub fn open(path: &Path) -> Result<gix::Repository, Error> {
    // Discovery from a relative path such as `../srv.git` can stop short of it; from the
    // absolute path it finds the repository the user means.
    let absolute = std::env::current_dir()
        .map(|cwd| crate::allow::normalise(&cwd.join(path)))
        .unwrap_or_else(|_| path.to_path_buf());
    match gix::discover(&absolute) {
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

/// Runs the `git` program in `dir`, with `git_dir` as `GIT_DIR` when given (both made
/// absolute), and returns its standard output, or one line naming the command and git's
/// complaint. For the few steps scour leaves to git: status, bundle, reflogs, the commit-graph,
/// gc, and reading a push.
pub fn run_git(dir: &Path, git_dir: Option<&Path>, args: &[&str]) -> Result<Vec<u8>, String> {
    let absolute = |p: &Path| std::fs::canonicalize(p).unwrap_or_else(|_| p.to_path_buf());
    let mut command = git_command();
    command
        .args(args)
        .current_dir(absolute(dir))
        .stdin(std::process::Stdio::null());
    if let Some(git_dir) = git_dir {
        command.env("GIT_DIR", absolute(git_dir));
    }
    let out = command
        .output()
        .map_err(|e| format!("cannot run `git {}`: {e}", args.join(" ")))?;
    if !out.status.success() {
        return Err(format!(
            "`git {}` failed: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    Ok(out.stdout)
}

/// Reads objects through one `git cat-file --batch` in `dir`, calling `each(id, data)` for each
/// that exists (a missing one is skipped), in the order asked.
pub fn cat_file_batch(
    dir: &Path,
    ids: &[&str],
    mut each: impl FnMut(&str, &[u8]),
) -> Result<(), String> {
    use std::io::{BufRead, Read, Write};
    if ids.is_empty() {
        return Ok(());
    }
    let mut child = git_command()
        .args(["cat-file", "--batch"])
        .current_dir(dir)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot run `git cat-file --batch`: {e}"))?;
    let mut stdin = child.stdin.take().expect("piped");
    let request: String = ids.iter().map(|id| format!("{id}\n")).collect();
    let writer = std::thread::spawn(move || {
        let _ = stdin.write_all(request.as_bytes());
    });
    let mut out = std::io::BufReader::new(child.stdout.take().expect("piped"));
    for _ in ids {
        let mut header = String::new();
        if out.read_line(&mut header).unwrap_or(0) == 0 {
            break;
        }
        let fields: Vec<&str> = header.split_whitespace().collect();
        let (Some(id), Some(size)) = (
            fields.first(),
            fields.get(2).and_then(|s| s.parse::<usize>().ok()),
        ) else {
            continue; // "<id> missing"
        };
        let mut data = vec![0u8; size + 1];
        if out.read_exact(&mut data).is_err() {
            break;
        }
        data.truncate(size);
        each(id, &data);
    }
    let _ = writer.join();
    let _ = child.wait();
    Ok(())
}

/// A `git` command that dies with scour: killed with SIGKILL when scour dies (on Linux), so that
/// no git keeps writing into a repository whose purge was killed. (The signal follows the thread
/// that spawned the child; scour spawns git from threads that live as long as the process.)
pub fn git_command() -> std::process::Command {
    #[allow(unused_mut)]
    let mut command = std::process::Command::new("git");
    #[cfg(target_os = "linux")]
    {
        use std::os::unix::process::CommandExt;
        // SAFETY: getpid is async-signal-safe; it runs before the fork.
        let parent = unsafe { libc::getpid() };
        // SAFETY: prctl, getppid and _exit are async-signal-safe, as pre_exec requires.
        unsafe {
            command.pre_exec(move || {
                libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL);
                // Scour may have died between the fork and the prctl.
                if libc::getppid() != parent {
                    libc::_exit(1);
                }
                Ok(())
            });
        }
    }
    command
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

/// A fast hasher for short keys such as file names.
#[derive(Default)]
pub struct FxHasher(u64);

impl Hasher for FxHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for chunk in bytes.chunks(8) {
            let mut word = [0u8; 8];
            word[..chunk.len()].copy_from_slice(chunk);
            self.0 = (self.0.rotate_left(5) ^ u64::from_le_bytes(word))
                .wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
        }
    }
}

/// A hasher for object ids: their last eight bytes are already uniformly random, so they are
/// the hash.
#[derive(Default)]
pub struct TailHasher(u64);

impl Hasher for TailHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        if let Some(tail) = bytes.len().checked_sub(8).map(|at| &bytes[at..]) {
            let word = u64::from_le_bytes(tail.try_into().expect("eight bytes"));
            self.0 = self.0.rotate_left(7) ^ word;
        } else {
            for &b in bytes {
                self.0 = self.0.rotate_left(8) ^ u64::from(b);
            }
        }
    }
}

type IdMap<K, V> = HashMap<K, V, BuildHasherDefault<TailHasher>>;
/// For keys a repository chooses (names, raw tree entries): hashed whole, with a seed of the
/// process's own, so that entries cannot be made to collide (100,000 names of one empty blob
/// share their id, which made [`TailHasher`]'s lookups quadratic).
type SeededMap<K, V> = HashMap<K, V, foldhash::fast::RandomState>;
type FxMap<K, V> = HashMap<K, V, BuildHasherDefault<FxHasher>>;

/// An object, by the order in which the [`Index`] first met its id.
pub type Obj = u32;

/// One interned tree entry.
#[derive(Debug, Clone, Copy)]
pub struct Entry {
    /// The entry's name, by the order in which the index first met it.
    pub name: u32,
    /// The object it names.
    pub id: Obj,
    /// What it is.
    pub kind: EntryKind,
    /// Its exact mode (regular, executable, symlink...), for writing trees back.
    pub mode: gix::objs::tree::EntryMode,
}

/// What a tree entry names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EntryKind {
    /// A subtree.
    Tree,
    /// A file (or symlink target text).
    Blob,
    /// A submodule commit (gitlink).
    Submodule,
}

/// A commit, as the graph needs it.
#[derive(Debug, Clone)]
pub struct CommitData {
    /// Its root tree.
    pub tree: Obj,
    /// Its parents.
    pub parents: Vec<Obj>,
    /// `Name <email>` of the author, as written: decoded only for the few commits a finding
    /// names.
    author: BString,
    /// Author time, seconds since the epoch, for ordering.
    pub seconds: i64,
    /// The author's offset from UTC, in seconds.
    offset: i32,
}

impl CommitData {
    /// `Name <email>` of the author.
    pub fn author(&self) -> String {
        self.author.to_str_lossy().into_owned()
    }

    /// Author date, RFC 3339.
    pub fn date(&self) -> String {
        gix::date::Time::new(self.seconds, self.offset)
            .format_or_unix(gix::date::time::format::ISO8601_STRICT)
    }
}

/// A tree [`Index::add_tree`] read: the next tree most likely shares most of its entries.
#[derive(Default)]
struct PreviousTree {
    /// Its raw bytes, as far as they decoded.
    bytes: Vec<u8>,
    /// Its entries.
    entries: Vec<u32>,
    /// Where each entry ends in `bytes`.
    ends: Vec<usize>,
}

impl PreviousTree {
    /// Where entry `k` lies in `bytes`, if there is one.
    fn span(&self, k: usize) -> Option<std::ops::Range<usize>> {
        let end = *self.ends.get(k)?;
        Some(if k == 0 { 0 } else { self.ends[k - 1] }..end)
    }

    /// Adds to `this` the run of this tree's entries that `data` repeats from `at`, starting
    /// with the entry at `*cursor` or the one after it (the tree read now may have dropped or
    /// changed the first), and moves the cursor past them; returns the run's length in bytes.
    fn shared_run(
        &self,
        cursor: &mut usize,
        data: &[u8],
        at: usize,
        this: &mut PreviousTree,
    ) -> Option<usize> {
        let rest = &data[at..];
        for first in [*cursor, *cursor + 1] {
            let entry = self.span(first)?;
            let start = entry.start;
            // An entry ends at a fixed length after its name's NUL, so bytes alike from the
            // start of an entry hold the same whole entries: one comparison finds the run.
            if !rest.starts_with(&self.bytes[entry]) {
                continue;
            }
            let limit = start + common_prefix(rest, &self.bytes[start..]);
            let mut k = first;
            while let Some(&end) = self.ends.get(k).filter(|&&end| end <= limit) {
                this.entries.push(self.entries[k]);
                this.ends.push(end - start + at);
                k += 1;
            }
            *cursor = k;
            return Some(self.ends[k - 1] - start);
        }
        None
    }

    /// Moves the cursor past the entries named up to `name` (a tree lists its entries sorted
    /// by name): an entry the tree read now changed or added leaves the cursor where the next
    /// entry may be shared, however many changed entries come in a row. (Git sorts a folder
    /// as if its name ended in `/`; where that differs from the names' own order, an entry is
    /// looked up by hash instead: slower, never wrong.)
    fn skip_to_name_after(&self, cursor: &mut usize, name: &[u8]) {
        while let Some(entry) = self.span(*cursor) {
            if entry_name(&self.bytes[entry]) > name {
                break;
            }
            *cursor += 1;
        }
    }
}

/// The name of a raw tree entry, `<mode> <name>\0<id>`.
fn entry_name(raw: &[u8]) -> &[u8] {
    let from = memchr::memchr(b' ', raw).map_or(0, |i| i + 1);
    let to = memchr::memchr(0, &raw[from..]).map_or(raw.len(), |i| from + i);
    &raw[from..to]
}

/// How many bytes `a` and `b` start with alike: by blocks (one `memcmp` each) up to the
/// block that differs, then by words.
fn common_prefix(a: &[u8], b: &[u8]) -> usize {
    const BLOCK: usize = 256;
    let n = a.len().min(b.len());
    let mut i = 0;
    while i + BLOCK <= n && a[i..i + BLOCK] == b[i..i + BLOCK] {
        i += BLOCK;
    }
    let word = |s: &[u8], i: usize| u64::from_le_bytes(s[i..i + 8].try_into().expect("8 bytes"));
    while i + 8 <= n {
        let differ = word(a, i) ^ word(b, i);
        if differ != 0 {
            return i + (differ.trailing_zeros() / 8) as usize;
        }
        i += 8;
    }
    i + a[i..n]
        .iter()
        .zip(&b[i..n])
        .take_while(|(x, y)| x == y)
        .count()
}

/// Everything the pass keeps of the database: ids, commits, tag targets and interned trees.
#[derive(Default)]
pub struct Index {
    ids: Vec<ObjectId>,
    by_id: IdMap<ObjectId, Obj>,
    names: Vec<BString>,
    by_name: SeededMap<BString, u32>,
    entries: Vec<Entry>,
    by_entry: SeededMap<Box<[u8]>, u32>,
    /// By object: its entries, when it is a tree (dense: the graph walks read every tree).
    trees: Vec<Option<Box<[u32]>>>,
    commits: FxMap<Obj, CommitData>,
    tags: FxMap<Obj, Obj>,
    blobs: HashSet<Obj, BuildHasherDefault<FxHasher>>,
    sizes: FxMap<Obj, u64>,
    raw_commits: FxMap<Obj, Vec<u8>>,
    /// The lists [`Index::add_tree`] fills, kept between calls.
    scratch: PreviousTree,
    /// The tree [`Index::add_tree`] read last.
    previous: PreviousTree,
    /// Trees or commits that did not decode.
    pub corrupt: Vec<ObjectId>,
}

impl Index {
    /// The index of `id`, interning it.
    pub fn intern(&mut self, id: ObjectId) -> Obj {
        if let Some(&i) = self.by_id.get(&id) {
            return i;
        }
        let i = self.ids.len() as Obj;
        self.ids.push(id);
        self.by_id.insert(id, i);
        i
    }

    /// The index of `id`, if it was seen.
    pub fn get(&self, id: &ObjectId) -> Option<Obj> {
        self.by_id.get(id).copied()
    }

    /// How many objects were interned: every [`Obj`] is below this.
    pub fn len(&self) -> usize {
        self.ids.len()
    }

    /// Whether nothing was interned.
    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }

    /// The id of object `o`.
    pub fn id(&self, o: Obj) -> ObjectId {
        self.ids[o as usize]
    }

    /// The name of an entry.
    pub fn name(&self, e: &Entry) -> &BStr {
        self.names[e.name as usize].as_bstr()
    }

    /// The entries of tree `o`, when it was in the database.
    pub fn tree(&self, o: Obj) -> Option<impl Iterator<Item = &Entry> + '_> {
        self.trees
            .get(o as usize)
            .and_then(Option::as_ref)
            .map(|list| list.iter().map(|&e| &self.entries[e as usize]))
    }

    /// The commit `o`, when it was in the database.
    pub fn commit(&self, o: Obj) -> Option<&CommitData> {
        self.commits.get(&o)
    }

    /// Every distinct tree entry seen (identical entries of many trees are one).
    pub fn entries(&self) -> &[Entry] {
        &self.entries
    }

    /// Whether blob `o` was in the database.
    pub fn has_blob(&self, o: Obj) -> bool {
        self.blobs.contains(&o)
    }

    /// Every commit in the database.
    pub fn all_commits(&self) -> impl Iterator<Item = Obj> + '_ {
        self.commits.keys().copied()
    }

    /// Records a tree, sharing entries identical to ones seen before.
    pub fn add_tree(&mut self, id: ObjectId, data: &[u8], hash: gix::hash::Kind) {
        let o = self.intern(id);
        let previous = std::mem::take(&mut self.previous);
        // One pair of lists serves every tree, so that each tree's costs one exact allocation.
        let mut this = std::mem::take(&mut self.scratch);
        this.entries.clear();
        this.ends.clear();
        // A version of a tree has about as many entries as the one before it.
        this.entries.reserve(previous.entries.len() + 1);
        this.ends.reserve(previous.entries.len() + 1);
        // Trees arrive much as a pack stores them, most next to the version they are a delta
        // of: the entries the previous tree has at the same place are found by comparing
        // bytes, without searching for where each ends or hashing it.
        let mut cursor = 0;
        let mut at = 0;
        while at < data.len() {
            if let Some(len) = previous.shared_run(&mut cursor, data, at, &mut this) {
                at += len;
                continue;
            }
            let Some((e, len)) = self.intern_entry(&data[at..], hash) else {
                self.corrupt.push(id);
                break;
            };
            previous.skip_to_name_after(&mut cursor, entry_name(&data[at..at + len]));
            this.entries.push(e);
            at += len;
            this.ends.push(at);
        }
        if self.trees.len() <= o as usize {
            self.trees.resize_with(self.ids.len(), || None);
        }
        self.trees[o as usize] = Some(Box::from(&this.entries[..]));
        this.bytes.clear();
        this.bytes
            .extend_from_slice(&data[..this.ends.last().copied().unwrap_or(0)]);
        self.scratch = previous;
        self.previous = this;
    }

    /// The number of the entry `rest` starts with, interning it, and its length in bytes;
    /// `None` when it does not decode.
    fn intern_entry(&mut self, rest: &[u8], hash: gix::hash::Kind) -> Option<(u32, usize)> {
        // An entry is `<mode> <name>\0<id>`; intern it as raw bytes, decode it once.
        let end = memchr::memchr(0, rest)? + 1 + hash.len_in_bytes();
        let raw = rest.get(..end)?;
        if let Some(&e) = self.by_entry.get(raw) {
            return Some((e, end));
        }
        let entry = TreeRefIter::from_bytes(raw, hash).next()?.ok()?;
        let kind = if entry.mode.is_tree() {
            EntryKind::Tree
        } else if entry.mode.is_commit() {
            EntryKind::Submodule
        } else {
            EntryKind::Blob
        };
        let name = match self.by_name.get(entry.filename) {
            Some(&n) => n,
            None => {
                let n = self.names.len() as u32;
                self.names.push(entry.filename.to_owned());
                self.by_name.insert(entry.filename.to_owned(), n);
                n
            }
        };
        let target = self.intern(entry.oid.to_owned());
        let e = self.entries.len() as u32;
        self.entries.push(Entry {
            name,
            id: target,
            kind,
            mode: entry.mode,
        });
        self.by_entry.insert(raw.into(), e);
        Some((e, end))
    }

    /// Records a commit from its raw bytes, reading its headers only as far as the author;
    /// returns whether they decoded (a commit that did not is listed as corrupt, as a tree is).
    pub fn add_commit(&mut self, id: ObjectId, data: &[u8], hash: gix::hash::Kind) -> bool {
        use gix::objs::commit::ref_iter::Token;
        let mut tree = None;
        let mut parents = Vec::new();
        let mut author = None;
        for token in gix::objs::CommitRefIter::from_bytes(data, hash) {
            match token {
                Ok(Token::Tree { id }) => tree = Some(id),
                Ok(Token::Parent { id }) => parents.push(id),
                Ok(Token::Author { signature }) => {
                    author = Some(signature);
                    break;
                }
                // Past the author, or a header that does not decode (no author then: corrupt).
                _ => break,
            }
        }
        let (Some(tree), Some(a)) = (tree, author) else {
            self.corrupt.push(id);
            return false;
        };
        let o = self.intern(id);
        let tree = self.intern(tree);
        let parents = parents.into_iter().map(|p| self.intern(p)).collect();
        let time = a.time().unwrap_or_default();
        let mut written = BString::from(a.name.trim());
        written.extend_from_slice(b" <");
        written.extend_from_slice(a.email.trim());
        written.push(b'>');
        self.commits.insert(
            o,
            CommitData {
                tree,
                parents,
                author: written,
                seconds: time.seconds,
                offset: time.offset,
            },
        );
        true
    }

    /// Records an annotated tag's target.
    pub fn add_tag(&mut self, id: ObjectId, target: ObjectId) {
        let o = self.intern(id);
        let t = self.intern(target);
        self.tags.insert(o, t);
    }

    /// Records that a blob is present, and its size.
    pub fn add_blob(&mut self, id: ObjectId, size: u64) {
        let o = self.intern(id);
        self.blobs.insert(o);
        self.sizes.insert(o, size);
    }

    /// Keeps a commit's raw bytes, for rewriting it without reading the database again.
    pub fn keep_raw_commit(&mut self, id: ObjectId, data: Vec<u8>) {
        let o = self.intern(id);
        self.raw_commits.insert(o, data);
    }

    /// A commit's raw bytes, when they were kept.
    pub fn raw_commit(&self, o: Obj) -> Option<&[u8]> {
        self.raw_commits.get(&o).map(Vec::as_slice)
    }

    /// The size of blob `o`, when it was in the database.
    pub fn blob_size(&self, o: Obj) -> Option<u64> {
        self.sizes.get(&o).copied()
    }

    /// The commits and tags of the index and the id of each (for rewriting).
    pub fn tag_target(&self, o: Obj) -> Option<Obj> {
        self.tags.get(&o).copied()
    }

    /// Follows annotated tags from `o`.
    pub fn peel(&self, mut o: Obj) -> Obj {
        for _ in 0..32 {
            match self.tags.get(&o) {
                Some(&t) => o = t,
                None => break,
            }
        }
        o
    }
}

/// Every object directory to read: the repository's own, then its alternates.
pub fn object_dirs(repo: &gix::Repository) -> Vec<PathBuf> {
    let own = repo.common_dir().join("objects");
    let mut dirs = vec![own];
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

/// The pack index files under each of `dirs` (`objects` directories), sorted per directory.
pub fn pack_indices(dirs: &[PathBuf]) -> Vec<PathBuf> {
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

/// What the pass hands every object to. Each thread of the pass works on its own clone.
pub trait Visit: Clone + Send {
    /// What visiting a packed object leaves for the objects the pack stores as deltas of it.
    type Left: Send + Sync;

    /// Handles one object.
    fn object(&mut self, id: ObjectId, kind: Kind, data: &[u8]);

    /// Handles one object of a pack: by default as [`Visit::object`]. A pack's delta tree is
    /// walked base first, so every base has been handled before the objects stored as deltas
    /// of it, which receive what it returned.
    fn packed(&mut self, object: &delta_tree::Object<'_, Self::Left>) -> Option<Self::Left> {
        let mut rebuilt = Vec::new();
        self.object(object.id, object.kind, object.rebuild(&mut rebuilt));
        None
    }

    /// Whether [`Visit::packed`] takes a delta no object builds on unbuilt.
    fn lazy_leaves(&self) -> bool {
        false
    }
}

/// Runs a [`Visit`] over one pack's walk: a clone per thread, each object once over all packs.
struct PackVisit<'a, V, F> {
    first_time: F,
    counts: &'a PassCounts,
    lazy_leaves: bool,
    visitor: std::marker::PhantomData<fn() -> V>,
}

impl<V: Visit, F: Fn(&ObjectId) -> bool + Sync> delta_tree::Walker for PackVisit<'_, V, F> {
    type Left = V::Left;
    type Local = V;

    fn wants(&self, id: &ObjectId) -> bool {
        self.counts.objects.fetch_add(1, Ordering::Relaxed);
        (self.first_time)(id)
    }

    fn visit(&self, local: &mut V, object: &delta_tree::Object<'_, V::Left>) -> Option<V::Left> {
        local.packed(object)
    }

    fn lazy_leaves(&self) -> bool {
        self.lazy_leaves
    }
}

/// Counts kept while the pass runs, for progress and the summary.
#[derive(Debug, Default)]
pub struct PassCounts {
    /// Objects decoded.
    pub objects: AtomicU64,
}

/// Which objects a [`pass`] reads.
#[derive(Debug, Clone, Copy)]
pub enum Scope<'a> {
    /// Every pack and loose object under these `objects` directories.
    Dirs(&'a [PathBuf]),
    /// The objects of one pack, named by its index file.
    Pack(&'a Path),
}

/// Decodes every object in `scope`'s packs (each pack's delta tree, on `threads` threads) and
/// loose objects, calling `visit(id, kind, data)` once per object id. Returns problems as
/// warnings; none of them stops the pass.
pub fn pass<V: Visit>(
    repo: &gix::Repository,
    scope: Scope<'_>,
    threads: usize,
    counts: &PassCounts,
    interrupt: &AtomicBool,
    visitor: V,
) -> Vec<String> {
    let hash = repo.object_hash();
    let mut warnings = Vec::new();
    let (packs, loose_in) = match scope {
        Scope::Dirs(dirs) => (pack_indices(dirs), dirs),
        Scope::Pack(idx) => (vec![idx.to_path_buf()], &[][..]),
    };
    // An object in two packs (an incomplete repack) is visited once.
    let duplicates_possible = packs.len() > 1;
    let seen: std::sync::Mutex<HashSet<ObjectId, BuildHasherDefault<FxHasher>>> =
        Default::default();
    let first_time = |id: &ObjectId| {
        !duplicates_possible
            || seen
                .lock()
                .expect("no panics while holding the set")
                .insert(*id)
    };
    for idx in packs {
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
        let walker = PackVisit {
            first_time: &first_time,
            counts,
            lazy_leaves: visitor.lazy_leaves(),
            visitor: std::marker::PhantomData::<fn() -> V>,
        };
        // Each thread of the walk gets its own clone of the visitor, and drops it when the
        // pack is done, so a visitor can batch its work without locks.
        let outcome = delta_tree::walk(
            &bundle.pack,
            &bundle.index,
            threads,
            interrupt,
            &walker,
            || visitor.clone(),
        );
        let pack_name = idx.display();
        warnings.extend(
            outcome
                .warnings
                .into_iter()
                .map(|w| format!("pack {pack_name}: {w}")),
        );
        // A delta whose base is elsewhere (or nowhere) is read through the object database.
        let mut visitor = visitor.clone();
        for id in outcome.unreached {
            if !first_time(&id) {
                continue;
            }
            if let Err(e) = read_one(repo, id, counts, &mut visitor) {
                warnings.push(format!("pack {pack_name}: object {id}: {e}; skipped"));
            }
        }
    }
    let mut visitor = visitor;
    let loose_dirs = loose_in.iter().flat_map(|d| loose_ids(d));
    for id in loose_dirs {
        if interrupt.load(Ordering::Relaxed) {
            break;
        }
        if duplicates_possible && !first_time(&id) {
            continue;
        }
        if read_one(repo, id, counts, &mut visitor).is_err() {
            warnings.push(format!("loose object {id} is corrupt; skipped"));
        }
    }
    warnings
}

/// Reads one object through the object database and hands it to `visitor`.
fn read_one<V: Visit>(
    repo: &gix::Repository,
    id: ObjectId,
    counts: &PassCounts,
    visitor: &mut V,
) -> gix::Result<()> {
    let object = repo.find_object(id)?;
    counts.objects.fetch_add(1, Ordering::Relaxed);
    visitor.object(id, object.kind, &object.data);
    Ok(())
}

/// The ids of the loose objects under `dir` (an `objects` directory).
pub fn loose_ids(dir: &Path) -> Vec<ObjectId> {
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

/// A commit's message: what follows the blank line that ends its headers, found as git
/// finds it, without decoding the headers (a signature header alone can be kilobytes).
pub fn commit_message(data: &[u8]) -> Option<&BStr> {
    memchr::memmem::find(data, b"\n\n").map(|end| data[end + 2..].as_bstr())
}

/// Decodes a tag for the index.
pub fn decode_tag(data: &[u8], hash: gix::hash::Kind) -> Option<TagRef<'_>> {
    TagRef::from_bytes(data, hash).ok()
}

/// What to walk.
#[derive(Debug, Default)]
pub struct Selection {
    /// Start from these commits instead of the refs (the `B` of `A..B`).
    pub include: Vec<ObjectId>,
    /// Leave out commits reachable from these (the `A` of `A..B`, or `--since`).
    pub exclude: Vec<ObjectId>,
}

/// What the refs reach, computed from the [`Index`].
#[derive(Debug, Default)]
pub struct Graph {
    /// Reachable commits, as object indices.
    pub commits: Vec<Obj>,
    /// Each ref and the commit it leads to (after peeling tags), when it leads to one.
    pub refs: Vec<(String, Option<Obj>)>,
    /// The commit HEAD points at.
    pub head: Option<Obj>,
    /// Blobs to report: those the selected commits' trees hold (or introduce, when narrowed).
    pub blobs: HashSet<Obj, BuildHasherDefault<FxHasher>>,
    /// Annotated tags the refs go through (their messages count as reachable).
    pub tags: HashSet<Obj, BuildHasherDefault<FxHasher>>,
    /// Commits the refs reach but the database lacks (shallow boundary, corruption).
    pub missing_commits: u64,
    /// Submodule entries met.
    pub submodules: u64,
}

impl Graph {
    /// Walks the index from the tips: every reachable commit once, every tree once.
    pub fn build(
        index: &Index,
        tips: &[Tip],
        head: Option<ObjectId>,
        selection: &Selection,
    ) -> Graph {
        let mut graph = Graph::default();
        let excluded = index_ancestors(index, &selection.exclude);
        let mut stack: Vec<Obj> = Vec::new();
        let starts: Vec<(String, ObjectId)> = if selection.include.is_empty() {
            tips.iter().map(|t| (t.name.clone(), t.target)).collect()
        } else {
            selection
                .include
                .iter()
                .map(|id| (id.to_hex().to_string(), *id))
                .collect()
        };
        let mut root_trees = Vec::new();
        for (name, target) in starts {
            let Some(o) = index.get(&target) else {
                graph.refs.push((name, None));
                continue;
            };
            let mut t = o;
            while let Some(&next) = index.tags.get(&t) {
                graph.tags.insert(t);
                if next == t {
                    break;
                }
                t = next;
            }
            if index.commits.contains_key(&t) {
                graph.refs.push((name, Some(t)));
                stack.push(t);
            } else {
                graph.refs.push((name, None));
                if index.tree(t).is_some() {
                    root_trees.push(t);
                } else if index.has_blob(t) {
                    graph.blobs.insert(t);
                }
            }
        }
        graph.head = head.and_then(|h| index.get(&h)).map(|h| index.peel(h));
        let mut seen: HashSet<Obj, BuildHasherDefault<FxHasher>> = HashSet::default();
        while let Some(c) = stack.pop() {
            if excluded.contains(&c) || !seen.insert(c) {
                continue;
            }
            let Some(commit) = index.commit(c) else {
                graph.missing_commits += 1;
                continue;
            };
            graph.commits.push(c);
            stack.extend(commit.parents.iter().copied());
        }
        let narrowed = !selection.exclude.is_empty();
        let mut seen_trees = vec![false; index.len()];
        for &c in &graph.commits {
            let commit = index.commit(c).expect("walked commits are in the index");
            if narrowed {
                let parent_trees: Vec<Obj> = commit
                    .parents
                    .iter()
                    .filter_map(|p| index.commit(*p))
                    .map(|p| p.tree)
                    .collect();
                introduced(
                    index,
                    commit.tree,
                    &parent_trees,
                    &mut graph.blobs,
                    &mut graph.submodules,
                );
            } else {
                collect(
                    index,
                    commit.tree,
                    &mut seen_trees,
                    &mut graph.blobs,
                    &mut graph.submodules,
                );
            }
        }
        for t in root_trees {
            collect(
                index,
                t,
                &mut seen_trees,
                &mut graph.blobs,
                &mut graph.submodules,
            );
        }
        graph
    }
}

/// Every blob under `root`, each tree visited once.
fn collect(
    index: &Index,
    root: Obj,
    seen: &mut [bool],
    blobs: &mut HashSet<Obj, BuildHasherDefault<FxHasher>>,
    submodules: &mut u64,
) {
    // Every object is below `index.len()`, so every tree has a slot.
    let mut first_sight = |t: Obj| !std::mem::replace(&mut seen[t as usize], true);
    if !first_sight(root) {
        return;
    }
    let mut stack = vec![root];
    while let Some(t) = stack.pop() {
        let Some(entries) = index.tree(t) else {
            continue;
        };
        for e in entries {
            match e.kind {
                EntryKind::Tree => {
                    if first_sight(e.id) {
                        stack.push(e.id);
                    }
                }
                EntryKind::Blob => {
                    blobs.insert(e.id);
                }
                EntryKind::Submodule => *submodules += 1,
            }
        }
    }
}

/// The blobs of `tree` that none of `parents`' trees holds at the same path.
/// Trees nested deeper than this are not followed (git itself refuses deeper ones).
const MAX_TREE_DEPTH: usize = 4096;

fn introduced(
    index: &Index,
    tree: Obj,
    parents: &[Obj],
    blobs: &mut HashSet<Obj, BuildHasherDefault<FxHasher>>,
    submodules: &mut u64,
) {
    let mut stack: Vec<(Obj, Vec<Obj>, usize)> = vec![(tree, parents.to_vec(), 0)];
    while let Some((t, olds, depth)) = stack.pop() {
        // A tree that holds itself (a hostile pack can name one) would never end.
        if olds.contains(&t) || depth > MAX_TREE_DEPTH {
            continue;
        }
        let Some(entries) = index.tree(t) else {
            continue;
        };
        let old_entries: Vec<HashMap<u32, &Entry>> = olds
            .iter()
            .filter_map(|o| index.tree(*o))
            .map(|es| es.map(|e| (e.name, e)).collect())
            .collect();
        for e in entries {
            let before: Vec<&Entry> = old_entries
                .iter()
                .filter_map(|m| m.get(&e.name).copied())
                .collect();
            if before.iter().any(|b| b.id == e.id) {
                continue;
            }
            match e.kind {
                EntryKind::Tree => {
                    let subtrees = before
                        .iter()
                        .filter(|b| b.kind == EntryKind::Tree)
                        .map(|b| b.id)
                        .collect();
                    stack.push((e.id, subtrees, depth + 1));
                }
                EntryKind::Blob => {
                    blobs.insert(e.id);
                }
                EntryKind::Submodule => *submodules += 1,
            }
        }
    }
}

/// Every commit reachable from `starts` in the index.
fn index_ancestors(
    index: &Index,
    starts: &[ObjectId],
) -> HashSet<Obj, BuildHasherDefault<FxHasher>> {
    let mut seen = HashSet::default();
    let mut stack: Vec<Obj> = starts
        .iter()
        .filter_map(|id| index.get(id))
        .map(|o| index.peel(o))
        .collect();
    while let Some(c) = stack.pop() {
        if !seen.insert(c) {
            continue;
        }
        if let Some(commit) = index.commit(c) {
            stack.extend(commit.parents.iter().copied());
        }
    }
    seen
}

/// Where a blob sits in history, at one path.
#[derive(Debug, Clone)]
pub struct Occurrence {
    /// The earliest commit (by author date) whose tree holds the blob at this path.
    pub first: Obj,
    /// The latest such commit.
    pub last: Obj,
    /// How many commits hold it there.
    pub commits: usize,
    /// Whether HEAD's commit holds it there.
    pub in_head: bool,
    /// The refs reaching a commit that holds it there, as [`RefReach`] numbers them.
    pub refs: RefSet,
}

/// A set of refs, one bit each, as [`RefReach`] numbers them.
pub type RefSet = Vec<u64>;

/// What the commits crediting one place in the trees add up to.
#[derive(Debug, Clone)]
struct Credit {
    /// The earliest commit, by (time, order among the commits given).
    first: (i64, usize, Obj),
    /// The latest commit, by time, then earliest in that order.
    last: (i64, usize, Obj),
    commits: usize,
    in_head: bool,
    refs: RefSet,
}

impl Credit {
    fn of(commit: Obj, when: i64, order: usize, in_head: bool, refs: RefSet) -> Credit {
        Credit {
            first: (when, order, commit),
            last: (when, order, commit),
            commits: 1,
            in_head,
            refs,
        }
    }

    fn add(&mut self, other: &Credit) {
        if (other.first.0, other.first.1) < (self.first.0, self.first.1) {
            self.first = other.first;
        }
        let later = other.last.0 > self.last.0
            || (other.last.0 == self.last.0 && other.last.1 < self.last.1);
        if later {
            self.last = other.last;
        }
        self.commits += other.commits;
        self.in_head |= other.in_head;
        if self.refs.len() < other.refs.len() {
            self.refs.resize(other.refs.len(), 0);
        }
        for (mine, theirs) in self.refs.iter_mut().zip(&other.refs) {
            *mine |= theirs;
        }
    }
}

/// A tree that holds targets below it: the target blobs it names, and its subtrees that hold
/// targets, each by name. Trees without targets have no node.
#[derive(Debug, Default)]
struct Node {
    blobs: Vec<(u32, Obj)>,
    subtrees: Vec<(u32, u32)>,
}

/// Finds every (blob, path) where the `targets` sit in the trees of `commits`, with `reach`
/// (when given) saying which refs reach the commits holding each.
///
/// Work follows the trees, not the commits times the targets: each distinct tree is read once
/// (its targets below are a node shared by every tree holding that subtree); each commit then
/// credits its root's node, and the credits flow down the nodes, once per (node, path), to the
/// blobs. Paths are chains of interned names, spelled out only for the answer.
pub fn locate(
    index: &Index,
    commits: &[Obj],
    head: Option<Obj>,
    targets: &HashSet<Obj, BuildHasherDefault<FxHasher>>,
    reach: Option<&RefReach>,
) -> HashMap<(Obj, BString), Occurrence> {
    let mut is_target = vec![false; index.len()];
    for &t in targets {
        if let Some(slot) = is_target.get_mut(t as usize) {
            *slot = true;
        }
    }
    let mut nodes = Nodes {
        of_tree: vec![UNSEEN; index.len()],
        list: Vec::new(),
    };
    // By node: the credits of the paths it stands at.
    let mut credits: Vec<FxMap<u32, Credit>> = Vec::new();
    for (order, &c) in commits.iter().enumerate() {
        let Some(commit) = index.commit(c) else {
            continue;
        };
        let Some(node) = nodes.of(index, commit.tree, &is_target) else {
            continue;
        };
        credits.resize_with(nodes.list.len(), FxMap::default);
        let refs = reach.map(|r| r.of(c)).unwrap_or_default();
        let credit = Credit::of(c, commit.seconds, order, Some(c) == head, refs);
        merge(&mut credits[node as usize], Prefixes::ROOT, &credit);
    }
    credits.resize_with(nodes.list.len(), FxMap::default);
    let mut prefixes = Prefixes::default();
    let mut found: FxMap<(Obj, u32), Credit> = FxMap::default();
    // A node's number is above its subtrees' (they are numbered first): from the top down,
    // every path of a node has all its credit before it passes it on.
    for n in (0..nodes.list.len()).rev() {
        let here = std::mem::take(&mut credits[n]);
        let node = &nodes.list[n];
        for (prefix, credit) in here {
            for &(name, blob) in &node.blobs {
                let path = prefixes.intern(prefix, name);
                merge(&mut found, (blob, path), &credit);
            }
            for &(name, sub) in &node.subtrees {
                let path = prefixes.intern(prefix, name);
                merge(&mut credits[sub as usize], path, &credit);
            }
        }
    }
    found
        .into_iter()
        .map(|((blob, path), c)| {
            let occurrence = Occurrence {
                first: c.first.2,
                last: c.last.2,
                commits: c.commits,
                in_head: c.in_head,
                refs: c.refs,
            };
            ((blob, prefixes.spell(index, path)), occurrence)
        })
        .collect()
}

/// Adds `credit` to what `map` holds at `key`.
fn merge<K: std::hash::Hash + Eq>(map: &mut FxMap<K, Credit>, key: K, credit: &Credit) {
    match map.entry(key) {
        std::collections::hash_map::Entry::Occupied(mut e) => e.get_mut().add(credit),
        std::collections::hash_map::Entry::Vacant(e) => {
            e.insert(credit.clone());
        }
    }
}

/// Not looked at yet, in [`Nodes::of_tree`].
const UNSEEN: u32 = u32::MAX;
/// Holds no target, in [`Nodes::of_tree`].
const NO_NODE: u32 = u32::MAX - 1;
/// Being looked at, in [`Nodes::of_tree`]: a tree met again below itself is corrupt.
const IN_PROGRESS: u32 = u32::MAX - 2;

/// The nodes of the trees looked at so far.
struct Nodes {
    /// By tree: its node, [`UNSEEN`] or [`NO_NODE`].
    of_tree: Vec<u32>,
    list: Vec<Node>,
}

impl Nodes {
    /// The node of `tree`, made on first sight; iterative, so that a hostile, very deep tree
    /// cannot overflow the stack.
    fn of(&mut self, index: &Index, tree: Obj, is_target: &[bool]) -> Option<u32> {
        let state = |of: &[u32], t: Obj| of.get(t as usize).copied().unwrap_or(NO_NODE);
        let mut stack: Vec<(Obj, bool)> = vec![(tree, false)];
        while let Some((t, expanded)) = stack.pop() {
            match (state(&self.of_tree, t), expanded) {
                (UNSEEN, false) | (IN_PROGRESS, true) => {}
                _ => continue,
            }
            let Some(entries) = index.tree(t) else {
                self.of_tree[t as usize] = NO_NODE;
                continue;
            };
            if !expanded {
                self.of_tree[t as usize] = IN_PROGRESS;
                stack.push((t, true));
                for e in entries {
                    if e.kind == EntryKind::Tree && state(&self.of_tree, e.id) == UNSEEN {
                        stack.push((e.id, false));
                    }
                }
                continue;
            }
            let mut node = Node::default();
            for e in index.tree(t).into_iter().flatten() {
                match e.kind {
                    EntryKind::Blob if is_target.get(e.id as usize) == Some(&true) => {
                        node.blobs.push((e.name, e.id));
                    }
                    // A tree that contains itself is corrupt: it is still in progress here.
                    EntryKind::Tree => match state(&self.of_tree, e.id) {
                        UNSEEN | NO_NODE | IN_PROGRESS => {}
                        sub => node.subtrees.push((e.name, sub)),
                    },
                    _ => {}
                }
            }
            self.of_tree[t as usize] = if node.blobs.is_empty() && node.subtrees.is_empty() {
                NO_NODE
            } else {
                self.list.push(node);
                self.list.len() as u32 - 1
            };
        }
        match state(&self.of_tree, tree) {
            UNSEEN | NO_NODE | IN_PROGRESS => None,
            node => Some(node),
        }
    }
}

/// Paths as chains of (path of the parent directory, name), interned, so that a path costs no
/// allocation.
#[derive(Default)]
struct Prefixes {
    links: Vec<(u32, u32)>,
    by_link: FxMap<(u32, u32), u32>,
}

impl Prefixes {
    /// The root directory's path.
    const ROOT: u32 = u32::MAX;

    fn intern(&mut self, parent: u32, name: u32) -> u32 {
        if let Some(&id) = self.by_link.get(&(parent, name)) {
            return id;
        }
        let id = self.links.len() as u32;
        self.links.push((parent, name));
        self.by_link.insert((parent, name), id);
        id
    }

    fn spell(&self, index: &Index, mut id: u32) -> BString {
        let mut names = Vec::new();
        while id != Self::ROOT {
            let (parent, name) = self.links[id as usize];
            names.push(&index.names[name as usize]);
            id = parent;
        }
        let mut path = BString::default();
        for name in names.iter().rev() {
            if !path.is_empty() {
                path.push(b'/');
            }
            path.extend_from_slice(name);
        }
        path
    }
}

/// How many ref names a finding lists.
pub const MAX_REFS: usize = 10;

/// Which refs reach each commit, as bit sets propagated from tips to ancestors.
pub struct RefReach {
    bits: FxMap<Obj, Vec<u64>>,
}

impl RefReach {
    /// Refs beyond this many are not tracked (their names would be capped anyway).
    const MAX_TRACKED: usize = 256;

    /// The refs reaching `commit` (none for a commit the walk did not reach).
    pub fn of(&self, commit: Obj) -> RefSet {
        self.bits.get(&commit).cloned().unwrap_or_default()
    }

    /// Propagates every ref's bit from its tip to all its ancestors among `commits`.
    pub fn compute(index: &Index, graph: &Graph) -> RefReach {
        let tracked = graph.refs.len().min(Self::MAX_TRACKED);
        let words = tracked.div_ceil(64).max(1);
        let mut bits: FxMap<Obj, Vec<u64>> = graph
            .commits
            .iter()
            .map(|&c| (c, vec![0u64; words]))
            .collect();
        for (r, (_, commit)) in graph.refs.iter().enumerate().take(tracked) {
            if let Some(set) = commit.and_then(|c| bits.get_mut(&c)) {
                set[r / 64] |= 1 << (r % 64);
            }
        }
        // Children before parents: Kahn's order over the child counts.
        let mut children: FxMap<Obj, u32> = graph.commits.iter().map(|&c| (c, 0)).collect();
        for &c in &graph.commits {
            for p in &index
                .commit(c)
                .expect("walked commits are in the index")
                .parents
            {
                if let Some(n) = children.get_mut(p) {
                    *n += 1;
                }
            }
        }
        let mut ready: Vec<Obj> = graph
            .commits
            .iter()
            .copied()
            .filter(|c| children[c] == 0)
            .collect();
        while let Some(c) = ready.pop() {
            let mine = bits[&c].clone();
            for p in &index
                .commit(c)
                .expect("walked commits are in the index")
                .parents
            {
                let Some(set) = bits.get_mut(p) else { continue };
                for (w, v) in mine.iter().enumerate() {
                    set[w] |= v;
                }
                let n = children
                    .get_mut(p)
                    .expect("parents of walked commits are counted");
                *n -= 1;
                if *n == 0 {
                    ready.push(*p);
                }
            }
        }
        RefReach { bits }
    }

    /// The names of the refs in `set` (capped at [`MAX_REFS`]) and their count.
    pub fn names(&self, graph: &Graph, set: &RefSet) -> (Vec<String>, usize) {
        let refs: Vec<usize> = (0..set.len() * 64)
            .filter(|&r| set[r / 64] & (1 << (r % 64)) != 0)
            .filter(|&r| r < graph.refs.len())
            .collect();
        let names = refs
            .iter()
            .take(MAX_REFS)
            .map(|&r| graph.refs[r].0.clone())
            .collect();
        (names, refs.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A tree entry as git writes it.
    fn entry(mode: &str, name: &str, id: ObjectId) -> Vec<u8> {
        let mut raw = format!("{mode} {name}\0").into_bytes();
        raw.extend_from_slice(id.as_bytes());
        raw
    }

    #[test]
    fn a_tree_that_holds_itself_ends_the_search() {
        // A pack is not checked against its ids, so a hostile one can name a tree that lists
        // itself; the search for targets must end and still find what the tree holds.
        let hash = gix::hash::Kind::Sha1;
        let tree = ObjectId::from_hex(b"1111111111111111111111111111111111111111").unwrap();
        let blob = ObjectId::from_hex(b"2222222222222222222222222222222222222222").unwrap();
        let mut index = Index::default();
        let mut data = entry("100644", "secret.env", blob);
        data.extend(entry("40000", "loop", tree));
        index.add_blob(blob, 10);
        index.add_tree(tree, &data, hash);
        let (t, b) = (index.get(&tree).unwrap(), index.get(&blob).unwrap());
        let mut is_target = vec![false; index.len()];
        is_target[b as usize] = true;
        let mut nodes = Nodes {
            of_tree: vec![UNSEEN; index.len()],
            list: Vec::new(),
        };
        let node = nodes
            .of(&index, t, &is_target)
            .expect("the blob is a target");
        assert_eq!(nodes.list[node as usize].blobs.len(), 1);
        assert!(nodes.list[node as usize].subtrees.is_empty());
        let mut blobs = HashSet::default();
        let mut submodules = 0;
        introduced(&index, t, &[], &mut blobs, &mut submodules);
        assert!(blobs.contains(&b));
    }

    /// The names and targets a tree holds, as the index recorded it.
    fn listed(index: &Index, tree: ObjectId) -> Vec<(String, ObjectId)> {
        let t = index.get(&tree).expect("the tree is interned");
        index
            .tree(t)
            .expect("the tree is recorded")
            .map(|e| (index.name(e).to_string(), index.id(e.id)))
            .collect()
    }

    #[test]
    fn a_tree_is_read_alike_whether_or_not_it_shares_entries_with_the_one_before() {
        // Each tree changes the one before it as a commit does: an entry inserted, one
        // dropped, one changed, and the last one cut short (a corrupt tree).
        let hash = gix::hash::Kind::Sha1;
        let id = |c: u8| ObjectId::from_hex(&[c; 40]).unwrap();
        let versions: [&[(&str, u8)]; 5] = [
            &[("a", b'1'), ("b", b'2'), ("c", b'3'), ("d", b'4')],
            &[
                ("a", b'1'),
                ("aa", b'5'),
                ("b", b'2'),
                ("c", b'3'),
                ("d", b'4'),
            ],
            &[("a", b'1'), ("b", b'2'), ("c", b'6'), ("d", b'4')],
            &[("a", b'1'), ("c", b'3'), ("d", b'4')],
            // Two changed entries in a row, then shared ones.
            &[("a", b'7'), ("b", b'8'), ("c", b'3'), ("d", b'4')],
        ];
        let mut index = Index::default();
        for (n, version) in versions.iter().enumerate() {
            let tree = id(b'a' + n as u8);
            let data: Vec<u8> = version
                .iter()
                .flat_map(|&(name, c)| entry("100644", name, id(c)))
                .collect();
            index.add_tree(tree, &data, hash);
            let expected: Vec<_> = version
                .iter()
                .map(|&(name, c)| (name.to_string(), id(c)))
                .collect();
            assert_eq!(listed(&index, tree), expected, "version {n}");
        }
        let cut = id(b'f');
        let mut data = entry("100644", "a", id(b'1'));
        data.extend(&entry("100644", "b", id(b'2'))[..10]);
        index.add_tree(cut, &data, hash);
        assert_eq!(listed(&index, cut), [("a".to_string(), id(b'1'))]);
        assert_eq!(index.corrupt, [cut]);
        assert_eq!(index.entries().len(), 8, "shared entries are interned once");
    }
}
