#!/usr/bin/env bash
# Install a citytwin edge node as a systemd service, one instance per camera,
# on Raspberry Pi OS, JetPack or Debian/Ubuntu x86-64. Run as root on the
# device from a checkout of the repository. Safe to run again: it updates
# the code, the venv, the unit and the settings in place.
set -euo pipefail

PROG="$(basename "$0")"
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
SOURCE="$(cd "$HERE/../.." && pwd)"

PROFILE=""
SITE_CONFIG=""
CAMERAS=()
PREFIX=/opt/citytwin
SERVICE_USER=citytwin
ROOT=""
ORT_WHEEL=""
PYTHON_BIN=""
RENDER_ONLY=0

CONF_DIR=/etc/citytwin
STATE_DIR=/var/lib/citytwin
LOG_DIR=/var/log/citytwin
UNIT_DIR=/etc/systemd/system
LOGROTATE_DIR=/etc/logrotate.d

usage() {
    cat <<USAGE
usage: $PROG --profile ID --config SITE.yaml --camera ID [--camera ID ...] [options]

Installs the edge node under $PREFIX with its own venv, the unit
citytwin-edge@.service, log rotation, and the profile's settings
($CONF_DIR/edge.env), then enables one service per camera.

  --profile ID        device profile in hardware/profiles/ (raspberry-pi-5, jetson-orin-nano, generic-x86)
  --config FILE       the site's deployment YAML, installed as $CONF_DIR/site.yaml
  --camera ID         camera id from the site file to run here (repeatable)
  --prefix DIR        install folder [$PREFIX]
  --user NAME         system account the service runs as [$SERVICE_USER]
  --ort-wheel FILE    onnxruntime wheel to use instead of PyPI's (JetPack: onnxruntime-gpu)
  --root DIR          write the files under DIR instead of / (image building); implies --render-only
  --render-only       only write the unit, log rotation and settings; install nothing, start nothing
  --python FILE       Python that renders the settings [PREFIX/.venv/bin/python]
  -h, --help          this help
USAGE
}

die() { echo "$PROG: $*" >&2; exit 2; }
say() { echo "== $*"; }

