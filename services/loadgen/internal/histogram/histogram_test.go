package histogram

import (
	"math/rand/v2"
	"slices"
	"testing"
	"time"
)

func TestBucketsCoverContiguously(t *testing.T) {
	// Bucket bounds grow monotonically with at most 1/64 relative width,
	// and every value lands in the bucket whose range contains it.
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
	for _, q := range []float64{0, 0.5, 0.9, 0.99, 0.999, 1} {
		exact := vals[min(int(q*float64(len(vals))), len(vals)-1)]
		got := h.Quantile(q)
		if got < exact || float64(got-exact) > float64(exact)/32+float64(time.Microsecond) {
			t.Errorf("q%.3f = %v, exact %v", q, got, exact)
		}
	}
	var empty Histogram
	if empty.Quantile(0.5) != 0 {
		t.Error("empty quantile must be 0")
	}
}
