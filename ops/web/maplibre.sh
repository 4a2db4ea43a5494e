#!/usr/bin/env bash
# Put MapLibre GL JS, pinned and checked, under the screens' shared static files.
#
# The map library comes from the npm registry at setup (npm pack), is checked
# against the SHA-256 below, cached in $CITYTWIN_CACHE/npm, and its ES-module
# build is copied to cloud/web/static/vendor/maplibre-gl/ (ignored by git), so
# the screens serve it themselves and need no CDN. Safe to run again.
set -euo pipefail

VERSION="6.20.0"
SHA256="6e38bea528895e64b5c9fd14971233bb863566a627b97073c0e18c567c277451"
FILES=(dist/maplibre-gl.mjs dist/maplibre-gl-worker.mjs dist/maplibre-gl.css LICENSE.txt)

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cache="${CITYTWIN_CACHE:-$HOME/.cache/citytwin}/npm"
dest="$root/cloud/web/static/vendor/maplibre-gl"
tgz="$cache/maplibre-gl-$VERSION.tgz"

sha_ok() { [ -f "$1" ] && [ "$(sha256sum "$1" | cut -d' ' -f1)" = "$SHA256" ]; }

if [ -f "$dest/VERSION" ] && [ "$(cat "$dest/VERSION")" = "$VERSION" ]; then
    exit 0
fi
if ! sha_ok "$tgz"; then
    command -v npm >/dev/null || { echo "maplibre.sh: npm not found: install Node.js (Debian: apt-get install npm)" >&2; exit 1; }
    mkdir -p "$cache"
    echo "maplibre.sh: fetching maplibre-gl@$VERSION from the npm registry"
    (cd "$cache" && npm pack --silent "maplibre-gl@$VERSION" >/dev/null)
    sha_ok "$tgz" || { echo "maplibre.sh: $tgz does not have the pinned SHA-256 $SHA256; remove it and run again" >&2; exit 1; }
fi
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
tar -xzf "$tgz" -C "$tmp" "${FILES[@]/#/package/}"
rm -rf "$dest"
mkdir -p "$dest"
for f in "${FILES[@]}"; do cp "$tmp/package/$f" "$dest/$(basename "$f")"; done
echo "$VERSION" > "$dest/VERSION"
echo "maplibre.sh: maplibre-gl $VERSION in $dest"
