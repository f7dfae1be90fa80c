#!/usr/bin/env bash
# Crash consistency of `scour purge`: kills it with SIGKILL at many points of its run, on copies
# of a generated repository, and checks what each kill leaves and that a second run finishes it.
#
#   scripts/crash-purge.sh [KILLS] [COMMITS]      (default 200 kills, 1000 commits)
#
# The first kills go through every step boundary (`SCOUR_CRASH_AT`, listed from the sources);
# the rest are timed, at random moments of the shortest of three uninterrupted runs (a moment
# after scour has finished is not counted), half of them killing scour alone (its git children
# must die with it) and half its whole process group.
# After each kill: `git fsck --full` is clean, every ref names an object, the refs are all old
# or all new, and each checked-out file is its old or its new version. Then the same purge runs
# again and must finish: refs and commit map as the uninterrupted run left them, no planted
# secret (raw or base64) in any object, `scour history --all-objects` clean, fsck clean, clean
# checkout. Prints `N kills, N recovered, 0 corrupt` and exits 1 unless every kill passed.
# Needs: git, python3 (for timing and random delays), a built scour (SCOUR, or target/release/scour).
set -euo pipefail

kills=${1:-200}
commits=${2:-1000}
root=$(cd "$(dirname "$0")/.." && pwd)
scour=${SCOUR:-${CARGO_TARGET_DIR:-$root/target}/release/scour}
[ -x "$scour" ] || { echo "$0: no scour at $scour (cargo build --release, or set SCOUR)" >&2; exit 2; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
args=(purge --progress never --include-head)

env_secret='s3cr3tDbPass1-crash'
kube_secret='kUb3-pA55-7731-zq'
kube_b64=$(printf %s "$kube_secret" | base64)
token='ghp_R8aK2mQ9xL4vT7bN1cW5yH3jD6fG0sP2eZ4u'

g() { git -C "$1" "${@:2}"; }

# A history with secrets early on and at the tip, a merged branch, tags and a commit-graph.
make_repo() {
    local r=$1 i
    git init -q -b main "$r"
    g "$r" config user.name crash; g "$r" config user.email crash@example.com
    g "$r" config commit.gpgsign false
    export GIT_AUTHOR_DATE=2022-01-01T00:00:00Z GIT_COMMITTER_DATE=2022-01-01T00:00:00Z
    mkdir -p "$r/src" "$r/deploy" "$r/k8s"
    for i in $(seq 1 "$commits"); do
        printf 'line %d\n' "$i" >>"$r/src/f$((i % 40)).txt"
        case $i in
            3) printf 'DB_PASSWORD=%s\n' "$env_secret" >"$r/deploy/app.env" ;;
            5) printf 'kind: Secret\ndata:\n  DB_PASSWORD: %s\n' "$kube_b64" >"$r/k8s/secret.yaml" ;;
            $((commits / 2))) rm "$r/deploy/app.env"; g "$r" branch -q side ;;
            $((commits - 1))) printf 'token: %s\n' "$token" >"$r/ci.yaml" ;;
        esac
        g "$r" add -A; g "$r" commit -q -m "change $i"
        [ "$i" -eq $((commits / 3)) ] && g "$r" tag -a -m "release" v1
    done
    g "$r" checkout -q side
    printf 'side\n' >"$r/src/side.txt"; g "$r" add -A; g "$r" commit -q -m side
    g "$r" checkout -q main
    g "$r" merge -q --no-ff -m "merge side" side
    g "$r" gc -q
    g "$r" commit-graph write --reachable
    unset GIT_AUTHOR_DATE GIT_COMMITTER_DATE
}

refs_of() { g "$1" for-each-ref --format='%(refname) %(objectname)'; }
files_of() { g "$1" ls-tree -r HEAD | awk '{print $4, $3}'; }

# What a kill must leave; prints the problem and returns 1 otherwise.
sound() {
    local r=$1 path want_old want_new have
    if ! g "$r" fsck --full --no-progress >/dev/null 2>"$work/fsck" || grep -q error "$work/fsck"; then
        echo "fsck: $(head -3 "$work/fsck")"; return 1
    fi
    refs_of "$r" >"$work/refs-now"
    while read -r _ id; do
        g "$r" cat-file -e "$id" || { echo "a ref names missing $id"; return 1; }
    done <"$work/refs-now"
    if ! cmp -s "$work/refs-now" "$work/refs-old" && ! cmp -s "$work/refs-now" "$work/refs-new"; then
        echo "refs neither all old nor all new"; return 1
    fi
    while read -r path; do
        want_old=$(awk -v p="$path" '$1 == p {print $2}' "$work/files-old")
        want_new=$(awk -v p="$path" '$1 == p {print $2}' "$work/files-new")
        have=""
        [ -e "$r/$path" ] && have=$(g "$r" hash-object "$path")
        [ "$have" = "$want_old" ] || [ "$have" = "$want_new" ] || {
            echo "checkout: $path is neither version"; return 1; }
    done < <(cat "$work/files-old" "$work/files-new" | awk '{print $1}' | sort -u)
}

