#!/usr/bin/env bash
# Runs every libFuzzer target in fuzz/ for a few seconds each (default 5): a smoke test that the
# targets build and that no known-bad input has come back. Not a substitute for long runs
# (fuzz/README.md). Needs cargo-fuzz (`cargo install cargo-fuzz`); a stable toolchain works
# through RUSTC_BOOTSTRAP=1.
set -euo pipefail
seconds=${1:-5}
cd "$(dirname "$0")/../fuzz"
command -v cargo-fuzz >/dev/null 2>&1 || { echo "$0: cargo-fuzz is not installed (cargo install cargo-fuzz)" >&2; exit 2; }
export RUSTC_BOOTSTRAP=1
cargo fuzz build -O
log=$(mktemp)
trap 'rm -f "$log"' EXIT
for target in $(cargo fuzz list); do
    if ! cargo fuzz run -O "$target" -- -max_total_time="$seconds" -print_final_stats=1 >"$log" 2>&1; then
        tail -n 40 "$log" >&2
        echo "$0: $target crashed; the input is in fuzz/artifacts/$target/" >&2
        exit 1
    fi
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
    echo "$target: ${runs:-?} inputs in ${seconds} s, no crash"
done
echo "fuzz smoke: every target ran ${seconds} s without a crash"
