#!/usr/bin/env bash
# Regenerates the checked-in bootstraps from the seed configs (run from anywhere; paths inside
# are relative to the repository root, where Envoy must be started).
set -euo pipefail
cd "$(dirname "$0")/.."
mr=${MESHROUTE_BIN:-target/debug/meshroute}
wasm=target/wasm32-wasip1/wasm-release/meshroute_filter.wasm
"$mr" bootstrap -c examples/configs/seed-gateway.yaml -o envoy-configs --envoy-file gateway.yaml \
  --ecds-dir envoy-configs/gateway/ecds --relative --wasm "$wasm" \
  --listen 127.0.0.1:8080 --listener-port 8080 --admin 127.0.0.1:15000 2>/dev/null
"$mr" bootstrap -c examples/configs/seed-sidecar.yaml -o envoy-configs --envoy-file sidecar.yaml \
  --ecds-dir envoy-configs/sidecar/ecds --relative --wasm "$wasm" \
  --listen 127.0.0.1:15001 --admin 127.0.0.1:15004 2>/dev/null
