#!/usr/bin/env bash
# Provision an edge node in an emulated arm64 Debian, as on a Raspberry Pi 5 or
# a Jetson, and replay recorded video through the installed node.
#
# debootstrap builds an arm64 bookworm root (cached), qemu-user-static runs its
# binaries; install-edge.sh runs inside it unchanged (chroot: systemd is not
# running, so the service is enabled but not started), then the installed
# `citytwin bench` replays FRAMES frames of vtest.avi through the node and
# writes result files marked as emulated. The timings are qemu's, not a
# device's: they show that the node installs and runs on arm64, nothing about
# its speed there. Needs root, debootstrap and qemu-user-static (Debian
# packages) and network access to deb.debian.org and PyPI. Slow (tens of
# minutes the first time); not part of `make test`. REPLAY_ONLY=1 skips the
# install and replays with the node installed by an earlier run.
set -euo pipefail

PROG="$(basename "$0")"
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
SOURCE="$(cd "$HERE/../.." && pwd)"
CACHE="${CITYTWIN_CACHE:-$HOME/.cache/citytwin}"
ROOT="${ARM64_ROOT:-$CACHE/arm64-root}"
SUITE=bookworm
MIRROR="${DEBIAN_MIRROR:-http://deb.debian.org/debian}"
FRAMES="${FRAMES:-30}"
DEVICE="${DEVICE:-raspberry-pi-5-qemu}"
RESULTS="${RESULTS:-$SOURCE/hardware/results}"
PROFILE=raspberry-pi-5
CAMERA=cam-1
MOUNTS=()

die() { echo "$PROG: $*" >&2; exit 2; }
say() { echo "== $(date -u +%H:%M:%S) $*"; }

check_host() {
    [[ "$(id -u)" == 0 ]] || die "run as root: debootstrap and chroot need it"
    command -v debootstrap >/dev/null || die "debootstrap not found: apt-get install debootstrap"
    command -v qemu-aarch64-static >/dev/null || die "qemu-aarch64-static not found: apt-get install qemu-user-static"
    [[ -e /proc/sys/fs/binfmt_misc/qemu-aarch64 ]] || update-binfmts --enable qemu-aarch64 \
        || die "aarch64 binaries cannot run here: binfmt_misc has no qemu-aarch64 entry (apt-get install binfmt-support)"
    [[ -f "$CACHE/fixtures/vtest.avi" ]] || "$SOURCE/tests/fixtures/fetch.sh"
}

bootstrap() {
    if [[ -f "$ROOT/.bootstrapped" ]]; then
        say "arm64 root cached in $ROOT"
        return
    fi
    say "debootstrap arm64 $SUITE into $ROOT"
    mkdir -p "$ROOT" "$CACHE/arm64-debs"
    debootstrap --arch=arm64 --cache-dir="$CACHE/arm64-debs" "$SUITE" "$ROOT" "$MIRROR"
    touch "$ROOT/.bootstrapped"
}

bind() {  # bind SOURCE TARGET-IN-ROOT
    mount --bind "$1" "$ROOT$2"
    MOUNTS=("$ROOT$2" "${MOUNTS[@]}")
}

unmount_all() {
    local target
    for target in "${MOUNTS[@]}"; do
        umount "$target" 2>/dev/null || umount -l "$target" || echo "$PROG: could not unmount $target" >&2
    done
}

fake_cpuinfo() {
    # qemu-user shows the host's /proc/cpuinfo, which onnxruntime's cpuinfo cannot parse on
    # aarch64; give it what the kernel of a Cortex-A76 board (Raspberry Pi 5) prints.
    local cpu
    for ((cpu = 0; cpu < $(nproc); cpu++)); do
        printf 'processor\t: %d\nBogoMIPS\t: 108.00\nFeatures\t: fp asimd evtstrm aes pmull sha1 sha2 crc32 atomics fphp asimdhp cpuid asimdrdm lrcpc dcpop asimddp\nCPU implementer\t: 0x41\nCPU architecture: 8\nCPU variant\t: 0x4\nCPU part\t: 0xd0b\nCPU revision\t: 1\n\n' "$cpu"
    done
}

