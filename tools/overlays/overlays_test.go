package overlays

import (
	"bytes"
	"log"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/kustomize/kyaml/kio"
	kyaml "sigs.k8s.io/kustomize/kyaml/yaml"
	"sigs.k8s.io/yaml"

	"github.com/asm-ready/asm-ready/tools/internal/kbuild"
	"github.com/asm-ready/asm-ready/tools/meshcheck"
	"github.com/asm-ready/asm-ready/tools/overlays/internal/checks"
)

// overlay is one directory under overlays/ that kustomize builds.
type overlay struct {
	name     string
	rendered bool               // has values.yaml + rendered.yaml from `make render`
	mesh     meshcheck.MeshMode // how meshcheck runs over it
	objects  []string           // exactly the Kind/name objects it builds
}

var (
	localObjects = []string{
		"Namespace/asm-ready", "ServiceAccount/helloserver", "ServiceAccount/loadgenerator",
		"Service/hellosvc", "Service/loadgensvc", "Deployment/helloserver", "Deployment/loadgenerator",
		"PodDisruptionBudget/helloserver",
	}
	meshObjects = []string{
		"Deployment/helloserver-v2", "DestinationRule/hellosvc", "VirtualService/hellosvc",
		"AuthorizationPolicy/helloserver", "PeerAuthentication/asm-ready",
	}
	gkeObjects = slices.Concat(localObjects, meshObjects, []string{
		"HorizontalPodAutoscaler/helloserver", "HorizontalPodAutoscaler/helloserver-v2",
		"NetworkPolicy/default-deny", "NetworkPolicy/helloserver", "NetworkPolicy/loadgenerator",
		"NetworkPolicy/helloserver-test",
	})
)

var overlayTable = []overlay{
	{name: "local", rendered: true, mesh: meshcheck.MeshAuto, objects: localObjects},
	{name: "kind-istio", rendered: true, mesh: meshcheck.MeshOn, objects: slices.Concat(localObjects, meshObjects)},
	{name: "gke", rendered: true, mesh: meshcheck.MeshOn, objects: gkeObjects},
	{name: "gke-skaffold", mesh: meshcheck.MeshOn, objects: gkeObjects},
}

func (o overlay) dir(t *testing.T) string { return filepath.Join(root(t), "overlays", o.name) }

