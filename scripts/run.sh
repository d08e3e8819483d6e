#!/usr/bin/env bash
# Start every service: the action server, the notification worker, the Rasa server and the
# staff review console. Ctrl-C (or any one of them dying) stops all. The database schema is
# upgraded first.
# Shared secrets, each the environment variable if set, else a random one kept in var/
# (readable by you only): RASA_API_TOKEN (Rasa's HTTP API: staff tools reply and resume),
# REST_API_TOKEN (the REST channel's integrations) and ACTION_SERVER_TOKEN (Rasa -> actions).
set -euo pipefail
cd "$(dirname "$0")/.."
export RASA_TELEMETRY_ENABLED=false TF_CPP_MIN_LOG_LEVEL=2
export SANIC_REQUEST_MAX_SIZE="${SANIC_REQUEST_MAX_SIZE:-1048576}"
umask 077  # transcripts (var/clinic.db), logs and secrets: readable by this user only
mkdir -p var
chmod -R go-rwx var

secret() {  # secret NAME FILE: export NAME from the environment, else from FILE (made once)
  local name="$1" file="var/$2"
  if [ -z "${!name:-}" ]; then
    if [ ! -s "$file" ]; then
      (umask 077 && .venv/bin/python -c "import secrets; print(secrets.token_urlsafe(32))" > "$file")
    fi
    printf -v "$name" '%s' "$(cat "$file")"
  fi
  export "${name?}"
}
secret RASA_API_TOKEN api_token
secret REST_API_TOKEN rest_token
secret ACTION_SERVER_TOKEN action_token
secret LOG_TAG_SECRET log_tag_key  # keyed conversation tags in the logs (clinic/privacy.py)

.venv/bin/alembic upgrade head

RASA_PORT="${RASA_PORT:-5005}"
export ACTIONS_PORT="${ACTIONS_PORT:-5055}"  # endpoints.yml reads it
export CONSOLE_PORT="${CONSOLE_PORT:-8000}"
export RASA_URL="${RASA_URL:-http://localhost:$RASA_PORT}"
endpoints="${ENDPOINTS:-endpoints.yml}"

.venv/bin/python -m action_server --port "$ACTIONS_PORT" &
actions_pid=$!
.venv/bin/python -m clinic.worker &
worker_pid=$!
.venv/bin/python -m scripts.rasa_run run --model models/clinic.tar.gz --port "$RASA_PORT" \
  --credentials credentials.yml --endpoints "$endpoints" --enable-api &  # token from env
rasa_pid=$!
.venv/bin/python -m console &
console_pid=$!

stop() {
  trap - INT TERM EXIT
  kill -TERM "$actions_pid" "$worker_pid" "$rasa_pid" "$console_pid" 2>/dev/null || true
  wait "$actions_pid" "$worker_pid" "$rasa_pid" "$console_pid" 2>/dev/null || true
}
trap stop INT TERM EXIT
echo "Rasa: http://localhost:$RASA_PORT/webhooks/rest/webhook (Bearer token: var/rest_token)   SMS (Twilio): /webhooks/twilio/webhook   actions: 127.0.0.1:$ACTIONS_PORT   worker: on"
echo "Website chat demo page: http://localhost:$RASA_PORT/webhooks/socketio/demo"
echo "Review console (staff): http://${CONSOLE_HOST:-127.0.0.1}:$CONSOLE_PORT/"
if ! .venv/bin/python -m clinic users has-admin; then
  echo "No console admin account yet: create one with"
  echo "  .venv/bin/python -m clinic users create --username NAME --role admin"
fi
echo "Staff tools: .venv/bin/python -m clinic staff list   (Ctrl-C stops everything)"
wait -n "$actions_pid" "$worker_pid" "$rasa_pid" "$console_pid"
