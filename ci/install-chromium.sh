#!/usr/bin/env bash
# Install Debian's Chromium (/usr/bin/chromium), the browser of the end-to-end UI tests
# (tests/ui/browser; Playwright drives it, it never downloads a browser of its own).
# Idempotent and quick: does nothing when chromium is on the PATH. Without apt-get or
# network access it warns and exits 0; the browser tests are then skipped with a message.
set -uo pipefail

command -v chromium >/dev/null 2>&1 && exit 0
bash "$(dirname "$0")/apt-install.sh" "the browser tests will be skipped" chromium
