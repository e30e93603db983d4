package parse

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func read(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestParseWrk(t *testing.T) {
	tests := []struct {
		file     string
		want     Wrk
		wantRead int64
	}{
		{"wrk-latency.txt", Wrk{Requests: 23453, Duration: 2040 * time.Millisecond, RPS: 11469.72,
			P50: 3670 * time.Microsecond, P75: 6410 * time.Microsecond, P90: 8780 * time.Microsecond, P99: 14050 * time.Microsecond}, 0},
		{"wrk-python.txt", Wrk{Requests: 904, Duration: 2060 * time.Millisecond, RPS: 439.57,
			P50: 4360 * time.Microsecond, P75: 8800 * time.Microsecond, P90: 22700 * time.Microsecond, P99: 750370 * time.Microsecond,
			SocketErrors: 904, ReadErrors: 904}, 904},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			got, err := ParseWrk(read(t, tt.file))
			if err != nil {
				t.Fatal(err)
			}
			if !nearWrk(got, tt.want) {
				t.Errorf("ParseWrk = %+v\nwant        %+v", got, tt.want)
			}
		})
	}
}

func nearWrk(a, b Wrk) bool {
	d := func(x, y time.Duration) bool { return (x-y) < time.Microsecond && (y-x) < time.Microsecond }
	return a.Requests == b.Requests && d(a.Duration, b.Duration) && a.RPS == b.RPS && d(a.P50, b.P50) && d(a.P75, b.P75) &&
		d(a.P90, b.P90) && d(a.P99, b.P99) && a.SocketErrors == b.SocketErrors && a.ReadErrors == b.ReadErrors && a.Non2xx == b.Non2xx
}

func TestParseWrkNon2xxAndUnits(t *testing.T) {
	out := `Running 1s test @ http://127.0.0.1:1/
  Latency Distribution
     50%  512.00us
     75%    1.00ms
     90%    1.50s
     99%    2.00m
  10 requests in 1.00s, 1.00KB read
  Non-2xx or 3xx responses: 3
Requests/sec:     10.00
`
	w, err := ParseWrk([]byte(out))
	if err != nil {
		t.Fatal(err)
	}
	if w.P50 != 512*time.Microsecond || w.P90 != 1500*time.Millisecond || w.P99 != 2*time.Minute || w.Non2xx != 3 {
		t.Errorf("got %+v", w)
	}
}

func TestParseWrkErrors(t *testing.T) {
	full := string(read(t, "wrk-latency.txt"))
	tests := []struct {
		name, in, want string
	}{
		{"empty", "", "requests in"},
		{"no rps", strings.Replace(full, "Requests/sec:", "Reqs:", 1), "Requests/sec"},
		{"no --latency", strings.Replace(full, "     99%", "     98%", 1), "--latency"},
		{"bad unit", strings.Replace(full, "3.67ms", "3.67xs", 1), "unknown unit"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseWrk([]byte(tt.in))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want one containing %q", err, tt.want)
			}
		})
	}
}

func TestParseFortio(t *testing.T) {
	f, err := ParseFortio(read(t, "fortio.json"))
	if err != nil {
		t.Fatal(err)
	}
	if f.Count != 2000 || f.OK != 2000 || f.NumErrorsOrNon2 != 0 || f.NumThreads != 2 || f.RequestedQPS != "1000" {
		t.Errorf("counts: %+v", f)
	}
	if f.P50 != 602278*time.Nanosecond || f.P99 != 7933333*time.Nanosecond || f.P999 != 12*time.Millisecond {
		t.Errorf("percentiles: p50 %v p99 %v p99.9 %v", f.P50, f.P99, f.P999)
	}
	if f.ActualQPS < 999 || f.ActualQPS > 1000 || f.ActualDuration != 2001340957 {
		t.Errorf("qps %v duration %v", f.ActualQPS, f.ActualDuration)
	}
}

func TestParseFortioErrors(t *testing.T) {
	for _, tt := range []struct{ name, in, want string }{
		{"not json", "Aborting because of error", "fortio json"},
		{"no percentiles", `{"DurationHistogram":{"Count":1}}`, "-p"},
		{"missing p99.9", `{"DurationHistogram":{"Count":1,"Percentiles":[{"Percentile":50,"Value":0.1},{"Percentile":99,"Value":0.2}]}}`, "99.9"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseFortio([]byte(tt.in))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want one containing %q", err, tt.want)
			}
		})
	}
}

