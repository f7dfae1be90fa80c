#!/usr/bin/env bash
# Builds the dense benchmark corpus: a bare repository shaped like an infrastructure mirror
# (keyword-dense YAML in thousands of versions, a ref per pull request, deep delta chains).
#
#   scripts/make-dense-corpus.sh DIR [COMMITS]      (default 5000 commits)
#
# Needs: git, python3.
set -euo pipefail

if [ $# -lt 1 ]; then
    echo "usage: $0 DIR [COMMITS]" >&2
    exit 2
fi
out=$1
commits=${2:-5000}
root=$(cd "$(dirname "$0")/.." && pwd)
if [ -e "$out" ]; then
    echo "$0: '$out' already exists; choose a new directory" >&2
    exit 2
fi
git init -q --bare "$out"
echo "writing $commits commits with git fast-import ..." >&2
python3 "$root/scripts/dense_corpus.py" --commits "$commits" | git -C "$out" fast-import --quiet
git -C "$out" symbolic-ref HEAD refs/heads/main
echo "packing with deep delta chains ..." >&2
git -C "$out" repack -a -d -f -q --depth=50 --window=250
git -C "$out" prune-packed

blob_bytes=$(git -C "$out" cat-file --batch-all-objects --batch-check='%(objecttype) %(objectsize)' \
    | awk '$1 == "blob" {n++; s += $2} END {printf "%d blobs, %.1f MB", n, s / 1e6}')
echo "corpus: $out"
echo "  commits: $(git -C "$out" rev-list --all | wc -l), refs: $(git -C "$out" for-each-ref | wc -l)"
echo "  pack: $(git -C "$out" count-objects -v -H | awk '/^size-pack/ {print $2, $3}'); $blob_bytes of blob content"
