{{- define "graphql.hpaReplicas" -}}
{{- if eq .Values.global.env "prod" }}{{- if eq .Values.global.region "europe-west1" }}
minReplicas: 40
{{- else }}
minReplicas: 150
{{- end }}
maxReplicas: 1400
{{- else }}
minReplicas: 4
maxReplicas: 20
{{- end }}{{- end -}}
