package chart_test

import (
	"bytes"
	"maps"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"

	"helm.sh/helm/v3/pkg/action"
	"helm.sh/helm/v3/pkg/chartutil"
	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/asm-ready/asm-ready/tools/internal/render"
)

// fullValues switches every optional feature on, roughly what the GKE
// overlay uses.
const fullValues = `
commonLabels: {team: mesh}
helloserver:
  versions:
    - {name: v1, replicas: 2, weight: 90}
    - {name: v2, replicas: 1, tag: "0.2.0", weight: 10}
  pdb: {enabled: true}
  hpa: {enabled: true}
  topologySpread: {enabled: true}
  extraEnv: {LOG_HEADERS: "false", LOG_PROBES: "true"}
  podLabels: {tier: web}
networkPolicy: {enabled: true, meshControlPlane: managed}
mesh: {enabled: true}
`

func TestDefaultRender(t *testing.T) {
	res := renderValues(t, ``)
	objs := decode(t, res.Manifest)

	want := []string{
		"PodDisruptionBudget/helloserver",
		"ServiceAccount/helloserver", "ServiceAccount/loadgenerator",
		"Service/hellosvc", "Service/loadgensvc",
		"Deployment/helloserver", "Deployment/loadgenerator",
	}
	if got := objs.kindNames(); !slices.Equal(got, want) {
		t.Fatalf("default render objects = %v, want %v", got, want)
	}

	hs := objs.service(t, "hellosvc")
	if hs.Spec.Type != corev1.ServiceTypeLoadBalancer {
		t.Errorf("hellosvc type = %s, want LoadBalancer (the tutorial's)", hs.Spec.Type)
	}
	lgs := objs.service(t, "loadgensvc")
	if lgs.Spec.Type != corev1.ServiceTypeClusterIP {
		t.Errorf("loadgensvc type = %s, want ClusterIP", lgs.Spec.Type)
	}
	for _, s := range []*corev1.Service{hs, lgs} {
		if len(s.Spec.Ports) != 1 {
			t.Fatalf("Service %s ports = %v, want one", s.Name, s.Spec.Ports)
		}
		p := s.Spec.Ports[0]
		if p.Name != "http" || p.Port != 80 || p.TargetPort.StrVal != "http" || p.AppProtocol == nil || *p.AppProtocol != "http" || p.Protocol != corev1.ProtocolTCP {
			t.Errorf("Service %s port = %+v, want http 80 -> targetPort http, appProtocol http", s.Name, p)
		}
		wantSel := map[string]string{"app.kubernetes.io/name": s.Labels["app.kubernetes.io/name"], "app.kubernetes.io/instance": "asm-ready"}
		if !maps.Equal(s.Spec.Selector, wantSel) {
			t.Errorf("Service %s selector = %v, want only %v", s.Name, s.Spec.Selector, wantSel)
		}
	}

	for _, tc := range []struct {
		name, app, component, image string
		replicas, port              int32
		env                         map[string]string
	}{
		// Two helloserver replicas: a pod deleted or evicted drains while the other serves.
		{"helloserver", "helloserver", "server", "ghcr.io/asm-ready/helloserver:0.1.0", 2, 8080, map[string]string{"PORT": "8080", "SERVICE_VERSION": "v1", "TERMINATION_GRACE_PERIOD": "5s", "LOG_FORMAT": "json", "LOG_LEVEL": "info"}},
		// 8081: loadgen's default PORT and its image's EXPOSE.
		{"loadgenerator", "loadgenerator", "loadgen", "ghcr.io/asm-ready/loadgen:0.1.0", 1, 8081, map[string]string{"PORT": "8081", "SERVER_ADDR": "http://hellosvc:80/", "REQUESTS_PER_SECOND": "10", "LOG_FORMAT": "json", "LOG_LEVEL": "info"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := objs.deployment(t, tc.name)
			if d.Spec.Replicas == nil || *d.Spec.Replicas != tc.replicas {
				t.Errorf("replicas = %v, want %d", d.Spec.Replicas, tc.replicas)
			}
			for k, v := range map[string]string{
				"app.kubernetes.io/name": tc.app, "app.kubernetes.io/instance": "asm-ready",
				"app.kubernetes.io/version": "0.1.0", "app.kubernetes.io/component": tc.component,
				"app.kubernetes.io/part-of": "asm-ready", "app.kubernetes.io/managed-by": "Helm",
				"helm.sh/chart": "asm-ready-0.1.0", "app": tc.app,
			} {
				if d.Labels[k] != v {
					t.Errorf("Deployment label %s = %q, want %q", k, d.Labels[k], v)
				}
			}
			pl := d.Spec.Template.Labels
			for k, v := range map[string]string{
				"app": tc.app, "version": "v1", "app.kubernetes.io/name": tc.app,
				"service.istio.io/canonical-name": tc.app, "service.istio.io/canonical-revision": "v1",
				"app.kubernetes.io/instance": "asm-ready", "app.kubernetes.io/component": tc.component,
				"app.kubernetes.io/part-of": "asm-ready",
			} {
				if pl[k] != v {
					t.Errorf("pod label %s = %q, want %q", k, pl[k], v)
				}
			}
			for k := range d.Spec.Selector.MatchLabels {
				if k == "helm.sh/chart" || k == "app.kubernetes.io/version" {
					t.Errorf("selector holds unstable label %s", k)
				}
			}
			ps := d.Spec.Template.Spec
			if ps.TerminationGracePeriodSeconds == nil || *ps.TerminationGracePeriodSeconds != 5 {
				t.Errorf("terminationGracePeriodSeconds = %v, want 5", ps.TerminationGracePeriodSeconds)
			}
			if ps.ServiceAccountName != tc.name {
				t.Errorf("serviceAccountName = %q, want %q (one per workload)", ps.ServiceAccountName, tc.name)
			}
			if ps.AutomountServiceAccountToken == nil || *ps.AutomountServiceAccountToken {
				t.Error("automountServiceAccountToken must be false")
			}
			if len(ps.Containers) != 1 {
				t.Fatalf("containers = %d, want 1", len(ps.Containers))
			}
			c := ps.Containers[0]
			if c.Name != "main" || c.Image != tc.image || c.ImagePullPolicy != corev1.PullIfNotPresent {
				t.Errorf("container = %s %s %s, want main %s IfNotPresent", c.Name, c.Image, c.ImagePullPolicy, tc.image)
			}
			if len(c.Ports) != 1 || c.Ports[0].Name != "http" || c.Ports[0].ContainerPort != tc.port {
				t.Errorf("container ports = %+v, want http %d", c.Ports, tc.port)
			}
			for k, v := range tc.env {
				if got, ok := envValue(c, k); !ok || got != v {
					t.Errorf("env %s = %q (set %v), want %q", k, got, ok, v)
				}
			}
			checkProbes(t, c)
			checkResources(t, c)
			checkRestricted(t, tc.name, ps)
		})
	}
	hsC := objs.deployment(t, "helloserver").Spec.Template.Spec.Containers[0]
	var podName bool
	for _, e := range hsC.Env {
		if e.Name == "POD_NAME" && e.ValueFrom != nil && e.ValueFrom.FieldRef != nil && e.ValueFrom.FieldRef.FieldPath == "metadata.name" {
			podName = true
		}
	}
	if !podName {
		t.Error("helloserver POD_NAME must come from the downward API (metadata.name)")
	}
	for _, sa := range objs.ofKind("ServiceAccount") {
		if a := sa.(*corev1.ServiceAccount).AutomountServiceAccountToken; a == nil || *a {
			t.Errorf("ServiceAccount %s must not automount its token", nameOf(sa))
		}
	}
	// The budget keeps one of the two helloservers serving through a node drain.
	pdb := objs.ofKind("PodDisruptionBudget")[0].(*policyv1.PodDisruptionBudget)
	if pdb.Spec.MinAvailable == nil || pdb.Spec.MinAvailable.IntValue() != 1 || !maps.Equal(pdb.Spec.Selector.MatchLabels, hs.Spec.Selector) {
		t.Errorf("PodDisruptionBudget = minAvailable %v over %v, want 1 over hellosvc's pods %v", pdb.Spec.MinAvailable, pdb.Spec.Selector.MatchLabels, hs.Spec.Selector)
	}
}

