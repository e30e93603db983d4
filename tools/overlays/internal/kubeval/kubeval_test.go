package kubeval

import (
	"context"
	"strings"
	"sync"
	"testing"

	"github.com/asm-ready/asm-ready/tools/internal/cachedir"
	"github.com/asm-ready/asm-ready/tools/overlays/internal/schemagen"
)

var (
	once    sync.Once
	shared  *Validator
	initErr error
)

// validator generates (or reuses) the real schemas from the pinned modules.
func sharedValidator(t *testing.T) *Validator {
	t.Helper()
	once.Do(func() {
		cache, err := cachedir.Dir()
		if err != nil {
			initErr = err
			return
		}
		dir, err := schemagen.Generate(context.Background(), cache)
		if err != nil {
			initErr = err
			return
		}
		shared, initErr = New(dir, schemagen.KubernetesVersions[len(schemagen.KubernetesVersions)-1])
	})
	if initErr != nil {
		t.Fatal(initErr)
	}
	return shared
}

const deployment = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: helloserver
  labels: {app: helloserver}
spec:
  replicas: REPLICAS
  selector:
    matchLabels: {app: helloserver}
  template:
    metadata:
      labels: {app: helloserver, version: v1}
    spec:
      containers:
      - name: main
        image: ghcr.io/asm-ready/helloserver:0.1.0
        ports: [{name: http, containerPort: 8080}]
        resources:
          requests: {cpu: 50m, memory: 32Mi}
          limits: {cpu: 1, memory: 64Mi}
`

const virtualService = `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: hellosvc}
spec:
  hosts: [hellosvc]
  http:
  - route:
    - destination: {host: hellosvc, subset: v1}
      weight: WEIGHT
`

const application = `apiVersion: argoproj.io/v1alpha1
kind: Application
metadata: {name: asm-ready, namespace: argocd}
spec:
  project: default
  source: {repoURL: "https://github.com/asm-ready/asm-ready", path: overlays/gke, targetRevision: main}
  destination: {server: "https://kubernetes.default.svc", namespace: asm-ready}
  syncPolicy:
    automated: {PRUNE: true, selfHeal: true}
`

const fluxKustomization = `apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata: {name: asm-ready, namespace: flux-system}
spec:
  interval: 10m
  path: ./overlays/gke
  prune: PRUNE
  wait: true
  timeout: 5m
  sourceRef: {kind: GitRepository, name: asm-ready}
`

func TestValidate(t *testing.T) {
	v := sharedValidator(t)
	tests := []struct {
		name      string
		doc       string
		wantValid int
		wantErr   string // substring of the one expected problem; "" = none
	}{
		{"deployment ok", strings.Replace(deployment, "REPLICAS", "2", 1), 1, ""},
		{"replicas as string", strings.Replace(deployment, "REPLICAS", `"two"`, 1), 0, "/spec/replicas"},
		{"unknown field", strings.Replace(deployment, "replicas: REPLICAS", "replica: 2", 1), 0, "replica"},
		{"duplicate key", strings.Replace(deployment, "replicas: REPLICAS", "replicas: 1\n  replicas: 2", 1), 0, "replicas"},
		{"virtualservice ok", strings.Replace(virtualService, "WEIGHT", "90", 1), 1, ""},
		{"virtualservice bad weight", strings.Replace(virtualService, "WEIGHT", "ninety", 1), 0, "/spec/http/0/route/0/weight"},
		{"argo application ok", strings.Replace(application, "PRUNE", "prune", 1), 1, ""},
		{"argo application typo", application, 0, "PRUNE"},
		{"flux kustomization ok", strings.Replace(fluxKustomization, "PRUNE", "true", 1), 1, ""},
		{"flux kustomization bad prune", strings.Replace(fluxKustomization, "PRUNE", `"yes"`, 1), 0, "/spec/prune"},
		{"unknown kind is not skipped", "apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w}\n", 0, "could not find schema"},
		{"bad metadata in a CRD kind", "apiVersion: security.istio.io/v1\nkind: PeerAuthentication\nmetadata: {name: p, lables: {}}\nspec: {mtls: {mode: STRICT}}\n", 0, "lables"},
		{"bad enum in a CRD kind", "apiVersion: security.istio.io/v1\nkind: PeerAuthentication\nmetadata: {name: p}\nspec: {mtls: {mode: STRICTEST}}\n", 0, "/spec/mtls/mode"},
		{"empty stream", "---\n", 0, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := v.Validate("test.yaml", []byte(tt.doc))
			if r.Valid != tt.wantValid {
				t.Errorf("Valid = %d, want %d (problems: %v)", r.Valid, tt.wantValid, r.Problems)
			}
			if tt.wantErr == "" {
				if len(r.Problems) != 0 {
					t.Errorf("problems = %v, want none", r.Problems)
				}
				return
			}
			if len(r.Problems) == 0 {
				t.Fatalf("no problem reported, want one mentioning %q", tt.wantErr)
			}
			all := strings.Join(r.Problems, "\n")
			if !strings.Contains(all, tt.wantErr) || !strings.Contains(all, "test.yaml: ") {
				t.Errorf("problems =\n%s\nwant one naming %q and the file", all, tt.wantErr)
			}
		})
	}
}
