{{/* The release's name prefix: "<release>-moco", or the release name when it already says moco. */}}
{{- define "moco.fullname" -}}
{{- if contains "moco" .Release.Name -}}
{{- .Release.Name | trunc 40 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-moco" .Release.Name | trunc 40 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "moco.labels" -}}
app.kubernetes.io/name: moco
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/version: {{ .root.Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .root.Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .root.Chart.Name .root.Chart.Version }}
{{ include "moco.selector" . }}
{{- end -}}

{{/* Selects one component's pods: .component is gateway, router, evaluator, orchestrator or inference-<group>. */}}
{{- define "moco.selector" -}}
app.kubernetes.io/component: {{ .component }}
app.kubernetes.io/part-of: {{ include "moco.fullname" .root }}
{{- end -}}

{{- define "moco.image" -}}
{{ .Values.image.repository }}:{{ .Values.image.tag | default .Chart.AppVersion }}
{{- end -}}

{{/* The gateway's gRPC address: every service reaches every other through it (contracts.md §9); https when it
serves TLS (gateway.tls.secretName). */}}
{{- define "moco.gatewayAddress" -}}
{{ ternary "https" "http" (not (empty .Values.gateway.tls.secretName)) }}://{{ include "moco.fullname" . }}-gateway:{{ .Values.ports.gateway.grpc }}
{{- end -}}

{{/* "true" when the services that call the gateway trust the authority in its TLS secret (gateway.tls.caKey). */}}
{{- define "moco.gatewayCa" -}}
{{- if and .Values.gateway.tls.secretName .Values.gateway.tls.caKey }}true{{ end -}}
{{- end -}}

{{/* The gateway's certificate and key, from its TLS secret. */}}
{{- define "moco.gatewayTlsVolume" -}}
- name: gateway-tls
  secret:
    secretName: {{ .Values.gateway.tls.secretName | quote }}
    items: [{key: tls.crt, path: tls.crt}, {key: tls.key, path: tls.key}]
{{- end -}}

{{/* The gateway's accepted bearer tokens, alone from the auth Secret (never the services' own key). */}}
{{- define "moco.gatewayTokensVolume" -}}
- name: gateway-auth
  secret:
    secretName: {{ .Values.gateway.auth.existingSecret | quote }}
    items: [{key: {{ .Values.gateway.auth.tokensKey | quote }}, path: tokens}]
{{- end -}}

{{/* The authority that signed the gateway's certificate, alone from the same secret (never the gateway's key). */}}
{{- define "moco.gatewayCaVolume" -}}
- name: gateway-ca
  secret:
    secretName: {{ .Values.gateway.tls.secretName | quote }}
    items: [{key: {{ .Values.gateway.tls.caKey | quote }}, path: ca.crt}]
{{- end -}}

{{/* An inference replica's host name: the StatefulSet pod's name under its headless Service. */}}
{{- define "moco.inferenceHost" -}}
{{ include "moco.fullname" .root }}-inference-{{ .group }}-{{ .ordinal }}.{{ include "moco.fullname" .root }}-inference-{{ .group }}.{{ .root.Release.Namespace }}.svc.cluster.local
{{- end -}}

{{/* The container of one service: `moco serve <service>` on its contract ports, probes on its admin port; .env is
the chart's environment, .extraEnv the values' own entries, .securityContext the container's if any. .callsGateway:
the service calls the gateway, so it trusts the authority of the gateway's TLS secret when there is one. */}}
{{- define "moco.container" -}}
- name: {{ .service }}
  image: {{ include "moco.image" .root }}
  imagePullPolicy: {{ .root.Values.image.pullPolicy }}
  args: ["serve", {{ .service | quote }}]
  ports:
    - {name: grpc, containerPort: {{ .ports.grpc }}}
    - {name: admin, containerPort: {{ .ports.admin }}}
  env:
    {{- $own := list (dict "name" "Moco__Host__BindAddress" "value" "0.0.0.0")
      (dict "name" "Moco__Host__GrpcPort" "value" (toString .ports.grpc))
      (dict "name" "Moco__Host__AdminPort" "value" (toString .ports.admin))
      (dict "name" "Moco__Host__LogFormat" "value" .root.Values.logFormat) }}
    {{- with .root.Values.otlpEndpoint }}
    {{- $own = append $own (dict "name" "Moco__Host__OtlpEndpoint" "value" .) }}
    {{- end }}
    {{- if and .callsGateway (include "moco.gatewayCa" .root) }}
    {{- $own = append $own (dict "name" "Moco__Host__TrustedCaPath" "value" "/etc/moco/gateway-ca/ca.crt") }}
    {{- end }}
    {{- with .root.Values.gateway.auth }}
    {{- if and $.callsGateway .existingSecret }}
    {{- $own = append $own (dict "name" "Moco__Host__GatewayToken" "valueFrom" (dict "secretKeyRef" (dict "name" .existingSecret "key" .serviceTokenKey))) }}
    {{- end }}
    {{- end }}
    {{- /* extraEnv replaces an entry of the chart's of the same name (duplicate names break strategic-merge patches). */}}
    {{- $extra := .extraEnv | default list }}
    {{- $names := list }}
    {{- range $extra }}{{ $names = append $names .name }}{{ end }}
    {{- $merged := list }}
    {{- range concat $own (.env | default list) }}{{ if not (has .name $names) }}{{ $merged = append $merged . }}{{ end }}{{ end }}
    {{- toYaml (concat $merged $extra) | nindent 4 }}
  livenessProbe:
    httpGet: {path: /healthz, port: admin}
    periodSeconds: 10
  readinessProbe:
    httpGet: {path: /readyz, port: admin}
    periodSeconds: 5
  {{- with .startup }}
  startupProbe:
    httpGet: {path: /healthz, port: admin}
    periodSeconds: 5
    failureThreshold: {{ . }}
  {{- end }}
  {{- with .resources }}
  resources:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  {{- with .securityContext }}
  securityContext:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  {{- $mounts := .mounts | default list }}
  {{- if and .callsGateway (include "moco.gatewayCa" .root) }}
  {{- $mounts = append $mounts (dict "name" "gateway-ca" "mountPath" "/etc/moco/gateway-ca" "readOnly" true) }}
  {{- end }}
  {{- with $mounts }}
  volumeMounts:
    {{- toYaml . | nindent 4 }}
  {{- end }}
{{- end -}}

{{/* Pod placement and pull secrets shared by every pod spec. */}}
{{- define "moco.placement" -}}
{{- with .root.Values.imagePullSecrets }}
imagePullSecrets:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .values.nodeSelector }}
nodeSelector:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .values.tolerations }}
tolerations:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- end -}}

