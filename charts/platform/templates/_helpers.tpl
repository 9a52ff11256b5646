{{/* Names and labels shared by every template. */}}
{{- define "platform.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 40 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 40 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{/* Labels of every object; pods and their controllers add platform.selectorLabels (name, instance, component). */}}
{{- define "platform.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
app.kubernetes.io/part-of: platform
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
{{- end -}}

{{/* Selector labels of one component: (dict "ctx" $ "component" "decode" ["slot" "0"]). */}}
{{- define "platform.selectorLabels" -}}
app.kubernetes.io/name: platform
app.kubernetes.io/instance: {{ .ctx.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- if hasKey . "slot" }}
platform.io/decode-instance: {{ .slot | quote }}
{{- end }}
{{- end -}}

{{- define "platform.image" -}}
{{- $tag := default .ctx.Chart.AppVersion .ctx.Values.image.tag -}}
{{- $suffix := and .engine (eq .ctx.Values.image.torchBackend "cuda") | ternary "-cuda" "" -}}
{{- printf "%s/%s:%s%s" .ctx.Values.image.registry .name $tag $suffix -}}
{{- end -}}

{{- define "platform.redis" -}}
{{- if .Values.connectionStrings.redis -}}
{{- .Values.connectionStrings.redis -}}
{{- else if .Values.redis.deploy -}}
{{- printf "%s-redis:6379" (include "platform.fullname" .) -}}
{{- end -}}
{{- end -}}

{{- define "platform.kafkaCluster" -}}
{{- printf "%s-kafka" (include "platform.fullname" .) -}}
{{- end -}}

{{- define "platform.kafka" -}}
{{- if .Values.connectionStrings.kafka -}}
{{- .Values.connectionStrings.kafka -}}
{{- else if .Values.kafka.strimzi.create -}}
{{- printf "%s-kafka-bootstrap:9092" (include "platform.kafkaCluster" .) -}}
{{- end -}}
{{- end -}}

{{- define "platform.appId" -}}
{{- printf "%s-%s" (include "platform.fullname" .ctx) .name -}}
{{- end -}}

{{/* Environment every service shares: connection names, the bus. */}}
{{- define "platform.commonEnv" -}}
{{- $redis := include "platform.redis" . -}}
{{- $kafka := include "platform.kafka" . -}}
{{- if $redis }}
- name: ConnectionStrings__redis
  value: {{ $redis | quote }}
{{- end }}
{{- if $kafka }}
- name: ConnectionStrings__kafka
  value: {{ $kafka | quote }}
{{- end }}
- name: Bus__Kind
  value: {{ .Values.bus.kind | quote }}
- name: Bus__Prefix
  value: {{ .Values.bus.prefix | quote }}
- name: Bus__ConsumerGroup
  value: {{ .Values.bus.consumerGroup | quote }}
{{- range $key, $value := .Values.chunkStore }}
- name: ChunkStore__{{ $key }}
  {{- if and (kindIs "float64" $value) (eq (float64 (int64 $value)) $value) }}
  value: {{ int64 $value | toString | quote }}
  {{- else }}
  value: {{ $value | toString | quote }}
  {{- end }}
{{- end }}
{{- end -}}


{{/* The Gateway's settings (mode, model, routing, instances, API keys from Secrets, chunk store, bus): the Gateway
     Deployment and the fine-tuning service (the same Gateway with the fine-tuning API) get the same ones. */}}
{{- define "platform.gatewayEnv" -}}
{{- $fullname := include "platform.fullname" . -}}
{{- $split := eq .Values.gateway.mode "Split" -}}
- name: Gateway__Mode
  value: {{ .Values.gateway.mode | quote }}
- name: Gateway__ModelPath
  value: {{ .Values.model.mountPath | quote }}
- name: Gateway__ServedModelName
  value: {{ .Values.model.servedModelName | quote }}
- name: Gateway__MaxConcurrentRequests
  value: {{ .Values.gateway.maxConcurrentRequests | quote }}
- name: Gateway__MaxRequestBodyBytes
  value: {{ .Values.gateway.maxRequestBodyBytes | int64 | quote }}
{{- if $split }}
- name: Gateway__Dispatch
  value: {{ .Values.gateway.dispatch | quote }}
- name: Gateway__Routing__LoadPollInterval
  value: {{ .Values.gateway.routing.loadPollInterval | quote }}
- name: Gateway__Routing__ColocateBelowPromptTokens
  value: {{ .Values.gateway.routing.colocateBelowPromptTokens | quote }}
- name: Gateway__Routing__MinFreeDecodeBlocks
  value: {{ .Values.gateway.routing.minFreeDecodeBlocks | quote }}
- name: Gateway__Routing__MaxDecodeAttempts
  value: {{ .Values.gateway.routing.maxDecodeAttempts | quote }}
- name: Gateway__Prefill__Instances__0__Name
  value: prefill
- name: Gateway__Prefill__Instances__0__AppId
  value: {{ include "platform.appId" (dict "ctx" . "name" "prefill") | quote }}
{{- range $i := until (int .Values.decode.instances) }}
- name: Gateway__Decode__Instances__{{ $i }}__Name
  value: decode-{{ $i }}
- name: Gateway__Decode__Instances__{{ $i }}__AppId
  value: {{ include "platform.appId" (dict "ctx" $ "name" (printf "decode-%d" $i)) | quote }}
{{- end }}
{{- else }}
{{- include "platform.engineEnv" .Values.gateway.engine | nindent 0 }}
{{- end }}
{{- $secret := default (printf "%s-api-keys" $fullname) .Values.gateway.apiKeys.existingSecret }}
{{- with (include "platform.secretKeyEnv" (dict "prefix" "Gateway__ApiKeys" "keys" .Values.gateway.apiKeys "secret" $secret "generated" "api-key") | trim) }}{{ . | nindent 0 }}{{ end }}
{{- $adminSecret := default (printf "%s-api-keys" $fullname) .Values.gateway.adminApiKeys.existingSecret }}
{{- with (include "platform.secretKeyEnv" (dict "prefix" "Gateway__AdminApiKeys" "keys" .Values.gateway.adminApiKeys "secret" $adminSecret "generated" "admin-key") | trim) }}{{ . | nindent 0 }}{{ end }}
{{- range $name, $t := .Values.gateway.tenants }}
{{- $tenantSecret := default (printf "%s-api-keys" $fullname) $t.existingSecret }}
{{- with (include "platform.secretKeyEnv" (dict "prefix" (printf "Gateway__Tenants__%s__ApiKeys" $name) "keys" $t "secret" $tenantSecret "generated" (printf "tenant-%s-key" $name)) | trim) }}{{ . | nindent 0 }}{{ end }}
{{- if $t.manageAdapters }}
- name: Gateway__Tenants__{{ $name }}__ManageAdapters
  value: "true"
{{- end }}
{{- end }}
{{- if .Values.kvstore.enabled }}
- name: ConnectionStrings__kvstore
  value: {{ printf "http://%s-kvstore:8081" $fullname | quote }}
{{- end }}
{{- include "platform.commonEnv" . | nindent 0 }}
{{- end -}}

{{/* Env vars <prefix>__<i> from a Secret's keys: (dict "prefix" "Gateway__ApiKeys" "keys" (dict ...) "secret" "name" "generated" "api-key"). */}}
{{- define "platform.secretKeyEnv" -}}
{{- $keys := .keys.secretKeys }}
{{- if and (not $keys) .keys.values }}
{{- $keys = list }}
{{- range $i, $_ := .keys.values }}
{{- $keys = append $keys (printf "%s-%d" $.generated $i) }}
{{- end }}
{{- end }}
{{- range $i, $key := $keys }}
- name: {{ $.prefix }}__{{ $i }}
  valueFrom:
    secretKeyRef:
      name: {{ $.secret }}
      key: {{ $key }}
{{- end }}
{{- end -}}

{{/* Engine__<Key> from a map of Engine settings. */}}
{{- define "platform.engineEnv" -}}
{{- range $key, $value := . }}
- name: Engine__{{ $key }}
  {{- /* YAML numbers arrive as float64: whole ones print as integers, not 1.073741824e+09. */}}
  {{- if and (kindIs "float64" $value) (eq (float64 (int64 $value)) $value) }}
  value: {{ int64 $value | toString | quote }}
  {{- else }}
  value: {{ $value | toString | quote }}
  {{- end }}
{{- end }}
{{- end -}}

{{/* Dapr sidecar annotations: (dict "ctx" $ "appId" "..." "grpcPort" 8081 "drainSeconds" 60). */}}
{{- define "platform.daprAnnotations" -}}
{{- $v := .ctx.Values.dapr -}}
{{- if $v.enabled }}
dapr.io/enabled: "true"
dapr.io/app-id: {{ .appId | quote }}
{{- if .grpcPort }}
dapr.io/app-port: {{ .grpcPort | quote }}
dapr.io/app-protocol: grpc
{{- end }}
dapr.io/config: {{ printf "%s-dapr" (include "platform.fullname" .ctx) | quote }}
dapr.io/max-body-size: {{ $v.maxBodySize | quote }}
dapr.io/log-level: {{ $v.logLevel | quote }}
dapr.io/enable-metrics: "true"
dapr.io/metrics-port: "9090"
dapr.io/graceful-shutdown-seconds: {{ add .drainSeconds 5 | quote }}
dapr.io/sidecar-cpu-request: {{ $v.sidecar.cpuRequest | quote }}
dapr.io/sidecar-memory-request: {{ $v.sidecar.memoryRequest | quote }}
dapr.io/sidecar-memory-limit: {{ $v.sidecar.memoryLimit | quote }}
{{- end }}
{{- end -}}

{{/* Resources with the pool's GPUs added to the limits: (dict "resources" ... "gpu" ...). */}}
{{- define "platform.resources" -}}
{{- $r := deepCopy (default dict .resources) -}}
{{- if and .gpu (gt (int .gpu.count) 0) -}}
{{- $limits := deepCopy (default dict $r.limits) -}}
{{- $_ := set $limits (default "nvidia.com/gpu" .gpu.resourceName) (int .gpu.count) -}}
{{- $_ := set $r "limits" $limits -}}
{{- end -}}
{{- toYaml $r -}}
{{- end -}}

{{/* The model volume, and the emptyDir every app container mounts at /tmp (its root file system is read-only). */}}
{{- define "platform.modelVolume" -}}
- name: model
{{- if .Values.model.existingClaim }}
  persistentVolumeClaim:
    claimName: {{ .Values.model.existingClaim }}
    readOnly: true
{{- else }}
  hostPath:
    path: {{ .Values.model.hostPath }}
    type: Directory
{{- end }}
- name: tmp
  emptyDir: {}
{{- end -}}

{{- define "platform.modelMount" -}}
- name: model
  mountPath: {{ .Values.model.mountPath }}
  readOnly: true
{{- with .Values.model.subPath }}
  subPath: {{ . }}
{{- end }}
- name: tmp
  mountPath: /tmp
{{- end -}}

{{/* Probes on the service's HTTP port: startup and liveness on /alive, readiness on /health. */}}
{{- define "platform.probes" -}}
startupProbe:
  httpGet: {path: /alive, port: http}
  periodSeconds: 5
  failureThreshold: {{ div .startupSeconds 5 | max 1 }}
livenessProbe:
  httpGet: {path: /alive, port: http}
  periodSeconds: 10
  timeoutSeconds: 3
  failureThreshold: 3
readinessProbe:
  httpGet: {path: /health, port: http}
  periodSeconds: 5
  timeoutSeconds: 3
  failureThreshold: 2
{{- end -}}

{{/* Scheduling of one pool: (dict "ctx" $ "pool" .Values.decode "component" "decode"). */}}
{{- define "platform.scheduling" -}}
{{- with .pool.nodeSelector }}
nodeSelector:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .pool.tolerations }}
tolerations:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .pool.affinity }}
affinity:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- if .pool.topologySpread.enabled }}
topologySpreadConstraints:
  - maxSkew: {{ .pool.topologySpread.maxSkew }}
    topologyKey: {{ .pool.topologySpread.topologyKey }}
    whenUnsatisfiable: {{ .pool.topologySpread.whenUnsatisfiable }}
    labelSelector:
      matchLabels:
        app.kubernetes.io/instance: {{ .ctx.Release.Name }}
        app.kubernetes.io/component: {{ .component }}
{{- end }}
{{- end -}}

