#!/usr/bin/env bash
# Runs the platform locally after doing all set-up itself: the OpenAI-compatible Gateway with the engine
# in the same process (the all-in-one mode), serving --model DIR or, by default, the demo model that
# set-up writes to .artifacts/models/demo (random weights, random text).
#
#   infra/run.sh [--model DIR] [--port 8000] [--served-model-name NAME] [--Engine:Device cuda] ...
#   infra/run.sh split [--model DIR] [--port 8000] ...           Gateway, Prefill and Decode as separate
#                                                               processes on loopback, real gRPC between them
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

mode=local
if [ "${1:-}" = split ]; then
  mode=split
  shift
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
if [ "$mode" = split ]; then
  model=""
  for ((i = 0; i < ${#args[@]}; i++)); do
    [ "${args[$i]}" = --model ] && model=${args[$((i + 1))]}
  done
  model=$(realpath "${model:-$demo}")
  prefill_port=${PREFILL_PORT:-5101}
  decode_port=${DECODE_PORT:-5102}
  pids=()
  trap 'kill "${pids[@]}" 2>/dev/null; wait' EXIT INT TERM
  dotnet "services/Decode/bin/$bin/Platform.Decode.dll" --model "$model" --urls "http://127.0.0.1:$decode_port" &
  pids+=($!)
  dotnet "services/Prefill/bin/$bin/Platform.Prefill.dll" --model "$model" --urls "http://127.0.0.1:$prefill_port" &
  pids+=($!)
  echo "platform (split): prefill on :$prefill_port, decode on :$decode_port; OpenAI-compatible API at http://127.0.0.1:$port/v1" >&2
  dotnet "services/Gateway/bin/$bin/Platform.Gateway.dll" "${with_model[@]}" "${args[@]}" --Gateway:Mode Split \
    --Gateway:Prefill:Instances:0:Name prefill-0 --Gateway:Prefill:Instances:0:Address "http://127.0.0.1:$prefill_port" \
    --Gateway:Decode:Instances:0:Name decode-0 --Gateway:Decode:Instances:0:Address "http://127.0.0.1:$decode_port" &
  pids+=($!)
  wait "${pids[-1]}"
  exit $?
fi
echo "platform: OpenAI-compatible API at http://127.0.0.1:$port/v1 (try: curl http://127.0.0.1:$port/v1/models)" >&2
exec dotnet "services/Gateway/bin/$bin/Platform.Gateway.dll" "${with_model[@]}" "${args[@]}"
