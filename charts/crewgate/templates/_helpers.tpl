{{- define "crewgate.labels" -}}
app.kubernetes.io/name: crewgate
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/part-of: crewgate
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
helm.sh/chart: {{ .Chart.Name }}-{{ .Chart.Version }}
{{- end -}}

{{- define "crewgate.selector" -}}
app.kubernetes.io/name: crewgate
app.kubernetes.io/component: operator
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "crewgate.fullname" -}}crewgate-operator{{- end -}}

{{/* The recording store setting as the operator reads it (operator/config.ts recordingStoreSchema). */}}
{{- define "crewgate.recordingStore" -}}
{{- $tls := dict "mode" .tls.mode -}}
{{- if .tls.serverName }}{{- $_ := set $tls "serverName" .tls.serverName -}}{{- end -}}
{{- if .tls.caConfigMap }}{{- $_ := set $tls "caFile" "/etc/crewgate/store-ca/ca.crt" -}}{{- end -}}
{{- toJson (dict "host" .host "port" (int .port) "database" .database "tls" $tls "secretName" .secretName) -}}
{{- end }}
