package deps

import (
	"errors"
	"os/exec"
	"strings"
	"testing"
)

// fakeSystem has the programs in have; apt-get "installs" a package by
// adding the program of the same name, and fails until updated if stale.
type fakeSystem struct {
	have   map[string]bool
	stale  bool
	broken bool
	calls  []string
}

func (f *fakeSystem) sys(root bool) System {
	return System{
		IsRoot: root,
		LookPath: func(p string) (string, error) {
			if f.have[p] {
				return "/usr/bin/" + p, nil
			}
			return "", exec.ErrNotFound
		},
		Run: func(name string, args ...string) error {
			f.calls = append(f.calls, name+" "+strings.Join(args, " "))
			if f.broken {
				return errors.New("exit status 100")
			}
			if args[0] == "update" {
				f.stale = false
				return nil
			}
			if f.stale {
				return errors.New("E: Unable to locate package")
			}
			for _, a := range args[1:] {
				if a == "nginx" || a == "wrk" {
					f.have[a] = true
				}
			}
			return nil
		},
	}
}

var need = []Debian{{"wrk", "wrk"}, {"nginx", "nginx"}, {"taskset", "util-linux"}}

func TestEnsure(t *testing.T) {
	tests := []struct {
		name      string
		have      []string
		root      bool
		stale     bool
		broken    bool
		wantErr   string
		wantCalls []string
	}{
		{name: "all present, nothing run", have: []string{"wrk", "nginx", "taskset"}, root: true},
		{name: "root installs the missing ones", have: []string{"taskset"}, root: true,
			wantCalls: []string{"apt-get install -y --no-install-recommends wrk nginx"}},
		{name: "stale lists: update then retry", have: []string{"taskset"}, root: true, stale: true,
			wantCalls: []string{"apt-get install -y --no-install-recommends wrk nginx", "apt-get update", "apt-get install -y --no-install-recommends wrk nginx"}},
		{name: "not root names the packages", have: []string{"taskset", "nginx"}, root: false,
			wantErr: "wrk not found: install the Debian package(s) with `sudo apt-get install -y wrk`"},
		{name: "apt broken", have: []string{"taskset"}, root: true, broken: true, wantErr: "apt-get update failed",
			wantCalls: []string{"apt-get install -y --no-install-recommends wrk nginx", "apt-get update"}},
		{name: "package without the program", have: []string{"wrk", "nginx"}, root: true,
			wantErr:   "taskset still not found after installing the Debian package util-linux",
			wantCalls: []string{"apt-get install -y --no-install-recommends util-linux"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := &fakeSystem{have: map[string]bool{}, stale: tt.stale, broken: tt.broken}
			for _, h := range tt.have {
				f.have[h] = true
			}
			paths, err := Ensure(f.sys(tt.root), need)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
			} else if err != nil {
				t.Fatal(err)
			} else if len(paths) != len(need) {
				t.Errorf("paths = %v, want all of %v", paths, need)
			}
			if strings.Join(f.calls, "\n") != strings.Join(tt.wantCalls, "\n") {
				t.Errorf("calls = %q, want %q", f.calls, tt.wantCalls)
			}
		})
	}
}
