package check

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/asm-ready/asm-ready/services/loadgen/config"
)

func mustURL(t *testing.T, s string) *url.URL {
	t.Helper()
	u, err := url.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func testOpts(t *testing.T, u string) Options {
	return Options{CheckConfig: config.CheckConfig{URL: mustURL(t, u), ExpectBody: "Hello World!", CheckTimeout: 10 * time.Second},
		AttemptTimeout: 500 * time.Millisecond}
}

func TestSuccess(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, "Hello World!")
	}))
	defer srv.Close()
	n, err := Run(context.Background(), testOpts(t, srv.URL))
	if err != nil || n != 1 {
		t.Fatalf("Run = %d, %v", n, err)
	}
}

func TestWrongBody(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, "Hello Moon!"+strings.Repeat("x", 500))
	}))
	defer srv.Close()
	o := testOpts(t, srv.URL)
	o.CheckTimeout = time.Second
	n, err := Run(context.Background(), o)
	if err == nil {
		t.Fatal("a wrong body passed")
	}
	msg := err.Error()
	for _, want := range []string{"check failed: GET " + srv.URL, `"Hello World!"`, "status 200", `body "Hello Moonxxx`, "...(truncated)", "within 1s"} {
		if !strings.Contains(strings.ReplaceAll(msg, "Moon!", "Moon"), want) {
			t.Errorf("message %q lacks %q", msg, want)
		}
	}
	if strings.Contains(msg, strings.Repeat("x", 201)) || strings.Contains(msg, "\n") {
		t.Errorf("body not truncated to one short line: %q", msg)
	}
	if n < 2 || !strings.Contains(msg, fmt.Sprintf("(%d attempts)", n)) {
		t.Errorf("attempts %d: should retry until the timeout (%s)", n, msg)
	}
}

func TestErrorThenSuccess(t *testing.T) {
	var n atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if n.Add(1) <= 2 {
			http.Error(w, "warming up", http.StatusInternalServerError)
			return
		}
		fmt.Fprint(w, "Hello World!\n") // one trailing newline is tolerated
	}))
	defer srv.Close()
	attempts, err := Run(context.Background(), testOpts(t, srv.URL))
	if err != nil || attempts != 3 {
		t.Fatalf("Run = %d, %v; want success on attempt 3", attempts, err)
	}
}

// TestAttemptTimeout: a server that hangs; each attempt is cut by its own
// timeout and the check fails at the overall timeout with a transport error.
func TestAttemptTimeout(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-release:
		}
	}))
	defer srv.Close()
	defer close(release)
	o := testOpts(t, srv.URL)
	o.AttemptTimeout = 50 * time.Millisecond
	o.CheckTimeout = time.Second
	n, err := Run(context.Background(), o)
	if err == nil || !strings.Contains(err.Error(), "last: error: ") {
		t.Fatalf("want a timeout failure, got %v", err)
	}
	if n < 2 {
		t.Errorf("attempts %d: per-attempt timeout did not allow a retry", n)
	}
}

// TestBackoff: the waits between attempts double from Backoff and stop
// growing at MaxBackoff, and every attempt carries the User-Agent.
func TestBackoff(t *testing.T) {
	var (
		mu     sync.Mutex
		at     []time.Time
		agents []string
	)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		at, agents = append(at, time.Now()), append(agents, r.UserAgent())
		n := len(at)
		mu.Unlock()
		if n < 7 {
			http.Error(w, "not yet", http.StatusServiceUnavailable)
			return
		}
		fmt.Fprint(w, "Hello World!")
	}))
	defer srv.Close()
	o := testOpts(t, srv.URL)
	o.Backoff, o.MaxBackoff, o.UserAgent = 25*time.Millisecond, 100*time.Millisecond, "asm-ready-loadgen/test"
	if n, err := Run(context.Background(), o); err != nil || n != 7 {
		t.Fatalf("Run = %d, %v; want success on attempt 7", n, err)
	}
	mu.Lock()
	defer mu.Unlock()
	// Waits of 25, 50, 100, 100, 100, 100 ms; uncapped, the last three
	// would be 200, 400 and 800 ms.
	want := []time.Duration{25, 50, 100, 100, 100, 100}
	capped := time.Hour
	for i, w := range want {
		gap := at[i+1].Sub(at[i])
		if gap < w*time.Millisecond {
			t.Errorf("wait %d: %s, want at least %dms", i+1, gap, w)
		}
		if i >= 3 {
			capped = min(capped, gap)
		}
	}
	if capped >= 200*time.Millisecond {
		t.Errorf("the waits after the third never came back under 200ms (shortest %s): MaxBackoff does not cap them", capped)
	}
	for i, a := range agents {
		if a != o.UserAgent {
			t.Errorf("attempt %d: User-Agent %q, want %q", i+1, a, o.UserAgent)
		}
	}
}

func TestConnectionRefused(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	u := srv.URL
	srv.Close()
	o := testOpts(t, u)
	o.CheckTimeout = 100 * time.Millisecond
	if _, err := Run(context.Background(), o); err == nil || !strings.Contains(err.Error(), "refused") {
		t.Fatalf("want connection refused, got %v", err)
	}
}

func TestPasswordRedacted(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	defer srv.Close()
	o := testOpts(t, strings.Replace(srv.URL, "http://", "http://user:s3cret@", 1))
	o.CheckTimeout = 50 * time.Millisecond
	_, err := Run(context.Background(), o)
	if err == nil || strings.Contains(err.Error(), "s3cret") || !strings.Contains(err.Error(), "status 404") {
		t.Fatalf("failure line %v", err)
	}
}

func TestMatches(t *testing.T) {
	for _, tt := range []struct {
		body string
		want bool
	}{
		{"Hello World!", true}, {"Hello World!\n", true}, {"Hello World!\r\n", true},
		{"Hello World!\n\n", false}, {" Hello World!", false}, {"hello world!", false}, {"", false}, {"Hello World", false},
	} {
		if got := Matches(tt.body, "Hello World!"); got != tt.want {
			t.Errorf("Matches(%q) = %v", tt.body, got)
		}
	}
}
