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
Pod-level security context (Pod Security "restricted").
*/}}
{{- define "asm-ready.podSecurityContext" -}}
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
Checks JSON schema cannot express: unique version names, weights summing to
100, extraEnv not shadowing the chart's variables. Rendered (empty) by every
workload template so `helm template` fails early with a clear message.
*/}}
{{- define "asm-ready.validate" -}}
{{- $seen := dict -}}
{{- $sum := 0 -}}
{{- $weighted := false -}}
{{- $parts := list -}}
{{- range $i, $v := .Values.helloserver.versions -}}
{{- if hasKey $seen $v.name -}}
{{- fail (printf "helloserver.versions[%d].name: %q is used twice; version names must be unique" $i $v.name) -}}
{{- end -}}
{{- $_ := set $seen $v.name true -}}
{{- if hasKey $v "weight" -}}
{{- $weighted = true -}}
{{- $sum = add $sum (int $v.weight) -}}
{{- end -}}
{{- $parts = append $parts (printf "%s=%v" $v.name ($v.weight | default 0)) -}}
{{- end -}}
{{- $vs := and .Values.mesh.enabled .Values.mesh.virtualService.enabled -}}
{{- $implicit := and (eq (len .Values.helloserver.versions) 1) (not $weighted) -}}
{{- if and (or $weighted $vs) (not $implicit) (ne (int $sum) 100) -}}
{{- fail (printf "helloserver.versions[*].weight: the weights must sum to 100, got %d (%s); set a weight on every version" (int $sum) (join ", " $parts)) -}}
{{- end -}}
{{- range $k, $_ := .Values.helloserver.extraEnv -}}
{{- if has $k (list "PORT" "SERVICE_VERSION" "POD_NAME" "TERMINATION_GRACE_PERIOD" "LOG_FORMAT" "LOG_LEVEL") -}}
{{- fail (printf "helloserver.extraEnv.%s: set by the chart; use the chart's value for it instead" $k) -}}
{{- end -}}
{{- end -}}
{{- range $k, $_ := .Values.loadgen.extraEnv -}}
{{- if has $k (list "PORT" "SERVER_ADDR" "REQUESTS_PER_SECOND" "LOG_FORMAT" "LOG_LEVEL") -}}
{{- fail (printf "loadgen.extraEnv.%s: set by the chart; use the chart's value for it instead" $k) -}}
{{- end -}}
{{- end -}}
{{- /* Map keys: the schema checks the values, these check the keys. */ -}}
{{- $labelKey := `^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$` -}}
{{- $reserved := `^(app|version|helm\.sh/chart|app\.kubernetes\.io/.+|service\.istio\.io/.+)$` -}}
{{- $labelMaps := dict "commonLabels" .Values.commonLabels "helloserver.podLabels" .Values.helloserver.podLabels "loadgen.podLabels" .Values.loadgen.podLabels -}}
{{- range $path, $m := $labelMaps -}}
{{- range $k, $_ := $m -}}
{{- if regexMatch $reserved $k -}}
{{- fail (printf "%s.%s: the label is set by the chart (app, version, app.kubernetes.io/*, service.istio.io/*, helm.sh/chart); pick another key" $path $k) -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- $keyMaps := merge (dict "helloserver.nodeSelector" .Values.helloserver.nodeSelector "loadgen.nodeSelector" .Values.loadgen.nodeSelector "helloserver.podAnnotations" .Values.helloserver.podAnnotations "loadgen.podAnnotations" .Values.loadgen.podAnnotations "helloserver.service.annotations" .Values.helloserver.service.annotations "loadgen.service.annotations" .Values.loadgen.service.annotations "helloserver.serviceAccount.annotations" .Values.helloserver.serviceAccount.annotations "loadgen.serviceAccount.annotations" .Values.loadgen.serviceAccount.annotations "networkPolicy.dns.podLabels" .Values.networkPolicy.dns.podLabels) $labelMaps -}}
{{- range $path, $m := $keyMaps -}}
{{- range $k, $_ := $m -}}
{{- if not (regexMatch $labelKey $k) -}}
{{- fail (printf "%s: key %q is not a valid Kubernetes label/annotation key ([prefix/]name, name up to 63 characters of [A-Za-z0-9-_.])" $path $k) -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- range $path, $m := dict "helloserver.extraEnv" .Values.helloserver.extraEnv "loadgen.extraEnv" .Values.loadgen.extraEnv -}}
{{- range $k, $_ := $m -}}
{{- if not (regexMatch `^[A-Z_][A-Z0-9_]*$` $k) -}}
{{- fail (printf "%s: variable name %q must match ^[A-Z_][A-Z0-9_]*$" $path $k) -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- if and .Values.helloserver.hpa.enabled (lt (int .Values.helloserver.hpa.maxReplicas) (int .Values.helloserver.hpa.minReplicas)) -}}
{{- fail (printf "helloserver.hpa.maxReplicas: %d is below minReplicas %d" (int .Values.helloserver.hpa.maxReplicas) (int .Values.helloserver.hpa.minReplicas)) -}}
{{- end -}}
{{- if and .Values.mesh.enabled .Values.mesh.virtualService.enabled (not .Values.mesh.destinationRule.enabled) -}}
{{- fail "mesh.destinationRule.enabled: false, but the VirtualService routes to the DestinationRule's subsets; enable it or set mesh.virtualService.enabled=false" -}}
{{- end -}}
{{- if eq (include "asm-ready.helloserver.serviceName" .) (include "asm-ready.loadgen.serviceName" .) -}}
{{- fail (printf "loadgen.service.name: %q is also helloserver's Service name; they must differ" .Values.loadgen.service.name) -}}
{{- end -}}
{{- if eq (include "asm-ready.helloserver.name" .) (include "asm-ready.loadgen.name" .) -}}
{{- fail (printf "loadgen.name: %q is also helloserver's name; they must differ" .Values.loadgen.name) -}}
{{- end -}}
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
