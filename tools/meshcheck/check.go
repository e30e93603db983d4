package meshcheck

import (
	"cmp"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/apimachinery/pkg/util/validation"
)

// MeshMode says whether the namespace injection rules (MC061, MC062) run.
type MeshMode int

// Mesh modes.
const (
	// MeshAuto runs them when any Namespace in the input has an Istio
	// injection or dataplane label.
	MeshAuto MeshMode = iota
	MeshOn
	MeshOff
)

// Options tune Check.
type Options struct {
	Mesh MeshMode
	// Namespace is where objects without metadata.namespace live ("default"
	// when empty), as kubectl apply -n would put them.
	Namespace string
	// Ignore lists rule IDs or names suppressed for the whole run.
	Ignore []string
}

// Labels the telemetry rules read.
const (
	labelApp           = "app"
	labelVersion       = "version"
	labelK8sName       = "app.kubernetes.io/name"
	labelK8sVersion    = "app.kubernetes.io/version"
	labelCanonicalName = "service.istio.io/canonical-name"
	labelCanonicalRev  = "service.istio.io/canonical-revision"
	annotationHelmHook = "helm.sh/hook"
)

type workload struct {
	obj      *Object
	ns       string
	meta     *metav1.ObjectMeta // the pod template's
	spec     *corev1.PodSpec
	path     []any // from the object to the pod template
	serving  bool  // receives traffic: needs a Service, labels, the mesh
	testHook bool
	// checked is false for pods that are not the application's to fix:
	// Istio's own, host-network pods, pods in namespaces Istio never
	// injects. They are still selectable by Services.
	checked bool
	istio   bool // Istio's own: a gateway listens where its Gateway resources say
	groups  []*selectorGroup
	ports   []corev1.ContainerPort // the application containers' ports
	plane   dataplane              // planeUnknown outside mesh mode
	why     string                 // why plane is planeNone
}

type service struct {
	obj     *Object
	svc     *corev1.Service
	checked bool
	group   *selectorGroup // nil without a selector (manual endpoints, ExternalName)
}

// selectorGroup is the Services of one namespace that have one selector.
// They select the same pods, so matching and the port summaries the
// conflict rules compare are worked out once per group: Check stays linear
// when many Services select the same pods.
type selectorGroup struct {
	sel       map[string]string
	services  []*service
	workloads []*workload
	declared  map[string]bool                        // container port names and numbers of workloads
	anyPort   bool                                   // it selects Istio's own pods, which declare no ports
	targets   map[intstr.IntOrString]*targetExposure // by targetPort, TCP ports only
}

// targetExposure is how Services expose one target port: the first two
// Services for each protocol and for each port number, which is enough to
// tell whether two different Services disagree.
type targetExposure struct {
	protos map[Protocol][]*service
	ports  map[int32][]*service
}

func newExposure() *targetExposure {
	return &targetExposure{protos: map[Protocol][]*service{}, ports: map[int32][]*service{}}
}

func (t *targetExposure) add(proto Protocol, port int32, s *service) {
	t.protos[proto] = firstTwo(t.protos[proto], s)
	t.ports[port] = firstTwo(t.ports[port], s)
}

// merge adds from's Services to t's, keeping t's first ones.
func (t *targetExposure) merge(from *targetExposure) {
	for p, ss := range from.protos {
		for _, s := range ss {
			t.protos[p] = firstTwo(t.protos[p], s)
		}
	}
	for p, ss := range from.ports {
		for _, s := range ss {
			t.ports[p] = firstTwo(t.ports[p], s)
		}
	}
}

func firstTwo(ss []*service, s *service) []*service {
	if len(ss) < 2 && !slices.Contains(ss, s) {
		return append(ss, s)
	}
	return ss
}

// disagree reports two different Services using different keys (two
// protocols, or two port numbers) for the target. One Service exposing a
// target port twice is its own business: pilot keeps the first and reports
// conflicts between Services only.
func disagree[K comparable](m map[K][]*service) bool {
	var one *service
	for _, ss := range m {
		if len(ss) > 1 && len(m) > 1 || one != nil && ss[0] != one {
			return true
		}
		one = ss[0]
	}
	return false
}

