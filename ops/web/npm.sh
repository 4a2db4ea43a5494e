#!/usr/bin/env bash
# Sourced by the vendor scripts: a pinned npm package, fetched once from the npm registry with npm pack, checked
# against its SHA-256, cached in $CITYTWIN_CACHE/npm, and chosen files of it copied under the screens' shared
# static files (cloud/web/static/vendor/NAME/, ignored by git), so the screens serve it themselves and need no CDN.

npm_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
npm_cache="${CITYTWIN_CACHE:-$HOME/.cache/citytwin}/npm"

# npm_vendor NAME VERSION SHA256 FILE...: FILEs (paths inside the package) into vendor/NAME/, flat, with a VERSION
# file; does nothing when that VERSION is there already. The folder it fills is in $npm_dest afterwards.
npm_vendor() {
    local name="$1" version="$2" sha="$3"
    shift 3
    local tgz="$npm_cache/$name-$version.tgz" f
    npm_dest="$npm_root/cloud/web/static/vendor/$name"
    if [ -f "$npm_dest/VERSION" ] && [ "$(cat "$npm_dest/VERSION")" = "$version" ]; then
        return 0
    fi
    if ! npm_sha_ok "$tgz" "$sha"; then
        command -v npm >/dev/null || { echo "$name: npm not found: install Node.js (Debian: apt-get install npm)" >&2; return 1; }
        mkdir -p "$npm_cache"
        echo "$name: fetching $name@$version from the npm registry"
        (cd "$npm_cache" && npm pack --silent "$name@$version" >/dev/null)
        npm_sha_ok "$tgz" "$sha" || { echo "$name: $tgz does not have the pinned SHA-256 $sha; remove it and run again" >&2; return 1; }
    fi
    npm_tmp="$(mktemp -d)"
    trap 'rm -rf "$npm_tmp"' EXIT
    tar -xzf "$tgz" -C "$npm_tmp" "${@/#/package/}"
    rm -rf "$npm_dest"
    mkdir -p "$npm_dest"
    for f in "$@"; do cp "$npm_tmp/package/$f" "$npm_dest/$(basename "$f")"; done
    echo "$version" > "$npm_dest/VERSION"
    echo "$name: $name $version in $npm_dest"
}

npm_sha_ok() { [ -f "$1" ] && [ "$(sha256sum "$1" | cut -d' ' -f1)" = "$2" ]; }
