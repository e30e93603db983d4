package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/asm-ready/asm-ready/tools/internal/cachedir"
	"github.com/asm-ready/asm-ready/tools/overlays/internal/schemagen"
)

func TestRun(t *testing.T) {
	cache, err := cachedir.Dir()
	if err != nil {
		t.Fatal(err)
	}
	schemas, err := schemagen.Generate(context.Background(), cache)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	write := func(name, text string) string {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	good := write("good.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata: {a: b}\n")
	bad := write("bad.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata: {a: 1}\n")
	// lifecycle.stopSignal exists since Kubernetes 1.33: valid for the newest
	// version, refused for the oldest.
	newer := write("newer.yaml", "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n  - name: c\n    image: i\n    lifecycle: {stopSignal: SIGTERM}\n")
	write("k/cm.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n")
	write("k/kustomization.yaml", "resources: [cm.yaml]\nnamespace: asm-ready\n")
	write("broken/kustomization.yaml", "resources: [missing.yaml]\n")
	tests := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"valid file", []string{"-schemas", schemas, good}, 0, "1 objects in 1 inputs valid"},
		{"kustomization dir", []string{"-schemas", schemas, filepath.Join(dir, "k")}, 0, "1 objects in 1 inputs valid"},
		{"invalid file", []string{"-schemas", schemas, good, bad}, 1, "bad.yaml: ConfigMap/c: /data/a"},
		{"field of a newer Kubernetes", []string{"-schemas", schemas, newer}, 1, "kubeconform (Kubernetes " + schemagen.KubernetesVersions[0] + "): " + newer + ": Pod/p"},
		{"broken kustomization", []string{"-schemas", schemas, filepath.Join(dir, "broken")}, 2, "missing.yaml"},
		{"no args", []string{"-schemas", schemas}, 2, "no PATH given"},
		{"missing path", []string{"-schemas", schemas, filepath.Join(dir, "nope")}, 2, "nope"},
		{"empty dir", []string{"-schemas", schemas, t.TempDir()}, 2, "no kustomization.yaml"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := run(context.Background(), tt.args, &stdout, &stderr)
			if code != tt.code {
				t.Errorf("exit %d, want %d\nstdout: %s\nstderr: %s", code, tt.code, stdout.String(), stderr.String())
			}
			if all := stdout.String() + stderr.String(); !strings.Contains(all, tt.want) {
				t.Errorf("output %q does not contain %q", all, tt.want)
			}
		})
	}
}
