#!/usr/bin/env bash
# Compares, in one run on the same repository, the time git takes merely to inflate every
# object with the time scour takes to scan every object with the full rule set.
#
#   scripts/bench-history.sh REPO [SCOUR]     (SCOUR defaults to target/release/scour)
#
# Prints both wall times, the blob bytes, scour's MB/s of blob bytes, the ratio scour/git
# (goal: <= 1.0), scour's peak resident memory (goal: < 500 MiB) and scour's phases
# (SCOUR_TIMINGS=1). Set RUNS=n to alternate git and scour n times and keep each one's best.
#
# The repositories of README's speed table:
#   git clone --mirror ../shared/corpora/grafana-helm-charts.bundle /tmp/grafana.git
#   scripts/make-dense-corpus.sh /tmp/dense.git 5000     (keyword-dense YAML, 5,000 PR refs)
set -euo pipefail

if [ $# -lt 1 ]; then
    echo "usage: $0 REPO [SCOUR]" >&2
    exit 2
fi
repo=$1
root=$(cd "$(dirname "$0")/.." && pwd)
scour=${2:-${CARGO_TARGET_DIR:-$root/target}/release/scour}
runs=${RUNS:-1}
if [ ! -x "$scour" ]; then
    echo "building $scour ..." >&2
    cargo build --release --quiet --manifest-path "$root/Cargo.toml"
fi

now() { date +%s.%N; }

# Warm the page cache so that both tools read from memory.
cat "$(git -C "$repo" rev-parse --git-path objects)"/pack/*.pack > /dev/null 2>&1 || true

blob_bytes=$(git -C "$repo" cat-file --batch-all-objects --batch-check='%(objecttype) %(objectsize)' \
    | awk '$1 == "blob" {s += $2} END {print s + 0}')

report=$(mktemp)
git_s=
scour_s=
for _ in $(seq "$runs"); do
    start=$(now)
    git -C "$repo" cat-file --batch-all-objects --batch --unordered > /dev/null
    t=$(awk -v a="$start" -v b="$(now)" 'BEGIN {print b - a}')
    git_s=$(awk -v t="$t" -v best="$git_s" 'BEGIN {print (best == "" || t < best) ? t : best}')

    start=$(now)
    set +e
    SCOUR_TIMINGS=1 /usr/bin/time -f '%M' -o "$report.mem" "$scour" history --all-objects \
        --progress never --format json --output "$report" "$repo" 2> "$report.err"
    status=$?
    set -e
    t=$(awk -v a="$start" -v b="$(now)" 'BEGIN {print b - a}')
    if [ "$status" -ge 2 ]; then
        cat "$report.err" >&2
        exit "$status"
    fi
    if [ -z "$scour_s" ] || awk -v t="$t" -v best="$scour_s" 'BEGIN {exit !(t < best)}'; then
        scour_s=$t
        grep '^scour: timing:' "$report.err" > "$report.phases" || true
    fi
done
findings=$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["findings"]))' "$report")
peak_kib=$(tail -n 1 "$report.mem")
phases=$(sed 's/^scour: timing: history /    /' "$report.phases")
rm -f "$report" "$report.mem" "$report.err" "$report.phases"

awk -v g="$git_s" -v s="$scour_s" -v b="$blob_bytes" -v m="$peak_kib" -v f="$findings" \
    -v cores="$(nproc)" -v repo="$repo" 'BEGIN {
    printf "repository:        %s\n", repo
    printf "cores:             %d\n", cores
    printf "blob bytes:        %.1f MB\n", b / 1e6
    printf "git cat-file:      %.2f s  (%.0f MB/s of blob bytes)\n", g, b / 1e6 / g
    printf "scour history:     %.2f s  (%.0f MB/s of blob bytes), %d findings\n", s, b / 1e6 / s, f
    printf "ratio scour/git:   %.2f  (goal <= 1.0)\n", s / g
    printf "scour peak memory: %.0f MiB  (goal < 500 MiB)\n", m / 1024
}'
echo "scour phases (best run):"
echo "$phases"