enter() {
    mkdir -p "$ROOT/proc" "$ROOT/sys" "$ROOT/dev"
    mount -t proc proc "$ROOT/proc"
    MOUNTS=("$ROOT/proc")
    bind /sys /sys
    bind /dev /dev
    bind /dev/pts /dev/pts
    fake_cpuinfo >"$ROOT/.cpuinfo"
    bind "$ROOT/.cpuinfo" /proc/cpuinfo
    cp -L /etc/resolv.conf "$ROOT/etc/resolv.conf"
    # The host's CA bundle, so pip inside the root trusts what the host trusts (a TLS-inspecting proxy included).
    cp -L "${SSL_CERT_FILE:-/etc/ssl/certs/ca-certificates.crt}" "$ROOT/etc/ssl/host-ca.crt"
}

in_root() {
    chroot "$ROOT" /usr/bin/env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=/root \
        LANG=C.UTF-8 PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_DEFAULT_TIMEOUT=180 \
        PIP_CERT=/etc/ssl/host-ca.crt SSL_CERT_FILE=/etc/ssl/host-ca.crt REQUESTS_CA_BUNDLE=/etc/ssl/host-ca.crt "$@"
}

stage_source() {
    say "checkout and site file into the root"
    rm -rf "$ROOT/src/citytwin"
    mkdir -p "$ROOT/src/citytwin" "$ROOT/var/lib/citytwin/cache/fixtures"
    tar -C "$SOURCE" --exclude=./.git --exclude=./.venv --exclude=./.run --exclude=__pycache__ -cf - . | tar -C "$ROOT/src/citytwin" -xf -
    cp "$CACHE/fixtures/vtest.avi" "$ROOT/var/lib/citytwin/cache/fixtures/vtest.avi"
}

install_node() {
    say "install-edge.sh --profile $PROFILE inside the arm64 root"
    # rsync is what install-edge.sh copies the code with; everything else it installs itself.
    in_root bash -c 'command -v rsync >/dev/null || { apt-get update -q && apt-get install -y -q rsync; }'
    in_root /src/citytwin/hardware/provisioning/install-edge.sh \
        --profile "$PROFILE" --config /src/citytwin/deploy/demo-site.yaml --camera "$CAMERA"
}

replay() {
    say "replay $FRAMES frames of vtest.avi through the installed node (emulated)"
    rm -rf "$ROOT/tmp/arm64-results"
    # The profile's recommended model and size only, and no fp32 comparison: under qemu an int8 frame
    # takes seconds and an fp32 one over a minute.
    in_root /opt/citytwin/.venv/bin/citytwin bench --quick --models nanodet-g-416-int8 --sizes 320 --threads "$(nproc)" \
        --frames "$FRAMES" --warmup 2 --e2e-frames 0 --agreement-frames 0 --video /var/lib/citytwin/cache/fixtures/vtest.avi --device "$DEVICE" --results /tmp/arm64-results \
        --emulated "qemu-user-static $(qemu-aarch64-static --version | head -1 | awk '{print $3}') aarch64 on $(uname -m), chroot of Debian $SUITE arm64" \
        --no-progress
    mkdir -p "$RESULTS/$DEVICE"
    cp "$ROOT/tmp/arm64-results/$DEVICE/"*.json "$RESULTS/$DEVICE/"
    say "results in $RESULTS/$DEVICE"
}

main() {
    check_host
    bootstrap
    trap unmount_all EXIT
    enter
    if [[ "${REPLAY_ONLY:-0}" == 1 ]]; then
        [[ -x "$ROOT/opt/citytwin/.venv/bin/citytwin" ]] || die "REPLAY_ONLY=1 but no node is installed in $ROOT yet"
    else
        stage_source
        install_node
    fi
    replay
}

main "$@"
