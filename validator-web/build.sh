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
# Examples, listed in dist/examples/index.json as {"name": "file"}:
# - a directory of plain resources (examples/seed) becomes one example, its files joined;
# - a meshroute config file (`proxy:` at the top) becomes one example with its `include:`
#   entries (files, or directories read in name order, as the CLI reads them) inlined under
#   `resources: |`, since the page has no file system.
yaml_files() { find "$1" -maxdepth 1 -type f \( -name '*.yaml' -o -name '*.yml' -o -name '*.json' \) | LC_ALL=C sort; }
indent_docs() { # files... → their text joined with ---, indented two spaces
  local first=1 f
  for f in "$@"; do
    [ $first = 1 ] || echo "  ---"
    first=0
    sed -e 's/[[:space:]]*$//' -e 's/^./  &/' "$f"
  done
}
inline_config() { # config file → the config with its include list inlined
  local f=$1 dir list item p
  dir=$(dirname "$f")
  list=$(sed -n 's/^include:[[:space:]]*\[\(.*\)\].*/\1/p' "$f")
  grep -v '^include:' "$f"
  [ -n "$list" ] || return 0
  local files=()
  IFS=',' read -ra items <<<"$list"
  for item in "${items[@]}"; do
    item=$(echo "$item" | tr -d " \"'")
    p="$dir/$item"
    if [ -d "$p" ]; then
      while IFS= read -r x; do files+=("$x"); done < <(yaml_files "$p")
    elif [ -f "$p" ]; then
      files+=("$p")
    else
      echo "  (include $item not found)" >&2
    fi
  done
  echo "resources: |"
  indent_docs "${files[@]}"
}
mkdir -p "$out/examples"
index="{"
sep=""
add_example() { index="$index$sep\"$1\":\"$2\""; sep=","; }
for dir in "$root"/examples/*/; do
  [ -d "$dir" ] || continue
  name=$(basename "$dir")
  # examples/ci holds CI tooling (workflows, hooks, route tests), not Istio config.
  [ "$name" = ci ] && continue
  plain=()
  while IFS= read -r f; do
    if grep -q '^proxy:' "$f"; then
      base=$(basename "$f"); base=${base%.*}
      inline_config "$f" >"$out/examples/$name-$base.yaml"
      add_example "$name/$base" "$name-$base.yaml"
    else
      plain+=("$f")
    fi
  done < <(yaml_files "$dir")
  if [ ${#plain[@]} -gt 0 ]; then
    first=1
    for f in "${plain[@]}"; do
      [ $first = 1 ] || echo "---"
      first=0
      sed -e 's/[[:space:]]*$//' "$f"
    done >"$out/examples/$name.yaml"
    add_example "$name" "$name.yaml"
  fi
done
echo "$index}" >"$out/examples/index.json"
echo "examples: $(ls "$out/examples" | grep -c yaml) ($(cat "$out/examples/index.json" | head -c 300)…)"

raw=$(stat -c %s "$wasm")
gz=$(gzip -9 -c "$wasm" | wc -c)
step "done: $out"
ls -l "$out" | sed 1d
printf 'wasm: %s bytes raw, %s bytes gzipped (%s KiB)\n' "$raw" "$gz" "$((gz / 1024))"
echo "serve: python3 -m http.server -d validator-web/dist 8000 --bind 127.0.0.1"
