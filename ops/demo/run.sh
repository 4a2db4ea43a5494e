#!/usr/bin/env bash
# make demo: start the real brokers and run every built stage of the pipeline
# on the recorded video, then print where to look.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"
bin="$root/.venv/bin"
video="$("$root/tests/fixtures/fetch.sh" --print-dir)/vtest.avi"
mqtt_port="${CITYTWIN_MQTT_PORT:-1883}"
kafka_port="${CITYTWIN_KAFKA_PORT:-9092}"
run="${CITYTWIN_RUN:-$root/.run}"

echo "== brokers"
ops/brokers/brokers.sh start

echo
echo "== detector on recorded video ($video, every 50th frame)"
"$bin/citytwin" detect "$video" --every 50

cat <<EOF2

== where to look
  Mosquitto  127.0.0.1:$mqtt_port   watch: mosquitto_sub -h 127.0.0.1 -p $mqtt_port -t 'citytwin/#' -v
  Kafka      127.0.0.1:$kafka_port   (KRaft, single node)
  logs       $run/
  detector   $bin/citytwin detect $video --start 200 --frames 1
  stop       make stop

The edge node, bridge, sink, twin and cockpit are listed by '$bin/citytwin --help';
the demo starts each of them here as soon as it is built.
EOF2
