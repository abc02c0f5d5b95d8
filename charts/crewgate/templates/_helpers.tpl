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
