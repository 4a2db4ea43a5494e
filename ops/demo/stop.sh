#!/usr/bin/env bash
# Stop what `make demo` started: services first (SIGTERM, then SIGKILL after
# 15 s), brokers last, so the services can drain into them.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"
# shellcheck source=ops/demo/env.sh
source ops/demo/env.sh
for pidfile in "$DEMO_RUN"/cockpit.pid "$DEMO_RUN"/rules.pid "$DEMO_RUN"/edge-*.pid "$DEMO_RUN"/bridge.pid "$DEMO_RUN"/sink.pid; do
    [[ -f "$pidfile" ]] || continue
    pid="$(cat "$pidfile")"
    name="$(basename "$pidfile" .pid)"
    if kill -0 "$pid" 2>/dev/null; then
        kill -TERM "$pid"
        for _ in $(seq 150); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        if kill -0 "$pid" 2>/dev/null; then
            echo "demo: $name did not stop in 15 s; killing it" >&2
            kill -KILL "$pid" || true
        fi
        echo "demo: stopped $name"
    fi
    rm -f "$pidfile"
done
ops/brokers/brokers.sh stop
