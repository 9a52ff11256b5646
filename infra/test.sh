#!/usr/bin/env bash
# Runs every test of the platform (unit and integration) after doing all set-up itself.
# Heavy benchmarks are not part of it: see infra/bench.sh.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
export CONFIGURATION=${CONFIGURATION:-Release}
bash infra/setup.sh

log=$(mktemp)
trap 'rm -f "$log"' EXIT
status=0
dotnet test Platform.sln --no-build --configuration "$CONFIGURATION" --verbosity quiet -nologo \
  --logger "console;verbosity=normal" 2>&1 | tee "$log" || status=$?

# One closing line over all test projects, from each run's summary block.
awk '/^ +Passed: +[0-9]+ *$/ {p += $2} /^ +Failed: +[0-9]+ *$/ {f += $2} /^ +Skipped: +[0-9]+ *$/ {s += $2}
     END { printf "tests: %d passed, %d failed, %d skipped\n", p, f, s }' "$log"
exit $status
