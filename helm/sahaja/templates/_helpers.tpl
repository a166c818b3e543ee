{{/*
Names and labels: the standard helpers of community charts.
*/}}
{{- define "sahaja.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "sahaja.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "sahaja.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "sahaja.selectorLabels" -}}
app.kubernetes.io/name: {{ include "sahaja.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "sahaja.labels" -}}
helm.sh/chart: {{ include "sahaja.chart" . }}
{{ include "sahaja.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: sahaja
{{- with .Values.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end }}

{{/* Labels of one component (worker, dashboard). Call with (dict "ctx" $ "component" "worker"). */}}
{{- define "sahaja.componentLabels" -}}
{{ include "sahaja.labels" .ctx }}
app.kubernetes.io/component: {{ .component }}
{{- end }}

{{- define "sahaja.componentSelectorLabels" -}}
{{ include "sahaja.selectorLabels" .ctx }}
app.kubernetes.io/component: {{ .component }}
{{- end }}

{{- define "sahaja.workerName" -}}
{{- printf "%s-worker" (include "sahaja.fullname" .) | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "sahaja.dashboardName" -}}
{{- printf "%s-dashboard" (include "sahaja.fullname" .) | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "sahaja.configMapName" -}}
{{- printf "%s-config" (include "sahaja.fullname" .) | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "sahaja.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "sahaja.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/* The Secret pods read credentials from: the existing one, or the one this chart makes. */}}
{{- define "sahaja.secretName" -}}
{{- if .Values.secrets.existingSecret }}
{{- .Values.secrets.existingSecret }}
{{- else }}
{{- printf "%s-secret" (include "sahaja.fullname" .) | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}

{{- define "sahaja.lakeClaimName" -}}
{{- default (printf "%s-lake" (include "sahaja.fullname" .)) .Values.lake.persistence.existingClaim }}
{{- end }}

{{/* Image reference; the GPU flavour gets its tag suffix. A digest wins over the tag. */}}
{{- define "sahaja.image" -}}
{{- $tag := default .Chart.AppVersion .Values.image.tag }}
{{- if .Values.gpu.enabled }}{{ $tag = printf "%s%s" $tag .Values.image.gpuTagSuffix }}{{ end }}
{{- if .Values.image.digest }}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest }}
{{- else }}
{{- printf "%s:%s" .Values.image.repository $tag }}
{{- end }}
{{- end }}

{{/* Dashboard image: always the CPU flavour, it runs no model. */}}
{{- define "sahaja.dashboardImage" -}}
{{- if .Values.image.digest }}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest }}
{{- else }}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) }}
{{- end }}
{{- end }}

{{- define "sahaja.modelCacheDir" -}}
{{- if eq .Values.modelCache.source "initContainer" }}{{ .Values.modelCache.mountPath }}{{ else }}{{ .Values.modelCache.imagePath }}{{ end }}
{{- end }}

{{- define "sahaja.lakePath" -}}
{{- if eq .Values.lake.type "objectStore" }}{{ .Values.lake.objectStore.url }}{{ else }}{{ .Values.lake.mountPath }}{{ end }}
{{- end }}

{{/* Whether the chart makes its own Secret: only when no existing one is named and a value is set. */}}
{{- define "sahaja.createSecret" -}}
{{- $s := .Values.secrets }}
{{- if and (not $s.existingSecret) (or $s.apiToken $s.saslUsername $s.saslPassword $s.dashboardPassword) }}true{{ end }}
{{- end }}

{{/*
secretKeyRef env entries for the given settings. With an existing Secret every key is referenced
as optional (it may hold only some) except the SASL password when SASL is on; with the chart's
Secret only the keys that have a value are. Call with (dict "ctx" $ "names" (list "apiToken" ...)).
*/}}
{{- define "sahaja.secretEnv" -}}
{{- $v := .ctx.Values.secrets }}
{{- $envNames := dict "apiToken" "SAHAJA_API_TOKEN" "saslUsername" "SAHAJA_SASL_USERNAME" "saslPassword" "SAHAJA_SASL_PASSWORD" "dashboardPassword" "SAHAJA_DASHBOARD_PASSWORD" }}
{{- range $name := .names }}
{{- if or $v.existingSecret (get $v $name) }}
- name: {{ get $envNames $name }}
  valueFrom:
    secretKeyRef:
      name: {{ include "sahaja.secretName" $.ctx }}
      key: {{ get $v.keys $name }}
      {{- if $v.existingSecret }}
      optional: {{ not (and (eq $name "saslPassword") $.ctx.Values.kafka.saslMechanism) }}
      {{- end }}
{{- end }}
{{- end }}
{{- end }}

