package chart_test

import (
	"regexp"
	"strings"
	"testing"

	"github.com/asm-ready/asm-ready/tools/internal/render"
)

// schema marks a case the values schema refuses; any other `at` names the
// template whose check refuses it, as Helm reports it ("execution error at
// (asm-ready/templates/<at>:line:col)").
const schema = "values.schema.json"

// fix matches the advice every template error ends with.
var fix = regexp.MustCompile(`(?i)\b(set|choose|remove|enable|raise|give|pick|use)\b`)

// TestBadValues: every bad value is refused, and the message names the key,
// says what to do, and points at what raised it: the schema (key as a JSON
// pointer) or the template that uses the value (key as a dotted path).
func TestBadValues(t *testing.T) {
	cases := []struct {
		name, values, at string
		want             []string // all must appear in the error
	}{
		{"unknown top-level key", `{replicas: 2}`, schema, []string{"additional properties 'replicas' not allowed"}},
		{"mistyped nested key", `{helloserver: {replcas: 2}}`, schema, []string{"/helloserver", "'replcas' not allowed"}},
		{"unknown version key", `{helloserver: {versions: [{name: v1, replica: 2}]}}`, schema, []string{"/helloserver/versions/0", "'replica' not allowed"}},
		{"wrong type replicas", `{loadgen: {replicas: "two"}}`, schema, []string{"/loadgen/replicas", "want integer"}},
		{"negative replicas", `{loadgen: {replicas: -1}}`, schema, []string{"/loadgen/replicas", "minimum: got -1, want 0"}},
		{"negative version replicas", `{helloserver: {versions: [{name: v1, replicas: -3}]}}`, schema, []string{"/helloserver/versions/0/replicas", "minimum"}},
		{"version without name", `{helloserver: {versions: [{replicas: 1}]}}`, schema, []string{"/helloserver/versions/0", "missing property 'name'"}},
		{"no versions", `{helloserver: {versions: []}}`, schema, []string{"/helloserver/versions", "minItems"}},
		{"bad port name", `{helloserver: {service: {portName: web}}}`, schema, []string{"/helloserver/service/portName", "does not match pattern"}},
		{"port name with bad suffix", `{loadgen: {service: {portName: http2foo}}}`, schema, []string{"/loadgen/service/portName"}},
		{"bad appProtocol", `{helloserver: {service: {appProtocol: HTTP}}}`, schema, []string{"/helloserver/service/appProtocol", "value must be one of"}},
		{"istio reserved container port", `{helloserver: {containerPort: 15020}}`, "helloserver-deployment.yaml", []string{"helloserver.containerPort: 15020", "Istio's sidecar reserves", "choose a port outside that range"}},
		{"istio reserved range, unlisted port", `{loadgen: {containerPort: 15030}}`, "loadgen-deployment.yaml", []string{"loadgen.containerPort: 15030", "15000-15090"}},
		{"istio reserved service port", `{helloserver: {service: {port: 15090}}}`, "services.yaml", []string{"helloserver.service.port: 15090", "Istio's sidecar reserves"}},
		{"privileged port", `{loadgen: {containerPort: 80}}`, "loadgen-deployment.yaml", []string{"loadgen.containerPort: 80", "NET_BIND_SERVICE", "1024-65535"}},
		{"port out of range", `{helloserver: {service: {port: 70000}}}`, schema, []string{"/helloserver/service/port", "maximum"}},
		{"uid 1337", `{securityContext: {runAsUser: 1337}}`, "any", []string{"securityContext.runAsUser: 1337", "Istio's sidecar", "choose another"}},
		{"gid 1337", `{securityContext: {runAsGroup: 1337}}`, "any", []string{"securityContext.runAsGroup: 1337"}},
		{"fsGroup 1337", `{securityContext: {fsGroup: 1337}}`, "any", []string{"securityContext.fsGroup: 1337"}},
		{"root uid", `{securityContext: {runAsUser: 0}}`, schema, []string{"/securityContext/runAsUser", "minimum"}},
		{"weights not summing to 100", `{helloserver: {versions: [{name: v1, weight: 90}, {name: v2, weight: 5}]}}`, "helloserver-deployment.yaml", []string{"helloserver.versions[*].weight", "sum to 100", "got 95", "v1=90, v2=5", "set a weight"}},
		{"weights missing with virtual service", `{mesh: {enabled: true}, helloserver: {versions: [{name: v1}, {name: v2}]}}`, "helloserver-deployment.yaml", []string{"helloserver.versions[*].weight", "got 0"}},
		{"weight above 100", `{helloserver: {versions: [{name: v1, weight: 101}]}}`, schema, []string{"/helloserver/versions/0/weight", "maximum"}},
		{"duplicate version", `{helloserver: {versions: [{name: v1}, {name: v1}]}}`, "helloserver-deployment.yaml", []string{"helloserver.versions[1].name", "used twice", "own name"}},
		{"bad version name", `{helloserver: {versions: [{name: V_1}]}}`, schema, []string{"/helloserver/versions/0/name", "does not match pattern"}},
		{"bad image pull policy", `{global: {imagePullPolicy: Sometimes}}`, schema, []string{"/global/imagePullPolicy", "value must be one of"}},
		{"bad digest", `{helloserver: {image: {digest: "sha256:xyz"}}}`, schema, []string{"/helloserver/image/digest"}},
		{"bad service type", `{helloserver: {service: {type: NodePort}}}`, schema, []string{"/helloserver/service/type", "value must be one of"}},
		{"zero rps", `{loadgen: {requestsPerSecond: 0}}`, "loadgen-deployment.yaml", []string{`loadgen.requestsPerSecond: "0"`, "from 0.001 to 1000000"}},
		{"rps above loadgen's maximum", `{loadgen: {requestsPerSecond: 1000001}}`, "loadgen-deployment.yaml", []string{`loadgen.requestsPerSecond: "1000001"`, "from 0.001 to 1000000"}},
		{"rps of the wrong type", `{loadgen: {requestsPerSecond: [1]}}`, schema, []string{"/loadgen/requestsPerSecond", "got array, want number or string"}},
		{"rps text below the minimum", `{loadgen: {requestsPerSecond: "0.0001"}}`, "loadgen-deployment.yaml", []string{`loadgen.requestsPerSecond: "0.0001"`, "from 0.001 to 1000000", "or max"}},
		{"rps not a number", `{loadgen: {requestsPerSecond: "fast"}}`, "loadgen-deployment.yaml", []string{`loadgen.requestsPerSecond: "fast"`, "crash-loop"}},
		{"grace period shorter than the drain", `{helloserver: {terminationGracePeriodSeconds: 2}}`, "helloserver-deployment.yaml", []string{"helloserver.terminationGracePeriodSeconds: 2", "SHUTDOWN_DELAY (2s) + SHUTDOWN_TIMEOUT (2s)", "to 5 or more"}},
		{"drain delay through extraEnv", `{helloserver: {extraEnv: {SHUTDOWN_DELAY: 10s}}}`, "helloserver-deployment.yaml", []string{"helloserver.terminationGracePeriodSeconds: 5", "SHUTDOWN_DELAY (10s)", "to 13 or more", "helloserver.extraEnv.SHUTDOWN_DELAY"}},
		{"bad duration in extraEnv", `{helloserver: {extraEnv: {READ_TIMEOUT: "0s"}}}`, "helloserver-deployment.yaml", []string{`helloserver.extraEnv.READ_TIMEOUT: "0s"`, "a duration > 0", "crash-loop"}},
		{"bad integer in extraEnv", `{loadgen: {extraEnv: {MAX_IN_FLIGHT: 0}}}`, "loadgen-deployment.yaml", []string{`loadgen.extraEnv.MAX_IN_FLIGHT: "0"`, "an integer 1-100000"}},
		{"duration in a Deployment", `{loadgen: {extraEnv: {DURATION: 10m}}}`, "loadgen-deployment.yaml", []string{`loadgen.extraEnv.DURATION: "10m"`, "restart", "remove DURATION"}},
		{"bad test timeout", `{tests: {timeout: "30 seconds"}}`, schema, []string{"/tests/timeout"}},
		{"test timeout above loadgen's maximum", `{tests: {timeout: 25h}}`, "tests/helloserver-test.yaml", []string{`tests.timeout: "25h"`, "at most 24h", "set e.g. 60s"}},
		{"bad mtls mode", `{mesh: {peerAuthentication: {mode: DISABLE}}}`, schema, []string{"/mesh/peerAuthentication/mode", "value must be one of"}},
		{"bad principal", `{mesh: {authorizationPolicy: {extraPrincipals: ["istio-ingressgateway"]}}}`, schema, []string{"/mesh/authorizationPolicy/extraPrincipals/0"}},
		{"chart label overridden", `{commonLabels: {app: other}}`, "serviceaccounts.yaml", []string{"commonLabels.app", "sets this label itself", "pick another key"}},
		{"pod label overrides version", `{helloserver: {podLabels: {version: v9}}}`, "helloserver-deployment.yaml", []string{"helloserver.podLabels.version", "sets this label itself"}},
		{"extraEnv shadows chart env", `{loadgen: {extraEnv: {SERVER_ADDR: "http://elsewhere/"}}}`, "loadgen-deployment.yaml", []string{"loadgen.extraEnv.SERVER_ADDR", "the chart sets SERVER_ADDR", "remove it"}},
		{"extraEnv object value", `{helloserver: {extraEnv: {LOG_HEADERS: {a: b}}}}`, schema, []string{"/helloserver/extraEnv/LOG_HEADERS", "got object, want boolean or number or string"}},
		{"missing resources section", `{helloserver: {resources: null}}`, schema, []string{"/helloserver", "missing property 'resources'"}},
		{"bad quantity", `{loadgen: {resources: {limits: {memory: "lots"}}}}`, schema, []string{"/loadgen/resources/limits/memory", "'lots' does not match pattern"}},
		{"probe period zero", `{helloserver: {probes: {readiness: {periodSeconds: 0}}}}`, schema, []string{"/helloserver/probes/readiness/periodSeconds", "minimum"}},
		{"hpa max below min", `{helloserver: {hpa: {enabled: true, minReplicas: 5, maxReplicas: 2}}}`, "helloserver-hpa.yaml", []string{"helloserver.hpa.maxReplicas: 2 is below minReplicas 5", "raise maxReplicas"}},
		{"virtual service without destination rule", `{mesh: {enabled: true, destinationRule: {enabled: false}}}`, "mesh.yaml", []string{"mesh.destinationRule.enabled", "enable it"}},
		{"same service names", `{loadgen: {service: {name: hellosvc}}}`, "services.yaml", []string{"loadgen.service.name", "choose another name"}},
		{"same workload names", `{loadgen: {name: helloserver}}`, "loadgen-deployment.yaml", []string{`loadgen.name: "helloserver"`, "choose another name"}},
		{"bad network policy source", `{networkPolicy: {ingressFrom: all}}`, schema, []string{"/networkPolicy", "'ingressFrom' not allowed"}},
		{"bad annotation key", `{helloserver: {service: {annotations: {"bad key!": "x"}}}}`, "services.yaml", []string{"helloserver.service.annotations", "bad key!", "[prefix/]name"}},
		{"bad env name", `{loadgen: {extraEnv: {"max-in-flight": "4"}}}`, "loadgen-deployment.yaml", []string{"loadgen.extraEnv", "max-in-flight", "upper-case"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := render.Render(theChart(t), vals(t, tc.values), render.Options{Namespace: namespace})
			if err == nil {
				t.Fatalf("values %s rendered without error", tc.values)
			}
			msg := err.Error()
			switch tc.at {
			case schema:
				tc.want = append(tc.want, "values don't meet the specifications of the schema")
			case "any":
				tc.want = append(tc.want, "execution error at (asm-ready/templates/")
			default:
				tc.want = append(tc.want, "execution error at (asm-ready/templates/"+tc.at+":")
			}
			for _, w := range tc.want {
				if !strings.Contains(msg, w) {
					t.Errorf("error for %s lacks %q:\n%v", tc.values, w, msg)
				}
			}
			// The schema words its own messages; the templates' say what to do.
			if tc.at != schema && !fix.MatchString(msg) {
				t.Errorf("error for %s does not say what to do:\n%v", tc.values, msg)
			}
		})
	}
}

// TestSchemaMessagesNameTheRule: the schema uses no keyword whose message
// says neither the rule nor the reason ('not' failed, 'oneOf' failed,
// "exclusiveMinimum: got 0, want 0"); such rules live in the templates.
func TestSchemaMessagesNameTheRule(t *testing.T) {
	var found []string
	walkSchema(loadSchema(t), "", func(path string, s map[string]any) {
		for _, k := range []string{"not", "oneOf", "anyOf", "allOf", "if", "exclusiveMinimum", "exclusiveMaximum"} {
			if _, ok := s[k]; ok {
				found = append(found, path+"/"+k)
			}
		}
	})
	if len(found) > 0 {
		t.Errorf("values.schema.json uses keywords whose errors explain nothing: %v", found)
	}
}
