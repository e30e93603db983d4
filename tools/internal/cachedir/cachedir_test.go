package cachedir

import (
	"path/filepath"
	"testing"
)

func TestDir(t *testing.T) {
	tests := []struct {
		name, cache, home, want string
		wantErr                 bool
	}{
		{name: "override wins", cache: "/tmp/x", home: "/home/u", want: "/tmp/x"},
		{name: "home default", home: "/home/u", want: filepath.Join("/home/u", ".cache", "asm-ready")},
		{name: "nothing set", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv(Env, tt.cache)
			t.Setenv("HOME", tt.home)
			t.Setenv("XDG_CACHE_HOME", "")
			got, err := Dir()
			if (err != nil) != tt.wantErr {
				t.Fatalf("Dir() error = %v, wantErr %v", err, tt.wantErr)
			}
			if got != tt.want {
				t.Errorf("Dir() = %q, want %q", got, tt.want)
			}
		})
	}
}