{{/* The credentials a container needs: its own plus the SASL pair when Kafka uses SASL. */}}
{{- define "sahaja.credentialNames" -}}
{{- $names := list .own }}
{{- if .ctx.Values.kafka.saslMechanism }}{{ $names = concat $names (list "saslUsername" "saslPassword") }}{{ end }}
{{- toJson $names }}
{{- end }}

{{/* Environment shared by every container: HOME on the writable /tmp, settings from the ConfigMap. */}}
{{- define "sahaja.commonEnv" -}}
- name: HOME
  value: /tmp
- name: XDG_CACHE_HOME
  value: /tmp/.cache
{{- with .Values.extraEnv }}
{{ toYaml . }}
{{- end }}
{{- end }}

{{- define "sahaja.envFrom" -}}
- configMapRef:
    name: {{ include "sahaja.configMapName" . }}
{{- if and (eq .Values.lake.type "objectStore") .Values.lake.objectStore.credentialsSecret }}
- secretRef:
    name: {{ .Values.lake.objectStore.credentialsSecret }}
{{- end }}
{{- end }}

{{/* Volume mounts of a container that reads or writes the lake. */}}
{{- define "sahaja.lakeVolumeMounts" -}}
- name: sahaja-tmp
  mountPath: /tmp
{{- if eq .Values.lake.type "pvc" }}
- name: sahaja-lake
  mountPath: {{ .Values.lake.mountPath }}
{{- end }}
{{- end }}

{{- define "sahaja.lakeVolumes" -}}
- name: sahaja-tmp
  emptyDir:
    sizeLimit: {{ .Values.tmpSizeLimit }}
{{- if eq .Values.lake.type "pvc" }}
- name: sahaja-lake
  persistentVolumeClaim:
    claimName: {{ include "sahaja.lakeClaimName" . }}
{{- end }}
{{- end }}

