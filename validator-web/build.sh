#!/usr/bin/env bash
# Builds meshroute's browser config checker into validator-web/dist/, ready to serve as static
# files:
#   bash validator-web/build.sh
#   python3 -m http.server -d validator-web/dist 8000 --bind 127.0.0.1   # then open the URL
#
# Steps: wasm-bindgen-cli at the exact version in Cargo.lock (installed from crates.io when
# missing), the wasm32-unknown-unknown build (profile wasm-release), `wasm-bindgen --target web`,
# `wasm-opt -Oz` when binaryen is installed (optional: `apt-get install binaryen`), then the page
# (www/) and the examples (examples/*/*.yaml). Prints the .wasm size raw and gzipped.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
target_dir=${CARGO_TARGET_DIR:-$root/target}
out="$root/validator-web/dist"
step() { printf '\n==> %s\n' "$*"; }

# The CLI must match the wasm-bindgen crate exactly, or the generated glue does not fit.
ver=$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/"/, "", $3); print $3; exit }' Cargo.lock)
[ -n "$ver" ] || { echo "wasm-bindgen is not in Cargo.lock"; exit 1; }
have=$(wasm-bindgen --version 2>/dev/null | awk '{print $2}' || true)
if [ "$have" != "$ver" ]; then
  step "installing wasm-bindgen-cli $ver (found: ${have:-none}); it compiles from source and takes several minutes"
  if ! cargo install wasm-bindgen-cli --version "$ver" --locked; then
    # Its lock file can pin a dependency version the registry no longer serves (yanked).
    echo "cargo install --locked failed; retrying with freshly resolved dependencies"
    cargo install wasm-bindgen-cli --version "$ver"
  fi
fi
if command -v rustup >/dev/null 2>&1 && ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  rustup target add wasm32-unknown-unknown
fi

step "cargo build -p meshroute-validator-web --target wasm32-unknown-unknown --profile wasm-release"
cargo build -p meshroute-validator-web --target wasm32-unknown-unknown --profile wasm-release
wasm_in="$target_dir/wasm32-unknown-unknown/wasm-release/meshroute_validator_web.wasm"

if command -v wasm-opt >/dev/null 2>&1; then
  # wasm-opt runs on cargo's output, before wasm-bindgen: binaryen releases older than
  # wasm-bindgen's externref table (Debian 12 ships 108) break it when run afterwards
  # ("WebAssembly.Table.set(): Argument 1 is invalid for table").
  step "wasm-opt -Oz ($(wasm-opt --version))"
  opt_dir="$target_dir/validator-web-opt"
  mkdir -p "$opt_dir"
  # Rust enables these proposals by default; older binaryen needs them spelled out.
  features=(--enable-bulk-memory --enable-sign-ext --enable-mutable-globals
            --enable-nontrapping-float-to-int --enable-reference-types --enable-multivalue)
  if wasm-opt -Oz "${features[@]}" "$wasm_in" -o "$opt_dir/meshroute_validator_web.wasm" 2>"$opt_dir/log"; then
    # Keep it only if it is smaller gzipped (what is served): old binaryen's -Oz can shrink
    # the raw module yet grow the gzipped one.
    before=$(gzip -9 -c "$wasm_in" | wc -c)
    after=$(gzip -9 -c "$opt_dir/meshroute_validator_web.wasm" | wc -c)
    echo "gzipped: $before bytes before wasm-opt, $after after"
    if [ "$after" -lt "$before" ]; then
      wasm_in="$opt_dir/meshroute_validator_web.wasm"
    else
      echo "keeping the module without wasm-opt (smaller gzipped)"
    fi
  else
    echo "wasm-opt failed (using the unoptimised module):"
    sed -n 1,5p "$opt_dir/log"
  fi
else
  echo "(wasm-opt not found: skipping; apt-get install binaryen for a smaller module)"
fi

step "wasm-bindgen $ver --target web --out-dir validator-web/dist"
rm -rf "$out"
mkdir -p "$out"
# (Its warning about the missing target_features section comes from `strip = true` in the
# wasm-release profile the filter shares; the generated glue works with stripped input.)
wasm-bindgen --target web --out-dir "$out" "$wasm_in"
wasm="$out/meshroute_validator_web_bg.wasm"

step "page and examples"
cp "$root"/validator-web/www/* "$out/"
# examples/<name>/*.yaml → dist/examples/<name>/, listed in dist/examples/index.json.
mkdir -p "$out/examples"
index="{"
sep=""
for dir in "$root"/examples/*/; do
  [ -d "$dir" ] || continue
  name=$(basename "$dir")
  files=()
  for f in "$dir"*.yaml "$dir"*.yml "$dir"*.json; do
    [ -f "$f" ] && files+=("$(basename "$f")")
  done
  [ ${#files[@]} -gt 0 ] || continue
  mkdir -p "$out/examples/$name"
  list=""
  for f in "${files[@]}"; do
    cp "$dir$f" "$out/examples/$name/"
    list="$list${list:+,}\"$f\""
  done
  index="$index$sep\"$name\":[$list]"
  sep=","
done
echo "$index}" >"$out/examples/index.json"
echo "examples: $(cat "$out/examples/index.json")"

raw=$(stat -c %s "$wasm")
gz=$(gzip -9 -c "$wasm" | wc -c)
step "done: $out"
ls -l "$out" | sed 1d
printf 'wasm: %s bytes raw, %s bytes gzipped (%s KiB)\n' "$raw" "$gz" "$((gz / 1024))"
echo "serve: python3 -m http.server -d validator-web/dist 8000 --bind 127.0.0.1"