{{/* A volume from a claim when one is named, else an emptyDir. */}}
{{- define "moco.volume" -}}
- name: {{ .name }}
  {{- if .claim }}
  persistentVolumeClaim: {claimName: {{ .claim | quote }}{{ if .readOnly }}, readOnly: true{{ end }}}
  {{- else }}
  emptyDir: {}
  {{- end }}
{{- end -}}

{{/* A ClusterIP Service in front of a component's grpc and admin ports. */}}
{{- define "moco.service" -}}
apiVersion: v1
kind: Service
metadata:
  name: {{ include "moco.fullname" .root }}-{{ .component }}
  labels:
    {{- include "moco.labels" . | nindent 4 }}
spec:
  type: {{ .type | default "ClusterIP" }}
  {{- if .headless }}
  clusterIP: None
  publishNotReadyAddresses: true
  {{- end }}
  selector:
    {{- include "moco.selector" . | nindent 4 }}
  ports:
    - {name: grpc, port: {{ .ports.grpc }}, targetPort: grpc, appProtocol: kubernetes.io/h2c}
    - {name: admin, port: {{ .ports.admin }}, targetPort: admin}
{{- end -}}

{{/* A PodDisruptionBudget for a component of more than one replica. */}}
{{- define "moco.pdb" -}}
{{- if and .root.Values.podDisruptionBudget.enabled (gt (int .replicas) 1) }}
---
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata:
  name: {{ include "moco.fullname" .root }}-{{ .component }}
  labels:
    {{- include "moco.labels" . | nindent 4 }}
spec:
  minAvailable: {{ .root.Values.podDisruptionBudget.minAvailable }}
  selector:
    matchLabels:
      {{- include "moco.selector" . | nindent 6 }}
{{- end }}
{{- end -}}
