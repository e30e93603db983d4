package main

import (
	"testing"
	"time"
)

func TestBurnLastsAtLeastItsDuration(t *testing.T) {
	for _, d := range []time.Duration{0, time.Microsecond, 2 * time.Millisecond} {
		start := time.Now()
		burn(d)
		if got := time.Since(start); got < d {
			t.Errorf("burn(%v) returned after %v", d, got)
		}
	}
}
