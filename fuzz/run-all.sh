#!/usr/bin/env bash
# Runs every fuzz target for RUNS executions (default one million) from the seeds.
# Needs cargo-fuzz (`cargo install cargo-fuzz`); RUSTC_BOOTSTRAP lets stable Rust
# accept the flags cargo-fuzz passes.
set -euo pipefail
cd "$(dirname "$0")"
RUNS="${RUNS:-1000000}"
for t in cells names delimited workbook; do
  mkdir -p "corpus/$t"
  echo "== $t"
  RUSTC_BOOTSTRAP=1 cargo fuzz run -O --sanitizer none "$t" "corpus/$t" "seeds/$t" -- -runs="$RUNS" -max_len=65536 -rss_limit_mb=2048 -timeout=10 2>&1 | grep -E "^#[0-9]+ *DONE|Done [0-9]+ runs|panicked|SUMMARY|artifact_prefix='|Test unit written" || true
done
