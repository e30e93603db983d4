// Package e2e builds loadgen and helloserver and runs them as real
// processes on loopback ports: the requests loadgen reports must be the
// requests helloserver logged, and a SIGTERM under load must drain cleanly.
package e2e

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

var (
	buildOnce sync.Once
	binDir    string
	buildErr  error
)

// binaries builds both services once per test run (GOWORK=off: each module
// must build alone, as in its Docker build).
func binaries(t *testing.T) (loadgen, helloserver string) {
	t.Helper()
	buildOnce.Do(func() {
		binDir, buildErr = os.MkdirTemp("", "loadgen-e2e-")
		if buildErr != nil {
			return
		}
		build := func(name, dir string) error {
			abs, err := filepath.Abs(dir)
			if err != nil {
				return err
			}
			cmd := exec.Command("go", "build", "-o", filepath.Join(binDir, name), ".")
			cmd.Dir = abs
			cmd.Env = append(os.Environ(), "GOWORK=off", "CGO_ENABLED=0")
			if out, err := cmd.CombinedOutput(); err != nil {
				return fmt.Errorf("building %s in %s failed (it must build alone with GOWORK=off): %v\n%s", name, abs, err, out)
			}
			return nil
		}
		if buildErr = build("loadgen", "../.."); buildErr != nil {
			return
		}
		buildErr = build("helloserver", "../../../helloserver")
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return filepath.Join(binDir, "loadgen"), filepath.Join(binDir, "helloserver")
}

func TestMain(m *testing.M) {
	code := m.Run()
	if binDir != "" {
		os.RemoveAll(binDir)
	}
	os.Exit(code)
}

// proc is a started process with its output captured.
type proc struct {
	cmd            *exec.Cmd
	stdout, stderr syncBuffer
	done           chan struct{}
	err            error
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func start(t *testing.T, bin string, env ...string) *proc {
	t.Helper()
	return startArgs(t, bin, nil, env...)
}

func startArgs(t *testing.T, bin string, args []string, env ...string) *proc {
	t.Helper()
	p := &proc{cmd: exec.Command(bin, args...), done: make(chan struct{})}
	// A minimal environment: nothing from the test runner's leaks in.
	p.cmd.Env = append([]string{"PATH=/usr/bin:/bin"}, env...)
	p.cmd.Stdout, p.cmd.Stderr = &p.stdout, &p.stderr
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { p.err = p.cmd.Wait(); close(p.done) }()
	t.Cleanup(func() {
		select {
		case <-p.done:
		default:
			_ = p.cmd.Process.Kill()
			<-p.done
		}
	})
	return p
}

// wait waits up to d for the process to exit and returns its exit code.
func (p *proc) wait(t *testing.T, d time.Duration) int {
	t.Helper()
	select {
	case <-p.done:
	case <-time.After(d):
		_ = p.cmd.Process.Kill()
		<-p.done
		t.Fatalf("%s did not exit within %v\nstdout:\n%s\nstderr:\n%s", p.cmd.Path, d, p.stdout.String(), p.stderr.String())
	}
	return p.cmd.ProcessState.ExitCode()
}

func freePort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return strconv.Itoa(ln.Addr().(*net.TCPAddr).Port)
}

var client = &http.Client{Timeout: time.Second}

func status(url string) int {
	resp, err := client.Get(url)
	if err != nil {
		return 0
	}
	resp.Body.Close()
	return resp.StatusCode
}

// poll calls f every 20 ms until it returns true or the deadline passes.
func poll(t *testing.T, d time.Duration, what string, f func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !f() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", d, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func startHelloserver(t *testing.T, bin string, env ...string) (*proc, string) {
	t.Helper()
	port := freePort(t)
	p := start(t, bin, append([]string{"PORT=" + port, "LOG_FORMAT=json"}, env...)...)
	base := "http://127.0.0.1:" + port
	poll(t, 10*time.Second, "helloserver /readyz 200", func() bool {
		select {
		case <-p.done:
			t.Fatalf("helloserver exited early: %v\n%s%s", p.err, p.stdout.String(), p.stderr.String())
		default:
		}
		return status(base+"/readyz") == 200
	})
	return p, base
}

func jsonLines(t *testing.T, out string) []map[string]any {
	t.Helper()
	var lines []map[string]any
	sc := bufio.NewScanner(strings.NewReader(out))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		var m map[string]any
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Fatalf("not a JSON log line: %q", sc.Text())
		}
		lines = append(lines, m)
	}
	return lines
}

// servedRoot counts helloserver's access-log lines for GET / by status,
// checking each carries loadgen's User-Agent.
func servedRoot(t *testing.T, out string) map[float64]int {
	t.Helper()
	byStatus := map[float64]int{}
	for _, l := range jsonLines(t, out) {
		hr, ok := l["httpRequest"].(map[string]any)
		if !ok || hr["requestUrl"] != "/" {
			continue
		}
		if ua, _ := hr["userAgent"].(string); hr["requestMethod"] != "GET" || !strings.HasPrefix(ua, "asm-ready-loadgen/") {
			t.Errorf("request line without loadgen's GET and User-Agent: %v", l)
		}
		st, _ := hr["status"].(float64)
		byStatus[st]++
	}
	return byStatus
}

