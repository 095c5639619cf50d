#!/usr/bin/env bash
# Installs Debian's chromium for the HTML report's browser test (test/viz/report-browser.test.ts),
# which drives it with playwright-core. Idempotent: returns at once when /usr/bin/chromium exists.
set -euo pipefail

if [ -x /usr/bin/chromium ]; then
  echo "chromium: $(/usr/bin/chromium --version 2>/dev/null || echo /usr/bin/chromium)"
  exit 0
fi
bash "$(dirname "$0")/apt-install.sh" install-browser.sh chromium fonts-dejavu-core
echo "chromium: $(/usr/bin/chromium --version)"
