package kbuild

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestBuild(t *testing.T) {
	dir := t.TempDir()
	files := map[string]string{
		"kustomization.yaml": "namespace: asm-ready\nresources: [cm.yaml]\nimages:\n- {name: a, newName: b, newTag: c}\n",
		"cm.yaml":            "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n",
	}
	for name, text := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	out, err := Build(dir)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(out), "namespace: asm-ready") || !strings.Contains(string(out), "kind: ConfigMap") {
		t.Errorf("Build() =\n%s\nwant the ConfigMap in asm-ready", out)
	}
	// Default options: no managed-by label is added.
	if strings.Contains(string(out), "app.kubernetes.io/managed-by") {
		t.Errorf("Build() added a managed-by label:\n%s", out)
	}
	if _, err := Build(filepath.Join(dir, "missing")); err == nil || !strings.Contains(err.Error(), "missing") {
		t.Errorf("Build(missing) error = %v, want one naming the directory", err)
	}
}
