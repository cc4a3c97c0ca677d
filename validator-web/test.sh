#!/usr/bin/env bash
# Tests the browser config checker: native tests of the exported API, then the page in headless
# Chromium (WebDriver). Installs Debian's chromium + chromium-driver when missing (as root),
# builds dist/ with build.sh, and leaves target/artifacts/validator-web.png (screenshot) and
# target/artifacts/validator-timing.txt (validation time of 1,000 resources).
#   bash validator-web/test.sh
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v chromium >/dev/null 2>&1 || ! command -v chromedriver >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "==> installing chromium and chromium-driver (apt)"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null
  else
    echo "chromium/chromedriver missing: apt-get install -y chromium chromium-driver (the browser test will skip)"
  fi
fi

bash validator-web/build.sh
echo
echo "==> cargo test -p meshroute-validator-web"
cargo test -p meshroute-validator-web -- --nocapture
