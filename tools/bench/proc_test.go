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

// usage and wall cover the whole life of the process: here a sleep, then
// a busy loop.
func TestUsage(t *testing.T) {
	b := newTestBench(t)
	p, err := b.start(context.Background(), time.Minute, nil, "sh", "-c", "sleep 0.3; i=0; while [ $i -lt 20000 ]; do i=$((i+1)); done")
	if err != nil {
		t.Fatal(err)
	}
	if err := p.wait(); err != nil {
		t.Fatal(err)
	}
	cpu, peak := p.usage()
	if p.wall < 300*time.Millisecond || cpu <= 0 || cpu > p.wall || peak < 1<<20 {
		t.Errorf("cpu %v over %v, peak %d bytes; want some CPU within a wall of 300 ms or more, and more than 1 MiB", cpu, p.wall, peak)
	}
}
