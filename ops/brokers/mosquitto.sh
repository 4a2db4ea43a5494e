#!/usr/bin/env bash
# Mosquitto MQTT broker for development, tests and the demo: the Debian
# package, run from a generated config under the run directory (no systemd).
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

MQTT_PORT="${CITYTWIN_MQTT_PORT:-1883}"
AUTH_DIR="${CITYTWIN_MQTT_AUTH_DIR:-}"
START_TIMEOUT="${CITYTWIN_MQTT_START_TIMEOUT:-15}"
STOP_TIMEOUT="${CITYTWIN_MQTT_STOP_TIMEOUT:-10}"
PACKAGES=(mosquitto mosquitto-clients)

RUN_DIR="$RUN_ROOT/mosquitto"
DATA_DIR="$RUN_DIR/data"
CONFIG="$RUN_DIR/mosquitto.conf"
LOG_FILE="$RUN_DIR/mosquitto.log"
OUTFILE="$RUN_DIR/mosquitto.out"
PIDFILE="$RUN_DIR/mosquitto.pid"

usage() {
    cat <<USAGE
usage: $PROG {install|start|stop|restart|status|logs [-f] [LINES]}

Mosquitto 2.0 (Debian package) on 127.0.0.1, persistence under the run directory.
With \$CITYTWIN_MQTT_AUTH_DIR only its users may connect, each within its ACL.

  install  apt-get install mosquitto mosquitto-clients, if not installed yet
  config   write mosquitto.conf as start would, and print its path
  start    install if needed, then start and wait until it accepts MQTT connections
  stop     SIGTERM (the broker saves its session database), SIGKILL after \$CITYTWIN_MQTT_STOP_TIMEOUT s
  restart  stop, then start (persistent sessions and queued messages survive)
  status   print running/stopped with pid and port; exit 0 running, 3 stopped
  logs     print the end of the broker log (-f to follow)

Environment (defaults in brackets):
  CITYTWIN_MQTT_PORT       MQTT port [1883]
  CITYTWIN_RUN             run state: data, log, pid, config [<repo>/.run]
  CITYTWIN_MQTT_AUTH_DIR   folder with passwd and acl (from citytwin credentials, its mosquitto/):
                           no anonymous clients [unset: anyone may connect]
USAGE
}

# /usr/sbin is not on every user's PATH.
mosquitto_bin() {
    local bin
    bin="$(command -v mosquitto 2>/dev/null || true)"
    [[ -n "$bin" ]] || { [[ -x /usr/sbin/mosquitto ]] && bin=/usr/sbin/mosquitto; }
    [[ -n "$bin" ]] || return 1
    printf '%s' "$bin"
}

installed() {
    mosquitto_bin >/dev/null && command -v mosquitto_pub >/dev/null 2>&1
}

