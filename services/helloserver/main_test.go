package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// syncBuffer is a bytes.Buffer safe for the server's and the test's goroutines.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// waitFor polls cond until it holds or the deadline passes.
func waitFor(t *testing.T, what string, within time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", within, what)
		}
		time.Sleep(5 * time.Millisecond) // poll interval, not synchronisation
	}
}

var client = &http.Client{Timeout: 5 * time.Second}

func status(url string) int {
	resp, err := client.Get(url)
	if err != nil {
		return 0
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}

func TestRunConfigError(t *testing.T) {
	tests := []struct {
		env  map[string]string
		want string
	}{
		{map[string]string{"PORT": "abc"}, `helloserver: invalid PORT="abc": must be an integer 1-65535` + "\n"},
		{map[string]string{"LOG_LEVEL": "loud"}, `helloserver: invalid LOG_LEVEL="loud": must be one of debug, info, warn, error` + "\n"},
		{map[string]string{"SHUTDOWN_DELAY": "-1s"}, `helloserver: invalid SHUTDOWN_DELAY="-1s": must be a duration >= 0 like 2s or 500ms` + "\n"},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			if code := run(t.Context(), tt.env, nil, &stdout, &stderr); code != 2 {
				t.Errorf("exit code = %d, want 2", code)
			}
			if stderr.String() != tt.want {
				t.Errorf("stderr = %q, want %q", stderr.String(), tt.want)
			}
			if stdout.Len() != 0 {
				t.Errorf("stdout = %q, want nothing", stdout.String())
			}
		})
	}
}

// TestRunInProcess drives run() as main does, on a loopback listener:
// serving, the startup line, the access log, then the drain on cancel.
func TestRunInProcess(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	base := "http://" + ln.Addr().String()
	environ := map[string]string{
		"POD_NAME": "test-pod", "SERVICE_VERSION": "v9",
		"SHUTDOWN_DELAY": "1s", "SHUTDOWN_TIMEOUT": "2s",
	}
	var stdout, stderr syncBuffer
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	exit := make(chan int, 1)
	go func() { exit <- run(ctx, environ, ln, &stdout, &stderr) }()

	waitFor(t, "GET / to answer", 5*time.Second, func() bool { return status(base+"/") == 200 })
	resp, err := client.Get(base + "/")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(body) != "Hello World!" || resp.Header.Get("X-Served-By") != "test-pod/v9" {
		t.Errorf("GET / = %q, X-Served-By %q", body, resp.Header.Get("X-Served-By"))
	}

	cancel()
	waitFor(t, "readyz 503 during the delay", 5*time.Second, func() bool { return status(base+"/readyz") == 503 })
	select {
	case code := <-exit:
		if code != 0 {
			t.Errorf("exit code = %d, want 0; stderr %q", code, stderr.String())
		}
	case <-time.After(10 * time.Second):
		t.Fatal("run did not return after cancel")
	}

	var starting map[string]any
	var requests int
	for _, line := range strings.Split(strings.TrimSpace(stdout.String()), "\n") {
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("stdout line is not JSON: %q", line)
		}
		switch m["message"] {
		case "Starting server...":
			starting = m
		case "request":
			requests++
		}
	}
	if starting == nil || starting["addr"] != ln.Addr().String() || starting["severity"] != "INFO" {
		t.Errorf("startup line = %v, want addr %s", starting, ln.Addr())
	}
	if requests < 2 {
		t.Errorf("access log lines = %d, want >= 2 (GET / twice; probes not logged)", requests)
	}
	if stderr.String() != "" {
		t.Errorf("stderr = %q", stderr.String())
	}
}