func TestParseVegeta(t *testing.T) {
	v, err := ParseVegeta(read(t, "vegeta-report.json"))
	if err != nil {
		t.Fatal(err)
	}
	if v.Requests != 1977 || v.Success != 1 || v.StatusCodes["200"] != 1977 || len(v.Errors) != 0 {
		t.Errorf("counts: %+v", v)
	}
	if v.P50 != 254668426 || v.P99 != 804999530 || v.Max != 904028162 {
		t.Errorf("latencies: %v %v %v", v.P50, v.P99, v.Max)
	}
	e, err := ParseVegeta(read(t, "vegeta-report-errors.json"))
	if err != nil {
		t.Fatal(err)
	}
	if e.Success != 0 || e.StatusCodes["0"] != 10 || len(e.Errors) != 1 || !strings.Contains(e.Errors[0], "connection refused") {
		t.Errorf("error report: %+v", e)
	}
	for _, bad := range []string{"", "{}", `{"requests":1}`} {
		if _, err := ParseVegeta([]byte(bad)); err == nil {
			t.Errorf("ParseVegeta(%q) succeeded, want an error", bad)
		}
	}
}

func TestVegetaLatencies(t *testing.T) {
	l, non200, err := VegetaLatencies(read(t, "vegeta-head.csv"))
	if err != nil || non200 != 0 {
		t.Fatalf("non200 %d, err %v", non200, err)
	}
	want := []time.Duration{4402111, 6742736, 7173951, 3779620, 8366806}
	if len(l) != len(want) {
		t.Fatalf("got %d latencies, want %d", len(l), len(want))
	}
	for i := range want {
		if l[i] != want[i] {
			t.Errorf("latency %d = %v, want %v", i, l[i], want[i])
		}
	}
	if _, n, err := VegetaLatencies([]byte("1,200,5,0\n2,0,7,0,,,\n3,503,9,0\n")); err != nil || n != 2 {
		t.Errorf("non200 = %d, %v; want 2", n, err)
	}
	for _, bad := range []string{"1,200\n", "1,200,-5,0\n", "1,200,abc,0\n"} {
		if _, _, err := VegetaLatencies([]byte(bad)); err == nil || !strings.Contains(err.Error(), "line 1") {
			t.Errorf("VegetaLatencies(%q) err = %v, want one naming line 1", bad, err)
		}
	}
}

func TestParseLoadgen(t *testing.T) {
	l, err := ParseLoadgen(read(t, "loadgen-stdout.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	if l.Completed != 994 || l.OK != 994 || l.Sent != 994 || l.Late != 6 || l.LateBehind != 6 || l.LateInFlight != 0 {
		t.Errorf("counts: %+v", l)
	}
	if l.TargetRPS != 500 || l.AchievedRPS != 496.978 || l.P99() != 23552*time.Microsecond || l.P50() != 1040*time.Microsecond {
		t.Errorf("rates/latency: %+v", l)
	}
	if l.MaxInFlightSeen != 0 {
		t.Errorf("max in flight seen = %d, want 0", l.MaxInFlightSeen)
	}
	withInflight := `{"message":"3 request(s) complete to x","in_flight":7}
not json
{"message":"Summary: 3 request(s) complete to x","completed":3,"p99_ms":1.5}
`
	l, err = ParseLoadgen([]byte(withInflight))
	if err != nil || l.MaxInFlightSeen != 7 || l.Completed != 3 {
		t.Errorf("got %+v, %v; want in flight 7, completed 3", l, err)
	}
	if _, err := ParseLoadgen([]byte(`{"message":"1 request(s) complete to x"}`)); err == nil || !strings.Contains(err.Error(), "Summary") {
		t.Errorf("no summary: err = %v", err)
	}
}

func FuzzParseWrk(f *testing.F) {
	f.Add(string(mustRead(f, "wrk-latency.txt")))
	f.Add(string(mustRead(f, "wrk-python.txt")))
	f.Fuzz(func(t *testing.T, s string) {
		_, _ = ParseWrk([]byte(s)) // must not panic
	})
}

func FuzzParseLoadgen(f *testing.F) {
	f.Add(string(mustRead(f, "loadgen-stdout.jsonl")))
	f.Fuzz(func(t *testing.T, s string) {
		_, _ = ParseLoadgen([]byte(s))
	})
}

func FuzzVegetaLatencies(f *testing.F) {
	f.Add(string(mustRead(f, "vegeta-head.csv")))
	f.Fuzz(func(t *testing.T, s string) {
		l, _, err := VegetaLatencies([]byte(s))
		for _, d := range l {
			if err == nil && d < 0 {
				t.Fatalf("negative latency %v accepted", d)
			}
		}
	})
}

func mustRead(f *testing.F, name string) []byte {
	b, err := os.ReadFile(filepath.Join("..", "..", "testdata", name))
	if err != nil {
		f.Fatal(err)
	}
	return b
}