parse_args() {
    while [[ $# -gt 0 ]]; do
        case "$1" in
            --profile) PROFILE="${2:?--profile needs an id}"; shift 2 ;;
            --config) SITE_CONFIG="${2:?--config needs a file}"; shift 2 ;;
            --camera) CAMERAS+=("${2:?--camera needs an id}"); shift 2 ;;
            --prefix) PREFIX="${2:?--prefix needs a folder}"; shift 2 ;;
            --user) SERVICE_USER="${2:?--user needs a name}"; shift 2 ;;
            --ort-wheel) ORT_WHEEL="${2:?--ort-wheel needs a file}"; shift 2 ;;
            --root) ROOT="${2:?--root needs a folder}"; RENDER_ONLY=1; shift 2 ;;
            --render-only) RENDER_ONLY=1; shift ;;
            --python) PYTHON_BIN="${2:?--python needs a file}"; shift 2 ;;
            -h | --help) usage; exit 0 ;;
            *) usage >&2; die "unknown option: $1" ;;
        esac
    done
    [[ -n "$PROFILE" ]] || die "--profile is required; profiles: $(profiles)"
    [[ -f "$SOURCE/hardware/profiles/$PROFILE.yaml" ]] || die "no profile '$PROFILE'; profiles: $(profiles)"
    [[ -n "$SITE_CONFIG" && -f "$SITE_CONFIG" ]] || die "--config must name the site's deployment YAML file"
    [[ ${#CAMERAS[@]} -gt 0 ]] || die "--camera is required (one per camera this device runs)"
    [[ "$PREFIX" == /* ]] || die "--prefix must be absolute"
    [[ -z "$ORT_WHEEL" || -f "$ORT_WHEEL" ]] || die "--ort-wheel: $ORT_WHEEL not found"
    PYTHON_BIN="${PYTHON_BIN:-$PREFIX/.venv/bin/python}"
}

profiles() {
    local names=() file
    for file in "$SOURCE"/hardware/profiles/*.yaml; do
        names+=("$(basename "$file" .yaml)")
    done
    echo "${names[*]}"
}

profile_arch() {
    sed -n 's/^architecture:[[:space:]]*//p' "$SOURCE/hardware/profiles/$PROFILE.yaml"
}

check_system() {
    [[ "$(id -u)" == 0 ]] || die "run as root (sudo $PROG ...)"
    command -v systemctl >/dev/null || die "systemd is required"
    command -v apt-get >/dev/null || die "apt-get is required (Raspberry Pi OS, JetPack, Debian or Ubuntu)"
    local arch
    arch="$(uname -m)"
    [[ "$arch" == "$(profile_arch)" ]] || die "profile $PROFILE is for $(profile_arch), this machine is $arch"
}

install_packages() {
    say "system packages"
    apt-get update -q
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q python3 python3-venv python3-pip logrotate rsync
}

create_user() {
    if ! id "$SERVICE_USER" >/dev/null 2>&1; then
        say "system account $SERVICE_USER"
        useradd --system --home-dir "$STATE_DIR" --shell /usr/sbin/nologin "$SERVICE_USER"
    fi
    # Cameras and, on Jetson, the GPU device nodes belong to the video group.
    usermod -a -G video "$SERVICE_USER"
}

install_code() {
    say "code and venv in $PREFIX"
    mkdir -p "$PREFIX"
    rsync -a --delete --exclude .git --exclude .venv --exclude .run --exclude '__pycache__' "$SOURCE/" "$PREFIX/"
    [[ -x "$PREFIX/.venv/bin/python" ]] || python3 -m venv "$PREFIX/.venv"
    "$PREFIX/.venv/bin/pip" install -q --upgrade pip
    # Editable, so the code finds models/ and hardware/ next to it.
    "$PREFIX/.venv/bin/pip" install -q -c "$PREFIX/constraints.txt" -e "${PREFIX}[edge,bench]"
    if [[ -n "$ORT_WHEEL" ]]; then
        say "onnxruntime from $ORT_WHEEL"
        "$PREFIX/.venv/bin/pip" uninstall -q -y onnxruntime
        "$PREFIX/.venv/bin/pip" install -q "$ORT_WHEEL"
    fi
}

render() {
    # render TEMPLATE DEST: replace @KEY@ placeholders.
    sed -e "s#@PREFIX@#$PREFIX#g" -e "s#@USER@#$SERVICE_USER#g" -e "s#@CONF_DIR@#$CONF_DIR#g" \
        -e "s#@STATE_DIR@#$STATE_DIR#g" -e "s#@LOG_DIR@#$LOG_DIR#g" "$1" >"$2"
    if grep -q '@[A-Z_]*@' "$2"; then
        die "$2 still has unrendered placeholders: $(grep -o '@[A-Z_]*@' "$2" | sort -u | tr '\n' ' ')"
    fi
}

write_files() {
    say "unit, log rotation and settings under ${ROOT:-/}"
    mkdir -p "$ROOT$UNIT_DIR" "$ROOT$LOGROTATE_DIR" "$ROOT$CONF_DIR" "$ROOT$STATE_DIR/models" "$ROOT$LOG_DIR"
    render "$HERE/templates/citytwin-edge@.service.in" "$ROOT$UNIT_DIR/citytwin-edge@.service"
    render "$HERE/templates/logrotate.in" "$ROOT$LOGROTATE_DIR/citytwin"
    install -m 0640 "$SITE_CONFIG" "$ROOT$CONF_DIR/site.yaml"
    (cd "$SOURCE" && "$PYTHON_BIN" -m hardware.provision "$PROFILE" --models-dir "$STATE_DIR/models" --root "${ROOT:-/}") \
        >"$ROOT$CONF_DIR/edge.env.new"
    mv "$ROOT$CONF_DIR/edge.env.new" "$ROOT$CONF_DIR/edge.env"
    chmod 0644 "$ROOT$UNIT_DIR/citytwin-edge@.service" "$ROOT$LOGROTATE_DIR/citytwin" "$ROOT$CONF_DIR/edge.env"
}

set_owners() {
    chown -R "$SERVICE_USER:$SERVICE_USER" "$STATE_DIR" "$LOG_DIR"
    chown "root:$SERVICE_USER" "$CONF_DIR/site.yaml"
}

enable_services() {
    say "services"
    local camera
    if [[ ! -d /run/systemd/system ]]; then
        # A chroot or an image being built: enable the units for the next boot, start nothing.
        for camera in "${CAMERAS[@]}"; do
            systemctl --root=/ enable "citytwin-edge@$camera.service"
        done
        echo "systemd is not running here: citytwin-edge@ enabled for ${CAMERAS[*]}, starts at the next boot"
        return 0
    fi
    systemctl daemon-reload
    for camera in "${CAMERAS[@]}"; do
        systemctl enable "citytwin-edge@$camera.service"
        systemctl restart "citytwin-edge@$camera.service"
        echo "citytwin-edge@$camera: $(systemctl is-active "citytwin-edge@$camera.service" || true)"
    done
}

main() {
    parse_args "$@"
    if [[ "$RENDER_ONLY" == 1 ]]; then
        write_files
        echo "rendered for cameras ${CAMERAS[*]}; nothing installed or started"
        return 0
    fi
    check_system
    install_packages
    create_user
    install_code
    write_files
    set_owners
    enable_services
    echo
    echo "check a node: $PREFIX/.venv/bin/python $PREFIX/hardware/provisioning/healthcheck.py --config $CONF_DIR/site.yaml --camera ${CAMERAS[0]}"
}

main "$@"