type checker struct {
	opts   Options
	ignore map[string]bool
	order  map[*Object]int
	report Report
}

// Check runs every rule over objs. It never fails: input problems are
// reported by Load and Parse.
func Check(objs []*Object, opts Options) Report {
	if opts.Namespace == "" {
		opts.Namespace = "default"
	}
	c := &checker{opts: opts, ignore: map[string]bool{}, order: make(map[*Object]int, len(objs))}
	for _, id := range opts.Ignore {
		if r, ok := LookupRule(id); ok {
			c.ignore[r.ID] = true
		}
	}
	present := map[string]bool{}
	for i, o := range objs {
		c.order[o] = i
		present[o.Kind+"/"+c.nsOf(o)+"/"+o.Name] = true
	}
	c.report.Objects = len(objs)

	namespaces := map[string]*Object{}
	var nsList []*Object
	var services []*service
	var workloads []*workload
	groups := map[string]*selectorGroup{}
	for _, o := range objs {
		switch t := o.Typed.(type) {
		case *corev1.Namespace:
			if namespaces[o.Name] == nil {
				namespaces[o.Name] = o
				nsList = append(nsList, o)
			}
		case *corev1.Service:
			s := &service{obj: o, svc: t, checked: !istioOwned(o.Labels) && !neverInjected[c.nsOf(o)]}
			if len(t.Spec.Selector) > 0 && t.Spec.Type != corev1.ServiceTypeExternalName {
				key := c.nsOf(o) + "\x00" + labels.Set(t.Spec.Selector).String()
				if groups[key] == nil {
					groups[key] = &selectorGroup{sel: t.Spec.Selector}
				}
				s.group = groups[key]
				s.group.services = append(s.group.services, s)
			}
			services = append(services, s)
		default:
			if w := c.workloadOf(o, present); w != nil {
				workloads = append(workloads, w)
			}
		}
	}
	c.match(groups, workloads)

	mesh := c.meshMode(nsList)
	for _, w := range workloads {
		if mesh {
			w.plane, w.why = podDataplane(namespaces[w.ns], w.meta, w.spec)
		}
		c.checkWorkload(w)
	}
	for _, s := range services {
		c.checkService(s)
	}
	c.checkNamespaces(nsList, workloads, mesh)

	for _, fs := range []*[]Finding{&c.report.Findings, &c.report.Suppressed} {
		slices.SortStableFunc(*fs, func(a, b Finding) int {
			return cmp.Or(cmp.Compare(a.order, b.order), cmp.Compare(a.Line, b.Line), cmp.Compare(a.Rule, b.Rule), cmp.Compare(a.Message, b.Message))
		})
		if *fs == nil {
			*fs = []Finding{}
		}
	}
	return c.report
}

// match links every selector group to the workloads of its namespace whose
// pod labels it selects. Each group looks only at the workloads carrying
// its rarest selector pair, so the work is bounded by the links made.
func (c *checker) match(groups map[string]*selectorGroup, workloads []*workload) {
	type pair struct{ ns, key, value string }
	byLabel := map[pair][]*workload{}
	for _, w := range workloads {
		for k, v := range w.meta.Labels {
			byLabel[pair{w.ns, k, v}] = append(byLabel[pair{w.ns, k, v}], w)
		}
	}
	for key, g := range groups {
		ns, _, _ := strings.Cut(key, "\x00")
		var candidates []*workload
		first := true
		for k, v := range g.sel {
			if ws := byLabel[pair{ns, k, v}]; first || len(ws) < len(candidates) {
				candidates, first = ws, false
			}
		}
		sel := labels.SelectorFromValidatedSet(g.sel)
		for _, w := range candidates {
			if sel.Matches(labels.Set(w.meta.Labels)) {
				g.workloads = append(g.workloads, w)
				w.groups = append(w.groups, g)
			}
		}
	}
	for _, w := range workloads { // groups in input order, for stable messages
		slices.SortFunc(w.groups, func(a, b *selectorGroup) int {
			return cmp.Compare(c.order[a.services[0].obj], c.order[b.services[0].obj])
		})
	}
}

func (c *checker) nsOf(o *Object) string {
	switch {
	case o.Kind == "Namespace":
		return ""
	case o.Namespace == "":
		return c.opts.Namespace
	}
	return o.Namespace
}

