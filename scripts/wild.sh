#!/usr/bin/env bash
# Builds scour and measures it on the shared real-repository corpora (see scripts/wild.py).
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --quiet
exec python3 scripts/wild.py "$@"
