package meshcheck

import (
	"fmt"
	"strings"
)

// Severity orders findings; --fail-on picks the lowest that fails a run.
type Severity int

// Severities, lowest first.
const (
	Info Severity = iota + 1
	Warning
	Error
)

func (s Severity) String() string {
	switch s {
	case Info:
		return "info"
	case Warning:
		return "warning"
	case Error:
		return "error"
	}
	return fmt.Sprintf("severity(%d)", int(s))
}

// MarshalText writes the lower-case name, as the CLI flags spell it.
func (s Severity) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// UnmarshalText reads the name back, so JSON reports round-trip.
func (s *Severity) UnmarshalText(b []byte) error {
	v, err := ParseSeverity(string(b))
	if err != nil {
		return err
	}
	*s = v
	return nil
}

// ParseSeverity reads error, warning or info.
func ParseSeverity(v string) (Severity, error) {
	switch strings.ToLower(v) {
	case "error":
		return Error, nil
	case "warning":
		return Warning, nil
	case "info":
		return Info, nil
	}
	return 0, fmt.Errorf("severity %q: want error, warning or info", v)
}

// Rule is one check.
type Rule struct {
	ID        string   `json:"id"`
	Name      string   `json:"name"`
	Severity  Severity `json:"severity"`
	IstioCode string   `json:"istioCode,omitempty"` // istioctl analyze's code, when it has one
	Group     string   `json:"group"`
	Summary   string   `json:"summary"`
	Rationale string   `json:"rationale"`
	Fix       string   `json:"fix"`
}

// Rule IDs.
const (
	RulePortProtocolUnknown      = "MC001"
	RuleAppProtocolUnsupported   = "MC002"
	RuleProtocolExperimental     = "MC003"
	RulePortNameInvalid          = "MC004"
	RuleWorkloadWithoutService   = "MC010"
	RuleServiceSelectsNothing    = "MC011"
	RuleTargetPortNameUndeclared = "MC012"
	RuleTargetPortNumUndeclared  = "MC013"
	RuleMissingAppLabel          = "MC020"
	RuleMissingVersionLabel      = "MC021"
	RuleAppLabelMismatch         = "MC022"
	RulePortProtocolConflict     = "MC030"
	RuleTargetPortConflict       = "MC031"
	RuleUID1337                  = "MC040"
	RuleGID1337                  = "MC041"
	RuleReservedPort             = "MC050"
	RuleNamespaceInjectConflict  = "MC060"
	RuleNamespaceNotInjected     = "MC061"
	RuleNamespaceNotInInput      = "MC062"
	RuleInjectAnnotation         = "MC063"
	RuleInjectionDisabled        = "MC064"
)

