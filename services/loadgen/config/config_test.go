package config

import (
	"errors"
	"log/slog"
	"reflect"
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
	if c.URL.String() != "http://127.0.0.1:8080/" {
		t.Errorf("URL %v", c.URL)
	}
	c.URL = nil
	want := Config{
		ServerAddr: "http://127.0.0.1:8080/", Rate: "5", RequestsPerSecond: 5, Port: 8081,
		ReportInterval: time.Second, MaxInFlight: 256, RequestTimeout: 5 * time.Second,
		ShutdownTimeout: 3 * time.Second, LateTolerance: 100 * time.Millisecond,
		LogFormat: "json", LogLevel: slog.LevelInfo,
	}
	if c != want {
		t.Errorf("defaults:\n got %+v\nwant %+v", c, want)
	}
	// Kubernetes renders an unset Helm value as "": that means the default.
	if c, err := Load(base("PORT", "", "LOG_FORMAT", "")); err != nil || c.Port != 8081 || c.LogFormat != "json" {
		t.Errorf("empty values: %+v, %v", c, err)
	}
}

func TestLoadValid(t *testing.T) {
	c, err := Load(base("REQUESTS_PER_SECOND", "0.5", "PORT", "9090", "MAX_IN_FLIGHT", "1",
		"DURATION", "30s", "SHUTDOWN_TIMEOUT", "0s", "MAX_FAILURE_RATIO", "0.01", "MIN_SUCCESS", "10",
		"LOG_FORMAT", "text", "LOG_LEVEL", "debug", "SERVER_ADDR", "https://hellosvc.default.svc:443/path?q=1"))
	if err != nil {
		t.Fatal(err)
	}
	if c.RequestsPerSecond != 0.5 || c.Port != 9090 || c.MaxInFlight != 1 || c.Duration != 30*time.Second ||
		c.ShutdownTimeout != 0 || c.MaxFailureRatio == nil || *c.MaxFailureRatio != 0.01 || c.MinSuccess != 10 ||
		c.LogFormat != "text" || c.LogLevel != slog.LevelDebug || c.URL.Host != "hellosvc.default.svc:443" {
		t.Errorf("unexpected config %+v", c)
	}
}

// TestRequestsPerSecond: a number within bounds, or max (any case).
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
		{"max10", 0, false, false},
		{"0", 0, false, false},
		{"0.0009", 0, false, false},
		{"1000001", 0, false, false},
		{"-5", 0, false, false},
		{"NaN", 0, false, false},
		{"+Inf", 0, false, false},
		{"1e300", 0, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			c, err := Load(base("REQUESTS_PER_SECOND", tt.in))
			if !tt.ok {
				want := `invalid REQUESTS_PER_SECOND="` + tt.in + `": must be a number 0.001-1000000 (e.g. 5 or 0.5) or max`
				if err == nil || err.Error() != want {
					t.Errorf("Load(%q) = %+v, %v; want error %q", tt.in, c, err, want)
				}
				return
			}
			if err != nil || c.RequestsPerSecond != tt.rate || c.MaxMode != tt.maxMode {
				t.Errorf("Load(%q): rate %v max %v, %v; want %v %v", tt.in, c.RequestsPerSecond, c.MaxMode, err, tt.rate, tt.maxMode)
			}
		})
	}
}

