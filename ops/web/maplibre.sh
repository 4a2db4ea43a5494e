#!/usr/bin/env bash
# Put MapLibre GL JS, pinned and checked, under the screens' shared static files.
#
# The map library comes from the npm registry at setup (ops/web/npm.sh) and its
# ES-module build is copied to cloud/web/static/vendor/maplibre-gl/ (ignored by
# git), so the screens serve it themselves and need no CDN. Safe to run again.
set -euo pipefail

VERSION="6.20.0"
SHA256="6e38bea528895e64b5c9fd14971233bb863566a627b97073c0e18c567c277451"

# shellcheck source=ops/web/npm.sh
source "$(dirname "${BASH_SOURCE[0]}")/npm.sh"
npm_vendor maplibre-gl "$VERSION" "$SHA256" dist/maplibre-gl.mjs dist/maplibre-gl-worker.mjs dist/maplibre-gl.css LICENSE.txt