func summary(t *testing.T, out string) map[string]any {
	t.Helper()
	lines := jsonLines(t, out)
	for i := len(lines) - 1; i >= 0; i-- {
		if m, _ := lines[i]["message"].(string); strings.HasPrefix(m, "Summary: ") {
			return lines[i]
		}
	}
	t.Fatalf("no Summary line in loadgen output:\n%s", out)
	return nil
}

// TestBinaryExitCodes: the built binary, not just run(), keeps the
// tutorial's message and exit code 1 for a missing variable, 2 for a bad one.
func TestBinaryExitCodes(t *testing.T) {
	loadgen, _ := binaries(t)
	for _, tt := range []struct {
		env    []string
		code   int
		stderr string
	}{
		{nil, 1, "loadgen: SERVER_ADDR env variable is not defined\n"},
		{[]string{"SERVER_ADDR=http://127.0.0.1:1/"}, 1, "loadgen: REQUESTS_PER_SECOND env variable is not defined\n"},
		{[]string{"SERVER_ADDR=http://127.0.0.1:1/", "REQUESTS_PER_SECOND=-1"}, 2,
			"loadgen: invalid REQUESTS_PER_SECOND=\"-1\": must be a number 0.001-1000000 (e.g. 5 or 0.5) or max\n"},
	} {
		p := start(t, loadgen, tt.env...)
		if code := p.wait(t, 10*time.Second); code != tt.code || p.stderr.String() != tt.stderr || p.stdout.String() != "" {
			t.Errorf("env %v: exit %d stderr %q stdout %q, want %d %q", tt.env, code, p.stderr.String(), p.stdout.String(), tt.code, tt.stderr)
		}
	}
}

// TestCountsAgree: loadgen's successes are exactly the GET / lines the
// server logged, headers included; the interval lines add up to the summary.
func TestCountsAgree(t *testing.T) {
	loadgen, hello := binaries(t)
	hs, base := startHelloserver(t, hello, "SHUTDOWN_DELAY=0s")
	lg := start(t, loadgen, "SERVER_ADDR="+base+"/", "REQUESTS_PER_SECOND=40", "DURATION=1500ms",
		"REPORT_INTERVAL=500ms", "PORT="+freePort(t), "MIN_SUCCESS=1",
		// A busy machine must not turn into skipped slots here: this test
		// is about counts agreeing, lateness has its own tests.
		"LATE_TOLERANCE=1h", "REQUEST_TIMEOUT=30s")
	if code := lg.wait(t, 15*time.Second); code != 0 {
		t.Fatalf("loadgen exit %d\n%s\n%s", code, lg.stdout.String(), lg.stderr.String())
	}
	if err := hs.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if code := hs.wait(t, 5*time.Second); code != 0 {
		t.Fatalf("helloserver exit %d\n%s", code, hs.stderr.String())
	}
	sum := summary(t, lg.stdout.String())
	ok := int(sum["ok"].(float64))
	if want := fmt.Sprintf("Summary: %d request(s) complete to %s/", ok, base); sum["message"] != want || ok != 60 {
		t.Errorf("summary %v, want message %q and 60 ok", sum, want)
	}
	served := servedRoot(t, hs.stdout.String())
	if served[200] != ok || len(served) != 1 {
		t.Errorf("helloserver logged GET / by status %v; loadgen counted %d ok", served, ok)
	}
	var n int
	for _, l := range jsonLines(t, lg.stdout.String()) {
		var k int
		if _, err := fmt.Sscanf(l["message"].(string), "%d request(s) complete to", &k); err == nil {
			n += k
		}
	}
	if n != ok {
		t.Errorf("interval lines add up to %d, summary says %d", n, ok)
	}
}

