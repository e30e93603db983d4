package cluster

import (
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"net/netip"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"k8s.io/client-go/tools/clientcmd"
	"k8s.io/client-go/util/keyutil"
	sigsyaml "sigs.k8s.io/yaml"
)

func readCert(t *testing.T, path string) *x509.Certificate {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	blk, _ := pem.Decode(b)
	if blk == nil {
		t.Fatalf("%s: no PEM block", path)
	}
	c, err := x509.ParseCertificate(blk.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestPKI checks every certificate against what the API server's
// authorizers and the clients dialling it require.
func TestPKI(t *testing.T) {
	dir := t.TempDir()
	if err := writePKI(dir, "https://"+nodeIP+":6443"); err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(readCert(t, filepath.Join(dir, "ca.crt")))
	tests := []struct {
		file   string
		cn     string
		org    []string
		dial   string // server certificates: a name or address clients use
		usages []x509.ExtKeyUsage
	}{
		{file: "apiserver", cn: "kube-apiserver", dial: apiServiceIP, usages: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}},
		{file: "apiserver", cn: "kube-apiserver", dial: "kubernetes.default.svc.cluster.local", usages: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}},
		{file: "apiserver", cn: "kube-apiserver", dial: nodeIP, usages: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}},
		{file: "kubelet-serving", cn: NodeName, dial: nodeIP, usages: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}},
		{file: "kubelet", cn: "system:node:" + NodeName, org: []string{"system:nodes"}, usages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}},
		{file: "kube-proxy", cn: "system:kube-proxy", usages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}},
		{file: "kube-scheduler", cn: "system:kube-scheduler", usages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}},
		{file: "kube-controller-manager", cn: "system:kube-controller-manager", usages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}},
		{file: "admin", cn: "asm-ready-admin", org: []string{"system:masters"}, usages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}},
		{file: "apiserver-kubelet-client", cn: "kube-apiserver-kubelet-client", org: []string{"system:masters"}, usages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}},
	}
	for _, tc := range tests {
		t.Run(tc.file+"/"+tc.dial, func(t *testing.T) {
			c := readCert(t, filepath.Join(dir, tc.file+".crt"))
			if c.Subject.CommonName != tc.cn || !slices.Equal(c.Subject.Organization, tc.org) {
				t.Errorf("subject CN=%q O=%q, want CN=%q O=%q", c.Subject.CommonName, c.Subject.Organization, tc.cn, tc.org)
			}
			opts := x509.VerifyOptions{Roots: pool, KeyUsages: tc.usages, DNSName: tc.dial}
			if _, err := c.Verify(opts); err != nil {
				t.Errorf("verify: %v", err)
			}
			if tc.dial != "" {
				if err := c.VerifyHostname(tc.dial); err != nil {
					t.Error(err)
				}
			}
			if tc.usages[0] == x509.ExtKeyUsageClientAuth {
				cfg, err := clientcmd.BuildConfigFromFlags("", filepath.Join(dir, tc.file+".kubeconfig"))
				if err != nil {
					t.Fatal(err)
				}
				if cfg.Host != "https://"+nodeIP+":6443" || cfg.CertFile != filepath.Join(dir, tc.file+".crt") {
					t.Errorf("kubeconfig: host %q cert %q", cfg.Host, cfg.CertFile)
				}
			}
		})
	}
	if keys, err := keyutil.PublicKeysFromFile(filepath.Join(dir, "service-account.key")); err != nil || len(keys) != 1 {
		t.Errorf("service-account.key: %d public keys, %v; want the signing key's", len(keys), err)
	}
}

// ipv4 matches an IPv4 address in text.
var ipv4 = regexp.MustCompile(`\b\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}\b`)

// TestConfigsContained renders every config and checks that each address in
// it is loopback or inside the node's 198.18.0.0/15, and that each parses.
func TestConfigsContained(t *testing.T) {
	n := &Node{State: t.TempDir(), bin: map[string]string{"runc": "/bin/runc", "bridge": "/bin/bridge"}}
	for _, d := range []string{"cni", "containerd/certs.d/_default"} {
		if err := os.MkdirAll(filepath.Join(n.State, d), 0o700); err != nil {
			t.Fatal(err)
		}
	}
	if err := n.writeConfigs(); err != nil {
		t.Fatal(err)
	}
	node := netip.MustParsePrefix(contained)
	files, _ := filepath.Glob(filepath.Join(n.State, "*"))
	more, _ := filepath.Glob(filepath.Join(n.State, "*", "*"))
	for _, f := range append(files, more...) {
		b, err := os.ReadFile(f)
		if err != nil {
			continue // a directory
		}
		t.Run(filepath.Base(f), func(t *testing.T) {
			for _, s := range ipv4.FindAllString(string(b), -1) {
				a, err := netip.ParseAddr(s)
				if err != nil {
					t.Errorf("%q is no address", s)
					continue
				}
				if !a.IsLoopback() && !node.Contains(a) {
					t.Errorf("address %s is outside %s and loopback", a, contained)
				}
			}
			var v any
			switch filepath.Ext(f) {
			case ".yaml":
				for _, doc := range strings.Split(string(b), "\n---") {
					if err := sigsyaml.Unmarshal([]byte(doc), &v); err != nil {
						t.Error(err)
					}
				}
			case ".conflist":
				if err := json.Unmarshal(b, &v); err != nil {
					t.Error(err)
				}
			}
		})
	}
}

