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
	// VsIstio says where the rule deliberately differs from istioctl
	// analyze or the injector, and why.
	VsIstio string `json:"vsIstio,omitempty"`
}

// Rule IDs.
const (
	RulePortProtocolUnknown      = "MC001"
	RuleAppProtocolUnsupported   = "MC002"
	RuleProtocolExperimental     = "MC003"
	RulePortNameInvalid          = "MC004"
	RuleExternalNamePort         = "MC005"
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
	RuleInjectValueInvalid       = "MC065"
)

// Scope says what no rule reports on, as Istio's own analyzers do.
const Scope = "No rule reports on what is not the application's to fix: objects Istio installs or its controllers create (an istio label, release=istio, app.kubernetes.io/part-of=istio, gateway.istio.io/managed by an Istio controller: control plane, Istio's gateway chart, gateways and waypoints the gateway controller makes), the containers Istio adds to a pod (istio-proxy, istio-init, istio-validation), host-network pods, which are never injected, and the namespaces Istio never injects (kube-system, kube-public, kube-node-lease, local-path-storage). Such pods still count as selected by Services."

// Rules lists every rule, in ID order.
var Rules = []Rule{
	{RulePortProtocolUnknown, "port-protocol-unknown", Error, "IST0118", "protocol",
		"Service port protocol cannot be resolved by Istio",
		"Istio picks a port's protocol from protocol: UDP, appProtocol, the port name's prefix (http, http2, https, grpc, grpc-web, tcp, tls, mongo, mysql, redis, udp, http_proxy) or the server-first ports 25, 53, 3306, 27017. Otherwise it sniffs the traffic: no HTTP routing guarantees, slower first bytes, server-first protocols hang.",
		"Name the port after its protocol (http, http-web, grpc, tcp-db ...) or set appProtocol: http.",
		"istioctl reports this as Info, so it never fails a pipeline; here it is an error. An unknown appProtocol, which istioctl also reports as IST0118, is MC002."},
	{RuleAppProtocolUnsupported, "appprotocol-unsupported", Warning, "IST0118", "protocol",
		"appProtocol is not one Istio understands",
		"When appProtocol is set Istio ignores the port name. A value it does not know, including domain-prefixed custom values such as example.com/foo, makes Istio fall back to sniffing.",
		"Use an Istio protocol (http, http2, https, grpc, tcp, tls ...) or kubernetes.io/h2c, kubernetes.io/ws, kubernetes.io/wss.", ""},
	{RuleProtocolExperimental, "protocol-experimental", Info, "", "protocol",
		"Port resolves to an experimental protocol (mysql, redis)",
		"Istio's MySQL and Redis filters are experimental and off by default: the port is then handled as plain TCP.",
		"Name the port tcp-<name> unless the mesh enables the experimental protocol on purpose.", ""},
	{RulePortNameInvalid, "port-name-invalid", Error, "", "protocol",
		"Port names Kubernetes rejects or cannot resolve",
		"Service port names must be unique DNS labels and are required when a Service has more than one port; container port names and named targetPorts must be IANA service names (at most 15 characters, lower-case letters, digits and '-', at least one letter). The API server rejects the object otherwise.",
		"Rename the port: lower-case, at most 15 characters for container ports, e.g. http or http-admin.", ""},
	{RuleExternalNamePort, "externalname-port-protocol", Error, "IST0150", "protocol",
		"ExternalName Service port that resolves to plain TCP or is sniffed",
		"Sidecars cannot tell the traffic of a plain TCP (or sniffed) ExternalName port apart by host: each builds a catch-all listener for the port, and all otherwise unmatched traffic to that port from every pod in the mesh goes to the external name.",
		"Name the port after a protocol that carries the host (http, https, tls, grpc ...), or use a ServiceEntry with addresses.",
		"istioctl flags sniffed ports and ports named exactly tcp; this rule flags every port that resolves to plain TCP (tcp-db, mongo, a server-first port ...), since each gets the same catch-all listener."},
	{RuleWorkloadWithoutService, "workload-without-service", Error, "IST0117", "service",
		"Workload selected by no Service in its namespace",
		"Cloud Service Mesh needs a Service for every workload, even one that receives no traffic, to give it an identity in telemetry and policy. Jobs, CronJobs and Helm hook pods are exempt: they receive no traffic.",
		"Add a Service whose selector matches the pod template's labels, with a port named after its protocol.",
		"istioctl dropped this check (IST0117) in Istio 1.20; Cloud Service Mesh still asks for it."},
	{RuleServiceSelectsNothing, "service-selects-nothing", Warning, "", "service",
		"Service selects no workload in the input",
		"A Service whose selector matches no pod template (of any workload kind, Argo Rollouts and other pod-template kinds included) has no endpoints: callers get connection errors and the mesh has nothing to route to. Usually a label typo or a selector using a label that changes per version.",
		"Make the selector match the pod template labels; select on stable labels (app.kubernetes.io/name, app.kubernetes.io/instance), never version.", ""},
	{RuleTargetPortNameUndeclared, "targetport-name-undeclared", Error, "", "service",
		"Named targetPort not declared by any selected container",
		"A named targetPort resolves only against container ports with that name; if no selected pod declares it, the Service has no endpoints for that port.",
		"Declare the port name on the container (ports: - name: http, containerPort: 8080) or use the container's port name as targetPort.", ""},
	{RuleTargetPortNumUndeclared, "targetport-number-undeclared", Info, "", "service",
		"Numeric targetPort not declared by any selected container",
		"Kubernetes routes to undeclared ports, but the target port then has no name, health probes and tooling cannot refer to it, and a typo goes unnoticed.",
		"Declare the container port with a name and use that name as targetPort.", ""},
	{RuleMissingAppLabel, "pod-missing-app-label", Warning, "", "labels",
		"Pod template without app (or app.kubernetes.io/name) label",
		"Istio's telemetry names a workload after service.istio.io/canonical-name, app.kubernetes.io/name or app; without one, metrics and traces show the pod name and traffic cannot be addressed per service.",
		"Label the pod template with app and app.kubernetes.io/name (same value).", ""},
	{RuleMissingVersionLabel, "pod-missing-version-label", Warning, "", "labels",
		"Pod template without version (or canonical-revision) label",
		"Istio reads the version from service.istio.io/canonical-revision, app.kubernetes.io/version or version (else \"latest\"); DestinationRule subsets and traffic splits between versions select on it.",
		"Label the pod template with version (e.g. v1) or service.istio.io/canonical-revision.", ""},
	{RuleAppLabelMismatch, "app-label-mismatch", Error, "", "labels",
		"app and app.kubernetes.io/name disagree",
		"Some Istio code paths read app first, others app.kubernetes.io/name: when both are set they must agree, or telemetry and policy name the workload differently.",
		"Give app and app.kubernetes.io/name the same value.", ""},
	{RulePortProtocolConflict, "port-protocol-conflict", Error, "IST0116", "ports",
		"One target port exposed as two protocols",
		"A sidecar keys its inbound filter chains by target port and keeps one protocol for each: when the Services selecting a pod expose one target port as two protocols (HTTP and TCP, say), one of them is served wrongly. The same port number with different target ports is no conflict.",
		"Give every Service port that targets the container port the same name prefix or appProtocol.",
		"istioctl compares the Kubernetes protocol (TCP, UDP, SCTP) of Services sharing a port number, only for Deployments its heuristic puts in the mesh; this rule compares the protocol Istio resolves per target port, between Services, as the sidecar's inbound listener does, for every workload the injector gives a sidecar. So two Services exposing one target port as TCP and HTTP on different port numbers get MC030 and MC031 where istioctl reports IST0137 only."},
	{RuleTargetPortConflict, "targetport-conflict", Warning, "IST0137", "ports",
		"One targetPort exposed under different Service ports",
		"Services selecting one workload must expose a targetPort under one port number; Istio builds inbound configuration per target port and routes the others inconsistently.",
		"Use one Service port number for each targetPort across the Services that select the workload.",
		"istioctl also flags one Service exposing a target port under two port numbers (http and http-alt); this rule compares different Services only, as IST0137's description does."},
	{RuleUID1337, "uid-1337", Error, "IST0144", "security",
		"A container runs as UID 1337, the sidecar's user",
		"The sidecar's iptables rules let traffic from UID 1337 bypass the proxy: such a container escapes mTLS and policy.",
		"Run as another UID (e.g. 65532 or >= 10000) in securityContext.runAsUser.",
		"istioctl checks Pods and Deployments only; this rule checks pod, container, init and ephemeral container security contexts in every workload kind."},
	{RuleGID1337, "gid-1337", Warning, "", "security",
		"A container runs with group 1337, the sidecar's group",
		"Istio's iptables rules also exclude traffic from GID 1337 (--gid-owner 1337), so a container with runAsGroup 1337 bypasses the proxy as well. Not covered by IST0144, which looks at the UID only.",
		"Use another group (e.g. 65532) in securityContext.runAsGroup.", ""},
	{RuleReservedPort, "reserved-port", Error, "", "ports",
		"Service port, targetPort or container port on a port the sidecar uses",
		"The sidecar listens on 15000, 15001, 15004, 15006, 15008, 15020, 15021, 15053 and 15090 (15002 is its iptables probe): an application there collides with the proxy or has its traffic captured, and a Service port there collides with the listeners of every client's sidecar.",
		"Move the application and the Service to other ports (e.g. 8080, 80).", ""},
	{RuleNamespaceInjectConflict, "injection-conflict", Error, "IST0123", "namespace",
		"More than one way into the mesh: istio-injection, istio.io/rev, ambient",
		"istio-injection=enabled selects the default revision's injector, istio.io/rev=<revision> another, istio.io/dataplane-mode=ambient puts pods in the mesh without a sidecar. Together, which one wins depends on the installation, and revision upgrades break. A pod asking for ambient in a namespace that injects a sidecar gets the sidecar: Istio's CNI agent leaves such pods out of ambient.",
		"Keep one: istio.io/rev=<revision> (managed Cloud Service Mesh: asm-managed ...), istio-injection=enabled, or istio.io/dataplane-mode=ambient.",
		"istioctl counts istio.io/dataplane-mode with any value; this rule counts ambient only (none switches nothing on), and checks pods too."},
	{RuleNamespaceNotInjected, "namespace-not-injected", Error, "IST0102", "namespace",
		"In mesh mode, a namespace whose labels put nothing in the mesh",
		"Pods join the mesh through istio-injection=enabled or istio.io/rev=<revision> (a sidecar) or istio.io/dataplane-mode=ambient on their namespace, or their own sidecar.istio.io/inject=true or istio.io/rev label; label values are case-sensitive, and istio-injection with any other value turns istio.io/rev off too. Reported for a namespace with none of these labels, and for one whose labels keep its workloads out of the mesh. Runs in mesh mode only (--mesh, or any Namespace in the input carries one of these labels).",
		"Label the namespace istio-injection=enabled, istio.io/rev=<revision> (e.g. asm-managed) or istio.io/dataplane-mode=ambient.",
		"istioctl reports this as Info and treats any istio-injection value (disabled, or a mistyped Enabled) as a deliberate choice; this rule reports such a namespace when it holds workloads that stay outside the mesh. It assumes the default installation: with the injector's enableNamespacesByDefault on, istioctl reports IST0125 instead."},
	{RuleNamespaceNotInInput, "namespace-not-in-input", Info, "", "namespace",
		"In mesh mode, a workload namespace that is not in the input",
		"Mesh mode can prove injection only for namespaces whose Namespace object is checked too.",
		"Include the Namespace manifest in the input, or run without --mesh.", ""},
	{RuleInjectAnnotation, "inject-annotation-deprecated", Warning, "IST0135", "namespace",
		"sidecar.istio.io/inject used as an annotation",
		"The annotation form is deprecated, and the injection webhook's selectors read only the label: the annotation can opt a pod out but never in.",
		"Move sidecar.istio.io/inject from the pod template's annotations to its labels.",
		"istioctl looks at a Pod's or Deployment's own annotations; this rule at the pod template's, where the injector reads them."},
	{RuleInjectionDisabled, "injection-disabled", Error, "", "namespace",
		"Application pod opts out of sidecar injection",
		"sidecar.istio.io/inject=false keeps the pod out of the mesh: no mTLS, no policy, no telemetry, and STRICT peers refuse it. Only Helm test hooks (and Jobs, CronJobs) have a reason to opt out.",
		"Remove sidecar.istio.io/inject: \"false\" from the pod template.", ""},
	{RuleInjectValueInvalid, "inject-value-invalid", Warning, "", "namespace",
		"An injection label value Istio does not read",
		"Istio compares these values exactly: sidecar.istio.io/inject must be true or false (False is ignored and the pod gets the namespace's default), istio-injection enabled or disabled (Enabled injects nothing), istio.io/dataplane-mode ambient or none.",
		"Write the value in lower case: true, false, enabled, disabled, ambient, none.", ""},
}

// ruleIndex holds every rule under its lower-case ID and its name.
var ruleIndex = func() map[string]*Rule {
	m := map[string]*Rule{}
	for i := range Rules {
		m[strings.ToLower(Rules[i].ID)] = &Rules[i]
		m[strings.ToLower(Rules[i].Name)] = &Rules[i]
	}
	return m
}()

// LookupRule finds a rule by ID (MC001) or name (port-protocol-unknown),
// in any case.
func LookupRule(idOrName string) (*Rule, bool) {
	r, ok := ruleIndex[strings.ToLower(strings.TrimSpace(idOrName))]
	return r, ok
}
