//! Regions of YAML that give values their meaning: a Secret's `data:` and `stringData:`, a
//! SealedSecret's `encryptedData:`, a kustomize `secretGenerator:`.
//!
//! This is a line-and-indentation reading, not a YAML parse: it needs no valid document, never
//! fails, and costs one pass over files that the prefilter already flagged.

use std::ops::Range;

/// What a region of a YAML document holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RegionKind {
    /// A Secret's `data:`: base64 values.
    SecretData,
    /// A Secret's `stringData:`: plain values.
    SecretStringData,
    /// A SealedSecret's `encryptedData:`: ciphertext, safe to commit.
    SealedData,
    /// A kustomize `secretGenerator:` block with `literals:`.
    SecretGenerator,
}

/// A byte range of the text and what it holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Region {
    /// What the region holds.
    pub kind: RegionKind,
    /// Its bytes: whole lines, from the line after the key to the block's last line.
    pub range: Range<usize>,
}

struct Line<'a> {
    start: usize,
    end: usize,
    indent: usize,
    content: &'a [u8],
}

fn lines(text: &[u8]) -> Vec<Line<'_>> {
    let mut out = Vec::new();
    let mut start = 0;
    while start < text.len() {
        let end = memchr::memchr(b'\n', &text[start..]).map_or(text.len(), |i| start + i);
        let raw = &text[start..end];
        let indent = raw.iter().take_while(|&&b| b == b' ').count();
        let mut content = &raw[indent..];
        while let [rest @ .., b'\r' | b' ' | b'\t'] = content {
            content = rest;
        }
        out.push(Line {
            start,
            end,
            indent,
            content,
        });
        start = end + 1;
    }
    out
}

/// Finds the regions in `text`, in order.
pub fn regions(text: &[u8]) -> Vec<Region> {
    let lines = lines(text);
    let mut out = Vec::new();
    let mut doc_start = 0;
    for i in 0..=lines.len() {
        let boundary =
            i == lines.len() || lines[i].indent == 0 && lines[i].content.starts_with(b"---");
        if boundary {
            document(&lines[doc_start..i], &mut out);
            doc_start = i + 1;
        }
    }
    // A key's regions are pushed when the key is reached, and a Secret's `data:` entries run
    // on past a block nested inside them (a `secretGenerator:` one space in): order by start,
    // as callers are promised.
    out.sort_by_key(|r| (r.range.start, r.range.end));
    // A mapping that says `kind: Secret` twice gives its blocks twice.
    out.dedup();
    out
}

fn document(lines: &[Line<'_>], out: &mut Vec<Region>) {
    let is_sealed = lines.iter().any(|l| {
        l.indent == 0
            && l.content
                .strip_prefix(b"kind:")
                .is_some_and(|k| unquote(trim(k)) == b"SealedSecret")
    });
    for (i, line) in lines.iter().enumerate() {
        let region = match line.content {
            b"encryptedData:" if is_sealed => RegionKind::SealedData,
            b"secretGenerator:" => RegionKind::SecretGenerator,
            _ => continue,
        };
        if let Some(range) = block(lines, i) {
            out.push(Region {
                kind: region,
                range,
            });
        }
    }
    for (i, line) in lines.iter().enumerate() {
        let (level, key) = key_of(line);
        let is_secret = key
            .strip_prefix(b"kind:")
            .is_some_and(|k| unquote(trim(k)) == b"Secret");
        if is_secret {
            secret_object(lines, object_around(lines, i, level), level, out);
        }
    }
}

/// A line's key and the column it starts at: `- kind: Secret` holds `kind: Secret` two columns
/// in, as the first key of a list item.
fn key_of<'a>(line: &Line<'a>) -> (usize, &'a [u8]) {
    match line.content.strip_prefix(b"- ") {
        Some(rest) => {
            let pad = rest.iter().take_while(|&&b| b == b' ').count();
            (line.indent + 2 + pad, &rest[pad..])
        }
        None => (line.indent, line.content),
    }
}

