//! What a push brings: the commits, messages and blobs the pre-receive hook must judge.
//!
//! git receives a push's objects into a quarantine directory (git 2.11 and later) and runs the
//! pre-receive hook with `GIT_QUARANTINE_PATH` naming it, `GIT_OBJECT_DIRECTORY` pointing into
//! it and the repository's own objects as an alternate; the objects enter the repository only if
//! the hook accepts. What the quarantine holds (loose objects for a small push, one pack for a
//! larger one) is what the push brings, so [`brought`] reads it and never walks the refs: its
//! cost follows the size of the push, not the number of refs (a hosting-style repository has
//! tens of thousands under `refs/pull/`). An object outside the quarantine was in the
//! repository before the push, and was judged when it came.
//!
//! Without a quarantine (git before 2.11, or the hook run by hand), the new commits are what
//! `git log NEW --not --all` lists, which visits every ref.
//!
//! Either way the result is the same shape: each new commit's message, each annotated tag's,
//! and every blob a new commit adds or changes at a path (compared with each parent), whether
//! or not the blob itself is new: the same bytes may be a fixture at one path and deployable
//! configuration at another, and each path is judged on its own. From the quarantine, a new
//! tree or blob that a ref or tag names directly (a tag needs no commit) is judged too: a tree
//! at its paths, a blob under the name `(blob named by <ref or tag>)`. (The walk of the refs
//! fails on those, and the hook rejects the push with git's error.)

use std::collections::{HashMap, HashSet};
use std::ffi::OsStr;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Stdio;

/// A `git` step of reading the push failed.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A `git` subprocess failed.
    #[error("{0}")]
    Git(String),
}

/// One ref update of a push.
#[derive(Debug, Clone)]
pub struct Update {
    /// Old value (zeros for a new ref).
    pub old: String,
    /// New value (zeros for a deletion).
    pub new: String,
    /// Full ref name.
    pub name: String,
}

impl Update {
    /// Whether the update deletes its ref (nothing to judge).
    pub fn is_deletion(&self) -> bool {
        is_zero(&self.new)
    }
}

/// Whether `id` is all zeros (git's "no object").
pub fn is_zero(id: &str) -> bool {
    id.bytes().all(|b| b == b'0')
}

/// The reference named for what a push brings but none of its updated refs reaches (a crafted
/// push can carry such objects; they enter the repository with it, so they are judged too).
pub const UNREFERENCED: &str = "(no pushed ref)";

/// A blob to read, with where it appeared first.
#[derive(Debug, Clone)]
pub struct NewBlob {
    /// Blob id.
    pub id: String,
    /// Path in the commit's tree (C-quoted by git where it needs quoting).
    pub path: String,
    /// The commit that adds or changes it there.
    pub commit: String,
    /// The updated ref that brings that commit.
    pub reference: String,
}

/// A commit or annotated tag message to scan.
#[derive(Debug, Clone)]
pub struct Message {
    /// The updated ref that brings it.
    pub reference: String,
    /// The commit or tag id.
    pub id: String,
    /// The message.
    pub body: Vec<u8>,
}

/// How the new objects were found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Way {
    /// Read from the push quarantine, which held this many objects.
    Quarantine { objects: usize },
    /// `git log NEW --not --all`, per updated ref.
    RevList,
}

/// What a push brings.
#[derive(Debug)]
pub struct Brought {
    /// Blobs added or changed at a path by a new commit, one entry per blob and path.
    pub blobs: Vec<NewBlob>,
    /// New commit and tag messages.
    pub messages: Vec<Message>,
    /// Objects the ban list names, each described (`<id> (blob at <path>)`).
    pub banned: Vec<String>,
    /// New commits.
    pub commits: usize,
    /// How they were found.
    pub way: Way,
}

/// The push quarantine git receives the push's objects into.
#[derive(Debug, Clone)]
pub struct Quarantine {
    path: PathBuf,
}

impl Quarantine {
    /// The quarantine named by `GIT_QUARANTINE_PATH`, when it is set and is a directory.
    pub fn from_env() -> Option<Quarantine> {
        let path = PathBuf::from(std::env::var_os("GIT_QUARANTINE_PATH")?);
        path.is_dir().then_some(Quarantine { path })
    }

    /// The quarantine at `path`.
    pub fn at(path: impl Into<PathBuf>) -> Quarantine {
        Quarantine { path: path.into() }
    }

