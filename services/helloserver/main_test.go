package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/asm-ready/asm-ready/services/helloserver/config"
	"github.com/asm-ready/asm-ready/services/helloserver/internal/accesslog"
)

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

// status is the status of GET url, 0 if it could not be sent.
func status(url string) int {
	resp, err := client.Get(url)
	if err != nil {
		return 0
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}

// freePort asks the kernel for a free port. The server listens on all
// interfaces, as in a pod; the tests only ever talk to 127.0.0.1.
func freePort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", ":0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return strconv.Itoa(ln.Addr().(*net.TCPAddr).Port)
}

// busyPort holds a port for the test's lifetime.
func busyPort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", ":0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	return strconv.Itoa(ln.Addr().(*net.TCPAddr).Port)
}

// TestRunArgs: --help and --version answer on stdout and exit 0, a bad
// argument is one prefixed line and the usage on stderr with exit 2, and
// none of them starts a server (PORT is busy: listening would exit 1).
func TestRunArgs(t *testing.T) {
	var usage bytes.Buffer
	usageOf(&usage)
	tests := []struct {
		args       []string
		code       int
		stdout     string
		stderrHead string // first line; the usage follows it
	}{
		{[]string{"--help"}, 0, usage.String(), ""},
		{[]string{"-h"}, 0, usage.String(), ""},
		{[]string{"-help"}, 0, usage.String(), ""},
		{[]string{"--version"}, 0, "helloserver dev (commit unknown)\n", ""},
		{[]string{"--bogus"}, 2, "", "helloserver: flag provided but not defined: -bogus\n"},
		{[]string{"--version=maybe"}, 2, "", `helloserver: invalid boolean value "maybe" for -version: parse error` + "\n"},
		{[]string{"serve"}, 2, "", `helloserver: unexpected argument "serve"` + "\n"},
		{[]string{"--version", "x"}, 2, "", `helloserver: unexpected argument "x"` + "\n"},
	}
	environ := map[string]string{"PORT": busyPort(t), "LOG_LEVEL": "loud"} // --help wins over a bad setting
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := run(t.Context(), tt.args, environ, &stdout, &stderr)
			wantStderr := ""
			if tt.stderrHead != "" {
				wantStderr = tt.stderrHead + usage.String()
			}
			if code != tt.code || stdout.String() != tt.stdout || stderr.String() != wantStderr {
				t.Errorf("exit %d, stdout %q, stderr %q; want %d, %q, %q", code, stdout.String(), stderr.String(), tt.code, tt.stdout, wantStderr)
			}
		})
	}
}

func usageOf(w io.Writer) { usage(w) }

func TestUsageListsEveryVariable(t *testing.T) {
	var b bytes.Buffer
	usage(&b)
	out := b.String()
	if !strings.HasPrefix(out, "helloserver answers GET /") || !strings.Contains(out, "\nUsage: helloserver [--version]\n") {
		t.Errorf("usage lacks the sentence or the usage line:\n%s", out)
	}
	for _, v := range config.Vars {
		if !strings.Contains(out, "\n  "+v.Name+"="+v.Default+"  ("+v.Allowed+")\n        "+v.Help+"\n") {
			t.Errorf("usage lacks %s=%s and what it allows:\n%s", v.Name, v.Default, out)
		}
	}
}

// TestREADME holds services/helloserver/README.md to the code: its variable
// table is config.Vars row for row, and it states the header caps.
func TestREADME(t *testing.T) {
	b, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	readme := string(b)
	var rows, want []string
	for line := range strings.Lines(readme) {
		if regexp.MustCompile("^\\| `[A-Z][A-Z_]*` \\|").MatchString(line) {
			rows = append(rows, strings.TrimSpace(line))
		}
	}
	for _, v := range config.Vars {
		def := ""
		if v.Default != "" {
			def = "`" + v.Default + "`"
		}
		want = append(want, fmt.Sprintf("| `%s` | %s | %s | %s |", v.Name, def, v.Allowed, v.Help))
	}
	if !slices.Equal(rows, want) {
		t.Errorf("README variable rows:\n%s\nwant (from config.Vars):\n%s", strings.Join(rows, "\n"), strings.Join(want, "\n"))
	}
	for _, s := range []string{
		fmt.Sprintf("first %d headers", accesslog.MaxHeaders),
		fmt.Sprintf("first %d bytes", accesslog.MaxHeaderValue),
	} {
		if !strings.Contains(readme, s) {
			t.Errorf("README does not say %q", s)
		}
	}
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
			if code := run(t.Context(), nil, tt.env, &stdout, &stderr); code != 2 {
				t.Errorf("exit code = %d, want 2", code)
			}
			if stderr.String() != tt.want || stdout.Len() != 0 {
				t.Errorf("stderr = %q, stdout = %q; want %q and nothing", stderr.String(), stdout.String(), tt.want)
			}
		})
	}
}

