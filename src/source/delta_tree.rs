//! Every object of one pack, decoded by walking the pack's delta tree.
//!
//! A pack stores most versions of a file as a delta of another object. Decoding objects one by
//! one would rebuild each delta chain again and again; walking the tree instead decodes each
//! base once and applies each of its deltas to it in memory, base before delta, on all threads.
//! The walk hands the visitor a delta's instructions with its result, and what the visit of
//! the base left, so a scan can read only what the delta changed. A delta's result is built by
//! appending the pieces it copies and inserts (never zeroed first), and a result that no other
//! object is based on is built in a buffer the thread reuses.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use gix::objs::Kind;
use gix::odb::pack::data::entry::Header;
use gix::odb::pack::{data, index};
use gix::ObjectId;

/// One instruction of a git delta.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op<'a> {
    /// Copy `len` bytes of the base, starting at `from`.
    Copy {
        /// Where the bytes start in the base.
        from: usize,
        /// How many.
        len: usize,
    },
    /// Insert these bytes.
    Insert(&'a [u8]),
}

/// The instructions of a git delta (its pack entry inflated): the sizes of base and result it
/// declares, then its operations in order.
#[derive(Debug, Clone)]
pub struct Instructions<'a> {
    /// The size the base must have.
    pub base_len: usize,
    /// The size of the result.
    pub result_len: usize,
    rest: &'a [u8],
}

/// The largest object the walk rebuilds: a pack can declare any size (a delta of a few bytes
/// can copy its base a million times), and a larger one is reported and skipped rather than
/// allocated.
pub const MAX_OBJECT: usize = 1 << 31;

/// A delta whose instructions cannot be followed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Malformed;

impl<'a> Instructions<'a> {
    /// Reads the two sizes that open a delta; `None` if they are missing or absurd.
    pub fn parse(delta: &'a [u8]) -> Option<Instructions<'a>> {
        let mut rest = delta;
        let base_len = varint(&mut rest)?;
        let result_len = varint(&mut rest)?;
        Some(Instructions {
            base_len,
            result_len,
            rest,
        })
    }

    /// An upper bound of the result any delta of this length could build on a base of this
    /// size: one byte of instructions copies at most the base or inserts one byte. A result
    /// declared larger is a lie, and is refused before anything is allocated for it.
    fn plausible(&self) -> bool {
        let most = self.rest.len().saturating_mul(self.base_len.max(1));
        self.result_len <= most.min(MAX_OBJECT)
    }
}

impl<'a> Iterator for Instructions<'a> {
    type Item = Result<Op<'a>, Malformed>;

