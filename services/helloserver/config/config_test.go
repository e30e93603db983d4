package config

import (
	"errors"
	"log/slog"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestLoadDefaults(t *testing.T) {
	got, err := Load(map[string]string{})
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	want := Config{
		Port:              8080,
		LogFormat:         "json",
		LogLevel:          slog.LevelInfo,
		LogHeaders:        true,
		LogProbes:         false,
		ShutdownDelay:     2 * time.Second,
		ShutdownTimeout:   2 * time.Second,
		GracePeriod:       5 * time.Second,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       10 * time.Second,
		WriteTimeout:      10 * time.Second,
		IdleTimeout:       60 * time.Second,
		MaxHeaderBytes:    65536,
	}
	if got != want {
		t.Errorf("Load(empty) =\n%+v\nwant\n%+v", got, want)
	}
}

func TestLoadNilEnvironmentIsEmpty(t *testing.T) {
	// A nil map must not fall back to the process environment.
	t.Setenv("PORT", "abc")
	cfg, err := Load(nil)
	if err != nil || cfg.Port != 8080 {
		t.Fatalf("Load(nil) = %+v, %v; want the defaults", cfg, err)
	}
}

// TestVarsMatchConfig: the table --help and the README are made from names
// exactly the variables Config reads, each once.
func TestVarsMatchConfig(t *testing.T) {
	var tags []string
	for f := range reflect.TypeFor[Config]().Fields() {
		tags = append(tags, f.Tag.Get("env"))
	}
	var names []string
	for _, v := range Vars {
		names = append(names, v.Name)
		if v.Allowed == "" || v.Help == "" {
			t.Errorf("%s: Allowed and Help must say something", v.Name)
		}
	}
	if !slices.Equal(names, tags) {
		t.Errorf("Vars = %v\nConfig's env tags = %v (same order)", names, tags)
	}
}

func TestLoadValid(t *testing.T) {
	tests := []struct {
		name  string
		env   map[string]string
		check func(Config) bool
	}{
		{"port", map[string]string{"PORT": "9090"}, func(c Config) bool { return c.Port == 9090 }},
		{"empty port means default", map[string]string{"PORT": ""}, func(c Config) bool { return c.Port == 8080 }},
		{"level upper case", map[string]string{"LOG_LEVEL": "DEBUG"}, func(c Config) bool { return c.LogLevel == slog.LevelDebug }},
		{"level warn", map[string]string{"LOG_LEVEL": "warn"}, func(c Config) bool { return c.LogLevel == slog.LevelWarn }},
		{"level error", map[string]string{"LOG_LEVEL": "error"}, func(c Config) bool { return c.LogLevel == slog.LevelError }},
		{"format text", map[string]string{"LOG_FORMAT": "Text"}, func(c Config) bool { return c.LogFormat == "text" }},
		{"headers off", map[string]string{"LOG_HEADERS": "false"}, func(c Config) bool { return !c.LogHeaders }},
		{"probes on", map[string]string{"LOG_PROBES": "1"}, func(c Config) bool { return c.LogProbes }},
		{"no delay", map[string]string{"SHUTDOWN_DELAY": "0"}, func(c Config) bool { return c.ShutdownDelay == 0 }},
		{"longer grace", map[string]string{"TERMINATION_GRACE_PERIOD": "30s", "SHUTDOWN_DELAY": "10s", "SHUTDOWN_TIMEOUT": "15s"},
			func(c Config) bool { return c.ShutdownDelay == 10*time.Second && c.ShutdownTimeout == 15*time.Second }},
		{"max header bytes", map[string]string{"MAX_HEADER_BYTES": "4096"}, func(c Config) bool { return c.MaxHeaderBytes == 4096 }},
		{"service version and pod", map[string]string{"SERVICE_VERSION": "v2", "POD_NAME": "helloserver-abc"},
			func(c Config) bool { return c.ServiceVersion == "v2" && c.PodName == "helloserver-abc" }},
		{"timeouts", map[string]string{"READ_HEADER_TIMEOUT": "1s", "READ_TIMEOUT": "2s", "WRITE_TIMEOUT": "3s", "IDLE_TIMEOUT": "4m"},
			func(c Config) bool {
				return c.ReadHeaderTimeout == time.Second && c.ReadTimeout == 2*time.Second &&
					c.WriteTimeout == 3*time.Second && c.IdleTimeout == 4*time.Minute
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := Load(tt.env)
			if err != nil {
				t.Fatalf("Load(%v): %v", tt.env, err)
			}
			if !tt.check(cfg) {
				t.Errorf("Load(%v) = %+v", tt.env, cfg)
			}
		})
	}
}

func TestLoadInvalid(t *testing.T) {
	tests := []struct {
		env  map[string]string
		want string
	}{
		{map[string]string{"PORT": "abc"}, `invalid PORT="abc": must be an integer 1-65535`},
		{map[string]string{"PORT": "70000"}, `invalid PORT="70000": must be an integer 1-65535`},
		{map[string]string{"PORT": "0"}, `invalid PORT="0": must be an integer 1-65535`},
		{map[string]string{"PORT": "-1"}, `invalid PORT="-1": must be an integer 1-65535`},
		{map[string]string{"PORT": "8080 "}, `invalid PORT="8080 ": must be an integer 1-65535`},
		{map[string]string{"PORT": "99999999999999999999"}, `invalid PORT="99999999999999999999": must be an integer 1-65535`},
		{map[string]string{"LOG_LEVEL": "verbose"}, `invalid LOG_LEVEL="verbose": must be one of debug, info, warn, error`},
		{map[string]string{"LOG_LEVEL": "info+2"}, `invalid LOG_LEVEL="info+2": must be one of debug, info, warn, error`},
		{map[string]string{"LOG_FORMAT": "xml"}, `invalid LOG_FORMAT="xml": must be json or text`},
		{map[string]string{"LOG_HEADERS": "yes"}, `invalid LOG_HEADERS="yes": must be true or false`},
		{map[string]string{"LOG_PROBES": "2"}, `invalid LOG_PROBES="2": must be true or false`},
		{map[string]string{"SHUTDOWN_DELAY": "-1s"}, `invalid SHUTDOWN_DELAY="-1s": must be a duration >= 0 like 2s or 500ms`},
		{map[string]string{"SHUTDOWN_DELAY": "2"}, `invalid SHUTDOWN_DELAY="2": must be a duration >= 0 like 2s or 500ms`},
		{map[string]string{"SHUTDOWN_TIMEOUT": "0s"}, `invalid SHUTDOWN_TIMEOUT="0s": must be a duration > 0 like 2s or 500ms`},
		{map[string]string{"SHUTDOWN_TIMEOUT": "-1500ms"}, `invalid SHUTDOWN_TIMEOUT="-1500ms": must be a duration > 0 like 2s or 500ms`},
		{map[string]string{"TERMINATION_GRACE_PERIOD": "0"}, `invalid TERMINATION_GRACE_PERIOD="0": must be a duration > 0 like 5s`},
		{map[string]string{"READ_HEADER_TIMEOUT": "-5s"}, `invalid READ_HEADER_TIMEOUT="-5s": must be a duration > 0 like 5s`},
		{map[string]string{"READ_TIMEOUT": "ten"}, `invalid READ_TIMEOUT="ten": must be a duration > 0 like 10s`},
		{map[string]string{"WRITE_TIMEOUT": "0"}, `invalid WRITE_TIMEOUT="0": must be a duration > 0 like 10s`},
		{map[string]string{"IDLE_TIMEOUT": "-1m"}, `invalid IDLE_TIMEOUT="-1m": must be a duration > 0 like 60s`},
		{map[string]string{"MAX_HEADER_BYTES": "100"}, `invalid MAX_HEADER_BYTES="100": must be an integer 4096-1048576`},
		{map[string]string{"MAX_HEADER_BYTES": "2MiB"}, `invalid MAX_HEADER_BYTES="2MiB": must be an integer 4096-1048576`},
		{map[string]string{"SERVICE_VERSION": "v 1"}, `invalid SERVICE_VERSION="v 1": must be 1-253 printable ASCII characters without spaces`},
		{map[string]string{"POD_NAME": "pod\r\nX-Evil: 1"}, `invalid POD_NAME="pod\r\nX-Evil: 1": must be 1-253 printable ASCII characters without spaces`},
		{map[string]string{"SHUTDOWN_DELAY": "3s"}, `invalid SHUTDOWN_DELAY+SHUTDOWN_TIMEOUT="3s+2s": must be less than TERMINATION_GRACE_PERIOD (5s)`},
		// The sum overflows int64 to a negative duration; it must still be refused.
		{map[string]string{"SHUTDOWN_DELAY": "2562047h", "SHUTDOWN_TIMEOUT": "2562047h"}, `invalid SHUTDOWN_DELAY+SHUTDOWN_TIMEOUT="2562047h+2562047h": must be less than TERMINATION_GRACE_PERIOD (5s)`},
		{map[string]string{"SHUTDOWN_TIMEOUT": "4500ms", "TERMINATION_GRACE_PERIOD": "6s"},
			`invalid SHUTDOWN_DELAY+SHUTDOWN_TIMEOUT="2s+4500ms": must be less than TERMINATION_GRACE_PERIOD (6s)`},
		{map[string]string{"PORT": "abc", "LOG_LEVEL": "loud"},
			`invalid PORT="abc": must be an integer 1-65535; invalid LOG_LEVEL="loud": must be one of debug, info, warn, error`},
		{map[string]string{"PORT": "0", "LOG_FORMAT": "xml", "IDLE_TIMEOUT": "soon"},
			`invalid PORT="0": must be an integer 1-65535; invalid LOG_FORMAT="xml": must be json or text; invalid IDLE_TIMEOUT="soon": must be a duration > 0 like 60s`},
		{map[string]string{"POD_NAME": strings.Repeat("x", 300)},
			`invalid POD_NAME="` + strings.Repeat("x", 64) + `...": must be 1-253 printable ASCII characters without spaces`},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			cfg, err := Load(tt.env)
			if err == nil {
				t.Fatalf("Load(%q) = %+v, want error", tt.env, cfg)
			}
			if got := err.Error(); got != tt.want {
				t.Errorf("Load(%q) error\n got: %s\nwant: %s", tt.env, got, tt.want)
			}
			var ce *Error
			if !errors.As(err, &ce) || len(ce.Fields) == 0 {
				t.Errorf("error %T is not a *config.Error with fields", err)
			}
			if cfg != (Config{}) {
				t.Errorf("Load returned a partial config with its error: %+v", cfg)
			}
		})
	}
}