/// The lines of the mapping whose keys start at column `level` and that holds line `at`: a
/// whole document at column 0, or one item of a list (`items:` of a `kind: List`, a tool's
/// `manifests:`), which starts at its `- ` line.
fn object_around(lines: &[Line<'_>], at: usize, level: usize) -> Range<usize> {
    let inside =
        |l: &Line<'_>| l.content.is_empty() || l.content.starts_with(b"#") || l.indent >= level;
    let opens_item = |l: &Line<'_>| l.content.starts_with(b"- ") && key_of(l).0 == level;
    let mut start = at;
    while start > 0 && !opens_item(&lines[start]) {
        let prev = &lines[start - 1];
        if !inside(prev) {
            if opens_item(prev) {
                start -= 1;
            }
            break;
        }
        start -= 1;
    }
    let mut end = at + 1;
    while end < lines.len() && inside(&lines[end]) {
        end += 1;
    }
    start..end
}

/// The `data:` and `stringData:` regions of the Secret on `object`, whose keys start at `level`.
fn secret_object(lines: &[Line<'_>], object: Range<usize>, level: usize, out: &mut Vec<Region>) {
    for i in object.clone() {
        let (at, key) = key_of(&lines[i]);
        let kind = match key {
            b"data:" if at == level => RegionKind::SecretData,
            b"stringData:" if at == level => RegionKind::SecretStringData,
            _ => continue,
        };
        // Secret values sit one per line at the block's first level; deeper lines belong to
        // block scalars (whole files) that the ordinary rules read.
        out.extend(entries(&lines[..object.end], i, level).map(|range| Region { kind, range }));
    }
}

/// The lines nested under the key on line `key`: deeper indentation, or `- ` items at its level.
fn block(lines: &[Line<'_>], key: usize) -> Option<Range<usize>> {
    let level = lines[key].indent;
    let mut last = None;
    for line in &lines[key + 1..] {
        let blank = line.content.is_empty() || line.content.starts_with(b"#");
        if blank {
            continue;
        }
        let nested = line.indent > level || line.indent == level && line.content.starts_with(b"- ");
        if !nested {
            break;
        }
        last = Some(line);
    }
    last.map(|l| lines[key + 1].start..l.end)
}

/// The lines at the first level of the block under line `key` (whose key starts at column
/// `level`), each as its own range.
fn entries<'a>(
    lines: &'a [Line<'a>],
    key: usize,
    level: usize,
) -> impl Iterator<Item = Range<usize>> + 'a {
    let nested = lines[key + 1..]
        .iter()
        .filter(|l| !l.content.is_empty() && !l.content.starts_with(b"#"))
        .take_while(move |l| l.indent > level);
    let mut child = None;
    nested.filter_map(move |l| {
        let first = *child.get_or_insert(l.indent);
        (l.indent == first).then_some(l.start..l.end)
    })
}

fn trim(s: &[u8]) -> &[u8] {
    let s = &s[s.iter().take_while(|b| b.is_ascii_whitespace()).count()..];
    let cut = s
        .iter()
        .rev()
        .take_while(|b| b.is_ascii_whitespace())
        .count();
    &s[..s.len() - cut]
}

