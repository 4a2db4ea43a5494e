#!/usr/bin/env bash
# Put the PMTiles reader (protomaps' pmtiles), pinned and checked, under the screens' shared static files.
#
# The map reads a basemap from one PMTiles archive by HTTP range requests through
# this library's MapLibre protocol. The package's ES-module build imports fflate by
# a bare name, which a browser cannot resolve without an inline import map (the
# Content-Security-Policy forbids inline scripts); its browser bundle has fflate
# inside but declares one global. So vendor/pmtiles/pmtiles.mjs is that bundle
# made a module: its one top-level name stays in the module and is exported.
set -euo pipefail

VERSION="4.5.0"
SHA256="23ae7c575578ad24cd579377d69c46550631da219e6f179997ec2cf3b8c937e5"

# shellcheck source=ops/web/npm.sh
source "$(dirname "${BASH_SOURCE[0]}")/npm.sh"
npm_vendor pmtiles "$VERSION" "$SHA256" dist/pmtiles.js package.json
module="$npm_dest/pmtiles.mjs"
if [ ! -f "$module" ]; then
    {
        echo "// pmtiles $VERSION (BSD-3-Clause, see package.json) as an ES module, made by ops/web/pmtiles.sh."
        grep -v '^//# sourceMappingURL=' "$npm_dest/pmtiles.js"
        echo
        echo "const { Protocol, PMTiles, TileType } = pmtiles;"
        echo "export { Protocol, PMTiles, TileType };"
    } > "$module.tmp"
    mv "$module.tmp" "$module"
fi
