#!/usr/bin/env bash
# Runs the platform locally after doing all set-up itself: the OpenAI-compatible Gateway with the engine
# in the same process (the all-in-one mode), serving --model DIR or, by default, the demo model that
# set-up writes to .artifacts/models/demo (random weights, random text).
#
#   infra/run.sh [--model DIR] [--port 8000] [--served-model-name NAME] [--Engine:Device cuda] ...
#                                                               (also serves the fine-tuning API; jobs, files and
#                                                               checkpoints under .artifacts/finetune or $FINETUNE_DATA)
#   infra/run.sh split [--model DIR] [--port 8000] ...           Gateway, Prefill and Decode as separate
#                                                               processes on loopback, real gRPC between them; the
#                                                               Gateway serves the fine-tuning API too and places each
#                                                               job on the Decode instance (same data directory)
#   infra/run.sh generate [--model DIR] [--prompt TEXT] ...     one-shot text generation, no server
#
# Both serving modes also start the KvStore service (chunk KV ingest, HTTP on :5103, gRPC on :5104) and,
# unless ConnectionStrings:redis is configured (--ConnectionStrings:redis HOST:PORT or the environment
# variable ConnectionStrings__redis), a local redis-server with infra/redis/redis.conf on 127.0.0.1:$REDIS_PORT
# (default 6390); every service gets the connection string.
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
pids=()
trap 'kill "${pids[@]}" 2>/dev/null; wait' EXIT INT TERM
redis="${ConnectionStrings__redis:-}"
for ((i = 0; i < ${#args[@]}; i++)); do
  case "${args[$i]}" in
    --ConnectionStrings:redis) redis=${args[$((i + 1))]:-} ;;
    --ConnectionStrings:redis=*) redis=${args[$i]#--ConnectionStrings:redis=} ;;
  esac
done
if [ -z "$redis" ]; then
  redis_port=${REDIS_PORT:-6390}
  command -v redis-server >/dev/null || { echo "run: redis-server is missing; run infra/install-packages.sh or set ConnectionStrings:redis" >&2; exit 1; }
  (cd "$root" && exec redis-server infra/redis/redis.conf --port "$redis_port" --daemonize no --logfile "" --loglevel warning) &
  pids+=($!)
  redis="127.0.0.1:$redis_port"
  for _ in $(seq 100); do
    redis-cli -p "$redis_port" ping >/dev/null 2>&1 && break
    sleep 0.1
  done
  echo "run: redis-server (chunk KV store) on $redis" >&2
fi
export ConnectionStrings__redis="$redis"
kvstore_http=${KVSTORE_HTTP_PORT:-5103}
kvstore_grpc=${KVSTORE_GRPC_PORT:-5104}
kvstore_model=""
shared_args=()   # engine and chunk-store settings every engine process must share (they are part of chunk keys)
for ((i = 0; i < ${#args[@]}; i++)); do
  case "${args[$i]}" in
    --model) kvstore_model=${args[$((i + 1))]} ;;
    --Engine:*|--ChunkStore:*) shared_args+=("${args[$i]}" "${args[$((i + 1))]:-}") ;;
  esac
done
kvstore_model=$(realpath "${kvstore_model:-$demo}")
(cd "$root/services/KvStore/bin/$bin" && exec dotnet Platform.KvStore.dll --model "$kvstore_model" "${shared_args[@]}" \
  --Kestrel:Endpoints:Http:Url "http://127.0.0.1:$kvstore_http" --Kestrel:Endpoints:Grpc:Url "http://127.0.0.1:$kvstore_grpc") &
pids+=($!)
export ConnectionStrings__kvstore="http://127.0.0.1:$kvstore_grpc"
echo "run: KvStore (chunk ingest) at http://127.0.0.1:$kvstore_http/v1/ingest, gRPC on :$kvstore_grpc" >&2
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
  dotnet "services/Decode/bin/$bin/Platform.Decode.dll" --model "$model" --urls "http://127.0.0.1:$decode_port" "${shared_args[@]}" &
  pids+=($!)
  dotnet "services/Prefill/bin/$bin/Platform.Prefill.dll" --model "$model" --urls "http://127.0.0.1:$prefill_port" "${shared_args[@]}" &
  pids+=($!)
  echo "platform (split): prefill on :$prefill_port, decode on :$decode_port; OpenAI-compatible API (with /v1/files and /v1/fine_tuning/jobs, trained on decode) at http://127.0.0.1:$port/v1" >&2
  # The Split Gateway with the fine-tuning API (services/Finetune): jobs train co-served on the Decode instance, which
  # writes checkpoints and adapters under the same Finetune:DataPath (one machine, so the storage is shared).
  dotnet "services/Finetune/bin/$bin/Platform.Finetune.dll" "${with_model[@]}" "${args[@]}" --Gateway:Mode Split \
    --Finetune:DataPath "${FINETUNE_DATA:-$root/.artifacts/finetune-split}" \
    --Gateway:Prefill:Instances:0:Name prefill-0 --Gateway:Prefill:Instances:0:Address "http://127.0.0.1:$prefill_port" \
    --Gateway:Decode:Instances:0:Name decode-0 --Gateway:Decode:Instances:0:Address "http://127.0.0.1:$decode_port" &
  pids+=($!)
  wait "${pids[-1]}"
  exit $?
fi
# All-in-one: the Gateway with its engine, plus the fine-tuning API (services/Finetune) co-served on that engine.
echo "platform: OpenAI-compatible API (with /v1/files and /v1/fine_tuning/jobs) at http://127.0.0.1:$port/v1 (try: curl http://127.0.0.1:$port/v1/models)" >&2
dotnet "services/Finetune/bin/$bin/Platform.Finetune.dll" "${with_model[@]}" "${args[@]}" \
  --Finetune:DataPath "${FINETUNE_DATA:-$root/.artifacts/finetune}" &
pids+=($!)
wait "${pids[-1]}"
