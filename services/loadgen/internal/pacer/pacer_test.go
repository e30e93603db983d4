package pacer

import (
	"context"
	"errors"
	"math"
	"math/big"
	"testing"
	"time"
)

// fakeClock is simulated time: SleepUntil jumps to the deadline at once.
// stall, if set, is called before each Now and may add extra time.
type fakeClock struct {
	now    time.Time
	sleeps int
	stall  func(now time.Time) time.Duration
}

func (c *fakeClock) Now() time.Time {
	if c.stall != nil {
		c.now = c.now.Add(c.stall(c.now))
	}
	return c.now
}

func (c *fakeClock) SleepUntil(ctx context.Context, t time.Time) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	c.sleeps++
	if t.After(c.now) {
		c.now = t
	}
	return nil
}

var epoch = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// exactOffset is floor(i * 1e9 / rate) in arbitrary precision, the
// reference the integer arithmetic must match.
func exactOffset(i uint64, rate string) time.Duration {
	r, ok := new(big.Rat).SetString(rate)
	if !ok {
		panic(rate)
	}
	x := new(big.Rat).Mul(new(big.Rat).SetUint64(i), big.NewRat(1e9, 1))
	x.Quo(x, r)
	q := new(big.Int).Quo(x.Num(), x.Denom())
	return time.Duration(q.Int64())
}

func TestScheduleExact(t *testing.T) {
	tests := []struct {
		rate     string
		rateF    float64
		first    []time.Duration
		duration time.Duration
		slots    uint64
	}{
		{"0.5", 0.5, []time.Duration{0, 2 * time.Second, 4 * time.Second}, 10 * time.Second, 5},
		{"1", 1, []time.Duration{0, time.Second, 2 * time.Second}, 3 * time.Second, 3},
		{"3", 3, []time.Duration{0, 333333333, 666666666, time.Second}, time.Second, 3},
		{"1000", 1000, []time.Duration{0, time.Millisecond, 2 * time.Millisecond}, 2500 * time.Millisecond, 2500},
		{"20000", 20000, []time.Duration{0, 50 * time.Microsecond, 100 * time.Microsecond}, time.Second, 20000},
	}
	for _, tt := range tests {
		t.Run(tt.rate, func(t *testing.T) {
			clk := &fakeClock{now: epoch}
			p := New(clk, tt.rateF, tt.duration, 10*time.Millisecond)
			ctx := context.Background()
			for i := uint64(0); ; i++ {
				s, err := p.Next(ctx)
				if errors.Is(err, ErrDone) {
					if i != tt.slots {
						t.Fatalf("done after %d slots, want %d", i, tt.slots)
					}
					if got := clk.now.Sub(epoch); got != tt.duration {
						t.Fatalf("schedule ended at %v, want %v", got, tt.duration)
					}
					break
				}
				if err != nil {
					t.Fatal(err)
				}
				want := exactOffset(i, tt.rate)
				if i < uint64(len(tt.first)) && tt.first[i] != want {
					t.Fatalf("test table wrong: slot %d %v vs %v", i, tt.first[i], want)
				}
				if s.Due.Sub(epoch) != want || s.Skipped != 0 {
					t.Fatalf("slot %d = {%v skipped %d}, want due %v", i, s.Due.Sub(epoch), s.Skipped, want)
				}
				// Released exactly at its due time, never before.
				if !clk.now.Equal(s.Due) {
					t.Fatalf("slot %d released at %v, due %v", i, clk.now.Sub(epoch), want)
				}
			}
		})
	}
}

