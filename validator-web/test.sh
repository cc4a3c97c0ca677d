#!/usr/bin/env bash
# Tests the browser config checker: native tests of the exported API, then the page in headless
# Chromium and headless Firefox (WebDriver). Installs the browsers and drivers when missing
# (install-browsers.sh), builds dist/ with build.sh, and leaves target/artifacts/validator-web*.png
# (screenshots) and target/artifacts/validator-timing*.txt (validation time of 1,000 resources).
#   bash validator-web/test.sh
set -euo pipefail
cd "$(dirname "$0")/.."

bash validator-web/install-browsers.sh

bash validator-web/build.sh
echo
echo "==> cargo test -p meshroute-validator-web"
cargo test -p meshroute-validator-web -- --nocapture
