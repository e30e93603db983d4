package repo

import (
	"os"
	"path/filepath"
	"testing"
)

func TestRoot(t *testing.T) {
	root := t.TempDir()
	if err := os.MkdirAll(filepath.Join(root, "charts"), 0o755); err != nil {
		t.Fatal(err)
	}
	deep := filepath.Join(root, "tools", "overlays", "internal")
	if err := os.MkdirAll(deep, 0o755); err != nil {
		t.Fatal(err)
	}
	if _, err := Root(deep); err == nil {
		t.Fatal("Root found a root without skaffold.yaml")
	}
	if err := os.WriteFile(filepath.Join(root, marker), []byte("apiVersion: x\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	got, err := Root(deep)
	if err != nil {
		t.Fatal(err)
	}
	if got != root {
		t.Errorf("Root() = %q, want %q", got, root)
	}
}