    fn next(&mut self) -> Option<Self::Item> {
        let (&cmd, tail) = self.rest.split_first()?;
        self.rest = tail;
        let op = if cmd & 0x80 != 0 {
            copy(cmd, &mut self.rest)
        } else if cmd != 0 {
            let len = usize::from(cmd);
            self.rest.get(..len).map(|bytes| {
                self.rest = &self.rest[len..];
                Op::Insert(bytes)
            })
        } else {
            None
        };
        if op.is_none() {
            self.rest = &[];
        }
        Some(op.ok_or(Malformed))
    }
}

/// Reads a copy instruction's offset and size, as many bytes of each as `cmd`'s bits say.
fn copy<'a>(cmd: u8, rest: &mut &[u8]) -> Option<Op<'a>> {
    let mut take = |bit: u8, shift: usize, value: &mut usize| -> Option<()> {
        if cmd & bit != 0 {
            let (&byte, tail) = rest.split_first()?;
            *rest = tail;
            *value |= usize::from(byte) << shift;
        }
        Some(())
    };
    let (mut from, mut len) = (0usize, 0usize);
    for i in 0..4 {
        take(1 << i, 8 * i, &mut from)?;
    }
    for i in 0..3 {
        take(0x10 << i, 8 * i, &mut len)?;
    }
    if len == 0 {
        len = 0x10000;
    }
    Some(Op::Copy { from, len })
}

/// A little-endian base-128 number, as deltas encode their sizes.
fn varint(bytes: &mut &[u8]) -> Option<usize> {
    let mut value = 0usize;
    let mut shift = 0u32;
    loop {
        let (&byte, tail) = bytes.split_first()?;
        *bytes = tail;
        value |= usize::from(byte & 0x7f).checked_shl(shift)?;
        if shift > usize::BITS - 7 && byte & 0x7f != 0 {
            return None;
        }
        shift += 7;
        if byte & 0x80 == 0 {
            return Some(value);
        }
    }
}

/// Rebuilds into `out` (emptied first) the object `delta` makes of `base`; `false` if the
/// delta does not fit the base or is malformed.
pub fn apply(base: &[u8], delta: &[u8], out: &mut Vec<u8>) -> bool {
    out.clear();
    let Some(ops) = Instructions::parse(delta) else {
        return false;
    };
    if ops.base_len != base.len() || !ops.plausible() {
        return false;
    }
    let result_len = ops.result_len;
    out.reserve(result_len);
    for op in ops {
        let bytes = match op {
            Ok(Op::Copy { from, len }) => {
                match from.checked_add(len).and_then(|e| base.get(from..e)) {
                    Some(bytes) => bytes,
                    None => return false,
                }
            }
            Ok(Op::Insert(bytes)) => bytes,
            Err(Malformed) => return false,
        };
        if out.len() + bytes.len() > result_len {
            return false;
        }
        out.extend_from_slice(bytes);
    }
    out.len() == result_len
}

/// The length of the object `delta` makes of a base of `base_len` bytes, without building it;
/// `None` if the delta does not fit the base or is malformed.
pub fn result_len(base_len: usize, delta: &[u8]) -> Option<usize> {
    let ops = Instructions::parse(delta)?;
    if ops.base_len != base_len || !ops.plausible() {
        return None;
    }
    let result_len = ops.result_len;
    let mut len = 0usize;
    for op in ops {
        len = len.checked_add(match op.ok()? {
            Op::Copy { from, len } => (from.checked_add(len)? <= base_len).then_some(len)?,
            Op::Insert(bytes) => bytes.len(),
        })?;
    }
    (len == result_len).then_some(len)
}

/// An object the walk hands to its visitor.
pub struct Object<'a, L> {
    /// The object's id, as the pack's index gives it.
    pub id: ObjectId,
    /// Blob, tree, commit or tag.
    pub kind: Kind,
    /// The object's content; `None` for a delta that no object is based on when the walker
    /// asked for such deltas unbuilt ([`Walker::lazy_leaves`]): [`Object::rebuild`] builds it.
    pub data: Option<&'a [u8]>,
    /// The object's length.
    pub len: usize,
    /// When the pack stores the object as a delta: how, and what the visit of its base left.
    pub delta: Option<Delta<'a, L>>,
    /// Whether the pack stores other objects as deltas of this one.
    pub is_base: bool,
}

impl<L> Object<'_, L> {
    /// The object's content, rebuilt into `out` when the walk left it unbuilt.
    pub fn rebuild<'b>(&'b self, out: &'b mut Vec<u8>) -> &'b [u8] {
        match (self.data, &self.delta) {
            (Some(data), _) => data,
            (None, Some(delta)) => {
                // The walk checked that the delta fits its base.
                let fits = apply(delta.base_data, delta.instructions, out);
                debug_assert!(fits);
                out
            }
            (None, None) => &[],
        }
    }
}

/// How a packed object was rebuilt from its base.
pub struct Delta<'a, L> {
    /// The delta's instructions.
    pub instructions: &'a [u8],
    /// The base's content.
    pub base_data: &'a [u8],
    /// What the visit of the base returned.
    pub base: Option<&'a L>,
}

/// What the walk calls for each object, on the walk's threads.
pub trait Walker: Sync {
    /// What a visit leaves for the objects stored as deltas of the one visited.
    type Left: Send + Sync;
    /// Each thread's own state (the visitor proper, its buffers).
    type Local: Send;

