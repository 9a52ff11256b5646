#!/usr/bin/env bash
# Runs docker-compose.yml (the whole platform in containers) with what it needs in place:
#   - the model: MODEL_DIR (a Hugging Face checkpoint directory), or else the demo model in
#     .artifacts/models/demo, created here once (needs the .NET SDK, like infra/run.sh);
#   - BuildKit for the images' build cache (docker-compose 1.x needs it switched on);
#   - a Docker engine (started where none answers) and the images' .NET base images (infra/images/bases.sh).
# Any arguments go to compose:  infra/compose.sh up -d --build | ps | logs -f gateway | down
# GPU: COMPOSE_FILE=docker-compose.yml:docker-compose.gpu.yml infra/compose.sh up -d --build
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

if [ -z "${MODEL_DIR:-}" ]; then
  demo="$root/.artifacts/models/demo"
  if [ ! -f "$demo/model.safetensors" ]; then
    bash infra/setup.sh >&2
    dotnet "services/Generate/bin/${CONFIGURATION:-Release}/net10.0/linux-x64/Platform.Generate.dll" --create-demo-model "$demo"
  fi
  export MODEL_DIR="$demo"
elif [ ! -f "$MODEL_DIR/config.json" ]; then
  echo "compose: MODEL_DIR=$MODEL_DIR has no config.json (a Hugging Face checkpoint directory is needed)" >&2
  exit 1
fi
export SERVED_MODEL_NAME=${SERVED_MODEL_NAME:-$(basename "$MODEL_DIR")}
export DOCKER_BUILDKIT=1 COMPOSE_DOCKER_CLI_BUILD=1

# A Docker engine (infra/images/engine.sh starts Debian's docker.io where none answers) and a client that builds
# with BuildKit, first on PATH: docker-compose 1.x builds by running `docker build`.
docker_cli=$(bash infra/images/engine.sh)
[ "$docker_cli" = docker ] || export PATH="$(dirname "$docker_cli"):$PATH"
# The images' .NET base images: Microsoft's, or local stand-ins where mcr.microsoft.com cannot be reached.
if [ -z "${SDK_IMAGE:-}" ] || [ -z "${RUNTIME_IMAGE:-}" ]; then
  { read -r SDK_IMAGE; read -r RUNTIME_IMAGE; } < <(bash infra/images/bases.sh auto "$docker_cli")
  export SDK_IMAGE RUNTIME_IMAGE
fi

if docker compose version >/dev/null 2>&1; then
  exec docker compose "$@"
elif command -v docker-compose >/dev/null 2>&1; then
  exec docker-compose "$@"
fi
echo "compose: neither 'docker compose' nor 'docker-compose' is installed" >&2
exit 1