func checkProbes(t *testing.T, c corev1.Container) {
	t.Helper()
	for name, want := range map[string]struct {
		p    *corev1.Probe
		path string
	}{"startup": {c.StartupProbe, "/healthz"}, "readiness": {c.ReadinessProbe, "/readyz"}, "liveness": {c.LivenessProbe, "/healthz"}} {
		if want.p == nil || want.p.HTTPGet == nil {
			t.Errorf("%s probe missing or not HTTP", name)
			continue
		}
		if want.p.HTTPGet.Path != want.path || want.p.HTTPGet.Port.StrVal != "http" {
			t.Errorf("%s probe = %s on %s, want %s on the named port http", name, want.p.HTTPGet.Path, want.p.HTTPGet.Port.String(), want.path)
		}
	}
	if c.ReadinessProbe != nil && c.LivenessProbe != nil && reflect.DeepEqual(c.ReadinessProbe, c.LivenessProbe) {
		t.Error("readiness and liveness probes must differ")
	}
}

func checkResources(t *testing.T, c corev1.Container) {
	t.Helper()
	for _, rl := range []corev1.ResourceList{c.Resources.Requests, c.Resources.Limits} {
		for _, r := range []corev1.ResourceName{corev1.ResourceCPU, corev1.ResourceMemory, corev1.ResourceEphemeralStorage} {
			if q, ok := rl[r]; !ok || q.Cmp(resource.Quantity{}) <= 0 {
				t.Errorf("container %s: %s missing from requests or limits", c.Name, r)
			}
		}
	}
}

