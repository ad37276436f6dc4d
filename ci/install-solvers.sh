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

bash "$(dirname "$0")/apt-install.sh" "those solver backends stay unavailable" "${missing[@]}"
