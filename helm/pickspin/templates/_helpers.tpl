{{/* Names */}}
{{- define "pickspin.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Also the StatefulSet's name, so its pods are <fullname>-0, -1, ... (kept short for the pods' hash label). */}}
{{- define "pickspin.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 52 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 52 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 52 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "pickspin.headlessName" -}}
{{- printf "%s-headless" (include "pickspin.fullname" .) }}
{{- end }}

{{- define "pickspin.cassandraName" -}}
{{- printf "%s-cassandra" (include "pickspin.fullname" .) }}
{{- end }}

{{- define "pickspin.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "pickspin.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "pickspin.adminSecretName" -}}
{{- default (printf "%s-admin" (include "pickspin.fullname" .)) .Values.admin.existingSecret }}
{{- end }}

{{- define "pickspin.backendNamespace" -}}
{{- default .Release.Namespace .Values.backends.namespace }}
{{- end }}

{{/* Labels */}}
{{- define "pickspin.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
app.kubernetes.io/name: {{ include "pickspin.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: pickspin
{{- end }}

{{- define "pickspin.selectorLabels" -}}
app.kubernetes.io/name: {{ include "pickspin.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "pickspin.controlPlaneSelectorLabels" -}}
{{ include "pickspin.selectorLabels" . }}
app.kubernetes.io/component: control-plane
{{- end }}

{{/* The stable DNS domain of the control-plane pods: <pod>.<this>. */}}
{{- define "pickspin.podDomain" -}}
{{- printf "%s.%s.svc.%s" (include "pickspin.headlessName" .) .Release.Namespace .Values.clusterDomain }}
{{- end }}

{{/* Static seed nodes: the first pods' stable names. The actor system is always called "pickspin". */}}
{{- define "pickspin.seedNodes" -}}
{{- $count := min (int .Values.replicaCount) (int .Values.cluster.seedNodes) }}
{{- $seeds := list }}
{{- range $i := until (int $count) }}
{{- $seeds = append $seeds (printf "pekko://pickspin@%s-%d.%s:%d" (include "pickspin.fullname" $) $i (include "pickspin.podDomain" $) (int $.Values.ports.remoting)) }}
{{- end }}
{{- join "," $seeds }}
{{- end }}

{{/* Cassandra contact points, host:port, comma-separated. */}}
{{- define "pickspin.cassandraContactPoints" -}}
{{- if .Values.cassandra.enabled }}
{{- $name := include "pickspin.cassandraName" . }}
{{- $points := list }}
{{- range $i := until (int .Values.cassandra.replicas) }}
{{- $points = append $points (printf "%s-%d.%s-headless.%s.svc.%s:9042" $name $i $name $.Release.Namespace $.Values.clusterDomain) }}
{{- end }}
{{- join "," $points }}
{{- else }}
{{- join "," .Values.cassandra.contactPoints }}
{{- end }}
{{- end }}

{{- define "pickspin.image" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) }}
{{- end }}

{{/*
A number as HOCON/YAML text: whole numbers without exponent (Helm reads YAML numbers as float64, which print as
1e+06), fractions as they are.
*/}}
{{- define "pickspin.num" -}}
{{- $v := float64 . }}
{{- if eq $v (floor $v) }}{{ int64 $v }}{{ else }}{{ $v }}{{ end }}
{{- end }}

{{/* (list map key default): the map's value for key if present (0 included), else the default, as a number. */}}
{{- define "pickspin.numOr" -}}
{{- $m := index . 0 }}{{ $k := index . 1 }}
{{- include "pickspin.num" (ternary (index $m $k) (index . 2) (hasKey $m $k)) }}
{{- end }}

{{/* Backend of a model: (dict "root" $ "model" $m). */}}
{{- define "pickspin.model.resourceName" -}}
{{- $b := .model.backend | default dict }}
{{- if $b.name }}
{{- $b.name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" (include "pickspin.fullname" .root) (.model.id | replace "." "-") | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}

{{- define "pickspin.model.serviceUrl" -}}
{{- $b := .model.backend }}
{{- $ns := include "pickspin.backendNamespace" .root }}
{{- $name := include "pickspin.model.resourceName" . }}
{{- if eq $b.kind "external" }}
{{- $b.url }}
{{- else if eq $b.kind "knative" }}
{{- printf "http://%s.%s.svc.%s" $name $ns .root.Values.clusterDomain }}
{{- else }}
{{- printf "http://%s.%s.svc.%s:%d" $name $ns .root.Values.clusterDomain (int .root.Values.vllm.port) }}
{{- end }}
{{- end }}

{{- define "pickspin.model.labels" -}}
{{ include "pickspin.labels" .root }}
app.kubernetes.io/component: model-backend
pickspin.io/model: {{ .model.id | quote }}
pickspin.io/tier: {{ .model.tier }}
{{- end }}

{{- define "pickspin.model.selectorLabels" -}}
{{ include "pickspin.selectorLabels" .root }}
app.kubernetes.io/component: model-backend
pickspin.io/model: {{ .model.id | quote }}
{{- end }}

{{/*
Checks the schema cannot express. Included by the StatefulSet, so `helm lint` and `helm template` report them.
*/}}
{{- define "pickspin.validate" -}}
{{- if and (eq .Values.journal "h2") (gt (int .Values.replicaCount) 1) }}
{{- fail (printf "journal=h2 is an embedded single-node journal: set replicaCount=1 (got %d) or journal=cassandra" (int .Values.replicaCount)) }}
{{- end }}
{{- if and (eq .Values.journal "cassandra") (not .Values.cassandra.enabled) (empty .Values.cassandra.contactPoints) }}
{{- fail "journal=cassandra needs cassandra.enabled=true (in-chart Cassandra) or cassandra.contactPoints (an external one)" }}
{{- end }}
{{- if and (eq .Values.journal "cassandra") .Values.cassandra.enabled .Values.cassandra.tls.secretName }}
{{- fail "cassandra.tls is for an external Cassandra that serves TLS (cassandra.enabled=false and cassandra.contactPoints): the in-chart Cassandra does not serve TLS" }}
{{- end }}
{{- if lt (int .Values.terminationGracePeriodSeconds) (add (int .Values.drainTimeoutSeconds) 10) }}
{{- fail (printf "terminationGracePeriodSeconds (%d) must be at least drainTimeoutSeconds (%d) + 10: the pod also has to leave the cluster before it is killed" (int .Values.terminationGracePeriodSeconds) (int .Values.drainTimeoutSeconds)) }}
{{- end }}
{{- $ids := dict }}
{{- range $m := .Values.models }}
{{- if hasKey $ids $m.id }}
{{- fail (printf "models: the id %q is used twice" $m.id) }}
{{- end }}
{{- $_ := set $ids $m.id true }}
{{- if gt (int (default 0 $m.minReplicas)) (int $m.maxReplicas) }}
{{- fail (printf "model %q: minReplicas (%d) must not exceed maxReplicas (%d)" $m.id (int $m.minReplicas) (int $m.maxReplicas)) }}
{{- end }}
{{- end }}
{{- end }}
