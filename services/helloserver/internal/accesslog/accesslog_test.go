package accesslog

import (
	"bytes"
	"cmp"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/asm-ready/asm-ready/services/helloserver/internal/logging"
)

const secretValue = "s3cr3t-t0ken-value"

// serve passes req through the middleware to a handler that answers status
// with a 12-byte body, and returns what was logged.
func serve(t *testing.T, level slog.Level, o Options, status int, req *http.Request) string {
	t.Helper()
	var buf bytes.Buffer
	h := Middleware(logging.New(&buf, cmp.Or(o.Format, logging.FormatJSON), level), o)(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(status)
		_, _ = io.WriteString(w, "Hello World!")
	}))
	h.ServeHTTP(httptest.NewRecorder(), req)
	return buf.String()
}

// lines decodes every JSON line logged.
func lines(t *testing.T, out string) []map[string]any {
	t.Helper()
	var ls []map[string]any
	for s := range strings.Lines(out) {
		var m map[string]any
		if err := json.Unmarshal([]byte(s), &m); err != nil {
			t.Fatalf("not JSON: %q: %v", s, err)
		}
		ls = append(ls, m)
	}
	return ls
}

func TestJSONLine(t *testing.T) {
	req := httptest.NewRequest(http.MethodGet, "/?token=abc", nil)
	req.RemoteAddr = "10.1.2.3:4567"
	req.Header.Set("User-Agent", "test-agent/1")
	req.Header.Add("Accept", "text/plain")
	req.Header.Add("Accept", "*/*")
	out := serve(t, slog.LevelInfo, Options{Headers: true}, http.StatusOK, req)

	ls := lines(t, out)
	if len(ls) != 1 {
		t.Fatalf("got %d lines, want 1: %s", len(ls), out)
	}
	l := ls[0]
	if l["severity"] != "INFO" || l["message"] != Message {
		t.Errorf("severity/message = %v/%v", l["severity"], l["message"])
	}
	hr, _ := l["httpRequest"].(map[string]any)
	want := map[string]any{
		"requestMethod": "GET", "requestUrl": "/", "status": float64(200), "responseSize": "12",
		"remoteIp": "10.1.2.3", "userAgent": "test-agent/1", "protocol": "HTTP/1.1",
	}
	for k, v := range want {
		if hr[k] != v {
			t.Errorf("httpRequest.%s = %#v, want %#v", k, hr[k], v)
		}
	}
	if lat, _ := hr["latency"].(string); !strings.HasSuffix(lat, "s") || strings.HasPrefix(lat, "-") {
		t.Errorf("httpRequest.latency = %q, want seconds like 0.000123s", lat)
	}
	if strings.Contains(out, "token=abc") {
		t.Errorf("query string was logged: %s", out)
	}
	hd, _ := l["headers"].(map[string]any)
	if hd["User-Agent"] != "test-agent/1" || hd["Accept"] != "text/plain, */*" || hd["Host"] != "example.com" || len(hd) != 3 {
		t.Errorf("headers = %v", hd)
	}
	// Sorted by name, as a reader scans them.
	if i, j, k := strings.Index(out, `"Accept"`), strings.Index(out, `"Host"`), strings.Index(out, `"User-Agent"`); i > j || j > k {
		t.Errorf("headers not in name order: %s", out)
	}
}

// TestTextLine: one short line, the fields a person scans for, no JSON
// names; headers follow only when asked for.
func TestTextLine(t *testing.T) {
	req := httptest.NewRequest(http.MethodGet, "/x?token=abc", nil)
	req.RemoteAddr = "10.1.2.3:4567"
	req.Header.Set("User-Agent", "curl/8.5.0")
	out := serve(t, slog.LevelInfo, Options{Format: logging.FormatText}, http.StatusNotFound, req)
	_, rest, _ := strings.Cut(out, " level=INFO ")
	rest, latency, _ := strings.Cut(rest, " latency=")
	latency, tail, _ := strings.Cut(latency, " ")
	if rest != "msg=request method=GET path=/x status=404" || tail != "remote=10.1.2.3\n" {
		t.Errorf("text line = %q", out)
	}
	if _, err := time.ParseDuration(latency); err != nil {
		t.Errorf("latency %q is not a Go duration: %v", latency, err)
	}

	out = serve(t, slog.LevelInfo, Options{Format: logging.FormatText, Headers: true}, http.StatusOK, req)
	if !strings.HasSuffix(out, " remote=10.1.2.3 headers.Host=example.com headers.User-Agent=curl/8.5.0\n") {
		t.Errorf("text line with headers = %q", out)
	}
}

