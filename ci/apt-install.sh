#!/usr/bin/env bash
# Install Debian packages for the tests, quietly: `bash ci/apt-install.sh "<what they are
# for>" <package>...`. Uses sudo when not root; runs `apt-get update` only when a first
# try fails. Without apt-get, rights or network access it warns (naming what stays
# unavailable) and exits 0, so that the tests that need the packages are skipped instead.
set -uo pipefail

purpose=$1
shift
warn() { echo "Warning: could not install $* ($REASON); $purpose." >&2; }

REASON="no apt-get"
command -v apt-get >/dev/null 2>&1 || { warn "$@"; exit 0; }
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  REASON="not root"
  if command -v sudo >/dev/null 2>&1; then SUDO="sudo -n"; else warn "$@"; exit 0; fi
fi
export DEBIAN_FRONTEND=noninteractive
if ! $SUDO apt-get install -y -qq --no-install-recommends "$@" >/dev/null 2>&1; then
  REASON="apt-get update failed, no network?"
  $SUDO apt-get update -qq >/dev/null 2>&1 || { warn "$@"; exit 0; }
  REASON="apt-get install failed"
  $SUDO apt-get install -y -qq --no-install-recommends "$@" >/dev/null 2>&1 \
    || { warn "$@"; exit 0; }
fi
echo "Installed: $*"