# What the second run must achieve.
finished() {
    local r=$1
    if ! (cd "$r" && "$scour" "${args[@]}" >"$work/rerun" 2>&1); then
        echo "rerun failed: $(tail -2 "$work/rerun")"; return 1
    fi
    refs_of "$r" | cmp -s - "$work/refs-new" || { echo "refs not all new after the rerun"; return 1; }
    cmp -s "$r/.git/scour/commit-map" "$work/commit-map" || { echo "commit map differs"; return 1; }
    if g "$r" cat-file --batch-all-objects --batch | grep -qF -e "$env_secret" -e "$kube_secret" -e "$kube_b64" -e "$token"; then
        echo "an object still holds a planted secret"; return 1
    fi
    (cd "$r" && "$scour" history --all-objects --progress never >/dev/null 2>&1) || {
        echo "scour history --all-objects still finds something"; return 1; }
    g "$r" fsck --full --no-progress >/dev/null 2>&1 || { echo "fsck after the rerun"; return 1; }
    [ -z "$(g "$r" status --porcelain)" ] || { echo "checkout not clean after the rerun"; return 1; }
}

# Processes other than this script's whose working directory lies in $1 (orphaned git children).
leftovers() {
    local p n=0
    for p in /proc/[0-9]*; do
        case $(readlink "$p/cwd" 2>/dev/null) in "$1"|"$1"/*) n=$((n + 1)) ;; esac
    done
    echo "$n"
}

echo "generating a repository of $commits commits ..." >&2
make_repo "$work/template"
refs_of "$work/template" >"$work/refs-old"
files_of "$work/template" >"$work/files-old"
# The shortest of three uninterrupted runs: timed kills spread over it.
full=999
for _ in 1 2 3; do
    rm -rf "$work/reference"; cp -a "$work/template" "$work/reference"
    start=$(date +%s.%N)
    (cd "$work/reference" && "$scour" "${args[@]}" >/dev/null)
    full=$(python3 -c "print(round(min($full, $(date +%s.%N) - $start), 3))")
done
refs_of "$work/reference" >"$work/refs-new"
files_of "$work/reference" >"$work/files-new"
cp "$work/reference/.git/scour/commit-map" "$work/commit-map"
mapfile -t steps < <(grep -ohE 'crash::point\("[a-z-]+"\)' "$root"/src/purge/*.rs | sed -E 's/.*"(.*)".*/\1/' | sort -u)
echo "uninterrupted purge: ${full}s; ${#steps[@]} step boundaries: ${steps[*]}" >&2

done_kills=0 recovered=0 corrupt=0 late=0
i=-1
while [ "$done_kills" -lt "$kills" ]; do
    i=$((i + 1))
    r="$work/run"
    rm -rf "$r"; cp -a "$work/template" "$r"
    if [ "$i" -lt "${#steps[@]}" ]; then
        how="at step ${steps[$i]}"
        { (cd "$r" && SCOUR_CRASH_AT=${steps[$i]} exec "$scour" "${args[@]}" >/dev/null 2>&1) || true; } 2>/dev/null
    else
        delay=$(python3 -c "import random; print(round(random.uniform(0, $full), 4))")
        (cd "$r" && exec setsid "$scour" "${args[@]}" >/dev/null 2>&1) &
        pid=$!
        sleep "$delay"
        target=$pid how="after ${delay}s (scour alone)"
        [ $((i % 2)) -eq 0 ] || target=-$pid how="after ${delay}s (process group)"
        # A finished scour not yet waited for is a zombie, which kill(1) still "kills".
        state=$(sed -E 's/.*\) (.).*/\1/' "/proc/$pid/stat" 2>/dev/null || true)
        if [ -z "$state" ] || [ "$state" = Z ] || ! kill -9 -- "$target" 2>/dev/null; then
            # Too late: scour had finished. Not a kill; try another moment.
            wait "$pid" 2>/dev/null || true
            late=$((late + 1)); continue
        fi
        wait "$pid" 2>/dev/null || true
        sleep 0.05
        left=$(leftovers "$r")
        if [ "$left" -gt 0 ]; then
            echo "kill $i $how: $left process(es) still working in the repository" >&2
            corrupt=$((corrupt + 1)); done_kills=$((done_kills + 1)); continue
        fi
    fi
    done_kills=$((done_kills + 1))
    if ! problem=$(sound "$r"); then
        echo "kill $i $how: CORRUPT: $problem" >&2
        corrupt=$((corrupt + 1)); continue
    fi
    if problem=$(finished "$r"); then
        recovered=$((recovered + 1))
    else
        echo "kill $i $how: NOT RECOVERED: $problem" >&2
    fi
done
[ "$late" -eq 0 ] || echo "($late timed kill(s) came after scour had exited; not counted)" >&2
echo "$done_kills kills, $recovered recovered, $corrupt corrupt"
[ "$recovered" -eq "$done_kills" ] && [ "$corrupt" -eq 0 ]