// meshMode decides whether the namespace injection rules run.
func (c *checker) meshMode(namespaces []*Object) bool {
	switch c.opts.Mesh {
	case MeshOn:
		c.report.Mesh, c.report.MeshReason = true, "--mesh"
	case MeshAuto:
		for _, ns := range namespaces {
			if hasMeshLabel(ns.Labels) && !neverInjected[ns.Name] {
				c.report.Mesh, c.report.MeshReason = true, fmt.Sprintf("Namespace %s has an injection label", ns.Name)
				break
			}
		}
	}
	return c.report.Mesh
}

// emit records a finding unless it is suppressed.
func (c *checker) emit(o *Object, ruleID string, line int, msg string) {
	r, ok := LookupRule(ruleID)
	if !ok {
		panic("meshcheck: unknown rule " + ruleID) // a programming error, caught by the tests
	}
	f := Finding{
		Rule: r.ID, RuleName: r.Name, Severity: r.Severity, IstioCode: r.IstioCode,
		Kind: o.Kind, Namespace: c.nsOf(o), Name: o.Name, File: o.File, Line: line, Source: o.Source,
		Message: msg, Fix: r.Fix, order: c.order[o],
	}
	var podAnnotations map[string]string
	if meta, _, _, ok := podTemplate(o.Typed); ok {
		podAnnotations = meta.Annotations
	}
	switch {
	case ignoredBy(o.Annotations, r) || ignoredBy(podAnnotations, r):
		f.SuppressedBy = SuppressedByAnnotation
		c.report.Suppressed = append(c.report.Suppressed, f)
	case c.ignore[r.ID]:
		f.SuppressedBy = SuppressedByFlag
		c.report.Suppressed = append(c.report.Suppressed, f)
	default:
		c.report.Findings = append(c.report.Findings, f)
	}
}

func ignoredBy(ann map[string]string, r *Rule) bool {
	for _, id := range strings.FieldsFunc(ann[IgnoreAnnotation], func(r rune) bool { return r == ',' || r == ' ' }) {
		if got, ok := LookupRule(id); ok && got.ID == r.ID {
			return true
		}
	}
	return false
}

// workloadOf returns the pod-running view of o, or nil when o runs no pods
// of its own (not a workload, or a Pod, ReplicaSet or Job whose controller
// is in the input and is checked instead).
func (c *checker) workloadOf(o *Object, present map[string]bool) *workload {
	meta, spec, path, ok := podTemplate(o.Typed)
	if !ok {
		return nil
	}
	w := &workload{obj: o, ns: c.nsOf(o), meta: meta, spec: spec, path: path, serving: true}
	var owners []metav1.OwnerReference
	switch t := o.Typed.(type) {
	case *corev1.Pod:
		owners = t.OwnerReferences
	case *appsv1.ReplicaSet:
		owners = t.OwnerReferences
	case *batchv1.Job:
		owners, w.serving = t.OwnerReferences, false
	case *batchv1.CronJob:
		w.serving = false
	}
	for _, ref := range owners {
		if ref.Controller != nil && *ref.Controller {
			if present[ref.Kind+"/"+w.ns+"/"+ref.Name] {
				return nil // reported through its owner
			}
			w.serving = w.serving && ref.Kind != "Job" && ref.Kind != "CronJob"
		}
	}
	if hook, ok := o.Annotations[annotationHelmHook]; ok {
		w.serving, w.testHook = false, strings.Contains(hook, "test")
	}
	w.istio = istioOwned(o.Labels) || istioOwned(meta.Labels)
	w.checked = !w.istio && !spec.HostNetwork && !neverInjected[w.ns]
	for _, ct := range w.containers() {
		// Init containers serve ports only as native sidecars.
		if ct.field == "containers" || ct.RestartPolicy != nil && *ct.RestartPolicy == corev1.ContainerRestartPolicyAlways {
			w.ports = append(w.ports, ct.Ports...)
		}
	}
	return w
}

// containers lists the application's containers: Istio's own (the
// sidecar a kube-inject or the gateway chart adds) are left out.
func (w *workload) containers() []container {
	return slices.DeleteFunc(podContainers(w.spec), func(c container) bool { return istioContainers[c.Name] })
}