// TestDrainUnderLoad: SIGTERM helloserver while loadgen drives it. Readiness
// turns 503 during the shutdown delay, every request helloserver accepted
// is answered 200 (loadgen's successes equal the server's log), new
// connections are refused once it stops (transport errors, expected), and
// it exits 0 inside the 5 s grace period. Then loadgen itself is sent
// SIGTERM and exits 0 with its summary.
func TestDrainUnderLoad(t *testing.T) {
	loadgen, hello := binaries(t)
	hs, base := startHelloserver(t, hello, "SHUTDOWN_DELAY=2s", "SHUTDOWN_TIMEOUT=2s")
	lgPort := freePort(t)
	lg := start(t, loadgen, "SERVER_ADDR="+base+"/", "REQUESTS_PER_SECOND=100", "REQUEST_TIMEOUT=20s",
		"REPORT_INTERVAL=200ms", "PORT="+lgPort)
	poll(t, 10*time.Second, "helloserver to log 30 requests", func() bool {
		return strings.Count(hs.stdout.String(), `"requestUrl":"/"`) >= 30
	})

	sigterm := time.Now()
	if err := hs.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	poll(t, 1800*time.Millisecond, "helloserver /readyz 503 during the shutdown delay", func() bool {
		return status(base+"/readyz") == http.StatusServiceUnavailable
	})
	code := hs.wait(t, 5*time.Second)
	if code != 0 || time.Since(sigterm) > 5*time.Second {
		t.Fatalf("helloserver exit %d after %v\n%s", code, time.Since(sigterm), hs.stderr.String())
	}
	// loadgen keeps going against a closed port: refused, and its
	// interval lines say so.
	poll(t, 5*time.Second, "loadgen to report connection refused", func() bool {
		return strings.Contains(lg.stdout.String(), `"transport_error":"connection refused"`)
	})
	poll(t, 5*time.Second, "loadgen /readyz 200", func() bool { return status("http://127.0.0.1:"+lgPort+"/readyz") == 200 })
	if err := lg.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if code := lg.wait(t, 10*time.Second); code != 0 {
		t.Fatalf("loadgen exit %d\n%s", code, lg.stderr.String())
	}
	sum := summary(t, lg.stdout.String())
	served := servedRoot(t, hs.stdout.String())
	if ok := int(sum["ok"].(float64)); ok != served[200] || len(served) != 1 || ok < 30 {
		t.Errorf("loadgen ok %d, helloserver served GET / by status %v: an accepted request was not answered 200", ok, served)
	}
	if sum["failed_status"].(float64) != 0 || sum["aborted"].(float64) != 0 {
		t.Errorf("summary %v: want no non-2xx and nothing aborted", sum)
	}
	if sum["failed_transport"].(float64) == 0 {
		t.Errorf("summary %v: requests after the server stopped should fail to connect", sum)
	}
}

// TestCheckAgainstHelloserver: the helm test mode against the real server,
// passing with the default body and failing with a wrong one.
func TestCheckAgainstHelloserver(t *testing.T) {
	loadgen, hello := binaries(t)
	_, base := startHelloserver(t, hello, "SHUTDOWN_DELAY=0s")
	p := startArgs(t, loadgen, []string{"check"}, "SERVER_ADDR="+base+"/", "CHECK_TIMEOUT=5s")
	if code := p.wait(t, 10*time.Second); code != 0 || !strings.HasPrefix(p.stdout.String(), "check ok: GET "+base+"/ returned 200") {
		t.Errorf("check exit %d stdout %q stderr %q", code, p.stdout.String(), p.stderr.String())
	}
	p = startArgs(t, loadgen, []string{"check"}, "SERVER_ADDR="+base+"/", "CHECK_TIMEOUT=2s", "EXPECT_BODY=Goodbye")
	if code := p.wait(t, 10*time.Second); code != 1 || !strings.HasPrefix(p.stderr.String(), "loadgen: check failed: ") ||
		!strings.HasSuffix(p.stderr.String(), `last: status 200, body "Hello World!"`+"\n") {
		t.Errorf("check exit %d stderr %q", code, p.stderr.String())
	}
}

// TestTutorial runs the tutorial's steps as written: helloserver with no
// settings, then loadgen with only SERVER_ADDR and REQUESTS_PER_SECOND. It
// needs the default ports, 8080 (helloserver) and 8081 (loadgen's admin
// port), and does not run when something else holds them.
func TestTutorial(t *testing.T) {
	for _, port := range []string{"8080", "8081"} {
		ln, err := net.Listen("tcp", ":"+port)
		if err != nil {
			t.Skipf("port %s is in use here; the tutorial needs it: %v", port, err)
		}
		ln.Close()
	}
	loadgen, hello := binaries(t)
	hs := start(t, hello)
	poll(t, 10*time.Second, "helloserver on :8080", func() bool { return status("http://localhost:8080/readyz") == 200 })
	lg := start(t, loadgen, "SERVER_ADDR=http://localhost:8080", "REQUESTS_PER_SECOND=5")
	poll(t, 10*time.Second, "a 5 request(s) line", func() bool {
		return strings.Contains(lg.stdout.String(), `"message":"5 request(s) complete to http://localhost:8080"`)
	})
	for _, p := range []*proc{lg, hs} {
		if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
			t.Fatal(err)
		}
		if code := p.wait(t, 10*time.Second); code != 0 {
			t.Fatalf("%s exit %d\n%s", p.cmd.Path, code, p.stderr.String())
		}
	}
	lines := jsonLines(t, lg.stdout.String())
	if msg, _ := lines[0]["message"].(string); !strings.HasPrefix(msg, "Starting loadgen: ") || lg.stderr.String() != "" {
		t.Errorf("first line %v, stderr %q", lines[0], lg.stderr.String())
	}
	if n := summary(t, lg.stdout.String())["ok"].(float64); n < 5 || servedRoot(t, hs.stdout.String())[200] != int(n) {
		t.Errorf("loadgen ok %v, helloserver served %v", n, servedRoot(t, hs.stdout.String()))
	}
}
