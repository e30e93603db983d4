// Package proc reads a process's memory and CPU time from /proc (Linux),
// and from the rusage of a child that has exited.
package proc

import (
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// clockTick is USER_HZ, the unit of utime/stime in /proc/<pid>/stat. It is
// 100 on every Linux architecture Go supports (the kernel fixes it for ABI).
const clockTick = 100

// StatusKB returns a "kB" field (VmHWM, VmRSS ...) of /proc/<pid>/status.
func StatusKB(pid int, field string) (int64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	return statusField(string(b), field)
}

func statusField(status, field string) (int64, error) {
	for line := range strings.Lines(status) {
		name, rest, ok := strings.Cut(line, ":")
		if !ok || name != field {
			continue
		}
		f := strings.Fields(rest)
		if len(f) != 2 || f[1] != "kB" {
			return 0, fmt.Errorf("/proc status %s: %q is not \"N kB\"", field, strings.TrimSpace(rest))
		}
		return strconv.ParseInt(f[0], 10, 64)
	}
	return 0, fmt.Errorf("/proc status: no %s field", field)
}

// Stat is the part of /proc/<pid>/stat the benchmark uses.
type Stat struct {
	PPID int
	CPU  time.Duration // utime + stime
}

// ReadStat reads /proc/<pid>/stat.
func ReadStat(pid int) (Stat, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return Stat{}, err
	}
	return parseStat(string(b))
}

// parseStat splits after the last ')': the command name (field 2) may hold
// spaces and parentheses.
func parseStat(s string) (Stat, error) {
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return Stat{}, fmt.Errorf("/proc stat: no ')' after the command name")
	}
	f := strings.Fields(s[i+1:])
	// f[0] is field 3 (state); ppid is field 4, utime 14, stime 15.
	if len(f) < 13 {
		return Stat{}, fmt.Errorf("/proc stat: %d fields after the command name, want at least 13", len(f))
	}
	ppid, err1 := strconv.Atoi(f[1])
	ut, err2 := strconv.ParseInt(f[11], 10, 64)
	st, err3 := strconv.ParseInt(f[12], 10, 64)
	if err1 != nil || err2 != nil || err3 != nil {
		return Stat{}, fmt.Errorf("/proc stat: ppid/utime/stime %q %q %q are not integers", f[1], f[11], f[12])
	}
	return Stat{PPID: ppid, CPU: time.Duration(ut+st) * time.Second / clockTick}, nil
}

// RunQueueWait is the time the threads of pid spent runnable but waiting
// for a CPU (the second field of /proc/<pid>/task/*/schedstat, summed). On
// a shared machine it tells a slow client from a starved one.
func RunQueueWait(pid int) (time.Duration, error) {
	dirs, err := os.ReadDir(fmt.Sprintf("/proc/%d/task", pid))
	if err != nil {
		return 0, err
	}
	var sum time.Duration
	for _, d := range dirs {
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/task/%s/schedstat", pid, d.Name()))
		if err != nil {
			continue // the thread exited
		}
		w, err := schedWait(string(b))
		if err != nil {
			return 0, err
		}
		sum += w
	}
	return sum, nil
}

func schedWait(s string) (time.Duration, error) {
	f := strings.Fields(s)
	if len(f) < 2 {
		return 0, fmt.Errorf("schedstat %q: want 3 fields", strings.TrimSpace(s))
	}
	ns, err := strconv.ParseInt(f[1], 10, 64)
	if err != nil {
		return 0, fmt.Errorf("schedstat %q: wait time is not an integer", strings.TrimSpace(s))
	}
	return time.Duration(ns), nil
}

// Children returns the pids whose parent is pid (nginx's worker, say).
func Children(pid int) []int {
	ents, err := os.ReadDir("/proc")
	if err != nil {
		return nil
	}
	var out []int
	for _, e := range ents {
		c, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if st, err := ReadStat(c); err == nil && st.PPID == pid {
			out = append(out, c)
		}
	}
	return out
}

// Usage is what an exited child used.
type Usage struct {
	CPU    time.Duration // user + system
	MaxRSS int64         // kB, the peak resident set (= VmHWM)
}

// ChildUsage returns the rusage of an exited command.
func ChildUsage(cmd *exec.Cmd) (Usage, error) {
	if cmd.ProcessState == nil {
		return Usage{}, fmt.Errorf("process has not exited")
	}
	ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage)
	if !ok || ru == nil {
		return Usage{}, fmt.Errorf("no rusage for pid %d", cmd.ProcessState.Pid())
	}
	return Usage{
		CPU:    time.Duration(ru.Utime.Nano() + ru.Stime.Nano()),
		MaxRSS: ru.Maxrss,
	}, nil
}
