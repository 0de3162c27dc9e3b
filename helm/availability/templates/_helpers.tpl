{{/* Names and labels. */}}
{{- define "availability.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "availability.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{- define "availability.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
app.kubernetes.io/name: {{ include "availability.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: availability
{{- end -}}

{{/* Selector labels of one component: include with (dict "ctx" $ "component" "server"). */}}
{{- define "availability.selectorLabels" -}}
app.kubernetes.io/name: {{ include "availability.name" .ctx }}
app.kubernetes.io/instance: {{ .ctx.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{- define "availability.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "availability.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{- define "availability.image" -}}
{{- $repo := .image.repository | default .ctx.Values.image.repository -}}
{{- if and (not .image.repository) .ctx.Values.image.digest -}}
{{- printf "%s@%s" $repo .ctx.Values.image.digest -}}
{{- else -}}
{{- printf "%s:%s" $repo (.image.tag | default .ctx.Values.image.tag | default .ctx.Chart.AppVersion) -}}
{{- end -}}
{{- end -}}

{{/* Where secrets are mounted (files, never environment values). */}}
{{- define "availability.secretDir" -}}/var/run/secrets/availability{{- end -}}
{{- define "availability.syncTokenFile" -}}{{ include "availability.secretDir" . }}/sync/token{{- end -}}
{{- define "availability.syncReadTokenFile" -}}{{ include "availability.secretDir" . }}/sync-read/token{{- end -}}
{{- define "availability.subscriptionSecretFile" -}}{{ include "availability.secretDir" . }}/subscription/secret{{- end -}}
{{- define "availability.redisPasswordFile" -}}{{ include "availability.secretDir" . }}/redis/password{{- end -}}

{{/* The Secret holding the sync token: the operator's, or the dev inline one. */}}
{{- define "availability.syncTokenSecret" -}}
{{- if .Values.sync.existingSecret -}}
{{- .Values.sync.existingSecret -}}
{{- else if .Values.sync.devInsecureInlineToken -}}
{{- printf "%s-dev-sync-token" (include "availability.fullname" .) -}}
{{- end -}}
{{- end -}}
{{- define "availability.syncTokenKey" -}}
{{- if .Values.sync.existingSecret -}}{{ .Values.sync.existingSecretKey }}{{- else -}}token{{- end -}}
{{- end -}}

{{- define "availability.redisHost" -}}
{{- if .Values.redis.host -}}
{{- .Values.redis.host -}}
{{- else if .Values.devRedis.enabled -}}
{{- printf "%s-redis" (include "availability.fullname" .) -}}
{{- end -}}
{{- end -}}

{{- define "availability.syncAddress" -}}
{{- printf "%s-sync:%d" (include "availability.fullname" .) (int .Values.ports.sync) -}}
{{- end -}}

{{/*
Flags the chart sets from its own values; refused in .Values.config.
*/}}
{{- define "availability.chartOwnedFlags" -}}
{{- list "listen" "sync_listen" "sync_token_file" "sync_read_token_file" "redis_host" "redis_port" "redis_user" "redis_db" "redis_password_file" "shutdown_grace" "metrics_listen" "tls_cert_file" "tls_key_file" "tls_client_ca_file" "redis_sentinel_addresses" "redis_sentinel_master" "subscription_secret_file" | toJson -}}
{{- end -}}

{{/*
The server's configuration: flag name -> value (strings), from .Values.config
and the chart's own values. Rendered as AVAILABILITY_<FLAG> variables.
*/}}
{{- define "availability.serverFlags" -}}
{{- $owned := include "availability.chartOwnedFlags" . | fromJsonArray -}}
{{- $flags := dict -}}
{{- range $name, $value := .Values.config -}}
{{- if has $name $owned -}}
{{- fail (printf "config.%s: set by the chart from its own values (see values.yaml); remove it from config" $name) -}}
{{- end -}}
{{- $_ := set $flags $name (toString $value) -}}
{{- end -}}
{{- $_ := set $flags "listen" (printf "0.0.0.0:%d" (int .Values.ports.grpc)) -}}
{{- $_ := set $flags "shutdown_grace" (printf "%ds" (int .Values.shutdownGrace)) -}}
{{- $host := include "availability.redisHost" . -}}
{{- if not $host -}}
{{- fail "redis.host is required (or devRedis.enabled=true for a development Redis)" -}}
{{- end -}}
{{- $_ := set $flags "redis_host" $host -}}
{{- $_ := set $flags "redis_port" (toString (int .Values.redis.port)) -}}
{{- $_ := set $flags "redis_db" (toString (int .Values.redis.db)) -}}
{{- if .Values.redis.user -}}
{{- $_ := set $flags "redis_user" .Values.redis.user -}}
{{- end -}}
{{- if .Values.redis.existingSecret -}}
{{- $_ := set $flags "redis_password_file" (include "availability.redisPasswordFile" .) -}}
{{- end -}}
{{- if .Values.redis.sentinel.addresses -}}
{{- $_ := set $flags "redis_sentinel_addresses" (join "," .Values.redis.sentinel.addresses) -}}
{{- $_ := set $flags "redis_sentinel_master" .Values.redis.sentinel.masterName -}}
{{- end -}}
{{- if .Values.sync.enabled -}}
{{- if not (include "availability.syncTokenSecret" .) -}}
{{- fail "sync.enabled needs sync.existingSecret (a Secret with the bearer token), or sync.devInsecureInlineToken for development" -}}
{{- end -}}
{{- $_ := set $flags "sync_listen" (printf "0.0.0.0:%d" (int .Values.ports.sync)) -}}
{{- $_ := set $flags "sync_token_file" (include "availability.syncTokenFile" .) -}}
{{- if .Values.sync.readOnly.existingSecret -}}
{{- $_ := set $flags "sync_read_token_file" (include "availability.syncReadTokenFile" .) -}}
{{- end -}}
{{- else -}}
{{- $_ := set $flags "sync_listen" "" -}}
{{- end -}}
{{- if .Values.tls.enabled -}}
{{- if not .Values.tls.existingSecret -}}
{{- fail "tls.enabled needs tls.existingSecret (a kubernetes.io/tls Secret)" -}}
{{- end -}}
{{- $_ := set $flags "tls_cert_file" (printf "%s/tls/tls.crt" (include "availability.secretDir" .)) -}}
{{- $_ := set $flags "tls_key_file" (printf "%s/tls/tls.key" (include "availability.secretDir" .)) -}}
{{- if .Values.tls.clientCA.existingSecret -}}
{{- $_ := set $flags "tls_client_ca_file" (printf "%s/client-ca/ca.crt" (include "availability.secretDir" .)) -}}
{{- end -}}
{{- end -}}
{{- if .Values.subscriptions.existingSecret -}}
{{- $_ := set $flags "subscription_secret_file" (include "availability.subscriptionSecretFile" .) -}}
{{- end -}}
{{- if or .Values.metrics.enabled .Values.tls.enabled -}}
{{- /* With TLS the HTTP listener also serves the probes (see deployment). */ -}}
{{- $_ := set $flags "metrics_listen" (printf "0.0.0.0:%d" (int .Values.ports.metrics)) -}}
{{- end -}}
{{- toJson $flags -}}
{{- end -}}

{{/* Adds the component's selector to spread constraints that have none. */}}
{{- define "availability.topologySpread" -}}
{{- $selector := include "availability.selectorLabels" (dict "ctx" . "component" "server") | fromYaml -}}
{{- $out := list -}}
{{- range .Values.topologySpreadConstraints -}}
{{- $c := deepCopy . -}}
{{- if not (hasKey $c "labelSelector") -}}
{{- $_ := set $c "labelSelector" (dict "matchLabels" $selector) -}}
{{- end -}}
{{- $out = append $out $c -}}
{{- end -}}
{{- toYaml $out -}}
{{- end -}}

{{/* The container securityContext every container of this chart uses. */}}
{{- define "availability.containerSecurityContext" -}}
runAsNonRoot: true
runAsUser: 65532
runAsGroup: 65532
readOnlyRootFilesystem: true
allowPrivilegeEscalation: false
capabilities:
  drop: ["ALL"]
seccompProfile:
  type: RuntimeDefault
{{- end -}}

{{- define "availability.podSecurityContext" -}}
runAsNonRoot: true
runAsUser: 65532
runAsGroup: 65532
fsGroup: 65532
seccompProfile:
  type: RuntimeDefault
{{- end -}}
