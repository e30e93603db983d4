package main

import (
	"strings"
	"testing"
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
			err := run(false, tt.repo, "", t.TempDir(), tt.server, tt.client)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want %q", err, tt.want)
			}
		})
	}
}
