package config

import (
	"strings"
	"testing"
	"time"
)

func base(kv ...string) map[string]string {
	m := map[string]string{"SERVER_ADDR": "http://127.0.0.1:8080/", "REQUESTS_PER_SECOND": "5"}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return m
}

func TestLoadDefaults(t *testing.T) {
	c, err := Load(base())
	if err != nil {
		t.Fatal(err)
	}
	want := Config{
		ServerAddr: "http://127.0.0.1:8080/", Rate: "5", RequestsPerSecond: 5, Port: 8080,
		ReportInterval: time.Second, MaxInFlight: 256, RequestTimeout: 5 * time.Second,
		Duration: 0, ShutdownTimeout: 3 * time.Second, LateTolerance: 100 * time.Millisecond,
		Client: "auto", Logging: Logging{Format: "json", Level: "info"},
	}
	c.URL = nil
	if c != want {
		t.Errorf("defaults:\n got %+v\nwant %+v", c, want)
	}
}

func TestLoadValid(t *testing.T) {
	c, err := Load(base("REQUESTS_PER_SECOND", "0.5", "PORT", "9090", "MAX_IN_FLIGHT", "1",
		"DURATION", "30s", "SHUTDOWN_TIMEOUT", "0s", "MAX_FAILURE_RATIO", "0.01", "MIN_SUCCESS", "10",
		"LOG_FORMAT", "text", "LOG_LEVEL", "debug", "SERVER_ADDR", "https://hellosvc.default.svc:443/path?q=1"))
	if err == nil && c.Client != "auto" {
		t.Errorf("client %q", c.Client)
	}
	if _, err := Load(base("CLIENT", "fast")); err != nil {
		t.Errorf("CLIENT=fast with http: %v", err)
	}
	if err != nil {
		t.Fatal(err)
	}
	if c.RequestsPerSecond != 0.5 || c.Port != 9090 || c.MaxInFlight != 1 || c.Duration != 30*time.Second ||
		c.ShutdownTimeout != 0 || c.MaxFailureRatio == nil || *c.MaxFailureRatio != 0.01 || c.MinSuccess != 10 ||
		c.Format != "text" || c.Level != "debug" || c.URL.Host != "hellosvc.default.svc:443" {
		t.Errorf("unexpected config %+v", c)
	}
}

// TestRequestsPerSecond: a number, or max (any case) for max mode.
func TestRequestsPerSecond(t *testing.T) {
	tests := []struct {
		in      string
		rate    float64
		maxMode bool
		ok      bool
	}{
		{"10", 10, false, true},
		{"0.5", 0.5, false, true},
		{"1e6", 1e6, false, true},
		{"0.001", 0.001, false, true},
		{"max", 0, true, true},
		{"MAX", 0, true, true},
		{"Max", 0, true, true},
		{"maximum", 0, false, false},
		{" max", 0, false, false},
		{"max ", 0, false, false},
		{"max10", 0, false, false},
		{"0", 0, false, false},
		{"1000001", 0, false, false},
		{"inf", 0, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			c, err := Load(base("REQUESTS_PER_SECOND", tt.in))
			if !tt.ok {
				want := `invalid REQUESTS_PER_SECOND "` + tt.in + `": must be a number from 0.001 to 1000000, e.g. 10 or 0.5, or max (as fast as MAX_IN_FLIGHT allows)`
				if err == nil || err.Error() != want || ExitCode(err) != ExitInvalid {
					t.Errorf("Load(%q) = %+v, %v; want error %q", tt.in, c, err, want)
				}
				return
			}
			if err != nil {
				t.Fatalf("Load(%q): %v", tt.in, err)
			}
			if c.RequestsPerSecond != tt.rate || c.MaxMode != tt.maxMode {
				t.Errorf("Load(%q): rate %v max %v, want %v %v", tt.in, c.RequestsPerSecond, c.MaxMode, tt.rate, tt.maxMode)
			}
		})
	}
}