func TestLoadErrors(t *testing.T) {
	const serverRule = "must be an absolute http:// or https:// URL with a host, e.g. http://localhost:8080"
	long := strings.Repeat("9", 120)
	tests := []struct {
		name    string
		env     map[string]string
		want    string
		missing bool
	}{
		{"no server", map[string]string{"REQUESTS_PER_SECOND": "5"}, "SERVER_ADDR env variable is not defined", true},
		{"empty server", base("SERVER_ADDR", ""), "SERVER_ADDR env variable is not defined", true},
		{"no rate", map[string]string{"SERVER_ADDR": "http://x"}, "REQUESTS_PER_SECOND env variable is not defined", true},
		{"nothing", map[string]string{}, "SERVER_ADDR env variable is not defined", true},
		{"missing wins over bad", map[string]string{"REQUESTS_PER_SECOND": "x"}, "SERVER_ADDR env variable is not defined", true},
		{"not a url", base("SERVER_ADDR", "hellosvc:80"), `invalid SERVER_ADDR="hellosvc:80": ` + serverRule, false},
		{"ftp scheme", base("SERVER_ADDR", "ftp://hellosvc/"), `invalid SERVER_ADDR="ftp://hellosvc/": ` + serverRule, false},
		{"no host", base("SERVER_ADDR", "http:///path"), `invalid SERVER_ADDR="http:///path": ` + serverRule, false},
		{"password never printed", base("SERVER_ADDR", "http://user:s3cret@hellosvc:99999/"),
			`invalid SERVER_ADDR="http://xxxxx@hellosvc:99999/": ` + serverRule, false},
		{"password never printed, unparseable", base("SERVER_ADDR", "http://us%er:s3c@ret@host name/x@y"),
			`invalid SERVER_ADDR="http://xxxxx@host name/x@y": ` + serverRule, false},
		{"long value truncated", base("REQUESTS_PER_SECOND", long),
			`invalid REQUESTS_PER_SECOND="` + long[:64] + `...": must be a number 0.001-1000000 (e.g. 5 or 0.5) or max`, false},
		{"port word", base("PORT", "abc"), `invalid PORT="abc": must be an integer 1-65535`, false},
		{"port range", base("PORT", "70000"), `invalid PORT="70000": must be an integer 1-65535`, false},
		{"max in flight zero", base("MAX_IN_FLIGHT", "0"), `invalid MAX_IN_FLIGHT="0": must be an integer 1-100000`, false},
		{"max in flight too many", base("MAX_IN_FLIGHT", "100001"), `invalid MAX_IN_FLIGHT="100001": must be an integer 1-100000`, false},
		{"timeout no unit", base("REQUEST_TIMEOUT", "5"), `invalid REQUEST_TIMEOUT="5": must be a duration > 0 and <= 24h`, false},
		{"timeout zero", base("REQUEST_TIMEOUT", "0s"), `invalid REQUEST_TIMEOUT="0s": must be a duration > 0 and <= 24h`, false},
		{"duration negative", base("DURATION", "-1s"), `invalid DURATION="-1s": must be a duration 0-24h`, false},
		{"duration too long", base("DURATION", "25h"), `invalid DURATION="25h": must be a duration 0-24h`, false},
		{"report too short", base("REPORT_INTERVAL", "99ms"), `invalid REPORT_INTERVAL="99ms": must be a duration 100ms-24h`, false},
		{"shutdown negative", base("SHUTDOWN_TIMEOUT", "-2s"), `invalid SHUTDOWN_TIMEOUT="-2s": must be a duration 0-24h`, false},
		{"tolerance zero", base("LATE_TOLERANCE", "0s"), `invalid LATE_TOLERANCE="0s": must be a duration > 0 and <= 24h`, false},
		{"failure ratio above 1", base("MAX_FAILURE_RATIO", "1.5"), `invalid MAX_FAILURE_RATIO="1.5": must be a number 0-1`, false},
		{"failure ratio NaN", base("MAX_FAILURE_RATIO", "NaN"), `invalid MAX_FAILURE_RATIO="NaN": must be a number 0-1`, false},
		{"min success negative", base("MIN_SUCCESS", "-1"), `invalid MIN_SUCCESS="-1": must be an integer >= 0`, false},
		{"log format", base("LOG_FORMAT", "xml"), `invalid LOG_FORMAT="xml": must be json or text`, false},
		{"log level", base("LOG_LEVEL", "verbose"), `invalid LOG_LEVEL="verbose": must be one of debug, info, warn, error`, false},
		{"log level between the four", base("LOG_LEVEL", "warn+1"), `invalid LOG_LEVEL="warn+1": must be one of debug, info, warn, error`, false},
		{"newline in value stays one line", base("PORT", "80\n81"), `invalid PORT="80\n81": must be an integer 1-65535`, false},
		{"every bad variable, in declaration order", base("LOG_FORMAT", "xml", "PORT", "0", "REQUESTS_PER_SECOND", "fast"),
			`invalid REQUESTS_PER_SECOND="fast": must be a number 0.001-1000000 (e.g. 5 or 0.5) or max; ` +
				`invalid PORT="0": must be an integer 1-65535; invalid LOG_FORMAT="xml": must be json or text`, false},
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
			var me *MissingError
			var ce *Error
			if errors.As(err, &me) != tt.missing || errors.As(err, &ce) == tt.missing {
				t.Errorf("error type %T, want missing=%v", err, tt.missing)
			}
		})
	}
}

func TestLoadCheck(t *testing.T) {
	c, err := LoadCheck(map[string]string{"SERVER_ADDR": "http://hellosvc/", "REQUESTS_PER_SECOND": "not read"})
	if err != nil {
		t.Fatal(err)
	}
	if c.ExpectBody != "Hello World!" || c.CheckTimeout != 30*time.Second || c.URL.Host != "hellosvc" {
		t.Errorf("defaults: %+v", c)
	}
	for _, tt := range []struct {
		env  map[string]string
		want string
	}{
		{map[string]string{}, "SERVER_ADDR env variable is not defined"},
		{map[string]string{"SERVER_ADDR": "http://h/", "CHECK_TIMEOUT": "soon"},
			`invalid CHECK_TIMEOUT="soon": must be a duration > 0 and <= 24h`},
		{map[string]string{"SERVER_ADDR": "http://h/", "CHECK_TIMEOUT": "0s"},
			`invalid CHECK_TIMEOUT="0s": must be a duration > 0 and <= 24h`},
		{map[string]string{"SERVER_ADDR": "h"},
			`invalid SERVER_ADDR="h": must be an absolute http:// or https:// URL with a host, e.g. http://localhost:8080`},
	} {
		if _, err := LoadCheck(tt.env); err == nil || err.Error() != tt.want {
			t.Errorf("LoadCheck(%v) = %v, want %q", tt.env, err, tt.want)
		}
	}
}