func (w *workload) at(p ...any) []any { return append(slices.Clone(w.path), p...) }

// targetOf is the effective targetPort: unset means the port number.
func targetOf(p corev1.ServicePort) intstr.IntOrString {
	if p.TargetPort.IntVal == 0 && p.TargetPort.StrVal == "" {
		return intstr.FromInt32(p.Port)
	}
	return p.TargetPort
}

// resolve names a target port as the workload's sidecar keys it: by number,
// a named port through the workload's container ports.
func (w *workload) resolve(tp intstr.IntOrString) string {
	if tp.Type == intstr.String {
		for _, p := range w.ports {
			if p.Name == tp.StrVal {
				return strconv.Itoa(int(p.ContainerPort))
			}
		}
		return fmt.Sprintf("%q", tp.StrVal)
	}
	return strconv.Itoa(int(tp.IntVal))
}

func (c *checker) checkService(s *service) {
	if !s.checked {
		return
	}
	o, spec := s.obj, &s.svc.Spec
	external := spec.Type == corev1.ServiceTypeExternalName
	seen := map[string]bool{}
	for i, p := range spec.Ports {
		at := func(f ...any) int { return o.LineOf(append([]any{"spec", "ports", i}, f...)...) }
		desc := portDesc(p)

		// Kubernetes naming rules.
		switch {
		case p.Name == "" && len(spec.Ports) > 1:
			c.emit(o, RulePortNameInvalid, at(), fmt.Sprintf("%s has no name; names are required when a Service has more than one port", desc))
		case p.Name != "" && len(validation.IsDNS1123Label(p.Name)) > 0:
			c.emit(o, RulePortNameInvalid, at("name"), fmt.Sprintf("Service port name %q is not a DNS label: %s", p.Name, strings.Join(validation.IsDNS1123Label(p.Name), "; ")))
		case p.Name != "" && seen[p.Name]:
			c.emit(o, RulePortNameInvalid, at("name"), fmt.Sprintf("Service port name %q is used twice; port names must be unique", p.Name))
		}
		seen[p.Name] = true
		tp := targetOf(p)
		if tp.Type == intstr.String {
			if errs := validation.IsValidPortName(tp.StrVal); len(errs) > 0 {
				c.emit(o, RulePortNameInvalid, at("targetPort"), fmt.Sprintf("targetPort %q of %s is not a valid port name: %s", tp.StrVal, desc, strings.Join(errs, "; ")))
			}
		}

		// Protocol selection.
		proto := ResolveProtocol(p)
		switch {
		case external && proto.opaque():
			how := "resolves to " + string(proto)
			if proto == ProtoUnsupported {
				how = "names no protocol (Istio sniffs it)"
			}
			c.emit(o, RuleExternalNamePort, at(), fmt.Sprintf("%s of ExternalName Service %s %s: every sidecar then sends all otherwise unmatched TCP traffic to port %d to %s", desc, o.Name, how, p.Port, spec.ExternalName))
		case external: // IST0150 replaces IST0118 for ExternalName Services
		case proto == ProtoUnsupported && p.AppProtocol != nil:
			kind := "is not a protocol Istio knows"
			if strings.Contains(*p.AppProtocol, "/") {
				kind = "is a domain-prefixed custom value Istio does not understand"
			}
			c.emit(o, RuleAppProtocolUnsupported, at("appProtocol"), fmt.Sprintf("%s: appProtocol %q %s; Istio will sniff the protocol", desc, *p.AppProtocol, kind))
		case proto == ProtoUnsupported && p.Name == "":
			c.emit(o, RulePortProtocolUnknown, at(), fmt.Sprintf("%s has no name and no appProtocol; Istio cannot tell its protocol and will sniff it", desc))
		case proto == ProtoUnsupported:
			hint := "the protocol must be the whole name or the part before the first '-' (http, http-web, grpc-api ...)"
			if pre, _, ok := strings.Cut(p.Name, "-"); ok {
				hint = fmt.Sprintf("its prefix %q (before the first '-') is not a protocol", pre)
			}
			c.emit(o, RulePortProtocolUnknown, at("name"), fmt.Sprintf("%s: name %q does not name a protocol Istio knows: %s; Istio will sniff it", desc, p.Name, hint))
		case proto == ProtoMySQL || proto == ProtoRedis:
			c.emit(o, RuleProtocolExperimental, at(), fmt.Sprintf("%s resolves to %s, which Istio handles as plain TCP unless its experimental filter is enabled", desc, proto))
		}

		// The sidecar's own ports.
		if what, ok := ReservedPorts[p.Port]; ok {
			c.emit(o, RuleReservedPort, at("port"), fmt.Sprintf("%s uses port %d, which the sidecar listens on (%s): clients' sidecars cannot route it", desc, p.Port, what))
		}
		if what, ok := ReservedPorts[tp.IntVal]; ok && tp.Type == intstr.Int && tp.IntVal != p.Port {
			c.emit(o, RuleReservedPort, at("targetPort"), fmt.Sprintf("%s targets port %d, which the sidecar uses (%s)", desc, tp.IntVal, what))
		}

		// Target ports against the selected containers.
		if s.group == nil || len(s.group.workloads) == 0 || s.group.declares(tp) {
			continue
		}
		if tp.Type == intstr.String {
			c.emit(o, RuleTargetPortNameUndeclared, at("targetPort"), fmt.Sprintf("%s: targetPort %q is not a port name declared by any container of %s; the port has no endpoints", desc, tp.StrVal, workloadNames(s.group.workloads)))
		} else {
			c.emit(o, RuleTargetPortNumUndeclared, at(), fmt.Sprintf("%s: targetPort %d is not declared by any container of %s", desc, tp.IntVal, workloadNames(s.group.workloads)))
		}
	}
	if s.group != nil && len(s.group.workloads) == 0 {
		c.emit(o, RuleServiceSelectsNothing, o.LineOf("spec", "selector"), fmt.Sprintf("Service %s selects %s, which matches no pod template in namespace %s", o.Name, labels.SelectorFromSet(s.group.sel), c.nsOf(o)))
	}
}

