#!/usr/bin/env bash
# Runs every fuzz target for RUNS executions (default one million) from the seeds and
# the corpus gathered so far. Needs cargo-fuzz (`cargo install cargo-fuzz`);
# RUSTC_BOOTSTRAP lets stable Rust accept the flags cargo-fuzz passes.
#   bash fuzz/run-all.sh                 # all targets
#   RUNS=200000 bash fuzz/run-all.sh workbook
set -euo pipefail
cd "$(dirname "$0")"
RUNS="${RUNS:-1000000}"
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(cells names delimited workbook)
for t in "${targets[@]}"; do
  mkdir -p "corpus/$t"
  echo "== $t"
  RUSTC_BOOTSTRAP=1 cargo fuzz run -O --sanitizer none "$t" "corpus/$t" "seeds/$t" -- \
    -runs="$RUNS" -max_len=32768 -rss_limit_mb=2048 -timeout=30 -print_final_stats=1 2>&1 \
    | grep -E "^Done [0-9]+ runs|stat::number_of_executed_units|panicked|SUMMARY|Test unit written" || true
done