func TestServerAddr(t *testing.T) {
	good := []string{"http://localhost:8080", "http://hellosvc", "https://a.b.c/x", "http://[::1]:8080/", "http://127.0.0.1:1/"}
	for _, s := range good {
		if _, err := Load(base("SERVER_ADDR", s)); err != nil {
			t.Errorf("SERVER_ADDR=%q: %v", s, err)
		}
	}
	bad := []string{" http://x", "http://x ", "localhost:8080", "//x/", "http://", "http://:80", "http://x:0/",
		"http://x:/", "mailto:a@b", "http://x:abc/", "HTTP2://x", "http://a b/", "http://a\\b/", "http://fe80::1/", "http://x:65536/"}
	for _, s := range bad {
		if _, err := Load(base("SERVER_ADDR", s)); err == nil {
			t.Errorf("SERVER_ADDR=%q accepted", s)
		}
	}
}

// TestVars: every variable Load or LoadCheck reads is in the table, and
// only those.
func TestVars(t *testing.T) {
	tags := map[string]bool{}
	for _, typ := range []reflect.Type{reflect.TypeFor[Config](), reflect.TypeFor[CheckConfig]()} {
		for i := range typ.NumField() {
			if tag := typ.Field(i).Tag.Get("env"); tag != "-" {
				tags[tag] = true
			}
		}
	}
	for _, v := range Vars {
		if !tags[v.Name] || v.Allowed == "" || v.Help == "" || (v.Required && v.Default != "") {
			t.Errorf("table entry %+v: not read, undocumented, or required with a default", v)
		}
		delete(tags, v.Name)
	}
	if len(tags) > 0 {
		t.Errorf("read but not in Vars: %v", tags)
	}
}

// FuzzLoad: any environment either loads into a config within every bound
// or fails with a one-line error of a known type; never a panic.
func FuzzLoad(f *testing.F) {
	for _, s := range []string{"5", "0.5", "abc", "-1", "NaN", "1e300", "1s", "-1s", "0", "", "max"} {
		f.Add("http://127.0.0.1:8080/", s, s, s, s)
	}
	f.Add("http://user:pw@[::1]:80/x?y#z", "MaX", "100000", "24h", "1")
	f.Add("https://h:99999", "0.001", "1", "1ns", "0")
	f.Fuzz(func(t *testing.T, addr, rate, inflight, dur, ratio string) {
		env := map[string]string{"SERVER_ADDR": addr, "REQUESTS_PER_SECOND": rate,
			"MAX_IN_FLIGHT": inflight, "DURATION": dur, "REQUEST_TIMEOUT": dur, "MAX_FAILURE_RATIO": ratio}
		c, err := Load(env)
		if err != nil {
			var me *MissingError
			var ce *Error
			if !errors.As(err, &me) && !errors.As(err, &ce) {
				t.Fatalf("error of type %T: %v", err, err)
			}
			if strings.ContainsAny(err.Error(), "\n\r") {
				t.Fatalf("multi-line error %q", err)
			}
			// A password in SERVER_ADDR never reaches the message.
			env["SERVER_ADDR"] = "http://user:pw-Zq9@" + strings.TrimPrefix(addr, "http://")
			if _, err := Load(env); err != nil && strings.Contains(err.Error(), "pw-Zq9") {
				t.Fatalf("error shows the password: %q", err)
			}
			return
		}
		if c.URL == nil || (c.URL.Scheme != "http" && c.URL.Scheme != "https") || c.URL.Hostname() == "" ||
			(!c.MaxMode && (c.RequestsPerSecond < MinRate || c.RequestsPerSecond > MaxRate)) ||
			(c.MaxMode && c.RequestsPerSecond != 0) ||
			c.MaxInFlight < 1 || c.MaxInFlight > MaxInFlight || c.Duration < 0 || c.Duration > MaxDuration ||
			c.RequestTimeout <= 0 || (c.MaxFailureRatio != nil && !(*c.MaxFailureRatio >= 0 && *c.MaxFailureRatio <= 1)) {
			t.Fatalf("accepted invalid config %+v from %v", c, env)
		}
		// What was accepted is accepted again as the URL prints it.
		if _, err := Load(map[string]string{"SERVER_ADDR": c.URL.String(), "REQUESTS_PER_SECOND": "1"}); err != nil {
			t.Fatalf("round trip of %q -> %q rejected: %v", addr, c.URL.String(), err)
		}
	})
}
