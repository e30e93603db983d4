// Package histogram records latencies in fixed log-linear buckets.
//
// Recording is one atomic add (no locks, no allocation, no sorting), which
// keeps the request hot path cheap at tens of thousands of requests per
// second. Values are microseconds; buckets are exact below 64 µs and then
// 64 per power of two, so any quantile is within 1/64 (1.6 %) of the true
// value. The range tops out above one hour; larger values land in the last
// bucket.
package histogram

import (
	"math/bits"
	"sync/atomic"
	"time"
)

const (
	subBits    = 6
	sub        = 1 << subBits // linear buckets per power of two
	maxExp     = 33           // 2^(33+6) µs ≈ 6 days, far beyond any timeout
	numBuckets = sub + maxExp*sub
)

// Histogram is safe for concurrent Record and Snapshot.
type Histogram struct {
	counts [numBuckets]atomic.Uint64
}

// Snapshot is a point-in-time copy of bucket counts; it can be subtracted
// from a later one to get the counts of an interval.
type Snapshot struct {
	Counts [numBuckets]uint64
}

// Record adds one observation.
func (h *Histogram) Record(d time.Duration) {
	h.counts[index(d)].Add(1)
}

func index(d time.Duration) int {
	if d < 0 {
		d = 0
	}
	v := uint64(d / time.Microsecond)
	if v < sub {
		return int(v)
	}
	e := bits.Len64(v) - subBits - 1 // v>>e is in [sub, 2*sub)
	i := sub + e*sub + int(v>>e) - sub
	return min(i, numBuckets-1)
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

// Snapshot copies the current counts into s.
func (h *Histogram) Snapshot(s *Snapshot) {
	for i := range h.counts {
		s.Counts[i] = h.counts[i].Load()
	}
}

// Total is the number of observations in s.
func (s *Snapshot) Total() uint64 {
	var n uint64
	for _, c := range s.Counts {
		n += c
	}
	return n
}

// Sub sets s to a-b (the observations recorded between b and a).
func (s *Snapshot) Sub(a, b *Snapshot) {
	for i := range s.Counts {
		s.Counts[i] = a.Counts[i] - b.Counts[i]
	}
}

// Quantile returns the upper bound of the bucket holding quantile q (0..1),
// or 0 when s is empty. Reporting the upper bound never understates latency.
func (s *Snapshot) Quantile(q float64) time.Duration {
	total := s.Total()
	if total == 0 {
		return 0
	}
	rank := uint64(q * float64(total))
	if rank >= total {
		rank = total - 1
	}
	var seen uint64
	for i, c := range s.Counts {
		seen += c
		if seen > rank {
			return upper(i)
		}
	}
	return upper(numBuckets - 1)
}

// CumulativeAt returns, for each bound (ascending), the number of
// observations whose bucket lies entirely at or below it. Used to export a
// Prometheus histogram at scrape time without touching the hot path.
func (s *Snapshot) CumulativeAt(bounds []time.Duration) []uint64 {
	out := make([]uint64, len(bounds))
	var seen uint64
	b := 0
	for i, c := range s.Counts {
		for b < len(bounds) && upper(i) > bounds[b] {
			out[b] = seen
			b++
		}
		seen += c
	}
	for ; b < len(bounds); b++ {
		out[b] = seen
	}
	return out
}

// ApproxSum estimates the sum of all observations from bucket midpoints
// (within the 1.6 % bucket error).
func (s *Snapshot) ApproxSum() time.Duration {
	var sum float64
	lower := time.Duration(0)
	for i, c := range s.Counts {
		u := upper(i)
		if c > 0 {
			sum += float64(c) * float64(lower+u) / 2
		}
		lower = u
	}
	return time.Duration(sum)
}