// declares reports whether any selected workload declares the target port.
func (g *selectorGroup) declares(tp intstr.IntOrString) bool {
	if g.declared == nil {
		g.declared = map[string]bool{}
		for _, w := range g.workloads {
			g.anyPort = g.anyPort || w.istio
			for _, p := range w.ports {
				g.declared[p.Name] = true
				g.declared[strconv.Itoa(int(p.ContainerPort))] = true
			}
		}
	}
	if tp.Type == intstr.String {
		return g.anyPort || g.declared[tp.StrVal]
	}
	return g.anyPort || g.declared[strconv.Itoa(int(tp.IntVal))]
}

func portDesc(p corev1.ServicePort) string {
	if p.Name != "" {
		return fmt.Sprintf("Service port %d (%s)", p.Port, p.Name)
	}
	return fmt.Sprintf("Service port %d", p.Port)
}

func workloadNames(ws []*workload) string {
	names := make([]string, len(ws))
	for i, w := range ws {
		names[i] = w.obj.Kind + " " + w.obj.Name
	}
	return strings.Join(names, ", ")
}

func (c *checker) checkWorkload(w *workload) {
	if !w.checked {
		return
	}
	o, l := w.obj, w.meta.Labels
	labelsLine := func() int { return o.LineOf(w.at("metadata", "labels")...) }
	if w.serving && len(w.groups) == 0 {
		c.emit(o, RuleWorkloadWithoutService, labelsLine(), fmt.Sprintf("%s %s is selected by no Service in namespace %s (pod labels: %s)", o.Kind, o.Name, w.ns, labels.Set(l)))
	}
	if w.serving {
		if l[labelCanonicalName] == "" && l[labelK8sName] == "" && l[labelApp] == "" {
			c.emit(o, RuleMissingAppLabel, labelsLine(), fmt.Sprintf("pod template of %s %s has no app, app.kubernetes.io/name or service.istio.io/canonical-name label; Istio telemetry cannot name the workload", o.Kind, o.Name))
		}
		if l[labelCanonicalRev] == "" && l[labelK8sVersion] == "" && l[labelVersion] == "" {
			c.emit(o, RuleMissingVersionLabel, labelsLine(), fmt.Sprintf("pod template of %s %s has no version, app.kubernetes.io/version or service.istio.io/canonical-revision label; versions cannot be told apart or split", o.Kind, o.Name))
		}
		if app, name := l[labelApp], l[labelK8sName]; app != "" && name != "" && app != name {
			c.emit(o, RuleAppLabelMismatch, o.LineOf(w.at("metadata", "labels", labelApp)...), fmt.Sprintf("pod template of %s %s: app=%q but app.kubernetes.io/name=%q", o.Kind, o.Name, app, name))
		}
	}
	c.checkInjection(w)
	c.checkContainers(w)
	if w.plane == planeSidecar || w.plane == planeUnknown {
		c.checkPortConflicts(w) // inbound listeners are the sidecar's
	}
}

