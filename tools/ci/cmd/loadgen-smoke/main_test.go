package main

import (
	"bytes"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"testing"
)

// The test binary doubles as a fake `kubectl logs -f`: with SMOKE_HELPER set
// it prints that many good summary lines, then blocks (a followed log never
// ends by itself) or exits with status 3 when SMOKE_HELPER_EXIT is set.
func TestMain(m *testing.M) {
	if n := os.Getenv("SMOKE_HELPER"); n != "" {
		var count int
		fmt.Sscan(n, &count)
		for range count {
			fmt.Println(good)
		}
		if os.Getenv("SMOKE_HELPER_EXIT") != "" {
			os.Exit(3)
		}
		// Block like a followed log until killed. Waiting on a signal channel
		// (not an empty select) keeps the runtime's deadlock detector quiet.
		stop := make(chan os.Signal, 1)
		signal.Notify(stop, syscall.SIGTERM, os.Interrupt)
		<-stop
		os.Exit(0)
	}
	os.Exit(m.Run())
}

const good = `{"severity":"INFO","message":"10 request(s) complete to http://hellosvc/","ok":10,"failed_status":0,"failed_transport":0}`
const bad = `{"severity":"INFO","message":"10 request(s) complete to http://hellosvc/","ok":9,"failed_status":1,"failed_transport":0}`

func TestRun(t *testing.T) {
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name       string
		args       []string
		env        map[string]string
		stdin      string
		code       int
		wantOut    string
		wantErrOut string
	}{
		{"stdin pass", []string{"-min-requests", "20"}, nil, good + "\n" + good + "\n", 0, "PASS: 20 requests to http://hellosvc/", ""},
		{"stdin failure", []string{"-min-requests", "20"}, nil, good + "\n" + bad + "\n", 1, "", "FAIL: loadgen reported 1 failed request(s)"},
		{"stdin too short", []string{"-min-requests", "100"}, nil, good + "\n", 1, "", "only 10 of the 100"},
		{"followed log passes and is stopped", []string{"-min-requests", "30", "-timeout", "1m", "--", self}, map[string]string{"SMOKE_HELPER": "5"}, "", 0, "PASS: 30 requests", ""},
		{"followed log times out", []string{"-min-requests", "100", "-timeout", "300ms", "--", self}, map[string]string{"SMOKE_HELPER": "2"}, "", 1, "", "timed out after 300ms waiting for 100"},
		{"command fails", []string{"-min-requests", "10", "--", self}, map[string]string{"SMOKE_HELPER": "0", "SMOKE_HELPER_EXIT": "1"}, "", 1, "", "no loadgen summary line"},
		{"command missing", []string{"--", "/nonexistent/kubectl"}, nil, "", 2, "", "starting /nonexistent/kubectl"},
		{"zero minimum", []string{"-min-requests", "0"}, nil, "", 2, "", "-min-requests 0: must be at least 1"},
		{"bad timeout", []string{"-timeout", "-1s"}, nil, "", 2, "", "-timeout -1s: must be positive"},
		{"unknown flag", []string{"-bogus"}, nil, "", 2, "", "flag provided but not defined: -bogus"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for k, v := range tt.env {
				t.Setenv(k, v)
			}
			var out, errOut bytes.Buffer
			code := run(tt.args, strings.NewReader(tt.stdin), &out, &errOut)
			if code != tt.code {
				t.Fatalf("exit %d, want %d; stdout %q stderr %q", code, tt.code, out.String(), errOut.String())
			}
			if !strings.Contains(out.String(), tt.wantOut) {
				t.Errorf("stdout %q, want it to contain %q", out.String(), tt.wantOut)
			}
			if !strings.Contains(errOut.String(), tt.wantErrOut) {
				t.Errorf("stderr %q, want it to contain %q", errOut.String(), tt.wantErrOut)
			}
		})
	}
}
