#!/usr/bin/env bash
# Scans published packages nobody here wrote, as a user would meet them: each package's tree
# as its own root (as if scanning its repository), and all of them installed under a
# project's `venv/.../site-packages/` (vendored code). Prints the findings scour reports by
# default, by package, context and confidence, and writes them with their lines to
# $WORK/findings.txt (values redacted) to be read.
#
#   scripts/wild-packages.sh [SCOUR]
#
# Needs pip (to download the pinned wheels from PyPI once) and unzip or python3.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
scour=${1:-$root/target/release/scour}
work=${WORK:-${TMPDIR:-/tmp}/scour-packages}
packages=(botocore==1.43.11 awscli==1.45.11 cfn-lint==1.51.0 moto==5.2.1)
if [ ! -x "$scour" ]; then
    cargo build --release --quiet --manifest-path "$root/Cargo.toml"
fi
mkdir -p "$work/wheels" "$work/roots" "$work/app/venv/lib/python3.11/site-packages"
if ! ls "$work/wheels"/*.whl >/dev/null 2>&1; then
    pip download --quiet --no-deps --dest "$work/wheels" "${packages[@]}"
fi
for wheel in "$work/wheels"/*.whl; do
    name=$(basename "$wheel" | cut -d- -f1)
    if [ ! -d "$work/roots/$name" ]; then
        python3 -m zipfile -e "$wheel" "$work/roots/$name"
        python3 -m zipfile -e "$wheel" "$work/app/venv/lib/python3.11/site-packages"
    fi
done
summarise() {
    python3 -c '
import json, sys, collections
counts = collections.Counter()
for line in sys.stdin:
    f = json.loads(line)
    counts[(f["path"].split("/")[0], f["context"], f["confidence"])] += 1
for (top, context, confidence), n in sorted(counts.items()):
    print(f"  {n:6}  {top:40} {context:9} {confidence}")
print(f"  {sum(counts.values()):6}  in all")
'
}
echo "each package as its own root:"
for tree in "$work/roots"/*; do
    (cd "$tree" && "$scour" scan --no-config . --format jsonl 2>/dev/null || true) |
        sed "s|\"path\":\"|\"path\":\"$(basename "$tree")/|"
done | summarise
echo "the same packages installed in a project's venv/:"
(cd "$work/app" && "$scour" scan --no-config . --format jsonl 2>/dev/null || true) | summarise
(cd "$work/roots" && "$scour" scan --no-config . 2>/dev/null || true) > "$work/findings.txt"
echo "findings to read: $work/findings.txt"
