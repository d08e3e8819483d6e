#!/usr/bin/env bash
# Conversation tests (tests/test_stories.yml) against the trained model, with a real action
# server on a spare port. Fails on any wrong prediction.
set -euo pipefail
cd "$(dirname "$0")/.."
export RASA_TELEMETRY_ENABLED=false TF_CPP_MIN_LOG_LEVEL=2
port="${TEST_ACTIONS_PORT:-5155}"
mkdir -p var results
# the action server writes alerts and hand-offs: give it a fresh, migrated database
db="var/test-stories.db"
rm -f "$db" "$db-wal" "$db-shm"
export DATABASE_URL="sqlite:///$PWD/$db"
.venv/bin/alembic upgrade head >/dev/null 2>&1
endpoints=var/test-endpoints.yml
cat > "$endpoints" <<YAML
action_endpoint:
  url: "http://localhost:$port/webhook"
  headers:
    Authorization: "Bearer \${ACTION_SERVER_TOKEN}"
nlg:
  type: addons.nlg.ClinicNaturalLanguageGenerator
YAML
ACTION_SERVER_TOKEN="$(.venv/bin/python -c "import secrets; print(secrets.token_urlsafe(24))")"
export ACTION_SERVER_TOKEN
.venv/bin/python -m action_server --port "$port" >results/test-actions.log 2>&1 &
pid=$!
trap 'kill "$pid" 2>/dev/null || true' EXIT
for _ in $(seq 1 60); do
  curl -sf "http://localhost:$port/health" >/dev/null && break
  sleep 0.5
done
.venv/bin/rasa test core --model models/clinic.tar.gz --stories tests/test_stories.yml \
  --endpoints "$endpoints" --e2e --fail-on-prediction-errors --out results/stories --quiet
echo "conversation tests: all stories passed"
