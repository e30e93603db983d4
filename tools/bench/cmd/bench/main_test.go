package main

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/asm-ready/asm-ready/tools/bench/internal/suite"
)

func TestRunRejectsBadFlags(t *testing.T) {
	tests := []struct {
		name, repo, server, client, want string
	}{
		{"not the repo", t.TempDir(), "0", "1", "is not the repository root"},
		{"same CPU", "../../../..", "1", "1", "pin them to different CPUs"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := run(false, tt.repo, "", t.TempDir(), tt.server, tt.client, suite.Selection{})
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want %q", err, tt.want)
			}
		})
	}
}

func TestDefaultOut(t *testing.T) {
	partial := suite.Selection{Sections: []string{suite.SecRate}}
	tests := []struct {
		name  string
		quick bool
		sel   suite.Selection
		want  string
	}{
		{"full run writes the reference doc", false, suite.Selection{}, "/repo/docs/benchmarks.md"},
		{"quick", true, suite.Selection{}, "/cache/benchmarks-quick.md"},
		{"partial", false, partial, "/cache/benchmarks-partial.md"},
		{"partial and quick", true, partial, "/cache/benchmarks-partial.md"},
		{"repeat alone is partial", false, suite.Selection{Repeat: 3}, "/cache/benchmarks-partial.md"},
		{"repeat 1 is the full run", false, suite.Selection{Repeat: 1}, "/repo/docs/benchmarks.md"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := defaultOut("/repo", "/cache", tt.quick, tt.sel); got != filepath.FromSlash(tt.want) {
				t.Errorf("defaultOut = %q, want %q", got, tt.want)
			}
		})
	}
}
