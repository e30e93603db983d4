package histogram

import (
	"math/rand/v2"
	"slices"
	"sync"
	"testing"
	"time"
)

func TestBucketsCoverContiguously(t *testing.T) {
	// Every value lands in a bucket whose range contains it, and bucket
	// bounds grow monotonically with at most 1/64 relative width.
	prev := time.Duration(0)
	for i := 0; i < numBuckets; i++ {
		u := upper(i)
		if u <= prev {
			t.Fatalf("bucket %d upper %v <= previous %v", i, u, prev)
		}
		if i >= sub && float64(u-prev)/float64(prev) > 1.0/64+1e-12 {
			t.Fatalf("bucket %d too wide: [%v,%v)", i, prev, u)
		}
		prev = u
	}
	for _, v := range []time.Duration{0, time.Microsecond, 63 * time.Microsecond, 64 * time.Microsecond,
		127 * time.Microsecond, 128 * time.Microsecond, 129 * time.Microsecond, time.Millisecond, 1234567 * time.Microsecond, time.Hour} {
		i := index(v)
		lo := time.Duration(0)
		if i > 0 {
			lo = upper(i - 1)
		}
		v = v.Truncate(time.Microsecond)
		if v < lo || v >= upper(i) {
			t.Errorf("%v in bucket %d = [%v,%v)", v, i, lo, upper(i))
		}
	}
	if index(-time.Second) != 0 || index(1000*time.Hour) != numBuckets-1 {
		t.Error("out-of-range values must clamp")
	}
}

func TestQuantileAccuracy(t *testing.T) {
	var h Histogram
	r := rand.New(rand.NewPCG(1, 2))
	vals := make([]time.Duration, 100_000)
	for i := range vals {
		vals[i] = time.Duration(r.ExpFloat64() * float64(5*time.Millisecond))
		h.Record(vals[i])
	}
	slices.Sort(vals)
	var s Snapshot
	h.Snapshot(&s)
	if s.Total() != uint64(len(vals)) {
		t.Fatalf("total %d", s.Total())
	}
	for _, q := range []float64{0.5, 0.9, 0.99, 0.999} {
		exact := vals[int(q*float64(len(vals)))]
		got := s.Quantile(q)
		if got < exact || float64(got-exact) > float64(exact)/32+float64(time.Microsecond) {
			t.Errorf("q%.3f = %v, exact %v", q, got, exact)
		}
	}
	var empty Snapshot
	if empty.Quantile(0.5) != 0 {
		t.Error("empty quantile must be 0")
	}
}

func TestIntervalDelta(t *testing.T) {
	var h Histogram
	var a, b, d Snapshot
	for range 100 {
		h.Record(time.Millisecond)
	}
	h.Snapshot(&a)
	for range 10 {
		h.Record(time.Second)
	}
	h.Snapshot(&b)
	d.Sub(&b, &a)
	if d.Total() != 10 || d.Quantile(0.5) < time.Second || d.Quantile(0.5) > 1016*time.Millisecond {
		t.Errorf("delta total %d p50 %v", d.Total(), d.Quantile(0.5))
	}
	cum := b.CumulativeAt([]time.Duration{500 * time.Microsecond, 2 * time.Millisecond, 10 * time.Second})
	if !slices.Equal(cum, []uint64{0, 100, 110}) {
		t.Errorf("cumulative %v", cum)
	}
	if sum := b.ApproxSum(); sum < 10*time.Second || sum > 10300*time.Millisecond {
		t.Errorf("approx sum %v", sum)
	}
}

func TestConcurrentRecord(t *testing.T) {
	var h Histogram
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 1000 {
				h.Record(time.Duration(g*1000+i) * time.Microsecond)
			}
		})
	}
	wg.Wait()
	var s Snapshot
	h.Snapshot(&s)
	if s.Total() != 8000 {
		t.Fatalf("lost records: %d", s.Total())
	}
}

func BenchmarkHistogramRecord(b *testing.B) {
	var h Histogram
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		d := 1500 * time.Microsecond
		for pb.Next() {
			h.Record(d)
			d += 7 * time.Microsecond
		}
	})
}
