#!/usr/bin/env bash
# Compiles the meshroute configs for docker-compose.yml into the run directory that compose
# mounts read-only at /etc/meshroute (default target/docker, or $MESHROUTE_RUN_DIR):
#   gateway.yaml, sidecar.yaml            Envoy bootstraps (written once; Envoy reads them at start)
#   gateway/ecds/meshroute.yaml, gateway/cds/{clusters,eds-*}.yaml   the gateway filter's config
#   sidecar/ecds/meshroute.yaml, sidecar/cds/{clusters,eds-*}.yaml   the sleep sidecar filter's config
#   meshroute_filter.wasm                 the filter
# Every path inside is relative to /etc/meshroute (the containers' working directory).
# The files are replaced atomically; running Envoys pick them up within a second, without a
# restart. A config with errors is refused here, and the running one keeps serving.
#
#   bash docker/reload.sh [CONFIG_DIR]      # default examples/docker (gateway.yaml, sidecar.yaml)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
target=${CARGO_TARGET_DIR:-$root/target}
config_dir=$(cd "${1:-$root/examples/docker}" && pwd)
run_dir=${MESHROUTE_RUN_DIR:-$root/target/docker}
case $run_dir in /*) ;; *) run_dir="$root/$run_dir" ;; esac
meshroute=${MESHROUTE_BIN:-$target/debug/meshroute}
[ -x "$meshroute" ] || meshroute=$(command -v meshroute || true)
if [ -z "$meshroute" ]; then
  echo "reload.sh: no meshroute binary; build it: cargo build -p meshroute-cli" >&2
  exit 2
fi
wasm=$target/wasm32-wasip1/wasm-release/meshroute_filter.wasm
mkdir -p "$run_dir"
# The wasm is copied (temp file + rename): a running Envoy reads it again on each config update.
if ! cmp -s "$wasm" "$run_dir/meshroute_filter.wasm" 2>/dev/null; then
  cp "$wasm" "$run_dir/.meshroute_filter.wasm.tmp"
  chmod 644 "$run_dir/.meshroute_filter.wasm.tmp"   # read by the image's non-root envoy user
  mv "$run_dir/.meshroute_filter.wasm.tmp" "$run_dir/meshroute_filter.wasm"
fi
cd "$run_dir"
compile() { # name listen admin
  # The bootstrap is written too: Envoy reads it only at start, but a meshroute upgrade can change
  # it together with the filter (routes the filter relies on); then the container needs a restart.
  local before=
  [ -f "$1.yaml" ] && before=$(cksum < "$1.yaml")
  "$meshroute" bootstrap -c "$config_dir/$1.yaml" -o . --relative \
    --envoy-file "$1.yaml" --ecds-dir "$1/ecds" --wasm meshroute_filter.wasm \
    --listen "$2" --admin "$3" --access-log /dev/stdout >/dev/null
  echo "$1: $run_dir/$1/ecds/meshroute.yaml"
  if [ -n "$before" ] && [ "$before" != "$(cksum < "$1.yaml")" ]; then
    echo "$1: the Envoy bootstrap $1.yaml changed (a new meshroute version): restart that container" >&2
  fi
}
compile gateway 0.0.0.0:8080 0.0.0.0:15000
compile sidecar 127.0.0.1:15001 127.0.0.1:15000
# The official image runs Envoy as its unprivileged `envoy` user: everything must be readable.
chmod -R a+rX "$run_dir"