func TestDockerfileImages(t *testing.T) {
	tests := []struct {
		name, dockerfile string
		want             []string
	}{
		{"syntax, platform flag, stage", "# syntax=docker/dockerfile:1\nFROM --platform=$BUILDPLATFORM golang:1.26.8-bookworm AS build\nRUN true\nFROM gcr.io/distroless/static-debian12:nonroot\nCOPY --from=build /a /a\n",
			[]string{"docker/dockerfile:1", "golang:1.26.8-bookworm", "gcr.io/distroless/static-debian12:nonroot"}},
		{"stage reused, scratch, lower case", "from golang:1 as b\nFROM b\nFROM scratch\n", []string{"golang:1"}},
		{"syntax only on the first line", "FROM a\n# syntax=x\n", []string{"a"}},
		{"same image twice", "FROM a AS x\nFROM a\n", []string{"a"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := filepath.Join(t.TempDir(), "Dockerfile")
			if err := os.WriteFile(p, []byte(tc.dockerfile), 0o644); err != nil {
				t.Fatal(err)
			}
			got, err := dockerfileImages(p)
			if err != nil || !slices.Equal(got, tc.want) {
				t.Errorf("got %q, %v; want %q", got, err, tc.want)
			}
		})
	}
}

func TestStandIn(t *testing.T) {
	tests := []struct{ ref, want, err string }{
		{"golang:1.26.8-bookworm", "builder", ""},
		{"golang:1.26.8", "builder", ""},
		{"golang:1.26.9-bookworm", "", "local Go toolchain, go1.26.8"},
		{"golang:1.26.80", "", "local Go toolchain"},
		{"gcr.io/distroless/static-debian12:nonroot", "distroless", ""},
		{"docker/dockerfile:1", "frontend", ""},
		{"alpine:3", "", "no locally made image stands in for alpine:3"},
	}
	for _, tc := range tests {
		got, err := standIn(tc.ref, "go1.26.8")
		if got != tc.want || (err == nil) != (tc.err == "") || (err != nil && !strings.Contains(err.Error(), tc.err)) {
			t.Errorf("standIn(%q) = %q, %v; want %q, error with %q", tc.ref, got, err, tc.want, tc.err)
		}
	}
}

// TestServiceImages reads the real renders: every service image the
// overlay and the chart name, under each name, with a Dockerfile.
func TestServiceImages(t *testing.T) {
	repo, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	refs, err := ImageRefs(repo)
	if err != nil {
		t.Fatal(err)
	}
	for _, svc := range []string{"helloserver", "loadgen"} {
		if len(refs[svc]) < 2 {
			t.Errorf("%s: %q, want the overlay's and the chart's names", svc, refs[svc])
		}
		if !slices.Contains(refs[svc], svc+":dev") {
			t.Errorf("%s: %q lacks overlays/local's %s:dev", svc, refs[svc], svc)
		}
	}
}

func TestLayerDeterministic(t *testing.T) {
	base, cfg := distroless()
	var digests []string
	for range 2 {
		img, err := image(t.TempDir(), cfg, base)
		if err != nil {
			t.Fatal(err)
		}
		d, err := img.Digest()
		if err != nil {
			t.Fatal(err)
		}
		digests = append(digests, d.String())
	}
	if digests[0] != digests[1] {
		t.Errorf("the same inputs made two images: %v", digests)
	}
}

func FuzzDockerfileImages(f *testing.F) {
	f.Add("# syntax=docker/dockerfile:1\nFROM --platform=x golang:1 AS b\nFROM b\n")
	f.Fuzz(func(t *testing.T, s string) {
		p := filepath.Join(t.TempDir(), "Dockerfile")
		if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
		refs, err := dockerfileImages(p)
		if err != nil {
			return // a line too long for the scanner
		}
		for _, r := range refs {
			if r == "" || r == "scratch" || strings.ContainsAny(r, " \t\n") {
				t.Errorf("image %q from %q", r, s)
			}
		}
	})
}
