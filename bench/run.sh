#!/usr/bin/env bash
# make bench: generates a national corpus (all 514 districts with their sub-districts)
# for 1 week and for 52 weeks, then times `sitrep run` on each (wall, CPU, peak memory
# from GNU time; per-stage wall, CPU and memory from `sitrep run --timings`) beside the
# reading floor (the same files only opened and iterated), and the weekly run over the
# year's folder (the earlier weeks in the cache, the last one new). Raw figures go to
# bench/latest.md; bench/results.md keeps the hand-written comparisons between versions.
# Each timed run is repeated RUNS times (3 unless set): a 2-core machine's times for the
# same run vary by a tenth or more, so the median run's stages are shown, with every
# run's wall time, CPU time and peak memory. The weekly run, half a second whose changes
# are a few hundredths, is repeated WEEKLY_RUNS times (7 unless set).
# Needs python3 with xlwt (pip install xlwt) for the generator and GNU time.
set -euo pipefail
cd "$(dirname "$0")/.."
DATA="${BENCH_DATA:-$HOME/.cache/sitrep-bench}"
WEEKS_LONG="${WEEKS_LONG:-52}"
# The release profile is optimised as one unit (fat LTO): ~18 minutes from clean, ~9
# after an edit, and quiet meanwhile.
echo "building the release binary (fat LTO: up to ~18 minutes from clean)..." >&2
cargo build --release --quiet
cargo build --release --quiet --example calamine_floor
# Wherever cargo puts its builds (CARGO_TARGET_DIR, a cargo config, or ./target).
TARGET="$(cargo metadata --format-version 1 --no-deps | python3 -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])')"
BIN="$TARGET/release/sitrep"
FLOOR="$TARGET/release/examples/calamine_floor"
[ -d "$DATA/week1" ] || python3 bench/make_national.py "$DATA/week1" 1
[ -d "$DATA/year" ] || python3 bench/make_national.py "$DATA/year" "$WEEKS_LONG"
out=bench/latest.md
RUNS="${RUNS:-3}"
WEEKLY_RUNS="${WEEKLY_RUNS:-7}"
scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT
# timed PREPARE CMD...: runs `eval PREPARE` then CMD --timings, RUNS times; prints the
# stages of the run with the median wall time, then one line per run.
timed() {
  local prepare=$1 i
  shift
  for i in $(seq "$RUNS"); do
    eval "$prepare"
    /usr/bin/time -o "$scratch/time$i" -f "%e s wall, %U s user, %S s sys, %M KB peak RSS" "$@" --timings > "$scratch/run$i" 2>&1 || true
  done
  local median
  median=$(for i in $(seq "$RUNS"); do echo "$(cut -d' ' -f1 "$scratch/time$i") $i"; done | sort -n | awk -v n="$RUNS" 'NR == int((n + 1) / 2) {print $2}')
  grep -v '^sitrep:' "$scratch/run$median" || true
  for i in $(seq "$RUNS"); do
    echo "run $i of $RUNS: $(cat "$scratch/time$i")$([ "$i" = "$median" ] && echo "  (median: its stages above)")"
  done
  # With FLOOR_S (the floor's wall time, for runs reading every file): each run's ingest
  # against it, its thread time spread over the cores (the target: within 2×).
  if [ -n "${FLOOR_S:-}" ]; then
    echo "ingest against the floor (thread time / $(nproc) cores / $FLOOR_S s): $(for i in $(seq "$RUNS"); do
      awk -v floor="$FLOOR_S" -v cores="$(nproc)" '/ingest \(thread sum\)/ {printf "%.2f× ", $4 / 1000 / cores / floor}' "$scratch/run$i"
    done)"
  fi
}
{
  echo "# sitrep benchmark"
  echo
  echo "Machine: $(nproc) cores, $(grep MemTotal /proc/meminfo | awk '{print int($2/1024)" MB"}'); sitrep $(git rev-parse --short HEAD); $(date -u +%Y-%m-%d)"
  for set in week1 year; do
    files=$(find "$DATA/$set/submissions" -type f | wc -l)
    echo
    echo "## $set ($files files)"
    echo
    echo '```'
    # The files read once first, so that the floor and sitrep both find them in the page
    # cache (the floor ran first on a cold cache and took 0.05–0.5 s for the same week).
    find "$DATA/$set/submissions" -type f -exec cat {} + > /dev/null
    floor=$("$FLOOR" "$DATA/$set/submissions")
    echo "$floor"
    floor_s=$(echo "$floor" | sed -E 's/.*, ([0-9.]+) s wall.*/\1/')
    echo "# first run (no cache)"
    FLOOR_S=$floor_s timed "rm -rf '$DATA/$set/out'" "$BIN" run "$DATA/$set/submissions" --targets "$DATA/$set/sasaran.csv" --out "$DATA/$set/out" --quiet
    echo
    echo "# the same run again: every file from the incremental cache"
    timed ":" "$BIN" run "$DATA/$set/submissions" --targets "$DATA/$set/sasaran.csv" --out "$DATA/$set/out" --quiet
    if [ "$set" = week1 ]; then
      # The weekly run below writes the archive too: the week's first run with it, to
      # compare like with like.
      echo
      echo "# the first run again, with --archive (as the weekly run below)"
      FLOOR_S=$floor_s timed "rm -rf '$DATA/$set/out' '$scratch/arsip'" "$BIN" run "$DATA/$set/submissions" --targets "$DATA/$set/sasaran.csv" --out "$DATA/$set/out" --archive "$scratch/arsip" --quiet
    fi
    echo '```'
  done
  # The weekly run: a folder holding every week but the last (hard links, or copies
  # when the data is on another file system) is run once to fill the cache; then the
  # last week arrives and is run as a user would, with the archive too.
  W="$DATA/weekly"
  rm -rf "$W" && mkdir -p "$W/submissions"
  weeks=$(ls "$DATA/year/submissions")
  last=$(echo "$weeks" | tail -1)
  for wk in $(echo "$weeks" | head -n -1); do
    cp -al "$DATA/year/submissions/$wk" "$W/submissions/$wk" 2>/dev/null || cp -r "$DATA/year/submissions/$wk" "$W/submissions/$wk"
  done
  # Before each timed run: the last week taken out and the folder run (its cache and
  # archive then hold the other weeks), then the last week put back.
  before_last_week() {
    rm -rf "$W/submissions/$last"
    "$BIN" run "$W/submissions" --targets "$DATA/year/sasaran.csv" --out "$W/out" --archive "$W/arsip" --quiet >/dev/null 2>&1 || true
    cp -al "$DATA/year/submissions/$last" "$W/submissions/$last" 2>/dev/null || cp -r "$DATA/year/submissions/$last" "$W/submissions/$last"
  }
  echo
  echo "## weekly run over the year's folder (week $last new, the others cached; with --archive)"
  echo
  echo '```'
  RUNS=$WEEKLY_RUNS timed before_last_week "$BIN" run "$W/submissions" --targets "$DATA/year/sasaran.csv" --out "$W/out" --archive "$W/arsip" --quiet
  echo
  echo "# the same, listing what changed since the last run (--previous: its own output)"
  RUNS=$WEEKLY_RUNS timed before_last_week "$BIN" run "$W/submissions" --targets "$DATA/year/sasaran.csv" --out "$W/out" --archive "$W/arsip" --previous "$W/out" --quiet
  # A report on an earlier week (a rakor asks for last quarter's): every week is checked
  # again, from the cache, as the checks kept are the latest week's.
  earlier=$(echo "$weeks" | sed -n 22p)
  echo
  echo "# a report on an earlier week ($earlier) from the cache (--period)"
  timed ":" "$BIN" run "$W/submissions" --targets "$DATA/year/sasaran.csv" --out "$W/out" --quiet --period "$earlier"
  # The same from the archive alone (`sitrep report --archive`, no submissions), and the
  # week before the last (51 weeks of history, every week's table exported again).
  before=$(echo "$weeks" | tail -2 | head -1)
  for p in "$earlier" "$before"; do
    echo
    echo "# a report on $p re-rendered from the archive alone (sitrep report --archive)"
    timed "rm -rf '$scratch/report'" "$BIN" report --archive "$W/arsip" --period "$p" --out "$scratch/report" --quiet
  done
  echo '```'
} | tee "$out"
