{{/* Chart name, truncated to the 63 characters a label allows. */}}
{{- define "toolbox.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Fully qualified app name: release-chart unless the release name already contains it. */}}
{{- define "toolbox.fullname" -}}
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

{{- define "toolbox.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "toolbox.selectorLabels" -}}
app.kubernetes.io/name: {{ include "toolbox.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "toolbox.labels" -}}
helm.sh/chart: {{ include "toolbox.chart" . }}
{{ include "toolbox.selectorLabels" . }}
app.kubernetes.io/version: {{ .Values.image.tag | default .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: toolbox
{{- end }}

{{- define "toolbox.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "toolbox.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "toolbox.image" -}}
{{- printf "%s:%s" .Values.image.repository (.Values.image.tag | default .Chart.AppVersion) }}
{{- end }}

{{/* The Secret holding DATABASE_URL and the other secret settings. */}}
{{- define "toolbox.secretName" -}}
{{- if .Values.existingSecret }}
{{- .Values.existingSecret }}
{{- else }}
{{- include "toolbox.fullname" . }}
{{- end }}
{{- end }}

{{- define "toolbox.postgresql.fullname" -}}
{{- printf "%s-postgresql" (include "toolbox.fullname" .) | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* DATABASE_URL: the bundled PostgreSQL's when enabled, else secrets.DATABASE_URL. */}}
{{- define "toolbox.databaseUrl" -}}
{{- if .Values.postgresql.enabled }}
{{- $a := .Values.postgresql.auth }}
{{- printf "postgres://%s:%s@%s:5432/%s" $a.username (urlquery $a.password) (include "toolbox.postgresql.fullname" .) $a.database }}
{{- else }}
{{- .Values.secrets.DATABASE_URL }}
{{- end }}
{{- end }}

{{/* The non-secret environment (the ConfigMap's data), with what the chart derives. */}}
{{- define "toolbox.configData" -}}
{{- $cfg := deepCopy .Values.config }}
{{- $_ := set $cfg "HOST" "0.0.0.0" }}
{{- $_ := set $cfg "PORT" (toString .Values.containerPort) }}
{{- $_ := set $cfg "MIGRATE_ON_START" (ternary "true" "false" (eq .Values.migrations.mode "startup")) }}
{{- if .Values.metrics.enabled }}
{{- $_ := set $cfg "METRICS_PORT" (toString .Values.metrics.port) }}
{{- end }}
{{- /* /mcp refuses Host values it does not know (DNS-rebinding defence): unless set, accept
       the Service's in-cluster names and the ingress hosts. */}}
{{- if not (get $cfg "MCP_ALLOWED_HOSTS") }}
{{- $name := include "toolbox.fullname" . }}
{{- $ns := .Release.Namespace }}
{{- $hosts := list "localhost" "127.0.0.1" "::1" $name (printf "%s.%s" $name $ns) (printf "%s.%s.svc" $name $ns) (printf "%s.%s.svc.cluster.local" $name $ns) }}
{{- if .Values.ingress.enabled }}
{{- range .Values.ingress.hosts }}
{{- $hosts = append $hosts .host }}
{{- end }}
{{- end }}
{{- $_ := set $cfg "MCP_ALLOWED_HOSTS" (join "," $hosts) }}
{{- end }}
{{- range $k, $v := $cfg }}
{{- if ne (toString $v) "" }}
{{ $k }}: {{ toString $v | quote }}
{{- end }}
{{- end }}
{{- end }}

{{/* Volumes every toolbox container gets: /tmp (the root filesystem is read-only) and extras. */}}
{{- define "toolbox.volumes" -}}
- name: tmp
  emptyDir:
    sizeLimit: 64Mi
{{- with .Values.extraVolumes }}
{{ toYaml . }}
{{- end }}
{{- end }}

{{- define "toolbox.volumeMounts" -}}
- name: tmp
  mountPath: /tmp
{{- with .Values.extraVolumeMounts }}
{{ toYaml . }}
{{- end }}
{{- end }}