func TestRedaction(t *testing.T) {
	for _, name := range []string{"Authorization", "Cookie", "Proxy-Authorization", "authorization", "COOKIE", "proxy-authorization"} {
		for _, format := range []string{logging.FormatJSON, logging.FormatText} {
			t.Run(name+"/"+format, func(t *testing.T) {
				req := httptest.NewRequest(http.MethodGet, "/", nil)
				req.Header[name] = []string{"Bearer " + secretValue} // as given: a proxy may not canonicalise
				req.Header.Set("X-Other", "visible")
				out := serve(t, slog.LevelInfo, Options{Format: format, Headers: true}, http.StatusOK, req)
				if strings.Contains(out, secretValue) {
					t.Fatalf("secret logged: %s", out)
				}
				if !strings.Contains(out, Redacted) || !strings.Contains(out, "visible") {
					t.Errorf("want %s redacted and X-Other shown: %s", name, out)
				}
			})
		}
	}
}

func TestHeadersCapped(t *testing.T) {
	req := httptest.NewRequest(http.MethodGet, "/", nil)
	for i := range 1000 {
		req.Header.Set("X-H"+strconv.Itoa(1000+i), "v")
	}
	req.Header.Set("X-Long", strings.Repeat("é", MaxHeaderValue))
	for _, format := range []string{logging.FormatJSON, logging.FormatText} {
		out := serve(t, slog.LevelInfo, Options{Format: format, Headers: true}, http.StatusOK, req)
		// Host sorts first, then the X-H* in order.
		if n := strings.Count(out, "X-H"); n != MaxHeaders-1 || !strings.Contains(out, "Host") {
			t.Errorf("%s: Host and %d X-H headers logged, want %d", format, n, MaxHeaders-1)
		}
		if !strings.Contains(out, "X-H1030") || strings.Contains(out, "X-H1031") {
			t.Errorf("%s: not the first %d names in order: %s", format, MaxHeaders, out)
		}
		// 1000 X-H*, X-Long and Host, less the 32 logged.
		if !strings.Contains(out, "headersOmitted"+map[string]string{"json": `":970`, "text": "=970"}[format]) {
			t.Errorf("%s: no headersOmitted=970: %s", format, out)
		}
	}

	// "a" then two-byte runes: byte MaxHeaderValue is the middle of one, so
	// the cut backs off to the rune before it.
	req = httptest.NewRequest(http.MethodGet, "/", nil)
	req.Header.Set("X-Long", "a"+strings.Repeat("é", MaxHeaderValue))
	attrs, omitted := Headers(req)
	want := "a" + strings.Repeat("é", MaxHeaderValue/2-1) + "..."
	if omitted != 0 || len(attrs) != 2 || attrs[1].Value.String() != want {
		t.Errorf("Headers = %v, %d; want Host and X-Long cut to %d bytes", attrs, omitted, len(want))
	}
	out := serve(t, slog.LevelInfo, Options{Headers: true}, http.StatusOK, req)
	if strings.Contains(out, "headersOmitted") {
		t.Errorf("headersOmitted logged with nothing left out: %s", out)
	}
}

// FuzzHeaders: whatever the headers, the rendering is sorted, capped, cut,
// counts what it left out, and never shows a credential.
func FuzzHeaders(f *testing.F) {
	f.Add("Authorization", "Bearer x", "X-A", "a", uint16(3))
	f.Add("cOOKIE", "s=1", "Host", strings.Repeat("h", 300), uint16(40))
	f.Add("", "", "\xff", "\x00é", uint16(0))
	f.Fuzz(func(t *testing.T, name1, value1, name2, value2 string, extra uint16) {
		req := httptest.NewRequest(http.MethodGet, "/", nil)
		req.Header[name1] = []string{value1, value1}
		req.Header[name2] = []string{value2}
		for i := range int(extra % 100) {
			req.Header.Set("X-E"+strconv.Itoa(i), value2)
		}
		total := len(req.Header)
		if _, ok := req.Header["Host"]; !ok {
			total++
		}
		attrs, omitted := Headers(req)
		if len(attrs) > MaxHeaders || len(attrs)+omitted != total {
			t.Fatalf("%d logged + %d omitted, want at most %d logged of %d", len(attrs), omitted, MaxHeaders, total)
		}
		names := make([]string, len(attrs))
		for i, a := range attrs {
			names[i] = a.Key
			v := a.Value.String()
			if len(v) > MaxHeaderValue+len("...") {
				t.Fatalf("%s: value of %d bytes", a.Key, len(v))
			}
			if isSecret(a.Key) && v != Redacted {
				t.Fatalf("%s logged as %q", a.Key, v)
			}
		}
		if !slices.IsSorted(names) {
			t.Fatalf("names not sorted: %q", names)
		}
	})
}

