package logging

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"strings"
	"testing"
	"testing/slogtest"
	"time"
)

// referenceHandler is what JSONHandler replaces: slog's own JSON handler with
// a ReplaceAttr giving the built-in keys Cloud Logging's names.
func referenceHandler(w io.Writer) slog.Handler {
	return slog.NewJSONHandler(w, &slog.HandlerOptions{Level: slog.LevelDebug, ReplaceAttr: func(groups []string, a slog.Attr) slog.Attr {
		if len(groups) > 0 {
			return a
		}
		switch a.Key {
		case slog.LevelKey:
			if l, ok := a.Value.Any().(slog.Level); ok {
				return slog.String("severity", Severity(l))
			}
		case slog.MessageKey:
			a.Key = "message"
		}
		return a
	}})
}

// TestJSONHandlerConformance runs the standard library's handler test suite
// (groups, WithAttrs, empty attributes, LogValuer resolution ...).
func TestJSONHandlerConformance(t *testing.T) {
	var buf bytes.Buffer
	newHandler := func(*testing.T) slog.Handler {
		buf.Reset()
		return NewJSONHandler(&buf, slog.LevelDebug)
	}
	result := func(t *testing.T) map[string]any {
		var m map[string]any
		if err := json.Unmarshal(buf.Bytes(), &m); err != nil {
			t.Fatalf("not one JSON object: %q: %v", buf.String(), err)
		}
		// slogtest looks for slog's key names.
		for ours, slogs := range map[string]string{"severity": slog.LevelKey, "message": slog.MessageKey} {
			if v, ok := m[ours]; ok {
				m[slogs] = v
				delete(m, ours)
			}
		}
		return m
	}
	slogtest.Run(t, newHandler, result)
}

type logValuer struct{ v slog.Value }

func (l logValuer) LogValue() slog.Value { return l.v }

type marshalErr struct{}

func (marshalErr) Error() string                { return "as error" }
func (marshalErr) MarshalJSON() ([]byte, error) { return []byte(`{"as":"json"}`), nil }

// TestJSONHandlerMatchesSlog compares the bytes of both handlers on records
// shaped like every kind of attribute and handler chain.
func TestJSONHandlerMatchesSlog(t *testing.T) {
	when := time.Date(2026, 11, 27, 20, 1, 2, 345678901, time.FixedZone("X", 3600))
	tests := []struct {
		name  string
		chain func(slog.Handler) slog.Handler
		level slog.Level
		msg   string
		attrs []slog.Attr
		time  time.Time
	}{
		{name: "message only", level: slog.LevelInfo, msg: "Starting server..."},
		{name: "zero time is left out", level: slog.LevelInfo, msg: "m", time: time.Time{}},
		{name: "levels round down", level: slog.LevelWarn + 2, msg: "w"},
		{name: "debug", level: slog.LevelDebug - 4, msg: "d"},
		{name: "every kind", level: slog.LevelError, msg: "kinds", attrs: []slog.Attr{
			slog.String("s", "v"), slog.Int("i", -42), slog.Uint64("u", math.MaxUint64), slog.Bool("b", true),
			slog.Float64("f", 1e21), slog.Float64("f2", 0.000001), slog.Float64("f3", 3.5),
			slog.Duration("d", 1500*time.Millisecond), slog.Time("t", when),
			slog.Any("err", errors.New("boom")), slog.Any("jm", marshalErr{}), slog.Any("map", map[string]int{"b": 2, "a": 1}),
			slog.Any("nil", nil), slog.Any("lv", logValuer{slog.StringValue("resolved")}),
			slog.Any("html", "<a&b>"), slog.Any("lvl", slog.LevelWarn),
		}},
		{name: "unsupported values", level: slog.LevelInfo, msg: "m", attrs: []slog.Attr{
			slog.Float64("nan", math.NaN()), slog.Any("ch", make(chan int)),
		}},
		{name: "escaping", level: slog.LevelInfo, msg: "q\"\\\n\r\t\x01\x7f<>&\u2028\u2029\xff é 世", attrs: []slog.Attr{
			slog.String("k\"ey\x00", "\xc3\x28 mixed \U0001F600"),
		}},
		{name: "empty attrs and groups are elided", level: slog.LevelInfo, msg: "m", attrs: []slog.Attr{
			{}, slog.Group("empty"), slog.String("", "empty key kept"), slog.Group("", slog.Int("inlined", 1)),
			slog.Group("g", slog.Int("a", 1), slog.Group("h", slog.Bool("b", false))),
		}},
		{name: "WithAttrs", chain: func(h slog.Handler) slog.Handler {
			return h.WithAttrs([]slog.Attr{slog.String("pod", "p-1")}).WithAttrs([]slog.Attr{slog.Int("n", 2)})
		}, level: slog.LevelInfo, msg: "m", attrs: []slog.Attr{slog.String("k", "v")}},
		{name: "WithGroup then attrs", chain: func(h slog.Handler) slog.Handler {
			return h.WithGroup("g").WithAttrs([]slog.Attr{slog.Int("a", 1)}).WithGroup("h")
		}, level: slog.LevelInfo, msg: "m", attrs: []slog.Attr{slog.Int("b", 2)}},
		{name: "WithGroup and a record without attrs", chain: func(h slog.Handler) slog.Handler {
			return h.WithGroup("g").WithAttrs([]slog.Attr{slog.Int("a", 1)}).WithGroup("h")
		}, level: slog.LevelInfo, msg: "m"},
		{name: "open group, only empty record attrs", chain: func(h slog.Handler) slog.Handler {
			return h.WithGroup("g")
		}, level: slog.LevelInfo, msg: "m", attrs: []slog.Attr{{}}},
		{name: "WithAttrs of empty groups only", chain: func(h slog.Handler) slog.Handler {
			return h.WithGroup("g").WithAttrs([]slog.Attr{slog.Group("e")})
		}, level: slog.LevelInfo, msg: "m", attrs: []slog.Attr{slog.Int("x", 1)}},
		{name: "access log shape", level: slog.LevelInfo, msg: "request", attrs: accessAttrs()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tm := tt.time
			if tt.name != "zero time is left out" {
				tm = when
			}
			want, got := renderBoth(t, tt.chain, tm, tt.level, tt.msg, tt.attrs)
			if got != want {
				t.Errorf("JSONHandler wrote\n%s\nslog.JSONHandler wrote\n%s", got, want)
			}
		})
	}
}