func FuzzConfig(f *testing.F) {
	f.Add("8080", "info", "json", "2s", "2s", "65536", "pod-0", "v1")
	f.Add("abc", "verbose", "xml", "-1s", "0", "100", "a b", "")
	f.Add("70000", "DEBUG", "TEXT", "4s", "1s", "1048577", "pod\n", "v\x00")
	f.Add("8080", "info", "json", "2562047h", "2562047h", "65536", "pod-0", "v1") // the drain sum overflows
	f.Add("", "", "", "", "", "", "", "")
	f.Fuzz(func(t *testing.T, port, level, format, delay, timeout, maxHeader, pod, version string) {
		environ := map[string]string{
			"PORT": port, "LOG_LEVEL": level, "LOG_FORMAT": format, "SHUTDOWN_DELAY": delay,
			"SHUTDOWN_TIMEOUT": timeout, "MAX_HEADER_BYTES": maxHeader, "POD_NAME": pod, "SERVICE_VERSION": version,
		}
		cfg, err := Load(environ)
		if err != nil {
			msg := err.Error()
			if strings.ContainsAny(msg, "\r\n") {
				t.Fatalf("error is not one line: %q", msg)
			}
			var ce *Error
			if !errors.As(err, &ce) || len(ce.Fields) == 0 {
				t.Fatalf("error %T (%v) is not a *config.Error", err, err)
			}
			for _, fe := range ce.Fields {
				known := fe.Var == "SHUTDOWN_DELAY+SHUTDOWN_TIMEOUT" || slices.ContainsFunc(Vars, func(v Var) bool { return v.Name == fe.Var })
				if !known || fe.Rule == "" {
					t.Fatalf("field error names no known variable or no rule: %+v", fe)
				}
				if !strings.HasPrefix(msg, "invalid ") {
					t.Fatalf("error does not start with invalid: %q", msg)
				}
			}
			return
		}
		// Accepted: the result must be usable as is.
		switch {
		case cfg.Port < 1 || cfg.Port > 65535:
			t.Fatalf("accepted port %d", cfg.Port)
		case cfg.LogFormat != "json" && cfg.LogFormat != "text":
			t.Fatalf("accepted format %q", cfg.LogFormat)
		case cfg.LogLevel != slog.LevelDebug && cfg.LogLevel != slog.LevelInfo && cfg.LogLevel != slog.LevelWarn && cfg.LogLevel != slog.LevelError:
			t.Fatalf("accepted level %v", cfg.LogLevel)
		case cfg.ShutdownDelay < 0 || cfg.ShutdownTimeout <= 0 || cfg.ShutdownDelay >= cfg.GracePeriod || cfg.ShutdownTimeout >= cfg.GracePeriod-cfg.ShutdownDelay:
			t.Fatalf("accepted drain %v + %v (grace %v)", cfg.ShutdownDelay, cfg.ShutdownTimeout, cfg.GracePeriod)
		case cfg.MaxHeaderBytes < MinHeaderBytes || cfg.MaxHeaderBytes > MaxHeaderBytes:
			t.Fatalf("accepted max header bytes %d", cfg.MaxHeaderBytes)
		case strings.ContainsFunc(cfg.PodName+cfg.ServiceVersion, func(r rune) bool { return r <= ' ' || r > '~' }):
			t.Fatalf("accepted header-unsafe pod %q or version %q", cfg.PodName, cfg.ServiceVersion)
		}
	})
}