    /// Whether `id` is visited (an object found in an earlier pack is not; it is still decoded,
    /// for the deltas based on it).
    fn wants(&self, id: &ObjectId) -> bool;

    /// Visits one object. It runs on a thread of the walk's pool holding that thread's state,
    /// so it must not call into rayon: a job the thread picked up meanwhile would need the
    /// same state.
    fn visit(&self, local: &mut Self::Local, object: &Object<'_, Self::Left>)
        -> Option<Self::Left>;

    /// Whether a delta that no object is based on is handed over unbuilt (its instructions
    /// checked against its base), for a visitor that reads only what it changed.
    fn lazy_leaves(&self) -> bool {
        false
    }
}

/// What the walk of one pack met that it could not decode.
#[derive(Debug, Default)]
pub struct Outcome {
    /// Problems, one line each; none of them stops the walk.
    pub warnings: Vec<String>,
    /// Objects that no walk from a whole object reaches (a delta whose base is missing, or a
    /// cycle of deltas): the caller may try to read them another way.
    pub unreached: Vec<ObjectId>,
}

/// Where one entry of the pack lies, and what it is based on.
#[derive(Debug, Clone, Copy)]
struct Slot {
    offset: u64,
    /// Its position in the index (for its id).
    position: u32,
    /// The slot (in offset order) of its base, or `NONE` for a whole object.
    base: u32,
}

const NONE: u32 = u32::MAX;

/// The pack's entries in offset order and, for each, the entries stored as deltas of it.
struct Tree {
    slots: Vec<Slot>,
    /// Entry `i`'s children are `children[first[i]..first[i + 1]]`.
    first: Vec<u32>,
    children: Vec<u32>,
    /// Whole objects, where the walk starts.
    roots: Vec<u32>,
}

impl Tree {
    fn build(pack: &data::File, index: &index::File) -> Tree {
        let mut slots: Vec<Slot> = index
            .iter()
            .enumerate()
            .map(|(position, e)| Slot {
                offset: e.pack_offset,
                position: position as u32,
                base: NONE,
            })
            .collect();
        slots.sort_unstable_by_key(|s| s.offset);
        let slot_at = |offset: u64, slots: &[Slot]| -> Option<u32> {
            slots
                .binary_search_by_key(&offset, |s| s.offset)
                .ok()
                .map(|i| i as u32)
        };
        let mut roots = Vec::new();
        let mut parent = vec![NONE; slots.len()];
        for i in 0..slots.len() {
            let offset = slots[i].offset;
            let base = match pack.entry(offset).map(|e| e.header) {
                Ok(Header::OfsDelta { base_distance }) => offset
                    .checked_sub(base_distance)
                    .and_then(|b| slot_at(b, &slots)),
                Ok(Header::RefDelta { base_id }) => index
                    .lookup(base_id)
                    .and_then(|p| slot_at(index.pack_offset_at_index(p), &slots)),
                Ok(_) => {
                    roots.push(i as u32);
                    continue;
                }
                // An entry whose header does not parse is left unreached, for the caller to
                // read another way (and to warn about).
                Err(_) => continue,
            };
            // A missing base leaves the entry unreached; the caller reads it another way.
            parent[i] = base.unwrap_or(NONE);
            slots[i].base = parent[i];
        }
        let mut first = vec![0u32; slots.len() + 1];
        for &p in parent.iter().filter(|&&p| p != NONE) {
            first[p as usize + 1] += 1;
        }
        for i in 0..slots.len() {
            first[i + 1] += first[i];
        }
        let mut fill = first.clone();
        let mut children = vec![0u32; first[slots.len()] as usize];
        for (i, &p) in parent.iter().enumerate().filter(|(_, &p)| p != NONE) {
            children[fill[p as usize] as usize] = i as u32;
            fill[p as usize] += 1;
        }
        Tree {
            slots,
            first,
            children,
            roots,
        }
    }

