package meshcheck_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/asm-ready/asm-ready/tools/meshcheck"
)

// Small manifests for the cases below; flow-style YAML keeps each case on
// a few lines.
func namespace(name, labels string) string {
	return fmt.Sprintf("apiVersion: v1\nkind: Namespace\nmetadata: {name: %s, labels: {%s}}\n", name, labels)
}

// app is a Deployment web-like workload: labels and annotations go on
// the pod template, spec is appended to its pod spec.
func app(kind, name, ns, labels, annotations, spec string) string {
	api := map[string]string{"Deployment": "apps/v1", "DaemonSet": "apps/v1", "Rollout": "argoproj.io/v1alpha1", "DeploymentConfig": "apps.openshift.io/v1"}[kind]
	return fmt.Sprintf(`apiVersion: %s
kind: %s
metadata: {name: %s, namespace: %s}
spec:
  selector: {matchLabels: {app: %s}}
  template:
    metadata:
      labels: {app: %s, version: v1, %s}
      annotations: {%s}
    spec:
      containers: [{name: main, image: app:1, ports: [{name: http, containerPort: 8080}]}]
%s`, api, kind, name, ns, name, name, labels, annotations, spec)
}

func service(name, ns, selector, ports string) string {
	return fmt.Sprintf("apiVersion: v1\nkind: Service\nmetadata: {name: %s, namespace: %s}\nspec:\n  selector: {%s}\n  ports: [%s]\n", name, ns, selector, ports)
}

// findings lists "RULE Kind name" for every finding, sorted.
func findings(t *testing.T, opts meshcheck.Options, docs ...string) []string {
	t.Helper()
	objs, err := meshcheck.Parse(strings.NewReader(strings.Join(docs, "---\n")), "t.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, f := range meshcheck.Check(objs, opts).Findings {
		out = append(out, f.Rule+" "+f.Kind+" "+f.Name)
	}
	slices.Sort(out)
	return out
}

