//! A small, fast hasher for the detector's in-memory tables (the learned filter's weights,
//! the value reads it caches), where keys are short strings the process itself chose or read
//! from the files it scans and a hash needs no resistance to chosen collisions: SipHash's
//! safety costs more than the lookup there.
//!
//! A table keyed by bytes an attacker controls could be flooded with colliding keys; the one
//! such table here (the cache of value reads) is small and cleared when full, so a flood
//! slows a scan by at most that many comparisons per lookup.

use std::hash::{BuildHasherDefault, Hasher};

/// A hash map with [`FastHasher`].
pub type FastMap<K, V> = std::collections::HashMap<K, V, BuildHasherDefault<FastHasher>>;

/// Multiplies in eight bytes at a time; not keyed, not for hostile key sets.
#[derive(Debug, Default, Clone, Copy)]
pub struct FastHasher(u64);

/// An odd constant with well-spread bits (from the golden ratio).
const K: u64 = 0x9e37_79b9_7f4a_7c15;

impl FastHasher {
    fn add(&mut self, word: u64) {
        self.0 = (self.0.rotate_left(5) ^ word).wrapping_mul(K);
    }
}

impl Hasher for FastHasher {
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            self.add(u64::from_le_bytes(c.try_into().expect("chunks of eight")));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut last = [0u8; 8];
            last[..rest.len()].copy_from_slice(rest);
            // The length keeps `ab` and `ab\0` apart.
            self.add(u64::from_le_bytes(last) ^ ((rest.len() as u64) << 59));
        }
    }

    fn write_u8(&mut self, b: u8) {
        self.add(u64::from(b) | 1 << 63);
    }

    fn write_usize(&mut self, n: usize) {
        self.add(n as u64);
    }

    fn finish(&self) -> u64 {
        // The high bits choose hashbrown's control bytes: fold the well-mixed high half down.
        self.0 ^ (self.0 >> 29)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_what_it_stored() {
        let mut m: FastMap<Box<str>, usize> = FastMap::default();
        let keys: Vec<String> = (0..2000).map(|i| format!("kw:word{i}")).collect();
        for (i, k) in keys.iter().enumerate() {
            m.insert(k.as_str().into(), i);
        }
        for (i, k) in keys.iter().enumerate() {
            assert_eq!(m.get(k.as_str()), Some(&i));
        }
        assert_eq!(m.get("kw:word"), None);
        assert_eq!(m.get(""), None);
    }
}
