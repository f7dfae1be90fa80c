#!/usr/bin/env bash
# Long fuzzing runs, measured in CPU time: runs every libFuzzer target in fuzz/ (or the ones
# named) until each has spent MINUTES of CPU time (user + system, read from /proc, not
# wall-clock), at most JOBS fuzzers at once, each under `nice -n 19` so that it only takes CPU
# nobody else wants. Targets take turns in chunks (the one with the least CPU so far goes next),
# so a run stopped early leaves them evenly fuzzed, and a run started again picks up where the
# last stopped: the CPU spent, inputs run and crashes are kept per target in WORKDIR.
#
#   scripts/fuzz-long.sh [-m MINUTES] [-c CHUNK] [-j JOBS] [-w WORKDIR] [-s SANITIZER] [TARGET...]
#
#   -m MINUTES    CPU minutes per target (default 30)
#   -c CHUNK      CPU minutes per turn (default 10)
#   -j JOBS       fuzzers at once (default 2)
#   -w WORKDIR    corpora, crashes, logs and the build (default ~/.cache/scour-fuzz); outside the
#                 repository, so corpora never end up in a commit. fuzz/corpus/TARGET, if there,
#                 seeds it.
#   -s SANITIZER  address | none (default none: scour and its dependencies are safe Rust but for
#                 a few well-fuzzed crates; without ASan a target runs 2-3 times more inputs per
#                 CPU second). Overflow checks and debug assertions are on either way.
#
# Prints and appends to WORKDIR/fuzz-long.log one line per turn, and a table at the end:
# target, CPU seconds, inputs run, crashes. A crash (panic, failed assertion, one input running
# past 120 s of wall-clock time (generous: a niced fuzzer may wait long for a core), more than
# 2 GiB) stops that target; its input is in WORKDIR/artifacts/TARGET/ and its log in
# WORKDIR/logs/. The exit status is 1 if any target crashed. SIGINT or SIGTERM to the script
# stops the fuzzers and records their turns.
set -euo pipefail

minutes=30 chunk=10 jobs=2 sanitizer=none
work=${XDG_CACHE_HOME:-$HOME/.cache}/scour-fuzz
while getopts m:c:j:w:s: opt; do
    case $opt in
        m) minutes=$OPTARG ;;
        c) chunk=$OPTARG ;;
        j) jobs=$OPTARG ;;
        w) work=$OPTARG ;;
        s) sanitizer=$OPTARG ;;
        *) sed -n '2,/^set /p' "$0" | sed '$d' >&2; exit 2 ;;
    esac
done
shift $((OPTIND - 1))

repo=$(cd "$(dirname "$0")/.." && pwd)
command -v cargo-fuzz >/dev/null 2>&1 || { echo "$0: cargo-fuzz is not installed (cargo install cargo-fuzz)" >&2; exit 2; }
mkdir -p "$work"/{corpus,artifacts,logs,ledger}
work=$(cd "$work" && pwd)
export RUSTC_BOOTSTRAP=1

