package suite

import (
	"strings"
	"testing"
)

// goTestOutput is what `go test -bench . -count 2` prints for helloserver,
// trimmed: configuration lines, two counts, sub-benchmarks, unrelated
// benchmarks, and the PASS/ok trailer.
const goTestOutput = `goos: linux
goarch: amd64
pkg: github.com/asm-ready/asm-ready/services/helloserver/internal/handler
cpu: AMD EPYC
BenchmarkHandler-2         	  375328	      3199 ns/op	      3400 cpu-ns/op	    1344 B/op	       7 allocs/op
BenchmarkHandler-2         	  375328	      3299 ns/op	      3600 cpu-ns/op	    1344 B/op	       7 allocs/op
BenchmarkHandlerLogOff-2   	 1000000	      1131 ns/op	      1300 cpu-ns/op	     848 B/op	       5 allocs/op
BenchmarkHandlerLogOff-2   	 1000000	      1131 ns/op	      1400 cpu-ns/op	     848 B/op	       5 allocs/op
BenchmarkFloor/ServeMux-2  	 3106191	       356.0 ns/op	       400.0 cpu-ns/op	     400 B/op	       2 allocs/op
BenchmarkFloor/ServeMux-2  	 3106191	       356.0 ns/op	       500.0 cpu-ns/op	     400 B/op	       2 allocs/op
BenchmarkFloor/RouterOnly-2         	 2298199	       610.0 ns/op	       757.7 cpu-ns/op	     768 B/op	       4 allocs/op
BenchmarkFloor/RouterOnly-2         	 2298199	       610.0 ns/op	       842.3 cpu-ns/op	     768 B/op	       4 allocs/op
PASS
ok  	github.com/asm-ready/asm-ready/services/helloserver/internal/handler	9.1s
`

func TestParseInProcess(t *testing.T) {
	c, ok := parseInProcess([]byte(goTestOutput))
	if !ok {
		t.Fatal("parseInProcess found no result")
	}
	if c.floor.Median != 450 || c.chi.Median != 800 || c.logOff.Median != 1350 || c.logOn.Median != 3500 || c.floor.N != 2 {
		t.Fatalf("medians floor %v, chi %v, log off %v, log on %v (n %d); want 450, 800, 1350, 3500 (n 2)",
			c.floor.Median, c.chi.Median, c.logOff.Median, c.logOn.Median, c.floor.N)
	}
	want := "a bare `ServeMux` 0.45 µs; plain chi 0.80 µs; helloserver with the request log off 1.35 µs, with it on 3.50 µs: " +
		"0.35 µs, 0.90 µs and 3.05 µs more than the `ServeMux`"
	if p := c.para(); !strings.Contains(p, want) || !strings.Contains(p, "median of 2") {
		t.Errorf("para() = %q, want it to contain %q", p, want)
	}
	// Without any one of the four, or without cpu-ns/op, there is no result.
	for _, drop := range []string{"BenchmarkHandler-2 ", "BenchmarkHandlerLogOff-2", "BenchmarkFloor/ServeMux-2", "BenchmarkFloor/RouterOnly-2", "cpu-ns/op"} {
		var kept []string
		for _, l := range strings.Split(goTestOutput, "\n") {
			if !strings.Contains(l, drop) {
				kept = append(kept, l)
			}
		}
		if _, ok := parseInProcess([]byte(strings.Join(kept, "\n"))); ok {
			t.Errorf("without %q parseInProcess still reported a result", drop)
		}
	}
}

func TestWithoutProcs(t *testing.T) {
	for in, want := range map[string]string{
		"BenchmarkHandler-2":          "BenchmarkHandler",
		"BenchmarkFloor/ServeMux-16":  "BenchmarkFloor/ServeMux",
		"BenchmarkFloor/json-headers": "BenchmarkFloor/json-headers",
		"BenchmarkX-":                 "BenchmarkX-",
		"BenchmarkX":                  "BenchmarkX",
	} {
		if got := withoutProcs(in); got != want {
			t.Errorf("withoutProcs(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestDocumentShowsInProcessCost(t *testing.T) {
	s := synthetic(9500, 1_000_000, 20*1024)
	if strings.Contains(s.document(), "In process (") {
		t.Fatal("the document states an in-process cost that was not measured")
	}
	c, _ := parseInProcess([]byte(goTestOutput))
	s.res.inProcess = &c
	if !strings.Contains(s.document(), "In process (the Go micro-benchmarks of this run, median of 2") {
		t.Error("the document lacks the in-process cost")
	}
}
