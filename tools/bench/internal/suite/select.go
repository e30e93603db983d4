package suite

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
)

// Section keys for Selection.Sections, in run order.
const (
	SecThroughput = "throughput" // 1 fixed-connection throughput (wrk)
	SecOpenLoop   = "openloop"   // 2 open-loop latency
	SecRate       = "rate"       // 3 rate accuracy
	SecMax        = "max"        // 4 maximum throughput per client CPU-second
	SecSlow       = "slow"       // 5 slow server
	SecStartup    = "startup"    // 6 startup and size
	SecMicro      = "micro"      // Go micro-benchmarks
)

// Sections are the section keys, in run order.
var Sections = []string{SecThroughput, SecOpenLoop, SecRate, SecMax, SecSlow, SecStartup, SecMicro}

// Clients are the load clients -clients may name: the rate clients of
// sections 3 and 5, and wrk, which section 4 also runs.
var Clients = []string{cLoadgen, cFortio, cVegeta, cWrk}

// maxRepeat bounds -repeat: each repetition of section 3 at the full rate
// ladder is several minutes.
const maxRepeat = 20

// Selection narrows a run to some sections, rates and clients, to iterate
// on one measurement. The zero value is the whole of `make bench`.
type Selection struct {
	Sections []string  // nil: all
	Rates    []float64 // section 3's rates; nil: the plan's
	Clients  []string  // sections 3, 4 and 5; nil: all
	Repeat   int       // section 3 runs per rate and client; 0 or 1: once
}

// Partial reports whether the selection leaves anything of the full run out.
func (sel Selection) Partial() bool {
	return sel.Sections != nil || sel.Rates != nil || sel.Clients != nil || sel.Repeat > 1
}

// String is the selection as the flags that make it, for the report.
func (sel Selection) String() string {
	var parts []string
	if sel.Sections != nil {
		parts = append(parts, "-only "+strings.Join(sel.Sections, ","))
	}
	if sel.Rates != nil {
		parts = append(parts, "-rates "+rateCSV(sel.Rates))
	}
	if sel.Clients != nil {
		parts = append(parts, "-clients "+strings.Join(sel.Clients, ","))
	}
	if sel.Repeat > 1 {
		parts = append(parts, "-repeat "+strconv.Itoa(sel.Repeat))
	}
	return strings.Join(parts, " ")
}

func rateCSV(rates []float64) string {
	s := make([]string, len(rates))
	for i, r := range rates {
		s[i] = strconv.FormatFloat(r, 'f', -1, 64)
	}
	return strings.Join(s, ",")
}

// ParseSelection parses the -only, -rates, -clients and -repeat flags; an
// empty string selects everything. The error is one line naming the flag,
// the value and what is allowed.
func ParseSelection(only, rates, clients string, repeat int) (Selection, error) {
	var sel Selection
	var err error
	if sel.Sections, err = parseNames("-only", only, Sections); err != nil {
		return sel, err
	}
	if sel.Clients, err = parseNames("-clients", clients, Clients); err != nil {
		return sel, err
	}
	if rates != "" {
		for f := range strings.SplitSeq(rates, ",") {
			r, err := strconv.ParseFloat(strings.TrimSpace(f), 64)
			if err != nil || math.IsNaN(r) || r < 1 || r > 1_000_000 {
				return sel, fmt.Errorf("-rates %q: %q is not a rate; want requests per second from 1 to 1000000, comma-separated, e.g. 10000,20000", rates, f)
			}
			if !slices.Contains(sel.Rates, r) {
				sel.Rates = append(sel.Rates, r)
			}
		}
	}
	if repeat < 1 || repeat > maxRepeat {
		return sel, fmt.Errorf("-repeat %d: want from 1 to %d (section 3 runs per rate and client)", repeat, maxRepeat)
	}
	sel.Repeat = repeat
	if sel.Clients != nil {
		// A selected client section with none of its clients left would
		// silently measure nothing.
		secs := sel.Sections
		if secs == nil {
			secs = Sections
		}
		for _, sec := range secs {
			if own := sectionClients(sec); own != nil && len(filter(own, sel.Clients)) == 0 {
				return sel, fmt.Errorf("-clients %q leaves section %s nothing to run (its clients: %s); name one of them or narrow -only", clients, sec, strings.Join(own, ", "))
			}
		}
	}
	return sel, nil
}

func parseNames(flag, v string, allowed []string) ([]string, error) {
	if v == "" {
		return nil, nil
	}
	var out []string
	for f := range strings.SplitSeq(v, ",") {
		f = strings.TrimSpace(f)
		if !slices.Contains(allowed, f) {
			return nil, fmt.Errorf("%s %q: unknown name %q; allowed, comma-separated: %s", flag, v, f, strings.Join(allowed, ", "))
		}
		if !slices.Contains(out, f) {
			out = append(out, f)
		}
	}
	return out, nil
}

// sectionClients lists the clients a section runs (nil: not a client section).
func sectionClients(sec string) []string {
	switch sec {
	case SecRate, SecSlow:
		return rateClients
	case SecMax:
		return maxClients
	}
	return nil
}

// filter keeps the clients of own that sel names (all of own when sel is nil).
func filter(own, sel []string) []string {
	if sel == nil {
		return own
	}
	var out []string
	for _, c := range own {
		if slices.Contains(sel, c) {
			out = append(out, c)
		}
	}
	return out
}

func (s *Suite) wants(sec string) bool {
	return s.cfg.Select.Sections == nil || slices.Contains(s.cfg.Select.Sections, sec)
}

func (s *Suite) clients(sec string) []string {
	return filter(sectionClients(sec), s.cfg.Select.Clients)
}
