#!/usr/bin/env bash
# Builds the medium benchmark corpus: a bare git repository with a long, deterministic history
# made from real source text (the crates this project depends on, as `cargo vendor` unpacks
# them from the registry), with fake credentials planted at known places.
#
#   scripts/make-corpus.sh DIR [COMMITS]      (default 20000 commits)
#
# DIR/planted.tsv lists the planted credentials: commit number, ref, path, rule, fate.
# Needs: cargo (for `cargo vendor`, which reads the registry cache), git, python3.
set -euo pipefail

if [ $# -lt 1 ]; then
    echo "usage: $0 DIR [COMMITS]" >&2
    exit 2
fi
out=$1
commits=${2:-20000}
root=$(cd "$(dirname "$0")/.." && pwd)
if [ -e "$out" ]; then
    echo "$0: '$out' already exists; choose a new directory" >&2
    exit 2
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

echo "vendoring the dependency tree of $root ..." >&2
cargo vendor --quiet --manifest-path "$root/Cargo.toml" --locked "$work/vendor" >/dev/null

git init -q --bare "$out"
echo "writing $commits commits with git fast-import ..." >&2
python3 "$root/scripts/corpus.py" --source "$work/vendor" --commits "$commits" \
    --planted "$out/planted.tsv" | git -C "$out" fast-import --quiet
git -C "$out" symbolic-ref HEAD refs/heads/main
echo "packing with git gc ..." >&2
git -C "$out" gc --quiet

objects=$(git -C "$out" count-objects -v | awk '/^in-pack/ {print $2}')
pack=$(git -C "$out" count-objects -v -H | awk '/^size-pack/ {print $2, $3}')
blob_bytes=$(git -C "$out" cat-file --batch-all-objects --batch-check='%(objecttype) %(objectsize)' \
    | awk '$1 == "blob" {n++; s += $2} END {printf "%d blobs, %.1f MB", n, s / 1e6}')
echo "corpus: $out"
echo "  commits: $(git -C "$out" rev-list --all | wc -l), refs: $(git -C "$out" for-each-ref | wc -l)"
echo "  objects: $objects in packs ($pack); $blob_bytes of blob content"
echo "  planted credentials: $(($(wc -l < "$out/planted.tsv") - 1)) (see $out/planted.tsv)"
