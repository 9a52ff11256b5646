#!/usr/bin/env bash
# Runs every test of the platform (unit and integration) after doing all set-up itself.
# Heavy benchmarks are not part of it: see infra/bench.sh.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
export CONFIGURATION=${CONFIGURATION:-Release}
bash infra/setup.sh

# The image tests (tests/Deployment.Tests/Images) run the services' images on a Docker engine. Where none answers,
# infra/images/engine.sh installs and starts Debian's docker.io; the images are built here, before the tests, so the
# build does not compete with them for the CPUs (the tests' own build step then finds everything cached).
mkdir -p .artifacts
if docker_cli=$(bash infra/images/engine.sh 2>.artifacts/docker-engine.log); then
  if bash infra/cluster/build-images.sh --tag test >.artifacts/images-build.log 2>&1; then
    # The images these builds replaced (untagged now), and only those.
    "$docker_cli" image prune -f --filter label=platform.torch-backend >/dev/null || true
  else
    echo "test: building the service images failed (.artifacts/images-build.log); the image tests report it" >&2
  fi
else
  echo "test: no Docker engine ($(tail -n 1 .artifacts/docker-engine.log)); the image tests skip" >&2
fi

log=$(mktemp)
trap 'rm -f "$log"' EXIT
status=0
dotnet test Platform.sln --no-build --configuration "$CONFIGURATION" --verbosity quiet -nologo \
  --logger "console;verbosity=normal" 2>&1 | tee "$log" || status=$?

# One closing line over all test projects, from each run's summary block.
awk '/^ +Passed: +[0-9]+ *$/ {p += $2} /^ +Failed: +[0-9]+ *$/ {f += $2} /^ +Skipped: +[0-9]+ *$/ {s += $2}
     END { printf "tests: %d passed, %d failed, %d skipped\n", p, f, s }' "$log"
exit $status
