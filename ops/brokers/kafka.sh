#!/usr/bin/env bash
# Single-node Apache Kafka (KRaft, broker + controller in one JVM) for
# development, tests and the demo. Jars come from Maven Central; no Kafka
# distribution or Docker image is needed.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# shellcheck source-path=SCRIPTDIR source=scram.sh
source "$(dirname "${BASH_SOURCE[0]}")/scram.sh"

KAFKA_VERSION="4.1.1"
KAFKA_PORT="${CITYTWIN_KAFKA_PORT:-9092}"
CONTROLLER_PORT="${CITYTWIN_KAFKA_CONTROLLER_PORT:-9093}"
START_TIMEOUT="${CITYTWIN_KAFKA_START_TIMEOUT:-120}"
STOP_TIMEOUT="${CITYTWIN_KAFKA_STOP_TIMEOUT:-30}"
HEAP_OPTS="${CITYTWIN_KAFKA_HEAP_OPTS:--Xmx512m -Xms256m}"
SCRAM_USERS="${CITYTWIN_KAFKA_SCRAM_USERS:-}"
BROKER_USER="${CITYTWIN_KAFKA_BROKER_USER:-kafka-broker}"

KAFKA_HOME="$CACHE_ROOT/kafka-$KAFKA_VERSION"
LIBS="$KAFKA_HOME/libs"
POM="$BROKERS_DIR/kafka/pom.xml"
RUN_DIR="$RUN_ROOT/kafka"
DATA_DIR="$RUN_DIR/data"
LOG_DIR="$RUN_DIR/logs"
CONFIG="$RUN_DIR/server.properties"
PIDFILE="$RUN_DIR/kafka.pid"
OUTFILE="$LOG_DIR/kafka.out"
# The SCRAM users the storage was formatted with (names only), so a later start can tell it lacks some.
SCRAM_MARKER="$RUN_DIR/scram-users.names"

usage() {
    cat <<USAGE
usage: $PROG {fetch|config|start|stop|restart|status|logs [-f] [LINES]}

Single-node Apache Kafka $KAFKA_VERSION in KRaft mode on 127.0.0.1. With
\$CITYTWIN_KAFKA_SCRAM_USERS its only client listener is SASL_PLAINTEXT with
$SCRAM_MECHANISM, and the users of that file are created when the storage is formatted.

  fetch    download the Kafka jars from Maven Central with mvn (once; cached)
  config   write server.properties as start would, and print its path
  start    fetch if needed, format storage on first start, start the broker
           and wait until it answers a metadata request
  stop     SIGTERM, wait up to \$CITYTWIN_KAFKA_STOP_TIMEOUT s (default 30), then SIGKILL
  restart  stop, then start
  status   print running/stopped with pid and ports; exit 0 running, 3 stopped
  logs     print the end of the broker log (-f to follow)

Environment (defaults in brackets):
  CITYTWIN_KAFKA_PORT              broker port [9092]
  CITYTWIN_KAFKA_CONTROLLER_PORT   KRaft controller port [9093]
  CITYTWIN_RUN                     run state: data, logs, pid, config [<repo>/.run]
  CITYTWIN_CACHE                   downloaded jars [~/.cache/citytwin]
  CITYTWIN_KAFKA_HEAP_OPTS         JVM heap options [-Xmx512m -Xms256m]
  CITYTWIN_KAFKA_START_TIMEOUT     seconds to wait for readiness [120]
  CITYTWIN_KAFKA_SCRAM_USERS       file of NAME=password lines (mode 600, from citytwin credentials):
                                   clients must log in with SCRAM [unset: plaintext, no login]
  CITYTWIN_KAFKA_BROKER_USER       the broker's own user in that file [kafka-broker]
  CITYTWIN_MVN_ARGS                extra arguments for mvn (e.g. -s settings.xml)
  JAVA_HOME                        Java 17+ to use instead of java on PATH
USAGE
}

