package chart_test

import (
	"strings"
	"testing"

	"github.com/asm-ready/asm-ready/tools/internal/render"
)

// TestBadValues: every bad value is refused, and the message names the key
// (schema errors name it as a JSON pointer, template checks by dotted path).
func TestBadValues(t *testing.T) {
	cases := []struct {
		name, values string
		want         []string // all must appear in the error
	}{
		{"unknown top-level key", `{replicas: 2}`, []string{"additional properties 'replicas' not allowed"}},
		{"mistyped nested key", `{helloserver: {replcas: 2}}`, []string{"/helloserver", "'replcas' not allowed"}},
		{"unknown version key", `{helloserver: {versions: [{name: v1, replica: 2}]}}`, []string{"/helloserver/versions/0", "'replica' not allowed"}},
		{"wrong type replicas", `{loadgen: {replicas: "two"}}`, []string{"/loadgen/replicas", "want integer"}},
		{"negative replicas", `{loadgen: {replicas: -1}}`, []string{"/loadgen/replicas", "minimum"}},
		{"negative version replicas", `{helloserver: {versions: [{name: v1, replicas: -3}]}}`, []string{"/helloserver/versions/0/replicas", "minimum"}},
		{"version without name", `{helloserver: {versions: [{replicas: 1}]}}`, []string{"/helloserver/versions/0", "missing property 'name'"}},
		{"no versions", `{helloserver: {versions: []}}`, []string{"/helloserver/versions", "minItems"}},
		{"bad port name", `{helloserver: {service: {portName: web}}}`, []string{"/helloserver/service/portName", "does not match pattern"}},
		{"port name with bad suffix", `{loadgen: {service: {portName: http2foo}}}`, []string{"/loadgen/service/portName"}},
		{"bad appProtocol", `{helloserver: {service: {appProtocol: HTTP}}}`, []string{"/helloserver/service/appProtocol", "value must be one of"}},
		{"istio reserved port", `{helloserver: {containerPort: 15020}}`, []string{"/helloserver/containerPort"}},
		{"privileged port", `{loadgen: {containerPort: 80}}`, []string{"/loadgen/containerPort", "minimum"}},
		{"port out of range", `{helloserver: {service: {port: 70000}}}`, []string{"/helloserver/service/port", "maximum"}},
		{"uid 1337", `{securityContext: {runAsUser: 1337}}`, []string{"/securityContext/runAsUser", "'not' failed"}},
		{"gid 1337", `{securityContext: {runAsGroup: 1337}}`, []string{"/securityContext/runAsGroup"}},
		{"root uid", `{securityContext: {runAsUser: 0}}`, []string{"/securityContext/runAsUser", "minimum"}},
		{"weights not summing to 100", `{helloserver: {versions: [{name: v1, weight: 90}, {name: v2, weight: 5}]}}`, []string{"helloserver.versions[*].weight", "sum to 100", "got 95", "v1=90, v2=5"}},
		{"weights missing with virtual service", `{mesh: {enabled: true}, helloserver: {versions: [{name: v1}, {name: v2}]}}`, []string{"helloserver.versions[*].weight", "got 0"}},
		{"weight above 100", `{helloserver: {versions: [{name: v1, weight: 101}]}}`, []string{"/helloserver/versions/0/weight", "maximum"}},
		{"duplicate version", `{helloserver: {versions: [{name: v1}, {name: v1}]}}`, []string{"helloserver.versions[1].name", "used twice"}},
		{"bad version name", `{helloserver: {versions: [{name: V_1}]}}`, []string{"/helloserver/versions/0/name", "does not match pattern"}},
		{"bad image pull policy", `{global: {imagePullPolicy: Sometimes}}`, []string{"/global/imagePullPolicy", "value must be one of"}},
		{"bad digest", `{helloserver: {image: {digest: "sha256:xyz"}}}`, []string{"/helloserver/image/digest"}},
		{"bad service type", `{helloserver: {service: {type: NodePort}}}`, []string{"/helloserver/service/type", "value must be one of"}},
		{"zero rps", `{loadgen: {requestsPerSecond: 0}}`, []string{"/loadgen/requestsPerSecond", "exclusiveMinimum"}},
		{"rps as string", `{loadgen: {requestsPerSecond: "10"}}`, []string{"/loadgen/requestsPerSecond", "want number"}},
		{"bad name prefix", `{namePrefix: "Canary_"}`, []string{"/namePrefix", "does not match pattern"}},
		{"bad mtls mode", `{mesh: {peerAuthentication: {mode: DISABLE}}}`, []string{"/mesh/peerAuthentication/mode", "value must be one of"}},
		{"bad principal", `{mesh: {authorizationPolicy: {extraPrincipals: ["istio-ingressgateway"]}}}`, []string{"/mesh/authorizationPolicy/extraPrincipals/0"}},
		{"chart label overridden", `{commonLabels: {app: other}}`, []string{"commonLabels.app", "set by the chart"}},
		{"pod label overrides version", `{helloserver: {podLabels: {version: v9}}}`, []string{"helloserver.podLabels.version", "set by the chart"}},
		{"extraEnv shadows chart env", `{loadgen: {extraEnv: {SERVER_ADDR: "http://elsewhere/"}}}`, []string{"loadgen.extraEnv.SERVER_ADDR", "set by the chart"}},
		{"extraEnv non-string", `{helloserver: {extraEnv: {LOG_HEADERS: false}}}`, []string{"/helloserver/extraEnv/LOG_HEADERS", "want string"}},
		{"missing resources section", `{helloserver: {resources: null}}`, []string{"/helloserver", "missing property 'resources'"}},
		{"bad quantity", `{loadgen: {resources: {limits: {memory: "lots"}}}}`, []string{"/loadgen/resources/limits/memory"}},
		{"probe period zero", `{helloserver: {probes: {readiness: {periodSeconds: 0}}}}`, []string{"/helloserver/probes/readiness/periodSeconds", "minimum"}},
		{"hpa max below min", `{helloserver: {hpa: {enabled: true, minReplicas: 5, maxReplicas: 2}}}`, []string{"helloserver.hpa.maxReplicas", "below minReplicas"}},
		{"virtual service without destination rule", `{mesh: {enabled: true, destinationRule: {enabled: false}}}`, []string{"mesh.destinationRule.enabled"}},
		{"same service names", `{loadgen: {service: {name: hellosvc}}}`, []string{"loadgen.service.name", "must differ"}},
		{"bad network policy source", `{networkPolicy: {ingressFrom: all}}`, []string{"/networkPolicy", "'ingressFrom' not allowed"}},
		{"bad annotation key", `{helloserver: {service: {annotations: {"bad key!": "x"}}}}`, []string{"helloserver.service.annotations", "bad key!"}},
		{"bad env name", `{loadgen: {extraEnv: {"max-in-flight": "4"}}}`, []string{"loadgen.extraEnv", "max-in-flight"}},
		{"bad test timeout", `{tests: {timeout: "30 seconds"}}`, []string{"/tests/timeout"}},
	}
	if len(cases) < 15 {
		t.Fatalf("only %d bad-value cases; the chart promises at least 15", len(cases))
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := render.Render(theChart(t), vals(t, tc.values), render.Options{Namespace: namespace})
			if err == nil {
				t.Fatalf("values %s rendered without error", tc.values)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error for %s lacks %q:\n%v", tc.values, w, err)
				}
			}
		})
	}
}
