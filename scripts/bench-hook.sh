#!/usr/bin/env bash
# Times a one-commit push into a copy of REPO, with and without `scour hook pre-receive`
# installed, in one run, and prints the medians and what the hook adds (goal: < 150 ms).
#
#   scripts/bench-hook.sh REPO [ROUNDS] [SCOUR]      (ROUNDS defaults to 15)
set -euo pipefail

if [ $# -lt 1 ]; then
    echo "usage: $0 REPO [ROUNDS] [SCOUR]" >&2
    exit 2
fi
repo=$(cd "$1" && pwd)
rounds=${2:-15}
root=$(cd "$(dirname "$0")/.." && pwd)
scour=${3:-$root/target/release/scour}
[ -x "$scour" ] || cargo build --release --quiet --manifest-path "$root/Cargo.toml"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
now() { date +%s%N; }

for side in plain hooked; do
    cp -a "$repo" "$work/$side.git"
    git -C "$work/$side.git" config receive.denyCurrentBranch ignore
    if [ "$side" = hooked ]; then
        "$scour" hook install --pre-receive "$work/$side.git" > /dev/null
    fi
    git clone -q --no-checkout --branch main "$work/$side.git" "$work/$side-client" 2>/dev/null \
        || git clone -q --no-checkout "$work/$side.git" "$work/$side-client"
done

# Alternate the two sides so that both see the same machine load.
: > "$work/plain.times"
: > "$work/hooked.times"
for i in $(seq "$rounds"); do
    for side in plain hooked; do
        client="$work/$side-client"
        printf 'change %s\nDB_HOST=db.internal\n' "$i" > "$client/bench-$i.env"
        git -C "$client" add "bench-$i.env"
        git -C "$client" -c user.name=Bench -c user.email=bench@scour.invalid commit -q -m "bench $i"
        start=$(now)
        git -C "$client" push -q origin HEAD:refs/heads/main
        echo $(( ($(now) - start) / 1000000 )) >> "$work/$side.times"
    done
done

median() { sort -n "$1" | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }
plain=$(median "$work/plain.times")
hooked=$(median "$work/hooked.times")
echo "repository: $repo ($(git -C "$repo" count-objects -v -H | awk '/size-pack/ {print $2, $3}') packed)"
echo "one-commit push, median of $rounds: without hook ${plain} ms, with scour pre-receive ${hooked} ms"
echo "the hook adds $((hooked - plain)) ms (goal: < 150 ms)"
