#!/usr/bin/env bash
# Start, stop or show both development brokers (Mosquitto and Kafka).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

usage() {
    cat <<USAGE
usage: $(basename "$0") {start|stop|restart|status}

Both brokers on 127.0.0.1: Mosquitto (\$CITYTWIN_MQTT_PORT, default 1883) and
Kafka (\$CITYTWIN_KAFKA_PORT, default 9092; controller \$CITYTWIN_KAFKA_CONTROLLER_PORT, 9093).
Run state lives in \$CITYTWIN_RUN (default <repo>/.run). See ops/brokers/README.md.

  start    start both (Mosquitto first: it is quick), waiting until each is ready
  stop     stop both (Kafka first)
  restart  stop, then start
  status   show both; exit 0 if both run, 3 otherwise
USAGE
}

case "${1:-}" in
    start)
        "$here/mosquitto.sh" start
        "$here/kafka.sh" start
        ;;
    stop)
        # Stop both even if the first one fails.
        rc=0
        "$here/kafka.sh" stop || rc=$?
        "$here/mosquitto.sh" stop || rc=$?
        exit "$rc"
        ;;
    restart)
        "$0" stop
        "$0" start
        ;;
    status)
        rc=0
        "$here/mosquitto.sh" status || rc=$?
        "$here/kafka.sh" status || rc=$?
        exit "$rc"
        ;;
    -h|--help|help) usage ;;
    *) usage >&2; exit 2 ;;
esac