cmd_install() {
    local sudo=() log guard=""
    if installed; then
        return 0
    fi
    command -v apt-get >/dev/null 2>&1 \
        || die "mosquitto is not installed and apt-get is not available: install Mosquitto 2.0 (mosquitto and mosquitto-clients) with your package manager"
    if [[ "$(id -u)" != 0 ]]; then
        sudo -n true 2>/dev/null \
            || die "mosquitto is not installed; run: sudo apt-get install -y mosquitto mosquitto-clients"
        sudo=(sudo -n)
    fi
    log="$(mktemp)"
    # Refresh the package lists only when they do not know mosquitto yet.
    if ! apt-cache show mosquitto >/dev/null 2>&1; then
        say "apt-get update (package lists do not list mosquitto yet)"
        "${sudo[@]}" apt-get update -q >"$log" 2>&1 \
            || { show_log_tail "$log" 15; rm -f "$log"; die "apt-get update failed (output above); check network access to the Debian mirrors or /etc/apt/sources.list"; }
    fi
    # Keep the package from starting a system-wide broker on 1883 (no systemd
    # here; the init script would otherwise run): policy-rc.d exit 101 = deny.
    if [[ ! -e /usr/sbin/policy-rc.d && ${#sudo[@]} -eq 0 ]]; then
        printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
        chmod +x /usr/sbin/policy-rc.d
        guard=/usr/sbin/policy-rc.d
    fi
    say "installing ${PACKAGES[*]} with apt-get"
    if ! "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
            "${PACKAGES[@]}" >>"$log" 2>&1; then
        [[ -n "$guard" ]] && rm -f "$guard"
        show_log_tail "$log" 15
        rm -f "$log"
        die "apt-get install ${PACKAGES[*]} failed (output above); try: apt-get update && apt-get install -y ${PACKAGES[*]}"
    fi
    [[ -n "$guard" ]] && rm -f "$guard"
    rm -f "$log"
    installed || die "apt-get reported success but mosquitto or mosquitto_pub is still missing"
    say "installed $("$(mosquitto_bin)" -h 2>&1 | head -n 1)"
}

configured_port() {
    sed -En 's/^listener ([0-9]+) .*/\1/p' "$CONFIG" 2>/dev/null
}

# The lines that say who may connect (they replace @AUTH@ in the template).
auth_lines() {
    local dir file
    if [[ -z "$AUTH_DIR" ]]; then
        printf '%s\n' "# No CITYTWIN_MQTT_AUTH_DIR: anonymous clients, for development and tests only." "allow_anonymous true"
        return 0
    fi
    dir="$(realpath -m -- "$AUTH_DIR")"
    [[ "$dir" =~ ^[[:print:]]+$ ]] || die "CITYTWIN_MQTT_AUTH_DIR has control characters; it would break mosquitto.conf"
    for file in passwd acl; do
        [[ -r "$dir/$file" ]] \
            || die "CITYTWIN_MQTT_AUTH_DIR=$AUTH_DIR has no readable $file; write it with: citytwin credentials --config SITE.yaml --out DIR (then use DIR/mosquitto)"
        [[ -z "$(find "$dir/$file" -perm /077)" ]] || die "$dir/$file may be read by other users; chmod 600 $dir/$file"
    done
    printf '%s\n' "# Only the users of passwd may connect, each within its lines of acl." "allow_anonymous false" \
        "password_file $dir/passwd" "acl_file $dir/acl"
}

write_config() { # [OUT]
    local auth out="${1:-$CONFIG}"
    mkdir -p "$DATA_DIR"
    auth="$(auth_lines)"
    sed -e "s#@PORT@#$MQTT_PORT#g" -e "s#@DATA_DIR@#$DATA_DIR#g" -e "s#@LOG_FILE@#$LOG_FILE#g" \
        -e "s#@USER@#$(id -un)#g" "$BROKERS_DIR/mosquitto/mosquitto.conf.in" \
        | while IFS= read -r line; do
            if [[ "$line" == "@AUTH@" ]]; then printf '%s\n' "$auth"; else printf '%s\n' "$line"; fi
        done >"$out"
}

cmd_start() {
    local pid bin running_port start
    check_port_value CITYTWIN_MQTT_PORT "$MQTT_PORT"
    if pid="$(live_pid "$PIDFILE" "$CONFIG")"; then
        running_port="$(configured_port)"
        [[ "$running_port" == "$MQTT_PORT" ]] \
            || die "Mosquitto from $RUN_DIR is already running on port $running_port, not $MQTT_PORT; stop it first ('$0 stop')"
        write_config "$CONFIG.wanted"
        require_same_security "$CONFIG" "$CONFIG.wanted" '^(listener|allow_anonymous|password_file|acl_file) ' Mosquitto
        say "Mosquitto already running (pid $pid) on 127.0.0.1:$MQTT_PORT"
        return 0
    fi
    rm -f "$PIDFILE"

    cmd_install
    bin="$(mosquitto_bin)"
    require_port_free "$MQTT_PORT" CITYTWIN_MQTT_PORT
    write_config
    : >"$OUTFILE"
    spawn_detached "$PIDFILE" "$OUTFILE" "$bin" -c "$CONFIG"
    pid="$(<"$PIDFILE")"
    start="$SECONDS"
    while true; do
        if ! kill -0 "$pid" 2>/dev/null; then
            rm -f "$PIDFILE"
            show_log_tail "$LOG_FILE" 20
            show_log_tail "$OUTFILE" 10
            die "Mosquitto exited during start-up; full log: $LOG_FILE"
        fi
        if probe mqtt-ready 127.0.0.1 "$MQTT_PORT" >/dev/null 2>&1; then
            say "Mosquitto ready on 127.0.0.1:$MQTT_PORT (pid $pid)"
            return 0
        fi
        if (( SECONDS - start >= START_TIMEOUT )); then
            show_log_tail "$LOG_FILE" 20
            die "Mosquitto (pid $pid) did not accept connections within ${START_TIMEOUT}s; '$0 stop' stops it"
        fi
        sleep 0.05
    done
}

cmd_stop() {
    local pid
    if pid="$(live_pid "$PIDFILE" "$CONFIG")"; then
        say "stopping Mosquitto (pid $pid)"
        terminate_pid "$pid" Mosquitto "$STOP_TIMEOUT"
        say "Mosquitto stopped"
    else
        say "Mosquitto is not running"
    fi
    rm -f "$PIDFILE"
}

cmd_status() {
    local pid
    if pid="$(live_pid "$PIDFILE" "$CONFIG")"; then
        echo "mosquitto: running (pid $pid) on 127.0.0.1:$(configured_port); run dir $RUN_DIR"
        return 0
    fi
    echo "mosquitto: stopped (port $MQTT_PORT; run dir $RUN_DIR)"
    return "$EXIT_STOPPED"
}

cmd_logs() { show_log "$LOG_FILE" Mosquitto "$@"; }

case "${1:-}" in
    config) write_config; printf '%s\n' "$CONFIG" ;;
    install) cmd_install; say "$("$(mosquitto_bin)" -h 2>&1 | head -n 1) at $(mosquitto_bin)" ;;
    start) cmd_start ;;
    stop) cmd_stop ;;
    restart) cmd_stop; cmd_start ;;
    status) cmd_status ;;
    logs) shift; cmd_logs "$@" ;;
    -h|--help|help) usage ;;
    *) usage >&2; exit 2 ;;
esac
