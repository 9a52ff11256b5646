#!/usr/bin/env bash
# Sends test requests to the platform through the ingress (TLS, the API key from its Secret): the model list,
# a completion and a streamed chat completion. Exits non-zero when any fails.
#   NAMESPACE=llm infra/cluster/smoke-test.sh [https://platform.localtest.me:8443]
#   API_KEY=sk-... infra/cluster/smoke-test.sh http://127.0.0.1:8000      # any Gateway, the key given
set -euo pipefail
namespace=${NAMESPACE:-llm}
base=${1:-https://platform.localtest.me:8443}
model=${SERVED_MODEL_NAME:-demo}
key=${API_KEY:-$(kubectl -n "$namespace" get secret platform-api-keys -o jsonpath='{.data.api-key-0}' | base64 -d)}
curl_api() { curl -fsS --insecure --max-time 120 -H "Authorization: Bearer $key" "$@"; }

echo "smoke-test: GET $base/v1/models" >&2
curl_api "$base/v1/models" | grep -q "\"$model\"" || { echo "smoke-test: model $model not listed" >&2; exit 1; }

echo "smoke-test: POST $base/v1/completions" >&2
curl_api "$base/v1/completions" -H 'content-type: application/json' \
  -d "{\"model\": \"$model\", \"prompt\": \"Once upon a time\", \"max_tokens\": 16, \"temperature\": 0}" \
  | grep -q '"completion_tokens"' || { echo "smoke-test: completion without usage" >&2; exit 1; }

echo "smoke-test: POST $base/v1/chat/completions (stream)" >&2
curl_api -N "$base/v1/chat/completions" -H 'content-type: application/json' \
  -d "{\"model\": \"$model\", \"messages\": [{\"role\": \"user\", \"content\": \"Tell me a story\"}], \"max_tokens\": 16, \"stream\": true}" \
  | grep -q 'data: \[DONE\]' || { echo "smoke-test: stream did not end with [DONE]" >&2; exit 1; }

echo "smoke-test: unauthenticated request is refused" >&2
code=$(curl -s --insecure -o /dev/null -w '%{http_code}' "$base/v1/models")
[ "$code" = 401 ] || { echo "smoke-test: expected 401 without a key, got $code" >&2; exit 1; }
echo "smoke-test: ok" >&2
