package chart_test

import (
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"

	"github.com/Masterminds/semver/v3"
	"helm.sh/helm/v3/pkg/action"
	"helm.sh/helm/v3/pkg/chartutil"
)

// pinnedHelmKubeVersion is the Kubernetes version the repository's own Helm
// (`go tool helm`, Helm 4) assumes offline: Helm 4 reads it from the
// k8s.io/client-go version in its build info (v0.X.Y means v1.X.0), which is
// the version this module selects.
func pinnedHelmKubeVersion(t *testing.T) string {
	t.Helper()
	cmd := exec.Command("go", "list", "-m", "-f", "{{.Version}}", "k8s.io/client-go")
	cmd.Env = append(os.Environ(), "GOWORK=off")
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list -m k8s.io/client-go: %v", err)
	}
	v, err := semver.NewVersion(strings.TrimSpace(string(out)))
	if err != nil {
		t.Fatal(err)
	}
	return "v1." + strconv.FormatUint(v.Minor(), 10) + ".0"
}

// TestKubeVersionRange: the chart installs on every minor GKE's release
// channels offer (1.32 to 1.37) and newer, is refused below, and renders
// offline with no flag: official Helm assumes the Kubernetes of the client-go
// it was built with (stamped by Helm 3's Makefile, read from the build info
// by Helm 4), and so does the pinned Helm 4.
func TestKubeVersionRange(t *testing.T) {
	cases := []struct {
		version, why string
		ok           bool
	}{
		{"v1.32.0", "oldest minor on GKE (Extended channel)", true},
		{"v1.32.11-gke.1000", "a GKE build", true},
		{"v1.37.2", "newest minor on GKE (Rapid channel)", true},
		{"v1.38.0", "a newer release", true},
		{"v1.37.0", "offline default of Helm v3.22 and v4.3 release binaries (client-go v0.37)", true},
		{"v1.36.0", "offline default of Helm v4.2 and v3.21.4 (client-go v0.36)", true},
		{pinnedHelmKubeVersion(t), "offline default of the pinned `go tool helm`", true},
		{"v1.31.9", "below the oldest GKE minor", false},
		{"v1.20.0", "Helm 3 built from source without its Makefile's ldflags", false},
	}
	for _, tc := range cases {
		t.Run(tc.version, func(t *testing.T) {
			kv, err := chartutil.ParseKubeVersion(tc.version)
			if err != nil {
				t.Fatal(err)
			}
			in := action.NewInstall(&action.Configuration{Log: func(string, ...any) {}})
			in.DryRun, in.ClientOnly, in.Replace = true, true, true
			in.ReleaseName, in.Namespace, in.KubeVersion = "asm-ready", namespace, kv
			_, err = in.Run(theChart(t), map[string]any{})
			if tc.ok && err != nil {
				t.Errorf("install on %s (%s): %v", tc.version, tc.why, err)
			}
			if !tc.ok && (err == nil || !strings.Contains(err.Error(), "kubeVersion")) {
				t.Errorf("install on %s (%s): %v, want a kubeVersion error", tc.version, tc.why, err)
			}
		})
	}
}