// checkRestricted asserts Pod Security "restricted" and the chart's extras.
func checkRestricted(t *testing.T, what string, ps corev1.PodSpec) {
	t.Helper()
	for _, p := range restrictedProblems(ps) {
		t.Errorf("%s: %s", what, p)
	}
}

func restrictedProblems(ps corev1.PodSpec) []string {
	var out []string
	sc := ps.SecurityContext
	if sc == nil || sc.RunAsNonRoot == nil || !*sc.RunAsNonRoot {
		out = append(out, "pod runAsNonRoot is not true")
	}
	if sc == nil || sc.SeccompProfile == nil || sc.SeccompProfile.Type != corev1.SeccompProfileTypeRuntimeDefault {
		out = append(out, "pod seccompProfile is not RuntimeDefault")
	}
	if sc != nil && sc.RunAsUser != nil && (*sc.RunAsUser == 0 || *sc.RunAsUser == 1337) {
		out = append(out, "pod runAsUser is 0 or 1337")
	}
	if sc == nil || sc.RunAsUser == nil || *sc.RunAsUser != 65532 || sc.RunAsGroup == nil || *sc.RunAsGroup != 65532 {
		out = append(out, "pod runAsUser/runAsGroup are not 65532")
	}
	for _, c := range ps.Containers {
		cs := c.SecurityContext
		switch {
		case cs == nil:
			out = append(out, "container "+c.Name+" has no securityContext")
			continue
		case cs.AllowPrivilegeEscalation == nil || *cs.AllowPrivilegeEscalation:
			out = append(out, "container "+c.Name+" allows privilege escalation")
		case cs.ReadOnlyRootFilesystem == nil || !*cs.ReadOnlyRootFilesystem:
			out = append(out, "container "+c.Name+" root filesystem is writable")
		case cs.Capabilities == nil || !slices.Equal(cs.Capabilities.Drop, []corev1.Capability{"ALL"}) || len(cs.Capabilities.Add) > 0:
			out = append(out, "container "+c.Name+" does not drop ALL capabilities")
		case cs.RunAsUser != nil && (*cs.RunAsUser == 0 || *cs.RunAsUser == 1337):
			out = append(out, "container "+c.Name+" runs as 0 or 1337")
		}
	}
	return out
}

func TestRestrictedCheckCanFail(t *testing.T) {
	d := decode(t, renderValues(t, ``).Manifest).deployment(t, "helloserver")
	ps := d.Spec.Template.Spec.DeepCopy()
	yes, uid := true, int64(1337)
	ps.Containers[0].SecurityContext.AllowPrivilegeEscalation = &yes
	ps.SecurityContext.RunAsUser = &uid
	ps.SecurityContext.SeccompProfile = nil
	got := strings.Join(restrictedProblems(*ps), "; ")
	for _, want := range []string{"privilege escalation", "0 or 1337", "RuntimeDefault"} {
		if !strings.Contains(got, want) {
			t.Errorf("restrictedProblems = %q, want it to mention %q", got, want)
		}
	}
}

func TestServerAddr(t *testing.T) {
	for _, tc := range []struct {
		values, svc, want string
	}{
		{``, "hellosvc", "http://hellosvc:80/"},
		{`{namePrefix: canary-}`, "canary-hellosvc", "http://canary-hellosvc:80/"},
		{`{helloserver: {service: {name: front, port: 8081}}}`, "front", "http://front:8081/"},
	} {
		t.Run(tc.want, func(t *testing.T) {
			res := renderValues(t, tc.values)
			objs := decode(t, res.Manifest)
			svc := objs.service(t, tc.svc)
			var lg *appsv1.Deployment
			for _, d := range objs.deployments() {
				if d.Labels["app.kubernetes.io/component"] == "loadgen" {
					lg = d
				}
			}
			if lg == nil {
				t.Fatalf("no loadgen Deployment in %v", objs.kindNames())
			}
			got, _ := envValue(lg.Spec.Template.Spec.Containers[0], "SERVER_ADDR")
			if got != tc.want {
				t.Errorf("SERVER_ADDR = %q, want %q", got, tc.want)
			}
			if derived := "http://" + svc.Name + ":" + itoa(svc.Spec.Ports[0].Port) + "/"; got != derived {
				t.Errorf("SERVER_ADDR %q does not match the rendered Service %q", got, derived)
			}
			pod := testPod(t, res)
			if v, _ := envValue(pod.Spec.Containers[0], "SERVER_ADDR"); v != tc.want {
				t.Errorf("test pod SERVER_ADDR = %q, want %q", v, tc.want)
			}
		})
	}
}