    fn children(&self, i: u32) -> &[u32] {
        &self.children[self.first[i as usize] as usize..self.first[i as usize + 1] as usize]
    }
}

/// A decoded object that deltas are based on, kept until its last delta is rebuilt.
struct Base<L> {
    kind: Kind,
    data: Vec<u8>,
    left: Option<L>,
}

/// Each thread's state: the walker's, and buffers reused from one object to the next.
struct Local<T> {
    walker: T,
    inflate: gix::zlib::Inflate,
    instructions: Vec<u8>,
    result: Vec<u8>,
}

/// The largest factor by which zlib inflates: a declared size beyond it is a lie.
const MAX_INFLATE_RATIO: u64 = 1032;

/// Buffers of bases whose deltas are all rebuilt, kept for the next bases. A base of a few
/// megabytes (a generated index in its thousandth version) allocated anew each time is mapped
/// and faulted in page by page; in a walk of real histories that was a tenth of the time.
struct Spares {
    buffers: Mutex<Vec<Vec<u8>>>,
}

impl Spares {
    /// Smaller buffers come cheaply from the allocator's own free lists.
    const SMALLEST: usize = 64 << 10;
    /// How many buffers are kept, and how many bytes at most.
    const MOST: usize = 16;
    const MOST_BYTES: usize = 64 << 20;

    fn new() -> Spares {
        Spares {
            buffers: Mutex::new(Vec::new()),
        }
    }

    /// An empty buffer, with room for `len` bytes if a kept one has it.
    fn take(&self, len: usize) -> Vec<u8> {
        if len < Self::SMALLEST {
            return Vec::new();
        }
        let mut buffers = self.buffers.lock().unwrap_or_else(|e| e.into_inner());
        let fitting = buffers
            .iter()
            .enumerate()
            .filter(|(_, b)| b.capacity() >= len)
            .min_by_key(|(_, b)| b.capacity())
            .map(|(i, _)| i);
        fitting.map_or_else(Vec::new, |i| buffers.swap_remove(i))
    }

    /// Keeps `buffer` for a later base, dropping the smallest kept ones beyond the limits.
    fn give(&self, mut buffer: Vec<u8>) {
        if buffer.capacity() < Self::SMALLEST || buffer.capacity() > Self::MOST_BYTES {
            return;
        }
        buffer.clear();
        let mut buffers = self.buffers.lock().unwrap_or_else(|e| e.into_inner());
        buffers.push(buffer);
        loop {
            let bytes: usize = buffers.iter().map(Vec::capacity).sum();
            if buffers.len() <= Self::MOST && bytes <= Self::MOST_BYTES {
                break;
            }
            let smallest = buffers
                .iter()
                .enumerate()
                .min_by_key(|(_, b)| b.capacity())
                .map(|(i, _)| i);
            if let Some(i) = smallest {
                buffers.swap_remove(i);
            }
        }
    }
}

/// The state of one pack's walk, shared by its threads.
struct Walk<'p, W: Walker> {
    pack: &'p data::File,
    index: &'p index::File,
    tree: Tree,
    walker: &'p W,
    locals: Vec<Mutex<Local<W::Local>>>,
    interrupt: &'p AtomicBool,
    warnings: Mutex<Vec<String>>,
    reached: Vec<AtomicBool>,
    spares: Spares,
}

