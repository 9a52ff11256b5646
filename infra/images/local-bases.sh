#!/usr/bin/env bash
# Builds local stand-ins for the images' two base images where mcr.microsoft.com cannot be reached:
#   platform-local/dotnet-sdk:10.0     (for mcr.microsoft.com/dotnet/sdk:10.0-noble)
#   platform-local/dotnet-aspnet:10.0  (for mcr.microsoft.com/dotnet/aspnet:10.0-noble)
# on a Debian trixie root file system made with debootstrap from Debian's archive (libstdc++ new enough for
# TorchSharp, like noble's) and this machine's .NET install. Skips what is already built for this .NET.
#   infra/images/local-bases.sh [docker-command]     # the docker command: what infra/images/engine.sh printed
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
docker=${1:-docker}
suite=trixie
mirror=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
dotnet_root=${DOTNET_ROOT:-$(dirname "$(readlink -f "$(command -v dotnet)")")}
runtime=$(ls "$dotnet_root/shared/Microsoft.AspNetCore.App" | sort -V | tail -n 1)
sdk=$(dotnet --version)
[ -n "$runtime" ] || { echo "local-bases: no ASP.NET Core runtime under $dotnet_root" >&2; exit 1; }

sudo=""
[ "$(id -u)" -ne 0 ] && command -v sudo >/dev/null && sudo="sudo"
# One clean-up for both temporary directories: the root file system and the CA certificates' build context.
rootfs=$(mktemp -d) cas=$(mktemp -d)
trap '$sudo rm -rf "$rootfs"; rm -rf "$cas"' EXIT

label_of() { "$docker" image inspect --format "{{ index .Config.Labels \"$2\" }}" "$1" 2>/dev/null || true; }

if [ -z "$("$docker" image ls -q "platform-local/debian:$suite")" ]; then
  # Debian's archive keyring too: on Ubuntu, debootstrap alone cannot check Debian's signatures.
  bash "$here/../install-packages.sh" debootstrap debian-archive-keyring
  echo "local-bases: debootstrap $suite (minbase) from $mirror" >&2
  # curl: the services' HEALTHCHECKs; libicu: .NET globalization; ca-certificates: NuGet over TLS in the build stage.
  $sudo debootstrap --variant=minbase --keyring=/usr/share/keyrings/debian-archive-keyring.gpg \
    --include=ca-certificates,curl,libicu76,libstdc++6,tzdata "$suite" "$rootfs" "$mirror" >/dev/null
  $sudo rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/*
  $sudo tar -C "$rootfs" -c . | "$docker" import --change 'CMD ["bash"]' - "platform-local/debian:$suite" >/dev/null
fi

# Builds an image unless one with the same label value exists (the .NET version, the set of CAs).
build_from() {  # base image dockerfile label value context
  [ "$(label_of "$2" "$4")" = "$5" ] && return 0
  echo "local-bases: building $2 ($4=$5)" >&2
  "$docker" build -q -f "$here/bases/$3" --build-arg "BASE_IMAGE=$1" \
    --build-arg "NUGET_CERT_REVOCATION_MODE=${NUGET_CERT_REVOCATION_MODE:-online}" \
    --label "$4=$5" -t "$2" "$6" >/dev/null
}
# The SDK stand-in trusts the CAs this machine added (the restore in the build stage talks to NuGet as the host does).
find /usr/local/share/ca-certificates -name '*.crt' -exec cp {} "$cas/" \; 2>/dev/null || true
fingerprint=$(cat "$cas"/*.crt 2>/dev/null | sha256sum | cut -c1-16)
build_from "platform-local/debian:$suite" platform-local/debian-trust:$suite trust.Dockerfile platform.trusted-cas "$fingerprint" "$cas"
build_from platform-local/debian-trust:$suite platform-local/dotnet-sdk:10.0 sdk.Dockerfile platform.dotnet-sdk "$sdk cas:$fingerprint" "$dotnet_root"
build_from "platform-local/debian:$suite" platform-local/dotnet-aspnet:10.0 aspnet.Dockerfile platform.dotnet-runtime "$runtime" "$dotnet_root"
