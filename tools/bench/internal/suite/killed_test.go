package suite

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
)

func TestKilled(t *testing.T) {
	overran := fmt.Errorf("vegeta attack killed after 35s: %w", context.DeadlineExceeded)
	tests := []struct {
		client string
		err    error
		want   bool
	}{
		{cVegeta, overran, true},
		{cFortio, overran, true},
		{cLoadgen, overran, false}, // the product overrunning is a failure
		{cVegeta, errors.New("vegeta attack exited with 1: bad flag"), false},
		{cVegeta, nil, false},
	}
	for _, tt := range tests {
		if got := killed(tt.client, tt.err); got != tt.want {
			t.Errorf("killed(%s, %v) = %v, want %v", tt.client, tt.err, got, tt.want)
		}
	}
}

// A comparison client that was killed stays in the report, labelled, and
// its overrun CPU does not enter the paced CPU comparison.
func TestKilledRunIsReported(t *testing.T) {
	s := synthetic(9500, 1_000_000, 20*1024)
	killedRun := accuracyRun(cVegeta, 20000, 0.15, 0.99, 1<<20)
	killedRun.killedAfter = 35 * time.Second
	s.res.accuracy = append(s.res.accuracy, killedRun)
	if doc := s.document(); !strings.Contains(doc, "| 20000 | vegeta (killed after 35s, did not finish) | ") {
		t.Errorf("document lacks the killed vegeta row")
	}
	// fortio killed at the highest rate: the comparison falls back to the
	// highest rate both finished, and the killed run's CPU is not in it.
	before := s.pacedCPU()
	for _, c := range []string{cLoadgen, cFortio} {
		r := accuracyRun(c, 30000, 0.5, 0.5, 20000)
		if c == cFortio {
			r.killedAfter = 35 * time.Second
		}
		s.res.accuracy = append(s.res.accuracy, r)
	}
	if got := s.pacedCPU(); got != before || !strings.Contains(got, "paced at 20000 rps") {
		t.Errorf("with fortio killed at 30000 rps the paced CPU comparison is %q, want %q", got, before)
	}
}