func itoa(i int32) string { return strconv.Itoa(int(i)) }

func TestMultiVersion(t *testing.T) {
	def := decode(t, renderValues(t, ``).Manifest)
	objs := decode(t, renderValues(t, `{helloserver: {versions: [{name: v1, replicas: 2}, {name: v2, replicas: 3, tag: "0.2.0"}]}}`).Manifest)
	if got := len(objs.services()); got != 2 {
		t.Fatalf("Services = %d, want 2 (one hellosvc for every version)", got)
	}
	if !maps.Equal(objs.service(t, "hellosvc").Spec.Selector, def.service(t, "hellosvc").Spec.Selector) {
		t.Errorf("hellosvc selector changed with versions: %v", objs.service(t, "hellosvc").Spec.Selector)
	}
	for _, tc := range []struct {
		deploy, version, image string
		replicas               int32
	}{
		{"helloserver", "v1", "ghcr.io/asm-ready/helloserver:0.1.0", 2},
		{"helloserver-v2", "v2", "ghcr.io/asm-ready/helloserver:0.2.0", 3},
	} {
		d := objs.deployment(t, tc.deploy)
		c := d.Spec.Template.Spec.Containers[0]
		if d.Spec.Template.Labels["version"] != tc.version || d.Spec.Template.Labels["service.istio.io/canonical-revision"] != tc.version {
			t.Errorf("%s version labels = %v, want %s", tc.deploy, d.Spec.Template.Labels, tc.version)
		}
		if v, _ := envValue(c, "SERVICE_VERSION"); v != tc.version {
			t.Errorf("%s SERVICE_VERSION = %q, want %q", tc.deploy, v, tc.version)
		}
		if c.Image != tc.image || *d.Spec.Replicas != tc.replicas {
			t.Errorf("%s = %s x%d, want %s x%d", tc.deploy, c.Image, *d.Spec.Replicas, tc.image, tc.replicas)
		}
		if d.Spec.Selector.MatchLabels["version"] != tc.version {
			t.Errorf("%s selector %v must keep its own version's pods apart", tc.deploy, d.Spec.Selector.MatchLabels)
		}
	}
	if !maps.Equal(objs.deployment(t, "helloserver").Spec.Selector.MatchLabels, def.deployment(t, "helloserver").Spec.Selector.MatchLabels) {
		t.Error("adding a version changed the helloserver Deployment's (immutable) selector")
	}
	// The Deployment name follows the version, not the list position.
	swapped := decode(t, renderValues(t, `{helloserver: {versions: [{name: v2}, {name: v1}]}}`).Manifest)
	if swapped.deployment(t, "helloserver").Spec.Selector.MatchLabels["version"] != "v1" {
		t.Error("reordering versions moved v1 off the helloserver Deployment")
	}
}