{{/* Graceful shutdown: a short preStop pause while endpoints and routers drop the pod, then the drain. */}}
{{- define "platform.lifecycle" -}}
lifecycle:
  preStop:
    exec:
      command: ["sleep", "5"]
{{- end -}}

{{/* "true" when the fine-tuning service is deployed (finetune.enabled); it needs Split mode. */}}
{{- define "platform.finetuneEnabled" -}}
{{- if and .Values.finetune .Values.finetune.enabled -}}
{{- if ne .Values.gateway.mode "Split" -}}
{{- fail "finetune.enabled needs gateway.mode Split: the fine-tuning service places jobs on the Decode instances (in Local mode every Gateway pod has its own engine and adapter catalog)" -}}
{{- end -}}
true
{{- end -}}
{{- end -}}

{{/* The claim holding Finetune:DataPath: finetune.storage.existingClaim, or the one the chart creates. */}}
{{- define "platform.finetuneClaim" -}}
{{- default (printf "%s-finetune" (include "platform.fullname" .)) .Values.finetune.storage.existingClaim -}}
{{- end -}}

{{/* The shared fine-tuning volume (ReadWriteMany), on the fine-tuning service and every Prefill and Decode pod. */}}
{{- define "platform.finetuneVolume" -}}
- name: finetune-data
  persistentVolumeClaim:
    claimName: {{ include "platform.finetuneClaim" . }}
{{- end -}}

{{- define "platform.finetuneMount" -}}
- name: finetune-data
  mountPath: {{ .Values.finetune.dataPath }}
{{- end -}}

{{/* <prefix>__<Key> from a map of settings: (dict "prefix" "Finetune" "settings" .Values.finetune.settings). */}}
{{- define "platform.settingsEnv" -}}
{{- range $key, $value := .settings }}
- name: {{ $.prefix }}__{{ $key }}
  {{- if and (kindIs "float64" $value) (eq (float64 (int64 $value)) $value) }}
  value: {{ int64 $value | toString | quote }}
  {{- else }}
  value: {{ $value | toString | quote }}
  {{- end }}
{{- end }}
{{- end -}}
