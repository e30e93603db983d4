package meshcheck

import (
	"fmt"
	"runtime"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"

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
	// MeshAuto runs them when any Namespace in the input has an injection label.
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

// Labels and annotations the rules read.
const (
	labelInjection     = "istio-injection"
	labelRev           = "istio.io/rev"
	labelInject        = "sidecar.istio.io/inject"
	labelApp           = "app"
	labelVersion       = "version"
	labelK8sName       = "app.kubernetes.io/name"
	labelK8sVersion    = "app.kubernetes.io/version"
	labelCanonicalName = "service.istio.io/canonical-name"
	labelCanonicalRev  = "service.istio.io/canonical-revision"
	annotationHelmHook = "helm.sh/hook"
)

// ReservedPorts are the ports the Istio sidecar listens on.
var ReservedPorts = map[int32]string{
	15000: "Envoy admin",
	15001: "outbound capture",
	15002: "DNS capture (listener)",
	15004: "debug",
	15006: "inbound capture",
	15008: "HBONE tunnel",
	15020: "merged metrics / health",
	15021: "health checks",
	15053: "DNS proxy",
	15090: "Envoy Prometheus telemetry",
}

type workload struct {
	obj      *Object
	ns       string
	meta     *metav1.ObjectMeta // the pod template's metadata
	spec     *corev1.PodSpec
	path     []any // path from the object to the pod template
	serving  bool  // receives traffic, so needs a Service, labels, the mesh
	testHook bool
	services []*service
	ports    *[]corev1.ContainerPort // containerPorts, computed once
	// The pod's own injection request, set by checkInjection (in
	// parallel) for checkNamespaces (serial).
	optsIn, optsOut bool
}

type service struct {
	obj       *Object
	svc       *corev1.Service
	ns        string
	sel       map[string]string // nil: no selector (manual endpoints, ExternalName)
	workloads []*workload
}

// selects is labels.SelectorFromSet(s.sel).Matches(pod labels) without
// building the selector: every selector pair must be among the labels.
func (s *service) selects(podLabels map[string]string) bool {
	for k, v := range s.sel {
		if got, ok := podLabels[k]; !ok || got != v {
			return false
		}
	}
	return true
}

// objectKey and labelPair key the indexes Check builds, without
// concatenating strings for every object.
type objectKey struct{ kind, ns, name string }

type labelPair struct{ key, value string }

type checker struct {
	opts     Options
	ignore   map[string]bool
	report   Report
	order    *objectOrder
	extraAnn map[*Object]map[string]string // pod template annotations, for suppression
	names    nameErrors
}

// nameErrors remembers the validation of each port name: a manifest
// repeats a few names (http, metrics) thousands of times, and the
// validators run regular expressions. Each part of checkAll has its own.
type nameErrors struct{ port, dnsLabel map[string][]string }

// remembered is validate(name), computed once per name in *cache.
func remembered(cache *map[string][]string, name string, validate func(string) []string) []string {
	if errs, ok := (*cache)[name]; ok {
		return errs
	}
	if *cache == nil {
		*cache = map[string][]string{}
	}
	errs := validate(name)
	(*cache)[name] = errs
	return errs
}

func (n *nameErrors) portName(name string) []string {
	return remembered(&n.port, name, validation.IsValidPortName)
}

func (n *nameErrors) dns1123Label(name string) []string {
	return remembered(&n.dnsLabel, name, validation.IsDNS1123Label)
}

// objectOrder is each object's position in the input, which orders the
// findings. Only findings and Services selecting the same pods need it,
// so the index is built on first use, once for every part of a run.
type objectOrder struct {
	objs []*Object
	once sync.Once
	pos  map[*Object]int
}

func (o *objectOrder) of(obj *Object) int {
	o.once.Do(func() {
		o.pos = make(map[*Object]int, len(o.objs))
		for i, x := range o.objs {
			o.pos[x] = i
		}
	})
	return o.pos[obj]
}

// Check runs every rule over objs. It never fails: input problems are
// reported by Load and Parse.
func Check(objs []*Object, opts Options) Report {
	if opts.Namespace == "" {
		opts.Namespace = "default"
	}
	c := &checker{opts: opts, ignore: map[string]bool{}, order: &objectOrder{objs: objs}, extraAnn: map[*Object]map[string]string{}}
	for _, id := range opts.Ignore {
		if r, ok := LookupRule(id); ok {
			c.ignore[r.ID] = true
		}
	}
	c.report.Objects = len(objs)

	// Every object, for owner lookups: built only when an object names a
	// controlling owner, which rendered manifests almost never do.
	var present map[objectKey]bool
	inInput := func(k objectKey) bool {
		if present == nil {
			present = make(map[objectKey]bool, len(objs))
			for _, o := range objs {
				present[objectKey{o.Kind, c.nsOf(o), o.Name}] = true
			}
		}
		return present[k]
	}
	var namespaces []*Object
	for _, o := range objs {
		if ns, ok := o.Typed.(*corev1.Namespace); ok && ns != nil {
			namespaces = append(namespaces, o)
		}
	}

	var workloads []*workload
	var services []*service
	for _, o := range objs {
		if w := c.workloadOf(o, inInput); w != nil {
			workloads = append(workloads, w)
			if w.meta != nil && len(w.meta.Annotations) > 0 {
				c.extraAnn[o] = w.meta.Annotations
			}
			continue
		}
		if s, ok := o.Typed.(*corev1.Service); ok {
			sv := &service{obj: o, svc: s, ns: c.nsOf(o)}
			if len(s.Spec.Selector) > 0 && s.Spec.Type != corev1.ServiceTypeExternalName {
				sv.sel = s.Spec.Selector
			}
			services = append(services, sv)
		}
	}
	c.match(services, workloads)

	c.checkAll(services, workloads)
	c.checkNamespaces(namespaces, workloads) // after checkAll: reads the opt-ins checkInjection records

	sortFindings(c.report.Findings)
	sortFindings(c.report.Suppressed)
	if c.report.Findings == nil {
		c.report.Findings = []Finding{}
	}
	if c.report.Suppressed == nil {
		c.report.Suppressed = []Finding{}
	}
	return c.report
}

// match links every Service to the workloads it selects, in input order.
// A Service selects only in its own namespace, so the work is done one
// namespace at a time, with indexes small enough to stay in the CPU cache,
// and large inputs deal the namespaces out over every CPU; each Service and
// workload is written by one part only.
func (c *checker) match(services []*service, workloads []*workload) {
	parts := runtime.GOMAXPROCS(0)
	if len(services)+len(workloads) < parallelCheckMin || parts < 2 {
		parts = 1
	}
	// Namespaces are dealt to the parts in order of first appearance.
	byNS := make(map[string]*nsMembers)
	groups := make([][]*nsMembers, parts)
	group := func(ns string) *nsMembers {
		g, ok := byNS[ns]
		if !ok {
			g = &nsMembers{}
			byNS[ns] = g
			p := (len(byNS) - 1) % parts
			groups[p] = append(groups[p], g)
		}
		return g
	}
	for _, s := range services {
		if s.sel != nil {
			g := group(s.ns)
			g.services = append(g.services, s)
		}
	}
	for _, w := range workloads {
		if w.meta != nil {
			g := group(w.ns)
			g.workloads = append(g.workloads, w)
		}
	}
	var wg sync.WaitGroup
	for p := range parts {
		wg.Go(func() {
			idx := selectorIndex{freq: map[labelPair]int{}, services: map[labelPair][]*service{}}
			for _, g := range groups[p] {
				c.matchNamespace(&idx, g)
			}
		})
	}
	wg.Wait()
}

// nsMembers are the selecting Services and the workloads of one namespace.
type nsMembers struct {
	services  []*service
	workloads []*workload
}

// selectorIndex is matchNamespace's working memory, cleared and reused
// for each namespace of a part.
type selectorIndex struct {
	freq     map[labelPair]int        // Services selecting on each pair
	services map[labelPair][]*service // each Service under its rarest pair
}

// matchNamespace is match within one namespace.
func (c *checker) matchNamespace(idx *selectorIndex, g *nsMembers) {
	clear(idx.freq)
	clear(idx.services)
	for _, sv := range g.services {
		for k, v := range sv.sel {
			idx.freq[labelPair{k, v}]++
		}
	}
	// Index each Service under its rarest selector pair: a pod must carry
	// every pair, so only Services indexed under one of its labels can
	// select it, and a rare key keeps each bucket small (app=x rather than
	// the instance label every Service of a release shares).
	for _, sv := range g.services {
		var best labelPair
		bestN := 0
		for k, v := range sv.sel {
			p := labelPair{k, v}
			n := idx.freq[p]
			if bestN == 0 || n < bestN || (n == bestN && (k < best.key || k == best.key && v < best.value)) {
				best, bestN = p, n
			}
		}
		idx.services[best] = append(idx.services[best], sv)
	}
	// Only the Services indexed under one of a pod's labels are tested.
	for _, w := range g.workloads {
		w.containerPorts() // fill the cache here, in parallel, rather than in checkAll
		for k, v := range w.meta.Labels {
			for _, s := range idx.services[labelPair{k, v}] {
				if s.selects(w.meta.Labels) {
					w.services = append(w.services, s)
					s.workloads = append(s.workloads, w)
				}
			}
		}
		if len(w.services) > 1 {
			sort.Slice(w.services, func(i, j int) bool { return c.order.of(w.services[i].obj) < c.order.of(w.services[j].obj) })
		}
	}
}

// parallelCheckMin is the number of Services and workloads from which
// checkAll spreads them over every CPU.
var parallelCheckMin = 512

// checkAll runs the per-Service and per-workload rules. They only read the
// shared index and write findings, so large inputs are split over every
// CPU, each part with its own findings, merged in the end (the findings are
// sorted afterwards, so the split does not show).
func (c *checker) checkAll(services []*service, workloads []*workload) {
	parts := runtime.GOMAXPROCS(0)
	if len(services)+len(workloads) < parallelCheckMin || parts < 2 {
		parts = 1
	}
	for _, w := range workloads {
		w.containerPorts() // matchPart filled most; the parts only read it
	}
	subs := make([]checker, parts)
	var wg sync.WaitGroup
	for i := range subs {
		subs[i] = *c
		subs[i].report = Report{}
		subs[i].names = nameErrors{}
		sub := &subs[i]
		wg.Go(func() {
			for j := i; j < len(services); j += parts {
				sub.checkService(services[j])
			}
			for j := i; j < len(workloads); j += parts {
				sub.checkWorkload(workloads[j])
			}
		})
	}
	wg.Wait()
	for _, sub := range subs {
		c.report.Findings = append(c.report.Findings, sub.report.Findings...)
		c.report.Suppressed = append(c.report.Suppressed, sub.report.Suppressed...)
	}
}

func sortFindings(fs []Finding) {
	sort.SliceStable(fs, func(i, j int) bool {
		a, b := fs[i], fs[j]
		if a.order != b.order {
			return a.order < b.order
		}
		if a.Line != b.Line {
			return a.Line < b.Line
		}
		if a.Rule != b.Rule {
			return a.Rule < b.Rule
		}
		return a.Message < b.Message
	})
}

func (c *checker) nsOf(o *Object) string {
	if o.Kind == "Namespace" {
		return ""
	}
	if o.Namespace == "" {
		return c.opts.Namespace
	}
	return o.Namespace
}

// emit records a finding unless it is suppressed.
func (c *checker) emit(o *Object, ruleID string, line int, msg string) {
	r, ok := LookupRule(ruleID)
	if !ok {
		panic("meshcheck: unknown rule " + ruleID) // a programming error, caught by the tests
	}
	if line == 0 {
		line = o.Line
	}
	f := Finding{
		Rule: r.ID, RuleName: r.Name, Severity: r.Severity, IstioCode: r.IstioCode,
		Kind: o.Kind, Namespace: c.nsOf(o), Name: o.Name,
		File: o.File, Line: line, Source: o.Source,
		Message: msg, Fix: r.Fix, order: c.order.of(o),
	}
	switch {
	case ignoredBy(o.Annotations, r) || ignoredBy(c.extraAnn[o], r):
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
	v, ok := ann[IgnoreAnnotation]
	if !ok {
		return false
	}
	for _, id := range strings.FieldsFunc(v, func(r rune) bool { return r == ',' || r == ' ' }) {
		if got, ok := LookupRule(id); ok && got.ID == r.ID {
			return true
		}
	}
	return false
}

// workloadOf returns the pod-running view of o, or nil when o runs no pods
// of its own (not a workload, or a Pod/ReplicaSet whose controller is in the
// input and is checked instead).
func (c *checker) workloadOf(o *Object, inInput func(objectKey) bool) *workload {
	w := &workload{obj: o, ns: c.nsOf(o), serving: true}
	var owners []metav1.OwnerReference
	switch t := o.Typed.(type) {
	case *appsv1.Deployment:
		w.meta, w.spec, w.path = &t.Spec.Template.ObjectMeta, &t.Spec.Template.Spec, templatePath
	case *appsv1.StatefulSet:
		w.meta, w.spec, w.path = &t.Spec.Template.ObjectMeta, &t.Spec.Template.Spec, templatePath
	case *appsv1.DaemonSet:
		w.meta, w.spec, w.path = &t.Spec.Template.ObjectMeta, &t.Spec.Template.Spec, templatePath
	case *appsv1.ReplicaSet:
		w.meta, w.spec, w.path = &t.Spec.Template.ObjectMeta, &t.Spec.Template.Spec, templatePath
		owners = t.OwnerReferences
	case *corev1.ReplicationController:
		if t.Spec.Template == nil {
			return nil
		}
		w.meta, w.spec, w.path = &t.Spec.Template.ObjectMeta, &t.Spec.Template.Spec, templatePath
	case *corev1.Pod:
		w.meta, w.spec, w.path = &t.ObjectMeta, &t.Spec, nil
		owners = t.OwnerReferences
	case *batchv1.Job:
		w.meta, w.spec, w.path = &t.Spec.Template.ObjectMeta, &t.Spec.Template.Spec, templatePath
		w.serving = false
		owners = t.OwnerReferences
	case *batchv1.CronJob:
		w.meta, w.spec, w.path = &t.Spec.JobTemplate.Spec.Template.ObjectMeta, &t.Spec.JobTemplate.Spec.Template.Spec, cronJobTemplatePath
		w.serving = false
	default:
		return nil
	}
	for _, ref := range owners {
		if ref.Controller == nil || !*ref.Controller {
			continue
		}
		if inInput(objectKey{ref.Kind, w.ns, ref.Name}) {
			return nil // reported through its owner
		}
		if ref.Kind == "Job" || ref.Kind == "CronJob" {
			w.serving = false
		}
	}
	if hook, ok := o.Annotations[annotationHelmHook]; ok {
		w.serving = false
		w.testHook = strings.Contains(hook, "test")
	}
	return w
}

// The paths to pod templates, shared by every workload of a kind: at
// copies before appending.
var (
	templatePath        = []any{"spec", "template"}
	cronJobTemplatePath = []any{"spec", "jobTemplate", "spec", "template"}
)

func (w *workload) at(p ...any) []any { return append(slices.Clone(w.path), p...) }

// containerPorts lists every declared port: containers, then sidecar-style
// init containers (restartPolicy: Always), which serve ports too.
func (w *workload) containerPorts() []corev1.ContainerPort {
	if w.ports != nil {
		return *w.ports
	}
	ps := []corev1.ContainerPort{}
	defer func() { w.ports = &ps }()
	for _, ct := range w.spec.Containers {
		ps = append(ps, ct.Ports...)
	}
	for _, ct := range w.spec.InitContainers {
		if ct.RestartPolicy != nil && *ct.RestartPolicy == corev1.ContainerRestartPolicyAlways {
			ps = append(ps, ct.Ports...)
		}
	}
	return ps
}

// resolveTarget maps a targetPort to a number using w's ports; ok is false
// for a name w does not declare.
func (w *workload) resolveTarget(sp corev1.ServicePort) (int32, bool) {
	tp := targetOf(sp)
	if tp.Type == intstr.Int {
		return tp.IntVal, true
	}
	for _, p := range w.containerPorts() {
		if p.Name == tp.StrVal {
			return p.ContainerPort, true
		}
	}
	return 0, false
}

// targetOf is the effective targetPort: unset means the port number.
func targetOf(sp corev1.ServicePort) intstr.IntOrString {
	if sp.TargetPort.Type == intstr.String && sp.TargetPort.StrVal == "" ||
		sp.TargetPort.Type == intstr.Int && sp.TargetPort.IntVal == 0 {
		return intstr.FromInt32(sp.Port)
	}
	return sp.TargetPort
}

func (c *checker) checkService(s *service) {
	o := s.obj
	seen := map[string]bool{}
	for i, p := range s.svc.Spec.Ports {
		at := func(f ...any) int { return o.LineOf(append([]any{"spec", "ports", i}, f...)...) }
		desc := func() string { return portDesc(p) } // only when reporting

		// Kubernetes naming rules.
		switch {
		case p.Name == "" && len(s.svc.Spec.Ports) > 1:
			c.emit(o, RulePortNameInvalid, at(), fmt.Sprintf("Service port %d has no name; names are required when a Service has more than one port", p.Port))
		case p.Name != "" && len(c.names.dns1123Label(p.Name)) > 0:
			c.emit(o, RulePortNameInvalid, at("name"), fmt.Sprintf("Service port name %q is not a DNS label: %s", p.Name, strings.Join(c.names.dns1123Label(p.Name), "; ")))
		case p.Name != "" && seen[p.Name]:
			c.emit(o, RulePortNameInvalid, at("name"), fmt.Sprintf("Service port name %q is used twice; port names must be unique", p.Name))
		}
		seen[p.Name] = true
		if tp := p.TargetPort; tp.Type == intstr.String && tp.StrVal != "" {
			if errs := c.names.portName(tp.StrVal); len(errs) > 0 {
				c.emit(o, RulePortNameInvalid, at("targetPort"), fmt.Sprintf("targetPort %q of %s is not a valid port name: %s", tp.StrVal, desc(), strings.Join(errs, "; ")))
			}
		}

		// Protocol selection.
		res := ResolveProtocol(p)
		switch {
		case res.Protocol == ProtoUnsupported && p.AppProtocol != nil:
			kind := "is not a protocol Istio knows"
			if strings.Contains(*p.AppProtocol, "/") {
				kind = "is a domain-prefixed custom value Istio does not understand"
			}
			c.emit(o, RuleAppProtocolUnsupported, at("appProtocol"), fmt.Sprintf("%s: appProtocol %q %s; Istio will sniff the protocol", desc(), *p.AppProtocol, kind))
		case res.Protocol == ProtoUnsupported && p.Name == "":
			c.emit(o, RulePortProtocolUnknown, at(), fmt.Sprintf("%s has no name and no appProtocol; Istio cannot tell its protocol and will sniff it", desc()))
		case res.Protocol == ProtoUnsupported:
			hint := "the protocol must be the whole name or the part before the first '-' (http, http-web, grpc-api ...)"
			if pre, _, ok := strings.Cut(p.Name, "-"); ok {
				hint = fmt.Sprintf("its prefix %q (before the first '-') is not a protocol", pre)
			}
			c.emit(o, RulePortProtocolUnknown, at("name"), fmt.Sprintf("%s: name %q does not name a protocol Istio knows: %s; Istio will sniff it", desc(), p.Name, hint))
		case res.Protocol == ProtoMySQL || res.Protocol == ProtoRedis:
			c.emit(o, RuleProtocolExperimental, at(), fmt.Sprintf("%s resolves to %s, which Istio handles as plain TCP unless its experimental filter is enabled", desc(), res.Protocol))
		}

		// Reserved sidecar ports.
		if tp := targetOf(p); tp.Type == intstr.Int {
			if what, ok := ReservedPorts[tp.IntVal]; ok {
				c.emit(o, RuleReservedPort, at("targetPort"), fmt.Sprintf("%s targets port %d, which the sidecar uses (%s)", desc(), tp.IntVal, what))
			}
		}

		// Target ports against the selected containers.
		if len(s.workloads) == 0 {
			continue
		}
		tp := targetOf(p)
		declared := false
		for _, w := range s.workloads {
			for _, cp := range w.containerPorts() {
				if (tp.Type == intstr.String && cp.Name == tp.StrVal) || (tp.Type == intstr.Int && cp.ContainerPort == tp.IntVal) {
					declared = true
				}
			}
		}
		if !declared {
			if tp.Type == intstr.String {
				c.emit(o, RuleTargetPortNameUndeclared, at("targetPort"), fmt.Sprintf("%s: targetPort %q is not a port name declared by any container of %s; the port has no endpoints", desc(), tp.StrVal, workloadNames(s.workloads)))
			} else {
				c.emit(o, RuleTargetPortNumUndeclared, at(), fmt.Sprintf("%s: targetPort %d is not declared by any container of %s", desc(), tp.IntVal, workloadNames(s.workloads)))
			}
		}
	}
	if s.sel != nil && len(s.workloads) == 0 {
		c.emit(o, RuleServiceSelectsNothing, o.LineOf("spec", "selector"), fmt.Sprintf("Service %s selects %s, which matches no pod template in namespace %s", o.Name, labels.SelectorFromSet(s.sel).String(), s.ns))
	}
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
	o := w.obj
	if w.serving && len(w.services) == 0 {
		c.emit(o, RuleWorkloadWithoutService, o.LineOf(w.at("metadata", "labels")...),
			fmt.Sprintf("%s %s is selected by no Service in namespace %s (pod labels: %s)", o.Kind, o.Name, w.ns, labels.Set(w.meta.Labels).String()))
	}
	if w.serving {
		c.checkLabels(w)
	}
	c.checkInjection(w)
	c.checkSecurity(w)
	c.checkContainerPorts(w)
	c.checkPortConflicts(w)
}

func (c *checker) checkLabels(w *workload) {
	o, l := w.obj, w.meta.Labels
	line := func() int { return o.LineOf(w.at("metadata", "labels")...) } // only when reporting
	if l[labelCanonicalName] == "" && l[labelK8sName] == "" && l[labelApp] == "" {
		c.emit(o, RuleMissingAppLabel, line(), fmt.Sprintf("pod template of %s %s has no app, app.kubernetes.io/name or service.istio.io/canonical-name label; Istio telemetry cannot name the workload", o.Kind, o.Name))
	}
	if l[labelCanonicalRev] == "" && l[labelK8sVersion] == "" && l[labelVersion] == "" {
		c.emit(o, RuleMissingVersionLabel, line(), fmt.Sprintf("pod template of %s %s has no version, app.kubernetes.io/version or service.istio.io/canonical-revision label; versions cannot be told apart or split", o.Kind, o.Name))
	}
	app, okApp := l[labelApp]
	name, okName := l[labelK8sName]
	if okApp && okName && app != name {
		c.emit(o, RuleAppLabelMismatch, o.LineOf(w.at("metadata", "labels", labelApp)...), fmt.Sprintf("pod template of %s %s: app=%q but app.kubernetes.io/name=%q", o.Kind, o.Name, app, name))
	}
}

func (c *checker) checkInjection(w *workload) {
	o := w.obj
	w.optsIn, w.optsOut = podOptsIn(w.meta.Labels), podOptsOut(w.meta)
	if v, ok := w.meta.Annotations[labelInject]; ok {
		c.emit(o, RuleInjectAnnotation, o.LineOf(w.at("metadata", "annotations", labelInject)...),
			fmt.Sprintf("pod template of %s %s sets sidecar.istio.io/inject=%q as an annotation (deprecated)", o.Kind, o.Name, v))
	}
	if !w.serving || w.testHook {
		return // Jobs, CronJobs and hooks may opt out (a sidecar keeps them running)
	}
	for _, m := range []struct {
		where string
		vals  map[string]string
	}{{"labels", w.meta.Labels}, {"annotations", w.meta.Annotations}} {
		if v, ok := m.vals[labelInject]; ok && strings.EqualFold(v, "false") {
			c.emit(o, RuleInjectionDisabled, o.LineOf(w.at("metadata", m.where, labelInject)...),
				fmt.Sprintf("pod template of %s %s opts out of the mesh with sidecar.istio.io/inject=%q (%s)", o.Kind, o.Name, v, strings.TrimSuffix(m.where, "s")))
			return
		}
	}
}

func (c *checker) checkSecurity(w *workload) {
	o, spec := w.obj, w.spec
	// where is "pod securityContext", or a kind of container whose name
	// (empty ones too) is quoted after it, formatted only when reporting.
	check := func(sc interface{ uidGid() (*int64, *int64) }, where string, container *string, path ...any) {
		uid, gid := sc.uidGid()
		if (uid == nil || *uid != 1337) && (gid == nil || *gid != 1337) {
			return
		}
		if container != nil {
			where = fmt.Sprintf("%s %q", where, *container)
		}
		if uid != nil && *uid == 1337 {
			c.emit(o, RuleUID1337, o.LineOf(w.at(append(path, "runAsUser")...)...), fmt.Sprintf("%s of %s %s sets runAsUser: 1337, the sidecar's UID: its traffic bypasses the proxy", where, o.Kind, o.Name))
		}
		if gid != nil && *gid == 1337 {
			c.emit(o, RuleGID1337, o.LineOf(w.at(append(path, "runAsGroup")...)...), fmt.Sprintf("%s of %s %s sets runAsGroup: 1337, the sidecar's group: its traffic bypasses the proxy", where, o.Kind, o.Name))
		}
	}
	if spec.SecurityContext != nil {
		check(podSC{spec.SecurityContext}, "pod securityContext", nil, "spec", "securityContext")
	}
	for i, ct := range spec.InitContainers {
		if ct.SecurityContext != nil {
			check(ctSC{ct.SecurityContext}, "init container", &ct.Name, "spec", "initContainers", i, "securityContext")
		}
	}
	for i, ct := range spec.Containers {
		if ct.SecurityContext != nil {
			check(ctSC{ct.SecurityContext}, "container", &ct.Name, "spec", "containers", i, "securityContext")
		}
	}
	for i, ct := range spec.EphemeralContainers {
		if ct.SecurityContext != nil {
			check(ctSC{ct.SecurityContext}, "ephemeral container", &ct.Name, "spec", "ephemeralContainers", i, "securityContext")
		}
	}
}

type podSC struct{ *corev1.PodSecurityContext }

func (s podSC) uidGid() (*int64, *int64) { return s.RunAsUser, s.RunAsGroup }

type ctSC struct{ *corev1.SecurityContext }

func (s ctSC) uidGid() (*int64, *int64) { return s.RunAsUser, s.RunAsGroup }

func (c *checker) checkContainerPorts(w *workload) {
	o := w.obj
	for _, group := range []struct {
		field string
		cts   []corev1.Container
	}{{"initContainers", w.spec.InitContainers}, {"containers", w.spec.Containers}} {
		for i, ct := range group.cts {
			names := map[string]bool{}
			for j, p := range ct.Ports {
				at := func(f string) int { return o.LineOf(w.at("spec", group.field, i, "ports", j, f)...) }
				if what, ok := ReservedPorts[p.ContainerPort]; ok {
					c.emit(o, RuleReservedPort, at("containerPort"), fmt.Sprintf("container %q of %s %s declares port %d, which the sidecar uses (%s)", ct.Name, o.Kind, o.Name, p.ContainerPort, what))
				}
				if p.Name == "" {
					continue
				}
				if errs := c.names.portName(p.Name); len(errs) > 0 {
					c.emit(o, RulePortNameInvalid, at("name"), fmt.Sprintf("container %q of %s %s: port name %q is not a valid port name: %s", ct.Name, o.Kind, o.Name, p.Name, strings.Join(errs, "; ")))
				} else if names[p.Name] {
					c.emit(o, RulePortNameInvalid, at("name"), fmt.Sprintf("container %q of %s %s: port name %q is used twice", ct.Name, o.Kind, o.Name, p.Name))
				}
				names[p.Name] = true
			}
		}
	}
}

// checkPortConflicts compares the ports of all Services selecting w.
func (c *checker) checkPortConflicts(w *workload) {
	if len(w.services) < 2 {
		return // both rules compare Services with each other
	}
	o := w.obj
	type use struct {
		svc   string
		proto Protocol
		port  int32
	}
	byPort := map[int32][]use{}
	byTarget := map[string][]use{}
	var portOrder []int32
	var targetOrder []string
	for _, s := range w.services {
		for _, p := range s.svc.Spec.Ports {
			res := ResolveProtocol(p)
			if _, ok := byPort[p.Port]; !ok {
				portOrder = append(portOrder, p.Port)
			}
			byPort[p.Port] = append(byPort[p.Port], use{s.obj.Name, res.Protocol, p.Port})
			tp := targetOf(p)
			key := "name " + tp.String()
			if n, ok := w.resolveTarget(p); ok {
				key = strconv.Itoa(int(n))
			}
			if _, ok := byTarget[key]; !ok {
				targetOrder = append(targetOrder, key)
			}
			byTarget[key] = append(byTarget[key], use{s.obj.Name, res.Protocol, p.Port})
		}
	}
	line := o.LineOf(w.at("metadata", "labels")...)
	for _, port := range portOrder {
		uses := byPort[port]
		protos := map[Protocol]bool{}
		svcs := map[string]bool{}
		var parts []string
		for _, u := range uses {
			svcs[u.svc] = true
			if !protos[u.proto] {
				parts = append(parts, fmt.Sprintf("%s in Service %s", u.proto, u.svc))
			}
			protos[u.proto] = true
		}
		if len(protos) > 1 && len(svcs) > 1 {
			c.emit(o, RulePortProtocolConflict, line, fmt.Sprintf("%s %s is selected by Services using port %d with different protocols: %s", o.Kind, o.Name, port, strings.Join(parts, ", ")))
		}
	}
	for _, key := range targetOrder {
		uses := byTarget[key]
		ports := map[int32]bool{}
		svcs := map[string]bool{}
		var parts []string
		for _, u := range uses {
			svcs[u.svc] = true
			if !ports[u.port] {
				parts = append(parts, fmt.Sprintf("port %d in Service %s", u.port, u.svc))
			}
			ports[u.port] = true
		}
		// One Service may expose a target twice (http and http-alt); the
		// conflict is between Services, as in IST0137.
		if len(ports) > 1 && len(svcs) > 1 {
			c.emit(o, RuleTargetPortConflict, line, fmt.Sprintf("%s %s: target port %s is exposed under different Service ports: %s", o.Kind, o.Name, strings.TrimPrefix(key, "name "), strings.Join(parts, ", ")))
		}
	}
}

// injected says whether pods in a namespace with these labels get a sidecar.
func injected(nsLabels map[string]string) (bool, string) {
	inj, hasInj := nsLabels[labelInjection]
	rev, hasRev := nsLabels[labelRev]
	switch {
	case hasInj && inj == "enabled":
		return true, ""
	case hasInj:
		return false, fmt.Sprintf("istio-injection=%q (only \"enabled\" turns injection on)", inj)
	case hasRev && rev != "":
		return true, ""
	}
	return false, "neither istio-injection=enabled nor istio.io/rev"
}

func (c *checker) checkNamespaces(namespaces []*Object, workloads []*workload) {
	mesh := c.opts.Mesh == MeshOn
	if mesh {
		c.report.MeshReason = "--mesh"
	}
	for _, ns := range namespaces {
		_, hasInj := ns.Labels[labelInjection]
		_, hasRev := ns.Labels[labelRev]
		if hasInj && hasRev {
			c.emit(ns, RuleNamespaceInjectConflict, ns.LineOf("metadata", "labels"), fmt.Sprintf("Namespace %s has both istio-injection=%q and istio.io/rev=%q", ns.Name, ns.Labels[labelInjection], ns.Labels[labelRev]))
		}
		if (hasInj || hasRev) && c.opts.Mesh == MeshAuto && !mesh {
			mesh = true
			c.report.MeshReason = fmt.Sprintf("Namespace %s has an injection label", ns.Name)
		}
	}
	c.report.Mesh = mesh
	if !mesh {
		c.report.MeshReason = ""
		return
	}
	byName := map[string]*Object{}
	for _, ns := range namespaces {
		if _, dup := byName[ns.Name]; !dup {
			byName[ns.Name] = ns
		}
	}
	type nsUse struct {
		first *Object
		ws    []*workload // named only if a finding needs them
	}
	uses := map[string]*nsUse{}
	var order []string
	for _, w := range workloads {
		if w.testHook {
			continue // test pods stay out of the mesh on purpose
		}
		if w.optsIn && (byName[w.ns] == nil || byName[w.ns].Labels[labelInjection] != "disabled") {
			continue // a pod-level opt-in is injected unless the namespace is disabled
		}
		if w.optsOut && w.serving {
			continue // reported by MC064
		}
		u := uses[w.ns]
		if u == nil {
			u = &nsUse{first: w.obj}
			uses[w.ns] = u
			order = append(order, w.ns)
		}
		u.ws = append(u.ws, w)
	}
	for _, name := range order {
		u := uses[name]
		ns, ok := byName[name]
		if !ok {
			c.emit(u.first, RuleNamespaceNotInInput, 0, fmt.Sprintf("namespace %s of %s is not in the input; its injection labels cannot be checked", name, workloadNames(u.ws)))
			continue
		}
		if ok, why := injected(ns.Labels); !ok {
			c.emit(ns, RuleNamespaceNotInjected, ns.LineOf("metadata", "labels"), fmt.Sprintf("Namespace %s has %s, so its workloads (%s) get no sidecar", name, why, workloadNames(u.ws)))
		}
	}
}

// podOptsIn: a pod label that asks the default (or a revision's) injector
// for a sidecar whatever the namespace says (unless it is disabled).
func podOptsIn(l map[string]string) bool {
	return strings.EqualFold(l[labelInject], "true") || l[labelRev] != ""
}

func podOptsOut(m *metav1.ObjectMeta) bool {
	return strings.EqualFold(m.Labels[labelInject], "false") || strings.EqualFold(m.Annotations[labelInject], "false")
}
