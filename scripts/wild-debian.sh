#!/usr/bin/env bash
# Measures scour on real projects it was never tuned on: the upstream sources Debian ships
# (git, ansible, cloud-init, OpenLDAP, WordPress, OpenStack, Prometheus, ...), pinned by
# tests/wild/debian-sources.tsv (package, pool path, SHA-256). Each source is fetched once
# from deb.debian.org, checked against its SHA-256, unpacked, and scanned as its own root at
# the default confidence. Findings are joined with tests/wild/debian-labels.tsv (package, path,
# line, label, reason; label `real` or `not`, as for the shared corpora) and the script prints,
# per package, the findings, how many are labelled real or not, the precision, and every
# finding that has no label yet (values redacted).
#
#   scripts/wild-debian.sh [SCOUR]          (WORK=dir to choose where sources go)
#
# Not part of CI: it needs the network once. --check exits 1 when a finding labelled real is
# no longer reported or when a finding has no label.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
check=
if [ "${1:-}" = "--check" ]; then
    check=1
    shift
fi
scour=${1:-${CARGO_TARGET_DIR:-$root/target}/release/scour}
work=${WORK:-${TMPDIR:-/tmp}/scour-debian}
mirror=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
if [ ! -x "$scour" ]; then
    cargo build --release --quiet --manifest-path "$root/Cargo.toml"
fi
mkdir -p "$work/tarballs" "$work/trees"
while IFS=$'\t' read -r package pool sha; do
    case $package in '#'* | '') continue ;; esac
    tarball="$work/tarballs/$(basename "$pool")"
    if [ ! -s "$tarball" ]; then
        curl -fsS -o "$tarball.part" "$mirror/$pool"
        mv "$tarball.part" "$tarball"
    fi
    if ! echo "$sha  $tarball" | sha256sum -c --quiet -; then
        echo "wild-debian: $tarball does not match its SHA-256; delete it to fetch again" >&2
        exit 2
    fi
    tree="$work/trees/$package"
    if [ ! -d "$tree" ]; then
        mkdir -p "$tree.part"
        tar xf "$tarball" -C "$tree.part" --strip-components=1
        mv "$tree.part" "$tree"
    fi
done < "$root/tests/wild/debian-sources.tsv"
exec python3 "$root/scripts/wild.py" --scour "$scour" --debian "$work/trees" ${check:+--check}
