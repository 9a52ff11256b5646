#!/usr/bin/env bash
# Runs a benchmark after doing all set-up itself: infra/bench.sh engine|kernels|decode-compare|serving|kv-transfer|blend|lora|bus [--quick]
# Benchmarks are kept out of the test command; their results and commands are in README.md.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
export CONFIGURATION=Release
bash infra/setup.sh >&2
exec dotnet "tests/Benchmarks/bin/Release/net10.0/linux-x64/Platform.Benchmarks.dll" "${@:-engine}"
