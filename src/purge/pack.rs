//! Writing packs: [`PackOut`] writes one pack file and its index entry by entry (the
//! compaction copies stored entries through it); [`PackWriter`], on top of it, stores the
//! objects a rewrite creates as one pack instead of tens of thousands of loose objects.
//!
//! Successive objects of one lineage (the versions of one directory's tree in successive
//! commits, the commits themselves) differ in a few bytes, so each object is stored as a delta
//! against the previous object of its kind and lineage when that is smaller: the delta keeps
//! their common prefix and suffix and inserts the middle. Chains are cut at `MAX_DEPTH` (50) so
//! that git never has to re-delta them.

use std::fs::File;
use std::io::{BufWriter, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use gix::objs::Kind;
use gix::ObjectId;

/// The longest delta chain written.
const MAX_DEPTH: u32 = 50;

/// The last object written of one kind: the base for the next one.
struct Base {
    offset: u64,
    data: Vec<u8>,
    depth: u32,
}

/// Writes the objects a rewrite creates into one pack of `objects/pack/`, each as a delta of
/// the previous object of its kind and lineage when that pays. Dropped unfinished (an error,
/// Ctrl-C), it removes its temporary file.
pub struct PackWriter {
    out: PackOut,
    /// The last object of each kind and lineage.
    bases: std::collections::HashMap<(u8, u32), Base>,
}

fn type_code(kind: Kind) -> u8 {
    match kind {
        Kind::Commit => 1,
        Kind::Tree => 2,
        Kind::Blob => 3,
        Kind::Tag => 4,
    }
}

const OFS_DELTA: u8 = 6;

impl PackWriter {
    /// Starts a pack in `objects_dir/pack`.
    pub fn new(objects_dir: &Path, hash: gix::hash::Kind) -> std::io::Result<PackWriter> {
        let dir = objects_dir.join("pack");
        std::fs::create_dir_all(&dir)?;
        Ok(PackWriter {
            out: PackOut::new(&dir, None, hash)?,
            bases: std::collections::HashMap::new(),
        })
    }

    /// Adds an object whose id the caller computed; objects of one `lineage` (the versions of
    /// one directory's tree, say) are stored as deltas of each other.
    pub fn add(
        &mut self,
        id: ObjectId,
        kind: Kind,
        data: &[u8],
        lineage: u32,
    ) -> std::io::Result<()> {
        let key = (type_code(kind), lineage);
        let hash_len = self.out.hash.len_in_bytes();
        let delta = self
            .bases
            .get(&key)
            .filter(|b| b.depth < MAX_DEPTH)
            .and_then(|b| {
                let d = match kind {
                    Kind::Tree => tree_delta(&b.data, data, hash_len),
                    _ => delta(&b.data, data),
                };
                d.map(|d| (d, b.offset, b.depth))
            })
            .filter(|(d, _, _)| d.len() < data.len() / 2);
        let offset = self.out.offset();
        let depth = match delta {
            Some((d, base_offset, base_depth)) => {
                let compressed = self.out.deflater.compress(&d)?;
                self.out
                    .delta(id, d.len() as u64, base_offset, &compressed)?;
                base_depth + 1
            }
            None => {
                self.out.whole(id, kind, data)?;
                0
            }
        };
        let base = Base {
            offset,
            data: data.to_vec(),
            depth,
        };
        self.bases.insert(key, base);
        Ok(())
    }

    /// Writes the checksum and the index and moves both into place; returns the pack's path.
    /// An empty pack is removed instead.
    pub fn finish(self) -> std::io::Result<Option<PathBuf>> {
        self.out.finish()
    }
}

/// Moves the finished pack at `tmp` into `dir` under its checksum's name and writes its
/// version 2 index from `entries` (id, offset, CRC32). Returns the pack's path.
fn install(
    dir: &Path,
    tmp: &Path,
    mut entries: Vec<(ObjectId, u64, u32)>,
    checksum: &ObjectId,
    hash: gix::hash::Kind,
) -> std::io::Result<PathBuf> {
    entries.sort_by_key(|e| e.0);
    let mut idx = Vec::new();
    idx.extend_from_slice(b"\xfftOc");
    idx.extend_from_slice(&2u32.to_be_bytes());
    let mut fanout = [0u32; 256];
    for (id, _, _) in &entries {
        fanout[id.as_bytes()[0] as usize] += 1;
    }
    let mut total = 0;
    for count in fanout {
        total += count;
        idx.extend_from_slice(&total.to_be_bytes());
    }
    for (id, _, _) in &entries {
        idx.extend_from_slice(id.as_bytes());
    }
    for (_, _, crc) in &entries {
        idx.extend_from_slice(&crc.to_be_bytes());
    }
    let mut large = Vec::new();
    for (_, offset, _) in &entries {
        if *offset < 0x8000_0000 {
            idx.extend_from_slice(&(*offset as u32).to_be_bytes());
        } else {
            idx.extend_from_slice(&(0x8000_0000 | large.len() as u32).to_be_bytes());
            large.push(*offset);
        }
    }
    for offset in large {
        idx.extend_from_slice(&offset.to_be_bytes());
    }
    idx.extend_from_slice(checksum.as_bytes());
    let mut hasher = gix::hash::hasher(hash);
    hasher.update(&idx);
    idx.extend_from_slice(
        hasher
            .try_finalize()
            .map_err(std::io::Error::other)?
            .as_bytes(),
    );

    let name = format!("pack-{}", checksum.to_hex());
    let pack = dir.join(format!("{name}.pack"));
    // The index goes in last: git only looks at packs that have one.
    std::fs::rename(tmp, &pack)?;
    let idx_tmp = dir.join(format!("tmp_scour_{}.idx", std::process::id()));
    std::fs::write(&idx_tmp, &idx)?;
    std::fs::rename(&idx_tmp, dir.join(format!("{name}.idx")))?;
    Ok(pack)
}

/// A pack written front to back. When its object count is known from the start (the
/// compaction's), its checksum is computed as it goes; otherwise (the rewrite's) the count is
/// patched in at the end and the file read again for the checksum.
pub struct PackOut {
    dir: PathBuf,
    tmp: PathBuf,
    out: BufWriter<File>,
    /// Running checksum, when the count was known.
    hasher: Option<gix::hash::Hasher>,
    offset: u64,
    count: Option<u32>,
    entries: Vec<(ObjectId, u64, u32)>,
    deflater: Deflater,
    hash: gix::hash::Kind,
    finished: bool,
}

impl Drop for PackOut {
    fn drop(&mut self) {
        if !self.finished {
            let _ = std::fs::remove_file(&self.tmp);
        }
    }
}

impl PackOut {
    /// Starts a pack in `pack_dir`, of `count` objects when that is known.
    pub fn new(
        pack_dir: &Path,
        count: Option<u32>,
        hash: gix::hash::Kind,
    ) -> std::io::Result<PackOut> {
        // One process may write two packs at once (the rewrite's, then the compaction's).
        static NEXT: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
        let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let tmp = pack_dir.join(format!("tmp_scour_{}_{n}.pack", std::process::id()));
        let mut pack = PackOut {
            dir: pack_dir.to_path_buf(),
            out: BufWriter::with_capacity(1 << 20, File::create(&tmp)?),
            tmp,
            hasher: count.map(|_| gix::hash::hasher(hash)),
            offset: 0,
            count,
            entries: Vec::with_capacity(count.unwrap_or(0) as usize),
            deflater: Deflater::default(),
            hash,
            finished: false,
        };
        let mut header = b"PACK".to_vec();
        header.extend_from_slice(&2u32.to_be_bytes());
        header.extend_from_slice(&count.unwrap_or(0).to_be_bytes());
        pack.write(&header)?;
        Ok(pack)
    }

    /// Where the next entry starts.
    pub fn offset(&self) -> u64 {
        self.offset
    }

    fn write(&mut self, bytes: &[u8]) -> std::io::Result<()> {
        self.out.write_all(bytes)?;
        if let Some(hasher) = &mut self.hasher {
            hasher.update(bytes);
        }
        self.offset += bytes.len() as u64;
        Ok(())
    }

    /// Appends an entry given as its stored bytes (header and compressed data); `crc` when
    /// already known.
    pub fn raw(&mut self, id: ObjectId, entry: &[u8], crc: Option<u32>) -> std::io::Result<()> {
        let crc = crc.unwrap_or_else(|| crc32fast::hash(entry));
        self.entries.push((id, self.offset, crc));
        self.write(entry)
    }

    /// Appends an OFS_DELTA entry: a delta of `size` bytes, compressed as `compressed`, whose
    /// base starts at `base_offset` in this pack.
    pub fn delta(
        &mut self,
        id: ObjectId,
        size: u64,
        base_offset: u64,
        compressed: &[u8],
    ) -> std::io::Result<()> {
        let mut entry = entry_header(OFS_DELTA, size);
        entry.extend(offset_encoding(self.offset - base_offset));
        entry.extend_from_slice(compressed);
        self.raw(id, &entry, None)
    }

    /// Appends a whole object, compressed here.
    pub fn whole(&mut self, id: ObjectId, kind: Kind, data: &[u8]) -> std::io::Result<()> {
        let mut entry = entry_header(type_code(kind), data.len() as u64);
        entry.extend(self.deflater.compress(data)?);
        self.raw(id, &entry, None)
    }

    /// Writes the checksum and the index and moves both into place; returns the pack's path.
    /// A pack of unknown count with nothing in it is removed instead; one whose count was
    /// announced fails, removing the file, unless exactly that many objects were written.
    pub fn finish(mut self) -> std::io::Result<Option<PathBuf>> {
        let written = self.entries.len();
        match self.count {
            Some(count) if count as usize != written => {
                return Err(std::io::Error::other(format!(
                    "{written} objects written where {count} were announced"
                )))
            }
            None if written == 0 => return Ok(None),
            _ => {}
        }
        self.out.flush()?;
        let checksum = match self.hasher.take() {
            Some(hasher) => hasher.try_finalize().map_err(std::io::Error::other)?,
            None => {
                // The count goes in now, so the checksum is computed over the file as it ends up.
                let file = self.out.get_mut();
                file.seek(SeekFrom::Start(8))?;
                file.write_all(&(written as u32).to_be_bytes())?;
                file.seek(SeekFrom::End(0))?;
                let mut hasher = gix::hash::hasher(self.hash);
                hasher.update(&std::fs::read(&self.tmp)?);
                hasher.try_finalize().map_err(std::io::Error::other)?
            }
        };
        self.out.write_all(checksum.as_bytes())?;
        self.out.flush()?;
        self.out.get_ref().sync_all()?;
        let entries = std::mem::take(&mut self.entries);
        let pack = install(&self.dir, &self.tmp, entries, &checksum, self.hash)?;
        self.finished = true;
        Ok(Some(pack))
    }
}

/// One zlib compressor, reset between objects: a new one allocates (and the kernel zeroes) a
/// quarter of a megabyte, which dominated the cost of writing hundreds of thousands of small
/// trees and commits.
pub struct Deflater(gix::zlib::stream::deflate::Compress);

impl Default for Deflater {
    fn default() -> Self {
        Deflater(gix::zlib::stream::deflate::Compress::new(
            gix::zlib::Compression::BEST_SPEED,
        ))
    }
}

impl Deflater {
    /// `data` as one zlib stream.
    pub fn compress(&mut self, data: &[u8]) -> std::io::Result<Vec<u8>> {
        use gix::zlib::stream::deflate::FlushCompress;
        self.0.reset();
        // Room for incompressible data, the zlib header and trailer; grown if ever short.
        let mut out = vec![0u8; data.len() + data.len() / 1000 + 64];
        let (start_in, start_out) = (self.0.total_in(), self.0.total_out());
        loop {
            let read = (self.0.total_in() - start_in) as usize;
            let written = (self.0.total_out() - start_out) as usize;
            if written == out.len() {
                out.resize(out.len() * 2, 0);
            }
            let status = self
                .0
                .compress(&data[read..], &mut out[written..], FlushCompress::Finish)
                .map_err(std::io::Error::other)?;
            if status == gix::zlib::Status::StreamEnd {
                out.truncate((self.0.total_out() - start_out) as usize);
                return Ok(out);
            }
        }
    }
}

/// The `type and size` header of a pack entry.
fn entry_header(type_code: u8, mut size: u64) -> Vec<u8> {
    let mut out = Vec::with_capacity(10);
    let mut byte = (type_code << 4) | (size & 0x0f) as u8;
    size >>= 4;
    while size > 0 {
        out.push(byte | 0x80);
        byte = (size & 0x7f) as u8;
        size >>= 7;
    }
    out.push(byte);
    out
}

/// The base offset of an OFS_DELTA entry: big-endian groups of seven bits, each but the last
/// with its high bit set, and each group after the first meaning one more than it says.
fn offset_encoding(mut distance: u64) -> Vec<u8> {
    let mut bytes = vec![(distance & 0x7f) as u8];
    distance >>= 7;
    while distance > 0 {
        distance -= 1;
        bytes.push(0x80 | (distance & 0x7f) as u8);
        distance >>= 7;
    }
    bytes.reverse();
    bytes
}

/// Appends `n` as a little-endian base-128 number, as deltas encode their sizes.
pub(crate) fn varint(mut n: u64, out: &mut Vec<u8>) {
    loop {
        let byte = (n & 0x7f) as u8;
        n >>= 7;
        if n == 0 {
            out.push(byte);
            return;
        }
        out.push(byte | 0x80);
    }
}

/// The instructions of a delta being written: copies from the base, and inserted bytes.
struct Instructions(Vec<u8>);

impl Instructions {
    /// A delta from a base of `base_len` bytes to a result of `target_len` bytes.
    fn new(base_len: usize, target_len: usize) -> Instructions {
        let mut out = Vec::with_capacity(64);
        varint(base_len as u64, &mut out);
        varint(target_len as u64, &mut out);
        Instructions(out)
    }

    /// Copies `len` bytes of the base from `start`.
    fn copy(&mut self, start: usize, len: usize) {
        let end = start + len;
        let mut at = start;
        while at < end {
            // One instruction copies at most 0xffffff bytes.
            let chunk = (end - at).min(0xff_ffff);
            let mut op = 0x80u8;
            let mut args = Vec::with_capacity(7);
            for i in 0..4 {
                let b = ((at >> (8 * i)) & 0xff) as u8;
                if b != 0 {
                    op |= 1 << i;
                    args.push(b);
                }
            }
            for i in 0..3 {
                let b = ((chunk >> (8 * i)) & 0xff) as u8;
                if b != 0 {
                    op |= 1 << (4 + i);
                    args.push(b);
                }
            }
            self.0.push(op);
            self.0.extend(args);
            at += chunk;
        }
    }

    /// Inserts `bytes` as they are.
    fn insert(&mut self, bytes: &[u8]) {
        for chunk in bytes.chunks(127) {
            self.0.push(chunk.len() as u8);
            self.0.extend_from_slice(chunk);
        }
    }
}

/// A delta from `base` to `target` keeping their common prefix and suffix; `None` when they
/// share too little for a delta to pay.
fn delta(base: &[u8], target: &[u8]) -> Option<Vec<u8>> {
    let prefix = base.iter().zip(target).take_while(|(a, b)| a == b).count();
    let max_suffix = base.len().min(target.len()) - prefix;
    let suffix = base
        .iter()
        .rev()
        .zip(target.iter().rev())
        .take(max_suffix)
        .take_while(|(a, b)| a == b)
        .count();
    if prefix + suffix < 32 {
        return None;
    }
    let mut delta = Instructions::new(base.len(), target.len());
    delta.copy(0, prefix);
    delta.insert(&target[prefix..target.len() - suffix]);
    delta.copy(base.len() - suffix, suffix);
    Some(delta.0)
}

/// Where each entry (`<mode> <name>\0<id>`) of a tree lies; `None` when it does not parse.
fn tree_entries(tree: &[u8], hash_len: usize) -> Option<Vec<std::ops::Range<usize>>> {
    let mut entries = Vec::new();
    let mut at = 0;
    while at < tree.len() {
        let end = at + memchr::memchr(0, &tree[at..])? + 1 + hash_len;
        if end > tree.len() {
            return None;
        }
        entries.push(at..end);
        at = end;
    }
    Some(entries)
}

/// A delta between two versions of a tree: the entries they share are copied, the others
/// inserted. A directory's next version usually changes an entry or two far apart, which a
/// common prefix and suffix alone would mostly insert again.
fn tree_delta(base: &[u8], target: &[u8], hash_len: usize) -> Option<Vec<u8>> {
    let (old, new) = (
        tree_entries(base, hash_len)?,
        tree_entries(target, hash_len)?,
    );
    let same = |i: usize, j: usize| base[old[i].clone()] == target[new[j].clone()];
    let mut delta = Instructions::new(base.len(), target.len());
    // The copy being extended: base start and length.
    let mut run: Option<(usize, usize)> = None;
    let (mut i, mut j) = (0, 0);
    while j < new.len() {
        if i < old.len() && same(i, j) {
            let entry = old[i].clone();
            run = match run {
                Some((start, len)) if start + len == entry.start => {
                    Some((start, len + entry.len()))
                }
                other => {
                    if let Some((start, len)) = other {
                        delta.copy(start, len);
                    }
                    Some((entry.start, entry.len()))
                }
            };
            i += 1;
            j += 1;
            continue;
        }
        // A few entries removed: pick up the base where this one reappears.
        if let Some(k) = (i + 1..old.len().min(i + 8)).find(|&k| same(k, j)) {
            i = k;
            continue;
        }
        if let Some((start, len)) = run.take() {
            delta.copy(start, len);
        }
        delta.insert(&target[new[j].clone()]);
        // The same name with another id (or mode) replaces the base's entry.
        let name_of = |tree: &[u8], r: &std::ops::Range<usize>| {
            let entry = &tree[r.clone()];
            entry[..memchr::memchr(0, entry).unwrap_or(entry.len())].to_vec()
        };
        if i < old.len() && name_of(base, &old[i]) == name_of(target, &new[j]) {
            i += 1;
        }
        j += 1;
    }
    if let Some((start, len)) = run {
        delta.copy(start, len);
    }
    Some(delta.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Applies a delta as git does, to check the encoder against the format.
    fn apply(base: &[u8], delta: &[u8]) -> Vec<u8> {
        let mut at = 0;
        let read_varint = |at: &mut usize| {
            let (mut n, mut shift) = (0u64, 0);
            loop {
                let b = delta[*at];
                *at += 1;
                n |= u64::from(b & 0x7f) << shift;
                shift += 7;
                if b & 0x80 == 0 {
                    return n;
                }
            }
        };
        assert_eq!(read_varint(&mut at), base.len() as u64);
        let size = read_varint(&mut at) as usize;
        let mut out = Vec::new();
        while at < delta.len() {
            let op = delta[at];
            at += 1;
            if op & 0x80 != 0 {
                let (mut off, mut len) = (0usize, 0usize);
                for i in 0..4 {
                    if op & (1 << i) != 0 {
                        off |= (delta[at] as usize) << (8 * i);
                        at += 1;
                    }
                }
                for i in 0..3 {
                    if op & (1 << (4 + i)) != 0 {
                        len |= (delta[at] as usize) << (8 * i);
                        at += 1;
                    }
                }
                if len == 0 {
                    len = 0x10000;
                }
                out.extend_from_slice(&base[off..off + len]);
            } else {
                out.extend_from_slice(&delta[at..at + op as usize]);
                at += op as usize;
            }
        }
        assert_eq!(out.len(), size);
        out
    }

    #[test]
    fn deltas_round_trip() {
        let base: Vec<u8> = (0..5000u32).flat_map(|i| i.to_le_bytes()).collect();
        let mut target = base.clone();
        target.splice(1000..1010, b"something new in the middle".iter().copied());
        let d = delta(&base, &target).unwrap();
        assert!(d.len() < 100);
        assert_eq!(apply(&base, &d), target);
        assert!(delta(b"short", b"other").is_none());
    }

    #[test]
    fn tree_deltas_round_trip() {
        let entry = |name: &str, id: u8| {
            let mut e = format!("100644 {name}\0").into_bytes();
            e.extend([id; 20]);
            e
        };
        let tree = |entries: &[(&str, u8)]| -> Vec<u8> {
            entries.iter().flat_map(|(n, id)| entry(n, *id)).collect()
        };
        let names: Vec<String> = (0..200).map(|i| format!("file{i:03}")).collect();
        let base: Vec<(&str, u8)> = names.iter().map(|n| (n.as_str(), 1)).collect();
        // Two changes far apart, one entry removed, two added, one added at the end.
        let mut next = base.clone();
        next[3].1 = 2;
        next[180].1 = 3;
        next.remove(100);
        next.insert(50, ("file050a", 4));
        next.insert(51, ("file050b", 5));
        next.push(("zzz", 6));
        let (old, new) = (tree(&base), tree(&next));
        let d = tree_delta(&old, &new, 20).unwrap();
        assert_eq!(apply(&old, &d), new);
        assert!(d.len() < 300, "{} bytes", d.len());
        // Nothing shared, and the empty tree, still round-trip.
        let other = tree(&[("x", 9)]);
        assert_eq!(apply(&old, &tree_delta(&old, &other, 20).unwrap()), other);
        assert_eq!(
            apply(&old, &tree_delta(&old, &[], 20).unwrap()),
            Vec::<u8>::new()
        );
        assert!(tree_delta(b"not a tree", &new, 20).is_none());
    }

    #[test]
    fn offsets_and_headers() {
        assert_eq!(offset_encoding(127), vec![0x7f]);
        assert_eq!(offset_encoding(128), vec![0x80, 0x00]);
        assert_eq!(entry_header(2, 15), vec![0x2f]);
        assert_eq!(entry_header(2, 16), vec![0xa0, 0x01]);
    }
}
