package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestReadChart(t *testing.T) {
	const resources = `
  resources:
    requests: {cpu: 20m, memory: 32Mi}
    limits: {cpu: 500m, memory: 64Mi}
`
	for _, tc := range []struct {
		name, values string
		err          string // "" for success
	}{
		{"complete", "loadgen:\n  requestsPerSecond: 10" + resources, ""},
		{"rate missing", "loadgen:" + resources, "loadgen.requestsPerSecond is 0"},
		{"not a quantity", "loadgen:\n  requestsPerSecond: 10\n  resources:\n    requests: {cpu: lots}\n", "quantities must match"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "values.yaml")
			if err := os.WriteFile(path, []byte(tc.values), 0o644); err != nil {
				t.Fatal(err)
			}
			got, err := readChart(path)
			if tc.err == "" {
				if err != nil || got.RequestsPerSecond != 10 || got.Resources.Limits.Memory().String() != "64Mi" {
					t.Errorf("got %+v, %v", got, err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.err) || !strings.Contains(err.Error(), path) {
				t.Errorf("error %v, want one naming %s and %q", err, path, tc.err)
			}
		})
	}
}

// The chart in this repository is what make bench reads.
func TestReadsTheRepositorysChart(t *testing.T) {
	if _, err := readChart("../../charts/asm-ready/values.yaml"); err != nil {
		t.Error(err)
	}
}
