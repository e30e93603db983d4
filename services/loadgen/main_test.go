package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/asm-ready/asm-ready/services/loadgen/config"
)

func freePort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return strconv.Itoa(ln.Addr().(*net.TCPAddr).Port)
}

func runWith(t *testing.T, args []string, env map[string]string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	code := run(ctx, args, env, &out, &errb)
	return code, out.String(), errb.String()
}

func TestRunConfigErrors(t *testing.T) {
	for _, tt := range []struct {
		args []string
		env  map[string]string
		code int
		want string
	}{
		{nil, map[string]string{"REQUESTS_PER_SECOND": "1"}, 1, "loadgen: SERVER_ADDR env variable is not defined\n"},
		{nil, map[string]string{"SERVER_ADDR": "http://x/"}, 1, "loadgen: REQUESTS_PER_SECOND env variable is not defined\n"},
		{nil, map[string]string{"SERVER_ADDR": "http://x/", "REQUESTS_PER_SECOND": "abc"}, 2,
			"loadgen: invalid REQUESTS_PER_SECOND=\"abc\": must be a number 0.001-1000000 (e.g. 5 or 0.5) or max\n"},
		{nil, map[string]string{"SERVER_ADDR": "http://x/", "REQUESTS_PER_SECOND": "1", "PORT": "http", "DURATION": "1"}, 2,
			"loadgen: invalid PORT=\"http\": must be an integer 1-65535; invalid DURATION=\"1\": must be a duration 0-24h\n"},
		{[]string{"check"}, map[string]string{}, 1, "loadgen: SERVER_ADDR env variable is not defined\n"},
		{[]string{"check"}, map[string]string{"SERVER_ADDR": "http://x/", "CHECK_TIMEOUT": "-1s"}, 2,
			"loadgen: invalid CHECK_TIMEOUT=\"-1s\": must be a duration > 0 and <= 24h\n"},
	} {
		code, out, errOut := runWith(t, tt.args, tt.env)
		if code != tt.code || errOut != tt.want || out != "" {
			t.Errorf("run(%v, %v) = %d, stdout %q, stderr %q; want %d, %q", tt.args, tt.env, code, out, errOut, tt.code, tt.want)
		}
	}
}

// TestArgs: --help and --version answer on stdout and exit 0; anything
// else that is not `check` is refused with one line and the usage on
// stderr, exit 2. None of them starts generating load, although the
// environment would let it.
func TestArgs(t *testing.T) {
	var usageBuf bytes.Buffer
	usage(&usageBuf)
	help := usageBuf.String()
	for _, v := range config.Vars {
		if !strings.Contains(help, "\n  "+v.Name) || !strings.Contains(help, "("+v.Allowed+")\n        "+v.Help+"\n") {
			t.Errorf("usage lacks %s:\n%s", v.Name, help)
		}
	}
	env := map[string]string{"SERVER_ADDR": "http://127.0.0.1:1/", "REQUESTS_PER_SECOND": "1", "PORT": freePort(t), "DURATION": "1h"}
	for _, tt := range []struct {
		args           []string
		code           int
		stdout, stderr string
	}{
		{[]string{"--help"}, 0, help, ""},
		{[]string{"-h"}, 0, help, ""},
		{[]string{"-help"}, 0, help, ""},
		{[]string{"check", "--help"}, 2, "", "loadgen: unexpected argument \"--help\"\n" + help},
		{[]string{"--version"}, 0, "loadgen dev (commit unknown)\n", ""},
		{[]string{"-version"}, 0, "loadgen dev (commit unknown)\n", ""},
		{[]string{"--verbose"}, 2, "", "loadgen: flag provided but not defined: -verbose\n" + help},
		{[]string{"version"}, 2, "", "loadgen: unexpected argument \"version\"\n" + help},
		{[]string{"check", "now"}, 2, "", "loadgen: unexpected argument \"now\"\n" + help},
		{[]string{"--version=maybe"}, 2, "", "loadgen: invalid boolean value \"maybe\" for -version: parse error\n" + help},
	} {
		code, out, errOut := runWith(t, tt.args, env)
		if code != tt.code || out != tt.stdout || errOut != tt.stderr {
			t.Errorf("run(%q) = %d\nstdout %q\nstderr %q\nwant %d\nstdout %q\nstderr %q", tt.args, code, out, errOut, tt.code, tt.stdout, tt.stderr)
		}
	}
	if !strings.HasPrefix(help, "loadgen sends GET requests") || !strings.Contains(help, "\nUsage: loadgen [--version] [check]\n") {
		t.Errorf("usage:\n%s", help)
	}
}

