// Package smoke judges a running load generator by its own log: loadgen
// writes one JSON line per report interval,
//
//	{"severity":"INFO","message":"10 request(s) complete to http://hellosvc/","ok":10,"failed_status":0,"failed_transport":0,...}
//
// with the counts of that interval. The smoke test passes once enough
// requests completed with none failed.
package smoke

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"regexp"
	"strconv"
)

// summaryMessage is loadgen's per-interval message. The final
// "Summary: ..." line at shutdown carries totals and does not match.
var summaryMessage = regexp.MustCompile(`^(\d+) request\(s\) complete to (\S+)$`)

// Line is one per-interval summary line.
type Line struct {
	N               uint64 // the count in the message
	URL             string
	OK              uint64 `json:"ok"`
	FailedStatus    uint64 `json:"failed_status"`
	FailedTransport uint64 `json:"failed_transport"`
	Aborted         uint64 `json:"aborted"`
}

// Failed is the number of requests of the interval that did not get a 200.
func (l Line) Failed() uint64 { return l.FailedStatus + l.FailedTransport + l.Aborted }

// ParseLine reads one log line. ok is false for lines that are not summary
// lines (start-up messages, text-format logs); err is set for a summary line
// whose fields disagree with its message, which means the log format changed
// under this parser.
func ParseLine(b []byte) (line Line, ok bool, err error) {
	var raw struct {
		Message string `json:"message"`
		Line
	}
	if json.Unmarshal(b, &raw) != nil {
		return Line{}, false, nil
	}
	m := summaryMessage.FindStringSubmatch(raw.Message)
	if m == nil {
		return Line{}, false, nil
	}
	l := raw.Line
	l.N, err = strconv.ParseUint(m[1], 10, 64)
	if err != nil {
		return Line{}, false, fmt.Errorf("message %q: count %s: %v", raw.Message, m[1], err)
	}
	l.URL = m[2]
	if sum := l.OK + l.Failed(); sum != l.N {
		return Line{}, false, fmt.Errorf("message %q says %d request(s) but ok+failed_status+failed_transport+aborted = %d; has loadgen's log format changed?", raw.Message, l.N, sum)
	}
	return l, true, nil
}

// Result is the verdict over a log.
type Result struct {
	Lines   int    // summary lines read
	Warmup  int    // lines before the service first answered, not judged
	OK      uint64 // successful requests after warm-up
	Failed  uint64 // failed requests after warm-up
	URL     string
	Reached bool // OK >= the minimum with no failure
}

// Judge reads r until minOK successful requests have been seen (success), a
// request fails after warm-up (failure), or r ends (failure). Warm-up: loadgen
// may start before the Service has a ready endpoint, so lines before the first
// interval with ok > 0 and no failure are skipped as long as their failures
// are transport errors only (nothing answered yet); a non-200 answer is a
// failure at any time.
func Judge(r io.Reader, minOK uint64) (Result, error) {
	var res Result
	warm := false
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64*1024), 1024*1024)
	for sc.Scan() {
		l, ok, err := ParseLine(sc.Bytes())
		if err != nil {
			return res, err
		}
		if !ok {
			continue
		}
		res.Lines++
		res.URL = l.URL
		if !warm {
			if l.FailedStatus > 0 {
				res.Failed += l.Failed()
				return res, fmt.Errorf("loadgen got %d non-200 answer(s) from %s in one interval (ok=%d failed_status=%d failed_transport=%d aborted=%d)", l.FailedStatus, l.URL, l.OK, l.FailedStatus, l.FailedTransport, l.Aborted)
			}
			if l.OK == 0 || l.Failed() > 0 {
				res.Warmup++
				continue
			}
			warm = true
		}
		res.OK += l.OK
		if f := l.Failed(); f > 0 {
			res.Failed += f
			return res, fmt.Errorf("loadgen reported %d failed request(s) to %s after %d succeeded (failed_status=%d failed_transport=%d aborted=%d)", f, l.URL, res.OK, l.FailedStatus, l.FailedTransport, l.Aborted)
		}
		if res.OK >= minOK {
			res.Reached = true
			return res, nil
		}
	}
	if err := sc.Err(); err != nil {
		return res, fmt.Errorf("reading the log: %w", err)
	}
	if res.Lines == 0 {
		return res, fmt.Errorf("no loadgen summary line (JSON with message \"N request(s) complete to <url>\") in the log; is loadgen running with LOG_FORMAT=json?")
	}
	return res, fmt.Errorf("only %d of the %d requests needed completed OK (%d summary line(s), %d warm-up) before the log ended", res.OK, minOK, res.Lines, res.Warmup)
}