func TestOptionalSwitches(t *testing.T) {
	// optional lists every kind that only a switch may create (the
	// PodDisruptionBudget's switch is on by default).
	optional := []string{"PodDisruptionBudget", "HorizontalPodAutoscaler", "NetworkPolicy", "PeerAuthentication", "AuthorizationPolicy", "DestinationRule", "VirtualService"}
	cases := []struct {
		name   string
		values string
		want   []string // Kind/name present (all other optional kinds absent)
		check  func(t *testing.T, o objects)
	}{
		{"all off", `{helloserver: {pdb: {enabled: false}}}`, nil, func(t *testing.T, o objects) {
			for _, d := range o.deployments() {
				if len(d.Spec.Template.Spec.TopologySpreadConstraints) > 0 {
					t.Errorf("%s has topology spread while off", d.Name)
				}
			}
		}},
		{"pdb", `{helloserver: {pdb: {enabled: true, minAvailable: "50%"}}}`, []string{"PodDisruptionBudget/helloserver"}, func(t *testing.T, o objects) {
			p := o.ofKind("PodDisruptionBudget")[0].(*policyv1.PodDisruptionBudget)
			if p.Spec.MinAvailable == nil || p.Spec.MinAvailable.String() != "50%" {
				t.Errorf("minAvailable = %v, want 50%%", p.Spec.MinAvailable)
			}
			if !maps.Equal(p.Spec.Selector.MatchLabels, o.service(t, "hellosvc").Spec.Selector) {
				t.Errorf("PDB selector %v should cover every version, as hellosvc does", p.Spec.Selector.MatchLabels)
			}
		}},
		{"hpa", `{helloserver: {hpa: {enabled: true, minReplicas: 2, maxReplicas: 7}, versions: [{name: v1}, {name: v2}]}}`, []string{"HorizontalPodAutoscaler/helloserver", "HorizontalPodAutoscaler/helloserver-v2", "PodDisruptionBudget/helloserver"}, func(t *testing.T, o objects) {
			for _, obj := range o.ofKind("HorizontalPodAutoscaler") {
				h := obj.(*autoscalingv2.HorizontalPodAutoscaler)
				if h.Spec.ScaleTargetRef.Name != h.Name || h.Spec.ScaleTargetRef.Kind != "Deployment" || *h.Spec.MinReplicas != 2 || h.Spec.MaxReplicas != 7 {
					t.Errorf("HPA %s = %+v", h.Name, h.Spec)
				}
				if *h.Spec.Metrics[0].Resource.Target.AverageUtilization != 80 {
					t.Errorf("HPA %s target = %v, want 80", h.Name, *h.Spec.Metrics[0].Resource.Target.AverageUtilization)
				}
			}
			for _, d := range o.deployments() {
				if d.Labels["app.kubernetes.io/component"] == "server" && d.Spec.Replicas != nil {
					t.Errorf("%s sets replicas %d under an HPA; the HPA must own it", d.Name, *d.Spec.Replicas)
				}
			}
		}},
		{"topology spread", `{helloserver: {topologySpread: {enabled: true}}}`, []string{"PodDisruptionBudget/helloserver"}, func(t *testing.T, o objects) {
			tsc := o.deployment(t, "helloserver").Spec.Template.Spec.TopologySpreadConstraints
			if len(tsc) != 2 || tsc[0].TopologyKey != "topology.kubernetes.io/zone" || tsc[1].TopologyKey != "kubernetes.io/hostname" {
				t.Fatalf("topologySpreadConstraints = %+v", tsc)
			}
			if tsc[0].WhenUnsatisfiable != corev1.ScheduleAnyway || tsc[0].MaxSkew != 1 || tsc[0].LabelSelector.MatchLabels["version"] != "v1" {
				t.Errorf("constraint = %+v", tsc[0])
			}
		}},
		{"network policy", `{networkPolicy: {enabled: true, helloserverIngressFrom: loadgen}}`, []string{"NetworkPolicy/default-deny", "NetworkPolicy/helloserver", "NetworkPolicy/loadgenerator", "NetworkPolicy/helloserver-test", "PodDisruptionBudget/helloserver"}, func(t *testing.T, o objects) {
			nps := map[string]*networkingv1.NetworkPolicy{}
			for _, obj := range o.ofKind("NetworkPolicy") {
				np := obj.(*networkingv1.NetworkPolicy)
				nps[np.Name] = np
				if len(np.Spec.PolicyTypes) != 2 {
					t.Errorf("%s policyTypes = %v, want Ingress and Egress", np.Name, np.Spec.PolicyTypes)
				}
			}
			if dd := nps["default-deny"]; len(dd.Spec.Ingress) != 0 || len(dd.Spec.Egress) != 0 {
				t.Errorf("default-deny allows something: %+v", dd.Spec)
			}
			hs := nps["helloserver"]
			if len(hs.Spec.Ingress) != 1 || hs.Spec.Ingress[0].Ports[0].Port.StrVal != "http" || len(hs.Spec.Ingress[0].From) == 0 ||
				hs.Spec.Ingress[0].From[0].PodSelector.MatchLabels["app.kubernetes.io/name"] != "loadgenerator" {
				t.Errorf("helloserver ingress = %+v, want http from loadgen pods", hs.Spec.Ingress)
			}
			lg := nps["loadgenerator"]
			if len(lg.Spec.Ingress) != 0 {
				t.Errorf("loadgenerator ingress = %+v, want none", lg.Spec.Ingress)
			}
			if to := lg.Spec.Egress[0]; to.To[0].PodSelector.MatchLabels["app.kubernetes.io/name"] != "helloserver" || to.Ports[0].Port.IntVal != 8080 {
				t.Errorf("loadgen egress[0] = %+v, want helloserver:8080", to)
			}
			dns := lg.Spec.Egress[1]
			if dns.To[0].NamespaceSelector.MatchLabels["kubernetes.io/metadata.name"] != "kube-system" || dns.To[0].PodSelector.MatchLabels["k8s-app"] != "kube-dns" ||
				len(dns.Ports) != 2 || dns.Ports[0].Port.IntVal != 53 || *dns.Ports[0].Protocol != corev1.ProtocolUDP || *dns.Ports[1].Protocol != corev1.ProtocolTCP {
				t.Errorf("DNS egress = %+v, want kube-dns UDP+TCP 53", dns)
			}
		}},
		{"network policy open ingress", `{networkPolicy: {enabled: true}}`, []string{"NetworkPolicy/default-deny", "NetworkPolicy/helloserver", "NetworkPolicy/loadgenerator", "NetworkPolicy/helloserver-test", "PodDisruptionBudget/helloserver"}, func(t *testing.T, o objects) {
			for _, obj := range o.ofKind("NetworkPolicy") {
				if np := obj.(*networkingv1.NetworkPolicy); np.Name == "helloserver" && len(np.Spec.Ingress[0].From) != 0 {
					t.Errorf("helloserverIngressFrom=all must allow any source, got %+v", np.Spec.Ingress[0].From)
				}
			}
		}},
		{"mesh", `{mesh: {enabled: true}}`, []string{"PeerAuthentication/asm-ready", "AuthorizationPolicy/helloserver", "DestinationRule/hellosvc", "VirtualService/hellosvc", "PodDisruptionBudget/helloserver"}, func(t *testing.T, o objects) {
			pa := o.unstructured(t, "PeerAuthentication", "asm-ready")
			if pa.GetAPIVersion() != "security.istio.io/v1" || str(pa, "spec", "mtls", "mode") != "STRICT" {
				t.Errorf("PeerAuthentication = %v", pa.Object)
			}
			ap := o.unstructured(t, "AuthorizationPolicy", "helloserver")
			rules, _, _ := unstructured.NestedSlice(ap.Object, "spec", "rules")
			from := rules[0].(map[string]any)["from"].([]any)[0].(map[string]any)["source"].(map[string]any)["principals"].([]any)
			if ap.GetAPIVersion() != "security.istio.io/v1" || str(ap, "spec", "action") != "ALLOW" || len(from) != 1 || from[0] != "cluster.local/ns/asm-ready/sa/loadgenerator" {
				t.Errorf("AuthorizationPolicy principals = %v, want only loadgen's", from)
			}
			dr := o.unstructured(t, "DestinationRule", "hellosvc")
			subsets, _, _ := unstructured.NestedSlice(dr.Object, "spec", "subsets")
			if dr.GetAPIVersion() != "networking.istio.io/v1" || str(dr, "spec", "host") != "hellosvc" || len(subsets) != 1 {
				t.Errorf("DestinationRule = %v", dr.Object)
			}
			vs := o.unstructured(t, "VirtualService", "hellosvc")
			if w := vsWeights(t, vs); !maps.Equal(w, map[string]int64{"v1": 100}) {
				t.Errorf("VirtualService weights = %v, want v1=100", w)
			}
		}},
		{"mesh split", `{mesh: {enabled: true}, helloserver: {versions: [{name: v1, weight: 90}, {name: v2, weight: 10}]}}`, []string{"PeerAuthentication/asm-ready", "AuthorizationPolicy/helloserver", "DestinationRule/hellosvc", "VirtualService/hellosvc", "PodDisruptionBudget/helloserver"}, func(t *testing.T, o objects) {
			if w := vsWeights(t, o.unstructured(t, "VirtualService", "hellosvc")); !maps.Equal(w, map[string]int64{"v1": 90, "v2": 10}) {
				t.Errorf("VirtualService weights = %v, want v1=90 v2=10", w)
			}
			subsets, _, _ := unstructured.NestedSlice(o.unstructured(t, "DestinationRule", "hellosvc").Object, "spec", "subsets")
			if len(subsets) != 2 {
				t.Errorf("DestinationRule subsets = %v, want v1 and v2", subsets)
			}
		}},
		{"mesh without peer authentication", `{mesh: {enabled: true, peerAuthentication: {enabled: false}}}`, []string{"AuthorizationPolicy/helloserver", "DestinationRule/hellosvc", "VirtualService/hellosvc", "PodDisruptionBudget/helloserver"}, nil},
		{"mesh without authorization policy", `{mesh: {enabled: true, authorizationPolicy: {enabled: false}}}`, []string{"PeerAuthentication/asm-ready", "DestinationRule/hellosvc", "VirtualService/hellosvc", "PodDisruptionBudget/helloserver"}, nil},
		{"mesh without routing", `{mesh: {enabled: true, destinationRule: {enabled: false}, virtualService: {enabled: false}}}`, []string{"PeerAuthentication/asm-ready", "AuthorizationPolicy/helloserver", "PodDisruptionBudget/helloserver"}, nil},
		{"mesh switches on but master off", `{mesh: {enabled: false, peerAuthentication: {enabled: true}}}`, []string{"PodDisruptionBudget/helloserver"}, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			o := decode(t, renderValues(t, tc.values).Manifest)
			var got []string
			for _, kn := range o.kindNames() {
				if slices.Contains(optional, strings.SplitN(kn, "/", 2)[0]) {
					got = append(got, kn)
				}
			}
			slices.Sort(got)
			want := slices.Clone(tc.want)
			slices.Sort(want)
			if !slices.Equal(got, want) {
				t.Errorf("optional objects = %v, want %v", got, want)
			}
			if tc.check != nil {
				tc.check(t, o)
			}
		})
	}
}

