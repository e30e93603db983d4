// Package check implements `loadgen check`, the probe of the chart's
// `helm test` pod: GET a URL until it answers 200 with the expected body,
// or give up after a timeout.
package check

import (
	"cmp"
	"context"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/asm-ready/asm-ready/services/loadgen/config"
)

// Options configure a check: what `loadgen check` is configured with.
type Options struct {
	config.CheckConfig
	AttemptTimeout time.Duration // per attempt; 0: 5s
	// The wait between attempts starts at Backoff and doubles up to
	// MaxBackoff, so a server that is still starting is asked often and one
	// that is down is not hammered; 0: 100ms and 2s.
	Backoff, MaxBackoff time.Duration
	UserAgent           string
}

// showBody bounds how much of a wrong body the failure line quotes.
const showBody = 200

// Matches reports whether body is the expected body. One trailing newline
// ("\n" or "\r\n") is tolerated, because servers and `echo` add one;
// nothing else is.
func Matches(body, expect string) bool {
	return body == expect || body == expect+"\n" || body == expect+"\r\n"
}

// Run checks until it passes, returning the number of attempts, or until
// CheckTimeout, returning a one-line error that describes the last attempt.
func Run(ctx context.Context, o Options) (int, error) {
	o.AttemptTimeout = cmp.Or(o.AttemptTimeout, 5*time.Second)
	backoff, maxBackoff := cmp.Or(o.Backoff, 100*time.Millisecond), cmp.Or(o.MaxBackoff, 2*time.Second)
	ctx, cancel := context.WithTimeout(ctx, o.CheckTimeout)
	defer cancel()
	var last string
	for n := 1; ; n++ {
		status, body, err := attempt(ctx, o)
		switch {
		case err == nil && status == http.StatusOK && Matches(body, o.ExpectBody):
			return n, nil
		case err == nil:
			if len(body) > showBody {
				body = body[:showBody] + "...(truncated)"
			}
			last = fmt.Sprintf("status %d, body %q", status, body)
		case ctx.Err() == nil || last == "":
			// An attempt cut off by the overall deadline says less about
			// what is wrong than the one before it.
			last = "error: " + err.Error()
		}
		select {
		case <-ctx.Done():
			return n, fmt.Errorf("check failed: GET %s did not return 200 with body %q within %s (%d attempts); last: %s",
				o.URL.Redacted(), o.ExpectBody, o.CheckTimeout, n, last)
		case <-time.After(backoff):
		}
		backoff = min(backoff*2, maxBackoff)
	}
}

// client does not follow redirects: a 3xx is an answer, not the expected one.
var client = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

func attempt(ctx context.Context, o Options) (int, string, error) {
	ctx, cancel := context.WithTimeout(ctx, o.AttemptTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, o.URL.String(), nil)
	if err != nil {
		return 0, "", err
	}
	req.Header.Set("User-Agent", o.UserAgent)
	resp, err := client.Do(req)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 64<<10)) // the expected body is small
	return resp.StatusCode, string(b), err
}
