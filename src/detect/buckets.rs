//! How anchor forms are laid out over slim Teddy searchers.
//!
//! A slim Teddy searcher (up to 32 patterns) sorts its patterns into 8 buckets and, at each
//! position, tests the first bytes (three, or four when every form has four) against each
//! bucket's nibble masks: a bucket matches a byte when its low nibble is one of the bucket's low
//! nibbles for that position and its high nibble one of its high nibbles. A candidate is then
//! checked pattern by pattern. Two unrelated prefixes in a bucket (`dp.` and `T3B`) accept every
//! cross of their nibbles, and text matches such a bucket often: on real configuration (82 MB of
//! charts and Python), five searchers of 16 token prefixes dealt in turn spent 369 M
//! instructions, four laid out by this model 269 M.
//!
//! So forms are clustered: prefixes that differ in few nibbles (`ghp_`, `ghs_`, `ghu_`) share a
//! bucket at almost no cost, and the number of searchers is chosen where one more pass costs
//! more than the candidates it saves, by a model of how often text bytes fall in a bucket's
//! masks (byte frequencies measured on the shared corpora). The model reads three bytes; where
//! every form of a searcher has four, Teddy fingerprints four, and the layout follows it.
//!
//! aho-corasick assigns a pattern whose low-nibble prefix it has not seen to bucket
//! `7 - id % 8` and one it has seen to that prefix's bucket; patterns are laid out in that
//! order, with repeats of an earlier pattern where a bucket has no more to give. Should the
//! crate assign buckets otherwise, the searchers still find every form, only more slowly.

/// Bytes 0-127 per 65,536 bytes of the shared corpora (91 MB of configuration, C, Python,
/// shell and documentation); bytes past 127 share the remaining 1.2%.
const BYTE_FREQUENCY: [u16; 128] = [
    5, 5, 6, 5, 6, 5, 6, 6, 6, 23, 1284, 5, 6, 7, 6, 6, 6, 6, 6, 6, 6, 6, 6, 5, 5, 6, 6, 6, 6, 6,
    6, 6, 20817, 22, 447, 385, 78, 48, 28, 57, 317, 317, 301, 22, 282, 788, 939, 616, 343, 338,
    325, 227, 207, 200, 186, 173, 170, 169, 527, 99, 101, 121, 126, 17, 45, 207, 61, 231, 107, 197,
    69, 64, 70, 153, 15, 40, 186, 103, 137, 132, 229, 17, 216, 267, 225, 121, 125, 34, 26, 35, 17,
    129, 39, 128, 10, 348, 199, 2160, 604, 1442, 1067, 3736, 661, 499, 720, 2060, 46, 185, 1358,
    992, 1939, 2010, 919, 66, 2022, 2227, 2759, 1004, 307, 192, 216, 411, 41, 315, 224, 314, 14, 6,
];

/// The bytes of a form the model reads: what Teddy fingerprints when the shortest form has three.
const MASK: usize = 3;
/// Buckets of a slim searcher.
const BUCKETS: usize = 8;
/// The most patterns a searcher takes before aho-corasick goes fat (16 buckets, half speed).
const SLIM_PATTERNS: usize = 32;
/// Distinct low-nibble prefixes one bucket takes: three rounds of eight stay slim.
const HEADS_PER_BUCKET: usize = 3;
/// What checking one candidate costs, in passes of a searcher over one byte.
const CANDIDATE_COST: f64 = 50.0;

/// Nibble masks of a bucket at each fingerprinted position.
#[derive(Clone, Copy, Default, PartialEq, Debug)]
struct Masks {
    low: [u16; MASK],
    high: [u16; MASK],
}

impl Masks {
    fn of(form: &[u8]) -> Masks {
        let mut m = Masks::default();
        for (i, &b) in form.iter().take(MASK).enumerate() {
            m.low[i] |= 1 << (b & 0xf);
            m.high[i] |= 1 << (b >> 4);
        }
        m
    }

    fn union(self, other: Masks) -> Masks {
        let mut m = self;
        for i in 0..MASK {
            m.low[i] |= other.low[i];
            m.high[i] |= other.high[i];
        }
        m
    }

    /// How often a text byte sequence falls in these masks, per position of the text.
    fn rate(&self) -> f64 {
        (0..MASK)
            .map(|i| {
                let mut p = 0.0;
                for high in nibbles(self.high[i]) {
                    for low in nibbles(self.low[i]) {
                        let byte = high * 16 + low;
                        p += BYTE_FREQUENCY.get(byte).map_or(1.0, |&f| f64::from(f));
                    }
                }
                // A mask of no nibble at a position (a short form) accepts any byte there.
                if self.low[i] == 0 {
                    65536.0
                } else {
                    p
                }
            })
            .map(|p| p / 65536.0)
            .product()
    }
}