cd "$repo/fuzz"
targets=("$@")
[ ${#targets[@]} -gt 0 ] || mapfile -t targets < <(cargo fuzz list)
echo "building ${targets[*]} (sanitizer: $sanitizer) in $work/target"
nice -n 19 cargo fuzz build -O -a -s "$sanitizer" --target-dir "$work/target"
bin=$work/target/x86_64-unknown-linux-gnu/release

goal=$((minutes * 60)) step=$((chunk * 60)) tick=$(getconf CLK_TCK)
log=$work/fuzz-long.log
lock=$work/.lock

# ledger/TARGET: one line per turn, "cpu_seconds inputs rc"; ledger/TARGET.crashed once crashed;
# ledger/TARGET.running while a fuzzer runs it (holding the fuzzer's pid once known).
spent() { awk '{s += $1} END {printf "%d", s}' "$work/ledger/$1" 2>/dev/null || echo 0; }
inputs() { awk '{s += $2} END {printf "%d", s}' "$work/ledger/$1" 2>/dev/null || echo 0; }

# Under the lock: the target with the least CPU spent that is below the goal, not crashed and
# not running; marks it running.
claim() {
    local best="" best_cpu=""
    for t in "${targets[@]}"; do
        [ -e "$work/ledger/$t.crashed" ] || [ -e "$work/ledger/$t.running" ] && continue
        local c; c=$(spent "$t")
        [ "$c" -lt "$goal" ] || continue
        if [ -z "$best" ] || [ "$c" -lt "$best_cpu" ]; then best=$t best_cpu=$c; fi
    done
    [ -n "$best" ] && : >"$work/ledger/$best.running"
    echo "$best"
}

# CPU seconds (user + system) of a live process, from /proc/PID/stat fields 14 and 15.
cpu_of() {
    local stat
    stat=$(cat "/proc/$1/stat" 2>/dev/null) || { echo -1; return; }
    stat=${stat##*) }
    # shellcheck disable=SC2086
    set -- $stat
    echo $(( (${12} + ${13}) / tick ))
}

turn() {
    local t=$1 before budget n out timef pid fpid cpu rc runs
    before=$(spent "$t")
    budget=$(( goal - before < step ? goal - before : step ))
    n=0
    [ -e "$work/ledger/$t" ] && n=$(wc -l <"$work/ledger/$t")
    out=$work/logs/$t.$n.log timef=$work/logs/$t.$n.time
    mkdir -p "$work/corpus/$t" "$work/artifacts/$t"
    local seeds=()
    [ -d "$repo/fuzz/corpus/$t" ] && seeds=("$repo/fuzz/corpus/$t")
    # /usr/bin/time reports the fuzzer's exact CPU time once it exits; while it runs, its
    # /proc/PID/stat decides when to stop it. libFuzzer runs as one process (no -fork).
    /usr/bin/time -f '%U %S' -o "$timef" nice -n 19 "$bin/$t" \
        -artifact_prefix="$work/artifacts/$t/" -timeout=120 -rss_limit_mb=2048 \
        -print_final_stats=1 "$work/corpus/$t" "${seeds[@]}" >"$out" 2>&1 &
    pid=$!
    fpid=""
    while [ -z "$fpid" ] && kill -0 "$pid" 2>/dev/null; do
        fpid=$(pgrep -P "$pid" || true)
        [ -n "$fpid" ] || sleep 0.2
    done
    [ -n "$fpid" ] && echo "$fpid" >"$work/ledger/$t.running"
    while [ -n "$fpid" ] && kill -0 "$fpid" 2>/dev/null; do
        cpu=$(cpu_of "$fpid")
        if [ "$cpu" -ge "$budget" ] || [ -e "$work/.stop" ]; then
            kill -INT "$fpid" 2>/dev/null || true
            break
        fi
        sleep 5
    done
    rc=0
    wait "$pid" || rc=$?
    # time's last line is "user system" (a line before it notes a non-zero exit).
    cpu=$(tail -n 1 "$timef" 2>/dev/null | awk '{printf "%d", $1 + $2 + 0.5}')
    cpu=${cpu:-0}
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$out" | tail -n 1)
    flock "$lock" sh -c "echo '$cpu ${runs:-0} $rc' >>'$work/ledger/$t'; rm -f '$work/ledger/$t.running'"
    # libFuzzer exits 72 when interrupted (our stop), 0 when done; anything else is a finding.
    local verdict=ok
    if [ "$rc" -ne 0 ] && [ "$rc" -ne 72 ]; then
        verdict="CRASH (exit $rc): $(grep -m1 -oE "$work/artifacts/$t/[^ ]+" "$out" || echo "see $out")"
        echo "$verdict" >"$work/ledger/$t.crashed"
    fi
    printf '%s %-14s turn %d: %5d s CPU, %10s inputs; total %5d s CPU, %d inputs; %s\n' \
        "$(date +%FT%T)" "$t" "$n" "$cpu" "${runs:-?}" "$(spent "$t")" "$(inputs "$t")" "$verdict" \
        | tee -a "$log"
}

worker() {
    local t
    while [ ! -e "$work/.stop" ]; do
        t=$({ flock 9; claim; } 9>>"$lock")
        [ -n "$t" ] || break
        turn "$t"
    done
}

stop() {
    # No new turns; interrupt the running fuzzers (they print their stats and exit 72), and let
    # the workers record their turns.
    : >"$work/.stop"
    local f pid
    for f in "$work"/ledger/*.running; do
        pid=$(cat "$f" 2>/dev/null) || continue
        [ -n "$pid" ] && kill -INT "$pid" 2>/dev/null || true
    done
}
trap stop INT TERM

rm -f "$work/.stop"
for t in "${targets[@]}"; do rm -f "$work/ledger/$t.running"; done
echo "$(date +%FT%T) fuzzing ${targets[*]}: $minutes CPU min each, $chunk min turns, $jobs at once, work in $work" | tee -a "$log"
for _ in $(seq "$jobs"); do worker & done
# A trapped signal ends the first wait early; the second waits for the workers to finish.
wait || true
wait || true

echo
printf '%-14s %10s %14s  %s\n' target "CPU s" inputs crashes
status=0
for t in "${targets[@]}"; do
    crashes=none
    if [ -e "$work/ledger/$t.crashed" ]; then crashes=$(cat "$work/ledger/$t.crashed"); status=1; fi
    printf '%-14s %10d %14d  %s\n' "$t" "$(spent "$t")" "$(inputs "$t")" "$crashes"
done | tee -a "$log"
exit $status
