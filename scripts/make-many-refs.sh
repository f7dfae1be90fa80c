#!/usr/bin/env bash
# Builds a bare repository shaped like a hosting service's mirror: a main line of history, some
# release branches and tags, and a pull request ref pair (`refs/pull/N/head`, the contributor's
# commit, and `refs/pull/N/merge`, its test merge into main) for each of many pull requests, each
# naming a commit of its own. `git log NEW --not --all` must visit every one of these tips.
#
#   scripts/make-many-refs.sh DIR [PULLS] [COMMITS]
#       (defaults: 9,700 pull requests, 10,000 commits on main: 20,000 refs)
#
# Needs: git, python3. Takes about a minute on a 2-core machine.
set -euo pipefail

if [ $# -lt 1 ]; then
    echo "usage: $0 DIR [PULLS] [COMMITS]" >&2
    exit 2
fi
out=$1
pulls=${2:-9700}
commits=${3:-10000}
if [ -e "$out" ]; then
    echo "$0: '$out' already exists; choose a new directory" >&2
    exit 2
fi

git init -q --bare -b main "$out"
python3 - "$pulls" "$commits" <<'EOF' | git -C "$out" fast-import --quiet
import sys

pulls, commits = int(sys.argv[1]), int(sys.argv[2])
out = sys.stdout.buffer
when = 1_600_000_000


def data(text):
    raw = text.encode()
    out.write(b"data %d\n" % len(raw) + raw + b"\n")


def commit(ref, mark, message, parents, files, date):
    out.write(b"commit %s\nmark :%d\n" % (ref.encode(), mark))
    out.write(b"author Dev <dev@example.org> %d +0000\n" % date)
    out.write(b"committer Dev <dev@example.org> %d +0000\n" % date)
    data(message)
    for i, p in enumerate(parents):
        out.write(b"%s :%d\n" % (b"from" if i == 0 else b"merge", p))
    for path, text in files:
        out.write(b"M 100644 inline %s\n" % path.encode())
        data(text)
    out.write(b"\n")


# Main: a chart-like values file per component, one changed per commit.
for n in range(1, commits + 1):
    component = n % 200
    values = (
        f"replicaCount: {n % 5 + 1}\nimage:\n  repository: registry.example.org/c{component}\n"
        f"  tag: \"1.{n}.0\"\nresources:\n  limits:\n    memory: {64 + n % 512}Mi\n"
    )
    commit("refs/heads/main", n, f"c{component}: bump to 1.{n}.0\n",
           [n - 1] if n > 1 else [], [(f"charts/c{component}/values.yaml", values)], when + n * 60)
    if n % 100 == 0:
        out.write(b"reset refs/heads/release-%d\nfrom :%d\n\n" % (n // 100, n))
    if n % 20 == 0:
        out.write(b"reset refs/tags/v1.%d.0\nfrom :%d\n\n" % (n, n))

# Pull requests: a commit off some point of main, and its test merge into main's tip then.
mark = commits
for p in range(1, pulls + 1):
    base = 1 + (p * 7919) % commits
    mark += 1
    head = mark
    change = [(f"charts/c{base % 200}/values.yaml", f"replicaCount: {p % 9 + 1}\n# pr {p}\n")]
    commit(f"refs/pull/{p}/head", head, f"PR {p}: tweak c{base % 200}\n", [base], change,
           when + base * 60 + 30)
    mark += 1
    commit(f"refs/pull/{p}/merge", mark, f"Merge {head} into main\n", [base, head], change,
           when + base * 60 + 31)
EOF
git -C "$out" symbolic-ref HEAD refs/heads/main
git -C "$out" pack-refs --all
git -C "$out" repack -a -d -q
echo "repository: $out"
echo "  refs: $(git -C "$out" for-each-ref | wc -l) ($(git -C "$out" for-each-ref refs/pull | wc -l) under refs/pull)"
echo "  commits: $(git -C "$out" rev-list --all | wc -l), pack: $(git -C "$out" count-objects -v -H | awk '/^size-pack/ {print $2, $3}')"
