#!/usr/bin/env bash
# The compose Kafka (apache/kafka image, run as its appuser): SCRAM logins only. The users
# come from the secrets service (its kafka/ part, mounted read-only); they are created when
# the storage is first formatted. The broker's own password goes only into private copies
# of the config under /tmp, never onto a command line.
set -euo pipefail
umask 077
die() { printf 'kafka start: error: %s\n' "$*" >&2; exit 1; }
# shellcheck source=ops/brokers/scram.sh
source /opt/citytwin/scram.sh

USERS=/etc/kafka/citytwin-secrets/scram-users
BROKER_USER=kafka-broker
DATA=/var/lib/kafka/data
RUN=/tmp/citytwin
CONFIG="$RUN/server.properties"

mkdir -p "$RUN"
users="$(scram_users "$USERS" "$BROKER_USER")"
password="$(scram_password "$users" "$BROKER_USER")"
{ cat /etc/citytwin/kafka/server.properties; scram_broker_properties "$BROKER_USER" "$password"; } >"$CONFIG"
# For the health check: the broker's own login as a client.
printf '%s\n' "security.protocol=SASL_PLAINTEXT" "sasl.mechanism=$SCRAM_MECHANISM" \
    "sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username=\"$BROKER_USER\" password=\"$password\";" \
    >"$RUN/client.properties"

if [[ ! -f "$DATA/meta.properties" ]]; then
    scram_format_args "$users" >"$RUN/format.args"
    /opt/kafka/bin/kafka-storage.sh format --standalone --cluster-id "$(/opt/kafka/bin/kafka-storage.sh random-uuid)" \
        --config "$CONFIG" "@$RUN/format.args"
    rm -f "$RUN/format.args"
fi
exec /opt/kafka/bin/kafka-server-start.sh "$CONFIG"