// TestREADMEEnvTable: the README's table of variables is config.Vars, row
// for row.
func TestREADMEEnvTable(t *testing.T) {
	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	var rows, want []string
	for line := range strings.Lines(string(readme)) {
		if regexp.MustCompile("^\\| `[A-Z][A-Z_]*` \\|").MatchString(line) {
			rows = append(rows, strings.TrimSpace(line))
		}
	}
	for _, v := range config.Vars {
		def := ""
		switch {
		case v.Required:
			def = "required"
		case v.Default != "":
			def = "`" + v.Default + "`"
		}
		want = append(want, fmt.Sprintf("| `%s` | %s | %s | %s |", v.Name, def, v.Allowed, v.Help))
	}
	if !slices.Equal(rows, want) {
		t.Errorf("README variable rows:\n%s\nwant (from config.Vars):\n%s", strings.Join(rows, "\n"), strings.Join(want, "\n"))
	}
}

func hello(status *atomic.Int32) *httptest.Server {
	return httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if s := status.Load(); s != 200 {
			w.WriteHeader(int(s))
		}
		fmt.Fprint(w, "Hello World!")
	}))
}

func TestRunLoad(t *testing.T) {
	var status atomic.Int32
	status.Store(200)
	srv := hello(&status)
	defer srv.Close()
	env := map[string]string{"SERVER_ADDR": srv.URL + "/", "REQUESTS_PER_SECOND": "50", "DURATION": "300ms",
		"PORT": freePort(t), "REPORT_INTERVAL": "100ms", "MIN_SUCCESS": "15", "MAX_FAILURE_RATIO": "0",
		// Exact counts: a starved machine must not skip or time out requests.
		"LATE_TOLERANCE": "1h", "REQUEST_TIMEOUT": "30s"}
	code, out, errOut := runWith(t, nil, env)
	if code != 0 || errOut != "" {
		t.Fatalf("exit %d, stderr %q, stdout %s", code, errOut, out)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	var first, last map[string]any
	if err := json.Unmarshal([]byte(lines[0]), &first); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal([]byte(lines[len(lines)-1]), &last); err != nil {
		t.Fatal(err)
	}
	msg, _ := first["message"].(string)
	if _, err := time.Parse(startFormat, strings.TrimPrefix(msg, "Starting loadgen: ")); err != nil || first["severity"] != "INFO" {
		t.Errorf("first line %v: %v", first, err)
	}
	if last["message"] != "Summary: 15 request(s) complete to "+srv.URL+"/" || last["ok"] != 15.0 {
		t.Errorf("summary line %v", last)
	}
}

// TestRunMaxMode: REQUESTS_PER_SECOND=max runs for DURATION and says so
// in the start and summary lines (target_rps 0, max_mode true).
func TestRunMaxMode(t *testing.T) {
	var status atomic.Int32
	status.Store(200)
	srv := hello(&status)
	defer srv.Close()
	env := map[string]string{"SERVER_ADDR": srv.URL + "/", "REQUESTS_PER_SECOND": "max", "DURATION": "200ms",
		"MAX_IN_FLIGHT": "4", "PORT": freePort(t), "MIN_SUCCESS": "1", "MAX_FAILURE_RATIO": "0"}
	code, out, errOut := runWith(t, nil, env)
	if code != 0 || errOut != "" {
		t.Fatalf("exit %d, stderr %q, stdout %s", code, errOut, out)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	var first, last map[string]any
	if err := json.Unmarshal([]byte(lines[0]), &first); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal([]byte(lines[len(lines)-1]), &last); err != nil {
		t.Fatal(err)
	}
	if first["max_mode"] != true || first["target_rps"] != 0.0 {
		t.Errorf("start line %v", first)
	}
	msg, _ := last["message"].(string)
	if !strings.HasPrefix(msg, "Summary: ") || last["max_mode"] != true || last["target_rps"] != 0.0 ||
		last["late"] != 0.0 || last["ok"].(float64) < 1 || last["elapsed_s"].(float64) < 0.2 {
		t.Errorf("summary line %v", last)
	}
}

func TestThresholds(t *testing.T) {
	var status atomic.Int32
	status.Store(500)
	srv := hello(&status)
	defer srv.Close()
	base := func(kv ...string) map[string]string {
		m := map[string]string{"SERVER_ADDR": srv.URL, "REQUESTS_PER_SECOND": "100", "DURATION": "100ms", "PORT": freePort(t),
			"LATE_TOLERANCE": "1h", "REQUEST_TIMEOUT": "30s"}
		for i := 0; i < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return m
	}
	for _, tt := range []struct {
		env  map[string]string
		code int
		want string
	}{
		{base(), 0, ""}, // thresholds are opt-in: failures alone exit 0
		{base("MAX_FAILURE_RATIO", "0.5"), 1,
			"loadgen: threshold violated: failure ratio 1.0000 (10 of 10 requests failed) exceeds MAX_FAILURE_RATIO=0.5\n"},
		{base("MAX_FAILURE_RATIO", "1"), 0, ""},
		{base("MIN_SUCCESS", "1"), 1, "loadgen: threshold violated: 0 successful requests, fewer than MIN_SUCCESS=1\n"},
	} {
		code, _, errOut := runWith(t, nil, tt.env)
		if code != tt.code || errOut != tt.want {
			t.Errorf("%v: exit %d stderr %q, want %d %q", tt.env, code, errOut, tt.code, tt.want)
		}
	}
}

func TestPortInUse(t *testing.T) {
	ln, err := net.Listen("tcp", ":0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	port := strconv.Itoa(ln.Addr().(*net.TCPAddr).Port)
	code, _, errOut := runWith(t, nil, map[string]string{"SERVER_ADDR": "http://127.0.0.1:1/", "REQUESTS_PER_SECOND": "1", "PORT": port})
	if want := "loadgen: cannot listen on :" + port + ": bind: address already in use (choose a free port with PORT)\n"; code != 1 || errOut != want {
		t.Errorf("exit %d stderr %q", code, errOut)
	}
}

func TestRunCheck(t *testing.T) {
	var status atomic.Int32
	status.Store(200)
	srv := hello(&status)
	defer srv.Close()
	code, out, errOut := runWith(t, []string{"check"}, map[string]string{"SERVER_ADDR": srv.URL + "/"})
	if code != 0 || !strings.HasPrefix(out, "check ok: GET "+srv.URL+"/ returned 200 with body \"Hello World!\" (attempt 1, ") || errOut != "" {
		t.Errorf("check: %d %q %q", code, out, errOut)
	}
	code, out, errOut = runWith(t, []string{"check"}, map[string]string{"SERVER_ADDR": srv.URL + "/", "EXPECT_BODY": "Bye", "CHECK_TIMEOUT": "1s"})
	want := "loadgen: check failed: GET " + srv.URL + "/ did not return 200 with body \"Bye\" within 1s ("
	if code != 1 || out != "" || !strings.HasPrefix(errOut, want) || !strings.HasSuffix(errOut, "last: status 200, body \"Hello World!\"\n") {
		t.Errorf("check mismatch: %d %q %q", code, out, errOut)
	}
}
