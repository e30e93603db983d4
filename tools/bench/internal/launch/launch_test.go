package launch

import (
	"fmt"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"
)

// TestMain doubles as the child process: LAUNCH_CHILD picks what it does.
func TestMain(m *testing.M) {
	switch os.Getenv("LAUNCH_CHILD") {
	case "":
		os.Exit(m.Run())
	case "hang":
		time.Sleep(time.Minute)
		os.Exit(0)
	case "fail":
		fmt.Println("starting")
		fmt.Println("invalid PORT: must be 1-65535")
		os.Exit(3)
	case "serve":
		http.HandleFunc("/ready", func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("ok")) })
		srv := &http.Server{Addr: "127.0.0.1:" + os.Getenv("LAUNCH_PORT"), ReadHeaderTimeout: time.Second}
		_ = srv.ListenAndServe()
		os.Exit(1)
	}
	os.Exit(2)
}

func child(mode string) []string { return []string{"LAUNCH_CHILD=" + mode} }

func TestRun(t *testing.T) {
	l := &Launcher{}
	tests := []struct {
		mode    string
		timeout time.Duration
		wantErr string
	}{
		{"hang", 300 * time.Millisecond, "killed after 300ms"},
		{"fail", 10 * time.Second, "exited with 3: invalid PORT: must be 1-65535"},
	}
	for _, tt := range tests {
		t.Run(tt.mode, func(t *testing.T) {
			start := time.Now()
			res := l.Run(RunOptions{Label: tt.mode, Argv: []string{os.Args[0]}, Env: child(tt.mode), Timeout: tt.timeout})
			if res.Err == nil || !strings.Contains(res.Err.Error(), tt.wantErr) {
				t.Errorf("err = %v, want %q", res.Err, tt.wantErr)
			}
			if time.Since(start) > tt.timeout+5*time.Second {
				t.Errorf("Run took %v, past its timeout %v", time.Since(start), tt.timeout)
			}
			if res.Usage.MaxRSS <= 0 {
				t.Errorf("no rusage: %+v", res.Usage)
			}
		})
	}
	if len(l.Commands) != 2 || !strings.HasPrefix(l.Commands[0].Line, "LAUNCH_CHILD=hang taskset -c ") {
		t.Errorf("commands noted: %+v", l.Commands)
	}
}

func TestServer(t *testing.T) {
	l := &Launcher{}
	port, err := FreePort()
	if err != nil {
		t.Fatal(err)
	}
	env := append(child("serve"), fmt.Sprintf("LAUNCH_PORT=%d", port))
	srv, err := l.StartServer("serve", "0", []string{os.Args[0]}, env, os.Stderr)
	if err != nil {
		t.Fatal(err)
	}
	d, err := srv.WaitReady(fmt.Sprintf("http://127.0.0.1:%d/ready", port), 10*time.Second)
	if err != nil || d <= 0 {
		t.Fatalf("WaitReady = %v, %v", d, err)
	}
	if srv.PeakRSSKB() <= 0 {
		t.Error("no VmHWM for a running server")
	}
	srv.Stop()
	if _, err := http.Get(fmt.Sprintf("http://127.0.0.1:%d/ready", port)); err == nil {
		t.Error("server still answers after Stop")
	}

	dead, err := l.StartServer("fail", "0", []string{os.Args[0]}, child("fail"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer dead.Stop()
	if _, err := dead.WaitReady("http://127.0.0.1:9/", 10*time.Second); err == nil || !strings.Contains(err.Error(), "exited before") {
		t.Errorf("WaitReady on an exited server: %v", err)
	}
}

func TestQuote(t *testing.T) {
	got := strings.Join(quote([]string{"wrk", "-d5s", "a b", "", "50,99"}), " ")
	if want := `wrk -d5s "a b" "" 50,99`; got != want {
		t.Errorf("quote = %s, want %s", got, want)
	}
}
