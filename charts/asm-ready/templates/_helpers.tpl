{{/*
Names. The defaults are the tutorial's; namePrefix lets two releases share a
namespace. Every name is a DNS label (checked by values.schema.json).
*/}}
{{- define "asm-ready.helloserver.name" -}}
{{- printf "%s%s" .Values.namePrefix .Values.helloserver.name -}}
{{- end -}}

{{- define "asm-ready.loadgen.name" -}}
{{- printf "%s%s" .Values.namePrefix .Values.loadgen.name -}}
{{- end -}}

{{- define "asm-ready.helloserver.serviceName" -}}
{{- printf "%s%s" .Values.namePrefix .Values.helloserver.service.name -}}
{{- end -}}

{{- define "asm-ready.loadgen.serviceName" -}}
{{- printf "%s%s" .Values.namePrefix .Values.loadgen.service.name -}}
{{- end -}}

{{- define "asm-ready.helloserver.serviceAccountName" -}}
{{- if .Values.helloserver.serviceAccount.name -}}
{{- printf "%s%s" .Values.namePrefix .Values.helloserver.serviceAccount.name -}}
{{- else -}}
{{- include "asm-ready.helloserver.name" . -}}
{{- end -}}
{{- end -}}

{{- define "asm-ready.loadgen.serviceAccountName" -}}
{{- if .Values.loadgen.serviceAccount.name -}}
{{- printf "%s%s" .Values.namePrefix .Values.loadgen.serviceAccount.name -}}
{{- else -}}
{{- include "asm-ready.loadgen.name" . -}}
{{- end -}}
{{- end -}}

{{/*
Deployment name of one helloserver version: version v1 keeps the tutorial's
name, every other version gets itself as a suffix (helloserver-v2). The name
is a function of the version alone, so a Deployment's selector (which holds
`version`) never changes whatever the list order.
Call with (dict "root" $ "version" $v).
*/}}
{{- define "asm-ready.helloserver.deploymentName" -}}
{{- if eq .version.name "v1" -}}
{{- include "asm-ready.helloserver.name" .root -}}
{{- else -}}
{{- printf "%s-%s" (include "asm-ready.helloserver.name" .root) .version.name -}}
{{- end -}}
{{- end -}}

{{/*
SERVER_ADDR: the short Service name and port, so it resolves in whatever
namespace the release (or a kustomize overlay) puts it.
*/}}
{{- define "asm-ready.serverAddr" -}}
{{- printf "http://%s:%d/" (include "asm-ready.helloserver.serviceName" .) (int .Values.helloserver.service.port) -}}
{{- end -}}

{{- define "asm-ready.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" -}}
{{- end -}}

