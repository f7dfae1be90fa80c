#!/usr/bin/env bash
# What `scour hook pre-receive` adds to a one-commit push, on a repository with many refs.
#
#   scripts/bench-hook.sh [REPO] [ROUNDS] [SCOUR]      (ROUNDS defaults to 15)
#
# REPO is a bare repository; without one (or with `-`), a hosting-style mirror with 20,000 refs
# (19,400 of them under refs/pull/) is built once with scripts/make-many-refs.sh and kept in
# $SCOUR_BENCH_REPO (default: $TMPDIR/scour-bench-many-refs.git).
#
# For each of two shapes of the server, with a commit-graph (`git commit-graph write
# --reachable`) and without one (the file removed, core.commitGraph=false), it pushes one new
# commit per round into two copies of REPO, one without a pre-receive hook and one with the hook
# `scour hook install --pre-receive` writes, alternating which goes first. It prints the median
# push time of each side and what the hook adds (goal: < 150 ms): the median of each round's
# difference, and the difference of the medians. The pushes run with SCOUR_TIMINGS=1, which the
# hook inherits (they are local): it also prints the median time of the scour process itself
# and of its phases.
set -euo pipefail

repo=${1:--}
rounds=${2:-15}
root=$(cd "$(dirname "$0")/.." && pwd)
scour=${3:-${CARGO_TARGET_DIR:-$root/target}/release/scour}
[ -x "$scour" ] || cargo build --release --quiet --manifest-path "$root/Cargo.toml"
if [ "$repo" = - ]; then
    repo=${SCOUR_BENCH_REPO:-${TMPDIR:-/tmp}/scour-bench-many-refs.git}
    if [ ! -d "$repo" ]; then
        echo "building $repo (once) ..." >&2
        "$root/scripts/make-many-refs.sh" "$repo" >&2
    fi
fi
repo=$(cd "$repo" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
now() { date +%s%N; }
median() { sort -n "$1" | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }

echo "repository: $repo: $(git -C "$repo" for-each-ref | wc -l) refs" \
    "($(git -C "$repo" for-each-ref refs/pull | wc -l) under refs/pull)," \
    "$(git -C "$repo" count-objects -v -H | awk '/size-pack/ {print $2, $3}') packed"
echo "scour: $scour; $rounds rounds per shape, alternating"

for graph in with without; do
    for side in plain hooked; do
        server="$work/$graph-$side.git"
        cp -a "$repo" "$server"
        rm -rf "$server/objects/info/commit-graph" "$server/objects/info/commit-graphs"
        if [ "$graph" = with ]; then
            git -C "$server" commit-graph write --reachable
        else
            git -C "$server" config core.commitGraph false
        fi
        # No automatic gc in the middle of the rounds, on either side.
        git -C "$server" config gc.auto 0
        if [ "$side" = hooked ]; then
            "$scour" hook install --pre-receive "$server" > /dev/null
        fi
        client="$work/$graph-$side-client"
        git clone -q --no-checkout --single-branch --branch main "$server" "$client"
        : > "$client.times"
        : > "$client.phases"
    done
    for i in $(seq "$rounds"); do
        if [ $((i % 2)) = 1 ]; then order="plain hooked"; else order="hooked plain"; fi
        for side in $order; do
            client="$work/$graph-$side-client"
            printf 'change %s\nDB_HOST=db.internal\n' "$i" > "$client/bench-$i.env"
            git -C "$client" add "bench-$i.env"
            git -C "$client" -c user.name=Bench -c user.email=bench@scour.invalid \
                commit -q -m "bench $i"
            start=$(now)
            SCOUR_TIMINGS=1 git -C "$client" push -q origin HEAD:refs/heads/main 2> "$client.err"
            echo $((($(now) - start) / 1000000)) >> "$client.times"
            # The hook's own phases, when it prints them (scour with SCOUR_TIMINGS support).
            awk -F': ' '/scour: timing: hook pre-receive/ {
                sub(/ s.*/, "", $NF); phase = $(NF - 1); sub(/ \(.*/, "", phase)
                sub(/.*hook pre-receive /, "", phase); ms[phase] = $NF * 1000; total += $NF * 1000
            } END { if (total > 0) printf "%.0f %.0f %.0f %.0f\n", total,
                ms["configuration and rules"], ms["new objects from the quarantine"] \
                + ms["new objects by rev-list --not --all"], ms["scan"] }' \
                "$client.err" >> "$client.phases"
        done
    done
    plain=$(median "$work/$graph-plain-client.times")
    hooked=$(median "$work/$graph-hooked-client.times")
    # Each round's two pushes ran back to back, under the same load: their difference is
    # steadier than the difference of the medians on a busy machine.
    paste -d' ' "$work/$graph-hooked-client.times" "$work/$graph-plain-client.times" \
        | awk '{print $1 - $2}' > "$work/$graph.added"
    range() { sort -n "$1" | sed -n '1p;$p' | paste -sd' ' - | sed 's/ / to /'; }
    echo "$graph commit-graph: one-commit push, median of $rounds:" \
        "without hook ${plain} ms ($(range "$work/$graph-plain-client.times"))," \
        "with scour pre-receive ${hooked} ms ($(range "$work/$graph-hooked-client.times"))"
    echo "$graph commit-graph: the hook adds $(median "$work/$graph.added") ms, median of the" \
        "rounds' differences ($(range "$work/$graph.added")); difference of the medians" \
        "$(awk -v a="$hooked" -v b="$plain" 'BEGIN {print a - b}') ms (goal: < 150 ms)"
    phases="$work/$graph-hooked-client.phases"
    if [ -s "$phases" ]; then
        col() { cut -d' ' -f"$1" "$phases" > "$phases.$1"; median "$phases.$1"; }
        echo "$graph commit-graph: the scour process itself (SCOUR_TIMINGS), median: $(col 1) ms:" \
            "configuration and rules $(col 2) ms, new objects $(col 3) ms, scan $(col 4) ms"
    fi
done
