// Package check implements `loadgen check`: a one-shot probe used by the
// chart's `helm test` pod. It GETs a URL until it answers 200 with the
// expected body or the overall timeout passes.
package check

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"time"
)

// Options configure a check.
type Options struct {
	URL            *url.URL
	ExpectBody     string
	Timeout        time.Duration // overall
	AttemptTimeout time.Duration // per attempt; 0 = 5s
	MinBackoff     time.Duration // 0 = 100ms; doubles per failed attempt
	MaxBackoff     time.Duration // 0 = 2s
	UserAgent      string
}

// maxBody bounds what is read of a response; the expected body is tiny.
const maxBody = 64 << 10

// showBody bounds how much of a wrong body is quoted in the failure line.
const showBody = 200

// Result describes the last attempt.
type Result struct {
	Attempts int
	Status   int    // 0 when the request failed before a response
	Body     string // up to maxBody bytes
	Err      error  // transport error of the last attempt
	Elapsed  time.Duration
}

// Failure is returned when the check did not pass; its message is one line.
type Failure struct {
	URL, Expect string // URL with any password redacted
	Timeout     time.Duration
	Last        Result
}

func (f *Failure) Error() string {
	last := fmt.Sprintf("status %d, body %q", f.Last.Status, truncate(f.Last.Body))
	if f.Last.Err != nil {
		last = "error: " + f.Last.Err.Error()
	}
	return fmt.Sprintf("check failed: GET %s did not return 200 with body %q within %s (%d attempts); last: %s",
		f.URL, f.Expect, f.Timeout, f.Last.Attempts, last)
}

func truncate(s string) string {
	if len(s) > showBody {
		return s[:showBody] + "...(truncated)"
	}
	return s
}

// Matches reports whether body is the expected body. One trailing newline
// ("\n" or "\r\n") is tolerated, because servers and `echo` add one; nothing
// else is (no other whitespace, no case folding).
func Matches(body, expect string) bool {
	switch body {
	case expect, expect + "\n", expect + "\r\n":
		return true
	}
	return false
}

// Run performs the check. It returns the last attempt's result and nil on
// success, or a *Failure.
func Run(ctx context.Context, o Options) (Result, error) {
	if o.AttemptTimeout <= 0 {
		o.AttemptTimeout = 5 * time.Second
	}
	if o.MinBackoff <= 0 {
		o.MinBackoff = 100 * time.Millisecond
	}
	if o.MaxBackoff <= 0 {
		o.MaxBackoff = 2 * time.Second
	}
	start := time.Now()
	ctx, cancel := context.WithTimeout(ctx, o.Timeout)
	defer cancel()

	backoff := o.MinBackoff
	var res Result
	for {
		prev := res
		res.Attempts++
		res.Status, res.Body, res.Err = attempt(ctx, o)
		res.Elapsed = time.Since(start)
		if res.Err == nil && res.Status == http.StatusOK && Matches(res.Body, o.ExpectBody) {
			return res, nil
		}
		if res.Err != nil && ctx.Err() != nil && prev.Attempts > 0 {
			// Cut off by the overall deadline: the previous attempt says
			// more about what is wrong than "context deadline exceeded".
			prev.Elapsed = res.Elapsed
			return prev, &Failure{URL: o.URL.Redacted(), Expect: o.ExpectBody, Timeout: o.Timeout, Last: prev}
		}
		t := time.NewTimer(backoff)
		select {
		case <-ctx.Done():
			t.Stop()
			return res, &Failure{URL: o.URL.Redacted(), Expect: o.ExpectBody, Timeout: o.Timeout, Last: res}
		case <-t.C:
		}
		backoff = min(backoff*2, o.MaxBackoff)
	}
}

// client does not follow redirects: a 3xx is an answer, and not the expected one.
var client = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

func attempt(ctx context.Context, o Options) (int, string, error) {
	ctx, cancel := context.WithTimeout(ctx, o.AttemptTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, o.URL.String(), nil)
	if err != nil {
		return 0, "", err
	}
	if o.UserAgent != "" {
		req.Header.Set("User-Agent", o.UserAgent)
	}
	resp, err := client.Do(req)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	if err != nil && !errors.Is(err, io.EOF) {
		return resp.StatusCode, string(b), err
	}
	return resp.StatusCode, string(b), nil
}