{{/*
Labels of every object. Call with (dict "root" $ "name" <app name> "component" <c>).
*/}}
{{- define "asm-ready.labels" -}}
app: {{ .name }}
app.kubernetes.io/name: {{ .name }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/version: {{ .root.Chart.AppVersion | quote }}
app.kubernetes.io/component: {{ .component }}
app.kubernetes.io/part-of: asm-ready
app.kubernetes.io/managed-by: {{ .root.Release.Service }}
helm.sh/chart: {{ include "asm-ready.chart" .root }}
{{- with .root.Values.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end -}}

{{/*
Selector labels: stable across upgrades and versions (never `version`, never
the chart version), so a Deployment's selector never changes.
*/}}
{{- define "asm-ready.selectorLabels" -}}
app.kubernetes.io/name: {{ .name }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
{{- end -}}

{{/*
Pod template labels: `app` and `version` for the mesh (Istio reads
service.istio.io/canonical-* first, so they are set to the same values; the
app.kubernetes.io/version label would otherwise win over `version`).
Call with (dict "root" $ "name" <app> "component" <c> "version" <v> "tag" <image tag> "extra" <podLabels>).
*/}}
{{- define "asm-ready.podLabels" -}}
app: {{ .name }}
version: {{ .version }}
service.istio.io/canonical-name: {{ .name }}
service.istio.io/canonical-revision: {{ .version }}
app.kubernetes.io/name: {{ .name }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/version: {{ .tag | quote }}
app.kubernetes.io/component: {{ .component }}
app.kubernetes.io/part-of: asm-ready
app.kubernetes.io/managed-by: {{ .root.Release.Service }}
{{- with .root.Values.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- with .extra }}
{{ toYaml . }}
{{- end }}
{{- end -}}

{{/*
Image reference. Call with (dict "root" $ "image" <image values> "tag" <tag override or "">).
*/}}
{{- define "asm-ready.image" -}}
{{- $registry := .image.registry | default .root.Values.global.imageRegistry -}}
{{- $tag := .tag | default .image.tag | default .root.Chart.AppVersion -}}
{{- $ref := .image.repository -}}
{{- if $registry }}{{ $ref = printf "%s/%s" $registry .image.repository }}{{ end -}}
{{- $ref = printf "%s:%s" $ref $tag -}}
{{- if .image.digest }}{{ $ref = printf "%s@%s" $ref .image.digest }}{{ end -}}
{{- $ref -}}
{{- end -}}

{{- define "asm-ready.imageTag" -}}
{{- .tag | default .image.tag | default .root.Chart.AppVersion -}}
{{- end -}}

{{/*
Pod-level security context (Pod Security "restricted"). Refuses UID/GID 1337
where it is used, so the error names the template that renders the pod.
*/}}
{{- define "asm-ready.podSecurityContext" -}}
{{- include "asm-ready.check.securityContext" . -}}
runAsNonRoot: true
runAsUser: {{ .Values.securityContext.runAsUser }}
runAsGroup: {{ .Values.securityContext.runAsGroup }}
fsGroup: {{ .Values.securityContext.fsGroup }}
seccompProfile:
  type: RuntimeDefault
{{- end -}}

{{- define "asm-ready.containerSecurityContext" -}}
allowPrivilegeEscalation: false
readOnlyRootFilesystem: true
runAsNonRoot: true
runAsUser: {{ .Values.securityContext.runAsUser }}
runAsGroup: {{ .Values.securityContext.runAsGroup }}
capabilities:
  drop:
    - ALL
seccompProfile:
  type: RuntimeDefault
{{- end -}}

{{/*
Probes on the named port `http`. Startup and liveness ask /healthz (the
process is up), readiness asks /readyz (503 while draining), with differing
periods and thresholds. Call with the workload's probes values.
*/}}
{{- define "asm-ready.probes" -}}
startupProbe:
  httpGet:
    path: /healthz
    port: http
  periodSeconds: {{ .startup.periodSeconds }}
  failureThreshold: {{ .startup.failureThreshold }}
  timeoutSeconds: 1
readinessProbe:
  httpGet:
    path: /readyz
    port: http
  periodSeconds: {{ .readiness.periodSeconds }}
  failureThreshold: {{ .readiness.failureThreshold }}
  successThreshold: 1
  timeoutSeconds: 1
livenessProbe:
  httpGet:
    path: /healthz
    port: http
  periodSeconds: {{ .liveness.periodSeconds }}
  failureThreshold: {{ .liveness.failureThreshold }}
  timeoutSeconds: 2
{{- end -}}

{{/*
Egress every pod of the release needs: cluster DNS, and the sidecar's
control plane when in the mesh.
*/}}
{{- define "asm-ready.commonEgress" -}}
- to:
    - namespaceSelector:
        matchLabels:
          kubernetes.io/metadata.name: {{ .Values.networkPolicy.dns.namespace }}
      podSelector:
        matchLabels:
          {{- toYaml .Values.networkPolicy.dns.podLabels | nindent 10 }}
  ports:
    - protocol: UDP
      port: 53
    - protocol: TCP
      port: 53
{{- if eq .Values.networkPolicy.meshControlPlane "in-cluster" }}
- to:
    - namespaceSelector:
        matchLabels:
          kubernetes.io/metadata.name: istio-system
  ports:
    - protocol: TCP
      port: 15012
{{- else if eq .Values.networkPolicy.meshControlPlane "managed" }}
# Cloud Service Mesh's managed control plane and CA are Google APIs on 443;
# the sidecar gets its token from the GKE metadata server.
- ports:
    - protocol: TCP
      port: 443
- to:
    - ipBlock:
        cidr: 169.254.169.254/32
    - ipBlock:
        cidr: 169.254.169.252/32
  ports:
    - protocol: TCP
      port: 80
    - protocol: TCP
      port: 988
{{- end }}
{{- end -}}
