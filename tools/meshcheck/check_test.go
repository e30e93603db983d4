package meshcheck

import (
	"fmt"
	"slices"
	"sort"
	"strings"
	"testing"
)

func mustParse(t testing.TB, docs ...string) []*Object {
	t.Helper()
	objs, err := Parse(strings.NewReader(strings.Join(docs, "\n---\n")), "t.yaml")
	if err != nil {
		t.Fatal(err)
	}
	return objs
}

// fired lists "RULE name" for every finding, sorted.
func fired(r Report) []string {
	var out []string
	for _, f := range r.Findings {
		out = append(out, f.Rule+" "+f.Name)
	}
	sort.Strings(out)
	return out
}

func deployment(name, ns string, labels map[string]string, extraMeta string) string {
	var l strings.Builder
	keys := make([]string, 0, len(labels))
	for k := range labels {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		fmt.Fprintf(&l, "        %s: %q\n", k, labels[k])
	}
	nsLine := ""
	if ns != "" {
		nsLine = "  namespace: " + ns + "\n"
	}
	return fmt.Sprintf(`apiVersion: apps/v1
kind: Deployment
metadata:
  name: %s
%s%sspec:
  selector:
    matchLabels:
      app: %s
  template:
    metadata:
      labels:
%s    spec:
      containers:
        - name: main
          image: x
          ports:
            - name: http
              containerPort: 8080
`, name, nsLine, extraMeta, name, l.String())
}

func serviceYAML(name, ns, selector string) string {
	nsLine := ""
	if ns != "" {
		nsLine = "  namespace: " + ns + "\n"
	}
	return fmt.Sprintf("apiVersion: v1\nkind: Service\nmetadata:\n  name: %s\n%sspec:\n  selector: %s\n  ports:\n    - name: http\n      port: 80\n      targetPort: http\n", name, nsLine, selector)
}

func std(name string) map[string]string {
	return map[string]string{"app": name, "version": "v1", "app.kubernetes.io/name": name}
}

func TestSelectorMatching(t *testing.T) {
	tests := []struct {
		name string
		docs []string
		want []string
	}{
		{"every selector pair must match",
			[]string{deployment("web", "", std("web"), ""), serviceYAML("s", "", "{app: web, tier: front}")},
			[]string{"MC010 web", "MC011 s"}},
		{"pairs matched by different workloads select neither",
			[]string{deployment("web", "", map[string]string{"app": "web", "version": "v1", "tier": "back"}, ""),
				deployment("api", "", map[string]string{"app": "api", "version": "v1", "tier": "front"}, ""),
				serviceYAML("s", "", "{app: web, tier: front}")},
			[]string{"MC010 api", "MC010 web", "MC011 s"}},
		{"subset selector matches",
			[]string{deployment("web", "", map[string]string{"app": "web", "version": "v1", "tier": "front"}, ""), serviceYAML("s", "", "{tier: front}")},
			nil},
		{"namespaces separate",
			[]string{deployment("web", "a", std("web"), ""), serviceYAML("s", "b", "{app: web}")},
			[]string{"MC010 web", "MC011 s"}},
		{"unset namespace is the default namespace",
			[]string{deployment("web", "default", std("web"), ""), serviceYAML("s", "", "{app: web}")},
			nil},
		{"empty selector selects nothing and is not flagged",
			[]string{deployment("web", "", std("web"), ""), serviceYAML("s", "", "{}")},
			[]string{"MC010 web"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := fired(Check(mustParse(t, tt.docs...), Options{}))
			if strings.Join(got, ",") != strings.Join(tt.want, ",") {
				t.Errorf("fired %v, want %v", got, tt.want)
			}
		})
	}
}

func TestNamespaceOption(t *testing.T) {
	objs := mustParse(t, deployment("web", "shop", std("web"), ""), serviceYAML("s", "", "{app: web}"))
	if got := fired(Check(objs, Options{})); len(got) != 2 {
		t.Errorf("default namespace: fired %v, want the Service and Deployment apart", got)
	}
	if got := fired(Check(objs, Options{Namespace: "shop"})); len(got) != 0 {
		t.Errorf("--namespace shop: fired %v, want none", got)
	}
}

func TestOwnedObjectsNotDoubleReported(t *testing.T) {
	owned := func(kind, name, ownerKind, owner string) string {
		return strings.Replace(strings.Replace(deployment(name, "", std("orphan"), fmt.Sprintf(
			"  ownerReferences:\n    - apiVersion: apps/v1\n      kind: %s\n      name: %s\n      uid: 00000000-0000-4000-8000-000000000001\n      controller: true\n", ownerKind, owner)),
			"kind: Deployment", "kind: "+kind, 1), "apps/v1\nkind: Pod", "v1\nkind: Pod", 1)
	}
	objs := mustParse(t,
		deployment("orphan", "", std("orphan"), ""),
		owned("ReplicaSet", "orphan-abc", "Deployment", "orphan"),  // owner in input: skipped
		owned("ReplicaSet", "lonely-abc", "Deployment", "missing"), // owner absent: checked
	)
	got := fired(Check(objs, Options{}))
	want := []string{"MC010 lonely-abc", "MC010 orphan"}
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("fired %v, want %v", got, want)
	}
	pod := "apiVersion: v1\nkind: Pod\nmetadata:\n  name: job-pod\n  labels: {app: j, version: v1}\n  ownerReferences:\n    - {apiVersion: batch/v1, kind: Job, name: gone, uid: u, controller: true}\nspec:\n  containers: [{name: c, image: x}]\n"
	if got := fired(Check(mustParse(t, pod), Options{})); len(got) != 0 {
		t.Errorf("a Job's pod needs no Service; fired %v", got)
	}
}

