{{/*
Checks values.schema.json cannot express. Each is included by the template
that renders the value, so Helm's "execution error at (<template>)" names
where the value is used, and each message names the key, the value, why it
is refused and what to set instead. Values the services would refuse at
start are refused here with their own bounds (tools/chart proves the chart
and the services' config packages agree), so a render never yields a crash-looping pod.
*/}}

{{/*
Milliseconds of a Go duration as time.ParseDuration reads it ("2s", "1m30s",
"500ms", "0"), or "" when the text is not one (negative durations included:
no setting here accepts them).
*/}}
{{- define "asm-ready.durationMs" -}}
{{- $s := toString . -}}
{{- if eq $s "0" -}}
0
{{- else if regexMatch `^([0-9]*\.?[0-9]+(ns|us|µs|μs|ms|s|m|h))+$` $s -}}
{{- $unit := dict "ns" 0.000001 "us" 0.001 "µs" 0.001 "μs" 0.001 "ms" 1.0 "s" 1000.0 "m" 60000.0 "h" 3600000.0 -}}
{{- $ms := 0.0 -}}
{{- range regexFindAll `[0-9]*\.?[0-9]+(ns|us|µs|μs|ms|s|m|h)` $s -1 -}}
{{- $n := regexFind `^[0-9]*\.?[0-9]+` . -}}
{{- $ms = addf $ms (mulf (float64 $n) (get $unit (trimPrefix $n .))) -}}
{{- end -}}
{{- $ms -}}
{{- end -}}
{{- end -}}

{{/*
An environment value as a number for a range check, or "" when the text is
not of its kind: duration (milliseconds), int, number, bool (0).
Call with (dict "kind" <kind> "value" <text>).
*/}}
{{- define "asm-ready.envNumber" -}}
{{- $v := toString .value -}}
{{- if eq .kind "duration" -}}
{{- include "asm-ready.durationMs" $v -}}
{{- else if and (eq .kind "int") (regexMatch `^[0-9]+$` $v) -}}
{{- $v -}}
{{- else if and (eq .kind "number") (regexMatch `^[0-9]*\.?[0-9]+([eE][-+]?[0-9]+)?$` $v) -}}
{{- $v -}}
{{- else if and (eq .kind "bool") (regexMatch `^(1|t|T|TRUE|true|True|0|f|F|FALSE|false|False)$` $v) -}}
0
{{- end -}}
{{- end -}}

{{/*
extraEnv of one program: names the chart sets itself are refused, and every
variable with a rule must hold a value the program accepts. A rule is
(list kind min max allowed), bounds inclusive ("" for none), durations in
milliseconds, "allowed" worded as in the program's README.
Call with (dict "key" "helloserver.extraEnv" "env" <map> "program" "helloserver"
"chartSet" <list of names> "rules" <dict name -> rule>).
*/}}
{{- define "asm-ready.check.env" -}}
{{- $c := . -}}
{{- range $name, $value := .env -}}
{{- $key := printf "%s.%s" $c.key $name -}}
{{- if not (regexMatch `^[A-Z_][A-Z0-9_]*$` $name) -}}
{{- fail (printf "%s: %q is not an environment variable name; use upper-case letters, digits and _ (e.g. MAX_IN_FLIGHT)" $c.key $name) -}}
{{- end -}}
{{- if has $name $c.chartSet -}}
{{- fail (printf "%s: the chart sets %s from its own values (%s); remove it from %s and set the chart's value instead (see values.yaml)" $key $name (join ", " $c.chartSet) $c.key) -}}
{{- end -}}
{{- /* Empty means unset to the programs: their default applies. */ -}}
{{- with and (ne (toString $value) "") (get $c.rules $name) -}}
{{- $min := index . 1 -}}
{{- $max := index . 2 -}}
{{- $n := include "asm-ready.envNumber" (dict "kind" (index . 0) "value" $value) -}}
{{- if or (eq $n "") (and (ne (toString $min) "") (lt (float64 $n) (float64 $min))) (and (ne (toString $max) "") (gt (float64 $n) (float64 $max))) -}}
{{- fail (printf "%s: %q is not %s; %s refuses it and exits at start, so the pod would crash-loop. Set %s, or remove the key for %s's default" $key (toString $value) (index . 3) $c.program (index . 3) $c.program) -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/*
A port the pod can use in the mesh. Istio's sidecar listens on ports in
15000-15090 (proxy, admin, health, telemetry): an application there collides
with it or has its traffic captured. Container ports also need 1024 or more:
the containers drop every capability, NET_BIND_SERVICE included.
Call with (dict "key" <values key> "port" <port> "example" <a good port>
"container" <true for a container port>).
*/}}
{{- define "asm-ready.port" -}}
{{- $p := int .port -}}
{{- if and .container (lt $p 1024) -}}
{{- fail (printf "%s: %d is below 1024, and binding it needs NET_BIND_SERVICE, which the containers drop; choose a port in 1024-65535, e.g. %d" .key $p (int .example)) -}}
{{- end -}}
{{- if and (ge $p 15000) (le $p 15090) -}}
{{- fail (printf "%s: %d is in 15000-15090, the ports Istio's sidecar reserves for itself, so the port would collide with the proxy in the mesh; choose a port outside that range, e.g. %d" .key $p (int .example)) -}}
{{- end -}}
{{- $p -}}
{{- end -}}

