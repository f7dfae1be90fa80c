//! Standard input as one file named `<stdin>`, judged as configuration.

use std::io::Read;

/// The name findings from standard input carry.
pub const NAME: &str = "<stdin>";

/// Reads all of `reader`, at most `limit` bytes; `Ok(None)` when it holds more.
pub fn read_all(reader: impl Read, limit: u64) -> std::io::Result<Option<Vec<u8>>> {
    let mut bytes = Vec::new();
    reader.take(limit + 1).read_to_end(&mut bytes)?;
    Ok((bytes.len() as u64 <= limit).then_some(bytes))
}