/// The nibbles set in a mask, lowest first.
fn nibbles(mut mask: u16) -> impl Iterator<Item = usize> {
    std::iter::from_fn(move || {
        (mask != 0).then(|| {
            let n = mask.trailing_zeros() as usize;
            mask &= mask - 1;
            n
        })
    })
}

/// Forms that share a low-nibble prefix: aho-corasick puts them in one bucket.
#[derive(Clone, Debug)]
struct Unit {
    forms: Vec<Vec<u8>>,
}

/// Units sharing a bucket.
#[derive(Clone, Debug)]
struct Cluster {
    units: Vec<Unit>,
    masks: Masks,
    /// `masks.rate()`, kept: the clustering asks for it once per pair.
    rate: f64,
}

impl Cluster {
    fn new(units: Vec<Unit>, masks: Masks) -> Cluster {
        Cluster {
            units,
            masks,
            rate: masks.rate(),
        }
    }

    fn merged(&self, other: &Cluster) -> Cluster {
        let units = self.units.iter().chain(&other.units).cloned().collect();
        Cluster::new(units, self.masks.union(other.masks))
    }
}

/// The forms laid out for slim searchers, each list in the order to give it to the builder:
/// as few searchers as the candidate model finds cheapest.
pub fn plan(forms: Vec<Vec<u8>>) -> Vec<Vec<Vec<u8>>> {
    // Rules' keywords have three bytes or more; a shorter form would make Teddy fingerprint
    // fewer bytes, and refuse more than 16 patterns with one.
    debug_assert!(
        forms.iter().all(|f| f.len() >= MASK),
        "anchor forms of 3+ bytes"
    );
    let clusters = cheapest_clusters(&units(forms, MASK));
    clusters.chunks(BUCKETS).flat_map(slim_searchers).collect()
}

/// What searching with these buckets costs per byte of text, in passes.
fn cost(clusters: &[Cluster]) -> f64 {
    let searchers = clusters.len().div_ceil(BUCKETS) as f64;
    searchers + CANDIDATE_COST * clusters.iter().map(|c| c.rate).sum::<f64>()
}

/// Merges units, each time joining the pair whose union adds the least candidate rate, and
/// keeps the cheapest state met on the way (fewer searchers against more candidates).
fn cheapest_clusters(units: &[Unit]) -> Vec<Cluster> {
    let mut clusters: Vec<Cluster> = units
        .iter()
        .map(|u| {
            let masks = u
                .forms
                .iter()
                .fold(Masks::default(), |m, f| m.union(Masks::of(f)));
            Cluster::new(vec![u.clone()], masks)
        })
        .collect();
    let mut best = (cost(&clusters), clusters.clone());
    // The rate of each pair's union, filled for a < b.
    let union_rate = |x: &Cluster, y: &Cluster| x.masks.union(y.masks).rate();
    let mut pairs: Vec<Vec<f64>> = (0..clusters.len())
        .map(|a| {
            (0..clusters.len())
                .map(|b| {
                    if a < b {
                        union_rate(&clusters[a], &clusters[b])
                    } else {
                        0.0
                    }
                })
                .collect()
        })
        .collect();
    loop {
        let mut pick: Option<(f64, usize, usize)> = None;
        for a in 0..clusters.len() {
            for b in a + 1..clusters.len() {
                if clusters[a].units.len() + clusters[b].units.len() > HEADS_PER_BUCKET {
                    continue;
                }
                let added = pairs[a][b] - clusters[a].rate - clusters[b].rate;
                if pick.map_or(true, |(least, _, _)| added < least) {
                    pick = Some((added, a, b));
                }
            }
        }
        let Some((_, a, b)) = pick else { break };
        clusters[a] = clusters[a].merged(&clusters[b]);
        clusters.remove(b);
        pairs.remove(b);
        for row in &mut pairs {
            row.remove(b);
        }
        for other in 0..clusters.len() {
            let (x, y) = (a.min(other), a.max(other));
            if x != y {
                pairs[x][y] = union_rate(&clusters[x], &clusters[y]);
            }
        }
        let c = cost(&clusters);
        if c < best.0 {
            best = (c, clusters.clone());
        }
    }
    best.1
}

