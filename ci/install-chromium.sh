#!/usr/bin/env bash
# Install Debian's Chromium (/usr/bin/chromium), the browser of the end-to-end UI tests
# (tests/ui/browser; Playwright drives it, it never downloads a browser of its own).
# Idempotent and quick: does nothing when chromium is on the PATH. Without apt-get or
# network access it warns and exits 0; the browser tests are then skipped with a message.
set -uo pipefail

command -v chromium >/dev/null 2>&1 && exit 0

warn() { echo "Warning: could not install chromium ($1); the browser tests will be skipped." >&2; }

if ! command -v apt-get >/dev/null 2>&1; then warn "no apt-get"; exit 0; fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then SUDO="sudo -n"; else warn "not root"; exit 0; fi
fi
export DEBIAN_FRONTEND=noninteractive
if ! $SUDO apt-get install -y -qq --no-install-recommends chromium >/dev/null 2>&1; then
  $SUDO apt-get update -qq >/dev/null 2>&1 || { warn "apt-get update failed, no network?"; exit 0; }
  $SUDO apt-get install -y -qq --no-install-recommends chromium >/dev/null 2>&1 \
    || { warn "apt-get install failed"; exit 0; }
fi
echo "Installed chromium: $(chromium --version 2>/dev/null)"