func TestMeshMode(t *testing.T) {
	ns := func(name, labels string) string {
		return "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: " + name + "\n  labels: " + labels + "\n"
	}
	web := func(ns string, labels map[string]string) []string {
		return []string{deployment("web", ns, labels, ""), serviceYAML("web", ns, "{app: web}")}
	}
	optIn := std("web")
	optIn["sidecar.istio.io/inject"] = "true"
	tests := []struct {
		name   string
		docs   []string
		mode   MeshMode
		mesh   bool
		fired  []string
		reason string
	}{
		{"off without injection labels", append([]string{ns("plain", "{}")}, web("plain", std("web"))...), MeshAuto, false, nil, ""},
		{"auto-detected from a labelled namespace", append([]string{ns("a", "{istio-injection: enabled}"), ns("b", "{}")}, web("b", std("web"))...), MeshAuto, true, []string{"MC061 b"}, "Namespace a has an injection label"},
		{"--mesh=false overrides detection", append([]string{ns("a", "{istio-injection: enabled}"), ns("b", "{}")}, web("b", std("web"))...), MeshOff, false, nil, ""},
		{"--mesh with the namespace missing", web("", std("web")), MeshOn, true, []string{"MC062 web"}, "--mesh"},
		{"pod-level opt-in counts as injected", append([]string{ns("b", "{}")}, web("b", optIn)...), MeshOn, true, nil, "--mesh"},
		{"but not in a disabled namespace", append([]string{ns("b", "{istio-injection: disabled}")}, web("b", optIn)...), MeshOn, true, []string{"MC061 b"}, "--mesh"},
		{"istio.io/rev is injected", append([]string{ns("b", "{istio.io/rev: asm-managed-rapid}")}, web("b", std("web"))...), MeshAuto, true, nil, "Namespace b has an injection label"},
		{"istio-injection=true is not enabled", append([]string{ns("b", "{istio-injection: \"true\"}")}, web("b", std("web"))...), MeshAuto, true, []string{"MC061 b", "MC065 b"}, "Namespace b has an injection label"},
		{"both labels conflict in any mode", []string{ns("b", "{istio-injection: enabled, istio.io/rev: asm-managed}")}, MeshOff, false, []string{"MC060 b"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := Check(mustParse(t, tt.docs...), Options{Mesh: tt.mode})
			if got := fired(r); r.Mesh != tt.mesh || strings.Join(got, ",") != strings.Join(tt.fired, ",") || r.MeshReason != tt.reason {
				t.Errorf("mesh=%v (%q) fired %v; want mesh=%v (%q) %v", r.Mesh, r.MeshReason, got, tt.mesh, tt.reason, tt.fired)
			}
		})
	}
}

func TestIgnoreOption(t *testing.T) {
	objs := mustParse(t, deployment("web", "", std("web"), ""))
	for _, ig := range []string{"MC010", "mc010", "workload-without-service"} {
		r := Check(objs, Options{Ignore: []string{ig}})
		if len(r.Findings) != 0 || len(r.Suppressed) != 1 || r.Suppressed[0].SuppressedBy != SuppressedByFlag {
			t.Errorf("--ignore %s: findings %v suppressed %v", ig, r.Findings, r.Suppressed)
		}
	}
}

func TestFailsThreshold(t *testing.T) {
	r := Report{Findings: []Finding{{Severity: Warning}}}
	for sev, want := range map[Severity]bool{Info: true, Warning: true, Error: false} {
		if got := r.Fails(sev); got != want {
			t.Errorf("Fails(%s) = %v, want %v", sev, got, want)
		}
	}
	if (&Report{}).Fails(Info) {
		t.Error("an empty report fails")
	}
}

func TestRulesRegistry(t *testing.T) {
	seen := map[string]bool{}
	for _, r := range Rules {
		if seen[r.ID] || seen[r.Name] {
			t.Errorf("duplicate rule %s / %s", r.ID, r.Name)
		}
		seen[r.ID], seen[r.Name] = true, true
		if r.Severity < Info || r.Severity > Error || r.Summary == "" || r.Rationale == "" || r.Fix == "" || r.Group == "" {
			t.Errorf("rule %s incomplete: %+v", r.ID, r)
		}
		if got, ok := LookupRule(r.Name); !ok || got.ID != r.ID {
			t.Errorf("LookupRule(%s) = %v", r.Name, got)
		}
	}
	if _, ok := LookupRule("MC999"); ok {
		t.Error("LookupRule found an unknown rule")
	}
}