func TestLoadErrors(t *testing.T) {
	long := strings.Repeat("9", 120)
	tests := []struct {
		name string
		env  map[string]string
		want string
		code int
	}{
		{"no server", map[string]string{"REQUESTS_PER_SECOND": "5"}, "SERVER_ADDR env variable is not defined", 1},
		{"empty server", base("SERVER_ADDR", ""), "SERVER_ADDR env variable is not defined", 1},
		{"no rate", map[string]string{"SERVER_ADDR": "http://x"}, "REQUESTS_PER_SECOND env variable is not defined", 1},
		{"nothing", map[string]string{}, "SERVER_ADDR env variable is not defined", 1},
		{"not a url", base("SERVER_ADDR", "hellosvc:80"),
			`invalid SERVER_ADDR "hellosvc:80": must be an absolute http:// or https:// URL with a host, e.g. http://hellosvc:80`, 2},
		{"ftp scheme", base("SERVER_ADDR", "ftp://hellosvc/"),
			`invalid SERVER_ADDR "ftp://hellosvc/": must be an absolute http:// or https:// URL with a host, e.g. http://hellosvc:80`, 2},
		{"no host", base("SERVER_ADDR", "http:///path"),
			`invalid SERVER_ADDR "http:///path": must be an absolute http:// or https:// URL with a host, e.g. http://hellosvc:80`, 2},
		{"password never printed", base("SERVER_ADDR", "http://user:s3cret@hellosvc:99999/"),
			`invalid SERVER_ADDR "http://xxxxx@hellosvc:99999/": must be an absolute http:// or https:// URL with a host, e.g. http://hellosvc:80`, 2},
		{"password never printed, unparseable", base("SERVER_ADDR", "http://us%er:s3c@ret@host name/x@y"),
			`invalid SERVER_ADDR "http://xxxxx@host name/x@y": must be an absolute http:// or https:// URL with a host, e.g. http://hellosvc:80`, 2},
		{"bad port", base("SERVER_ADDR", "http://hellosvc:70000/"),
			`invalid SERVER_ADDR "http://hellosvc:70000/": must be an absolute http:// or https:// URL with a host, e.g. http://hellosvc:80`, 2},
		{"rate word", base("REQUESTS_PER_SECOND", "fast"),
			`invalid REQUESTS_PER_SECOND "fast": must be a number from 0.001 to 1000000, e.g. 10 or 0.5, or max (as fast as MAX_IN_FLIGHT allows)`, 2},
		{"rate zero", base("REQUESTS_PER_SECOND", "0"),
			`invalid REQUESTS_PER_SECOND "0": must be a number from 0.001 to 1000000, e.g. 10 or 0.5, or max (as fast as MAX_IN_FLIGHT allows)`, 2},
		{"rate negative", base("REQUESTS_PER_SECOND", "-5"),
			`invalid REQUESTS_PER_SECOND "-5": must be a number from 0.001 to 1000000, e.g. 10 or 0.5, or max (as fast as MAX_IN_FLIGHT allows)`, 2},
		{"rate NaN", base("REQUESTS_PER_SECOND", "NaN"),
			`invalid REQUESTS_PER_SECOND "NaN": must be a number from 0.001 to 1000000, e.g. 10 or 0.5, or max (as fast as MAX_IN_FLIGHT allows)`, 2},
		{"rate Inf", base("REQUESTS_PER_SECOND", "+Inf"),
			`invalid REQUESTS_PER_SECOND "+Inf": must be a number from 0.001 to 1000000, e.g. 10 or 0.5, or max (as fast as MAX_IN_FLIGHT allows)`, 2},
		{"rate huge", base("REQUESTS_PER_SECOND", "1e300"),
			`invalid REQUESTS_PER_SECOND "1e300": must be a number from 0.001 to 1000000, e.g. 10 or 0.5, or max (as fast as MAX_IN_FLIGHT allows)`, 2},
		{"rate long value truncated", base("REQUESTS_PER_SECOND", long),
			`invalid REQUESTS_PER_SECOND "` + long[:100] + `...": must be a number from 0.001 to 1000000, e.g. 10 or 0.5, or max (as fast as MAX_IN_FLIGHT allows)`, 2},
		{"port word", base("PORT", "abc"), `invalid PORT "abc": must be an integer from 1 to 65535`, 2},
		{"port range", base("PORT", "70000"), `invalid PORT "70000": must be an integer from 1 to 65535`, 2},
		{"max in flight zero", base("MAX_IN_FLIGHT", "0"), `invalid MAX_IN_FLIGHT "0": must be an integer from 1 to 100000`, 2},
		{"max in flight negative", base("MAX_IN_FLIGHT", "-3"), `invalid MAX_IN_FLIGHT "-3": must be an integer from 1 to 100000`, 2},
		{"timeout no unit", base("REQUEST_TIMEOUT", "5"),
			`invalid REQUEST_TIMEOUT "5": must be a duration greater than 0 and at most 24h, e.g. 5s`, 2},
		{"timeout zero", base("REQUEST_TIMEOUT", "0s"),
			`invalid REQUEST_TIMEOUT "0s": must be a duration greater than 0 and at most 24h, e.g. 5s`, 2},
		{"duration negative", base("DURATION", "-1s"),
			`invalid DURATION "-1s": must be 0 (run until stopped) or a duration up to 24h, e.g. 30s`, 2},
		{"report too short", base("REPORT_INTERVAL", "1ms"),
			`invalid REPORT_INTERVAL "1ms": must be a duration from 100ms to 24h, e.g. 1s`, 2},
		{"shutdown negative", base("SHUTDOWN_TIMEOUT", "-2s"),
			`invalid SHUTDOWN_TIMEOUT "-2s": must be a duration from 0 to 24h, e.g. 3s`, 2},
		{"tolerance zero", base("LATE_TOLERANCE", "0s"),
			`invalid LATE_TOLERANCE "0s": must be a duration greater than 0 and at most 24h, e.g. 100ms`, 2},
		{"failure ratio above 1", base("MAX_FAILURE_RATIO", "1.5"),
			`invalid MAX_FAILURE_RATIO "1.5": must be a number from 0 to 1, e.g. 0.01 (unset = no threshold)`, 2},
		{"failure ratio NaN", base("MAX_FAILURE_RATIO", "NaN"),
			`invalid MAX_FAILURE_RATIO "NaN": must be a number from 0 to 1, e.g. 0.01 (unset = no threshold)`, 2},
		{"min success negative", base("MIN_SUCCESS", "-1"),
			`invalid MIN_SUCCESS "-1": must be a non-negative integer (0 = no threshold)`, 2},
		{"client unknown", base("CLIENT", "curl"),
			`invalid CLIENT "curl": must be auto, std (net/http, any URL) or fast (plain http:// URLs only)`, 2},
		{"fast client with https", base("CLIENT", "fast", "SERVER_ADDR", "https://hellosvc/"),
			`invalid CLIENT "fast": must be auto, std (net/http, any URL) or fast (plain http:// URLs only)`, 2},
		{"log format", base("LOG_FORMAT", "xml"), `invalid LOG_FORMAT "xml": must be json or text`, 2},
		{"log level", base("LOG_LEVEL", "verbose"), `invalid LOG_LEVEL "verbose": must be one of debug, info, warn, error`, 2},
		{"newline in value stays one line", base("PORT", "80\n81"), `invalid PORT "80\n81": must be an integer from 1 to 65535`, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Load(tt.env)
			if err == nil {
				t.Fatalf("Load(%v) succeeded, want %q", tt.env, tt.want)
			}
			if err.Error() != tt.want {
				t.Errorf("message\n got %s\nwant %s", err, tt.want)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("message spans lines: %q", err)
			}
			if got := ExitCode(err); got != tt.code {
				t.Errorf("exit code %d, want %d", got, tt.code)
			}
		})
	}
}

