#!/usr/bin/env bash
# The whole test suite: installs what is missing, builds (debug) and runs every test.
set -euo pipefail
cd "$(dirname "$0")/.."

# chromium: the HTML report is checked in a real headless browser.
bash scripts/install-deps.sh chromium
swift build --build-tests
swift test --skip-build "$@"