// TestJSONHandlerStaysValidWhereSlogDoesNot: a group holding only empty
// attributes makes slog drop the comma before the next member; ours does not.
func TestJSONHandlerStaysValidWhereSlogDoesNot(t *testing.T) {
	attrs := []slog.Attr{slog.Int("a", 1), slog.Group("g", slog.Attr{}), slog.Int("b", 2)}
	want, got := renderBoth(t, nil, time.Time{}, slog.LevelInfo, "m", attrs)
	if json.Valid([]byte(want)) {
		t.Fatalf("slog now writes valid JSON here (%s): fold this case into TestJSONHandlerMatchesSlog", want)
	}
	if got != `{"severity":"INFO","message":"m","a":1,"b":2}`+"\n" {
		t.Errorf("got %s", got)
	}
}

// TestTopLevelUserKeysAreNotRenamed: only the built-in fields get Cloud
// Logging's names; a user's "msg" or "level" stays as written.
func TestTopLevelUserKeysAreNotRenamed(t *testing.T) {
	var buf bytes.Buffer
	New(&buf, FormatJSON, slog.LevelInfo).Info("m", "msg", "user", "level", slog.LevelWarn)
	if !strings.HasSuffix(buf.String(), `"message":"m","msg":"user","level":"WARN"}`+"\n") {
		t.Errorf("got %s", buf.String())
	}
}

func TestJSONHandlerYearOutOfRange(t *testing.T) {
	var buf bytes.Buffer
	r := slog.NewRecord(time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC), slog.LevelInfo, "m", 0)
	if err := NewJSONHandler(&buf, nil).Handle(context.Background(), r); err != nil {
		t.Fatal(err)
	}
	if !json.Valid(buf.Bytes()) || !strings.Contains(buf.String(), `"time":"!ERROR:`) {
		t.Errorf("got %s", buf.String())
	}
}

func TestJSONHandlerLevel(t *testing.T) {
	var lv slog.LevelVar
	lv.Set(slog.LevelWarn)
	h := NewJSONHandler(io.Discard, &lv)
	if h.Enabled(context.Background(), slog.LevelInfo) || !h.Enabled(context.Background(), slog.LevelWarn) {
		t.Errorf("level warn: info enabled %v, warn enabled %v", h.Enabled(context.Background(), slog.LevelInfo), h.Enabled(context.Background(), slog.LevelWarn))
	}
	if !NewJSONHandler(io.Discard, nil).Enabled(context.Background(), slog.LevelInfo) {
		t.Error("nil level should mean INFO")
	}
}

type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, errors.New("disk full") }

func TestJSONHandlerReturnsWriteError(t *testing.T) {
	err := NewJSONHandler(failingWriter{}, nil).Handle(context.Background(), slog.NewRecord(time.Time{}, slog.LevelInfo, "m", 0))
	if err == nil || err.Error() != "disk full" {
		t.Errorf("err = %v, want disk full", err)
	}
}