// build runs kustomize's Go API over the overlay and checks the result is a
// non-empty stream.
func build(t *testing.T, dir string) []byte {
	t.Helper()
	out, err := kbuild.Build(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(bytes.TrimSpace(out)) == 0 {
		t.Fatalf("kustomize build %s: empty output", dir)
	}
	return out
}

// parsed is a kustomize build decoded, keyed by Kind/name.
type parsed map[string]*kyaml.RNode

func parse(t *testing.T, data []byte) parsed {
	t.Helper()
	nodes, err := kio.FromBytes(data)
	if err != nil {
		t.Fatal(err)
	}
	p := parsed{}
	for _, n := range nodes {
		key := n.GetKind() + "/" + n.GetName()
		if _, dup := p[key]; dup {
			t.Errorf("%s appears twice", key)
		}
		p[key] = n
	}
	return p
}

func (p parsed) keys() []string {
	k := make([]string, 0, len(p))
	for key := range p {
		k = append(k, key)
	}
	sort.Strings(k)
	return k
}

// into decodes an object into its k8s.io/api type.
func into[T any](t *testing.T, p parsed, key string) *T {
	t.Helper()
	n, ok := p[key]
	if !ok {
		t.Fatalf("%s missing (have %v)", key, p.keys())
	}
	var v T
	if err := yaml.UnmarshalStrict([]byte(n.MustString()), &v); err != nil {
		t.Fatalf("%s: %v", key, err)
	}
	return &v
}

// field reads a nested field of a custom resource.
func field(t *testing.T, p parsed, key string, path ...string) *kyaml.RNode {
	t.Helper()
	n, ok := p[key]
	if !ok {
		t.Fatalf("%s missing", key)
	}
	f, err := n.Pipe(kyaml.Lookup(path...))
	if err != nil || f == nil {
		t.Fatalf("%s: no %s (%v)", key, strings.Join(path, "."), err)
	}
	return f
}

func TestOverlaysBuildWithGoAPI(t *testing.T) {
	for _, o := range overlayTable {
		t.Run(o.name, func(t *testing.T) {
			p := parse(t, build(t, o.dir(t)))
			want := slices.Clone(o.objects)
			sort.Strings(want)
			if got := p.keys(); !slices.Equal(got, want) {
				t.Errorf("objects =\n  %v\nwant\n  %v", got, want)
			}
			for key, n := range p {
				if n.GetKind() == "Namespace" {
					continue
				}
				if ns := n.GetNamespace(); ns != checks.Namespace {
					t.Errorf("%s in namespace %q, want %q", key, ns, checks.Namespace)
				}
			}
			ns := into[corev1.Namespace](t, p, "Namespace/asm-ready")
			for _, mode := range []string{"enforce", "warn", "audit"} {
				if v := ns.Labels["pod-security.kubernetes.io/"+mode]; v != "restricted" {
					t.Errorf("Namespace label pod-security.kubernetes.io/%s = %q, want restricted", mode, v)
				}
			}
			_, rev := ns.Labels["istio.io/rev"]
			_, inj := ns.Labels["istio-injection"]
			if rev && inj {
				t.Errorf("Namespace has both istio.io/rev and istio-injection: %v", ns.Labels)
			}
		})
	}
}

func TestLocalOverlay(t *testing.T) {
	p := parse(t, build(t, filepath.Join(root(t), "overlays", "local")))
	ns := into[corev1.Namespace](t, p, "Namespace/asm-ready")
	if _, ok := ns.Labels["istio-injection"]; ok {
		t.Error("local namespace has istio-injection; kind has no mesh by default")
	}
	if _, ok := ns.Labels["istio.io/rev"]; ok {
		t.Error("local namespace has istio.io/rev; kind has no mesh by default")
	}
	if svc := into[corev1.Service](t, p, "Service/hellosvc"); svc.Spec.Type != corev1.ServiceTypeClusterIP {
		t.Errorf("hellosvc type = %s, want ClusterIP (kind has no load balancer)", svc.Spec.Type)
	}
	for key, want := range map[string]struct {
		image    string
		replicas int32
	}{"Deployment/helloserver": {"helloserver:dev", 2}, "Deployment/loadgenerator": {"loadgen:dev", 1}} {
		image := want.image
		d := into[appsv1.Deployment](t, p, key)
		// Two helloservers: deleting one pod loses no request.
		if d.Spec.Replicas == nil || *d.Spec.Replicas != want.replicas {
			t.Errorf("%s replicas = %v, want %d", key, d.Spec.Replicas, want.replicas)
		}
		c := d.Spec.Template.Spec.Containers[0]
		if c.Image != image {
			t.Errorf("%s image = %s, want %s (the skaffold artifact name)", key, c.Image, image)
		}
		if c.ImagePullPolicy != corev1.PullIfNotPresent {
			t.Errorf("%s imagePullPolicy = %s, want IfNotPresent (images loaded into kind)", key, c.ImagePullPolicy)
		}
		if cpu := c.Resources.Requests.Cpu(); cpu.MilliValue() > 50 {
			t.Errorf("%s requests %s CPU, want a small request for kind", key, cpu)
		}
	}
}

func TestGKEOverlay(t *testing.T) {
	p := parse(t, build(t, filepath.Join(root(t), "overlays", "gke")))
	ns := into[corev1.Namespace](t, p, "Namespace/asm-ready")
	if ns.Labels["istio.io/rev"] != "asm-managed" {
		t.Errorf("namespace istio.io/rev = %q, want asm-managed", ns.Labels["istio.io/rev"])
	}
	if svc := into[corev1.Service](t, p, "Service/hellosvc"); svc.Spec.Type != corev1.ServiceTypeLoadBalancer {
		t.Errorf("hellosvc type = %s, want LoadBalancer as in the tutorial", svc.Spec.Type)
	}
	// Images that exist: the chart's references, which the release workflow
	// pushes, until `make push-images` or the release's pull request pins
	// the overlay to what it built (TestPinImages).
	const registry = "ghcr.io/asm-ready/"
	for key, image := range map[string]string{
		"Deployment/helloserver": "helloserver", "Deployment/helloserver-v2": "helloserver", "Deployment/loadgenerator": "loadgen",
	} {
		d := into[appsv1.Deployment](t, p, key)
		if got := d.Spec.Template.Spec.Containers[0].Image; !strings.HasPrefix(got, registry+image+":") && !strings.Contains(got, "@sha256:") {
			t.Errorf("%s image = %s, want %s%s:<appVersion> or an image pinned by digest", key, got, registry, image)
		}
		if strings.HasPrefix(key, "Deployment/helloserver") {
			if len(d.Spec.Template.Spec.TopologySpreadConstraints) == 0 {
				t.Errorf("%s has no topologySpreadConstraints", key)
			}
			if d.Spec.Replicas != nil {
				t.Errorf("%s sets replicas %d; the HPA owns the count", key, *d.Spec.Replicas)
			}
		}
	}
	for _, key := range []string{"HorizontalPodAutoscaler/helloserver", "HorizontalPodAutoscaler/helloserver-v2"} {
		h := into[autoscalingv2.HorizontalPodAutoscaler](t, p, key)
		if h.Spec.MinReplicas == nil || *h.Spec.MinReplicas != 2 {
			t.Errorf("%s minReplicas = %v, want 2", key, h.Spec.MinReplicas)
		}
	}
	if mode := field(t, p, "PeerAuthentication/asm-ready", "spec", "mtls", "mode").YNode().Value; mode != "STRICT" {
		t.Errorf("PeerAuthentication mode = %s, want STRICT", mode)
	}
	subsets := map[string]bool{}
	for _, s := range field(t, p, "DestinationRule/hellosvc", "spec", "subsets").Content() {
		subsets[kyaml.NewRNode(s).Field("name").Value.YNode().Value] = true
	}
	if !subsets["v1"] || !subsets["v2"] || len(subsets) != 2 {
		t.Errorf("DestinationRule subsets = %v, want v1 and v2", subsets)
	}
	weights := map[string]string{}
	routes := field(t, p, "VirtualService/hellosvc", "spec", "http", "0", "route")
	for _, r := range routes.Content() {
		rn := kyaml.NewRNode(r)
		subset, _ := rn.Pipe(kyaml.Lookup("destination", "subset"))
		weight, _ := rn.Pipe(kyaml.Lookup("weight"))
		if subset == nil || weight == nil {
			t.Fatalf("VirtualService route without subset or weight: %s", rn.MustString())
		}
		weights[subset.YNode().Value] = weight.YNode().Value
	}
	if weights["v1"] != "90" || weights["v2"] != "10" || len(weights) != 2 {
		t.Errorf("VirtualService weights = %v, want v1 90 and v2 10", weights)
	}
	principals := field(t, p, "AuthorizationPolicy/helloserver", "spec", "rules", "0", "from", "0", "source", "principals")
	if got := principals.MustString(); !strings.Contains(got, "/ns/asm-ready/sa/loadgenerator") {
		t.Errorf("AuthorizationPolicy principals = %s, want loadgen's service account in asm-ready", got)
	}
}

// TestInjectionComponent proves the documented switch: enabling the
// component labels the namespace istio-injection=enabled and drops
// istio.io/rev, so it never carries both.
func TestInjectionComponent(t *testing.T) {
	tmp := copyOverlays(t)
	appendFile(t, filepath.Join(tmp, "gke", "kustomization.yaml"), "components:\n  - ../components/istio-injection-enabled\n")
	p := parse(t, build(t, filepath.Join(tmp, "gke")))
	ns := into[corev1.Namespace](t, p, "Namespace/asm-ready")
	if ns.Labels["istio-injection"] != "enabled" {
		t.Errorf("istio-injection = %q, want enabled", ns.Labels["istio-injection"])
	}
	if v, ok := ns.Labels["istio.io/rev"]; ok {
		t.Errorf("istio.io/rev = %q still set next to istio-injection", v)
	}
}

// TestKubectlApplyKWarnsNothing builds every overlay with the options of
// `kubectl apply -k` and fails on any warning kustomize logs (it warned that
// sorting was set both by sortOptions and kubectl's --reorder).
func TestKubectlApplyKWarnsNothing(t *testing.T) {
	var logged bytes.Buffer
	log.SetOutput(&logged)
	t.Cleanup(func() { log.SetOutput(os.Stderr) })
	for _, o := range overlayTable {
		logged.Reset()
		build(t, o.dir(t))
		if logged.Len() > 0 {
			t.Errorf("kubectl apply -k overlays/%s warns:\n%s", o.name, logged.String())
		}
	}
	// The check can fail: sortOptions brings the warning back.
	tmp := copyOverlays(t)
	appendFile(t, filepath.Join(tmp, "local", "kustomization.yaml"), "sortOptions:\n  order: legacy\n")
	logged.Reset()
	build(t, filepath.Join(tmp, "local"))
	if !strings.Contains(logged.String(), "Sorting order is set both") {
		t.Errorf("sortOptions did not make kustomize warn; logged %q", logged.String())
	}
}

func TestKustomizeCLIMatchesGoAPI(t *testing.T) {
	bin := kustomizeBin(t)
	for _, o := range overlayTable {
		t.Run(o.name, func(t *testing.T) {
			want := build(t, o.dir(t))
			cmd := exec.CommandContext(ctx(t, 2*time.Minute), bin, "build", o.dir(t))
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			got, err := cmd.Output()
			if err != nil {
				t.Fatalf("kustomize build %s: %v: %s", o.name, err, stderr.String())
			}
			if !bytes.Equal(got, want) {
				t.Errorf("kustomize CLI and Go API differ (-CLI +Go API):\n%s", cmp.Diff(string(got), string(want)))
			}
		})
	}
}

// TestRenderedUpToDate is make check-render: every committed rendered.yaml
// is what the chart renders from its overlay's values.
func TestRenderedUpToDate(t *testing.T) {
	if _, err := render(t, "-all", "-check", "-overlays", filepath.Join(root(t), "overlays")); err != nil {
		t.Error(err)
	}
}

// TestKubeconform: the chart's default render, every overlay and gitops/
// are valid for the oldest and the newest Kubernetes minor the chart admits.
func TestKubeconform(t *testing.T) {
	type input struct {
		name string
		data []byte
	}
	var inputs []input
	chart, err := render(t, "-values", filepath.Join(root(t), "charts", "asm-ready", "values.yaml"), "-namespace", checks.Namespace)
	if err != nil {
		t.Fatal(err)
	}
	inputs = append(inputs, input{"chart default render", chart})
	for _, o := range overlayTable {
		inputs = append(inputs, input{"overlays/" + o.name, build(t, o.dir(t))})
	}
	gitops, err := filepath.Glob(filepath.Join(root(t), "gitops", "*", "*.yaml"))
	if err != nil || len(gitops) < 3 {
		t.Fatalf("gitops/*/*.yaml = %v (%v), want the Argo CD and Flux definitions", gitops, err)
	}
	for _, f := range gitops {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		inputs = append(inputs, input{strings.TrimPrefix(f, root(t)+"/"), data})
	}
	for version, v := range validators(t) {
		for _, in := range inputs {
			t.Run(version+"/"+in.name, func(t *testing.T) {
				nodes, err := kio.FromBytes(in.data)
				if err != nil {
					t.Fatal(err)
				}
				r := v.Validate(in.name, in.data)
				for _, p := range r.Problems {
					t.Error(p)
				}
				if r.Valid != len(nodes) || r.Valid == 0 {
					t.Errorf("kubeconform validated %d objects, the stream has %d", r.Valid, len(nodes))
				}
			})
		}
	}
}

func TestMeshcheck(t *testing.T) {
	for _, o := range overlayTable {
		t.Run(o.name, func(t *testing.T) {
			rep, err := checks.MeshFindings("overlays/"+o.name, build(t, o.dir(t)), o.mesh)
			if err != nil {
				t.Fatal(err)
			}
			if o.mesh == meshcheck.MeshOn && !rep.Mesh {
				t.Errorf("meshcheck did not run its mesh rules on %s", o.name)
			}
		})
	}
}

func TestGitOpsPointAtGKEOverlay(t *testing.T) {
	r := root(t)
	read := func(p string) map[string]any {
		t.Helper()
		data, err := os.ReadFile(filepath.Join(r, p))
		if err != nil {
			t.Fatal(err)
		}
		var m map[string]any
		if err := yaml.Unmarshal(data, &m); err != nil {
			t.Fatal(err)
		}
		return m
	}
	get := func(m map[string]any, path ...string) any {
		var v any = m
		for _, k := range path {
			mm, ok := v.(map[string]any)
			if !ok {
				return nil
			}
			v = mm[k]
		}
		return v
	}
	const repoURL = "https://github.com/asm-ready/asm-ready"
	app := read("gitops/argocd/application.yaml")
	flux := read("gitops/flux/flux-kustomization.yaml")
	src := read("gitops/flux/gitrepository.yaml")
	tests := []struct {
		what string
		got  any
		want any
	}{
		{"Application source.path", get(app, "spec", "source", "path"), "overlays/gke"},
		{"Application source.repoURL", get(app, "spec", "source", "repoURL"), repoURL},
		{"Application destination.namespace", get(app, "spec", "destination", "namespace"), checks.Namespace},
		{"Application automated.prune", get(app, "spec", "syncPolicy", "automated", "prune"), true},
		{"Application automated.selfHeal", get(app, "spec", "syncPolicy", "automated", "selfHeal"), true},
		{"Flux Kustomization path", get(flux, "spec", "path"), "./overlays/gke"},
		{"Flux Kustomization prune", get(flux, "spec", "prune"), true},
		{"Flux Kustomization wait", get(flux, "spec", "wait"), true},
		{"Flux Kustomization sourceRef", get(flux, "spec", "sourceRef", "name"), get(src, "metadata", "name")},
		{"Flux GitRepository url", get(src, "spec", "url"), repoURL},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("%s = %v, want %v", tt.what, tt.got, tt.want)
		}
	}
	opts, _ := get(app, "spec", "syncPolicy", "syncOptions").([]any)
	for _, want := range []string{"CreateNamespace=false", "ServerSideApply=true"} {
		if !slices.Contains(opts, any(want)) {
			t.Errorf("Application syncOptions %v lack %s", opts, want)
		}
	}
	if get(flux, "spec", "timeout") == nil {
		t.Error("Flux Kustomization has no timeout for wait")
	}
}
