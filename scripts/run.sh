#!/usr/bin/env bash
# Start the action server and the Rasa server; Ctrl-C (or either one dying) stops both.
# Rasa's HTTP API is enabled only when RASA_API_TOKEN is set (and then requires it).
set -euo pipefail
cd "$(dirname "$0")/.."
export RASA_TELEMETRY_ENABLED=false TF_CPP_MIN_LOG_LEVEL=2
export SANIC_REQUEST_MAX_SIZE="${SANIC_REQUEST_MAX_SIZE:-1048576}"
mkdir -p var

RASA_PORT="${RASA_PORT:-5005}"
ACTIONS_PORT="${ACTIONS_PORT:-5055}"
api_args=()
if [ -n "${RASA_API_TOKEN:-}" ]; then
  api_args=(--enable-api --auth-token "$RASA_API_TOKEN")
fi

.venv/bin/python -m rasa_sdk --actions actions --port "$ACTIONS_PORT" &
actions_pid=$!
.venv/bin/rasa run --model models/clinic.tar.gz --port "$RASA_PORT" \
  --credentials credentials.yml --endpoints "${ENDPOINTS:-endpoints.yml}" "${api_args[@]}" &
rasa_pid=$!

stop() {
  trap - INT TERM EXIT
  kill -TERM "$actions_pid" "$rasa_pid" 2>/dev/null || true
  wait "$actions_pid" "$rasa_pid" 2>/dev/null || true
}
trap stop INT TERM EXIT
echo "Rasa server: http://localhost:$RASA_PORT/webhooks/rest/webhook   actions: :$ACTIONS_PORT   (Ctrl-C stops both)"
wait -n "$actions_pid" "$rasa_pid"
