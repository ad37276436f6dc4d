#!/usr/bin/env bash
# Install the LP/MILP solver binaries that the Pyomo scheduling backends call:
# CBC (`cbc`, Debian package coinor-cbc) and GLPK (`glpsol`, Debian package glpk-utils).
# HiGHS (the default backend) comes from PyPI (highspy) and needs nothing here.
# Idempotent and quiet: does nothing when both binaries are on the PATH. Without network
# access or apt-get it warns and exits 0; the tests of a missing backend are then skipped.
set -uo pipefail

declare -A PACKAGE_OF_BINARY=([cbc]=coinor-cbc [glpsol]=glpk-utils)

missing=()
for binary in "${!PACKAGE_OF_BINARY[@]}"; do
  command -v "$binary" >/dev/null 2>&1 || missing+=("${PACKAGE_OF_BINARY[$binary]}")
done
[ ${#missing[@]} -eq 0 ] && exit 0

warn() { echo "Warning: could not install ${missing[*]} ($1); those solver backends stay unavailable." >&2; }

if ! command -v apt-get >/dev/null 2>&1; then warn "no apt-get"; exit 0; fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then SUDO="sudo -n"; else warn "not root"; exit 0; fi
fi
export DEBIAN_FRONTEND=noninteractive
if ! $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null 2>&1; then
  $SUDO apt-get update -qq >/dev/null 2>&1 || { warn "apt-get update failed, no network?"; exit 0; }
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null 2>&1 \
    || { warn "apt-get install failed"; exit 0; }
fi
echo "Installed solver packages: ${missing[*]}"