/// Walks every object of the pack `pack` (with its `index`) on `threads` threads (0: one per
/// core); `locals` makes each thread's state.
pub fn walk<W: Walker>(
    pack: &data::File,
    index: &index::File,
    threads: usize,
    interrupt: &AtomicBool,
    walker: &W,
    locals: impl Fn() -> W::Local,
) -> Outcome {
    let mut warnings = Vec::new();
    let tree = Tree::build(pack, index);
    let pool = match rayon::ThreadPoolBuilder::new().num_threads(threads).build() {
        Ok(pool) => pool,
        Err(e) => {
            warnings.push(format!(
                "pack {}: no threads ({e}); skipped",
                pack.path().display()
            ));
            return Outcome {
                warnings,
                unreached: Vec::new(),
            };
        }
    };
    let reached = (0..tree.slots.len())
        .map(|_| AtomicBool::new(false))
        .collect();
    let walk = Walk {
        pack,
        index,
        tree,
        walker,
        locals: (0..pool.current_num_threads())
            .map(|_| {
                Mutex::new(Local {
                    walker: locals(),
                    inflate: gix::zlib::Inflate::default(),
                    instructions: Vec::new(),
                    result: Vec::new(),
                })
            })
            .collect(),
        interrupt,
        warnings: Mutex::new(warnings),
        reached,
        spares: Spares::new(),
    };
    pool.scope(|s| {
        for &root in &walk.tree.roots {
            let walk = &walk;
            s.spawn(move |s| walk.root(s, root));
        }
    });
    let unreached = if interrupt.load(Ordering::Relaxed) {
        Vec::new()
    } else {
        walk.tree
            .slots
            .iter()
            .zip(&walk.reached)
            .filter(|(_, r)| !r.load(Ordering::Relaxed))
            .map(|(s, _)| walk.index.oid_at_index(s.position).to_owned())
            .collect()
    };
    Outcome {
        warnings: walk.warnings.into_inner().unwrap_or_default(),
        unreached,
    }
}