func str(u *unstructured.Unstructured, path ...string) string {
	s, _, _ := unstructured.NestedString(u.Object, path...)
	return s
}

func vsWeights(t *testing.T, vs *unstructured.Unstructured) map[string]int64 {
	t.Helper()
	http, _, _ := unstructured.NestedSlice(vs.Object, "spec", "http")
	if len(http) != 1 {
		t.Fatalf("VirtualService http = %v", http)
	}
	out := map[string]int64{}
	for _, r := range http[0].(map[string]any)["route"].([]any) {
		m := r.(map[string]any)
		sub, _, _ := unstructured.NestedString(m, "destination", "subset")
		// sigs.k8s.io/yaml decodes numbers as float64.
		w, ok := m["weight"].(float64)
		if !ok {
			t.Fatalf("route %v has no numeric weight", m)
		}
		out[sub] = int64(w)
	}
	return out
}

func testPod(t *testing.T, res *render.Result) *corev1.Pod {
	t.Helper()
	if len(res.Hooks) != 1 {
		t.Fatalf("hooks = %d, want the one test pod", len(res.Hooks))
	}
	objs := decode(t, res.Hooks[0].Manifest)
	if len(objs.all) != 1 {
		t.Fatalf("hook objects = %v", objs.kindNames())
	}
	pod, ok := objs.all[0].(*corev1.Pod)
	if !ok {
		t.Fatalf("hook is %s, want a Pod", kindOf(objs.all[0]))
	}
	return pod
}

