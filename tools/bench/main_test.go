package main

import (
	"context"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

var testClient = &http.Client{Timeout: 5 * time.Second}

func newTestBench(t *testing.T) *bench {
	return &bench{bin: "/repo/bin", repo: "/repo", tmp: t.TempDir()}
}

// stop must take the whole process group: a child the program started
// itself goes too.
func TestStopKillsTheProcessGroup(t *testing.T) {
	b := newTestBench(t)
	p, err := b.start(context.Background(), time.Minute, nil, "sh", "-c", "sleep 60 & echo $!; wait")
	if err != nil {
		t.Fatal(err)
	}
	var child int
	for deadline := time.Now().Add(5 * time.Second); child == 0 && time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		out, _ := os.ReadFile(filepath.Join(b.tmp, "sh.log"))
		child, _ = strconv.Atoi(strings.TrimSpace(string(out)))
	}
	if child == 0 {
		t.Fatal("sh did not print its child's pid")
	}
	p.stop()
	// The killed child is a zombie until init reaps it: look at its state.
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		stat, err := os.ReadFile("/proc/" + strconv.Itoa(child) + "/stat")
		if err != nil || strings.Contains(string(stat), ") Z ") {
			return
		}
	}
	_ = syscall.Kill(child, syscall.SIGKILL)
	t.Errorf("child %d still runs after stop", child)
}

func TestWait(t *testing.T) {
	b := newTestBench(t)
	for _, tc := range []struct {
		name  string
		limit time.Duration
		argv  []string
		want  string // "" for success, else part of the error
	}{
		{"ends in time", time.Minute, []string{"true"}, ""},
		{"fails", time.Minute, []string{"false"}, "exit status 1"},
		{"outlives its limit", 100 * time.Millisecond, []string{"sleep", "60"}, "still running after 100ms"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, err := b.start(context.Background(), tc.limit, nil, tc.argv...)
			if err != nil {
				t.Fatal(err)
			}
			err = p.wait()
			if (err == nil) != (tc.want == "") || (err != nil && !strings.Contains(err.Error(), tc.want)) {
				t.Errorf("wait: %v, want %q", err, tc.want)
			}
		})
	}
}

func TestRecordShowsCommandsAsTheDocDoes(t *testing.T) {
	b := newTestBench(t)
	b.record([]string{"PORT=41234"}, []string{"/repo/bin/helloserver"})
	b.record([]string{"PORT=41999"}, []string{"/repo/bin/helloserver"})
	b.record(nil, []string{"/repo/bin/fortio", "-json", b.tmp + "/x.json", "http://127.0.0.1:5555/"})
	b.record(nil, []string{"python3", "/repo/tools/bench/server.py"})
	want := []string{
		"PORT=$PORT bin/helloserver",
		"bin/fortio -json $TMP/x.json http://127.0.0.1:$PORT/",
		"python3 tools/bench/server.py",
	}
	if strings.Join(b.commands, "\n") != strings.Join(want, "\n") {
		t.Errorf("commands\n%s\nwant\n%s", strings.Join(b.commands, "\n"), strings.Join(want, "\n"))
	}
}

// A busy process with 50 MiB of its own and a sleeping one: CPU is sampled
// over the run, the peak RSS seen; a process too short to be read twice is
// an error.
func TestSample(t *testing.T) {
	b := newTestBench(t)
	busy := "import time\nx = bytearray(50 << 20)\nt = time.time()\nwhile time.time() - t < 0.6: pass"
	for _, tc := range []struct {
		name     string
		argv     []string
		min, max float64 // millicores
		peak     int64
	}{
		{"busy", []string{"python3", "-c", busy}, 1, 1100, 50 << 20},
		{"asleep", []string{"sleep", "1"}, 0, 50, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, err := b.start(context.Background(), time.Minute, nil, tc.argv...)
			if err != nil {
				t.Fatal(err)
			}
			millicores, peak, err := sample(p)
			if err != nil || p.wait() != nil {
				t.Fatal(err, p.wait())
			}
			if millicores < tc.min || millicores > tc.max || peak < tc.peak {
				t.Errorf("%.0f millicores, peak %d bytes; want %v-%v millicores and %d bytes or more", millicores, peak, tc.min, tc.max, tc.peak)
			}
		})
	}
	p, err := b.start(context.Background(), time.Minute, nil, "true")
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := sample(p); err == nil || !strings.Contains(err.Error(), "exited before it could be sampled twice") {
		t.Errorf("true: %v, want an error: it ends before the second reading", err)
	}
}

// getrusage's peak of a small child is the harness's own at the fork:
// reported as "at most". A child that grows past the harness is measured.
func TestMaxRSS(t *testing.T) {
	b := newTestBench(t)
	for _, tc := range []struct {
		name   string
		argv   []string
		atMost bool
	}{
		{"small", []string{"true"}, true},
		{"200 MiB", []string{"python3", "-c", "x = bytearray(200 << 20)"}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, err := b.start(context.Background(), time.Minute, nil, tc.argv...)
			if err != nil {
				t.Fatal(err)
			}
			if err := p.wait(); err != nil {
				t.Fatal(err)
			}
			peak, atMost := p.maxRSS()
			if atMost != tc.atMost || (!atMost && peak < 200<<20) || p.wall <= 0 {
				t.Errorf("peak %d bytes, at most %v, wall %v; want at most %v", peak, atMost, p.wall, tc.atMost)
			}
		})
	}
}
