#!/usr/bin/env bash
# Short fuzz run: every target for FUZZ_SECONDS (default 60) seconds, one after the other, from
# the seeded corpus. Installs cargo-fuzz and a nightly toolchain when missing; skips (one line,
# success) only when they cannot be installed.
# Built without a sanitizer: core and filter forbid unsafe code, and ASan costs 5-10x the
# executions (run with `-s address` now and then for the dependencies' unsafe code).
#   bash fuzz/run-short.sh            # called by scripts/test.sh
#   FUZZ_SECONDS=600 bash fuzz/run-short.sh
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${FUZZ_SECONDS:-60}
# Install what is missing (a nightly toolchain from rustup, cargo-fuzz from crates.io); skip with
# one line only when that is impossible (no network, no rustup).
if ! rustup run nightly rustc --version >/dev/null 2>&1; then
  echo "fuzz: installing a nightly toolchain (rustup toolchain install nightly --profile minimal)"
  rustup toolchain install nightly --profile minimal >/dev/null 2>&1 || true
fi
if ! cargo fuzz --version >/dev/null 2>&1; then
  echo "fuzz: installing cargo-fuzz from crates.io (cargo install cargo-fuzz --locked; a few minutes)"
  cargo install --quiet cargo-fuzz --locked >/dev/null 2>&1 || true
fi
if ! cargo fuzz --version >/dev/null 2>&1 || ! rustup run nightly rustc --version >/dev/null 2>&1; then
  echo "fuzz: skipped (needs cargo-fuzz and a nightly toolchain, and they could not be installed: cargo install cargo-fuzz; rustup toolchain install nightly)"
  exit 0
fi
bash fuzz/seed-corpus.sh >/dev/null
marker=$(mktemp)
trap 'rm -f "$marker"' EXIT
for t in load_validate compile_route filter_plan; do
  echo "fuzz: $t for ${secs}s"
  touch "$marker"
  # -rss_limit_mb: memory must stay bounded; -timeout: one input must not take seconds.
  cargo +nightly fuzz run --sanitizer none "$t" "fuzz/corpus/$t" -- \
    -max_total_time="$secs" -rss_limit_mb=2048 -timeout=10 -print_final_stats=1 2>&1 |
    grep -E "^(stat::number_of_executed_units|stat::peak_rss_mb|==[0-9]+==|SUMMARY|Done|INFO: Running with)|panicked|Test unit written|thread '" || true
  # A crash, OOM or timeout leaves an input in fuzz/artifacts/<target>/ (reproduce with
  # `cargo +nightly fuzz run <target> <file>`).
  found=$(find "fuzz/artifacts/$t" -type f -newer "$marker" 2>/dev/null || true)
  if [ -n "$found" ]; then
    echo "fuzz: $t found a failing input: $found"
    exit 1
  fi
done
echo "fuzz: no crashes"
