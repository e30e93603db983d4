// Package accesslog logs one line per HTTP request, with Cloud Logging's
// httpRequest fields and, optionally, the request headers (secrets redacted).
//
// It runs on every request, so it avoids work it does not need: no header
// map copy, attributes built in place, nothing at all when the level is off.
package accesslog

import (
	"context"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/asm-ready/asm-ready/services/helloserver/internal/recorder"
)

// Redacted replaces the value of a header that carries credentials.
const Redacted = "[REDACTED]"

// Message is the message of every access log line.
const Message = "request"

// Options choose what is logged.
type Options struct {
	Headers bool // log request headers (credentials redacted)
	Probes  bool // log /healthz, /readyz and /metrics too
}

// isProbe reports requests made by machines every few seconds; logging them
// by default buries the traffic people care about. A switch, not a map: no
// hashing of the path on every request.
func isProbe(path string) bool {
	switch path {
	case "/healthz", "/readyz", "/metrics":
		return true
	}
	return false
}

// secretHeaders carry credentials: their values are never logged.
var secretHeaders = [...]string{"Authorization", "Cookie", "Proxy-Authorization"}

// Middleware returns the access-log middleware. Requests log at INFO, server
// errors at ERROR: with LOG_LEVEL=warn or error only 5xx lines remain. When
// even ERROR is off it adds nothing at all to the chain; the level is read
// once, here, since helloserver's is fixed at startup.
func Middleware(l *slog.Logger, o Options) func(http.Handler) http.Handler {
	if !l.Enabled(context.Background(), slog.LevelError) {
		return func(next http.Handler) http.Handler { return next }
	}
	return func(next http.Handler) http.Handler {
		return &handler{next: next, log: l, opts: o}
	}
}

type handler struct {
	next http.Handler
	log  *slog.Logger
	opts Options
}

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if !h.opts.Probes && isProbe(r.URL.Path) {
		h.next.ServeHTTP(w, r)
		return
	}
	rec := recorder.Wrap(w) // the metrics middleware inside reuses it
	h.next.ServeHTTP(rec, r)
	end := rec.Finish()
	h.write(r.Context(), r, rec.Status(), rec.Size(), end, end.Sub(rec.Start()))
}

func (h *handler) write(ctx context.Context, r *http.Request, status int, size int64, end time.Time, d time.Duration) {
	level := slog.LevelInfo
	if status >= 500 {
		level = slog.LevelError
	}
	if !h.log.Enabled(ctx, level) {
		return
	}
	remoteIP := r.RemoteAddr
	if host, _, err := net.SplitHostPort(r.RemoteAddr); err == nil {
		remoteIP = host
	}
	// One backing array for both groups: one allocation per line, not two.
	n := 0
	if h.opts.Headers {
		n = len(r.Header) + 1
	}
	attrs := make([]slog.Attr, 0, 8+n)
	// Field names and value formats are LogEntry.httpRequest's: latency is a
	// protobuf Duration ("0.001234s"), responseSize an int64 as a string.
	// requestUrl is the path without the query: queries often carry tokens.
	attrs = append(attrs,
		slog.String("requestMethod", r.Method),
		slog.String("requestUrl", r.URL.Path),
		slog.Int("status", status),
		slog.String("responseSize", strconv.FormatInt(size, 10)),
		slog.String("latency", Latency(d)),
		slog.String("remoteIp", remoteIP),
		slog.String("userAgent", r.UserAgent()),
		slog.String("protocol", r.Proto),
	)
	// A Record handed straight to the handler, rather than Logger.LogAttrs:
	// the line has no use for the caller's PC, which costs a stack walk.
	rec := slog.NewRecord(end, level, Message, 0)
	rec.AddAttrs(slog.Attr{Key: "httpRequest", Value: slog.GroupValue(attrs...)})
	if h.opts.Headers {
		rec.AddAttrs(slog.Attr{Key: "headers", Value: slog.GroupValue(appendHeaders(attrs[len(attrs):], r)...)})
	}
	_ = h.log.Handler().Handle(ctx, rec) // nowhere to report a failed log write
}

// HeaderValue renders the request's headers (and Host, which net/http keeps
// apart, as the tutorial's server printed it) as a log group, one attribute
// per header, credentials replaced by Redacted. It reads the map in place;
// multi-valued headers are joined with ", " as HTTP allows.
func HeaderValue(r *http.Request) slog.Value {
	return slog.GroupValue(appendHeaders(make([]slog.Attr, 0, len(r.Header)+1), r)...)
}

// appendHeaders appends HeaderValue's attributes to attrs.
func appendHeaders(attrs []slog.Attr, r *http.Request) []slog.Attr {
	h := r.Header
	if r.Host != "" {
		attrs = append(attrs, slog.String("Host", r.Host))
	}
	for k, v := range h {
		var s string
		switch {
		case isSecret(k):
			s = Redacted
		case len(v) == 1:
			s = v[0]
		default:
			s = strings.Join(v, ", ")
		}
		attrs = append(attrs, slog.String(k, s))
	}
	return attrs
}

// isSecret reports whether header k carries credentials. net/http
// canonicalises header names, but a handler or proxy may not have: compare
// case-insensitively, and only when the length can match (cheap path).
func isSecret(k string) bool {
	switch len(k) {
	case len("Cookie"), len("Authorization"), len("Proxy-Authorization"):
		for _, s := range secretHeaders {
			if strings.EqualFold(k, s) {
				return true
			}
		}
	}
	return false
}

// Latency formats d as the JSON form of a protobuf Duration, as Cloud
// Logging reads it: seconds with 0, 3, 6 or 9 fractional digits, as many as
// the value needs ("0s", "0.002s", "0.001234s", "0.000012345s"). Integer
// arithmetic: exact, and cheaper than formatting a float on every request.
func Latency(d time.Duration) string {
	var buf [32]byte
	b := buf[:0]
	if d < 0 {
		b = append(b, '-')
		d = -d // the one duration this cannot negate, math.MinInt64, is ~292 years
	}
	b = strconv.AppendInt(b, int64(d/time.Second), 10)
	if ns := int64(d % time.Second); ns != 0 {
		digits := 9
		switch {
		case ns%1e6 == 0:
			ns, digits = ns/1e6, 3
		case ns%1e3 == 0:
			ns, digits = ns/1e3, 6
		}
		b = append(b, '.')
		var fb [9]byte
		frac := strconv.AppendInt(fb[:0], ns, 10)
		for range digits - len(frac) {
			b = append(b, '0')
		}
		b = append(b, frac...)
	}
	return string(append(b, 's'))
}
