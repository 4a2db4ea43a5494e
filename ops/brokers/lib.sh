# shellcheck shell=bash disable=SC2034
# (SC2034: the variables below are used by the scripts that source this file.)
# Shared helpers for the broker scripts: paths, errors, pid files, ports.
# Sourced by kafka.sh and mosquitto.sh; defines functions and variables only.

BROKERS_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_ROOT="$(cd "$BROKERS_DIR/../.." && pwd)"
# Absolute, symlink-free paths: the pid check matches the config path in the
# broker's command line, which must not depend on how CITYTWIN_RUN was spelt.
RUN_ROOT="$(realpath -m -- "${CITYTWIN_RUN:-$REPO_ROOT/.run}")"
CACHE_ROOT="$(realpath -m -- "${CITYTWIN_CACHE:-${HOME:?HOME is not set: set CITYTWIN_CACHE to a cache folder}/.cache/citytwin}")"
PROBE="$BROKERS_DIR/probe.py"
PROG="$(basename "$0")"

# Exit codes: 1 error, 2 usage, 3 "not running" (as LSB status does).
EXIT_STOPPED=3

say() { printf '%s: %s\n' "$PROG" "$*"; }
die() { printf '%s: error: %s\n' "$PROG" "$*" >&2; exit 1; }

# Python runs the socket probes; the system python3 is enough (stdlib only).
python_bin() {
    local py="${CITYTWIN_PYTHON:-python3}"
    command -v "$py" >/dev/null 2>&1 || die "$py not found: install python3 (apt-get install -y python3)"
    printf '%s' "$py"
}

probe() { "$(python_bin)" "$PROBE" "$@"; }

# Validate a port number taken from the environment.
check_port_value() { # NAME VALUE
    if ! [[ "$2" =~ ^[1-9][0-9]{0,4}$ ]] || (( $2 > 65535 )); then
        die "$1=$2 is not a valid TCP port (1-65535)"
    fi
}

# Fail with the owner of the port when something else already has it.
require_port_free() { # PORT ENV_NAME
    local owner
    if ! owner="$(probe port-free 127.0.0.1 "$1")"; then
        die "port $1 on 127.0.0.1 is in use by $owner; stop it or set $2=<another free port>"
    fi
}

# Print the pid recorded in PIDFILE if that process is alive and its command
# line still contains MARKER (guards against a recycled pid).
live_pid() { # PIDFILE MARKER
    local pid
    [[ -f "$1" ]] || return 1
    pid="$(<"$1")"
    [[ "$pid" =~ ^[0-9]+$ ]] || return 1
    kill -0 "$pid" 2>/dev/null || return 1
    tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF -- "$2" || return 1
    printf '%s' "$pid"
}

# SIGTERM, wait up to TIMEOUT seconds, then SIGKILL.
terminate_pid() { # PID NAME TIMEOUT
    local pid="$1" name="$2" timeout="$3" waited=0
    kill -TERM "$pid" 2>/dev/null || return 0
    while kill -0 "$pid" 2>/dev/null; do
        if (( waited >= timeout * 10 )); then
            say "$name (pid $pid) did not stop within ${timeout}s; sending SIGKILL"
            kill -KILL "$pid" 2>/dev/null || true
            while kill -0 "$pid" 2>/dev/null; do sleep 0.1; done
            return 0
        fi
        if (( waited > 0 && waited % 50 == 0 )); then
            say "waiting for $name (pid $pid) to stop ($((waited / 10))s)"
        fi
        sleep 0.1
        waited=$((waited + 1))
    done
}

# Refuse to reuse a running broker whose config lets in other clients than the wanted one would:
# the lines matching PATTERN (listeners and authentication) must be the same in both files.
require_same_security() { # RUNNING_CONFIG WANTED_CONFIG PATTERN NAME
    local running wanted
    running="$(grep -E "$3" "$1" || true)"
    wanted="$(grep -E "$3" "$2" || true)"
    rm -f "$2"
    [[ "$running" == "$wanted" ]] \
        || die "$4 from $(dirname "$1") is already running with other listeners or logins than asked for (\$CITYTWIN_MQTT_AUTH_DIR, \$CITYTWIN_KAFKA_SCRAM_USERS); restart it: '$0 restart'"
}

# Show the end of a log after a failed start.
show_log_tail() { # FILE [LINES]
    local lines="${2:-40}"
    if [[ -s "$1" ]]; then
        printf '%s: last %s lines of %s:\n' "$PROG" "$lines" "$1" >&2
        tail -n "$lines" "$1" | sed 's/^/    /' >&2
    fi
}

# Start a command detached from this shell (own session, no inherited stdio)
# and record its pid. setsid execs in place here, so $! is the broker's pid.
spawn_detached() { # PIDFILE OUTFILE CMD...
    local pidfile="$1" out="$2"
    shift 2
    setsid "$@" >>"$out" 2>&1 </dev/null &
    printf '%s\n' "$!" >"$pidfile"
}

# show_log FILE NAME [-f] [LINES]: the last lines of a broker log, or follow it.
show_log() {
    local file="$1" name="$2" follow=0 lines=100
    shift 2
    for arg in "$@"; do
        case "$arg" in
            -f) follow=1 ;;
            *[!0-9]*|"") die "logs: expected -f or a number of lines, got '$arg'" ;;
            *) lines="$arg" ;;
        esac
    done
    [[ -f "$file" ]] || die "no $name log yet at $file (start it first)"
    if (( follow )); then exec tail -n "$lines" -F "$file"; fi
    tail -n "$lines" "$file"
}
