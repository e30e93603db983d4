package cluster

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestAssetsDir(t *testing.T) {
	tests := []struct {
		name    string
		env     map[string]string
		want    string
		wantErr bool
	}{
		{name: "KUBEBUILDER_ASSETS wins", env: map[string]string{"KUBEBUILDER_ASSETS": "/k", "ASM_READY_CACHE": "/c", "HOME": "/h"}, want: "/k"},
		{name: "ASM_READY_CACHE", env: map[string]string{"ASM_READY_CACHE": "/c", "XDG_CACHE_HOME": "/x", "HOME": "/h"}, want: "/c/kube/" + KubeVersion},
		{name: "XDG_CACHE_HOME", env: map[string]string{"XDG_CACHE_HOME": "/x", "HOME": "/h"}, want: "/x/asm-ready/kube/" + KubeVersion},
		{name: "HOME", env: map[string]string{"HOME": "/h"}, want: "/h/.cache/asm-ready/kube/" + KubeVersion},
		{name: "nothing", env: map[string]string{}, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := AssetsDir(func(k string) string { return tt.env[k] })
			if tt.wantErr {
				if err == nil || !strings.Contains(err.Error(), "KUBEBUILDER_ASSETS") {
					t.Fatalf("AssetsDir error = %v, want one naming KUBEBUILDER_ASSETS", err)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("AssetsDir = %q, %v; want %q", got, err, tt.want)
			}
		})
	}
}

func TestCheckAssets(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, mode os.FileMode) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte("#!/bin/true\n"), mode); err != nil {
			t.Fatal(err)
		}
	}
	err := CheckAssets(dir)
	if err == nil || !strings.Contains(err.Error(), "etcd, kube-apiserver, kube-controller-manager") || !strings.Contains(err.Error(), "tools/kube/build.sh") {
		t.Fatalf("CheckAssets(empty) = %v, want all three named and the build command", err)
	}
	write("etcd", 0o755)
	write("kube-apiserver", 0o644) // not executable: as good as missing
	write("kube-controller-manager", 0o755)
	err = CheckAssets(dir)
	if err == nil || !strings.Contains(err.Error(), "missing from "+dir+": kube-apiserver;") {
		t.Fatalf("CheckAssets(non-executable kube-apiserver) = %v", err)
	}
	write("kube-apiserver", 0o755)
	if err := os.Chmod(filepath.Join(dir, "kube-apiserver"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := CheckAssets(dir); err != nil {
		t.Fatalf("CheckAssets(complete) = %v", err)
	}
}

func TestWarnings(t *testing.T) {
	w := &Warnings{}
	w.HandleWarningHeader(299, "-", "unknown field \"spec.x\"")
	w.HandleWarningHeader(299, "kube-apiserver", "would violate PodSecurity")
	w.HandleWarningHeader(199, "-", "not a warning code")
	w.HandleWarningHeader(299, "-", "")
	got := w.Take()
	want := []string{`unknown field "spec.x"`, "would violate PodSecurity (from kube-apiserver)"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Fatalf("Take() = %q, want %q", got, want)
	}
	if again := w.Take(); len(again) != 0 {
		t.Fatalf("second Take() = %q, want nothing", again)
	}
}

func TestRestrictedLabels(t *testing.T) {
	l := RestrictedLabels()
	for _, mode := range []string{"enforce", "warn", "audit"} {
		if got := l["pod-security.kubernetes.io/"+mode]; got != "restricted" {
			t.Errorf("pod-security.kubernetes.io/%s = %q, want restricted", mode, got)
		}
	}
}
