package main

import (
	"net/http"
	"strings"
	"testing"
	"time"
)

var testClient = &http.Client{Timeout: 5 * time.Second}

func newTestBench(t *testing.T) *bench {
	return &bench{bin: "/repo/bin", repo: "/repo", tmp: t.TempDir()}
}

// stop ends a process that would run on.
func TestStop(t *testing.T) {
	p, err := newTestBench(t).start(time.Minute, nil, "sleep", "60")
	if err != nil {
		t.Fatal(err)
	}
	p.stop()
	if p.ProcessState == nil || p.ProcessState.Exited() {
		t.Errorf("sleep: %v, want it killed", p.ProcessState)
	}
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
			p, err := b.start(tc.limit, nil, tc.argv...)
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
	b.record(nil, []string{"fortio", "load", "http://127.0.0.1:5555/"})
	b.record(nil, []string{"python3", "/repo/tools/bench/server.py"})
	want := []string{
		"PORT=$PORT bin/helloserver",
		"fortio load http://127.0.0.1:$PORT/",
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
			p, err := b.start(time.Minute, nil, tc.argv...)
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
	p, err := b.start(time.Minute, nil, "true")
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := sample(p); err == nil || !strings.Contains(err.Error(), "exited before it could be sampled twice") {
		t.Errorf("true: %v, want an error: it ends before the second reading", err)
	}
}