func TestRunBusyPort(t *testing.T) {
	port := busyPort(t)
	var stdout, stderr bytes.Buffer
	code := run(t.Context(), nil, map[string]string{"PORT": port}, &stdout, &stderr)
	want := "helloserver: cannot listen on :" + port + ": bind: address already in use (choose a free port with PORT)\n"
	if code != 1 || stderr.String() != want || stdout.Len() != 0 {
		t.Errorf("exit %d, stderr %q, stdout %q; want 1, %q, nothing", code, stderr.String(), stdout.String(), want)
	}
}

// TestRunInProcess drives run() as main does, in each log format: serving,
// the startup line, the access log, then the drain on cancel.
func TestRunInProcess(t *testing.T) {
	for _, format := range []string{"json", "text"} {
		t.Run(format, func(t *testing.T) {
			port := freePort(t)
			base := "http://127.0.0.1:" + port
			environ := map[string]string{
				"PORT": port, "LOG_FORMAT": format, "POD_NAME": "test-pod", "SERVICE_VERSION": "v9",
				"SHUTDOWN_DELAY": "1s", "SHUTDOWN_TIMEOUT": "2s",
			}
			var stdout, stderr bytes.Buffer // read once run returned
			ctx, cancel := context.WithCancel(t.Context())
			defer cancel()
			exit := make(chan int, 1)
			go func() { exit <- run(ctx, nil, environ, &stdout, &stderr) }()

			waitFor(t, "GET / to answer", 5*time.Second, func() bool { return status(base+"/healthz") == 200 })
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
			if stderr.Len() != 0 {
				t.Errorf("stderr = %q", stderr.String())
			}
			out := stdout.String()
			wantStart := `"severity":"INFO","message":"Starting server...","addr":"[::]:` + port + `"`
			requestLine := `"message":"request",`
			wantRequest := requestLine + `"httpRequest":{"requestMethod":"GET","requestUrl":"/","status":200,`
			if format == "text" {
				wantStart = `level=INFO msg="Starting server..." addr=[::]:` + port + " "
				requestLine = "msg=request "
				wantRequest = "level=INFO " + requestLine + "method=GET path=/ status=200 latency="
			}
			// One request line, for GET /: the probes are not logged.
			if !strings.Contains(out, wantStart) || strings.Count(out, wantRequest) != 1 || strings.Count(out, requestLine) != 1 {
				t.Errorf("stdout lacks %s or has another request line than one %s:\n%s", wantStart, wantRequest, out)
			}
		})
	}
}

// TestBinaryDrainOnSIGTERM builds the real binary and sends it SIGTERM while
// clients are calling it, one of them over a keep-alive connection opened
// before the signal (as a mesh sidecar holds one). During the delay every
// request must still be answered 200, readiness must say 503, and the
// process must exit 0 inside the grace period.
//
// A handler still running when Shutdown starts is covered by
// TestInFlightRequestCompletes (a slow test handler): the product has no
// slow endpoint to hold a request open here.
func TestBinaryDrainOnSIGTERM(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "helloserver")
	build := exec.Command("go", "build", "-o", bin, ".")
	build.Env = append(os.Environ(), "GOWORK=off")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}

	port := freePort(t)
	addr := "127.0.0.1:" + port
	base := "http://" + addr
	cmd := exec.Command(bin)
	// Default SHUTDOWN_DELAY (2s) and SHUTDOWN_TIMEOUT (2s): the shipped
	// settings are the ones proven to fit the 5 s grace period.
	cmd.Env = []string{"PORT=" + port, "POD_NAME=bin-pod", "SERVICE_VERSION=v1"}
	// Wait returns only after exec copied all output here: read them after.
	var logs, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &logs, &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	waitErr := make(chan error, 1)
	go func() { waitErr <- cmd.Wait() }()
	t.Cleanup(func() { _ = cmd.Process.Kill() }) // only matters if a check failed before the exit
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
	signalled.Store(true)
	// Still in the 2 s delay: the open connection is served, and told to
	// close so the client moves on.
	if resp, body := keepAliveGet("keepalive-during-delay"); resp.StatusCode != 200 || body != "Hello World!" || !resp.Close {
		t.Errorf("during the delay: %d %q close=%v, want 200 with Connection: close", resp.StatusCode, body, resp.Close)
	}

	select {
	case err := <-waitErr:
		elapsed := time.Since(sigterm)
		t.Logf("exited %v after SIGTERM", elapsed.Round(time.Millisecond))
		if err != nil {
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
		`"message":"Starting server..."`, `"message":"Shutdown started`, `"cause":"terminated signal received"`,
		`"message":"Shutting down`, `"message":"Shutdown complete"`, `"User-Agent":"keepalive-during-delay"`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("stdout lacks %s:\n%s", want, out)
		}
	}
	for line := range strings.Lines(out) {
		if !json.Valid([]byte(line)) {
			t.Errorf("stdout line is not JSON: %q", line)
		}
	}
	if stderr.Len() != 0 {
		t.Errorf("stderr = %q, want nothing", stderr.String())
	}
}
