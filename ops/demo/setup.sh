#!/usr/bin/env bash
# The demo's first-start step, safe to run again: every login the demo uses
# (citytwin credentials keeps existing passwords), the cockpit's operator
# account, and both brokers' configs, which admit only those logins.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"
# shellcheck source=ops/demo/env.sh
source ops/demo/env.sh
# Everything written from here on holds or names a secret: private from its first byte.
umask 077

"$CITYTWIN" --log-level WARNING credentials --config "$DEMO_CONFIG" --out "$DEMO_SECRETS"

# The cockpit needs an account; the demo makes one operator with a fresh password.
users="$DEMO_RUN/users.yaml"
password_file="$DEMO_RUN/operator.password"
if [[ ! -f "$users" || ! -f "$password_file" ]]; then
    password="$("$root/.venv/bin/python" -c 'import secrets; print(secrets.token_urlsafe(12))')"
    printf '%s\n' "$password" >"$password_file"
    CITYTWIN_COCKPIT_PASSWORD="$password" "$root/.venv/bin/python" -m cloud.cockpit.users "$users" operator admin >/dev/null
fi

echo "   logins in $DEMO_SECRETS (one folder per service), cockpit account in $users"
echo "   Mosquitto config $(ops/brokers/mosquitto.sh config), Kafka config $(ops/brokers/kafka.sh config)"
