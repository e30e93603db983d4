package meshcheck_test

import (
	"fmt"
	"maps"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/asm-ready/asm-ready/tools/meshcheck"
)

// istioCode ties an istioctl message to the meshcheck rules that answer it.
type istioCode struct {
	code  string
	kind  string   // what the analyzer reports on
	rules []string // meshcheck rules giving the same verdict
}

var (
	ist0118 = istioCode{"IST0118", "Service", []string{"MC001", "MC002"}}
	ist0150 = istioCode{"IST0150", "Service", []string{"MC005"}}
	ist0116 = istioCode{"IST0116", "Deployment", []string{"MC030"}}
	ist0137 = istioCode{"IST0137", "Deployment", []string{"MC031"}}
	ist0144 = istioCode{"IST0144", "Pod,Deployment", []string{"MC040"}}
	ist0123 = istioCode{"IST0123", "Namespace", []string{"MC060"}}
	ist0102 = istioCode{"IST0102", "Namespace", []string{"MC061"}}
)

// istioCases are the cases of istio/istio's analyzer tests
// (pkg/config/analysis/analyzers/analyzers_test.go) for every analyzer
// meshcheck shares a rule with, each written again as a fixture of ours in
// testdata/istio. For each case, code and object of the analyzer's kind,
// meshcheck must give Istio's verdict, or the difference is deliberate:
// the rule's VsIstio says why (`meshcheck rules`).
var istioCases = []struct {
	istio   string   // the analyzers_test.go case
	files   []string // under testdata/istio
	codes   []istioCode
	flagged map[string][]string // code -> objects Istio reports, "namespace/name"
	differs map[string]string   // "code namespace/name" -> the rule whose VsIstio explains it
}{
	{"portNameNotFollowConvention", []string{"port-name-convention.yaml"}, []istioCode{ist0118},
		map[string][]string{"IST0118": {"shop/cart", "billing/invoices"}}, nil},
	{"namedPort", []string{"port-name-named.yaml"}, []istioCode{ist0118}, nil, nil},
	{"unnamedPortInSystemNamespace", []string{"port-name-system.yaml"}, []istioCode{ist0118}, nil, nil},
	{"ExternalNameServiceTypeInvalidPortName", []string{"externalname-invalid.yaml"}, []istioCode{ist0150, ist0118},
		map[string][]string{"IST0150": {"partners/payments", "partners-2/maps", "partners-3/mainframe"}}, nil},
	{"ExternalNameServiceTypeValidPortName", []string{"externalname-valid.yaml"}, []istioCode{ist0150, ist0118}, nil, nil},
	{"serviceMultipleDeployments", []string{"multi-service.yaml"}, []istioCode{ist0116, ist0137},
		map[string][]string{"IST0116": {"store/catalog", "store/frontpage"}, "IST0137": {"store/search"}},
		map[string]string{"IST0116 store/search": "MC030"}},
	{"deploymentMultiServicesInDifferentNamespace", []string{"multi-service-namespaces.yaml"}, []istioCode{ist0116, ist0137}, nil, nil},
	{"serviceWithNoSelector", []string{"service-without-selector.yaml"}, []istioCode{ist0116, ist0137}, nil, nil},
	{"Application Pod SecurityContext with UID 1337", []string{"uid-pod-pod.yaml"}, []istioCode{ist0144},
		map[string][]string{"IST0144": {"default/pod-pod-uid"}}, nil},
	{"Application Container SecurityContext with UID 1337", []string{"uid-pod-container.yaml"}, []istioCode{ist0144},
		map[string][]string{"IST0144": {"default/pod-container-uid"}}, nil},
	{"Deployment Pod SecurityContext with UID 1337", []string{"uid-deployment-pod.yaml"}, []istioCode{ist0144},
		map[string][]string{"IST0144": {"default/deployment-pod-uid"}}, nil},
	{"Deployment Container SecurityContext with UID 1337", []string{"uid-deployment-container.yaml"}, []istioCode{ist0144},
		map[string][]string{"IST0144": {"default/deployment-container-uid"}}, nil},
	{"istioInjection", []string{"injection.yaml"}, []istioCode{ist0102, ist0123},
		map[string][]string{"IST0102": {"plain"}, "IST0123": {"both-labels", "multi-1", "multi-2", "multi-3"}}, nil},
	{"istioInjectionEnableNamespacesByDefault", []string{"injection.yaml", "injector-namespaces-by-default.yaml"}, []istioCode{ist0102, ist0123},
		map[string][]string{"IST0123": {"both-labels", "multi-1", "multi-2", "multi-3"}},
		map[string]string{"IST0102 plain": "MC061"}},
}

// TestIstioAgreement checks every case and logs the agreement table the
// README shows (go test -run TestIstioAgreement -v).
func TestIstioAgreement(t *testing.T) {
	type tally struct{ agree, missed, falsePositive int }
	table := map[string]*tally{}
	for _, tc := range istioCases {
		var paths []string
		for _, f := range tc.files {
			paths = append(paths, filepath.Join("testdata", "istio", f))
		}
		objs, err := meshcheck.Load(paths, nil)
		if err != nil {
			t.Fatalf("%s: %v", tc.istio, err)
		}
		rep := meshcheck.Check(objs, meshcheck.Options{})
		for _, ic := range tc.codes {
			row := ic.code + " " + strings.Join(ic.rules, "/")
			if table[row] == nil {
				table[row] = &tally{}
			}
			for _, o := range objs {
				if !slices.Contains(strings.Split(ic.kind, ","), o.Kind) {
					continue
				}
				ref := strings.TrimPrefix(o.Namespace+"/"+o.Name, "/")
				istio := slices.Contains(tc.flagged[ic.code], ref)
				ours := slices.ContainsFunc(rep.Findings, func(f meshcheck.Finding) bool {
					return f.Kind == o.Kind && f.Name == o.Name && f.Namespace == o.Namespace && slices.Contains(ic.rules, f.Rule)
				})
				switch {
				case istio == ours:
					table[row].agree++
					continue
				case istio:
					table[row].missed++
				default:
					table[row].falsePositive++
				}
				if rule := tc.differs[ic.code+" "+ref]; !deliberate(rule) {
					t.Errorf("%s: %s %s: Istio reports %s: %v, meshcheck (%s): %v", tc.istio, o.Kind, ref, ic.code, istio, strings.Join(ic.rules, "/"), ours)
				}
			}
		}
	}
	var b strings.Builder
	b.WriteString("| Istio | meshcheck | agree | missed | false positive |\n|---|---|---|---|---|\n")
	for _, row := range slices.Sorted(maps.Keys(table)) {
		code, rules, _ := strings.Cut(row, " ")
		fmt.Fprintf(&b, "| %s | %s | %d | %d | %d |\n", code, rules, table[row].agree, table[row].missed, table[row].falsePositive)
	}
	t.Log("\n" + b.String())
}

// deliberate reports a difference the rule documents.
func deliberate(rule string) bool {
	r, ok := meshcheck.LookupRule(rule)
	return ok && r.VsIstio != ""
}