func (c *checker) checkInjection(w *workload) {
	o, m := w.obj, w.meta
	for _, kv := range []struct {
		where string
		vals  map[string]string
	}{{"labels", m.Labels}, {"annotations", m.Annotations}} {
		v, ok := kv.vals[labelInject]
		if ok && v != "true" && v != "false" {
			c.emit(o, RuleInjectValueInvalid, o.LineOf(w.at("metadata", kv.where, labelInject)...), fmt.Sprintf("pod template of %s %s sets %s=%q; Istio reads only \"true\" and \"false\" (case-sensitive) and ignores this value", o.Kind, o.Name, labelInject, v))
		}
	}
	_, hasLabel := m.Labels[labelInject]
	if v, ok := m.Annotations[labelInject]; ok && !hasLabel {
		c.emit(o, RuleInjectAnnotation, o.LineOf(w.at("metadata", "annotations", labelInject)...),
			fmt.Sprintf("pod template of %s %s sets %s=%q as an annotation (deprecated)", o.Kind, o.Name, labelInject, v))
	}
	where, optOut := "annotation", m.Annotations[labelInject] == "false"
	if hasLabel {
		where, optOut = "label", m.Labels[labelInject] == "false"
	}
	if optOut && w.serving { // Jobs and hooks may opt out: a sidecar keeps them running
		c.emit(o, RuleInjectionDisabled, o.LineOf(w.at("metadata", where+"s", labelInject)...),
			fmt.Sprintf("pod template of %s %s opts out of the mesh with %s=\"false\" (%s)", o.Kind, o.Name, labelInject, where))
	}
	if w.plane == planeSidecar && m.Labels[labelDataplaneMode] == "ambient" {
		c.emit(o, RuleNamespaceInjectConflict, o.LineOf(w.at("metadata", "labels", labelDataplaneMode)...),
			fmt.Sprintf("pod template of %s %s asks for ambient (%s=ambient) but its namespace injects a sidecar, and Istio's CNI agent leaves pods with a sidecar out of ambient", o.Kind, o.Name, labelDataplaneMode))
	}
}