/// Groups forms by the low nibbles of their first `mask` bytes, in a stable order.
fn units(mut forms: Vec<Vec<u8>>, mask: usize) -> Vec<Unit> {
    forms.sort();
    forms.dedup();
    let key = |f: &[u8]| -> Vec<u8> { f.iter().take(mask).map(|b| b & 0xf).collect() };
    let mut units: Vec<(Vec<u8>, Unit)> = Vec::new();
    for form in forms {
        let k = key(&form);
        match units.iter_mut().find(|(uk, _)| *uk == k) {
            Some((_, unit)) => unit.forms.push(form),
            None => units.push((k, Unit { forms: vec![form] })),
        }
    }
    units.into_iter().map(|(_, u)| u).collect()
}

/// `clusters` laid out as one searcher, or split in two (recursively) where the forms they
/// repeat and their case variants would pass the slim searcher's limit.
fn slim_searchers(clusters: &[Cluster]) -> Vec<Vec<Vec<u8>>> {
    let order = lay_out(clusters);
    if order.len() <= SLIM_PATTERNS {
        return vec![order];
    }
    if clusters.len() < 2 {
        // One cluster of many forms alike (a keyword in many casings): past 64 patterns
        // aho-corasick would build no searcher at all.
        return order.chunks(SLIM_PATTERNS).map(<[_]>::to_vec).collect();
    }
    let (left, right) = clusters.split_at(clusters.len() / 2);
    let mut split = slim_searchers(left);
    split.extend(slim_searchers(right));
    split
}

/// One searcher's patterns in the order that puts each cluster in a bucket of its own: the
/// first form of each distinct fingerprint at an id that maps to its cluster's bucket
/// (repeating an earlier form where a cluster has none left for the round), the rest after
/// them. Fingerprints are read as Teddy will: over four bytes when every form has four.
fn lay_out(clusters: &[Cluster]) -> Vec<Vec<u8>> {
    let forms = |c: &Cluster| -> Vec<Vec<u8>> {
        c.units
            .iter()
            .flat_map(|u| u.forms.iter().cloned())
            .collect()
    };
    let shortest = clusters.iter().flat_map(forms).map(|f| f.len()).min();
    let mask = shortest.unwrap_or(MASK).min(4);
    let groups: Vec<Vec<Unit>> = clusters.iter().map(|c| units(forms(c), mask)).collect();
    let rounds = groups.iter().map(Vec::len).max().unwrap_or(0);
    let mut order: Vec<Vec<u8>> = Vec::new();
    for round in 0..rounds {
        for slot in 0..BUCKETS {
            match groups.get(slot).and_then(|g| g.get(round)) {
                Some(unit) => order.push(unit.forms[0].clone()),
                None => order.push(order[0].clone()),
            }
        }
    }
    // Repeats after the last first form only lengthen the list.
    while order.len() > 1 && order[..order.len() - 1].contains(&order[order.len() - 1]) {
        order.pop();
    }
    for unit in groups.iter().flatten() {
        order.extend(unit.forms[1..].iter().cloned());
    }
    order
}

#[cfg(test)]
mod tests {
    use super::*;

    fn forms(list: &[&str]) -> Vec<Vec<u8>> {
        list.iter().map(|f| f.as_bytes().to_vec()).collect()
    }

    #[test]
    fn every_form_is_laid_out_and_searchers_stay_slim() {
        let list = forms(&[
            "ghp_",
            "gho_",
            "ghr_",
            "ghs_",
            "ghu_",
            "glpat-",
            "glrt-",
            "glsa_",
            "glc_",
            "xox",
            "AKIA",
            "ASIA",
            "AIza",
            "LCHIMP",
            "lchimp",
            "lChimp",
            "shpat_",
            "shpca_",
            "dp.",
            "dt0",
            "eyJ",
            "hf_",
            "r8_",
            "SG.",
            "T3BlbkFJ",
            "sk-ant-",
            "npm_",
            "pypi-AgEI",
        ]);
        let plan = plan(list.clone());
        assert!(!plan.is_empty());
        for searcher in &plan {
            assert!(searcher.len() <= SLIM_PATTERNS, "{searcher:?}");
        }
        let mut laid: Vec<Vec<u8>> = plan.concat();
        laid.sort();
        laid.dedup();
        let mut want = list;
        want.sort();
        assert_eq!(laid, want);
    }