func TestExitCode(t *testing.T) {
	if ExitCode(nil) != 0 {
		t.Error("nil error must exit 0")
	}
}

func TestLoadCheck(t *testing.T) {
	c, err := LoadCheck(map[string]string{"SERVER_ADDR": "http://hellosvc/"})
	if err != nil {
		t.Fatal(err)
	}
	if c.ExpectBody != "Hello World!" || c.CheckTimeout != 30*time.Second || c.URL.Host != "hellosvc" {
		t.Errorf("defaults: %+v", c)
	}
	for _, tt := range []struct {
		env  map[string]string
		want string
		code int
	}{
		{map[string]string{}, "SERVER_ADDR env variable is not defined", 1},
		{map[string]string{"SERVER_ADDR": "http://h/", "CHECK_TIMEOUT": "soon"},
			`invalid CHECK_TIMEOUT "soon": must be a duration greater than 0 and at most 24h, e.g. 30s`, 2},
		{map[string]string{"SERVER_ADDR": "http://h/", "CHECK_TIMEOUT": "0s"},
			`invalid CHECK_TIMEOUT "0s": must be a duration greater than 0 and at most 24h, e.g. 30s`, 2},
		{map[string]string{"SERVER_ADDR": "h"},
			`invalid SERVER_ADDR "h": must be an absolute http:// or https:// URL with a host, e.g. http://hellosvc:80`, 2},
	} {
		_, err := LoadCheck(tt.env)
		if err == nil || err.Error() != tt.want || ExitCode(err) != tt.code {
			t.Errorf("LoadCheck(%v) = %v (code %d), want %q (code %d)", tt.env, err, ExitCode(err), tt.want, tt.code)
		}
	}
}