// checkContainers checks the application's containers: the sidecar's UID
// and group, its ports, Kubernetes' port naming rules.
func (c *checker) checkContainers(w *workload) {
	o, spec := w.obj, w.spec
	ids := func(uid, gid *int64, where string, path ...any) {
		if uid != nil && *uid == 1337 {
			c.emit(o, RuleUID1337, o.LineOf(w.at(append(path, "runAsUser")...)...), fmt.Sprintf("%s of %s %s sets runAsUser: 1337, the sidecar's UID: its traffic bypasses the proxy", where, o.Kind, o.Name))
		}
		if gid != nil && *gid == 1337 {
			c.emit(o, RuleGID1337, o.LineOf(w.at(append(path, "runAsGroup")...)...), fmt.Sprintf("%s of %s %s sets runAsGroup: 1337, the sidecar's group: its traffic bypasses the proxy", where, o.Kind, o.Name))
		}
	}
	if sc := spec.SecurityContext; sc != nil {
		ids(sc.RunAsUser, sc.RunAsGroup, "pod securityContext", "spec", "securityContext")
	}
	for _, ct := range w.containers() {
		kind := map[string]string{"containers": "container", "initContainers": "init container"}[ct.field]
		if sc := ct.SecurityContext; sc != nil {
			ids(sc.RunAsUser, sc.RunAsGroup, fmt.Sprintf("%s %q", kind, ct.Name), "spec", ct.field, ct.index, "securityContext")
		}
		names := map[string]bool{}
		for j, p := range ct.Ports {
			at := func(f string) int { return o.LineOf(w.at("spec", ct.field, ct.index, "ports", j, f)...) }
			if what, ok := ReservedPorts[p.ContainerPort]; ok {
				c.emit(o, RuleReservedPort, at("containerPort"), fmt.Sprintf("%s %q of %s %s declares port %d, which the sidecar uses (%s)", kind, ct.Name, o.Kind, o.Name, p.ContainerPort, what))
			}
			if errs := validation.IsValidPortName(p.Name); p.Name != "" && len(errs) > 0 {
				c.emit(o, RulePortNameInvalid, at("name"), fmt.Sprintf("%s %q of %s %s: port name %q is not a valid port name: %s", kind, ct.Name, o.Kind, o.Name, p.Name, strings.Join(errs, "; ")))
			} else if p.Name != "" && names[p.Name] {
				c.emit(o, RulePortNameInvalid, at("name"), fmt.Sprintf("%s %q of %s %s: port name %q is used twice", kind, ct.Name, o.Kind, o.Name, p.Name))
			}
			names[p.Name] = true
		}
	}
	for i, ct := range spec.EphemeralContainers {
		if sc := ct.SecurityContext; sc != nil {
			ids(sc.RunAsUser, sc.RunAsGroup, fmt.Sprintf("ephemeral container %q", ct.Name), "spec", "ephemeralContainers", i, "securityContext")
		}
	}
}

// exposures summarises how the group's Services expose each target port,
// per target rather than per Service, TCP ports only (the sidecar builds
// inbound chains for TCP).
func (g *selectorGroup) exposures() map[intstr.IntOrString]*targetExposure {
	if g.targets == nil {
		g.targets = map[intstr.IntOrString]*targetExposure{}
		for _, s := range g.services {
			for _, p := range s.svc.Spec.Ports {
				if p.Protocol != "" && p.Protocol != corev1.ProtocolTCP {
					continue
				}
				tp := targetOf(p)
				if g.targets[tp] == nil {
					g.targets[tp] = newExposure()
				}
				g.targets[tp].add(ResolveProtocol(p), p.Port, s)
			}
		}
	}
	return g.targets
}

// checkPortConflicts compares how the Services selecting w expose its
// ports, keyed by target port as the sidecar keys its inbound filter
// chains (pilot's listener_inbound.go): it keeps one protocol per target
// port, so two protocols for one target port serve one of them wrongly,
// while the same port number with different target ports is no conflict.
func (c *checker) checkPortConflicts(w *workload) {
	byTarget := map[string]*targetExposure{}
	for _, g := range w.groups {
		for tp, e := range g.exposures() {
			key := w.resolve(tp)
			if byTarget[key] == nil {
				byTarget[key] = newExposure()
			}
			byTarget[key].merge(e)
		}
	}
	o, line := w.obj, func() int { return w.obj.LineOf(w.at("metadata", "labels")...) } // only when reporting
	for _, key := range slices.Sorted(maps.Keys(byTarget)) {
		e := byTarget[key]
		if disagree(e.protos) {
			var uses []use
			for proto, ss := range e.protos {
				uses = append(uses, use{string(proto), ss[0]})
			}
			c.emit(o, RulePortProtocolConflict, line(), fmt.Sprintf("%s %s: target port %s is exposed as %s; the sidecar serves one protocol per target port", o.Kind, o.Name, key, c.list(uses)))
		}
		if disagree(e.ports) {
			var uses []use
			for port, ss := range e.ports {
				uses = append(uses, use{fmt.Sprintf("port %d", port), ss[0]})
			}
			c.emit(o, RuleTargetPortConflict, line(), fmt.Sprintf("%s %s: target port %s is exposed under different Service ports: %s", o.Kind, o.Name, key, c.list(uses)))
		}
	}
}

type use struct {
	what string
	svc  *service
}

