// Package accesslog logs one line per HTTP request: Cloud Logging's
// httpRequest fields in JSON, a short method/path/status/latency/remote line
// in text, and optionally the request headers (sorted, capped, secrets
// redacted).
package accesslog

import (
	"cmp"
	"log/slog"
	"maps"
	"net"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/go-chi/chi/v5/middleware"

	"github.com/asm-ready/asm-ready/services/helloserver/internal/logging"
)

// Message is the message of every access log line.
const Message = "request"

// Redacted replaces the value of a header that carries credentials.
const Redacted = "[REDACTED]"

// A request may carry up to MAX_HEADER_BYTES of headers; a log line keeps
// the first MaxHeaders (by name) and the first MaxHeaderValue bytes of each
// value, and says how many headers it left out (headersOmitted).
const (
	MaxHeaders     = 32
	MaxHeaderValue = 256
)

// Options choose what is logged.
type Options struct {
	Format  string // logging.FormatJSON or logging.FormatText
	Headers bool   // log request headers
	Probes  bool   // log /healthz, /readyz and /metrics too
}

// Middleware logs each request once the handler returns: at INFO, or at
// ERROR for a 5xx, so LOG_LEVEL=warn keeps only server errors.
func Middleware(l *slog.Logger, o Options) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if !o.Probes && isProbe(r.URL.Path) {
				next.ServeHTTP(w, r)
				return
			}
			start := time.Now()
			ww := middleware.NewWrapResponseWriter(w, r.ProtoMajor)
			next.ServeHTTP(ww, r)
			latency := time.Since(start)

			status := cmp.Or(ww.Status(), http.StatusOK) // net/http sends 200 when the handler wrote nothing
			level := slog.LevelInfo
			if status >= 500 {
				level = slog.LevelError
			}
			if !l.Enabled(r.Context(), level) {
				return
			}
			remote := r.RemoteAddr
			if host, _, err := net.SplitHostPort(remote); err == nil {
				remote = host
			}
			var attrs []slog.Attr
			if o.Format == logging.FormatText {
				attrs = []slog.Attr{
					slog.String("method", r.Method), slog.String("path", r.URL.Path), slog.Int("status", status),
					slog.Duration("latency", latency), slog.String("remote", remote),
				}
			} else {
				// LogEntry.httpRequest's names and formats. requestUrl is the
				// path alone: query strings often carry tokens.
				attrs = []slog.Attr{slog.Group("httpRequest",
					slog.String("requestMethod", r.Method),
					slog.String("requestUrl", r.URL.Path),
					slog.Int("status", status),
					slog.String("responseSize", strconv.Itoa(ww.BytesWritten())),
					slog.String("latency", Latency(latency)),
					slog.String("remoteIp", remote),
					slog.String("userAgent", r.UserAgent()),
					slog.String("protocol", r.Proto),
				)}
			}
			if o.Headers {
				headers, omitted := Headers(r)
				attrs = append(attrs, slog.Attr{Key: "headers", Value: slog.GroupValue(headers...)})
				if omitted > 0 {
					attrs = append(attrs, slog.Int("headersOmitted", omitted))
				}
			}
			l.LogAttrs(r.Context(), level, Message, attrs...)
		})
	}
}

// isProbe reports requests that machines make every few seconds; logging
// them by default buries the traffic people care about.
func isProbe(path string) bool {
	return path == "/healthz" || path == "/readyz" || path == "/metrics"
}

// Headers returns the request's headers and Host (which net/http keeps
// apart, and the tutorial's server printed) sorted by name, at most
// MaxHeaders of them, and how many it left out. Values of a multi-valued
// header are joined with ", " as HTTP allows and cut to MaxHeaderValue bytes;
// credentials are replaced by Redacted.
func Headers(r *http.Request) (attrs []slog.Attr, omitted int) {
	h := http.Header{}
	maps.Copy(h, r.Header) // a shallow copy: values are only read
	if r.Host != "" {
		h.Set("Host", r.Host)
	}
	names := slices.Sorted(maps.Keys(h))
	if len(names) > MaxHeaders {
		names, omitted = names[:MaxHeaders], len(names)-MaxHeaders
	}
	attrs = make([]slog.Attr, len(names))
	for i, name := range names {
		v := strings.Join(h[name], ", ")
		if isSecret(name) {
			v = Redacted
		}
		attrs[i] = slog.String(name, truncate(v))
	}
	return attrs, omitted
}

// isSecret reports whether header name carries credentials. net/http
// canonicalises names it parses, but a proxy or a handler may not have.
func isSecret(name string) bool {
	return strings.EqualFold(name, "Authorization") || strings.EqualFold(name, "Cookie") ||
		strings.EqualFold(name, "Proxy-Authorization")
}

// truncate cuts s to MaxHeaderValue bytes on a character boundary and marks
// the cut with "...".
func truncate(s string) string {
	if len(s) <= MaxHeaderValue {
		return s
	}
	n := MaxHeaderValue
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "..."
}

// Latency formats d as the JSON form of a protobuf Duration, which Cloud
// Logging reads: seconds with a fraction and an "s" ("0.001234s").
func Latency(d time.Duration) string {
	return strconv.FormatFloat(d.Seconds(), 'f', -1, 64) + "s"
}