// TestBinaryDrainOnSIGTERM builds the real binary and sends it SIGTERM while
// clients are calling it, one of them over a keep-alive connection opened
// before the signal (as a mesh sidecar holds one). During the delay every
// request must still be answered 200, readiness must say 503, and the
// process must exit 0 inside the grace period.
//
// A handler that is still running when Shutdown starts is covered in-process
// by internal/drain's TestInFlightRequestCompletes (real http.Server on
// loopback, injected slow handler): the product has no slow endpoint to hold
// a request open here, and net/http drops a request whose headers are still
// arriving when Shutdown starts (it was never accepted), so half-sent
// headers cannot stand in for one.
func TestBinaryDrainOnSIGTERM(t *testing.T) {
	gobin, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("this test builds the binary and needs the go command on PATH: %v", err)
	}
	bin := filepath.Join(t.TempDir(), "helloserver")
	args := []string{"build", "-o", bin}
	if raceEnabled {
		args = append(args, "-race")
	}
	build := exec.Command(gobin, append(args, ".")...)
	build.Env = append(os.Environ(), "GOWORK=off")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}

	port := freePort(t)
	addr := "127.0.0.1:" + strconv.Itoa(port)
	base := "http://" + addr
	cmd := exec.Command(bin)
	cmd.Env = []string{
		// Default SHUTDOWN_DELAY (2s) and SHUTDOWN_TIMEOUT (2s): the
		// shipped settings are the ones proven to fit the 5 s grace period.
		"PORT=" + strconv.Itoa(port), "POD_NAME=bin-pod", "SERVICE_VERSION=v1",
	}
	// exec copies stdout into logs and Wait returns only after the copy is
	// done, so the last lines ("Shutdown complete") are never lost.
	var logs, stderr syncBuffer
	cmd.Stdout, cmd.Stderr = &logs, &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	waitErr := make(chan error, 1)
	exited := make(chan struct{})
	go func() { waitErr <- cmd.Wait(); close(exited) }()
	// Only matters if a check failed before the process exited: kill and
	// reap it so no server is left behind.
	t.Cleanup(func() { _ = cmd.Process.Kill(); <-exited })
	waitFor(t, "the server to answer", 20*time.Second, func() bool { return status(base+"/") == 200 })

	// A keep-alive connection, used once before the signal.
	conn, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(15 * time.Second))
	connReader := bufio.NewReader(conn)
	keepAliveGet := func(agent string) (*http.Response, string) {
		t.Helper()
		if _, err := io.WriteString(conn, "GET / HTTP/1.1\r\nHost: test\r\nUser-Agent: "+agent+"\r\n\r\n"); err != nil {
			t.Fatalf("%s: write: %v", agent, err)
		}
		resp, err := http.ReadResponse(connReader, nil)
		if err != nil {
			t.Fatalf("%s: %v", agent, err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		return resp, string(body)
	}
	if resp, body := keepAliveGet("keepalive-before"); resp.StatusCode != 200 || body != "Hello World!" || resp.Close {
		t.Fatalf("before SIGTERM: %d %q close=%v, want 200 kept alive", resp.StatusCode, body, resp.Close)
	}

	// Clients keep calling through the drain, bounded in count and time.
	var ok, bad, after atomic.Int64
	var signalled atomic.Bool
	stopLoad := make(chan struct{})
	loadDone := make(chan struct{})
	go func() {
		defer close(loadDone)
		deadline := time.Now().Add(10 * time.Second)
		for i := 0; i < 2000 && time.Now().Before(deadline); i++ {
			select {
			case <-stopLoad:
				return
			case <-time.After(10 * time.Millisecond): // pacing, ~100 rps
			}
			duringDrain := signalled.Load() // decided before the request starts
			switch code := status(base + "/"); {
			case code == 200:
				ok.Add(1)
				if duringDrain {
					after.Add(1)
				}
			case code != 0: // 0: not accepted (listener closed), which is fine
				bad.Add(1)
			}
		}
	}()

	sigterm := time.Now()
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "readyz 503 during the delay", 5*time.Second, func() bool { return status(base+"/readyz") == 503 })
	// From here on the server is draining: requests started now must still
	// be served during SHUTDOWN_DELAY.
	signalled.Store(true)
	// Still in the delay (the shutdown phase has not been logged): the open
	// connection is served, and told to close so the client moves on.
	if strings.Contains(logs.String(), "Shutting down") {
		t.Log("the delay passed before the keep-alive check (slow machine); it may fail for that reason")
	}
	if resp, body := keepAliveGet("keepalive-during-delay"); resp.StatusCode != 200 || body != "Hello World!" || !resp.Close {
		t.Errorf("during the delay: %d %q close=%v, want 200 with Connection: close", resp.StatusCode, body, resp.Close)
	}

	select {
	case err := <-waitErr:
		elapsed := time.Since(sigterm)
		t.Logf("exited %v after SIGTERM", elapsed.Round(time.Millisecond))
		var ee *exec.ExitError
		if errors.As(err, &ee) || err != nil {
			t.Fatalf("exit: %v; stderr %q", err, stderr.String())
		}
		if elapsed >= 5*time.Second {
			t.Errorf("exit took %v, beyond the 5 s grace period", elapsed)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("process did not exit after SIGTERM")
	}
	close(stopLoad)
	<-loadDone

	if bad.Load() != 0 {
		t.Errorf("%d requests got a non-200 answer during the drain", bad.Load())
	}
	if after.Load() == 0 {
		t.Errorf("no request was served after SIGTERM (ok total %d): the delay did not keep serving", ok.Load())
	}
	out := logs.String()
	for _, want := range []string{
		`"message":"Starting server..."`, `"message":"Shutdown started`, `"message":"Shutting down`,
		`"message":"Shutdown complete"`, `"User-Agent":"keepalive-during-delay"`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("stdout lacks %s:\n%s", want, out)
		}
	}
	if stderr.String() != "" {
		t.Errorf("stderr = %q, want nothing", stderr.String())
	}
}

// freePort asks the kernel for a free loopback port. The binary listens on
// all interfaces, as in a pod; the test only ever talks to 127.0.0.1.
func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// TestRunFlushesLogAtExit: with the periodic flush pushed out of reach, every
// access log line must still be in stdout once run returns (the exit path
// flushes after the drain), exactly one per request served.
func TestRunFlushesLogAtExit(t *testing.T) {
	saved := logFlushInterval
	logFlushInterval = time.Hour
	defer func() { logFlushInterval = saved }()

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	base := "http://" + ln.Addr().String()
	environ := map[string]string{"SHUTDOWN_DELAY": "0s", "SHUTDOWN_TIMEOUT": "2s"}
	var stdout, stderr syncBuffer
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	exit := make(chan int, 1)
	go func() { exit <- run(ctx, environ, ln, &stdout, &stderr) }()

	served := 0
	waitFor(t, "GET / to answer", 5*time.Second, func() bool {
		if status(base+"/") == 200 {
			served++
		}
		return served > 0
	})
	for range 20 {
		if status(base+"/") == 200 {
			served++
		}
	}
	if strings.Contains(stdout.String(), `"message":"request"`) {
		t.Fatalf("access log written before exit although the flush interval is 1h: %q", stdout.String())
	}
	cancel()
	select {
	case code := <-exit:
		if code != 0 {
			t.Fatalf("exit code = %d; stderr %q", code, stderr.String())
		}
	case <-time.After(10 * time.Second):
		t.Fatal("run did not return after cancel")
	}
	if got := strings.Count(stdout.String(), `"message":"request"`); got != served {
		t.Errorf("access log lines at exit = %d, want %d (one per request served)", got, served)
	}
}