// FuzzJSONHandlerMatchesSlog builds records and handler chains from fuzz
// input: wherever slog writes valid JSON ours must be the same bytes, and
// ours must always be exactly one valid JSON object.
func FuzzJSONHandlerMatchesSlog(f *testing.F) {
	f.Add("m", "k", "v", int64(1), 1.5, uint8(0))
	f.Add("q\"\\\n\x00\xff\u2028", "", "<&>", int64(-1), math.Inf(1), uint8(255))
	f.Add("", "g", "", int64(0), 0.0, uint8(7))
	f.Fuzz(func(t *testing.T, msg, key, val string, n int64, fl float64, shape uint8) {
		if key == "msg" || key == "level" {
			key += "_" // see JSONHandler: slog also renames these user keys
		}
		attrs := []slog.Attr{slog.String(key, val), slog.Int64(key+"n", n), slog.Float64("f", fl)}
		if shape&1 != 0 {
			attrs = append(attrs, slog.Group(key, slog.String("inner", val), slog.Any("e", errors.New(val))))
		}
		if shape&2 != 0 {
			attrs = append(attrs, slog.Group("", slog.String(val, key)))
		}
		var chain func(slog.Handler) slog.Handler
		if shape&4 != 0 {
			chain = func(h slog.Handler) slog.Handler {
				h = h.WithAttrs([]slog.Attr{slog.String("w", val)})
				// The Handler contract says WithGroup("") returns the
				// receiver; slog.JSONHandler opens a "" group instead, but
				// slog.Logger never passes it one.
				if shape&8 != 0 && key != "" {
					h = h.WithGroup(key)
				}
				if shape&16 != 0 {
					h = h.WithAttrs([]slog.Attr{slog.Uint64("u", uint64(n))})
				}
				return h
			}
		}
		if shape&32 != 0 {
			attrs = nil
		}
		want, got := renderBoth(t, chain, time.Unix(n%(1<<33), n%1e9).UTC(), slog.Level(int(shape%16)-4), msg, attrs)
		if !json.Valid([]byte(got)) || strings.Count(got, "\n") != 1 {
			t.Fatalf("not one valid JSON line: %q", got)
		}
		if json.Valid([]byte(want)) && got != want {
			t.Fatalf("JSONHandler wrote\n%q\nslog.JSONHandler wrote\n%q", got, want)
		}
	})
}

func renderBoth(t testing.TB, chain func(slog.Handler) slog.Handler, tm time.Time, level slog.Level, msg string, attrs []slog.Attr) (want, got string) {
	t.Helper()
	var ref, ours bytes.Buffer
	hs := []slog.Handler{referenceHandler(&ref), NewJSONHandler(&ours, slog.LevelDebug)}
	for _, h := range hs {
		if chain != nil {
			h = chain(h)
		}
		r := slog.NewRecord(tm, level, msg, 0)
		r.AddAttrs(attrs...)
		if err := h.Handle(context.Background(), r); err != nil {
			t.Fatal(err)
		}
	}
	return ref.String(), ours.String()
}

// accessAttrs is the access log's line: the httpRequest group and the headers.
func accessAttrs() []slog.Attr {
	return []slog.Attr{
		slog.Any("httpRequest", slog.GroupValue(
			slog.String("requestMethod", "GET"), slog.String("requestUrl", "/"), slog.Int("status", 200),
			slog.String("responseSize", "12"), slog.String("latency", "0.000012345s"),
			slog.String("remoteIp", "10.1.2.3"), slog.String("userAgent", "loadgen/0.1.0"), slog.String("protocol", "HTTP/1.1"),
		)),
		slog.Any("headers", slog.GroupValue(
			slog.String("Host", "hellosvc"), slog.String("User-Agent", "loadgen/0.1.0"),
			slog.String("Accept-Encoding", "gzip"), slog.String("X-Request-Id", "3f2a9c1e-1b7d-4e0a-9c55-2b1e6f0d8a42"),
		)),
	}
}

// BenchmarkJSONHandler is one access-log line through each handler: the
// reason JSONHandler exists.
func BenchmarkJSONHandler(b *testing.B) {
	attrs := accessAttrs()
	now := time.Now()
	for _, h := range []struct {
		name string
		h    slog.Handler
	}{
		{"slog.JSONHandler+ReplaceAttr", referenceHandler(io.Discard)},
		{"JSONHandler", NewJSONHandler(io.Discard, slog.LevelDebug)},
	} {
		b.Run(h.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				r := slog.NewRecord(now, slog.LevelInfo, "request", 0)
				r.AddAttrs(attrs...)
				if err := h.h.Handle(context.Background(), r); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func ExampleNewJSONHandler() {
	h := NewJSONHandler(exampleOut{}, nil)
	r := slog.NewRecord(time.Time{}, slog.LevelWarn, "disk almost full", 0)
	r.AddAttrs(slog.Int("percent", 93))
	_ = h.Handle(context.Background(), r)
	// Output: {"severity":"WARNING","message":"disk almost full","percent":93}
}

type exampleOut struct{}

func (exampleOut) Write(p []byte) (int, error) { fmt.Print(string(p)); return len(p), nil }
