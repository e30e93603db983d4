package proc

import (
	"io"
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestStatusField(t *testing.T) {
	status := "Name:\tnginx\nVmPeak:\t  10000 kB\nVmHWM:\t    4242 kB\nVmRSS:\t    4000 kB\nThreads:\t1\n"
	tests := []struct {
		field   string
		want    int64
		wantErr string
	}{
		{"VmHWM", 4242, ""},
		{"VmRSS", 4000, ""},
		{"VmSwap", 0, "no VmSwap"},
		{"Threads", 0, "not \"N kB\""},
	}
	for _, tt := range tests {
		t.Run(tt.field, func(t *testing.T) {
			got, err := statusField(status, tt.field)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Errorf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Errorf("got %d, %v; want %d", got, err, tt.want)
			}
		})
	}
}

func TestParseStat(t *testing.T) {
	// comm "(a b) c)" holds spaces and a ')'; utime 250 + stime 50 ticks = 3 s.
	line := "1234 ((a b) c)) S 77 1234 1234 0 -1 4194560 100 0 0 0 250 50 0 0 20 0 1 0 100 1000 10\n"
	st, err := parseStat(line)
	if err != nil {
		t.Fatal(err)
	}
	if st.PPID != 77 || st.CPU != 3*time.Second {
		t.Errorf("got %+v, want ppid 77 cpu 3s", st)
	}
	for _, bad := range []string{"1234 no-paren S 1", "1 (x) S 1 2", "1 (x) S p 1 1 0 -1 0 0 0 0 0 u s"} {
		if _, err := parseStat(bad); err == nil {
			t.Errorf("parseStat(%q) succeeded", bad)
		}
	}
}

func TestSelf(t *testing.T) {
	hwm, err := StatusKB(os.Getpid(), "VmHWM")
	if err != nil || hwm <= 0 {
		t.Fatalf("own VmHWM = %d, %v", hwm, err)
	}
	st, err := ReadStat(os.Getpid())
	if err != nil || st.PPID != os.Getppid() {
		t.Fatalf("own stat = %+v, %v; want ppid %d", st, err, os.Getppid())
	}
}

// TestMain doubles as the child process of TestChildrenAndUsage: with
// PROC_TEST_CHILD set it waits for stdin to close, then exits.
func TestMain(m *testing.M) {
	if os.Getenv("PROC_TEST_CHILD") == "1" {
		_, _ = io.Copy(io.Discard, os.Stdin)
		os.Exit(0)
	}
	os.Exit(m.Run())
}

func TestChildrenAndUsage(t *testing.T) {
	cmd := exec.Command(os.Args[0])
	cmd.Env = append(os.Environ(), "PROC_TEST_CHILD=1")
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	kids := Children(os.Getpid())
	stdin.Close()
	if err := cmd.Wait(); err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(kids, cmd.Process.Pid) {
		t.Errorf("Children(self) = %v, want it to hold the running child %d", kids, cmd.Process.Pid)
	}
	if slices.Contains(Children(os.Getpid()), cmd.Process.Pid) {
		t.Errorf("Children(self) still lists the reaped child %d", cmd.Process.Pid)
	}
	u, err := ChildUsage(cmd)
	if err != nil || u.MaxRSS <= 0 {
		t.Errorf("usage = %+v, %v", u, err)
	}
	if _, err := ChildUsage(exec.Command("true")); err == nil {
		t.Error("ChildUsage of a command never run succeeded")
	}
}

func TestSchedWait(t *testing.T) {
	if w, err := schedWait("123 4500000000 77\n"); err != nil || w != 4500*time.Millisecond {
		t.Errorf("schedWait = %v, %v; want 4.5s", w, err)
	}
	for _, bad := range []string{"", "1", "1 x 2"} {
		if _, err := schedWait(bad); err == nil {
			t.Errorf("schedWait(%q) succeeded", bad)
		}
	}
	if _, err := RunQueueWait(os.Getpid()); err != nil {
		t.Errorf("own run-queue wait: %v", err)
	}
}