fn unquote(s: &[u8]) -> &[u8] {
    match s {
        [b'"', inner @ .., b'"'] | [b'\'', inner @ .., b'\''] => inner,
        _ => s,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_blocks_in_multi_document_yaml() {
        let text = b"apiVersion: v1\nkind: ConfigMap\ndata:\n  a: b\n---\napiVersion: v1\nkind: Secret\nmetadata:\n  name: db\ndata:\n  POSTGRES_PASSWORD: cGFzc3dvcmQ=\n\n  USER: cG9zdGdyZXM=\nstringData:\n  JWT_SECRET: x\ntype: Opaque\n";
        let regions = regions(text);
        assert_eq!(regions.len(), 3, "{regions:?}");
        assert_eq!(regions[0].kind, RegionKind::SecretData);
        let data = std::str::from_utf8(&text[regions[0].range.clone()]).unwrap();
        assert_eq!(data, "  POSTGRES_PASSWORD: cGFzc3dvcmQ=");
        assert_eq!(regions[1].kind, RegionKind::SecretData);
        assert_eq!(regions[2].kind, RegionKind::SecretStringData);
    }

    #[test]
    fn sealed_and_generator() {
        let text = b"kind: SealedSecret\nspec:\n  encryptedData:\n    password: AgBy3i4OJSWK\n  template:\n    x: y\n";
        let r = regions(text);
        assert_eq!(r.len(), 1);
        assert_eq!(r[0].kind, RegionKind::SealedData);
        let k = b"resources:\n- a.yaml\nsecretGenerator:\n- name: db\n  literals:\n  - DB_PASSWORD=postgres\nimages: []\n";
        let r = regions(k);
        assert_eq!(r.len(), 1);
        assert_eq!(r[0].kind, RegionKind::SecretGenerator);
        assert!(std::str::from_utf8(&k[r[0].range.clone()])
            .unwrap()
            .ends_with("DB_PASSWORD=postgres"));
    }

    /// `kubectl get secrets -o yaml` prints a `kind: List` whose `items:` are Secrets; tools
    /// (Helmfile, Terraform) nest manifests in their own lists.
    #[test]
    fn secrets_nested_in_lists() {
        let list = "apiVersion: v1\nitems:\n- apiVersion: v1\n  data:\n    token: cGFzc3dvcmQ=\n  kind: ConfigMap\n- apiVersion: v1\n  data:\n    password: cGFzc3dvcmQ=\n  kind: Secret\n  metadata:\n    name: db\nkind: List\n";
        assert_eq!(
            only_region(list),
            (RegionKind::SecretData, "    password: cGFzc3dvcmQ=")
        );
        let manifests = "manifests:\n  - apiVersion: v1\n    kind: Secret\n    stringData:\n      # documented in the README\n      API_KEY: abc\n  - kind: ConfigMap\n    data:\n      x: y\n";
        assert_eq!(
            only_region(manifests),
            (RegionKind::SecretStringData, "      API_KEY: abc")
        );
    }

    /// The one region of `text`, and its lines.
    fn only_region(text: &str) -> (RegionKind, &str) {
        let found = regions(text.as_bytes());
        assert_eq!(found.len(), 1, "{found:?}");
        (found[0].kind, &text[found[0].range.clone()])
    }

    /// Random documents of the lines regions are made of: whatever their nesting, regions
    /// come out in order, once each, inside the text, as whole lines.
    #[test]
    fn regions_of_random_nestings_are_whole_lines_in_order() {
        let pieces = [
            "kind: Secret",
            "- kind: Secret",
            "  - kind: Secret",
            "kind: SealedSecret",
            "data:",
            "  data:",
            "- data:",
            "stringData:",
            "    stringData:",
            "  a: cGFzcw==",
            "    b: x",
            "      c: y",
            "- apiVersion: v1",
            "  - apiVersion: v1",
            "items:",
            "secretGenerator:",
            "  - DB_PASSWORD=x",
            "---",
            "# note",
            "",
            "   ",
        ];
        let mut rng = crate::testing::Rng(0x7e91);
        for _ in 0..3000 {
            let n = rng.next(14);
            let text: String = (0..n)
                .map(|_| pieces[rng.next(pieces.len())].to_string() + "\n")
                .collect();
            let text = text.as_bytes();
            let found = regions(text);
            for w in found.windows(2) {
                assert!(w[0].range.start <= w[1].range.start, "{found:?}");
                assert!(w[0] != w[1], "{found:?}");
            }
            for r in &found {
                assert!(r.range.start <= r.range.end && r.range.end <= text.len());
                assert!(r.range.start == 0 || text[r.range.start - 1] == b'\n');
                assert!(r.range.end == text.len() || text[r.range.end] == b'\n');
            }
        }
    }

    /// Found by `fuzz/` (target `region`): regions came out of order when a block nested in a
    /// Secret's `data:` entries, and the entries after it, were pushed before the block.
    #[test]
    fn regions_are_in_order_when_a_block_nests_in_data() {
        let text = b"kind: Secret\ndata:\n  a: eA==\n secretGenerator:\n  - b\n  - c\n";
        let found = regions(text);
        assert!(found.iter().any(|r| r.kind == RegionKind::SecretGenerator));
        assert!(
            found
                .windows(2)
                .all(|w| w[0].range.start <= w[1].range.start),
            "{found:?}"
        );
    }
}
