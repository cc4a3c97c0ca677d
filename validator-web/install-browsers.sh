#!/usr/bin/env bash
# Installs what the browser tests (validator-web/tests/browser.rs) drive, when missing:
# Debian's chromium + chromium-driver and firefox-esr (apt-get, as root), and geckodriver from
# crates.io (cargo install; Debian has no package). With --required, a browser still missing
# afterwards is an error (scripts/test.sh); without, the test that needs it prints one line and
# passes (validator-web/test.sh).
#   bash validator-web/install-browsers.sh [--required]
set -euo pipefail
required=${1:-}
have() { command -v "$1" >/dev/null 2>&1; }
cargo_bin=${CARGO_HOME:-$HOME/.cargo}/bin
have_geckodriver() { have geckodriver || [ -x "$cargo_bin/geckodriver" ]; }
missing=()
{ have chromium && have chromedriver; } || missing+=(chromium chromium-driver)
{ have firefox-esr || have firefox; } || missing+=(firefox-esr)
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && have apt-get; then
    echo "installing ${missing[*]} (apt)"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  else
    echo "missing: ${missing[*]} (apt-get install -y ${missing[*]}, as root)"
  fi
fi
if ! have_geckodriver; then
  echo "installing geckodriver (cargo install, from crates.io; a few minutes)"
  cargo install --quiet --locked geckodriver --version 0.37.1 || echo "geckodriver could not be installed"
fi
if [ "$required" = --required ]; then
  { have chromium && have chromedriver; } \
    || { echo "chromium/chromedriver are missing and could not be installed (the browser test needs them)"; exit 1; }
  { have firefox-esr || have firefox; } && have_geckodriver \
    || { echo "firefox-esr/geckodriver are missing and could not be installed (the browser test needs them)"; exit 1; }
fi
