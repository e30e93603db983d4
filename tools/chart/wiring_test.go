package chart_test

import (
	"fmt"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// wiring checks that every Deployment is selected by a Service, every
// Service selects a Deployment, and every Service port's targetPort names
// (or numbers) a container port of every pod it selects.
func wiring(deploys []*appsv1.Deployment, svcs []*corev1.Service) []string {
	var problems []string
	selected := map[string]bool{}
	for _, s := range svcs {
		if len(s.Spec.Selector) == 0 {
			problems = append(problems, fmt.Sprintf("Service %s has no selector", s.Name))
			continue
		}
		sel := labels.SelectorFromSet(s.Spec.Selector)
		n := 0
		for _, d := range deploys {
			if !sel.Matches(labels.Set(d.Spec.Template.Labels)) {
				continue
			}
			n++
			selected[d.Name] = true
			for _, p := range s.Spec.Ports {
				if !resolves(p.TargetPort, d.Spec.Template.Spec.Containers) {
					problems = append(problems, fmt.Sprintf("Service %s port %s: targetPort %s is no container port of Deployment %s", s.Name, p.Name, p.TargetPort.String(), d.Name))
				}
			}
		}
		if n == 0 {
			problems = append(problems, fmt.Sprintf("Service %s selects no Deployment", s.Name))
		}
	}
	for _, d := range deploys {
		if !selected[d.Name] {
			problems = append(problems, fmt.Sprintf("Deployment %s is selected by no Service", d.Name))
		}
	}
	return problems
}

func resolves(target intstr.IntOrString, cs []corev1.Container) bool {
	for _, c := range cs {
		for _, cp := range c.Ports {
			if target.Type == intstr.String && cp.Name == target.StrVal {
				return true
			}
			if target.Type == intstr.Int && cp.ContainerPort == target.IntVal {
				return true
			}
		}
	}
	return false
}

func TestWiring(t *testing.T) {
	for name, values := range map[string]string{
		"defaults":      ``,
		"full":          fullValues,
		"renamed":       `{namePrefix: x-, helloserver: {name: web, service: {name: websvc}}, loadgen: {name: lg, service: {name: lgsvc}}}`,
		"three-version": `{helloserver: {versions: [{name: v1}, {name: v2}, {name: v3, replicas: 0}]}}`,
	} {
		t.Run(name, func(t *testing.T) {
			objs := decode(t, renderValues(t, values).Manifest)
			if len(objs.deployments()) < 2 || len(objs.services()) != 2 {
				t.Fatalf("expected >= 2 Deployments and 2 Services, got %v", objs.kindNames())
			}
			if p := wiring(objs.deployments(), objs.services()); len(p) > 0 {
				t.Errorf("wiring problems:\n%s", strings.Join(p, "\n"))
			}
		})
	}
}

// TestWiringCatchesBreakage proves each wiring rule can fail.
func TestWiringCatchesBreakage(t *testing.T) {
	base := func() ([]*appsv1.Deployment, []*corev1.Service) {
		objs := decode(t, renderValues(t, ``).Manifest)
		return objs.deployments(), objs.services()
	}
	cases := []struct {
		name   string
		break_ func(d []*appsv1.Deployment, s []*corev1.Service) ([]*appsv1.Deployment, []*corev1.Service)
		want   string
	}{
		{"orphan deployment", func(d []*appsv1.Deployment, s []*corev1.Service) ([]*appsv1.Deployment, []*corev1.Service) {
			return d, s[:1]
		}, "is selected by no Service"},
		{"service selects nothing", func(d []*appsv1.Deployment, s []*corev1.Service) ([]*appsv1.Deployment, []*corev1.Service) {
			s[0].Spec.Selector = map[string]string{"app.kubernetes.io/name": "nobody"}
			return d, s
		}, "selects no Deployment"},
		{"unresolved target port", func(d []*appsv1.Deployment, s []*corev1.Service) ([]*appsv1.Deployment, []*corev1.Service) {
			s[0].Spec.Ports[0].TargetPort = intstr.FromString("metrics")
			return d, s
		}, "targetPort metrics is no container port"},
		{"numeric target port", func(d []*appsv1.Deployment, s []*corev1.Service) ([]*appsv1.Deployment, []*corev1.Service) {
			s[1].Spec.Ports[0].TargetPort = intstr.FromInt32(9999)
			return d, s
		}, "targetPort 9999 is no container port"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			d, s := tc.break_(base())
			p := strings.Join(wiring(d, s), "\n")
			if !strings.Contains(p, tc.want) {
				t.Errorf("wiring() = %q, want a problem containing %q", p, tc.want)
			}
		})
	}
}
