#!/usr/bin/env bash
# Re-vendor the UI's front-end packages from the npm registry, at the pinned versions below,
# into flexmeasures/ui/static/vendor/<package>/, and check every file against the sha256
# sums recorded in flexmeasures/ui/static/vendor/SHA256SUMS.
#
#   bash ci/vendor-frontend.sh            # fetch with `npm pack`, copy, verify the checksums
#   bash ci/vendor-frontend.sh --check    # only verify the files already vendored (offline)
#   bash ci/vendor-frontend.sh --record   # fetch, copy and write new checksums (after a bump)
#
# To upgrade a package: change its version below, run with --record, look at the diff, test.
set -euo pipefail
cd "$(dirname "$0")/.."
VENDOR=flexmeasures/ui/static/vendor
SUMS=$VENDOR/SHA256SUMS

# package@version, then the files taken from the package (paths inside its tarball).
declare -A FILES_OF=(
  [leaflet@1.9.4]="LICENSE dist/leaflet.js dist/leaflet.css dist/images/layers.png
    dist/images/layers-2x.png dist/images/marker-icon.png dist/images/marker-icon-2x.png
    dist/images/marker-shadow.png"
  [world-atlas@2.0.2]="LICENSE countries-50m.json"
  [topojson-client@3.1.0]="LICENSE dist/topojson-client.min.js"
)

verify() {
  (cd "$VENDOR" && sha256sum --quiet --strict -c SHA256SUMS) \
    || { echo "Vendored front-end files do not match $SUMS." >&2; exit 1; }
  echo "Vendored front-end files match $SUMS."
}

fetch() {
  local package_at_version package target file
  WORKDIR=$(mktemp -d)
  trap 'rm -rf "$WORKDIR"' EXIT
  local workdir=$WORKDIR
  for package_at_version in "${!FILES_OF[@]}"; do
    package=${package_at_version%@*}
    target=$VENDOR/$package
    (cd "$workdir" && npm pack --silent "$package_at_version" >/dev/null)
    mkdir -p "$workdir/$package"
    tar -xzf "$workdir/${package}-${package_at_version#*@}.tgz" -C "$workdir/$package"
    rm -rf "$target"
    for file in ${FILES_OF[$package_at_version]}; do
      mkdir -p "$target/$(dirname "${file#dist/}")"
      cp "$workdir/$package/package/$file" "$target/${file#dist/}"
    done
    echo "$package_at_version" > "$target/VERSION"
  done
}

record() {
  (cd "$VENDOR" && find . -type f ! -name SHA256SUMS -printf '%P\n' | LC_ALL=C sort \
    | xargs sha256sum > SHA256SUMS)
  echo "Recorded the checksums in $SUMS."
}

case "${1:-}" in
  --check) verify ;;
  --record) fetch; record ;;
  "") fetch; verify ;;
  *) echo "Usage: $0 [--check|--record]" >&2; exit 2 ;;
esac