func TestCheckToleratesEmptyShapes(t *testing.T) {
	// Objects that pass decoding with almost nothing set must not panic a rule.
	docs := []string{
		"apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: a}\n",
		"apiVersion: apps/v1\nkind: StatefulSet\nmetadata: {name: b}\nspec: {template: {spec: {securityContext: {}, containers: [{name: c, securityContext: {}}]}}}\n",
		"apiVersion: batch/v1\nkind: CronJob\nmetadata: {name: c}\n",
		"apiVersion: v1\nkind: Service\nmetadata: {name: d}\nspec: {selector: {app: a}, ports: [{port: 80}]}\n",
		"apiVersion: v1\nkind: Pod\nmetadata: {name: e}\n",
		"apiVersion: v1\nkind: ReplicationController\nmetadata: {name: f}\n",
		"apiVersion: v1\nkind: Namespace\nmetadata: {name: g, labels: {istio-injection: enabled}}\n",
	}
	r := Check(mustParse(t, docs...), Options{Mesh: MeshOn})
	if r.Objects != len(docs) {
		t.Errorf("objects = %d", r.Objects)
	}
}

// TestTargetPortsAcrossContainers: a Service's targetPort may name a port
// of any container, or of a sidecar-style init container (restartPolicy:
// Always), but not of an init container that exits before the pod serves.
func TestTargetPortsAcrossContainers(t *testing.T) {
	const pod = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  selector:
    matchLabels:
      app: web
  template:
    metadata:
      labels:
        app: web
        version: v1
    spec:
      initContainers:
        - name: setup
          image: x
          ports:
            - name: setup
              containerPort: 7000
        - name: proxy
          image: x
          restartPolicy: Always
          ports:
            - name: admin
              containerPort: 9901
      containers:
        - name: main
          image: x
          ports:
            - name: http
              containerPort: 8080
        - name: exporter
          image: x
          ports:
            - name: metrics
              containerPort: 9090
`
	svc := func(name, target string) string {
		return fmt.Sprintf("apiVersion: v1\nkind: Service\nmetadata:\n  name: %s\nspec:\n  selector: {app: web}\n  ports:\n    - name: http-%s\n      port: 80\n      targetPort: %s\n", name, name, target)
	}
	// The same pod with ports only on the init container that exits.
	onlySetup := strings.NewReplacer(
		"          ports:\n            - name: http\n              containerPort: 8080\n", "",
		"          ports:\n            - name: metrics\n              containerPort: 9090\n", "",
		"          ports:\n            - name: admin\n              containerPort: 9901\n", "").Replace(pod)
	if strings.Count(onlySetup, "ports:") != 1 {
		t.Fatalf("the pod without ports still has them:\n%s", onlySetup)
	}
	for _, tt := range []struct {
		pod, target string
		want        []string
	}{
		{pod, "http", nil},
		{pod, "metrics", nil},
		{pod, "9090", nil},
		{pod, "admin", nil},
		{pod, "9901", nil},
		{pod, "setup", []string{RuleTargetPortNameUndeclared + " s"}},
		{pod, "7000", []string{RuleTargetPortNumUndeclared + " s"}},
		{onlySetup, "setup", []string{RuleTargetPortNameUndeclared + " s"}},
	} {
		t.Run(fmt.Sprintf("%d ports/%s", strings.Count(tt.pod, "ports:"), tt.target), func(t *testing.T) {
			if got := fired(Check(mustParse(t, tt.pod, svc("s", tt.target)), Options{})); !slices.Equal(got, tt.want) {
				t.Errorf("findings %v, want %v", got, tt.want)
			}
		})
	}
}

// TestUID1337Messages: the message names where the UID is set, a
// container by its name in quotes even when the name is empty.
func TestUID1337Messages(t *testing.T) {
	for _, tt := range []struct{ spec, want string }{
		{"  securityContext: {runAsUser: 1337}\n  containers:\n    - name: c\n      image: x\n", "pod securityContext of Pod p sets runAsUser: 1337"},
		{"  containers:\n    - name: c\n      image: x\n      securityContext: {runAsUser: 1337}\n", `container "c" of Pod p sets runAsUser: 1337`},
		{"  containers:\n    - image: x\n      securityContext: {runAsUser: 1337}\n", `container "" of Pod p sets runAsUser: 1337`},
		{"  initContainers:\n    - name: i\n      image: x\n      securityContext: {runAsGroup: 1337}\n  containers:\n    - name: c\n      image: x\n", `init container "i" of Pod p sets runAsGroup: 1337`},
	} {
		r := Check(mustParse(t, "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n"+tt.spec), Options{Ignore: []string{RuleWorkloadWithoutService}})
		var msgs []string
		for _, f := range r.Findings {
			msgs = append(msgs, f.Message)
		}
		if !slices.ContainsFunc(msgs, func(m string) bool { return strings.HasPrefix(m, tt.want) }) {
			t.Errorf("no finding starts with %q: %q", tt.want, msgs)
		}
	}
}
