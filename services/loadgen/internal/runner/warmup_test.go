package runner

import (
	"context"
	"fmt"
	"math"
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/asm-ready/asm-ready/services/loadgen/internal/pacer"
)

func TestWarmWorkers(t *testing.T) {
	tests := []struct {
		rate        float64
		maxInFlight int
		want        int
	}{
		{0.001, 256, 1},
		{1, 256, 1},
		{50, 256, 1},      // exactly 1 slot in 20 ms
		{51, 256, 2},      // a little over 1: rounded up
		{500, 256, 10},    // 20 ms of slots
		{10000, 256, 200}, // issue 8's rates
		{20000, 256, 256}, // capped by MAX_IN_FLIGHT
		{1_000_000, 256, 256},
		{20000, 4, 4},
		{20000, 1, 1},
		{math.NaN(), 256, 1},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%g rps, max %d", tt.rate, tt.maxInFlight), func(t *testing.T) {
			if got := warmWorkers(tt.rate, tt.maxInFlight); got != tt.want {
				t.Errorf("warmWorkers = %d, want %d", got, tt.want)
			}
		})
	}
}

// startClock calls at once on the first Now: in a paced run that is
// pacer.New, the instant the schedule starts.
type startClock struct {
	pacer.Clock
	once sync.Once
	at   func()
}

func (c *startClock) Now() time.Time {
	c.once.Do(c.at)
	return c.Clock.Now()
}

// TestWarmUp: before the schedule starts, the warm pool's workers exist
// and, with the fast client, their connections are open at the server,
// while no request has been sent; the run then sends every slot.
func TestWarmUp(t *testing.T) {
	tests := []struct {
		name        string
		fast        bool
		rate        float64
		maxInFlight int
		wantWorkers int
		wantConns   int32 // server-side connections at schedule start
	}{
		{"fast, 500 rps: 20 ms of slots", true, 500, 64, 10, 10},
		{"fast, 1 rps: one", true, 1, 64, 1, 1},
		{"fast, capped by MAX_IN_FLIGHT", true, 20000, 4, 4, 4},
		{"std: workers only, net/http dials on first use", false, 500, 64, 10, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var conns, requests atomic.Int32
			srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				requests.Add(1)
				fmt.Fprint(w, "Hello World!")
			}))
			srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
				if s == http.StateNew { // counted on accept, before any request
					conns.Add(1)
				}
			}
			srv.Start()
			defer srv.Close()

			d := 20 * time.Millisecond
			if tt.rate < 100 {
				d = time.Second / time.Duration(tt.rate) // one slot
			}
			o := opts(t, srv.URL, tt.rate, d, nil)
			o.Fast, o.MaxInFlight = tt.fast, tt.maxInFlight
			r, err := New(o)
			if err != nil {
				t.Fatal(err)
			}
			var workers int
			var connsAtStart, requestsAtStart int32
			r.clock = &startClock{Clock: pacer.NewRealClock(), at: func() {
				workers = r.workers // this goroutine owns r.workers
				// The dials have returned; the server may not have run its
				// accept loop yet. Too few connections fails after 5 s.
				for deadline := time.Now().Add(5 * time.Second); conns.Load() < tt.wantConns && time.Now().Before(deadline); {
					time.Sleep(time.Millisecond)
				}
				connsAtStart, requestsAtStart = conns.Load(), requests.Load()
			}}
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			s := r.Run(ctx)

			if workers != tt.wantWorkers || connsAtStart != tt.wantConns || requestsAtStart != 0 {
				t.Errorf("at schedule start: %d workers, %d connections, %d requests; want %d, %d, 0",
					workers, connsAtStart, requestsAtStart, tt.wantWorkers, tt.wantConns)
			}
			want := uint64(math.Ceil(tt.rate * d.Seconds()))
			if s.Sent != want || s.OK != want || int32(s.OK) != requests.Load() {
				t.Errorf("sent %d, ok %d, server saw %d; want %d each", s.Sent, s.OK, requests.Load(), want)
			}
		})
	}
}