# Print the java executable after checking it is Java 17 or newer.
java_bin() {
    local java version major
    if [[ -n "${JAVA_HOME:-}" ]]; then
        java="$JAVA_HOME/bin/java"
        [[ -x "$java" ]] || die "java not found at \$JAVA_HOME/bin/java ($java): fix JAVA_HOME or unset it to use java from PATH"
    else
        java="$(command -v java)" \
            || die "java not found: install openjdk-17-jre-headless (apt-get install -y openjdk-17-jre-headless) or set JAVA_HOME to a Java 17+ runtime"
    fi
    version="$("$java" -version 2>&1 | sed -En 's/.*version "([^"]+)".*/\1/p' | head -n 1)"
    major="${version%%[.+-]*}"
    [[ "$major" == 1 ]] && major="$(cut -d. -f2 <<<"$version")"
    [[ "$major" =~ ^[0-9]+$ ]] || die "could not read the version of $java (got '${version:-nothing}'); Kafka $KAFKA_VERSION needs Java 17 or newer"
    (( major >= 17 )) \
        || die "java $version at $java is too old: Kafka $KAFKA_VERSION needs Java 17 or newer; install openjdk-17-jre-headless (apt-get install -y openjdk-17-jre-headless) or set JAVA_HOME"
    printf '%s' "$java"
}

jars_present() { # POM_SHA256
    [[ -f "$KAFKA_HOME/.pom.sha256" && "$(<"$KAFKA_HOME/.pom.sha256")" == "$1" \
        && -f "$LIBS/kafka_2.13-$KAFKA_VERSION.jar" ]]
}

cmd_fetch() {
    local sum tmp reason extra=()
    sum="$(sha256sum "$POM" | cut -d' ' -f1)"
    jars_present "$sum" && return 0

    java_bin >/dev/null
    command -v mvn >/dev/null 2>&1 \
        || die "mvn not found: install Maven (apt-get install -y maven); it downloads the Kafka jars from Maven Central"
    mkdir -p "$CACHE_ROOT"
    # One download at a time when several shells start Kafka at once.
    exec 9>"$CACHE_ROOT/.kafka-$KAFKA_VERSION.lock"
    flock -w 900 9 || die "timed out waiting for another Kafka download (lock $CACHE_ROOT/.kafka-$KAFKA_VERSION.lock)"
    if jars_present "$sum"; then exec 9>&-; return 0; fi

    say "downloading Kafka $KAFKA_VERSION jars from Maven Central into $LIBS"
    tmp="$(mktemp -d "$CACHE_ROOT/.kafka-$KAFKA_VERSION.XXXXXX")"
    read -ra extra <<<"${CITYTWIN_MVN_ARGS:-}"
    # The plugin is named in full so a network failure reads "could not resolve"
    # rather than "no plugin found for prefix"; its version is pinned in the pom.
    if ! mvn -B -q -Dstyle.color=never -f "$POM" \
            org.apache.maven.plugins:maven-dependency-plugin:copy-dependencies \
            -DincludeScope=runtime -DoutputDirectory="$tmp/libs" "${extra[@]}" >"$tmp/mvn.log" 2>&1; then
        sed 's/\x1b\[[0-9;]*m//g' "$tmp/mvn.log" >"$CACHE_ROOT/kafka-fetch.log"
        rm -rf "$tmp"
        reason="$(grep -m 1 -E '^\[ERROR\] +[^ ]' "$CACHE_ROOT/kafka-fetch.log" | cut -c 9-500 || true)"
        die "could not download Kafka jars from Maven Central: ${reason:-mvn failed}
    check network/proxy settings or ~/.m2/settings.xml (mirrors, proxies, offline mode);
    full Maven output: $CACHE_ROOT/kafka-fetch.log"
    fi
    [[ -f "$tmp/libs/kafka_2.13-$KAFKA_VERSION.jar" ]] \
        || { rm -rf "$tmp"; die "Maven finished but kafka_2.13-$KAFKA_VERSION.jar is missing; check $POM"; }
    rm -rf "$LIBS"
    mkdir -p "$KAFKA_HOME"
    mv "$tmp/libs" "$LIBS"
    rm -rf "$tmp"
    printf '%s\n' "$sum" >"$KAFKA_HOME/.pom.sha256"
    exec 9>&-
    say "Kafka jars ready ($(find "$LIBS" -name '*.jar' | wc -l) jars)"
}

# Port the running broker was configured with (its config may differ from the env).
configured_port() {
    sed -En 's#^listeners=(SASL_)?PLAINTEXT://[^:]+:([0-9]+),.*#\2#p' "$CONFIG" 2>/dev/null
}

# The client listener as the template has it (PLAINTEXT), or SASL_PLAINTEXT with SCRAM logins.
write_config() { # [OUT]
    local users sasl=() out="${1:-$CONFIG}"
    mkdir -p "$DATA_DIR" "$LOG_DIR"
    if [[ -n "$SCRAM_USERS" ]]; then
        users="$(scram_users "$SCRAM_USERS" "$BROKER_USER")"
        sasl=(-e 's#PLAINTEXT:PLAINTEXT#SASL_PLAINTEXT:SASL_PLAINTEXT#' -e 's#^\(\(advertised\.\)\?listeners=\)PLAINTEXT://#\1SASL_PLAINTEXT://#'
              -e 's#^inter\.broker\.listener\.name=PLAINTEXT$#inter.broker.listener.name=SASL_PLAINTEXT#')
    fi
    # The broker's password is in the file: private from its first byte.
    (umask 077 && sed -e "s#@PORT@#$KAFKA_PORT#g" -e "s#@CONTROLLER_PORT@#$CONTROLLER_PORT#g" \
        -e "s#@DATA_DIR@#$DATA_DIR#g" "${sasl[@]}" "$BROKERS_DIR/kafka/server.properties.in" >"$out.tmp")
    if [[ -n "$SCRAM_USERS" ]]; then
        { printf '\n# Clients log in with SCRAM, as the users the storage was formatted with; the broker too.\n'
          scram_broker_properties "$BROKER_USER" "$(scram_password "$users" "$BROKER_USER")"; } >>"$out.tmp"
    fi
    mv "$out.tmp" "$out"
}

# Kafka cluster ids are 16 random bytes in URL-safe base64 without padding;
# ids starting with '-' are avoided as the Kafka tools do.
new_cluster_id() {
    local id="-"
    while [[ "$id" == -* ]]; do
        id="$(head -c 16 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=\n')"
    done
    printf '%s' "$id"
}

# Format once: meta.properties marks a formatted log directory. Changing the
# controller port later is fine: on election the controller rewrites its own
# voter endpoint from the current config.
format_storage() { # JAVA
    if [[ -f "$DATA_DIR/meta.properties" ]]; then
        check_scram_users
        return 0
    fi
    local cluster_id args="$RUN_DIR/format.args" users extra=()
    cluster_id="$(new_cluster_id)"
    rm -f "$SCRAM_MARKER"
    if [[ -n "$SCRAM_USERS" ]]; then
        users="$(scram_users "$SCRAM_USERS" "$BROKER_USER")"
        (umask 077 && scram_format_args "$users" >"$args")
        extra=("@$args")
    fi
    say "formatting storage in $DATA_DIR (cluster id $cluster_id, standalone controller${extra:+, SCRAM users of $SCRAM_USERS})"
    if ! "$1" -Xmx256m -Dlog4j2.configurationFile="$BROKERS_DIR/kafka/log4j2-tools.xml" \
            -cp "$LIBS/*" kafka.tools.StorageTool format --standalone \
            --cluster-id "$cluster_id" --config "$CONFIG" "${extra[@]}" >"$LOG_DIR/format.log" 2>&1; then
        rm -f "$args"
        show_log_tail "$LOG_DIR/format.log"
        die "formatting Kafka storage in $DATA_DIR failed (output above); delete $RUN_DIR to start from scratch"
    fi
    rm -f "$args"
    [[ -n "$SCRAM_USERS" ]] && cut -d= -f1 <<<"$users" >"$SCRAM_MARKER"
    return 0
}

# SCRAM users exist only if the storage was formatted with them: refuse a start that would lock clients out.
check_scram_users() {
    local missing
    [[ -n "$SCRAM_USERS" ]] || return 0
    [[ -f "$SCRAM_MARKER" ]] \
        || die "Kafka storage in $DATA_DIR was formatted without SCRAM users (a plaintext run); stop Kafka and delete $RUN_DIR to start over with the users of $SCRAM_USERS"
    missing="$(scram_users "$SCRAM_USERS" "$BROKER_USER" | cut -d= -f1 | grep -vxF -f "$SCRAM_MARKER" | tr '\n' ' ' || true)"
    [[ -z "$missing" ]] \
        || die "Kafka storage in $DATA_DIR has no SCRAM user for: $missing(users are created when the storage is formatted); stop Kafka and delete $RUN_DIR to start over, or add them with kafka-configs.sh --alter --add-config-file"
}

wait_ready() { # PID
    local pid="$1" start="$SECONDS" next_note=5
    while true; do
        if ! kill -0 "$pid" 2>/dev/null; then
            rm -f "$PIDFILE"
            show_log_tail "$LOG_DIR/server.log" 30
            show_log_tail "$OUTFILE" 15
            die "Kafka exited during start-up; logs in $LOG_DIR (server.log, kafka.out)"
        fi
        if probe kafka-ready 127.0.0.1 "$KAFKA_PORT" "$CONFIG" >/dev/null 2>&1; then
            say "Kafka ready on 127.0.0.1:$KAFKA_PORT (pid $pid, ${KAFKA_VERSION}, $((SECONDS - start))s)"
            return 0
        fi
        if (( SECONDS - start >= START_TIMEOUT )); then
            show_log_tail "$LOG_DIR/server.log" 30
            die "Kafka (pid $pid) did not become ready within ${START_TIMEOUT}s; it is still running: '$0 stop' stops it"
        fi
        if (( SECONDS - start >= next_note )); then
            say "waiting for Kafka to accept requests on 127.0.0.1:$KAFKA_PORT ($((SECONDS - start))s)"
            next_note=$((next_note + 5))
        fi
        sleep 0.3
    done
}

cmd_start() {
    local pid java running_port heap=()
    check_port_value CITYTWIN_KAFKA_PORT "$KAFKA_PORT"
    check_port_value CITYTWIN_KAFKA_CONTROLLER_PORT "$CONTROLLER_PORT"
    [[ "$KAFKA_PORT" != "$CONTROLLER_PORT" ]] \
        || die "CITYTWIN_KAFKA_PORT and CITYTWIN_KAFKA_CONTROLLER_PORT are both $KAFKA_PORT; they must differ"

    if pid="$(live_pid "$PIDFILE" "$CONFIG")"; then
        running_port="$(configured_port)"
        [[ "$running_port" == "$KAFKA_PORT" ]] \
            || die "Kafka from $RUN_DIR is already running on port $running_port, not $KAFKA_PORT; stop it first ('$0 stop' with CITYTWIN_KAFKA_PORT=$running_port)"
        write_config "$CONFIG.wanted"
        require_same_security "$CONFIG" "$CONFIG.wanted" \
            '^(listeners|listener\.security\.protocol\.map|inter\.broker\.listener\.name|sasl\.|listener\.name\.)' Kafka
        if probe kafka-ready 127.0.0.1 "$KAFKA_PORT" "$CONFIG" >/dev/null 2>&1; then
            say "Kafka already running (pid $pid) on 127.0.0.1:$KAFKA_PORT"
            return 0
        fi
        wait_ready "$pid"
        return 0
    fi
    rm -f "$PIDFILE"

    java="$(java_bin)"
    require_port_free "$KAFKA_PORT" CITYTWIN_KAFKA_PORT
    require_port_free "$CONTROLLER_PORT" CITYTWIN_KAFKA_CONTROLLER_PORT
    cmd_fetch
    write_config
    format_storage "$java"

    read -ra heap <<<"$HEAP_OPTS"
    : >"$OUTFILE"
    # The JVM options of the distribution's kafka-run-class.sh, minus JMX and GC logs.
    spawn_detached "$PIDFILE" "$OUTFILE" "$java" "${heap[@]}" -server \
        -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -XX:InitiatingHeapOccupancyPercent=35 \
        -XX:+ExplicitGCInvokesConcurrent -XX:+ExitOnOutOfMemoryError -Djava.awt.headless=true \
        -Dkafka.logs.dir="$LOG_DIR" -Dlog4j2.configurationFile="$BROKERS_DIR/kafka/log4j2.xml" \
        -cp "$LIBS/*" kafka.Kafka "$CONFIG"
    pid="$(<"$PIDFILE")"
    say "starting Kafka $KAFKA_VERSION (pid $pid) on 127.0.0.1:$KAFKA_PORT, controller 127.0.0.1:$CONTROLLER_PORT"
    wait_ready "$pid"
}

cmd_stop() {
    local pid
    if pid="$(live_pid "$PIDFILE" "$CONFIG")"; then
        say "stopping Kafka (pid $pid)"
        terminate_pid "$pid" Kafka "$STOP_TIMEOUT"
        say "Kafka stopped"
    else
        say "Kafka is not running"
    fi
    rm -f "$PIDFILE"
}

cmd_status() {
    local pid port
    if pid="$(live_pid "$PIDFILE" "$CONFIG")"; then
        port="$(configured_port)"
        if probe kafka-ready 127.0.0.1 "$port" "$CONFIG" >/dev/null 2>&1; then
            echo "kafka: running (pid $pid) on 127.0.0.1:$port, ready; run dir $RUN_DIR"
        else
            echo "kafka: running (pid $pid) on 127.0.0.1:$port, not answering yet; run dir $RUN_DIR"
        fi
        return 0
    fi
    echo "kafka: stopped (port ${KAFKA_PORT}; run dir $RUN_DIR)"
    return "$EXIT_STOPPED"
}

cmd_logs() { show_log "$LOG_DIR/server.log" Kafka "$@"; }

case "${1:-}" in
    fetch) cmd_fetch; say "Kafka $KAFKA_VERSION jars in $LIBS" ;;
    config) write_config; printf '%s\n' "$CONFIG" ;;
    start) cmd_start ;;
    stop) cmd_stop ;;
    restart) cmd_stop; cmd_start ;;
    status) cmd_status ;;
    logs) shift; cmd_logs "$@" ;;
    -h|--help|help) usage ;;
    *) usage >&2; exit 2 ;;
esac
