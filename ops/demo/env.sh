# Settings shared by ops/demo/setup.sh, run.sh and stop.sh: the demo runs on the host,
# so the compose defaults in deploy/demo-site.yaml are overridden here.
root="${root:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}"
export CITYTWIN_RUN="${CITYTWIN_RUN:-$root/.run}"
export CITYTWIN_CACHE="${CITYTWIN_CACHE:-$HOME/.cache/citytwin}"
export CITYTWIN_MQTT_HOST=127.0.0.1
export CITYTWIN_MQTT_PORT="${CITYTWIN_MQTT_PORT:-1883}"
export CITYTWIN_KAFKA_BOOTSTRAP="127.0.0.1:${CITYTWIN_KAFKA_PORT:-9092}"
export CITYTWIN_LAKE="$CITYTWIN_RUN/demo/lake"
export CITYTWIN_SPOOL="$CITYTWIN_RUN/demo/spool"
export CITYTWIN_KAFKA_DATA="$(hostname):$CITYTWIN_RUN/kafka/data"
export CITYTWIN_MQTT_DATA="$(hostname):$CITYTWIN_RUN/mosquitto/data"
# Several services and edge nodes share the host: none serves /metrics unless these are set before.
export CITYTWIN_METRICS_BIND="${CITYTWIN_METRICS_BIND:-127.0.0.1}"
for service in EDGE BRIDGE SINK RULES COCKPIT RETENTION; do
  export "CITYTWIN_METRICS_$service=$(printenv "CITYTWIN_METRICS_$service" || echo 0)"
done
DEMO_RUN="$CITYTWIN_RUN/demo"
DEMO_LOGS="$DEMO_RUN/logs"
# Every login of the demo (ops/demo/setup.sh writes them): the brokers admit only these.
DEMO_SECRETS="$DEMO_RUN/secrets"
export CITYTWIN_MQTT_AUTH_DIR="$DEMO_SECRETS/mosquitto"
export CITYTWIN_KAFKA_SCRAM_USERS="$DEMO_SECRETS/kafka/scram-users"
DEMO_CONFIG="$root/deploy/demo-site.yaml"
COCKPIT_PORT="${CITYTWIN_COCKPIT_PORT:-8080}"
CITYTWIN="$root/.venv/bin/citytwin"
mkdir -p "$DEMO_RUN"