func TestHelmTestPod(t *testing.T) {
	res := renderValues(t, ``)
	if strings.Contains(res.Manifest, "helm.sh/hook") {
		t.Error("the manifest (what make render commits) contains a hook")
	}
	pod := testPod(t, res)
	if pod.Name != "helloserver-test" {
		t.Errorf("test pod name = %q, want the fixed helloserver-test", pod.Name)
	}
	// Never hook-succeeded: Helm would delete the pod of a passing test
	// before `helm test --logs` reads its log, and the command would fail.
	if pod.Annotations["helm.sh/hook"] != "test" || pod.Annotations["helm.sh/hook-delete-policy"] != "before-hook-creation" {
		t.Errorf("hook annotations = %v, want hook test with delete policy before-hook-creation only", pod.Annotations)
	}
	if pod.Labels["sidecar.istio.io/inject"] != "false" {
		t.Errorf("sidecar.istio.io/inject = %q, want \"false\"", pod.Labels["sidecar.istio.io/inject"])
	}
	if pod.Spec.ServiceAccountName != "loadgenerator" || pod.Spec.AutomountServiceAccountToken == nil || *pod.Spec.AutomountServiceAccountToken {
		t.Errorf("test pod runs as %q (automount %v), want loadgen's account without a token", pod.Spec.ServiceAccountName, pod.Spec.AutomountServiceAccountToken)
	}
	if inject := testPod(t, renderValues(t, `{tests: {sidecarInject: true}}`)).Labels["sidecar.istio.io/inject"]; inject != "true" {
		t.Errorf("tests.sidecarInject=true gives inject label %q", inject)
	}
	if pod.Spec.RestartPolicy != corev1.RestartPolicyNever {
		t.Errorf("restartPolicy = %s, want Never", pod.Spec.RestartPolicy)
	}
	c := pod.Spec.Containers[0]
	if c.Image != "ghcr.io/asm-ready/loadgen:0.1.0" || !slices.Equal(c.Args, []string{"check"}) {
		t.Errorf("test container = %s %v, want the loadgen image with args [check]", c.Image, c.Args)
	}
	if v, _ := envValue(c, "EXPECT_BODY"); v != "Hello World!" {
		t.Errorf("EXPECT_BODY = %q", v)
	}
	checkRestricted(t, "test pod", pod.Spec)
	checkResources(t, c)
}