    #[test]
    fn like_prefixes_share_a_bucket_and_unlike_ones_do_not() {
        let gh = forms(&["ghp_", "ghs_", "ghu_"]);
        let shared = gh
            .iter()
            .fold(Masks::default(), |m, f| m.union(Masks::of(f)));
        let apart = Masks::of(b"dp.").union(Masks::of(b"T3B"));
        assert!(shared.rate() < apart.rate());
        // Nine prefixes need a second pass unless two share a bucket: the two alike ones do.
        let list = forms(&[
            "ghp_", "ghs_", "AKIA", "xox", "dp.", "T3Bl", "npm_", "sk-ant-", "hvs.",
        ]);
        let clusters = cheapest_clusters(&units(list, MASK));
        assert_eq!(clusters.len(), BUCKETS);
        let pair: Vec<&Cluster> = clusters.iter().filter(|c| c.units.len() == 2).collect();
        assert_eq!(pair.len(), 1);
        let mut firsts: Vec<&[u8]> = pair[0].units.iter().map(|u| &u.forms[0][..]).collect();
        firsts.sort();
        assert_eq!(firsts, [&b"ghp_"[..], &b"ghs_"[..]]);
    }

    /// The buckets aho-corasick gives each pattern: a new low-nibble prefix (over the
    /// searcher's mask length) goes to bucket 7 - id % 8, a known one to its prefix's bucket.
    fn crate_buckets(order: &[Vec<u8>]) -> Vec<(Vec<u8>, usize)> {
        let mask = order.iter().map(Vec::len).min().unwrap_or(MASK).min(4);
        let mut seen: Vec<(Vec<u8>, usize)> = Vec::new();
        let mut placed = Vec::new();
        for (id, form) in order.iter().enumerate() {
            let key: Vec<u8> = form.iter().take(mask).map(|b| b & 0xf).collect();
            let bucket = match seen.iter().find(|(k, _)| *k == key) {
                Some(&(_, b)) => b,
                None => {
                    seen.push((key, BUCKETS - 1 - id % BUCKETS));
                    BUCKETS - 1 - id % BUCKETS
                }
            };
            placed.push((form.clone(), bucket));
        }
        placed
    }

    #[test]
    fn ids_put_each_cluster_in_its_own_bucket() {
        // Three-byte forms (mask 3), and four-byte ones whose case and fourth-byte variants
        // Teddy tells apart (mask 4: `shpat_`, `shpca_`, `shppa_` are three fingerprints).
        for list in [
            &["ghp_", "ghs_", "AKIA", "xox", "Key", "KEY", "key"][..],
            &[
                "shpat_", "shpca_", "shppa_", "shpss_", "sntry", "nfp_", "ghp_", "ghs_", "LCHIMP",
                "lchimp",
            ][..],
        ] {
            let clusters = cheapest_clusters(&units(forms(list), MASK));
            let placed = crate_buckets(&lay_out(&clusters));
            let mut owner: Vec<Option<usize>> = vec![None; BUCKETS];
            for (i, c) in clusters.iter().enumerate() {
                for form in c.units.iter().flat_map(|u| &u.forms) {
                    let (_, bucket) = placed.iter().find(|(f, _)| f == form).unwrap();
                    let owner = owner[*bucket].get_or_insert(i);
                    assert_eq!(
                        *owner,
                        i,
                        "{:?} shares bucket {bucket}",
                        String::from_utf8_lossy(form)
                    );
                }
            }
        }
    }

    /// Random form sets: each plan lays out every form once or more, keeps every searcher
    /// within the slim limit, and the packed searchers built from it find each form.
    #[test]
    fn random_form_sets_are_laid_out_and_found() {
        let mut rng = crate::testing::Rng(0xb0c4e7);
        let alphabet = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-.$:/ ";
        for _ in 0..200 {
            let count = 1 + rng.next(120);
            let mut list: Vec<Vec<u8>> = (0..count)
                .map(|_| {
                    let len = 3 + rng.next(6);
                    (0..len)
                        .map(|_| alphabet[rng.next(alphabet.len())])
                        .collect()
                })
                .collect();
            list.sort();
            list.dedup();
            let plan = plan(list.clone());
            let mut laid: Vec<Vec<u8>> = plan.concat();
            laid.sort();
            laid.dedup();
            assert_eq!(laid, list);
            for searcher in &plan {
                assert!(
                    searcher.len() <= SLIM_PATTERNS,
                    "{} patterns",
                    searcher.len()
                );
                let built = aho_corasick::packed::Config::new()
                    .match_kind(aho_corasick::packed::MatchKind::LeftmostFirst)
                    .builder()
                    .extend(searcher)
                    .build()
                    .expect("a packed searcher builds on this machine");
                let mut distinct = searcher.clone();
                distinct.sort();
                distinct.dedup();
                for form in distinct {
                    let text = [b"~~~~".as_slice(), &form, b"~~~~"].concat();
                    let found = built.find(&text).expect("the form is found");
                    assert_eq!(found.start(), 4, "{:?}", String::from_utf8_lossy(&form));
                }
            }
        }
    }
}