// list writes uses in input order: "HTTP in Service a, TCP in Service b".
func (c *checker) list(uses []use) string {
	slices.SortFunc(uses, func(a, b use) int {
		return cmp.Or(cmp.Compare(c.order[a.svc.obj], c.order[b.svc.obj]), cmp.Compare(a.what, b.what))
	})
	parts := make([]string, len(uses))
	for i, u := range uses {
		parts[i] = u.what + " in Service " + u.svc.obj.Name
	}
	return strings.Join(parts, ", ")
}

// optedOut reports a pod's own opt-out, as the injector reads it: the
// label, else the deprecated annotation; only "false" opts out (other
// values fall back to injecting).
func optedOut(m *metav1.ObjectMeta) bool {
	if v, ok := m.Labels[labelInject]; ok {
		return v == "false"
	}
	return m.Annotations[labelInject] == "false"
}

// hasMeshLabel reports a namespace that sets any label Istio reads to
// decide injection or ambient, whatever its value.
func hasMeshLabel(l map[string]string) bool {
	_, inj := l[labelInjection]
	_, rev := l[labelRev]
	_, dp := l[labelDataplaneMode]
	return inj || rev || dp
}

// requestsMesh reports pod labels that ask for the mesh whatever a
// namespace not in the input says.
func requestsMesh(l map[string]string) bool {
	return l[labelInject] == "true" || l[labelRev] != "" || l[labelDataplaneMode] == "ambient"
}

func (c *checker) checkNamespaces(namespaces []*Object, workloads []*workload, mesh bool) {
	type members struct {
		all     int
		outside []*workload
	}
	byNS := map[string]*members{}
	unknown := map[string][]*workload{}
	var unknownOrder []string
	for _, w := range workloads {
		m := byNS[w.ns]
		if m == nil {
			m = &members{}
			byNS[w.ns] = m
		}
		m.all++
		if !w.checked || w.testHook || optedOut(w.meta) { // test pods stay out of the mesh on purpose
			continue
		}
		switch {
		case w.plane == planeNone:
			m.outside = append(m.outside, w)
		case w.plane == planeUnknown && mesh && !requestsMesh(w.meta.Labels):
			if unknown[w.ns] == nil {
				unknownOrder = append(unknownOrder, w.ns)
			}
			unknown[w.ns] = append(unknown[w.ns], w)
		}
	}
	for _, ns := range namespaces {
		if neverInjected[ns.Name] || ns.Name == "istio-system" || istioOwned(ns.Labels) {
			continue
		}
		l, line := ns.Labels, func() int { return ns.LineOf("metadata", "labels") }
		for label, valid := range map[string][2]string{labelInjection: {"enabled", "disabled"}, labelDataplaneMode: {"ambient", "none"}} {
			if v, ok := l[label]; ok && v != valid[0] && v != valid[1] {
				c.emit(ns, RuleInjectValueInvalid, ns.LineOf("metadata", "labels", label), fmt.Sprintf("Namespace %s sets %s=%q; Istio reads only %q and %q (case-sensitive)", ns.Name, label, v, valid[0], valid[1]))
			}
		}
		sidecar, ambient, conflict := namespacePlane(l)
		if conflict != nil {
			c.emit(ns, RuleNamespaceInjectConflict, line(), fmt.Sprintf("Namespace %s has %s: more than one way into the mesh, which Istio resolves by installation", ns.Name, strings.Join(conflict, " and ")))
		}
		if !mesh || sidecar || ambient {
			continue
		}
		switch m := byNS[ns.Name]; {
		case m != nil && len(m.outside) > 0:
			c.emit(ns, RuleNamespaceNotInjected, line(), fmt.Sprintf("Namespace %s keeps %s outside the mesh: %s", ns.Name, workloadNames(m.outside), m.outside[0].why))
		case m == nil && !hasMeshLabel(l):
			c.emit(ns, RuleNamespaceNotInjected, line(), fmt.Sprintf("Namespace %s has neither %s=enabled, %s nor %s=ambient: pods created in it join no mesh", ns.Name, labelInjection, labelRev, labelDataplaneMode))
		}
	}
	for _, name := range unknownOrder {
		ws := unknown[name]
		c.emit(ws[0].obj, RuleNamespaceNotInInput, ws[0].obj.LineOf(), fmt.Sprintf("namespace %s of %s is not in the input; its injection labels cannot be checked", name, workloadNames(ws)))
	}
}