{{/*
UID and GID 1337 are Istio's sidecar's: traffic from them bypasses the proxy,
so an app running as 1337 escapes the mesh's mTLS and policies (IST0144).
*/}}
{{- define "asm-ready.check.securityContext" -}}
{{- range $k := list "runAsUser" "runAsGroup" "fsGroup" -}}
{{- if eq (int (get $.Values.securityContext $k)) 1337 -}}
{{- fail (printf "securityContext.%s: 1337 is the UID/GID of Istio's sidecar, whose traffic the mesh does not intercept, so the app would bypass mTLS and policies; choose another, e.g. 65532" $k) -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/*
Keys of label and annotation maps (the schema checks the values), and labels
the chart owns. Call with (dict "maps" <dict path -> map> "labels" <list of
paths that are label maps>).
*/}}
{{- define "asm-ready.check.keys" -}}
{{- $labels := .labels -}}
{{- $key := `^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$` -}}
{{- $owned := `^(app|version|helm\.sh/chart|app\.kubernetes\.io/.+|service\.istio\.io/.+)$` -}}
{{- range $path, $m := .maps -}}
{{- range $k, $_ := $m -}}
{{- if not (regexMatch $key $k) -}}
{{- fail (printf "%s: %q is not a valid Kubernetes label or annotation key, which the API server would refuse; use [prefix/]name with a name of up to 63 characters of A-Z a-z 0-9 - _ ." $path $k) -}}
{{- end -}}
{{- if and (has $path $labels) (regexMatch $owned $k) -}}
{{- fail (printf "%s.%s: the chart sets this label itself (app, version, app.kubernetes.io/*, service.istio.io/*, helm.sh/chart); pick another key" $path $k) -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/*
helloserver's values, checked by its Deployment template.
*/}}
{{- define "asm-ready.check.helloserver" -}}
{{- $hs := .Values.helloserver -}}
{{- $seen := dict -}}
{{- $sum := 0 -}}
{{- $weighted := false -}}
{{- $parts := list -}}
{{- range $i, $v := $hs.versions -}}
{{- if hasKey $seen $v.name -}}
{{- fail (printf "helloserver.versions[%d].name: %q is used twice; give every version its own name" $i $v.name) -}}
{{- end -}}
{{- $_ := set $seen $v.name true -}}
{{- if hasKey $v "weight" -}}
{{- $weighted = true -}}
{{- $sum = add $sum (int $v.weight) -}}
{{- end -}}
{{- $parts = append $parts (printf "%s=%v" $v.name ($v.weight | default 0)) -}}
{{- end -}}
{{- $vs := and .Values.mesh.enabled .Values.mesh.virtualService.enabled -}}
{{- $implicit := and (eq (len $hs.versions) 1) (not $weighted) -}}
{{- if and (or $weighted $vs) (not $implicit) (ne (int $sum) 100) -}}
{{- fail (printf "helloserver.versions[*].weight: the weights must sum to 100, got %d (%s); set a weight on every version" (int $sum) (join ", " $parts)) -}}
{{- end -}}
{{- $ms := "asm-ready.durationMs" -}}
{{- /* helloserver's own rules (services/helloserver/config). */ -}}
{{- $rules := dict
  "LOG_HEADERS" (list "bool" "" "" "true or false")
  "LOG_PROBES" (list "bool" "" "" "true or false")
  "SHUTDOWN_DELAY" (list "duration" 0 "" "a duration >= 0 like 2s or 500ms")
  "SHUTDOWN_TIMEOUT" (list "duration" 0.000001 "" "a duration > 0 like 2s or 500ms")
  "READ_HEADER_TIMEOUT" (list "duration" 0.000001 "" "a duration > 0 like 5s")
  "READ_TIMEOUT" (list "duration" 0.000001 "" "a duration > 0 like 10s")
  "WRITE_TIMEOUT" (list "duration" 0.000001 "" "a duration > 0 like 10s")
  "IDLE_TIMEOUT" (list "duration" 0.000001 "" "a duration > 0 like 60s")
  "MAX_HEADER_BYTES" (list "int" 4096 1048576 "an integer 4096-1048576")
-}}
{{- include "asm-ready.check.env" (dict "key" "helloserver.extraEnv" "env" $hs.extraEnv "program" "helloserver" "rules" $rules
  "chartSet" (list "PORT" "SERVICE_VERSION" "POD_NAME" "TERMINATION_GRACE_PERIOD" "LOG_FORMAT" "LOG_LEVEL")) -}}
{{- /* The drain (SHUTDOWN_DELAY, then SHUTDOWN_TIMEOUT for requests in
flight) must end before the kubelet's SIGKILL; helloserver refuses to start
otherwise. 2s and 2s are its defaults. */ -}}
{{- $delay := toString (get $hs.extraEnv "SHUTDOWN_DELAY") | default "2s" -}}
{{- $timeout := toString (get $hs.extraEnv "SHUTDOWN_TIMEOUT") | default "2s" -}}
{{- $drain := addf (include $ms $delay) (include $ms $timeout) -}}
{{- $grace := int $hs.terminationGracePeriodSeconds -}}
{{- if ge $drain (mulf $grace 1000.0) -}}
{{- fail (printf "helloserver.terminationGracePeriodSeconds: %d (seconds) is too short: helloserver drains for SHUTDOWN_DELAY (%s) + SHUTDOWN_TIMEOUT (%s) and refuses to start unless that is less than the grace period, so the pod would crash-loop. Set helloserver.terminationGracePeriodSeconds to %d or more, or shorten helloserver.extraEnv.SHUTDOWN_DELAY / SHUTDOWN_TIMEOUT" $grace $delay $timeout (add1 (int (floor (divf $drain 1000.0))))) -}}
{{- end -}}
{{- include "asm-ready.check.keys" (dict "labels" (list "helloserver.podLabels") "maps" (dict "helloserver.podLabels" $hs.podLabels "helloserver.podAnnotations" $hs.podAnnotations "helloserver.nodeSelector" $hs.nodeSelector)) -}}
{{- end -}}