func TestRestrictedEverywhere(t *testing.T) {
	for name, values := range map[string]string{"defaults": ``, "full": fullValues} {
		res := renderValues(t, values)
		for _, d := range decode(t, res.Manifest).deployments() {
			checkRestricted(t, name+" "+d.Name, d.Spec.Template.Spec)
			for _, c := range d.Spec.Template.Spec.Containers {
				checkResources(t, c)
			}
		}
	}
}

func TestCommonAndPodLabels(t *testing.T) {
	o := decode(t, renderValues(t, fullValues).Manifest)
	for _, obj := range o.all {
		m := obj.(interface{ GetLabels() map[string]string })
		if m.GetLabels()["team"] != "mesh" {
			t.Errorf("%s/%s lacks commonLabels", kindOf(obj), nameOf(obj))
		}
	}
	for _, d := range o.deployments() {
		if d.Labels["app.kubernetes.io/component"] == "server" && d.Spec.Template.Labels["tier"] != "web" {
			t.Errorf("%s pod template lacks podLabels", d.Name)
		}
	}
}

func TestImageDigestAndRegistry(t *testing.T) {
	digest := "sha256:" + strings.Repeat("ab", 32)
	o := decode(t, renderValues(t, `{global: {imageRegistry: ""}, helloserver: {image: {repository: example.com/team/hs, digest: `+digest+`}}, loadgen: {image: {registry: "registry.local:5000", tag: "dev"}}}`).Manifest)
	if got := o.deployment(t, "helloserver").Spec.Template.Spec.Containers[0].Image; got != "example.com/team/hs:0.1.0@"+digest {
		t.Errorf("helloserver image = %s", got)
	}
	if got := o.deployment(t, "loadgenerator").Spec.Template.Spec.Containers[0].Image; got != "registry.local:5000/loadgen:dev" {
		t.Errorf("loadgen image = %s", got)
	}
}

func TestDeterministic(t *testing.T) {
	for name, values := range map[string]string{"defaults": ``, "full": fullValues} {
		t.Run(name, func(t *testing.T) {
			a := render.File(render.Header("charts/asm-ready", "x.yaml"), renderValues(t, values).Manifest)
			b := render.File(render.Header("charts/asm-ready", "x.yaml"), renderValues(t, values).Manifest)
			if !bytes.Equal(a, b) {
				t.Error("two renders of the same values differ")
			}
		})
	}
}

func TestLintStrict(t *testing.T) {
	kv, err := chartutil.ParseKubeVersion(render.KubeVersion)
	if err != nil {
		t.Fatal(err)
	}
	lint := func(values string) *action.LintResult {
		l := action.NewLint()
		l.Strict = true
		l.Namespace = namespace
		l.KubeVersion = kv
		return l.Run([]string{chartPath(t)}, vals(t, values))
	}
	for name, values := range map[string]string{"defaults": ``, "full": fullValues} {
		if r := lint(values); len(r.Errors) > 0 || r.TotalChartsLinted != 1 {
			t.Errorf("lint --strict (%s): linted %d, errors %v, messages %v", name, r.TotalChartsLinted, r.Errors, r.Messages)
		}
	}
	// The same lint fails on bad values: it is not a check that cannot fail.
	if r := lint(`{loadgen: {replicas: -1}}`); len(r.Errors) == 0 {
		t.Error("lint --strict accepted loadgen.replicas=-1")
	}
}

func TestNotes(t *testing.T) {
	notes := renderValues(t, ``).Notes
	for _, want := range []string{"port-forward service/hellosvc 8080:80", "logs deployment/loadgenerator", "helm test asm-ready", "loadBalancer.ingress"} {
		if !strings.Contains(notes, want) {
			t.Errorf("NOTES.txt lacks %q:\n%s", want, notes)
		}
	}
	if strings.Contains(renderValues(t, `{helloserver: {service: {type: ClusterIP}}}`).Notes, "loadBalancer.ingress") {
		t.Error("NOTES.txt shows the external IP for a ClusterIP Service")
	}
	if strings.Contains(notes, "STRICT") {
		t.Error("NOTES.txt warns about STRICT mTLS with the mesh off")
	}
	mesh := renderValues(t, `{mesh: {enabled: true}}`).Notes
	for _, want := range []string{"injection label", "STRICT mTLS", "tests.sidecarInject=true"} {
		if !strings.Contains(mesh, want) {
			t.Errorf("mesh NOTES.txt lacks %q:\n%s", want, mesh)
		}
	}
}
