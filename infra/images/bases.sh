#!/usr/bin/env bash
# Chooses the .NET base images the service images build on, and prints them as two lines: the SDK image, then
# the runtime image (the Dockerfiles' SDK_IMAGE and RUNTIME_IMAGE build args).
#   infra/images/bases.sh [auto|mcr|local] [docker-command]
# mcr: Microsoft's (Ubuntu noble). local: stand-ins built from Debian's archive and this machine's .NET
# (local-bases.sh), for machines that cannot reach mcr.microsoft.com. auto (default): mcr when its runtime image
# is present or can be pulled, else local.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
choice=${1:-auto}
docker=${2:-docker}
mcr_sdk=mcr.microsoft.com/dotnet/sdk:10.0-noble
mcr_runtime=mcr.microsoft.com/dotnet/aspnet:10.0-noble
if [ "$choice" = auto ]; then
  choice=local
  if "$docker" image inspect "$mcr_runtime" >/dev/null 2>&1 || timeout 300 "$docker" pull -q "$mcr_runtime" >/dev/null 2>&1; then
    choice=mcr
  fi
fi
case "$choice" in
  mcr) printf '%s\n%s\n' "$mcr_sdk" "$mcr_runtime" ;;
  local)
    bash "$here/local-bases.sh" "$docker"
    printf '%s\n%s\n' platform-local/dotnet-sdk:10.0 platform-local/dotnet-aspnet:10.0 ;;
  *) echo "bases: auto, mcr or local, got $choice" >&2; exit 2 ;;
esac
