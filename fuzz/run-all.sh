#!/usr/bin/env bash
# Runs every fuzz target for RUNS executions in all (default one million) from the seeds
# and the corpus gathered so far, split over JOBS processes (default 1) that share the
# corpus. Needs cargo-fuzz (`cargo install cargo-fuzz`); RUSTC_BOOTSTRAP lets stable
# Rust accept the flags cargo-fuzz passes. Built without comparison tracing: about three
# times the executions per second, coverage still guides the search.
#   bash fuzz/run-all.sh                          # all targets, one process each
#   RUNS=200000 JOBS=2 bash fuzz/run-all.sh workbook
# Crashes, timeouts and out-of-memory inputs go to fuzz/artifacts/<target>/, the
# libFuzzer output to fuzz/logs/<target>.log.
set -euo pipefail
cd "$(dirname "$0")"
RUNS="${RUNS:-1000000}"
JOBS="${JOBS:-1}"
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(cells names delimited workbook)
export RUSTC_BOOTSTRAP=1
export CARGO_TARGET_DIR="${FUZZ_TARGET_DIR:-$HOME/.cache/sitrep-fuzz-target}"
host="$(rustc -vV | sed -n 's/^host: //p')"
for t in "${targets[@]}"; do
  mkdir -p "corpus/$t" "artifacts/$t" logs
  echo "== $t: $RUNS executions in $JOBS process(es)"
  cargo fuzz build -O --sanitizer none --no-trace-compares "$t"
  bin="$CARGO_TARGET_DIR/$host/release/$t"
  flags=(-max_len=32768 -rss_limit_mb=2048 -timeout=120 -print_final_stats=1 "-artifact_prefix=artifacts/$t/")
  rm -f fuzz-*.log
  if [ "$JOBS" -gt 1 ]; then
    # Each job writes fuzz-<n>.log in the current folder.
    "$bin" "${flags[@]}" -runs=$((RUNS / JOBS)) -jobs="$JOBS" -workers="$JOBS" "corpus/$t" "seeds/$t" >/dev/null 2>&1 || true
    cat fuzz-*.log > "logs/$t.log" && rm -f fuzz-*.log
  else
    "$bin" "${flags[@]}" -runs="$RUNS" "corpus/$t" "seeds/$t" > "logs/$t.log" 2>&1 || true
  fi
  grep -E "panicked|SUMMARY|Test unit written" "logs/$t.log" || true
  echo "executions: $(grep -h stat::number_of_executed_units "logs/$t.log" | awk '{s += $2} END {print s + 0}')"
done
