// Package pacer issues request slots on an open-model, absolute schedule.
//
// Slot i is due at start + i/rate, computed from integers (the rate in
// requests per 10^6 s, 128-bit intermediates), so no rounding error
// accumulates however long the schedule runs.
//
// Catch-up policy: if the pacer wakes up late (a GC pause, a descheduled
// process, a stopped container), slots that are at most Tolerance behind are
// released at once; slots more than Tolerance behind are skipped and
// reported as late. A stall therefore never turns into a burst bigger than
// Tolerance×rate requests, and the schedule resumes where the clock is.
package pacer

import (
	"context"
	"errors"
	"math"
	"math/bits"
	"time"
)

// ErrDone is returned by Next when the schedule has reached its end.
var ErrDone = errors.New("pacer: schedule complete")

// Clock is the time source. The real one is RealClock; tests use a fake.
type Clock interface {
	Now() time.Time
	// SleepUntil blocks until t or until ctx is done (returning ctx.Err()).
	SleepUntil(ctx context.Context, t time.Time) error
}

// Slot is one scheduled request.
type Slot struct {
	Due time.Time // when it should be sent; latency is measured from here
	// Skipped is how many slots just before this one were dropped because
	// the pacer was more than Tolerance behind them.
	Skipped uint64
}

// Pacer hands out slots. It is not safe for concurrent use: one goroutine
// owns it and dispatches the slots.
type Pacer struct {
	clock     Clock
	start     time.Time
	microRate uint64        // requests per 10^6 seconds
	tolerance time.Duration // how far behind a slot may still be sent
	end       uint64        // first slot index not issued (math.MaxUint64 = forever)
	finish    time.Time     // start+duration; zero when unbounded
	next      uint64
}

// New returns a pacer starting now. rate is in requests per second and is
// rounded to 10^-6; duration 0 means no end; tolerance must be > 0.
func New(clock Clock, rate float64, duration, tolerance time.Duration) *Pacer {
	p := &Pacer{
		clock:     clock,
		start:     clock.Now(),
		microRate: uint64(math.Round(rate * 1e6)),
		tolerance: tolerance,
		end:       math.MaxUint64,
	}
	if p.microRate == 0 {
		p.microRate = 1
	}
	if duration > 0 {
		p.end = p.indexAtOrAfter(duration) // the slots due before duration
		p.finish = p.start.Add(duration)
	}
	return p
}

// Start is the instant slot 0 is due.
func (p *Pacer) Start() time.Time { return p.start }

// Offset is when slot i is due relative to Start: floor(i * 1e15 / microRate) ns.
func (p *Pacer) Offset(i uint64) time.Duration {
	hi, lo := bits.Mul64(i, 1e15)
	if hi >= p.microRate { // would overflow: beyond ~292 years
		return time.Duration(math.MaxInt64)
	}
	q, _ := bits.Div64(hi, lo, p.microRate)
	if q > math.MaxInt64 {
		return time.Duration(math.MaxInt64)
	}
	return time.Duration(q)
}

// Next waits until the next slot is due and returns it. It returns ErrDone
// at the end of the schedule (slots skipped at the end are reported in the
// returned Slot's Skipped field) or ctx.Err().
func (p *Pacer) Next(ctx context.Context) (Slot, error) {
	if p.next >= p.end {
		return Slot{}, p.done(ctx)
	}
	due := p.start.Add(p.Offset(p.next))
	now := p.clock.Now()
	var skipped uint64
	if behind := now.Sub(due); behind > p.tolerance {
		// Skip every slot due before now-tolerance: the first slot still
		// in the window is ceil((now-tolerance-start)*rate).
		first := p.indexAtOrAfter(now.Sub(p.start) - p.tolerance)
		first = min(first, p.end)
		skipped = first - p.next
		p.next = first
		if p.next >= p.end {
			return Slot{Skipped: skipped}, p.done(ctx)
		}
		due = p.start.Add(p.Offset(p.next))
	}
	if now.Before(due) {
		if err := p.clock.SleepUntil(ctx, due); err != nil {
			return Slot{Skipped: skipped}, err
		}
	} else if err := ctx.Err(); err != nil {
		return Slot{Skipped: skipped}, err
	}
	s := Slot{Due: due, Skipped: skipped}
	p.next++
	return s, nil
}

// done waits out the rest of a bounded schedule, so a run of DURATION
// lasts DURATION and its achieved rate is measured over the full window.
func (p *Pacer) done(ctx context.Context) error {
	if !p.finish.IsZero() && p.clock.Now().Before(p.finish) {
		if err := p.clock.SleepUntil(ctx, p.finish); err != nil {
			return err
		}
	}
	return ErrDone
}

// indexAtOrAfter is the smallest i with Offset(i) >= d.
func (p *Pacer) indexAtOrAfter(d time.Duration) uint64 {
	if d <= 0 {
		return 0
	}
	// i = ceil(d * microRate / 1e15), then correct for the floor in Offset.
	hi, lo := bits.Mul64(uint64(d), p.microRate)
	i, r := bits.Div64(hi, lo, 1e15)
	if r != 0 {
		i++
	}
	for i > 0 && p.Offset(i-1) >= d {
		i--
	}
	for p.Offset(i) < d {
		i++
	}
	return i
}

// RealClock is the runtime's monotonic clock.
type RealClock struct{}

// Now returns time.Now().
func (RealClock) Now() time.Time { return time.Now() }

// SleepUntil blocks until t or until ctx is done.
func (RealClock) SleepUntil(ctx context.Context, t time.Time) error {
	timer := time.NewTimer(time.Until(t))
	defer timer.Stop()
	select {
	case <-timer.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
