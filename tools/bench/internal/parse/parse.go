// Package parse reads the output of the load clients the benchmark drives:
// wrk's text report, fortio's -json file, vegeta's `report -type=json`,
// and loadgen's JSON summary log line. Each parser returns an error naming
// what it could not find, so a changed tool version fails loudly instead of
// reporting zeros.
package parse

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// Wrk is the part of wrk's --latency report the benchmark uses.
type Wrk struct {
	Requests     int64
	Duration     time.Duration
	RPS          float64
	P50, P75     time.Duration
	P90, P99     time.Duration
	SocketErrors int64 // connect + read + write + timeout
	ReadErrors   int64 // of which read: a server that closes each connection (HTTP/1.0) shows here
	Non2xx       int64
}

var (
	wrkTotal   = regexp.MustCompile(`(?m)^\s*(\d+) requests in ([0-9.]+[a-z]+),`)
	wrkRPS     = regexp.MustCompile(`(?m)^Requests/sec:\s+([0-9.]+)`)
	wrkPct     = regexp.MustCompile(`(?m)^\s+(50|75|90|99)%\s+([0-9.]+[a-z]+)`)
	wrkSockets = regexp.MustCompile(`Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)`)
	wrkNon2xx  = regexp.MustCompile(`Non-2xx or 3xx responses: (\d+)`)
)

// ParseWrk parses the output of `wrk --latency`.
func ParseWrk(out []byte) (Wrk, error) {
	var w Wrk
	m := wrkTotal.FindSubmatch(out)
	if m == nil {
		return w, fmt.Errorf("wrk output: no \"N requests in T\" line (was --latency output captured whole?)")
	}
	w.Requests, _ = strconv.ParseInt(string(m[1]), 10, 64)
	d, err := wrkDuration(string(m[2]))
	if err != nil {
		return w, fmt.Errorf("wrk output: run duration: %w", err)
	}
	w.Duration = d
	m = wrkRPS.FindSubmatch(out)
	if m == nil {
		return w, fmt.Errorf("wrk output: no \"Requests/sec:\" line")
	}
	w.RPS, _ = strconv.ParseFloat(string(m[1]), 64)
	found := 0
	for _, m := range wrkPct.FindAllSubmatch(out, -1) {
		d, err := wrkDuration(string(m[2]))
		if err != nil {
			return w, fmt.Errorf("wrk output: %s%% latency: %w", m[1], err)
		}
		switch string(m[1]) {
		case "50":
			w.P50 = d
		case "75":
			w.P75 = d
		case "90":
			w.P90 = d
		case "99":
			w.P99 = d
		}
		found++
	}
	if found < 4 {
		return w, fmt.Errorf("wrk output: latency distribution has %d of 4 percentiles (run wrk with --latency)", found)
	}
	if m := wrkSockets.FindSubmatch(out); m != nil {
		for i := 1; i <= 4; i++ {
			n, _ := strconv.ParseInt(string(m[i]), 10, 64)
			w.SocketErrors += n
			if i == 2 {
				w.ReadErrors = n
			}
		}
	}
	if m := wrkNon2xx.FindSubmatch(out); m != nil {
		w.Non2xx, _ = strconv.ParseInt(string(m[1]), 10, 64)
	}
	return w, nil
}

// wrkDuration reads wrk's units: us, ms, s, m, h.
func wrkDuration(s string) (time.Duration, error) {
	i := strings.IndexFunc(s, func(r rune) bool { return r >= 'a' && r <= 'z' })
	if i <= 0 {
		return 0, fmt.Errorf("%q is not a number with a unit", s)
	}
	v, err := strconv.ParseFloat(s[:i], 64)
	if err != nil {
		return 0, fmt.Errorf("%q is not a number with a unit", s)
	}
	unit := map[string]time.Duration{"us": time.Microsecond, "ms": time.Millisecond, "s": time.Second, "m": time.Minute, "h": time.Hour}[s[i:]]
	if unit == 0 {
		return 0, fmt.Errorf("%q has unknown unit %q (want us, ms, s, m or h)", s, s[i:])
	}
	return time.Duration(v * float64(unit)), nil
}

// Fortio is the part of fortio's -json result the benchmark uses.
type Fortio struct {
	Count           int64
	OK              int64 // HTTP 200
	ActualQPS       float64
	ActualDuration  time.Duration
	P50, P99, P999  time.Duration
	RequestedQPS    string
	NumThreads      int
	NumErrorsOrNon2 int64
}

type fortioJSON struct {
	RequestedQPS      string
	ActualQPS         float64
	ActualDuration    int64
	NumThreads        int
	DurationHistogram struct {
		Count       int64
		Percentiles []struct {
			Percentile float64
			Value      float64 // seconds
		}
	}
	RetCodes map[string]int64
}

// ParseFortio parses the file written by `fortio load -json FILE` (run with
// -p "50,99,99.9").
func ParseFortio(data []byte) (Fortio, error) {
	var j fortioJSON
	if err := json.Unmarshal(data, &j); err != nil {
		return Fortio{}, fmt.Errorf("fortio json: %w", err)
	}
	if j.DurationHistogram.Percentiles == nil {
		return Fortio{}, fmt.Errorf("fortio json: no DurationHistogram.Percentiles (run fortio with -json and -p \"50,99,99.9\")")
	}
	f := Fortio{
		Count:          j.DurationHistogram.Count,
		OK:             j.RetCodes["200"],
		ActualQPS:      j.ActualQPS,
		ActualDuration: time.Duration(j.ActualDuration),
		RequestedQPS:   j.RequestedQPS,
		NumThreads:     j.NumThreads,
	}
	f.NumErrorsOrNon2 = f.Count - f.OK
	want := map[float64]*time.Duration{50: &f.P50, 99: &f.P99, 99.9: &f.P999}
	for _, p := range j.DurationHistogram.Percentiles {
		if d, ok := want[p.Percentile]; ok {
			*d = seconds(p.Value)
			delete(want, p.Percentile)
		}
	}
	if len(want) > 0 {
		return f, fmt.Errorf("fortio json: percentiles 50, 99 and 99.9 not all present (run fortio with -p \"50,99,99.9\")")
	}
	return f, nil
}

