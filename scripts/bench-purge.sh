#!/usr/bin/env bash
# Compares, in one run, scour purge with git-filter-repo on copies of the same repository:
#   1. removing one path from all history: `scour purge --path PATH` against
#      `git filter-repo --path PATH --invert-paths`;
#   2. redacting secrets: `scour purge --mode redact` (the rules find them) against
#      `git filter-repo --replace-text` given the same secrets as literals.
# Both tools end with the old objects pruned; scour also writes its backup bundle and
# verifies the result. Then, as a check of the drop (not timed), the commit ids scour produced
# are compared with those of `git filter-repo --prune-empty never --preserve-commit-hashes`
# (which, like scour, keeps commits that become empty and messages as they were): the same
# commits byte for byte give the same ids. Signed commits are stripped first (see below).
#
#   scripts/bench-purge.sh REPO PATH [SCOUR]
#
# PATH is a path, or a glob (given to filter-repo as --path-glob; for both tools `*` also
# matches `/`).
#
# Needs git-filter-repo (`pip install git-filter-repo`).
set -euo pipefail

if [ $# -lt 2 ]; then
    echo "usage: $0 REPO PATH [SCOUR]" >&2
    exit 2
fi
repo=$(cd "$1" && pwd)
path=$2
root=$(cd "$(dirname "$0")/.." && pwd)
scour=${3:-$root/target/release/scour}
command -v git-filter-repo >/dev/null || { echo "$0: git-filter-repo is not installed (pip install git-filter-repo)" >&2; exit 2; }
if [ ! -x "$scour" ]; then
    cargo build --release --quiet --manifest-path "$root/Cargo.toml"
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$(now)" 'BEGIN {printf "%.2f", b - a}'; }
copy() { rm -rf "$work/$1"; cp -a "$repo" "$work/$1"; }

# 1. Drop one path.
copy scour-drop
start=$(now)
"$scour" purge --path "$path" --include-head --force --progress never "$work/scour-drop" > "$work/scour-drop.log"
scour_drop=$(elapsed "$start")
copy fr-drop
start=$(now)
case $path in
    *[*?[]*) select=(--path-glob "$path") ;;
    *) select=(--path "$path") ;;
esac
git -C "$work/fr-drop" filter-repo --quiet --force "${select[@]}" --invert-paths > "$work/fr-drop.log" 2>&1
fr_drop=$(elapsed "$start")

# The same result as filter-repo, given what it does otherwise on purpose: scour keeps the
# commits that become empty (--prune-empty never) and every message byte for byte, old ids
# it cites included (--preserve-commit-hashes). And filter-repo reads `git fast-export`, which
# drops every commit signature, so it rewrites each signed commit and all that descend from
# it, where scour keeps a commit it does not change (signature and id): a history with
# signed commits is compared on a copy that filter-repo stripped of them first, scour run
# once more there (not timed).
copy check
signed=$(git -C "$work/check" rev-list --all | git -C "$work/check" cat-file --batch | grep -c '^gpgsig' || true)
same_as=$work/scour-drop
if [ "$signed" -gt 0 ]; then
    git -C "$work/check" filter-repo --quiet --force --prune-empty never --prune-degenerate never --preserve-commit-hashes > "$work/strip.log" 2>&1
    same_as=$work/check-scour
    cp -a "$work/check" "$same_as"
    "$scour" purge --path "$path" --include-head --force --progress never "$same_as" > "$work/check-scour.log"
fi
git -C "$work/check" filter-repo --quiet --force --prune-empty never --preserve-commit-hashes "${select[@]}" --invert-paths > "$work/check-fr.log" 2>&1
refs() { git -C "$1" for-each-ref --format='%(refname) %(objectname)'; }
differing=$(diff <(refs "$same_as") <(refs "$work/check") | grep -c '^<' || true)
if [ "$differing" -eq 0 ]; then
    same="yes: every ref names the same object"
else
    same="NO: $differing refs differ"
fi
if [ "$signed" -gt 0 ]; then
    same="$same (on a copy without the $signed commit signatures, which filter-repo drops)"
fi
rm -rf "$work/check" "$work/check-scour" "$work/fr-drop"

# 2. Redact secrets: the literals come from a scour report of the original.
"$scour" history --show-secrets --format json --progress never --output "$work/secrets.json" "$repo" || true
python3 - "$work/secrets.json" > "$work/expressions.txt" <<'PY'
import json, sys
seen = set()
for f in json.load(open(sys.argv[1]))["findings"]:
    s = f["secret"]
    if s not in seen and "\n" not in s:
        seen.add(s)
        print(f"{s}==>***REMOVED***")
PY
copy scour-redact
start=$(now)
"$scour" purge --mode redact --include-head --force --progress never "$work/scour-redact" > "$work/scour-redact.log"
scour_redact=$(elapsed "$start")
copy fr-redact
start=$(now)
git -C "$work/fr-redact" filter-repo --quiet --force --replace-text "$work/expressions.txt" > "$work/fr-redact.log" 2>&1
fr_redact=$(elapsed "$start")

awk -v sd="$scour_drop" -v fd="$fr_drop" -v sr="$scour_redact" -v fr="$fr_redact" \
    -v repo="$repo" -v path="$path" -v same="$same" -v n="$(wc -l < "$work/expressions.txt")" 'BEGIN {
    printf "repository: %s\n", repo
    printf "drop %s:       scour %6.2f s   git-filter-repo %6.2f s   filter-repo/scour %.1fx\n", path, sd, fd, fd / sd
    printf "redact %d secrets:  scour %6.2f s   git-filter-repo %6.2f s   filter-repo/scour %.1fx\n", n, sr, fr, fr / sr
    printf "drop result identical to git filter-repo --prune-empty never --preserve-commit-hashes: %s\n", same
}'
