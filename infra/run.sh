#!/usr/bin/env bash
# Runs the platform's main job after doing all set-up itself. Until the serving services land, that is
# text generation with the engine: infra/run.sh [--model DIR] [--prompt TEXT] [...]; --help lists options.
# Without --model it serves the demo model (random weights) that set-up writes to .artifacts/models/demo.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
export CONFIGURATION=${CONFIGURATION:-Release}
bash infra/setup.sh >&2

generate=(dotnet "services/Generate/bin/$CONFIGURATION/net10.0/linux-x64/Platform.Generate.dll")
demo="$root/.artifacts/models/demo"
if [ ! -f "$demo/model.safetensors" ]; then
  "${generate[@]}" --create-demo-model "$demo"
fi
case " $* " in
  *" --model "*|*" --help "*|*" -h "*) exec "${generate[@]}" "$@" ;;
  *) exec "${generate[@]}" --model "$demo" "$@" ;;
esac
