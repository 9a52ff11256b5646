{{/*
A Prefill or Decode Deployment: (dict "ctx" $ "pool" .Values.decode "component" "decode" "service" "Decode"
  "name" "decode-0" "replicas" 1 ["slot" "0"]). "replicas" is omitted (nil) when KEDA owns the count.
*/}}
{{- define "platform.workerDeployment" -}}
{{- $ctx := .ctx -}}
{{- $pool := .pool -}}
{{- $fullname := include "platform.fullname" $ctx -}}
{{- $selector := dict "ctx" $ctx "component" .component -}}
{{- if hasKey . "slot" }}{{ $_ := set $selector "slot" .slot }}{{ end -}}
{{- $engine := deepCopy (default dict $pool.engine) -}}
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ $fullname }}-{{ .name }}
  labels:
    {{- include "platform.labels" $ctx | nindent 4 }}
    {{- include "platform.selectorLabels" $selector | nindent 4 }}
spec:
  {{- if not (kindIs "invalid" .replicas) }}
  replicas: {{ .replicas }}
  {{- end }}
  selector:
    matchLabels:
      {{- include "platform.selectorLabels" $selector | nindent 6 }}
  template:
    metadata:
      labels:
        {{- include "platform.labels" $ctx | nindent 8 }}
        {{- include "platform.selectorLabels" $selector | nindent 8 }}
      annotations:
        {{- include "platform.daprAnnotations" (dict "ctx" $ctx "appId" (include "platform.appId" (dict "ctx" $ctx "name" .name)) "grpcPort" 8081 "drainSeconds" (int $pool.drainSeconds)) | nindent 8 }}
    spec:
      serviceAccountName: {{ $fullname }}
      automountServiceAccountToken: false
      {{- with $ctx.Values.imagePullSecrets }}
      imagePullSecrets:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      securityContext:
        {{- toYaml $ctx.Values.podSecurityContext | nindent 8 }}
      # The drain (running sequences finish while Kestrel refuses new work), the preStop pause, and a margin.
      terminationGracePeriodSeconds: {{ add $pool.drainSeconds 15 }}
      {{- include "platform.scheduling" (dict "ctx" $ctx "pool" $pool "component" .component) | nindent 6 }}
      containers:
        - name: {{ .component }}
          image: {{ include "platform.image" (dict "ctx" $ctx "name" .component "engine" true) }}
          imagePullPolicy: {{ $ctx.Values.image.pullPolicy }}
          ports:
            - name: http
              containerPort: 8080
            - name: grpc
              containerPort: 8081
          env:
            # /health, /alive and /metrics on HTTP/1.1 for probes and Prometheus; gRPC on h2c for the sidecar.
            - name: Kestrel__EndpointDefaults__Protocols
              value: Http1AndHttp2
            - name: Kestrel__Endpoints__Http__Url
              value: "http://*:8080"
            - name: Kestrel__Endpoints__Http__Protocols
              value: Http1
            - name: Kestrel__Endpoints__Grpc__Url
              value: "http://*:8081"
            - name: Kestrel__Endpoints__Grpc__Protocols
              value: Http2
            - name: shutdownTimeoutSeconds
              value: {{ $pool.drainSeconds | quote }}
            - name: {{ .service }}__ModelPath
              value: {{ $ctx.Values.model.mountPath | quote }}
            {{- include "platform.engineEnv" $engine | nindent 12 }}
            {{- include "platform.commonEnv" $ctx | nindent 12 }}
            {{- with $pool.extraEnv }}
            {{- toYaml . | nindent 12 }}
            {{- end }}
          {{- include "platform.probes" (dict "startupSeconds" (int $pool.startupSeconds)) | nindent 10 }}
          {{- include "platform.lifecycle" $ctx | nindent 10 }}
          resources:
            {{- include "platform.resources" (dict "resources" $pool.resources "gpu" $pool.gpu) | nindent 12 }}
          securityContext:
            {{- toYaml $ctx.Values.securityContext | nindent 12 }}
          volumeMounts:
            {{- include "platform.modelMount" $ctx | nindent 12 }}
            {{- if include "platform.finetuneEnabled" $ctx }}
            {{- /* Decode writes fine-tuning checkpoints and adapters here; both pools load finished adapters from here. */}}
            {{- include "platform.finetuneMount" $ctx | nindent 12 }}
            {{- end }}
      volumes:
        {{- include "platform.modelVolume" $ctx | nindent 8 }}
        {{- if include "platform.finetuneEnabled" $ctx }}
        {{- include "platform.finetuneVolume" $ctx | nindent 8 }}
        {{- end }}
{{- end -}}
