#!/usr/bin/env bash
# Builds the service images (services/<Service>/Dockerfile, context: the repository root) and, with --load,
# loads them into the local kind or k3d cluster.
#   infra/cluster/build-images.sh [--tag dev] [--registry platform] [--torch cpu|cuda] [--load kind|k3d]
#                                 [--bases auto|mcr|local] [--only Gateway,Prefill,...]
# --bases: the .NET base images. mcr: Microsoft's (mcr.microsoft.com/dotnet/sdk and aspnet, Ubuntu noble);
# local: stand-ins built here from Debian's archive and this machine's .NET (infra/images/local-bases.sh), for
# machines that cannot reach that registry; auto (default): mcr when its runtime image is present or can be pulled.
# A Docker engine is started first where none answers (infra/images/engine.sh).
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
tag=dev registry=platform torch=cpu load="" bases=auto only="Gateway,Finetune,Prefill,Decode,KvStore"
while [ $# -gt 0 ]; do
  case "$1" in
    --tag) tag=$2; shift 2 ;;
    --registry) registry=$2; shift 2 ;;
    --torch) torch=$2; shift 2 ;;
    --load) load=$2; shift 2 ;;
    --bases) bases=$2; shift 2 ;;
    --only) only=$2; shift 2 ;;
    *) echo "build-images: unknown argument $1" >&2; exit 2 ;;
  esac
done
export DOCKER_BUILDKIT=1
docker=$(bash "$root/infra/images/engine.sh")
{ read -r sdk_image; read -r runtime_image; } < <(bash "$root/infra/images/bases.sh" "$bases" "$docker")
base_args=(--build-arg "SDK_IMAGE=$sdk_image" --build-arg "RUNTIME_IMAGE=$runtime_image")
cluster=${CLUSTER_NAME:-platform}
for service in ${only//,/ }; do
  name=$(echo "$service" | tr '[:upper:]' '[:lower:]')
  suffix=""
  # Only the engine services carry libtorch's CUDA natives; the Gateway and Finetune (Split mode) and KvStore stay
  # CPU images (Finetune: the chart's fine-tuning service, finetune.enabled).
  if [ "$torch" = cuda ] && { [ "$service" = Prefill ] || [ "$service" = Decode ]; }; then suffix=-cuda; fi
  image="$registry/$name:$tag$suffix"
  build_torch=cpu
  [ -n "$suffix" ] && build_torch=cuda
  echo "build-images: $image (TORCH_BACKEND=$build_torch, on $runtime_image)" >&2
  "$docker" build -q -f "$root/services/$service/Dockerfile" --build-arg TORCH_BACKEND="$build_torch" "${base_args[@]}" \
    -t "$image" "$root" >/dev/null
  case "$load" in
    kind) kind load docker-image "$image" --name "$cluster" ;;
    k3d) k3d image import "$image" --cluster "$cluster" ;;
    "") ;;
    *) echo "build-images: --load kind or k3d, got $load" >&2; exit 2 ;;
  esac
done
