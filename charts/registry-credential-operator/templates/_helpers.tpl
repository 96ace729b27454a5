{{- define "regcred.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "regcred.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else if contains (include "regcred.name" .) .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name (include "regcred.name" .) | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "regcred.selectorLabels" -}}
app.kubernetes.io/name: {{ include "regcred.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "regcred.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
{{ include "regcred.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end -}}

{{- define "regcred.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "regcred.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- required "serviceAccount.name is required when serviceAccount.create is false" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{- define "regcred.image" -}}
{{- if .Values.image.digest -}}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest -}}
{{- else -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) -}}
{{- end -}}
{{- end -}}

{{- define "regcred.webhookService" -}}
{{- printf "%s-webhook" (include "regcred.fullname" .) | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "regcred.webhookConfiguration" -}}
{{- default (include "regcred.fullname" .) .Values.webhook.configurationName -}}
{{- end -}}

{{- define "regcred.operatorKeySecret" -}}
{{- printf "%s-key" (include "regcred.fullname" .) | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "regcred.leaseName" -}}
{{- default (include "regcred.fullname" .) .Values.leaderElection.id -}}
{{- end -}}

{{/*
RBAC rules, one per API call family; see README.md "RBAC" for the code path behind each.
Namespaced rules: granted cluster-wide (ClusterRole) or in watchNamespace only (Role).
*/}}
{{- define "regcred.rules.namespaced" -}}
- apiGroups: [regcred.dev]
  resources: [registrycredentials]
  verbs: [list, watch, patch]
- apiGroups: [regcred.dev]
  resources: [registrycredentials/status]
  verbs: [patch]
- apiGroups: [""]
  resources: [secrets]
  verbs: [get, list, watch, create, update, delete]
- apiGroups: [""]
  resources: [serviceaccounts]
  verbs: [get, list, watch, patch]
- apiGroups: [""]
  resources: [serviceaccounts/token]
  verbs: [create]
- apiGroups: [""]
  resources: [events]
  verbs: [create]
{{- if .Values.pullFailures.watch }}
# Pods failing to pull (only those are kept in memory), and evicting the ones stuck without the
# Secret when a resource opts in.
- apiGroups: [""]
  resources: [pods]
  verbs: [list, watch]
- apiGroups: [""]
  resources: [pods/eviction]
  verbs: [create]
# Read before evicting: the Eviction API ignores budgets for Pending pods.
- apiGroups: [policy]
  resources: [poddisruptionbudgets]
  verbs: [list]
{{- end }}
{{- end -}}

{{- define "regcred.rules.clusterScope" -}}
- apiGroups: [regcred.dev]
  resources: [clusterregistrycredentials]
  verbs: [list, watch, patch]
- apiGroups: [regcred.dev]
  resources: [clusterregistrycredentials/status]
  verbs: [patch]
- apiGroups: [""]
  resources: [namespaces]
  verbs: [get, list, watch]
# A ClusterRegistryCredential selecting `default` creates it in a new namespace before the
# controller manager does, so no pod is admitted under an unpatched `default`.
- apiGroups: [""]
  resources: [serviceaccounts]
  verbs: [create]
{{- end -}}

{{- define "regcred.rules.admissionPolicies" -}}
- apiGroups: [admissionregistration.k8s.io]
  resources: [mutatingadmissionpolicies]
  verbs: [get, list, watch, create, update, delete]
- apiGroups: [admissionregistration.k8s.io]
  resources: [mutatingadmissionpolicybindings]
  verbs: [list, create, update, delete]
{{- end -}}

{{- define "regcred.rules.webhook" -}}
- apiGroups: [admissionregistration.k8s.io]
  resources: [mutatingwebhookconfigurations]
  verbs: [create]
- apiGroups: [admissionregistration.k8s.io]
  resources: [mutatingwebhookconfigurations]
  resourceNames: [{{ include "regcred.webhookConfiguration" . | quote }}]
  verbs: [get, update]
# The ClusterRole that owns the MutatingWebhookConfiguration (ownerReference), so that deleting the
# release deletes it: read for its uid only.
- apiGroups: [rbac.authorization.k8s.io]
  resources: [clusterroles]
  resourceNames: [{{ include "regcred.webhookOwner" . | quote }}]
  verbs: [get]
{{- end -}}

{{/* The ClusterRole holding the webhook rules, which owns the MutatingWebhookConfiguration. */}}
{{- define "regcred.webhookOwner" -}}
{{- include "regcred.fullname" . }}-admission
{{- end -}}
