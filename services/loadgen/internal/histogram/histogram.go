// Package histogram records latencies in fixed log-linear buckets, so the
// quantiles of a run of any length come from bounded memory. Values are
// microseconds; buckets are exact below 64 µs and then 64 per power of two,
// so any quantile is within 1/64 (1.6 %) of the true value. Values above
// about six days land in the last bucket.
package histogram

import (
	"math/bits"
	"time"
)

const (
	subBits    = 6
	sub        = 1 << subBits // linear buckets per power of two
	maxExp     = 33
	numBuckets = sub + maxExp*sub
)

// Histogram counts observations. The zero value is empty; it is not safe
// for concurrent use.
type Histogram struct {
	counts [numBuckets]uint64
	total  uint64
}

// Record adds one observation.
func (h *Histogram) Record(d time.Duration) {
	h.counts[index(d)]++
	h.total++
}

func index(d time.Duration) int {
	v := uint64(max(d, 0) / time.Microsecond)
	if v < sub {
		return int(v)
	}
	e := bits.Len64(v) - subBits - 1 // v>>e is in [sub, 2*sub)
	return min(sub+e*sub+int(v>>e)-sub, numBuckets-1)
}

// upper is the exclusive upper bound of bucket i.
func upper(i int) time.Duration {
	if i < sub {
		return time.Duration(i+1) * time.Microsecond
	}
	e := (i - sub) / sub
	m := uint64((i-sub)%sub + sub)
	return time.Duration((m+1)<<e) * time.Microsecond
}

// Quantile returns the upper bound of the bucket holding quantile q (0..1),
// or 0 when h is empty. The upper bound never understates latency.
func (h *Histogram) Quantile(q float64) time.Duration {
	if h.total == 0 {
		return 0
	}
	rank := min(uint64(q*float64(h.total)), h.total-1)
	var seen uint64
	for i, c := range h.counts {
		seen += c
		if seen > rank {
			return upper(i)
		}
	}
	return upper(numBuckets - 1)
}
