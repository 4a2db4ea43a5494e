#!/usr/bin/env bash
# make demo: real brokers, emulated edge nodes replaying vtest.avi, the bridge,
# the sink and the twin, on this machine; prints where to look.
# Everything keeps running until `make stop`.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"
# shellcheck source=ops/demo/env.sh
source ops/demo/env.sh

echo "== logins: every service and edge node its own, anonymous clients refused"
ops/demo/setup.sh

echo
echo "== brokers"
ops/brokers/brokers.sh start

mkdir -p "$DEMO_LOGS"
start_service() {  # start_service NAME ARGS...: run `citytwin ARGS` in the background, once, with NAME's logins
    local name="$1"; shift
    local pidfile="$DEMO_RUN/$name.pid"
    if [[ -f "$pidfile" ]] && kill -0 "$(cat "$pidfile")" 2>/dev/null; then
        echo "   $name already running (pid $(cat "$pidfile"))"
        return
    fi
    setsid "$CITYTWIN" --log-json --credentials "$DEMO_SECRETS/services/$name/credentials.env" "$@" \
        >"$DEMO_LOGS/$name.log" 2>&1 < /dev/null &
    echo $! > "$pidfile"
    echo "   $name started (pid $!, log $DEMO_LOGS/$name.log)"
}

echo
echo "== cloud services and emulated edge nodes (config $DEMO_CONFIG)"
for service in bridge sink rules; do
    start_service "$service" "$service" --config "$DEMO_CONFIG"
done
for camera in cam-1 cam-2; do
    start_service "edge-$camera" edge --config "$DEMO_CONFIG" --camera "$camera"
done

start_service cockpit cockpit --config "$DEMO_CONFIG" --users "$DEMO_RUN/users.yaml" --port "$COCKPIT_PORT"

echo
echo "== waiting 40 s for events to reach the lake"
sleep 40
echo
echo "== the twin: events per type so far"
"$CITYTWIN" --log-level WARNING query --config "$DEMO_CONFIG" \
    "SELECT camera, type, count(*) AS events FROM events GROUP BY ALL ORDER BY camera, type" || true
echo
"$CITYTWIN" --log-level WARNING query --config "$DEMO_CONFIG" \
    "SELECT * FROM current_occupancy ORDER BY camera, zone" || true

cat <<EOF2

== where to look
  cockpit    http://127.0.0.1:$COCKPIT_PORT/   user operator, password in $DEMO_RUN/operator.password
  Mosquitto  127.0.0.1:$CITYTWIN_MQTT_PORT   logins only; watch as the bridge: mosquitto_sub -h 127.0.0.1 -p $CITYTWIN_MQTT_PORT \\
             -u citytwin-bridge -P <CITYTWIN_MQTT_PASSWORD in $DEMO_SECRETS/services/bridge/credentials.env> -t 'citytwin/#' -v
  Kafka      $CITYTWIN_KAFKA_BOOTSTRAP   SASL/SCRAM logins only; topics citytwin.events, citytwin.dlq
  tools      $CITYTWIN --credentials $DEMO_SECRETS/services/ops/credentials.env dlq --config $DEMO_CONFIG list
  lake       $CITYTWIN_LAKE   (Parquet, date=/hour=)
  twin       $CITYTWIN query --config $DEMO_CONFIG "SELECT * FROM counts('1 minute') ORDER BY bucket_start DESC LIMIT 20"
  logs       $DEMO_LOGS/
  stop       make stop
EOF2
