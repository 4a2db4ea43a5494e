# shellcheck shell=bash
# SCRAM logins for a Kafka broker, from a users file of NAME=password lines (citytwin
# credentials writes it). Sourced by ops/brokers/kafka.sh and by the compose broker's
# deploy/kafka/start.sh, so both check the file and spell the broker's settings alike.
# Defines functions only; each needs a die function from the script that sources it.

SCRAM_MECHANISM=SCRAM-SHA-512

# Print the checked lines of USERS: names and passwords that kafka-storage's SCRAM syntax and
# a JAAS string take literally, a private file, and a line for the broker's own user.
scram_users() { # USERS BROKER_USER
    local line found=0
    [[ -r "$1" ]] || die "$1 is not a readable file; write it with: citytwin credentials --config SITE.yaml --out DIR (it is DIR/kafka/scram-users)"
    [[ -z "$(find "$1" -perm /077)" ]] || die "$1 holds passwords but other users may read it; chmod 600 $1"
    while IFS= read -r line || [[ -n "$line" ]]; do
        [[ -z "$line" || "$line" == \#* ]] && continue
        [[ "$line" =~ ^[A-Za-z0-9._@-]+=[A-Za-z0-9_-]+$ ]] \
            || die "$1: '${line%%=*}=...' is not NAME=password with letters, digits and . _ @ - only"
        [[ "${line%%=*}" == "$2" ]] && found=1
        printf '%s\n' "$line"
    done <"$1"
    (( found )) || die "$1 has no line for the broker's own user $2"
}

# The password of USER among checked LINES (from scram_users).
scram_password() { # LINES USER
    local name secret
    while IFS='=' read -r name secret; do
        if [[ "$name" == "$2" ]]; then printf '%s' "$secret"; return 0; fi
    done <<<"$1"
    return 1
}

# kafka-storage format arguments that create every user of LINES, one per line, for an
# @argument file: on the command line the passwords would show in the process list.
scram_format_args() { # LINES
    local name secret
    while IFS='=' read -r name secret; do
        printf -- '--add-scram\n%s=[name=%s,password=%s]\n' "$SCRAM_MECHANISM" "$name" "$secret"
    done <<<"$1"
}

# server.properties lines for a SASL_PLAINTEXT listener with SCRAM, the broker logging in as USER.
scram_broker_properties() { # USER PASSWORD
    printf '%s\n' "sasl.enabled.mechanisms=$SCRAM_MECHANISM" "sasl.mechanism.inter.broker.protocol=$SCRAM_MECHANISM" \
        "listener.name.sasl_plaintext.scram-sha-512.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username=\"$1\" password=\"$2\";"
}
