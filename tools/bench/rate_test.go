package main

import (
	"math"
	"net/http/httptest"
	"testing"
	"time"
)

// schedule returns n arrivals at rate, starting at 5 s on the server's
// clock, each moved by jitter(i).
func schedule(n int, rate float64, jitter func(i int) time.Duration) []time.Duration {
	at := make([]time.Duration, n)
	for i := range at {
		at[i] = 5*time.Second + time.Duration(float64(i)*float64(time.Second)/rate) + jitter(i)
	}
	return at
}

func none(int) time.Duration { return 0 }

func TestJudge(t *testing.T) {
	for _, tc := range []struct {
		name           string
		at             []time.Duration
		rate           float64
		dur            time.Duration
		counted, worst float64
	}{
		{"on schedule", schedule(200, 10, none), 10, 20 * time.Second, 200, 0},
		// The first request late by 1 ms, the others alternately 1 ms
		// early and late: every request stays in the window it was due in.
		{"jitter of 1 ms at 10 rps", schedule(200, 10, func(i int) time.Duration {
			if i == 0 || i%2 == 1 {
				return time.Millisecond
			}
			return -time.Millisecond
		}), 10, 20 * time.Second, 200, 0},
		{"one request lost", append(schedule(15, 10, none), schedule(200, 10, none)[16:]...), 10, 20 * time.Second, 199, 0.1},
		// 200 requests sent over 22 s: the last 18 fall outside the 20 s span.
		{"10% slow", schedule(200, 10/1.1, none), 10, 20 * time.Second, 182, 0.1},
		{"an extra request", append(schedule(100, 10, none)[:51], append([]time.Duration{10 * time.Second}, schedule(100, 10, none)[51:]...)...), 10, 10 * time.Second, 101, 0.1},
		{"on schedule at 10,000 rps", schedule(100000, 10000, none), 10000, 10 * time.Second, 100000, 0},
		{"nothing arrived", nil, 10, 20 * time.Second, 0, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := judge(tc.at, tc.rate, tc.dur)
			if float64(a.counted) != tc.counted || math.Abs(a.worst-tc.worst) > 1e-9 {
				t.Errorf("counted %d, worst %.4f; want %.0f, %.4f", a.counted, a.worst, tc.counted, tc.worst)
			}
			if a.target != int(tc.rate*tc.dur.Seconds()) || a.windows != int(tc.dur/time.Second) {
				t.Errorf("target %d over %d windows; want %v over %v", a.target, a.windows, tc.rate*tc.dur.Seconds(), tc.dur/time.Second)
			}
		})
	}
}

func TestCounterRecordsEachArrival(t *testing.T) {
	c := &counter{start: time.Now()}
	srv := httptest.NewServer(c)
	for range 3 {
		resp, err := testClient.Get(srv.URL)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	srv.Close()
	if len(c.at) != 3 || c.at[0] > c.at[1] || c.at[1] > c.at[2] || c.at[0] <= 0 {
		t.Errorf("arrivals %v, want 3, in order, after the start", c.at)
	}
}