    /// Every object in the quarantine alone (its loose objects and packs; not the repository's
    /// objects, its alternate), with its type.
    pub fn objects(&self, dir: &Path) -> Result<HashMap<String, Kind>, Error> {
        let out = git(
            dir,
            &[
                "cat-file",
                "--batch-all-objects",
                "--unordered",
                "--batch-check=%(objectname) %(objecttype)",
            ],
            None,
            &[("GIT_OBJECT_DIRECTORY", self.path.as_os_str())],
            &["GIT_ALTERNATE_OBJECT_DIRECTORIES"],
        )?;
        Ok(String::from_utf8_lossy(&out)
            .lines()
            .filter_map(|l| {
                let (id, kind) = l.split_once(' ')?;
                Some((id.to_string(), Kind::parse(kind)?))
            })
            .collect())
    }
}

/// The type of a git object.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A commit.
    Commit,
    /// A tree.
    Tree,
    /// A blob.
    Blob,
    /// An annotated tag.
    Tag,
}

impl Kind {
    fn parse(name: &str) -> Option<Kind> {
        Some(match name {
            "commit" => Kind::Commit,
            "tree" => Kind::Tree,
            "blob" => Kind::Blob,
            "tag" => Kind::Tag,
            _ => return None,
        })
    }

    /// git's name for the type.
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Commit => "commit",
            Kind::Tree => "tree",
            Kind::Blob => "blob",
            Kind::Tag => "tag",
        }
    }
}

/// Finds what `updates` bring to the repository in `dir` (the hook's directory, whose
/// quarantine git sees): from `quarantine` when there is one, else by walking the refs. Objects
/// that `banned` names are listed wherever they appear.
pub fn brought(
    dir: &Path,
    quarantine: Option<&Quarantine>,
    updates: &[Update],
    banned: &HashSet<String>,
) -> Result<Brought, Error> {
    match quarantine {
        Some(q) => from_quarantine(dir, q, updates, banned),
        None => from_rev_list(dir, updates, banned),
    }
}

/// `git log` printing, for each commit, `<id> <parents>\0` then the blobs it adds or changes
/// against each parent (`--raw`, merges once per parent) as `:<modes> <ids> <status>\0<path>\0`
/// pairs. `-z` keeps paths verbatim: without it git C-quotes a path holding a newline, tab,
/// quote or non-UTF-8 byte, and `.pgpass` under such a directory would be judged as `.pgpass"`.
/// Messages are not printed: one may hold any byte, NUL included, so they are read whole with
/// `git cat-file` ([`messages`]). Settings a server may hold that would change this output are
/// overridden.
const LOG: &[&str] = &[
    "-c",
    "log.diffMerges=separate",
    "log",
    "-z",
    "--raw",
    "--no-abbrev",
    "--no-renames",
    "-m",
    "--no-decorate",
    "--no-show-signature",
    "--no-color",
    "--format=%H %P",
];

/// One commit of [`LOG`]'s output (a merge comes once per parent).
struct Record<'a> {
    commit: String,
    parents: Vec<String>,
    /// `(meta, path)`: `:<old mode> <new mode> <old id> <new id> <status>` and the path.
    changes: Vec<(&'a [u8], &'a [u8])>,
}

fn records(log: &[u8]) -> Vec<Record<'_>> {
    let mut records: Vec<Record<'_>> = Vec::new();
    let mut fields = log.split(|&b| b == 0);
    while let Some(field) = fields.next() {
        // git puts a newline before the first change of a commit.
        let field = field.strip_prefix(b"\n").unwrap_or(field);
        if field.is_empty() {
            continue;
        }
        if field.starts_with(b":") {
            // A path follows its change as a field of its own, whatever bytes it holds.
            let path = fields.next().unwrap_or_default();
            if let Some(record) = records.last_mut() {
                record.changes.push((field, path));
            }
            continue;
        }
        let header = String::from_utf8_lossy(field);
        let mut ids = header.split_whitespace().map(str::to_string);
        let Some(commit) = ids.next() else { continue };
        records.push(Record {
            commit,
            parents: ids.collect(),
            changes: Vec::new(),
        });
    }
    records
}

/// The message of each commit in `records`, read with `git cat-file --batch` in `dir`.
fn messages(dir: &Path, records: &[Record<'_>]) -> Result<HashMap<String, Vec<u8>>, Error> {
    let mut ids: Vec<&str> = records.iter().map(|r| r.commit.as_str()).collect();
    ids.sort_unstable();
    ids.dedup();
    let mut bodies = HashMap::with_capacity(ids.len());
    crate::source::git::cat_file_batch(dir, &ids, |id, data| {
        // The headers end at the first blank line (a signature's blank lines are indented).
        let body = memchr::memmem::find(data, b"\n\n").map_or(&[][..], |at| &data[at + 2..]);
        bodies.insert(id.to_string(), body.to_vec());
    })
    .map_err(Error::Git)?;
    Ok(bodies)
}

/// Gathers what a push brings, once per commit and once per blob and path.
struct Gather<'a> {
    banned: &'a HashSet<String>,
    reported: HashSet<String>,
    seen_blobs: HashSet<(String, String)>,
    seen_commits: HashSet<String>,
    out: Brought,
}