{{/*
The worker container. The worker Deployment uses it, and so can any other pod: this is sidecar mode
(see README "Sidecar mode"). Call with the chart's context, or from a parent chart that has this
chart as a dependency with (dict "Values" .Values.sahaja "Release" .Release "Chart" (dict "Name" "sahaja" "Version" "<chart version>" "AppVersion" "<app version>")).
The pod that hosts it also needs `sahaja.workerVolumes` and the pod security context.
*/}}
{{- define "sahaja.workerContainer" -}}
- name: sahaja-worker
  image: {{ include "sahaja.image" . }}
  imagePullPolicy: {{ .Values.image.pullPolicy }}
  args:
    {{- toYaml .Values.worker.args | nindent 4 }}
  ports:
    # Named sahaja-http, not http: in sidecar mode port names must stay unique within the host pod.
    - name: sahaja-http
      containerPort: {{ .Values.worker.port }}
      protocol: TCP
  envFrom:
    {{- include "sahaja.envFrom" . | nindent 4 }}
  env:
    {{- include "sahaja.commonEnv" . | nindent 4 }}
    {{- $names := include "sahaja.credentialNames" (dict "ctx" . "own" "apiToken") | fromJsonArray }}
    {{- with include "sahaja.secretEnv" (dict "ctx" . "names" $names) | trim }}
    {{- . | nindent 4 }}
    {{- end }}
  securityContext:
    {{- toYaml .Values.securityContext | nindent 4 }}
  {{- with .Values.worker.startupProbe }}
  startupProbe:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  {{- with .Values.worker.livenessProbe }}
  livenessProbe:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  {{- with .Values.worker.readinessProbe }}
  readinessProbe:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  resources:
    {{- include "sahaja.workerResources" . | nindent 4 }}
  volumeMounts:
    {{- include "sahaja.lakeVolumeMounts" . | nindent 4 }}
    {{- if eq .Values.modelCache.source "initContainer" }}
    - name: sahaja-models
      mountPath: {{ .Values.modelCache.mountPath }}
      readOnly: true
    {{- end }}
    {{- if .Values.kafka.tls.enabled }}
    - name: sahaja-kafka-tls
      mountPath: {{ .Values.kafka.tls.mountPath }}
      readOnly: true
    {{- end }}
    {{- with .Values.worker.extraVolumeMounts }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
{{- end }}

{{/* Alias under the name the design documents use for sidecar mode. */}}
{{- define "sahaja.sidecarContainer" -}}
{{ include "sahaja.workerContainer" . }}
{{- end }}

{{/* Volumes a pod hosting the worker container needs. */}}
{{- define "sahaja.workerVolumes" -}}
{{ include "sahaja.lakeVolumes" . }}
{{- if eq .Values.modelCache.source "initContainer" }}
- name: sahaja-models
  {{- if .Values.modelCache.existingClaim }}
  persistentVolumeClaim:
    claimName: {{ .Values.modelCache.existingClaim }}
  {{- else }}
  emptyDir:
    sizeLimit: {{ .Values.modelCache.sizeLimit }}
  {{- end }}
{{- end }}
{{- if .Values.kafka.tls.enabled }}
- name: sahaja-kafka-tls
  secret:
    secretName: {{ required "kafka.tls.existingSecret is required when kafka.tls.enabled" .Values.kafka.tls.existingSecret }}
    defaultMode: 0440
{{- end }}
{{- with .Values.worker.extraVolumes }}
{{ toYaml . }}
{{- end }}
{{- end }}

{{/* The initContainer that builds the model cache (modelCache.source initContainer). */}}
{{- define "sahaja.modelInitContainer" -}}
- name: model-build
  image: {{ include "sahaja.image" . }}
  imagePullPolicy: {{ .Values.image.pullPolicy }}
  args: ["model", "build"]
  envFrom:
    {{- include "sahaja.envFrom" . | nindent 4 }}
  env:
    {{- include "sahaja.commonEnv" . | nindent 4 }}
    - name: PIP_CACHE_DIR
      value: /tmp/pip-cache
  securityContext:
    {{- toYaml .Values.securityContext | nindent 4 }}
  resources:
    {{- toYaml .Values.modelCache.initResources | nindent 4 }}
  volumeMounts:
    - name: sahaja-tmp
      mountPath: /tmp
    - name: sahaja-models
      mountPath: {{ .Values.modelCache.mountPath }}
{{- end }}

{{/* Worker resources with the GPU request added when gpu.enabled. */}}
{{- define "sahaja.workerResources" -}}
{{- $res := deepCopy (default dict .Values.worker.resources) }}
{{- if .Values.gpu.enabled }}
{{- $limits := default dict (get $res "limits") }}
{{- $_ := set $limits .Values.gpu.resourceName (int .Values.gpu.count) }}
{{- $_ := set $res "limits" $limits }}
{{- $requests := default dict (get $res "requests") }}
{{- $_ := set $requests .Values.gpu.resourceName (int .Values.gpu.count) }}
{{- $_ := set $res "requests" $requests }}
{{- end }}
{{- toYaml $res }}
{{- end }}

{{/* Checksum of everything the pods read at start, so a change rolls them. */}}
{{- define "sahaja.configChecksum" -}}
{{- $cm := include (print .Template.BasePath "/configmap.yaml") . }}
{{- $secret := include (print .Template.BasePath "/secret.yaml") . }}
{{- printf "%s%s" $cm $secret | sha256sum }}
{{- end }}

{{/* Series selector for alert expressions. */}}
{{- define "sahaja.metricsSelector" -}}
{{- default (printf "job=%q, namespace=%q" (include "sahaja.workerName" .) .Release.Namespace) .Values.metrics.prometheusRule.selector }}
{{- end }}

{{/* Effective max replicas: replicas beyond the input topic's partitions only idle. */}}
{{- define "sahaja.maxReplicas" -}}
{{- $max := int .Values.autoscaling.maxReplicas }}
{{- $parts := int .Values.kafka.inputTopicPartitions }}
{{- if and (gt $parts 0) (gt $max $parts) }}{{ $parts }}{{ else }}{{ $max }}{{ end }}
{{- end }}

{{/* Checks that fail the render with a message instead of producing a broken release. */}}
{{- define "sahaja.validate" -}}
{{- if not .Values.kafka.bootstrapServers }}
{{- fail "kafka.bootstrapServers is required: the host:port list of your Kafka cluster" }}
{{- end }}
{{- $drainMs := add (int .Values.config.batchMaxWaitMs) (int .Values.config.requestTimeoutMs) }}
{{- if le (mul (int .Values.worker.terminationGracePeriodSeconds) 1000) $drainMs }}
{{- fail (printf "worker.terminationGracePeriodSeconds (%d s) must exceed config.batchMaxWaitMs + config.requestTimeoutMs (%d ms) so the last batch is flushed and committed" (int .Values.worker.terminationGracePeriodSeconds) $drainMs) }}
{{- end }}
{{- if and (eq .Values.lake.type "objectStore") (not .Values.lake.objectStore.url) }}
{{- fail "lake.objectStore.url is required when lake.type is objectStore (e.g. s3://bucket/sahaja)" }}
{{- end }}
{{- if and .Values.kafka.saslMechanism (not (hasPrefix "SASL_" .Values.kafka.securityProtocol)) }}
{{- fail "kafka.saslMechanism needs kafka.securityProtocol SASL_PLAINTEXT or SASL_SSL" }}
{{- end }}
{{- if and .Values.kafka.saslMechanism (not .Values.secrets.existingSecret) (not .Values.secrets.saslPassword) }}
{{- fail "kafka.saslMechanism is set: give secrets.saslUsername/saslPassword or secrets.existingSecret" }}
{{- end }}
{{- $hpa := .Values.autoscaling.hpa }}
{{- if and (eq .Values.autoscaling.mode "hpa") (not (or $hpa.targetCPUUtilizationPercentage $hpa.targetMemoryUtilizationPercentage)) }}
{{- fail "autoscaling.mode=hpa needs autoscaling.hpa.targetCPUUtilizationPercentage or targetMemoryUtilizationPercentage" }}
{{- end }}
{{- if gt (int .Values.autoscaling.minReplicas) (int .Values.autoscaling.maxReplicas) }}
{{- fail "autoscaling.minReplicas must not exceed autoscaling.maxReplicas" }}
{{- end }}
{{- end }}

{{/* KEDA needs a TriggerAuthentication when Kafka asks for SASL credentials or a private CA. */}}
{{- define "sahaja.kedaNeedsAuth" -}}
{{- if or .Values.kafka.saslMechanism .Values.kafka.tls.enabled }}true{{ end }}
{{- end }}

{{/*
A CronJob of the chart down to its pod's security context, for jobs on the lake (compaction, scheduled
drift): one run at a time, short history, two retries. Call with (dict "ctx" $ "suffix" "compact"
"component" "compaction" "job" .Values.compaction); the caller adds the pod's containers and volumes
at the pod spec's indentation (10 spaces).
*/}}
{{- define "sahaja.cronJobHead" -}}
{{- $ := .ctx }}
apiVersion: batch/v1
kind: CronJob
metadata:
  name: {{ include "sahaja.fullname" $ }}-{{ .suffix }}
  namespace: {{ $.Release.Namespace }}
  labels:
    {{- include "sahaja.componentLabels" (dict "ctx" $ "component" .component) | nindent 4 }}
spec:
  schedule: {{ .job.schedule | quote }}
  # A run that overlaps the next would do the same work twice; the next run catches up instead.
  concurrencyPolicy: Forbid
  successfulJobsHistoryLimit: 1
  failedJobsHistoryLimit: 3
  jobTemplate:
    spec:
      backoffLimit: 2
      {{- with .job.activeDeadlineSeconds }}
      activeDeadlineSeconds: {{ . }}
      {{- end }}
      template:
        metadata:
          labels:
            {{- include "sahaja.componentLabels" (dict "ctx" $ "component" .component) | nindent 12 }}
        spec:
          restartPolicy: Never
          serviceAccountName: {{ include "sahaja.serviceAccountName" $ }}
          automountServiceAccountToken: {{ $.Values.serviceAccount.automountServiceAccountToken }}
          {{- with $.Values.imagePullSecrets }}
          imagePullSecrets:
            {{- toYaml . | nindent 12 }}
          {{- end }}
          securityContext:
            {{- toYaml $.Values.podSecurityContext | nindent 12 }}
{{- end }}
