#!/usr/bin/env bash
# One-time and idempotent set-up for building, running and testing the platform on this machine:
# checks the .NET SDK, restores packages into the repository, makes TorchSharp's native library
# loadable on older distributions, and builds the solution. Called by run.sh, test.sh and bench.sh.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

if ! command -v dotnet >/dev/null 2>&1; then
  echo "setup: the .NET 10 SDK is required (dotnet not found on PATH); install it from https://dot.net and retry" >&2
  exit 1
fi
sdk_major=$(dotnet --version | cut -d. -f1)
if [ "$sdk_major" -lt 10 ]; then
  echo "setup: .NET SDK 10 or newer is required, found $(dotnet --version)" >&2
  exit 1
fi

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

bash infra/install-packages.sh
bash infra/install-helm.sh
dotnet restore Platform.sln --verbosity quiet
bash infra/setup-torchsharp.sh "$root/.packages"
dotnet build Platform.sln --no-restore --configuration "${CONFIGURATION:-Release}" --verbosity quiet -nologo \
  -clp:ErrorsOnly
