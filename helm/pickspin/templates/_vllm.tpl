{{/*
The vLLM server of one model: (dict "root" $ "model" $m "knative" bool). Knative wants a single port named http1 and
manages the start-up itself (progress deadline), so it gets no start-up or liveness probe.
*/}}
{{- define "pickspin.vllm.container" -}}
{{- $v := .root.Values.vllm }}
{{- $m := .model }}
{{- $b := $m.backend }}
{{- $gpus := int (ternary $m.gpusPerReplica 1 (hasKey $m "gpusPerReplica")) }}
{{- $image := merge (deepCopy ($b.image | default dict)) $v.image }}
{{- $resources := deepCopy ($b.resources | default $v.resources | default dict) }}
{{- if gt $gpus 0 }}
{{- $_ := set $resources "requests" (merge (dict $v.gpuResource $gpus) ($resources.requests | default dict)) }}
{{- $_ := set $resources "limits" (merge (dict $v.gpuResource $gpus) ($resources.limits | default dict)) }}
{{- end }}
name: vllm
image: {{ printf "%s:%s" $image.repository $image.tag }}
imagePullPolicy: {{ $image.pullPolicy }}
args:
  - --model
  - {{ default (default $m.id $m.servedName) $b.model | quote }}
  - --served-model-name
  - {{ default $m.id $m.servedName | quote }}
  - --port
  - {{ $v.port | quote }}
  {{- if gt $gpus 0 }}
  - --tensor-parallel-size
  - {{ $gpus | quote }}
  {{- end }}
  - --max-num-seqs
  - {{ include "pickspin.numOr" (list $m.latency "maxBatch" 8) | quote }}
  {{- range (concat ($v.extraArgs | default list) ($b.extraArgs | default list)) }}
  - {{ . | quote }}
  {{- end }}
ports:
  - name: {{ ternary "http1" "http" .knative }}
    containerPort: {{ $v.port }}
    protocol: TCP
{{- $env := concat ($v.extraEnv | default list) ($b.extraEnv | default list) }}
{{- if or $v.hfTokenSecret.name $env }}
env:
  {{- with $v.hfTokenSecret.name }}
  - name: HF_TOKEN
    valueFrom:
      secretKeyRef:
        name: {{ . }}
        key: {{ $v.hfTokenSecret.key }}
  {{- end }}
  {{- with $env }}
  {{- toYaml . | nindent 2 }}
  {{- end }}
{{- end }}
{{- if not .knative }}
startupProbe:
  httpGet:
    path: /health
    port: http
  periodSeconds: 10
  failureThreshold: {{ div (int $v.startupTimeoutSeconds) 10 | max 1 }}
livenessProbe:
  httpGet:
    path: /health
    port: http
  periodSeconds: 10
  timeoutSeconds: 5
  failureThreshold: 3
{{- end }}
readinessProbe:
  httpGet:
    path: /health
    {{- if not .knative }}
    port: http
    {{- end }}
  periodSeconds: 5
  timeoutSeconds: 3
  failureThreshold: 3
resources:
  {{- toYaml $resources | nindent 2 }}
{{- if .volumes }}
volumeMounts:
  - name: dshm
    mountPath: /dev/shm
  - name: model-cache
    mountPath: /root/.cache/huggingface
{{- end }}
{{- end }}

{{/* Pod-level settings of a vLLM pod: (dict "root" $ "model" $m "volumes" bool). */}}
{{- define "pickspin.vllm.podExtras" -}}
{{- $v := .root.Values.vllm }}
{{- $b := .model.backend }}
{{- with $v.runtimeClassName }}
runtimeClassName: {{ . }}
{{- end }}
{{- with ($b.nodeSelector | default $v.nodeSelector) }}
nodeSelector:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with ($b.tolerations | default $v.tolerations) }}
tolerations:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with ($b.affinity | default $v.affinity) }}
affinity:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- if .volumes }}
volumes:
  - name: dshm
    emptyDir:
      medium: Memory
      sizeLimit: {{ $v.shmSizeLimit }}
  - name: model-cache
    {{- if $v.modelCache.existingClaim }}
    persistentVolumeClaim:
      claimName: {{ $v.modelCache.existingClaim }}
    {{- else }}
    emptyDir:
      sizeLimit: {{ $v.modelCache.emptyDirSizeLimit }}
    {{- end }}
{{- end }}
{{- end }}