// TestIstioBehaviour: meshcheck judges a workload the way Istio treats it:
// what Istio owns is not the application's to fix, injection is decided as
// the webhook decides it, conflicts are keyed as the sidecar keys them.
func TestIstioBehaviour(t *testing.T) {
	web := service("web", "shop", "app: web", "{name: http, port: 80, targetPort: http}")
	mesh := meshcheck.Options{Mesh: meshcheck.MeshOn}
	tests := []struct {
		name string
		opts meshcheck.Options
		docs []string
		want []string
	}{
		// Objects Istio owns or creates.
		{"control plane", meshcheck.Options{}, []string{
			"apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: istiod, namespace: istio-system, labels: {app: istiod, istio: pilot}}\nspec:\n  selector: {matchLabels: {app: istiod}}\n  template:\n    metadata: {labels: {app: istiod, istio: pilot, sidecar.istio.io/inject: \"false\"}}\n    spec:\n      securityContext: {runAsUser: 1337}\n      containers: [{name: discovery, image: pilot, ports: [{containerPort: 15010}, {containerPort: 15017}]}]\n",
			"apiVersion: v1\nkind: Service\nmetadata: {name: istiod, namespace: istio-system, labels: {app: istiod, istio: pilot}}\nspec:\n  selector: {app: istiod}\n  ports: [{name: grpc-xds, port: 15010}, {name: https-webhook, port: 443, targetPort: 15017}, {name: monitoring, port: 15014}]\n",
		}, nil},
		{"Istio's gateway chart, and a Service of ours selecting its pods", meshcheck.Options{}, []string{
			"apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: istio-ingressgateway, namespace: istio-ingress, labels: {app: istio-ingressgateway, istio: ingressgateway, app.kubernetes.io/part-of: istio}}\nspec:\n  selector: {matchLabels: {app: istio-ingressgateway, istio: ingressgateway}}\n  template:\n    metadata:\n      annotations: {inject.istio.io/templates: gateway}\n      labels: {app: istio-ingressgateway, istio: ingressgateway, sidecar.istio.io/inject: \"true\"}\n    spec:\n      containers: [{name: istio-proxy, image: auto, ports: [{name: http-envoy-prom, containerPort: 15090}]}]\n",
			"apiVersion: v1\nkind: Service\nmetadata: {name: istio-ingressgateway, namespace: istio-ingress, labels: {app: istio-ingressgateway, istio: ingressgateway}}\nspec:\n  type: LoadBalancer\n  selector: {app: istio-ingressgateway, istio: ingressgateway}\n  ports: [{name: status-port, port: 15021}, {name: http2, port: 80, targetPort: 80}]\n",
			service("internal-gateway", "istio-ingress", "istio: ingressgateway", "{name: https, port: 443, targetPort: 8443}"),
		}, nil},
		{"gateway and waypoint the gateway controller made", meshcheck.Options{}, []string{
			"apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: public-istio, namespace: edge, labels: {gateway.istio.io/managed: istio.io-gateway-controller}}\nspec:\n  selector: {matchLabels: {gateway.networking.k8s.io/gateway-name: public}}\n  template:\n    metadata: {labels: {gateway.networking.k8s.io/gateway-name: public, gateway.istio.io/managed: istio.io-gateway-controller}}\n    spec:\n      containers: [{name: istio-proxy, image: proxyv2, securityContext: {runAsUser: 1337}, ports: [{containerPort: 15021}]}]\n",
			"apiVersion: v1\nkind: Service\nmetadata: {name: public-istio, namespace: edge, labels: {gateway.istio.io/managed: istio.io-gateway-controller}}\nspec:\n  selector: {gateway.networking.k8s.io/gateway-name: public}\n  ports: [{name: status-port, appProtocol: tcp, port: 15021}, {name: default, port: 80}]\n",
			"apiVersion: v1\nkind: Service\nmetadata: {name: waypoint, namespace: shop, labels: {gateway.istio.io/managed: istio.io-mesh-controller}}\nspec:\n  selector: {gateway.networking.k8s.io/gateway-name: waypoint}\n  ports: [{name: mesh, appProtocol: hbone, port: 15008}]\n",
		}, nil},
		{"the containers istioctl kube-inject adds, in the mesh already", mesh, []string{
			namespace("shop", ""),
			strings.Replace(app("Deployment", "web", "shop", "", `sidecar.istio.io/status: '{"containers":["istio-proxy"]}'`, ""),
				"ports: [{name: http, containerPort: 8080}]}]",
				"ports: [{name: http, containerPort: 8080}]}, {name: istio-proxy, image: proxyv2, securityContext: {runAsUser: 1337, runAsGroup: 1337}, ports: [{name: http-envoy-prom, containerPort: 15090}]}]\n      initContainers: [{name: istio-init, image: proxyv2, securityContext: {runAsUser: 0}}]", 1),
			web,
		}, nil},
		{"an istio-proxy container with image auto awaits injection: not in the mesh yet", mesh, []string{
			namespace("shop", ""),
			strings.Replace(app("Deployment", "web", "shop", "", "", ""), "containerPort: 8080}]}]", "containerPort: 8080}]}, {name: istio-proxy, image: auto}]", 1),
			web,
		}, []string{"MC061 Namespace shop"}},

		// Namespaces and pods Istio never injects.
		{"kube-system", mesh, []string{
			namespace("kube-system", ""),
			app("DaemonSet", "node-agent", "kube-system", "", "", "      hostPID: true\n"),
		}, nil},
		{"host-network pods", mesh, []string{
			namespace("shop", "istio-injection: enabled"),
			app("DaemonSet", "node-exporter", "shop", "", "", "      hostNetwork: true\n"),
		}, nil},

		// The webhook's decision.
		{"istio-injection values are case-sensitive", mesh, []string{namespace("shop", "istio-injection: Enabled"), app("Deployment", "web", "shop", "", "", ""), web},
			[]string{"MC061 Namespace shop", "MC065 Namespace shop"}},
		{"sidecar.istio.io/inject=False does not opt out", mesh, []string{namespace("shop", "istio-injection: enabled"), app("Deployment", "web", "shop", "sidecar.istio.io/inject: \"False\"", "", ""), web},
			[]string{"MC065 Deployment web"}},
		{"the label wins over the annotation", mesh, []string{namespace("shop", "istio-injection: enabled"), app("Deployment", "web", "shop", "sidecar.istio.io/inject: \"false\"", "sidecar.istio.io/inject: \"true\"", ""), web},
			[]string{"MC064 Deployment web"}},
		{"an annotation cannot opt in: the webhook reads labels", mesh, []string{namespace("shop", ""), app("Deployment", "web", "shop", "", "sidecar.istio.io/inject: \"true\"", ""), web},
			[]string{"MC061 Namespace shop", "MC063 Deployment web"}},
		{"a pod's istio.io/rev label opts in", mesh, []string{namespace("shop", ""), app("Deployment", "web", "shop", "istio.io/rev: canary", "", ""), web}, nil},
		{"istio-injection=disabled turns istio.io/rev off: no conflict", meshcheck.Options{}, []string{namespace("shop", "istio-injection: disabled, istio.io/rev: canary")}, nil},
		{"a namespace without labels or workloads", mesh, []string{namespace("empty", "")}, []string{"MC061 Namespace empty"}},

		// Ambient.
		{"ambient namespace", mesh, []string{namespace("shop", "istio.io/dataplane-mode: ambient"), app("Deployment", "web", "shop", "", "", ""), web}, nil},
		{"ambient and sidecar injection together", meshcheck.Options{}, []string{namespace("shop", "istio-injection: enabled, istio.io/dataplane-mode: ambient")},
			[]string{"MC060 Namespace shop"}},
		{"an ambient pod in a sidecar namespace", meshcheck.Options{}, []string{namespace("shop", "istio.io/rev: stable"), app("Deployment", "web", "shop", "istio.io/dataplane-mode: ambient", "", ""), web},
			[]string{"MC060 Deployment web"}},

		// Protocol conflicts, keyed by target port.
		{"same port, different target ports", meshcheck.Options{}, []string{
			strings.Replace(app("Deployment", "web", "shop", "", "", ""), "ports: [{name: http, containerPort: 8080}]", "ports: [{name: http, containerPort: 8080}, {name: db, containerPort: 9090}]", 1),
			web, service("web-db", "shop", "app: web", "{name: tcp, port: 80, targetPort: db}"),
		}, nil},
		{"one target port, two protocols, different ports", meshcheck.Options{}, []string{
			app("Deployment", "web", "shop", "", "", ""), web, service("web-raw", "shop", "app: web", "{name: tcp, port: 9080, targetPort: 8080}"),
		}, []string{"MC030 Deployment web", "MC031 Deployment web"}},
		{"one Service, one target port twice", meshcheck.Options{}, []string{
			app("Deployment", "web", "shop", "", "", ""), service("web", "shop", "app: web", "{name: http, port: 80, targetPort: http}, {name: http2, port: 81, targetPort: 8080}"),
		}, nil},
		{"no sidecar, no inbound conflict", mesh, []string{
			namespace("shop", "istio-injection: enabled"), app("Deployment", "web", "shop", "sidecar.istio.io/inject: \"false\"", "", ""), web,
			service("web-raw", "shop", "app: web", "{name: tcp, port: 9080, targetPort: 8080}"),
		}, []string{"MC064 Deployment web"}},

		// The proxy's own ports; ExternalName Services.
		{"a Service port the sidecar listens on", meshcheck.Options{}, []string{app("Deployment", "web", "shop", "", "", ""), service("web", "shop", "app: web", "{name: http, port: 15001, targetPort: http}")},
			[]string{"MC050 Service web"}},
		{"ExternalName over plain TCP", meshcheck.Options{}, []string{
			"apiVersion: v1\nkind: Service\nmetadata: {name: db, namespace: shop}\nspec: {type: ExternalName, externalName: db.example.com, ports: [{name: tcp-db, port: 5432}, {name: https, port: 443}]}\n",
		}, []string{"MC005 Service db"}},

		// Pod-template kinds beyond k8s.io/api.
		{"an Argo Rollout is selected and checked", meshcheck.Options{}, []string{
			strings.Replace(app("Rollout", "web", "shop", "", "", ""), "version: v1, ", "", 1), web,
		}, []string{"MC021 Rollout web"}},
		{"an OpenShift DeploymentConfig", meshcheck.Options{}, []string{
			strings.Replace(app("DeploymentConfig", "web", "shop", "", "", "      securityContext: {runAsUser: 1337}\n"), "selector: {matchLabels: {app: web}}", "selector: {app: web}", 1), web,
		}, []string{"MC040 DeploymentConfig web"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := findings(t, tt.opts, tt.docs...); !slices.Equal(got, tt.want) {
				t.Errorf("findings %q, want %q", got, tt.want)
			}
		})
	}
}