{{/*
loadgen.requestsPerSecond as REQUESTS_PER_SECOND text: values files give
numbers as float64, which would print 1000000 as 1e+06.
*/}}
{{- define "asm-ready.rate" -}}
{{- $v := .Values.loadgen.requestsPerSecond -}}
{{- if and (kindIs "float64" $v) (eq $v (float64 (int64 $v))) -}}
{{- int64 $v -}}
{{- else -}}
{{- toString $v -}}
{{- end -}}
{{- end -}}

{{/*
loadgen's values, checked by its Deployment template.
*/}}
{{- define "asm-ready.check.loadgen" -}}
{{- $lg := .Values.loadgen -}}
{{- /* loadgen takes 0.001-1000000 or max (services/loadgen/config). Checked
here rather than in the schema: --set leaves decimals as strings, and the
schema's messages print 1000000 as 1×10⁰⁶. */ -}}
{{- $rps := include "asm-ready.rate" . -}}
{{- if ne (lower $rps) "max" -}}
{{- $n := include "asm-ready.envNumber" (dict "kind" "number" "value" $rps) -}}
{{- if or (eq $n "") (lt (float64 $n) 0.001) (gt (float64 $n) 1000000.0) -}}
{{- fail (printf "loadgen.requestsPerSecond: %q is not a rate loadgen accepts, so it would exit at start and the pod crash-loop; set a number from 0.001 to 1000000 (e.g. 0.5 or 200), or max" $rps) -}}
{{- end -}}
{{- end -}}
{{- $day := 86400000 -}}
{{- $rules := dict
  "MAX_IN_FLIGHT" (list "int" 1 100000 "an integer 1-100000")
  "REQUEST_TIMEOUT" (list "duration" 0.000001 $day "a duration > 0 and <= 24h")
  "LATE_TOLERANCE" (list "duration" 0.000001 $day "a duration > 0 and <= 24h")
  "REPORT_INTERVAL" (list "duration" 100 $day "a duration 100ms-24h")
  "SHUTDOWN_TIMEOUT" (list "duration" 0 $day "a duration 0-24h")
  "MAX_FAILURE_RATIO" (list "number" 0 1 "a number 0-1")
  "MIN_SUCCESS" (list "int" 0 "" "an integer >= 0")
-}}
{{- include "asm-ready.check.env" (dict "key" "loadgen.extraEnv" "env" $lg.extraEnv "program" "loadgen" "rules" $rules
  "chartSet" (list "PORT" "SERVER_ADDR" "REQUESTS_PER_SECOND" "LOG_FORMAT" "LOG_LEVEL")) -}}
{{- with toString ($lg.extraEnv.DURATION | default "") -}}
{{- if ne (include "asm-ready.durationMs" .) "0" -}}
{{- fail (printf "loadgen.extraEnv.DURATION: %q would make loadgen exit after that long and its Deployment restart it again and again; remove DURATION (in a Deployment loadgen runs until its pod stops)" .) -}}
{{- end -}}
{{- end -}}
{{- if eq (include "asm-ready.helloserver.name" .) (include "asm-ready.loadgen.name" .) -}}
{{- fail (printf "loadgen.name: %q is also helloserver's name, and the Deployments, ServiceAccounts and app labels would collide; choose another name" $lg.name) -}}
{{- end -}}
{{- include "asm-ready.check.keys" (dict "labels" (list "loadgen.podLabels") "maps" (dict "loadgen.podLabels" $lg.podLabels "loadgen.podAnnotations" $lg.podAnnotations "loadgen.nodeSelector" $lg.nodeSelector)) -}}
{{- end -}}
