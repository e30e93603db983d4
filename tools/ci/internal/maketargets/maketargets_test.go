package maketargets

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestList(t *testing.T) {
	dir := t.TempDir()
	mk := `include extra.mk
VAR := value
OTHER ::= x
.PHONY: build test
build: ## Build.
	@echo build
test lint: build
	@echo $@
$(VAR)-target:
	@echo v
%.o: %.c
	cc -c $<
`
	if err := os.WriteFile(filepath.Join(dir, "Makefile"), []byte(mk), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "extra.mk"), []byte("included:\n\t@true\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	got, err := List(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"build", "test", "lint", "value-target", "included"} {
		if !got[want] {
			t.Errorf("target %q missing from %v", want, got)
		}
	}
	for _, not := range []string{"VAR", "OTHER", ".PHONY", "Makefile", "extra.mk", "%.o"} {
		if got[not] {
			t.Errorf("%q listed as a target", not)
		}
	}
}

func TestListFails(t *testing.T) {
	dir := t.TempDir()
	if _, err := List(dir); err == nil {
		t.Fatal("no Makefile: want an error")
	}
	if err := os.WriteFile(filepath.Join(dir, "Makefile"), []byte("include missing.mk\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := List(dir); err == nil || !strings.Contains(err.Error(), "missing.mk") {
		t.Fatalf("broken include: want an error naming it, got %v", err)
	}
}

func TestParse(t *testing.T) {
	db := `# Variables
VAR := x
build: not-in-files-section
# Files
# Not a target:
Makefile:
#  Implicit rule search has not been done.

real:
#  Phony target (prerequisite of .PHONY).
	@echo

two:: a
# Not a target:
.DEFAULT:
after-dot:
`
	got, err := Parse([]byte(db))
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"after-dot", "real", "two"}
	if len(got) != len(want) {
		t.Fatalf("got %v, want %v", got, want)
	}
	for _, w := range want {
		if !got[w] {
			t.Errorf("missing %q in %v", w, got)
		}
	}
	if _, err := Parse([]byte("# Files\n")); err == nil {
		t.Fatal("empty database: want an error")
	}
}