impl<'a> Gather<'a> {
    fn new(banned: &'a HashSet<String>, way: Way) -> Gather<'a> {
        Gather {
            banned,
            reported: HashSet::new(),
            seen_blobs: HashSet::new(),
            seen_commits: HashSet::new(),
            out: Brought {
                blobs: Vec::new(),
                messages: Vec::new(),
                banned: Vec::new(),
                commits: 0,
                way,
            },
        }
    }

    /// Lists `id` if the ban list names it (once, described by `what`).
    fn check_ban(&mut self, id: &str, what: impl FnOnce() -> String) {
        if self.banned.contains(id) && self.reported.insert(id.to_string()) {
            self.out.banned.push(format!("{id} ({})", what()));
        }
    }

    fn tag(&mut self, reference: &str, id: &str, tag: &[u8]) {
        self.check_ban(id, || "tag".into());
        if let Some(at) = memchr::memmem::find(tag, b"\n\n") {
            self.out.messages.push(Message {
                reference: reference.to_string(),
                id: id.to_string(),
                body: tag[at + 2..].to_vec(),
            });
        }
    }

    /// A blob that a ref or tag (`by`) names: judged under a name that says so (the ref's
    /// name; the tag's id when no pushed ref reaches the tag).
    fn named_blob(&mut self, reference: &str, by: &str, id: &str) {
        let namer = if reference == UNREFERENCED {
            by
        } else {
            reference
        };
        let path = format!("(blob named by {namer})");
        self.blob(id, path, by, reference);
    }

    /// The blobs of a tree that a ref or tag (`by`) names, from `git ls-tree -r -z`.
    fn named_tree(&mut self, reference: &str, by: &str, listing: &[u8]) {
        for entry in listing.split(|&b| b == 0) {
            // `<mode> blob <id>\t<path>`
            let Some(tab) = memchr::memchr(b'\t', entry) else {
                continue;
            };
            let meta: Vec<&[u8]> = entry[..tab].split(|&b| b == b' ').collect();
            let (Some(kind), Some(id)) = (meta.get(1), meta.get(2)) else {
                continue;
            };
            if *kind != b"blob" || meta[0].starts_with(b"160") {
                continue;
            }
            let path = String::from_utf8_lossy(&entry[tab + 1..]).into_owned();
            self.blob(&String::from_utf8_lossy(id), path, by, reference);
        }
    }

    /// A blob at `path`, brought by `commit` (or the tag or ref naming it).
    fn blob(&mut self, id: &str, path: String, commit: &str, reference: &str) {
        self.check_ban(id, || format!("blob at {path}"));
        if self.seen_blobs.insert((id.to_string(), path.clone())) {
            self.out.blobs.push(NewBlob {
                id: id.to_string(),
                path,
                commit: commit.to_string(),
                reference: reference.to_string(),
            });
        }
    }

    fn record(&mut self, record: &Record<'_>, body: &[u8], reference: &str) {
        let commit = &record.commit;
        // `-m` repeats a merge once per parent; its message counts once.
        if self.seen_commits.insert(commit.clone()) {
            self.out.commits += 1;
            self.check_ban(commit, || "commit".into());
            self.out.messages.push(Message {
                reference: reference.to_string(),
                id: commit.clone(),
                body: body.to_vec(),
            });
        }
        for (meta, path) in &record.changes {
            let meta: Vec<&[u8]> = meta.split(|&b| b == b' ').collect();
            let (Some(mode), Some(new)) = (meta.get(1), meta.get(3)) else {
                continue;
            };
            let new = String::from_utf8_lossy(new).into_owned();
            if is_zero(&new) || mode.starts_with(b"160") || mode.starts_with(b"04") {
                continue;
            }
            let path = String::from_utf8_lossy(path).into_owned();
            self.blob(&new, path, commit, reference);
        }
    }
}

/// Reads the push from its quarantine: every commit and annotated tag in it, whichever ref (if
/// any) reaches it; no ref is read.
fn from_quarantine(
    dir: &Path,
    quarantine: &Quarantine,
    updates: &[Update],
    banned: &HashSet<String>,
) -> Result<Brought, Error> {
    let objects = quarantine.objects(dir)?;
    let mut gather = Gather::new(
        banned,
        Way::Quarantine {
            objects: objects.len(),
        },
    );
    let of_kind = |kind: Kind| {
        let mut ids: Vec<&str> = objects
            .iter()
            .filter(|(_, k)| **k == kind)
            .map(|(id, _)| id.as_str())
            .collect();
        ids.sort_unstable();
        ids
    };
    // Annotated tags: what each points to, and its message.
    let tag_ids = of_kind(Kind::Tag);
    let mut tags: HashMap<String, (String, Vec<u8>)> = HashMap::new();
    crate::source::git::cat_file_batch(dir, &tag_ids, |id, data| {
        let target = data
            .strip_prefix(b"object ")
            .and_then(|rest| rest.split(|&b| b == b'\n').next())
            .map(|t| String::from_utf8_lossy(t).into_owned())
            .unwrap_or_default();
        tags.insert(id.to_string(), (target, data.to_vec()));
    })
    .map_err(Error::Git)?;
    // Commits: one `git log` over all of them, no walk.
    let commit_ids = of_kind(Kind::Commit);
    let log = if commit_ids.is_empty() {
        Vec::new()
    } else {
        let input: String = commit_ids.iter().map(|id| format!("{id}\n")).collect();
        let mut args = LOG.to_vec();
        args.extend(["--no-walk", "--stdin"]);
        git(dir, &args, Some(input.into_bytes()), &[], &[])?
    };
    let records = records(&log);
    let bodies = messages(dir, &records)?;
    // Each updated ref's new value, through the new tags it names, to a commit.
    let mut reference: HashMap<&str, &str> = HashMap::new();
    let mut tips: Vec<(&str, &str)> = Vec::new();
    for update in updates.iter().filter(|u| !u.is_deletion()) {
        let kind = objects.get(&update.new).map_or("object", |k| k.as_str());
        gather.check_ban(&update.new, || {
            format!("{kind}, new value of {}", update.name)
        });
        let mut id = update.new.as_str();
        // Bounded: a chain of tags cannot loop, but its length is the pusher's choice.
        for _ in 0..=tags.len() {
            let Some((target, _)) = tags.get(id) else {
                break;
            };
            reference.entry(id).or_insert(&update.name);
            id = target;
        }
        tips.push((&update.name, id));
    }
    // Trees and blobs that a ref or a tag names directly, with no commit to place them.
    let mut named: Vec<(&str, &str, &str)> = Vec::new();
    for id in &tag_ids {
        let Some((target, tag)) = tags.get(*id) else {
            continue;
        };
        gather.check_ban(target, || format!("tagged by {id}"));
        let name = reference.get(id).copied().unwrap_or(UNREFERENCED);
        gather.tag(name, id, tag);
        named.push((name, id, target));
    }
    for update in updates.iter().filter(|u| !u.is_deletion()) {
        named.push((&update.name, &update.new, &update.new));
    }
    for (name, by, id) in named {
        match objects.get(id) {
            Some(Kind::Blob) => gather.named_blob(name, by, id),
            Some(Kind::Tree) => {
                let listing = git(
                    dir,
                    &["ls-tree", "-r", "-z", "--full-tree", id],
                    None,
                    &[],
                    &[],
                )?;
                gather.named_tree(name, by, &listing);
            }
            _ => {}
        }
    }
    let parents: HashMap<&str, &[String]> = records
        .iter()
        .map(|r| (r.commit.as_str(), r.parents.as_slice()))
        .collect();
    // Which updated ref reaches each new commit, the first ref listed winning. The walk stays
    // inside the quarantine: what lies beyond was in the repository already.
    for (name, tip) in tips {
        let mut stack = vec![tip];
        while let Some(commit) = stack.pop() {
            let Some(&up) = parents.get(commit) else {
                continue;
            };
            if reference.contains_key(commit) {
                continue;
            }
            reference.insert(commit, name);
            stack.extend(up.iter().map(String::as_str));
        }
    }
    for record in &records {
        for parent in &record.parents {
            if !objects.contains_key(parent) {
                gather.check_ban(parent, || format!("commit, parent of {}", record.commit));
            }
        }
        let name = reference
            .get(record.commit.as_str())
            .copied()
            .unwrap_or(UNREFERENCED);
        let body = bodies.get(&record.commit).map_or(&[][..], Vec::as_slice);
        gather.record(record, body, name);
    }
    // Whatever else the ban list names and the push carries (a blob no new commit places).
    let mut rest: Vec<(&String, &Kind)> = objects.iter().collect();
    rest.sort_unstable_by_key(|(id, _)| *id);
    for (id, kind) in rest {
        gather.check_ban(id, || kind.as_str().into());
    }
    Ok(gather.out)
}

/// Finds the new commits of each update with `git log NEW --not --all`.
fn from_rev_list(
    dir: &Path,
    updates: &[Update],
    banned: &HashSet<String>,
) -> Result<Brought, Error> {
    let mut gather = Gather::new(banned, Way::RevList);
    for update in updates.iter().filter(|u| !u.is_deletion()) {
        // Annotated tags: their own message, and the commits they point to.
        let kind = git(dir, &["cat-file", "-t", &update.new], None, &[], &[])?;
        if String::from_utf8_lossy(&kind).trim() == "tag" {
            let tag = git(dir, &["cat-file", "tag", &update.new], None, &[], &[])?;
            gather.tag(&update.name, &update.new, &tag);
        }
        // One `git log` for every commit new to the repository.
        let mut args = LOG.to_vec();
        args.extend([update.new.as_str(), "--not", "--all"]);
        let log = git(dir, &args, None, &[], &[])?;
        let records = records(&log);
        let bodies = messages(dir, &records)?;
        for record in &records {
            let body = bodies.get(&record.commit).map_or(&[][..], Vec::as_slice);
            gather.record(record, body, &update.name);
        }
    }
    Ok(gather.out)
}

/// Runs git in `dir` with `input` on its standard input, `env` set and `unset` removed, and
/// returns its standard output.
fn git(
    dir: &Path,
    args: &[&str],
    input: Option<Vec<u8>>,
    env: &[(&str, &OsStr)],
    unset: &[&str],
) -> Result<Vec<u8>, Error> {
    let mut command = crate::source::git::git_command();
    command
        .args(args)
        .current_dir(dir)
        .stdin(if input.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (k, v) in env {
        command.env(k, v);
    }
    for k in unset {
        command.env_remove(k);
    }
    let failed = |e: String| Error::Git(format!("`git {}` failed: {e}", args.join(" ")));
    let mut child = command.spawn().map_err(|e| failed(e.to_string()))?;
    // Written from a thread of its own: git may answer before it has read all its input.
    let writer = input.map(|input| {
        let mut stdin = child.stdin.take().expect("piped");
        std::thread::spawn(move || {
            let _ = stdin.write_all(&input);
        })
    });
    let out = child
        .wait_with_output()
        .map_err(|e| failed(e.to_string()))?;
    if let Some(writer) = writer {
        let _ = writer.join();
    }
    if !out.status.success() {
        return Err(failed(
            String::from_utf8_lossy(&out.stderr).trim().to_string(),
        ));
    }
    Ok(out.stdout)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_records_split_and_a_merge_comes_once_per_parent() {
        let (a, b, c) = ("a".repeat(40), "b".repeat(40), "c".repeat(40));
        let z = "0".repeat(40);
        // As `git log -z` prints it; the paths hold a newline, a tab and a quote, which
        // `-z` leaves as they are, and one is named like a change line.
        let log = format!(
            "{c} {a} {b}\0\n:100644 100644 {a} {b} M\0x\n\t\".env\0\
             \0{c} {a} {b}\0\n:000000 100644 {z} {a} A\0:y.env\0\
             \0{a}\0\n:000000 100644 {z} {b} A\0dir/z.env\0\0"
        );
        let records = records(log.as_bytes());
        assert_eq!(records.len(), 3);
        assert_eq!(records[0].parents, vec![a.clone(), b.clone()]);
        assert!(records[2].parents.is_empty());
        let banned: HashSet<String> = [a.clone()].into();
        let mut gather = Gather::new(&banned, Way::RevList);
        for r in &records {
            gather.record(r, b"message", "refs/heads/main");
        }
        let out = gather.out;
        assert_eq!(out.commits, 2, "the merge counts once");
        assert_eq!(out.messages.len(), 2);
        let blobs: Vec<(&str, &str)> = out
            .blobs
            .iter()
            .map(|b| (b.id.as_str(), b.path.as_str()))
            .collect();
        assert_eq!(
            blobs,
            vec![
                (b.as_str(), "x\n\t\".env"),
                (a.as_str(), ":y.env"),
                (b.as_str(), "dir/z.env")
            ]
        );
        assert_eq!(
            out.banned,
            vec![format!("{a} (blob at :y.env)")],
            "named once, where it first appears"
        );
    }
}
