#!/usr/bin/env bash
# Runs every libFuzzer target in fuzz/ for a few seconds each (default 5): a smoke test that the
# targets build, that no known-bad input has come back, and that a few seconds of new inputs
# find nothing. CI runs it (.ci/run). Not a substitute for long runs (scripts/fuzz-long.sh,
# fuzz/README.md). Needs cargo-fuzz (`cargo install cargo-fuzz`); a stable toolchain works
# through RUSTC_BOOTSTRAP=1. Exits 1 when a target crashes (panic, failed assertion, an input
# running past 60 s, more than 2 GiB), printing the end of its log and where its input is.
#
# The targets are built once, in one cargo invocation, without a sanitizer (`-s none`): scour
# is safe Rust, ASan makes the build half as long again (454 s of CPU against 299 s on a 2-core
# machine) and each input slower, and overflow checks and debug assertions (`-a`) are what catch
# its bugs. SCOUR_FUZZ_SANITIZER=address builds with ASan instead.
set -euo pipefail
seconds=${1:-5}
sanitizer=${SCOUR_FUZZ_SANITIZER:-none}
cd "$(dirname "$0")/../fuzz"
command -v cargo-fuzz >/dev/null 2>&1 || { echo "$0: cargo-fuzz is not installed (cargo install cargo-fuzz)" >&2; exit 2; }
export RUSTC_BOOTSTRAP=1
flags=(-O -a -s "$sanitizer")
cargo fuzz build "${flags[@]}"
log=$(mktemp)
trap 'rm -f "$log"' EXIT
for target in $(cargo fuzz list); do
    if ! cargo fuzz run "${flags[@]}" "$target" -- -max_total_time="$seconds" -timeout=60 \
        -rss_limit_mb=2048 -print_final_stats=1 >"$log" 2>&1; then
        # From the panic or libFuzzer's error (the input and how to reproduce it follow).
        { grep -q -m1 -E 'panicked at|ERROR: libFuzzer' "$log" \
            && sed -n -E '/panicked at|ERROR: libFuzzer/,$p' "$log" | head -n 60 \
            || tail -n 40 "$log"; } >&2
        echo "$0: $target crashed; the input is in fuzz/artifacts/$target/" >&2
        exit 1
    fi
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
    echo "$target: ${runs:-?} inputs in ${seconds} s, no crash"
done
echo "fuzz smoke: every target ran ${seconds} s without a crash"