// Rules lists every rule, in ID order.
var Rules = []Rule{
	{RulePortProtocolUnknown, "port-protocol-unknown", Error, "IST0118", "protocol",
		"Service port protocol cannot be resolved by Istio",
		"Istio picks a port's protocol from protocol: UDP, appProtocol, the port name's prefix (http, http2, https, grpc, grpc-web, tcp, tls, mongo, mysql, redis, udp, http_proxy) or the server-first ports 25, 53, 3306, 27017. Otherwise it sniffs the traffic: no HTTP routing guarantees, slower first bytes, server-first protocols hang. istioctl reports this only as Info, so it never fails a pipeline.",
		"Name the port after its protocol (http, http-web, grpc, tcp-db ...) or set appProtocol: http."},
	{RuleAppProtocolUnsupported, "appprotocol-unsupported", Warning, "", "protocol",
		"appProtocol is not one Istio understands",
		"When appProtocol is set Istio ignores the port name. A value it does not know, including domain-prefixed custom values such as example.com/foo, makes Istio fall back to sniffing.",
		"Use an Istio protocol (http, http2, https, grpc, tcp, tls ...) or kubernetes.io/h2c, kubernetes.io/ws, kubernetes.io/wss."},
	{RuleProtocolExperimental, "protocol-experimental", Info, "", "protocol",
		"Port resolves to an experimental protocol (mysql, redis)",
		"Istio's MySQL and Redis filters are experimental and off by default: the port is then handled as plain TCP.",
		"Name the port tcp-<name> unless the mesh enables the experimental protocol on purpose."},
	{RulePortNameInvalid, "port-name-invalid", Error, "", "protocol",
		"Port names Kubernetes rejects or cannot resolve",
		"Service port names must be unique DNS labels and are required when a Service has more than one port; container port names and named targetPorts must be IANA service names (at most 15 characters, lower-case letters, digits and '-', at least one letter). The API server rejects the object otherwise.",
		"Rename the port: lower-case, at most 15 characters for container ports, e.g. http or http-admin."},
	{RuleWorkloadWithoutService, "workload-without-service", Error, "IST0117", "service",
		"Workload selected by no Service in its namespace",
		"Cloud Service Mesh needs a Service for every workload, even one that receives no traffic, to give it an identity in telemetry and policy. istioctl dropped this check (IST0117) in Istio 1.20. Jobs, CronJobs and Helm hook pods are exempt: they receive no traffic.",
		"Add a Service whose selector matches the pod template's labels, with a port named after its protocol."},
	{RuleServiceSelectsNothing, "service-selects-nothing", Warning, "", "service",
		"Service selects no workload in the input",
		"A Service whose selector matches no pod template has no endpoints: callers get connection errors and the mesh has nothing to route to. Usually a label typo or a selector using a label that changes per version.",
		"Make the selector match the pod template labels; select on stable labels (app.kubernetes.io/name, app.kubernetes.io/instance), never version."},
	{RuleTargetPortNameUndeclared, "targetport-name-undeclared", Error, "", "service",
		"Named targetPort not declared by any selected container",
		"A named targetPort resolves only against container ports with that name; if no selected pod declares it, the Service has no endpoints for that port.",
		"Declare the port name on the container (ports: - name: http, containerPort: 8080) or use the container's port name as targetPort."},
	{RuleTargetPortNumUndeclared, "targetport-number-undeclared", Info, "", "service",
		"Numeric targetPort not declared by any selected container",
		"Kubernetes routes to undeclared ports, but the target port then has no name, health probes and tooling cannot refer to it, and a typo goes unnoticed.",
		"Declare the container port with a name and use that name as targetPort."},
	{RuleMissingAppLabel, "pod-missing-app-label", Warning, "", "labels",
		"Pod template without app (or app.kubernetes.io/name) label",
		"Istio's telemetry names a workload after service.istio.io/canonical-name, app.kubernetes.io/name or app; without one, metrics and traces show the pod name and traffic cannot be addressed per service.",
		"Label the pod template with app and app.kubernetes.io/name (same value)."},
	{RuleMissingVersionLabel, "pod-missing-version-label", Warning, "", "labels",
		"Pod template without version (or canonical-revision) label",
		"Istio reads the version from service.istio.io/canonical-revision, app.kubernetes.io/version or version (else \"latest\"); DestinationRule subsets and traffic splits between versions select on it.",
		"Label the pod template with version (e.g. v1) or service.istio.io/canonical-revision."},
	{RuleAppLabelMismatch, "app-label-mismatch", Error, "", "labels",
		"app and app.kubernetes.io/name disagree",
		"Some Istio code paths read app first, others app.kubernetes.io/name: when both are set they must agree, or telemetry and policy name the workload differently.",
		"Give app and app.kubernetes.io/name the same value."},
	{RulePortProtocolConflict, "port-protocol-conflict", Error, "IST0116", "ports",
		"Services selecting one workload use a port number with different protocols",
		"The sidecar has one listener per port: if Services selecting the same pods give a port number different protocols, one of them is served wrongly. istioctl compares only TCP/UDP/SCTP; this rule compares the protocol Istio resolves (HTTP vs TCP vs sniffed ...).",
		"Give the port the same name prefix or appProtocol in every Service that selects the workload."},
	{RuleTargetPortConflict, "targetport-conflict", Warning, "IST0137", "ports",
		"One targetPort exposed under different Service ports",
		"Services selecting one workload must expose a targetPort under one port number; Istio builds inbound configuration per port and routes the others inconsistently.",
		"Use one Service port number for each targetPort across the Services that select the workload."},
	{RuleUID1337, "uid-1337", Error, "IST0144", "security",
		"A container runs as UID 1337, the sidecar's user",
		"The sidecar's iptables rules let traffic from UID 1337 bypass the proxy: such a container escapes mTLS and policy. istioctl checks only Pods and Deployments; this rule checks pod and container security contexts of containers, init and ephemeral containers in every workload kind, Jobs and CronJobs included.",
		"Run as another UID (e.g. 65532 or >= 10000) in securityContext.runAsUser."},
	{RuleGID1337, "gid-1337", Warning, "", "security",
		"A container runs with group 1337, the sidecar's group",
		"Istio's iptables rules also exclude traffic from GID 1337 (--gid-owner 1337), so a container with runAsGroup 1337 bypasses the proxy as well. Not covered by IST0144, which looks at the UID only.",
		"Use another group (e.g. 65532) in securityContext.runAsGroup."},
	{RuleReservedPort, "reserved-port", Error, "", "ports",
		"Container port or targetPort on a port the sidecar uses",
		"The sidecar listens on 15000, 15001, 15002, 15004, 15006, 15008, 15020, 15021, 15053 and 15090; an application on one of them collides with the proxy or has its traffic captured.",
		"Move the application to another port (e.g. 8080)."},
	{RuleNamespaceInjectConflict, "namespace-injection-conflict", Error, "IST0123", "namespace",
		"Namespace has both istio-injection and istio.io/rev",
		"The two labels select different injectors; with both, which one injects depends on the installation, and revision upgrades break.",
		"Keep one: istio.io/rev=<revision> (managed Cloud Service Mesh: asm-managed ...) or istio-injection=enabled."},
	{RuleNamespaceNotInjected, "namespace-not-injected", Error, "IST0102", "namespace",
		"In mesh mode, a workload namespace without sidecar injection",
		"Injection is switched on per namespace by istio-injection=enabled or istio.io/rev=<revision>; without either (or with istio-injection=disabled) the namespace's pods get no sidecar and are outside the mesh. Runs in mesh mode only (--mesh, or any Namespace in the input carries an injection label).",
		"Label the namespace istio-injection=enabled or istio.io/rev=<revision> (e.g. asm-managed)."},
	{RuleNamespaceNotInInput, "namespace-not-in-input", Info, "", "namespace",
		"In mesh mode, a workload namespace that is not in the input",
		"Mesh mode can prove injection only for namespaces whose Namespace object is checked too.",
		"Include the Namespace manifest in the input, or run without --mesh."},
	{RuleInjectAnnotation, "inject-annotation-deprecated", Warning, "", "namespace",
		"sidecar.istio.io/inject used as an annotation",
		"The annotation form is deprecated; Istio reads sidecar.istio.io/inject as a pod label, and the annotation may be ignored by newer injectors.",
		"Move sidecar.istio.io/inject from the pod template's annotations to its labels."},
	{RuleInjectionDisabled, "injection-disabled", Error, "", "namespace",
		"Application pod opts out of sidecar injection",
		"sidecar.istio.io/inject=false keeps the pod out of the mesh: no mTLS, no policy, no telemetry, and STRICT peers refuse it. Only Helm test hooks (and Jobs, CronJobs) have a reason to opt out.",
		"Remove sidecar.istio.io/inject: \"false\" from the pod template."},
}

var ruleIndex = func() map[string]*Rule {
	m := map[string]*Rule{}
	for i := range Rules {
		m[Rules[i].ID] = &Rules[i]
		m[strings.ToLower(Rules[i].ID)] = &Rules[i]
		m[Rules[i].Name] = &Rules[i]
	}
	return m
}()

// LookupRule finds a rule by ID (MC001) or name (port-protocol-unknown).
func LookupRule(idOrName string) (*Rule, bool) {
	r, ok := ruleIndex[strings.TrimSpace(idOrName)]
	if !ok {
		r, ok = ruleIndex[strings.ToLower(strings.TrimSpace(idOrName))]
	}
	return r, ok
}
