#!/usr/bin/env bash
# Brings the whole platform up on a local Kubernetes cluster, from nothing:
#   1. a kind cluster (infra/cluster/kind.yaml; or k3d with --k3d) with the model mounted on every node;
#   2. the prerequisites: ingress-nginx, Dapr (mTLS on), KEDA, Strimzi, kube-prometheus-stack (Prometheus,
#      Grafana with the dashboard sidecar searching every namespace);
#   3. the service images, built and loaded into the cluster (build-images.sh);
#   4. the chart (charts/platform with infra/cluster/values-kind.yaml), Redis and a Strimzi Kafka inside it;
#   5. a test request through the ingress (smoke-test.sh).
# Needs docker, kind (or k3d), kubectl and helm on PATH, and network access to the charts' repositories.
#   MODEL_DIR=/path/to/hf-checkpoint infra/cluster/up.sh [--k3d] [--skip-images]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
cluster=${CLUSTER_NAME:-platform}
namespace=${NAMESPACE:-llm}
use_k3d=false skip_images=false
for arg in "$@"; do
  case "$arg" in
    --k3d) use_k3d=true ;;
    --skip-images) skip_images=true ;;
    *) echo "up: unknown argument $arg" >&2; exit 2 ;;
  esac
done
for tool in docker kubectl helm; do
  command -v "$tool" >/dev/null || { echo "up: $tool is required on PATH" >&2; exit 1; }
done

# Versions of the prerequisites (override from the environment).
DAPR_VERSION=${DAPR_VERSION:-1.15.5}
KEDA_VERSION=${KEDA_VERSION:-2.17.2}
STRIMZI_VERSION=${STRIMZI_VERSION:-0.47.0}
PROMETHEUS_STACK_VERSION=${PROMETHEUS_STACK_VERSION:-75.15.1}
INGRESS_NGINX_VERSION=${INGRESS_NGINX_VERSION:-4.13.0}

if [ -z "${MODEL_DIR:-}" ]; then
  MODEL_DIR="$root/.artifacts/models/demo"
  if [ ! -f "$MODEL_DIR/model.safetensors" ]; then
    bash "$root/infra/setup.sh" >&2
    dotnet "$root/services/Generate/bin/Release/net10.0/linux-x64/Platform.Generate.dll" --create-demo-model "$MODEL_DIR"
  fi
fi
MODEL_DIR=$(realpath "$MODEL_DIR")
export MODEL_DIR
[ -f "$MODEL_DIR/config.json" ] || { echo "up: $MODEL_DIR is not a Hugging Face checkpoint (no config.json)" >&2; exit 1; }
served_model_name=${SERVED_MODEL_NAME:-demo}

echo "== cluster $cluster" >&2
if $use_k3d; then
  command -v k3d >/dev/null || { echo "up: k3d is required on PATH" >&2; exit 1; }
  k3d cluster list "$cluster" >/dev/null 2>&1 || k3d cluster create "$cluster" --agents 2 \
    --volume "$MODEL_DIR:/models/demo@all" --port "8080:80@loadbalancer" --port "8443:443@loadbalancer" \
    --k3s-arg "--disable=traefik@server:0" \
    --k3s-node-label "platform.io/pool=prefill@agent:0" --k3s-node-label "platform.io/pool=decode@agent:1"
  load=k3d
else
  command -v kind >/dev/null || { echo "up: kind is required on PATH" >&2; exit 1; }
  if ! kind get clusters | grep -qx "$cluster"; then
    envsubst '${MODEL_DIR}' < "$here/kind.yaml" | kind create cluster --name "$cluster" --config -
  fi
  load=kind
fi
kubectl config use-context "$([ "$load" = kind ] && echo "kind-$cluster" || echo "k3d-$cluster")" >/dev/null

echo "== prerequisites" >&2
helm repo add ingress-nginx https://kubernetes.github.io/ingress-nginx >/dev/null
helm repo add dapr https://dapr.github.io/helm-charts >/dev/null
helm repo add kedacore https://kedacore.github.io/charts >/dev/null
helm repo add strimzi https://strimzi.io/charts >/dev/null
helm repo add prometheus-community https://prometheus-community.github.io/helm-charts >/dev/null
helm repo update >/dev/null