func seconds(s float64) time.Duration { return time.Duration(math.Round(s * 1e9)) }

// Vegeta is the part of `vegeta report -type=json` the benchmark uses.
type Vegeta struct {
	Requests       int64
	Rate           float64 // sent per second
	Throughput     float64 // successful per second
	Success        float64 // ratio 0-1
	P50, P99, Max  time.Duration
	StatusCodes    map[string]int64
	Errors         []string
	AttackDuration time.Duration
}

// ParseVegeta parses `vegeta report -type=json`.
func ParseVegeta(data []byte) (Vegeta, error) {
	var j struct {
		Latencies map[string]int64 `json:"latencies"`
		Duration  int64            `json:"duration"`
		Requests  *int64           `json:"requests"`
		Rate      float64          `json:"rate"`
		Through   float64          `json:"throughput"`
		Success   float64          `json:"success"`
		Codes     map[string]int64 `json:"status_codes"`
		Errors    []string         `json:"errors"`
	}
	if err := json.Unmarshal(data, &j); err != nil {
		return Vegeta{}, fmt.Errorf("vegeta report json: %w", err)
	}
	if j.Requests == nil || j.Latencies == nil {
		return Vegeta{}, fmt.Errorf("vegeta report json: no \"requests\" or \"latencies\" (run `vegeta report -type=json`)")
	}
	v := Vegeta{
		Requests: *j.Requests, Rate: j.Rate, Throughput: j.Through, Success: j.Success,
		StatusCodes: j.Codes, Errors: j.Errors, AttackDuration: time.Duration(j.Duration),
		P50: time.Duration(j.Latencies["50th"]), P99: time.Duration(j.Latencies["99th"]), Max: time.Duration(j.Latencies["max"]),
	}
	return v, nil
}

// VegetaLatencies reads the latency column (nanoseconds, third field) of
// `vegeta encode -to csv` and counts the results whose status code (second
// field) is not 200. Only the first three fields are read, so the base64
// body and header columns never matter.
func VegetaLatencies(csv []byte) (lat []time.Duration, non200 int, err error) {
	var out []time.Duration
	sc := bufio.NewScanner(bytes.NewReader(csv))
	sc.Buffer(make([]byte, 64<<10), 4<<20)
	for line := 1; sc.Scan(); line++ {
		f := strings.SplitN(sc.Text(), ",", 4)
		if len(f) < 4 {
			return nil, 0, fmt.Errorf("vegeta csv line %d: %d fields, want at least 4 (timestamp,code,latency,...)", line, len(f))
		}
		ns, err := strconv.ParseInt(f[2], 10, 64)
		if err != nil || ns < 0 {
			return nil, 0, fmt.Errorf("vegeta csv line %d: latency %q is not a non-negative integer of nanoseconds", line, f[2])
		}
		if f[1] != "200" {
			non200++
		}
		out = append(out, time.Duration(ns))
	}
	return out, non200, sc.Err()
}

// Loadgen is loadgen's final "Summary: ..." log line.
type Loadgen struct {
	Completed, OK, Sent uint64
	FailedStatus        uint64 `json:"failed_status"`
	FailedTransport     uint64 `json:"failed_transport"`
	Aborted             uint64
	Late                uint64
	LateBehind          uint64  `json:"late_behind_schedule"`
	LateInFlight        uint64  `json:"late_in_flight_limit"`
	ElapsedS            float64 `json:"elapsed_s"`
	TargetRPS           float64 `json:"target_rps"`
	AchievedRPS         float64 `json:"achieved_rps"`
	P50ms               float64 `json:"p50_ms"`
	P99ms               float64 `json:"p99_ms"`
	MaxMs               float64 `json:"max_ms"`
	// MaxInFlightSeen is the largest in_flight of the interval lines.
	MaxInFlightSeen int64 `json:"-"`
}

// P99 is the summary's p99 latency (from the intended send time).
func (l Loadgen) P99() time.Duration { return time.Duration(l.P99ms * float64(time.Millisecond)) }

// P50 is the summary's median latency.
func (l Loadgen) P50() time.Duration { return time.Duration(l.P50ms * float64(time.Millisecond)) }

// ParseLoadgen finds the summary in loadgen's JSON log (LOG_FORMAT=json):
// the line whose message starts with "Summary:".
func ParseLoadgen(out []byte) (Loadgen, error) {
	var l Loadgen
	found := false
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Bytes()
		if len(line) == 0 || line[0] != '{' {
			continue
		}
		var head struct {
			Message  string `json:"message"`
			InFlight *int64 `json:"in_flight"`
		}
		if json.Unmarshal(line, &head) != nil {
			continue
		}
		if head.InFlight != nil && *head.InFlight > l.MaxInFlightSeen {
			l.MaxInFlightSeen = *head.InFlight
		}
		if strings.HasPrefix(head.Message, "Summary:") {
			seen := l.MaxInFlightSeen
			if err := json.Unmarshal(line, &l); err != nil {
				return l, fmt.Errorf("loadgen summary line: %w", err)
			}
			l.MaxInFlightSeen = seen
			found = true
		}
	}
	if !found {
		return l, fmt.Errorf("loadgen output: no JSON line with a message starting \"Summary:\" (run loadgen with LOG_FORMAT=json and a DURATION)")
	}
	return l, nil
}