// TestNoDrift walks a million slots and compares every one with the exact
// rational schedule: an accumulating float or tick error would show.
func TestNoDrift(t *testing.T) {
	for _, rate := range []struct {
		s string
		f float64
	}{{"3", 3}} {
		clk := &fakeClock{now: epoch}
		p := New(clk, rate.f, 0, time.Millisecond)
		const n = 1_000_000
		var last Slot
		for i := 0; i < n; i++ {
			s, err := p.Next(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			last = s
			if i%99_991 == 0 && s.Due.Sub(epoch) != exactOffset(uint64(i), rate.s) {
				t.Fatalf("rate %s slot %d: %v, want %v", rate.s, i, s.Due.Sub(epoch), exactOffset(uint64(i), rate.s))
			}
		}
		if got, want := last.Due.Sub(epoch), exactOffset(n-1, rate.s); got != want {
			t.Errorf("rate %s: slot %d due at %v, want %v (drift %v)", rate.s, n-1, got, want, got-want)
		}
	}
	// Far out, for rates whose period is not a whole number of ns.
	for _, rate := range []struct {
		s string
		f float64
	}{{"0.3", 0.3}, {"7", 7}, {"0.5", 0.5}, {"20000", 20000}, {"12345.678", 12345.678}, {"1000000", 1e6}} {
		p := New(&fakeClock{now: epoch}, rate.f, 0, time.Millisecond)
		for _, i := range []uint64{1, 999_999, 1_000_000, 123_456_789} {
			if got, want := p.Offset(i), exactOffset(i, rate.s); got != want {
				t.Errorf("rate %s: Offset(%d) = %v, want %v", rate.s, i, got, want)
			}
		}
		// Beyond ~292 years the offset saturates instead of wrapping.
		if got := p.Offset(1 << 62); got != time.Duration(math.MaxInt64) {
			t.Errorf("rate %s: Offset(2^62) = %v, want saturation", rate.s, got)
		}
	}
}

// TestStallNoBurst stalls the clock at 1000 rps with a 10ms tolerance:
// slots more than the tolerance behind are skipped (counted), the rest go
// out at once, then the schedule resumes on time.
func TestStallNoBurst(t *testing.T) {
	const tol = 10 * time.Millisecond
	for _, tt := range []struct {
		stall       time.Duration
		wantSkipped uint64
	}{
		// Slot 100 goes out at 100ms; the clock then jumps by the stall.
		// At 1.1s, slots 101..1089 are more than 10ms behind; at 150ms,
		// slots 101..139. The next 11 go out at once, then one per sleep.
		{time.Second, 989},
		{50 * time.Millisecond, 39},
		{5 * time.Millisecond, 0},
	} {
		stalled := false
		clk := &fakeClock{now: epoch}
		clk.stall = func(now time.Time) time.Duration {
			if !stalled && now.Sub(epoch) >= 100*time.Millisecond {
				stalled = true
				return tt.stall
			}
			return 0
		}
		p := New(clk, 1000, 2*time.Second, tol)
		var sent, skipped uint64
		var burst, maxBurst int // slots released without sleeping, in a row
		prevSleeps := 0
		for {
			s, err := p.Next(context.Background())
			skipped += s.Skipped
			if errors.Is(err, ErrDone) {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			sent++
			if clk.sleeps == prevSleeps {
				burst++
				maxBurst = max(maxBurst, burst)
			} else {
				burst = 0
			}
			prevSleeps = clk.sleeps
			if lag := clk.now.Sub(s.Due); lag > tol {
				t.Fatalf("stall %v: slot due %v sent %v late, beyond tolerance %v", tt.stall, s.Due.Sub(epoch), lag, tol)
			}
		}
		if skipped != tt.wantSkipped || sent+skipped != 2000 {
			t.Errorf("stall %v: skipped %d, sent %d; want %d skipped of 2000", tt.stall, skipped, sent, tt.wantSkipped)
		}
		if maxBurst > 11 {
			t.Errorf("stall %v: burst of %d back-to-back slots, want <= tolerance*rate+1 = 11", tt.stall, maxBurst)
		}
	}
}

func TestStallPastEnd(t *testing.T) {
	clk := &fakeClock{now: epoch}
	p := New(clk, 10, time.Second, 10*time.Millisecond)
	if _, err := p.Next(context.Background()); err != nil {
		t.Fatal(err)
	}
	clk.now = clk.now.Add(time.Hour)
	s, err := p.Next(context.Background())
	if !errors.Is(err, ErrDone) || s.Skipped != 9 {
		t.Fatalf("after stall past end: %+v, %v; want 9 skipped and ErrDone", s, err)
	}
}

func TestCancel(t *testing.T) {
	clk := &fakeClock{now: epoch}
	p := New(clk, 1, 0, time.Millisecond)
	ctx, cancel := context.WithCancel(context.Background())
	if _, err := p.Next(ctx); err != nil {
		t.Fatal(err)
	}
	cancel()
	if _, err := p.Next(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("Next after cancel: %v", err)
	}
}

func TestRealClockSleepUntil(t *testing.T) {
	var c RealClock
	target := time.Now().Add(20 * time.Millisecond)
	if err := c.SleepUntil(context.Background(), target); err != nil {
		t.Fatal(err)
	}
	if time.Now().Before(target) {
		t.Fatal("woke before the deadline")
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := c.SleepUntil(ctx, time.Now().Add(time.Hour)); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled sleep returned %v", err)
	}
}

func BenchmarkPacer(b *testing.B) {
	clk := &fakeClock{now: epoch}
	p := New(clk, 20000, 0, time.Millisecond)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := p.Next(ctx); err != nil {
			b.Fatal(err)
		}
	}
}