helm upgrade --install ingress-nginx ingress-nginx/ingress-nginx --version "$INGRESS_NGINX_VERSION" \
  --namespace ingress-nginx --create-namespace --wait \
  --set controller.hostPort.enabled=true --set controller.service.type=NodePort \
  --set 'controller.nodeSelector.ingress-ready=true' \
  --set 'controller.tolerations[0].key=node-role.kubernetes.io/control-plane' \
  --set 'controller.tolerations[0].operator=Exists' --set 'controller.tolerations[0].effect=NoSchedule'
# mTLS between sidecars is a control-plane setting; it is the default, set here so nobody turns it off unseen.
helm upgrade --install dapr dapr/dapr --version "$DAPR_VERSION" --namespace dapr-system --create-namespace --wait \
  --set global.mtls.enabled=true
helm upgrade --install keda kedacore/keda --version "$KEDA_VERSION" --namespace keda --create-namespace --wait
helm upgrade --install strimzi strimzi/strimzi-kafka-operator --version "$STRIMZI_VERSION" \
  --namespace strimzi --create-namespace --wait --set watchAnyNamespace=true
# Prometheus picks up PodMonitors and PrometheusRules of every release; Grafana's sidecar loads dashboards
# (ConfigMaps labelled grafana_dashboard) from every namespace.
helm upgrade --install kube-prometheus-stack prometheus-community/kube-prometheus-stack \
  --version "$PROMETHEUS_STACK_VERSION" --namespace monitoring --create-namespace --wait \
  --set prometheus.prometheusSpec.podMonitorSelectorNilUsesHelmValues=false \
  --set prometheus.prometheusSpec.ruleSelectorNilUsesHelmValues=false \
  --set prometheus.prometheusSpec.serviceMonitorSelectorNilUsesHelmValues=false \
  --set grafana.sidecar.dashboards.searchNamespace=ALL \
  --set grafana.adminPassword="${GRAFANA_ADMIN_PASSWORD:-admin}"

if ! $skip_images; then
  echo "== images" >&2
  CLUSTER_NAME=$cluster bash "$here/build-images.sh" --tag dev --registry platform --load "$load"
fi

echo "== platform" >&2
kubectl create namespace "$namespace" --dry-run=client -o yaml | kubectl apply -f - >/dev/null
# A self-signed certificate for the ingress host (production: cert-manager or your own).
host=$(awk '/^ingress:/ {i=1} i && /host:/ {print $2; exit}' "$here/values-kind.yaml")
if ! kubectl -n "$namespace" get secret platform-tls >/dev/null 2>&1; then
  tmp=$(mktemp -d)
  openssl req -x509 -nodes -newkey rsa:2048 -days 365 -subj "/CN=$host" -addext "subjectAltName=DNS:$host" \
    -keyout "$tmp/tls.key" -out "$tmp/tls.crt" 2>/dev/null
  kubectl -n "$namespace" create secret tls platform-tls --cert "$tmp/tls.crt" --key "$tmp/tls.key" >/dev/null
  rm -rf "$tmp"
fi
# An API key in a Secret the chart reads (gateway.apiKeys.existingSecret).
if ! kubectl -n "$namespace" get secret platform-api-keys >/dev/null 2>&1; then
  kubectl -n "$namespace" create secret generic platform-api-keys \
    --from-literal=api-key-0="sk-local-$(openssl rand -hex 16)" >/dev/null
fi
helm upgrade --install platform "$root/charts/platform" --namespace "$namespace" \
  -f "$here/values-kind.yaml" \
  --set model.servedModelName="$served_model_name" \
  --set gateway.apiKeys.existingSecret=platform-api-keys --set 'gateway.apiKeys.secretKeys[0]=api-key-0' \
  --set prefill.nodeSelector.platform\\.io/pool=prefill --set decode.nodeSelector.platform\\.io/pool=decode
kubectl -n "$namespace" wait kafka/platform-kafka --for=condition=Ready --timeout=600s
kubectl -n "$namespace" rollout status deployment/platform-gateway --timeout=900s
kubectl -n "$namespace" rollout status deployment/platform-prefill --timeout=900s
kubectl -n "$namespace" rollout status deployment/platform-decode-0 --timeout=900s

echo "== test request" >&2
NAMESPACE=$namespace SERVED_MODEL_NAME=$served_model_name bash "$here/smoke-test.sh"