func TestParseServerAddr(t *testing.T) {
	good := []string{"http://localhost:8080", "http://hellosvc", "https://a.b.c/x", "http://[::1]:8080/", "http://127.0.0.1:1/"}
	for _, s := range good {
		if _, err := ParseServerAddr(s); err != nil {
			t.Errorf("ParseServerAddr(%q): %v", s, err)
		}
	}
	bad := []string{"", " http://x", "http://x ", "localhost:8080", "//x/", "http://", "http://:80", "http://x:0/",
		"http://x:/", "mailto:a@b", "http://x:abc/", "HTTP2://x", "http://a b/"}
	for _, s := range bad {
		if _, err := ParseServerAddr(s); err == nil {
			t.Errorf("ParseServerAddr(%q) accepted", s)
		}
	}
}

func FuzzConfig(f *testing.F) {
	for _, s := range []string{"5", "0.5", "abc", "-1", "NaN", "1e300", "1s", "-1s", "0", "", "max"} {
		f.Add("http://127.0.0.1:8080/", s, s, s, s)
	}
	f.Fuzz(func(t *testing.T, addr, rate, inflight, dur, ratio string) {
		env := map[string]string{"SERVER_ADDR": addr, "REQUESTS_PER_SECOND": rate,
			"MAX_IN_FLIGHT": inflight, "DURATION": dur, "REQUEST_TIMEOUT": dur, "MAX_FAILURE_RATIO": ratio}
		c, err := Load(env)
		if err != nil {
			if code := ExitCode(err); code != 1 && code != 2 {
				t.Fatalf("exit code %d for %v", code, err)
			}
			if strings.ContainsAny(err.Error(), "\n\r") {
				t.Fatalf("multi-line error %q", err)
			}
			return
		}
		if c.URL == nil || (!c.MaxMode && (c.RequestsPerSecond < MinRate || c.RequestsPerSecond > MaxRate)) ||
			(c.MaxMode && c.RequestsPerSecond != 0) ||
			c.MaxInFlight < 1 || c.MaxInFlight > MaxInFlight || c.Duration < 0 || c.RequestTimeout <= 0 {
			t.Fatalf("accepted invalid config %+v from %v", c, env)
		}
	})
}

func FuzzServerAddr(f *testing.F) {
	for _, s := range []string{"http://localhost:8080", "https://[::1]:443/x?y", "ftp://x", "http://:80", "http://x:99999", "%zz", "http://a@b/"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		u, err := ParseServerAddr(s)
		if err != nil {
			if !strings.HasPrefix(err.Error(), "invalid SERVER_ADDR ") {
				t.Fatalf("unexpected error %q", err)
			}
			return
		}
		if (u.Scheme != "http" && u.Scheme != "https") || u.Hostname() == "" {
			t.Fatalf("accepted %q as %#v", s, u)
		}
		if _, err := ParseServerAddr(u.String()); err != nil {
			t.Fatalf("round trip of %q -> %q rejected: %v", s, u.String(), err)
		}
	})
}
