#!/usr/bin/env bash
# Runs the platform locally after doing all set-up itself: the OpenAI-compatible Gateway with the engine
# in the same process (the all-in-one mode), serving --model DIR or, by default, the demo model that
# set-up writes to .artifacts/models/demo (random weights, random text).
#
#   infra/run.sh [--model DIR] [--port 8000] [--served-model-name NAME] [--Engine:Device cuda] ...
#   infra/run.sh generate [--model DIR] [--prompt TEXT] ...     one-shot text generation, no server
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
export CONFIGURATION=${CONFIGURATION:-Release}
bash infra/setup.sh >&2

bin="$CONFIGURATION/net10.0/linux-x64"
demo="$root/.artifacts/models/demo"
if [ ! -f "$demo/model.safetensors" ]; then
  dotnet "services/Generate/bin/$bin/Platform.Generate.dll" --create-demo-model "$demo"
fi
with_model=()
case " $* " in
  *" --model "*|*" --model="*|*" --help "*|*" -h "*) ;;
  *) with_model=(--model "$demo") ;;
esac

if [ "${1:-}" = generate ]; then
  shift
  exec dotnet "services/Generate/bin/$bin/Platform.Generate.dll" "${with_model[@]}" "$@"
fi

port=8000
args=("$@")
for ((i = 0; i < ${#args[@]}; i++)); do
  case "${args[$i]}" in
    --port) port=${args[$((i + 1))]:-$port} ;;
    --port=*) port=${args[$i]#--port=} ;;
  esac
done
case " $* " in
  *" --port"*) ;;
  *) args+=(--port "$port") ;;
esac
echo "platform: OpenAI-compatible API at http://127.0.0.1:$port/v1 (try: curl http://127.0.0.1:$port/v1/models)" >&2
exec dotnet "services/Gateway/bin/$bin/Platform.Gateway.dll" "${with_model[@]}" "${args[@]}"