impl<'p, W: Walker> Walk<'p, W> {
    fn local(&self) -> std::sync::MutexGuard<'_, Local<W::Local>> {
        let i = rayon::current_thread_index().unwrap_or(0) % self.locals.len();
        // A thread only ever takes its own state, and never while holding it (a visitor that
        // called into rayon could break that: better a clear panic than a deadlock).
        match self.locals[i].try_lock() {
            Ok(state) => state,
            Err(std::sync::TryLockError::Poisoned(e)) => e.into_inner(),
            Err(std::sync::TryLockError::WouldBlock) => {
                panic!("a visitor of the delta-tree walk called into rayon")
            }
        }
    }

    fn warn(&self, slot: u32, problem: &str) {
        let id = self.id(slot);
        // The objects stored as deltas of it are left unreached, for the caller to read
        // another way (and to warn about, one by one).
        let message = format!("object {id}: {problem}; skipped");
        self.warnings
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(message);
    }

    fn id(&self, slot: u32) -> ObjectId {
        let position = self.tree.slots[slot as usize].position;
        self.index.oid_at_index(position).to_owned()
    }

    /// The pack entry at `slot`, with its declared size checked against the bytes it spans.
    fn entry(&self, slot: u32) -> Result<(data::Entry, usize), String> {
        let at = self.tree.slots[slot as usize].offset;
        let entry = self.pack.entry(at).map_err(|e| e.to_string())?;
        let end = self
            .tree
            .slots
            .get(slot as usize + 1)
            .map_or(self.pack.pack_end() as u64, |s| s.offset);
        let span = end.saturating_sub(entry.data_offset);
        let most = span.saturating_mul(MAX_INFLATE_RATIO).saturating_add(64);
        match usize::try_from(entry.decompressed_size) {
            Ok(size) if entry.decompressed_size <= most && size <= MAX_OBJECT => Ok((entry, size)),
            _ => Err(format!(
                "declares {} bytes in {span} packed bytes",
                entry.decompressed_size
            )),
        }
    }

    /// Inflates the entry at `slot` into `out` (resized to its size).
    fn inflate(
        &self,
        slot: u32,
        inflate: &mut gix::zlib::Inflate,
        out: &mut Vec<u8>,
    ) -> Result<(), String> {
        let (entry, size) = self.entry(slot)?;
        if out.len() < size {
            out.resize(size, 0);
        }
        out.truncate(size);
        self.pack
            .decompress_entry(&entry, inflate, out)
            .map(|_| ())
            .map_err(|e| e.to_string())
    }

    fn root<'s>(&'s self, s: &rayon::Scope<'s>, slot: u32) {
        if self.interrupt.load(Ordering::Relaxed) {
            return;
        }
        self.reached[slot as usize].store(true, Ordering::Relaxed);
        let kind = match self.pack.entry(self.tree.slots[slot as usize].offset) {
            Ok(e) => e.header.as_kind(),
            Err(_) => None,
        };
        let Some(kind) = kind else {
            return self.warn(slot, "not an object");
        };
        let size = self.entry(slot).map_or(0, |(_, size)| size);
        let mut data = self.spares.take(size);
        let left = {
            let mut local = self.local();
            let local = &mut *local;
            if let Err(problem) = self.inflate(slot, &mut local.inflate, &mut data) {
                drop(data);
                return self.warn(slot, &problem);
            }
            self.visit(local, slot, kind, Some(&data), data.len(), None)
        };
        self.spawn_children(s, slot, Base { kind, data, left });
    }

    fn visit(
        &self,
        local: &mut Local<W::Local>,
        slot: u32,
        kind: Kind,
        data: Option<&[u8]>,
        len: usize,
        delta: Option<Delta<'_, W::Left>>,
    ) -> Option<W::Left> {
        let id = self.id(slot);
        if !self.walker.wants(&id) {
            return None;
        }
        let object = Object {
            id,
            kind,
            data,
            len,
            delta,
            is_base: !self.tree.children(slot).is_empty(),
        };
        self.walker.visit(&mut local.walker, &object)
    }

    fn spawn_children<'s>(&'s self, s: &rayon::Scope<'s>, slot: u32, base: Base<W::Left>) {
        let children = self.tree.children(slot);
        if children.is_empty() {
            return self.spares.give(base.data);
        }
        let base = Arc::new(base);
        for &child in children {
            let base = Arc::clone(&base);
            s.spawn(move |s| {
                self.delta(s, child, &base);
                // The last delta rebuilt hands the base's buffer on.
                if let Some(base) = Arc::into_inner(base) {
                    self.spares.give(base.data);
                }
            });
        }
    }

    fn delta<'s>(&'s self, s: &rayon::Scope<'s>, slot: u32, base: &Base<W::Left>) {
        if self.interrupt.load(Ordering::Relaxed) {
            return;
        }
        self.reached[slot as usize].store(true, Ordering::Relaxed);
        let is_base = !self.tree.children(slot).is_empty();
        let mut guard = self.local();
        let local = &mut *guard;
        let mut instructions = std::mem::take(&mut local.instructions);
        // A result other deltas build on is kept (in a spare buffer, once its size is known);
        // any other goes in the thread's buffer.
        let mut result = if is_base {
            Vec::new()
        } else {
            std::mem::take(&mut local.result)
        };
        // A delta no object builds on is left for the visitor to build where it reads it.
        let lazy = !is_base && self.walker.lazy_leaves();
        let rebuilt = self
            .inflate(slot, &mut local.inflate, &mut instructions)
            .and_then(|()| {
                let len = if lazy {
                    result_len(base.data.len(), &instructions)
                } else {
                    if is_base {
                        let len = Instructions::parse(&instructions).map_or(0, |i| i.result_len);
                        result = self.spares.take(len);
                    }
                    apply(&base.data, &instructions, &mut result).then_some(result.len())
                };
                len.ok_or_else(|| "its delta does not fit its base".to_string())
            });
        let ok = rebuilt.is_ok();
        let left = match rebuilt {
            Ok(len) => {
                let delta = Delta {
                    instructions: &instructions,
                    base_data: &base.data,
                    base: base.left.as_ref(),
                };
                let data = (!lazy).then_some(&result[..]);
                self.visit(local, slot, base.kind, data, len, Some(delta))
            }
            Err(problem) => {
                self.warn(slot, &problem);
                None
            }
        };
        local.instructions = instructions;
        if !ok {
            return;
        }
        if !is_base {
            local.result = result;
            return;
        }
        drop(guard);
        self.spawn_children(
            s,
            slot,
            Base {
                kind: base.kind,
                data: result,
                left,
            },
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A delta: the two sizes, then the instructions as they are encoded.
    fn delta(base_len: usize, result_len: usize, body: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        crate::purge::pack::varint(base_len as u64, &mut out);
        crate::purge::pack::varint(result_len as u64, &mut out);
        out.extend_from_slice(body);
        out
    }

    #[test]
    fn apply_copies_and_inserts() {
        let base = b"hello, world\n";
        // copy 7 bytes from 0, insert "there", copy 7 bytes from 6
        let d = delta(
            13,
            19,
            &[0x90, 7, 5, b't', b'h', b'e', b'r', b'e', 0x91, 6, 7],
        );
        let mut out = Vec::new();
        assert!(apply(base, &d, &mut out));
        assert_eq!(out, b"hello, there world\n"[..19].to_vec());
    }

    #[test]
    fn apply_refuses_what_does_not_fit() {
        let base = b"0123456789";
        let mut out = Vec::new();
        // wrong base size
        assert!(!apply(base, &delta(9, 3, &[0x90, 3]), &mut out));
        // a copy past the base's end
        assert!(!apply(base, &delta(10, 3, &[0x91, 9, 3]), &mut out));
        // the result longer than declared
        assert!(!apply(base, &delta(10, 2, &[0x90, 3]), &mut out));
        // shorter than declared
        assert!(!apply(base, &delta(10, 4, &[0x90, 3]), &mut out));
        // an insert running past the end, the reserved opcode, a truncated copy
        assert!(!apply(base, &delta(10, 3, &[3, b'a']), &mut out));
        assert!(!apply(base, &delta(10, 3, &[0]), &mut out));
        assert!(!apply(base, &delta(10, 3, &[0x91, 1]), &mut out));
        // a declared size no delta of this length could build
        assert!(!apply(base, &delta(10, 1 << 40, &[0x90, 3]), &mut out));
        // sizes cut short, an overlong varint
        assert!(!apply(base, &[0x8a], &mut out));
        assert!(!apply(base, &[0xff; 12], &mut out));
    }

    #[test]
    fn spare_buffers_are_reused_by_size_within_limits() {
        let spares = Spares::new();
        let big = Spares::SMALLEST * 4;
        spares.give(Vec::with_capacity(big));
        spares.give(Vec::with_capacity(Spares::SMALLEST));
        // Too small to be worth keeping: the allocator's free lists serve these.
        spares.give(Vec::with_capacity(16));
        // The smallest kept buffer that fits, emptied.
        let fit = spares.take(Spares::SMALLEST + 1);
        assert!(fit.capacity() >= big && fit.is_empty());
        assert_eq!(spares.take(big).capacity(), 0);
        assert!(spares.take(Spares::SMALLEST).capacity() >= Spares::SMALLEST);
        assert_eq!(spares.take(Spares::SMALLEST).capacity(), 0);
        // Beyond the count, the smallest are let go.
        for i in 0..Spares::MOST + 4 {
            spares.give(Vec::with_capacity(Spares::SMALLEST + i));
        }
        let kept = spares.buffers.lock().unwrap();
        assert_eq!(kept.len(), Spares::MOST);
        assert!(kept.iter().all(|b| b.capacity() >= Spares::SMALLEST + 4));
    }

    #[test]
    fn a_zero_size_copies_64_kib() {
        let base = vec![b'x'; 0x10000];
        let mut out = Vec::new();
        assert!(apply(&base, &delta(0x10000, 0x10000, &[0x80]), &mut out));
        assert_eq!(out.len(), 0x10000);
    }

    /// Records what the walk hands over: each object's id, whether its content hashes to it,
    /// and whether a delta received its base's visit.
    struct Record {
        seen: Mutex<Vec<(ObjectId, bool, bool)>>,
        lazy: bool,
    }

    impl Walker for Record {
        type Left = ObjectId;
        type Local = ();

        fn wants(&self, _: &ObjectId) -> bool {
            true
        }

        fn lazy_leaves(&self) -> bool {
            self.lazy
        }

        fn visit(&self, _: &mut (), object: &Object<'_, ObjectId>) -> Option<ObjectId> {
            assert_eq!(
                object.data.is_none(),
                self.lazy && !object.is_base && object.delta.is_some()
            );
            let mut buf = Vec::new();
            let data = object.rebuild(&mut buf);
            assert_eq!(data.len(), object.len);
            let hashed = gix::objs::compute_hash(gix::hash::Kind::Sha1, object.kind, data).ok();
            let base_seen = object.delta.as_ref().map_or(true, |d| {
                d.base
                    .is_some_and(|b| self.seen.lock().unwrap().iter().any(|(id, _, _)| id == b))
            });
            self.seen
                .lock()
                .unwrap()
                .push((object.id, hashed == Some(object.id), base_seen));
            Some(object.id)
        }
    }

    fn git(dir: &std::path::Path, args: &[&str]) -> String {
        let out = crate::source::git::run_git(dir, None, args).expect("git runs");
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn the_walk_rebuilds_every_object_of_a_real_pack_base_first() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        git(d, &["init", "-q", "-b", "main"]);
        git(d, &["config", "user.email", "t@example.com"]);
        git(d, &["config", "user.name", "t"]);
        // Versions of a growing file, and files that branch from a shared start: chains and
        // bases with several deltas.
        for i in 0..40 {
            let body: String = (0..200 + i * 3)
                .map(|l| format!("key{l}: value {} of version {i}\n", l * 7 % (i + 3)))
                .collect();
            std::fs::write(d.join("values.yaml"), body).unwrap();
            let other: String = (0..150)
                .map(|l| format!("line {l} {}\n", i % 4 + l))
                .collect();
            std::fs::write(d.join(format!("copy{}.txt", i % 5)), other).unwrap();
            git(d, &["add", "-A"]);
            git(d, &["commit", "-q", "-m", &format!("version {i}")]);
        }
        git(
            d,
            &[
                "repack",
                "-a",
                "-d",
                "-f",
                "-q",
                "--depth=12",
                "--window=50",
            ],
        );
        let all: std::collections::BTreeSet<String> = git(
            d,
            &[
                "cat-file",
                "--batch-all-objects",
                "--batch-check=%(objectname)",
            ],
        )
        .lines()
        .map(str::to_owned)
        .collect();
        let idx = std::fs::read_dir(d.join(".git/objects/pack"))
            .unwrap()
            .map(|e| e.unwrap().path())
            .find(|p| p.extension().is_some_and(|e| e == "idx"))
            .unwrap();
        let bundle = gix::odb::pack::Bundle::at(&idx, gix::hash::Kind::Sha1).unwrap();
        let deltas = git(d, &["verify-pack", "-v", idx.to_str().unwrap()])
            .lines()
            .filter(|l| l.split_whitespace().count() == 7)
            .count();
        assert!(deltas > 50, "the pack stores deltas ({deltas})");
        for (threads, lazy) in [(1, false), (2, false), (2, true)] {
            let record = Record {
                seen: Mutex::default(),
                lazy,
            };
            let never = AtomicBool::new(false);
            let outcome = walk(&bundle.pack, &bundle.index, threads, &never, &record, || ());
            assert!(outcome.warnings.is_empty(), "{:?}", outcome.warnings);
            assert!(outcome.unreached.is_empty());
            let seen = record.seen.into_inner().unwrap();
            let ids: std::collections::BTreeSet<String> =
                seen.iter().map(|(id, _, _)| id.to_string()).collect();
            assert_eq!(ids.len(), seen.len(), "each object once");
            assert_eq!(ids, all, "every object");
            assert!(
                seen.iter().all(|(_, hashed, _)| *hashed),
                "contents rebuilt"
            );
            assert!(seen.iter().all(|(_, _, based)| *based), "bases first");
        }
    }
}