func TestWhatIsLogged(t *testing.T) {
	tests := []struct {
		name     string
		path     string
		opts     Options
		level    slog.Level
		status   int
		wantLine bool
		wantSev  string
	}{
		{"hello", "/", Options{}, slog.LevelInfo, 200, true, "INFO"},
		{"not found", "/nope", Options{}, slog.LevelInfo, 404, true, "INFO"},
		{"server error", "/", Options{}, slog.LevelInfo, 503, true, "ERROR"},
		{"healthz hidden", "/healthz", Options{}, slog.LevelInfo, 200, false, ""},
		{"readyz hidden", "/readyz", Options{}, slog.LevelInfo, 200, false, ""},
		{"metrics hidden", "/metrics", Options{}, slog.LevelInfo, 200, false, ""},
		{"healthz with probes", "/healthz", Options{Probes: true}, slog.LevelInfo, 200, true, "INFO"},
		{"metrics with probes", "/metrics", Options{Probes: true}, slog.LevelInfo, 200, true, "INFO"},
		{"level warn hides requests", "/", Options{}, slog.LevelWarn, 200, false, ""},
		{"level warn keeps server errors", "/", Options{}, slog.LevelWarn, 500, true, "ERROR"},
		{"level error hides 404", "/x", Options{}, slog.LevelError, 404, false, ""},
		{"debug level shows requests", "/", Options{}, slog.LevelDebug, 200, true, "INFO"},
		{"headers off", "/", Options{Headers: false}, slog.LevelInfo, 200, true, "INFO"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := serve(t, tt.level, tt.opts, tt.status, httptest.NewRequest(http.MethodGet, tt.path, nil))
			ls := lines(t, out)
			if !tt.wantLine {
				if len(ls) != 0 {
					t.Errorf("logged %s, want nothing", out)
				}
				return
			}
			if len(ls) != 1 {
				t.Fatalf("got %d lines, want 1: %s", len(ls), out)
			}
			hr, _ := ls[0]["httpRequest"].(map[string]any)
			if ls[0]["severity"] != tt.wantSev || hr["status"] != float64(tt.status) || hr["requestUrl"] != tt.path {
				t.Errorf("line = %v", ls[0])
			}
			if _, ok := ls[0]["headers"]; ok != tt.opts.Headers {
				t.Errorf("headers logged = %v with Headers %v: %s", ok, tt.opts.Headers, out)
			}
		})
	}
}

func TestStatusAndSize(t *testing.T) {
	tests := []struct {
		name       string
		h          http.HandlerFunc
		wantStatus float64
		wantSize   string
	}{
		{"no write", func(http.ResponseWriter, *http.Request) {}, 200, "0"},
		{"implicit 200", func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, "abc") }, 200, "3"},
		{"interim then 204", func(w http.ResponseWriter, _ *http.Request) {
			w.WriteHeader(http.StatusEarlyHints)
			w.WriteHeader(http.StatusNoContent)
		}, 204, "0"},
		{"two writes", func(w http.ResponseWriter, _ *http.Request) {
			w.WriteHeader(http.StatusTeapot)
			_, _ = io.WriteString(w, "ab")
			_, _ = io.WriteString(w, "cde")
		}, 418, "5"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			Middleware(logging.New(&buf, logging.FormatJSON, slog.LevelInfo), Options{})(tt.h).
				ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/", nil))
			ls := lines(t, buf.String())
			if len(ls) != 1 {
				t.Fatalf("got %d lines", len(ls))
			}
			hr, _ := ls[0]["httpRequest"].(map[string]any)
			if hr["status"] != tt.wantStatus || hr["responseSize"] != tt.wantSize {
				t.Errorf("status, size = %v, %v; want %v, %v", hr["status"], hr["responseSize"], tt.wantStatus, tt.wantSize)
			}
		})
	}
}

func TestResponseControllerReachesWriter(t *testing.T) {
	// The wrapped writer must expose the real one, or Flush through the middleware fails.
	var flushErr error
	h := Middleware(slog.New(slog.DiscardHandler), Options{})(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		flushErr = http.NewResponseController(w).Flush()
	}))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/", nil))
	if flushErr != nil || !rec.Flushed {
		t.Errorf("Flush through middleware: err %v, flushed %v", flushErr, rec.Flushed)
	}
}

func TestLatency(t *testing.T) {
	tests := []struct {
		d    time.Duration
		want string
	}{
		{1234 * time.Microsecond, "0.001234s"},
		{0, "0s"},
		{1500 * time.Millisecond, "1.5s"},
		{2 * time.Millisecond, "0.002s"},
		{time.Nanosecond, "0.000000001s"},
		{12345 * time.Nanosecond, "0.000012345s"},
		{90*time.Second + 50*time.Microsecond, "90.00005s"},
		{3 * time.Second, "3s"},
	}
	for _, tt := range tests {
		if got := Latency(tt.d); got != tt.want {
			t.Errorf("Latency(%v) = %q, want %q", tt.d, got, tt.want)
		}
	}
}
