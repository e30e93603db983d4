package suite

import (
	"bytes"
	"fmt"
	"strings"

	"golang.org/x/perf/benchfmt"

	"github.com/asm-ready/asm-ready/tools/bench/internal/stats"
)

// inProcessCost is helloserver's CPU per request in process, from the Go
// micro-benchmarks of the same run: the handler chain measured without a
// network and a client, so without the wake-up costs that move the
// throughput ratios of section 1 from run to run.
type inProcessCost struct {
	floor, chi, logOff, logOn stats.Spread // cpu-ns/op
}

// The helloserver benchmarks it is read from, as benchfmt names them: no
// "Benchmark" prefix, no -GOMAXPROCS suffix.
const (
	benchFloor  = "Floor/ServeMux"
	benchChi    = "Floor/RouterOnly"
	benchLogOff = "HandlerLogOff"
	benchLogOn  = "Handler"
)

// parseInProcess reads helloserver's `go test -bench` output; ok is false
// unless all four benchmarks reported cpu-ns/op.
func parseInProcess(out []byte) (c inProcessCost, ok bool) {
	vals := map[string][]float64{}
	r := benchfmt.NewReader(bytes.NewReader(out), "helloserver")
	for r.Scan() {
		res, isResult := r.Result().(*benchfmt.Result)
		if !isResult {
			continue // syntax errors and unit lines: go test prints other lines too
		}
		// The reader tidies units (cpu-ns/op to cpu-sec/op) and keeps the
		// figure as printed beside it.
		for _, v := range res.Values {
			if v.OrigUnit == "cpu-ns/op" {
				name := withoutProcs(res.Name.String())
				vals[name] = append(vals[name], v.OrigValue)
			}
		}
	}
	for _, n := range []string{benchFloor, benchChi, benchLogOff, benchLogOn} {
		if len(vals[n]) == 0 {
			return c, false
		}
	}
	return inProcessCost{
		floor: stats.Summarize(vals[benchFloor]), chi: stats.Summarize(vals[benchChi]), logOff: stats.Summarize(vals[benchLogOff]), logOn: stats.Summarize(vals[benchLogOn]),
	}, true
}

// withoutProcs drops the "-2" GOMAXPROCS suffix of a benchmark name.
func withoutProcs(name string) string {
	i := strings.LastIndexByte(name, '-')
	if i < 0 || i == len(name)-1 || strings.Trim(name[i+1:], "0123456789") != "" {
		return name
	}
	return name[:i]
}

// inProcessPara states the in-process cost for section 1.
func (c inProcessCost) para() string {
	us := func(ns float64) string { return fmt.Sprintf("%.2f µs", ns/1000) }
	return fmt.Sprintf("In process (the Go micro-benchmarks of this run, median of %d, CPU per request): a bare `ServeMux` %s; "+
		"plain chi %s; helloserver with the request log off %s, with it on %s: %s, %s and %s more than the `ServeMux`. These are "+
		"measured without a network or a client, so without the wake-up costs that move the ratios above.",
		c.floor.N, us(c.floor.Median), us(c.chi.Median), us(c.logOff.Median), us(c.logOn.Median),
		us(c.chi.Median-c.floor.Median), us(c.logOff.Median-c.floor.Median), us(c.logOn.Median-c.floor.Median))
}
