// Package config reads helloserver's settings from environment variables.
package config

import (
	"cmp"
	"errors"
	"fmt"
	"log/slog"
	"reflect"
	"strings"
	"time"

	"github.com/caarlos0/env/v11"
)

// Bounds that Load enforces; the chart's values.schema.json must agree.
const (
	MinPort        = 1
	MaxPort        = 65535
	MinHeaderBytes = 4 << 10 // below this, ordinary mesh headers (traceparent, x-forwarded-client-cert) no longer fit
	MaxHeaderBytes = 1 << 20 // net/http's own default
	MaxNameLen     = 253     // a DNS name; POD_NAME and SERVICE_VERSION go into a response header
)

// Config is helloserver's configuration, one field per variable of Vars.
type Config struct {
	Port              int           `env:"PORT"`
	LogFormat         string        `env:"LOG_FORMAT"`
	LogLevel          slog.Level    `env:"LOG_LEVEL"`
	LogHeaders        bool          `env:"LOG_HEADERS"`
	LogProbes         bool          `env:"LOG_PROBES"`
	ShutdownDelay     time.Duration `env:"SHUTDOWN_DELAY"`
	ShutdownTimeout   time.Duration `env:"SHUTDOWN_TIMEOUT"`
	GracePeriod       time.Duration `env:"TERMINATION_GRACE_PERIOD"`
	ReadHeaderTimeout time.Duration `env:"READ_HEADER_TIMEOUT"`
	ReadTimeout       time.Duration `env:"READ_TIMEOUT"`
	WriteTimeout      time.Duration `env:"WRITE_TIMEOUT"`
	IdleTimeout       time.Duration `env:"IDLE_TIMEOUT"`
	MaxHeaderBytes    int           `env:"MAX_HEADER_BYTES"`
	// Empty unless set: the program fills in its build version and the
	// host name, which this package does not read so that tests stay hermetic.
	ServiceVersion string `env:"SERVICE_VERSION"`
	PodName        string `env:"POD_NAME"`
}

// Var is one environment variable: the one table that --help, the README
// and every error message are made from.
type Var struct {
	Name    string
	Default string // used when the variable is unset or empty
	Allowed string // what a valid value looks like; errors say "must be <Allowed>"
	Help    string
}

// Vars lists every variable Load reads, in the order --help shows them.
var Vars = []Var{
	{"PORT", "8080", fmt.Sprintf("an integer %d-%d", MinPort, MaxPort), "port to listen on, on all interfaces (a mesh sidecar must reach it)"},
	{"LOG_FORMAT", "json", "json or text", "json: one object a line with Cloud Logging's keys; text: slog's key=value"},
	{"LOG_LEVEL", "info", "one of debug, info, warn, error", "least severe level logged; at warn only 5xx request lines remain"},
	{"LOG_HEADERS", "true", "true or false", "log request headers, sorted, capped and with secrets redacted"},
	{"LOG_PROBES", "false", "true or false", "also log requests to /healthz, /readyz and /metrics"},
	{"SHUTDOWN_DELAY", "2s", "a duration >= 0 like 2s or 500ms", "after SIGTERM, keep serving with readiness failing so endpoints drop the pod first"},
	{"SHUTDOWN_TIMEOUT", "2s", "a duration > 0 like 2s or 500ms", "then how long in-flight requests get to finish"},
	{"TERMINATION_GRACE_PERIOD", "5s", "a duration > 0 like 5s", "the pod's grace period; SHUTDOWN_DELAY + SHUTDOWN_TIMEOUT must be less"},
	{"READ_HEADER_TIMEOUT", "5s", "a duration > 0 like 5s", "http.Server.ReadHeaderTimeout"},
	{"READ_TIMEOUT", "10s", "a duration > 0 like 10s", "http.Server.ReadTimeout"},
	{"WRITE_TIMEOUT", "10s", "a duration > 0 like 10s", "http.Server.WriteTimeout"},
	{"IDLE_TIMEOUT", "60s", "a duration > 0 like 60s", "http.Server.IdleTimeout"},
	{"MAX_HEADER_BYTES", "65536", fmt.Sprintf("an integer %d-%d", MinHeaderBytes, MaxHeaderBytes), "http.Server.MaxHeaderBytes"},
	{"SERVICE_VERSION", "", fmt.Sprintf("1-%d printable ASCII characters without spaces", MaxNameLen), "version in X-Served-By, /version and helloserver_build_info; unset: the build version"},
	{"POD_NAME", "", fmt.Sprintf("1-%d printable ASCII characters without spaces", MaxNameLen), "instance in X-Served-By; unset: the host name"},
}

// FieldError is one bad variable.
type FieldError struct {
	Var   string // variable name
	Value string // the value as given (or the default it fell back to)
	Rule  string // what is allowed
}

// maxShownValue keeps an error on one readable line whatever was given.
const maxShownValue = 64

func (e FieldError) Error() string {
	v := e.Value
	if len(v) > maxShownValue {
		v = v[:maxShownValue] + "..."
	}
	return fmt.Sprintf("invalid %s=%q: %s", e.Var, v, e.Rule)
}

// Error lists every bad variable, joined by "; " on one line (values are
// quoted, so control characters cannot break it).
type Error struct {
	Fields []FieldError
}

func (e *Error) Error() string {
	parts := make([]string, len(e.Fields))
	for i, f := range e.Fields {
		parts[i] = f.Error()
	}
	return strings.Join(parts, "; ")
}

// Load reads the configuration from environ (variable name -> value) and
// never from the process environment. A bad value returns a *Error naming
// every bad variable, and no Config.
func Load(environ map[string]string) (Config, error) {
	given := make(map[string]string, len(Vars))
	for _, v := range Vars {
		given[v.Name] = cmp.Or(environ[v.Name], v.Default)
	}
	failed := map[string]bool{} // a value that did not parse also fails its check below
	c, err := env.ParseAsWithOptions[Config](env.Options{Environment: given})
	if err != nil {
		var agg env.AggregateError
		if !errors.As(err, &agg) {
			return Config{}, err // not reachable with this struct: no required, file or custom tags
		}
		for _, e := range agg.Errors {
			var pe env.ParseError
			if !errors.As(e, &pe) {
				return Config{}, err
			}
			failed[varOf(pe.Name)] = true
		}
	}

	c.LogFormat = strings.ToLower(c.LogFormat)
	for _, check := range []struct {
		name string
		ok   bool
	}{
		{"PORT", c.Port >= MinPort && c.Port <= MaxPort},
		{"LOG_FORMAT", c.LogFormat == "json" || c.LogFormat == "text"},
		{"LOG_LEVEL", c.LogLevel == slog.LevelDebug || c.LogLevel == slog.LevelInfo || c.LogLevel == slog.LevelWarn || c.LogLevel == slog.LevelError},
		{"SHUTDOWN_DELAY", c.ShutdownDelay >= 0},
		{"SHUTDOWN_TIMEOUT", c.ShutdownTimeout > 0},
		{"TERMINATION_GRACE_PERIOD", c.GracePeriod > 0},
		{"READ_HEADER_TIMEOUT", c.ReadHeaderTimeout > 0},
		{"READ_TIMEOUT", c.ReadTimeout > 0},
		{"WRITE_TIMEOUT", c.WriteTimeout > 0},
		{"IDLE_TIMEOUT", c.IdleTimeout > 0},
		{"MAX_HEADER_BYTES", c.MaxHeaderBytes >= MinHeaderBytes && c.MaxHeaderBytes <= MaxHeaderBytes},
		{"SERVICE_VERSION", c.ServiceVersion == "" || headerSafe(c.ServiceVersion)},
		{"POD_NAME", c.PodName == "" || headerSafe(c.PodName)},
	} {
		if !check.ok {
			failed[check.name] = true
		}
	}
	var errs Error
	for _, v := range Vars {
		if failed[v.Name] {
			errs.Fields = append(errs.Fields, FieldError{Var: v.Name, Value: given[v.Name], Rule: "must be " + v.Allowed})
		}
	}
	// The whole drain must end before the kubelet's SIGKILL, or in-flight
	// requests die with the process. A subtraction, not a sum that could
	// overflow: with every part valid, GracePeriod-ShutdownDelay cannot.
	if len(errs.Fields) == 0 && c.ShutdownTimeout >= c.GracePeriod-c.ShutdownDelay {
		errs.Fields = append(errs.Fields, FieldError{
			Var:   "SHUTDOWN_DELAY+SHUTDOWN_TIMEOUT",
			Value: given["SHUTDOWN_DELAY"] + "+" + given["SHUTDOWN_TIMEOUT"],
			Rule:  fmt.Sprintf("must be less than TERMINATION_GRACE_PERIOD (%s)", given["TERMINATION_GRACE_PERIOD"]),
		})
	}
	if len(errs.Fields) > 0 {
		return Config{}, &errs
	}
	return c, nil
}

// varOf returns the variable of a Config field: caarlos0/env's errors name
// the Go field, the user knows the variable.
func varOf(field string) string {
	f, _ := reflect.TypeFor[Config]().FieldByName(field)
	return f.Tag.Get("env")
}

// headerSafe reports whether s can go into an HTTP header value verbatim and
// reads as one token: visible ASCII only, bounded length.
func headerSafe(s string) bool {
	return len(s) <= MaxNameLen && !strings.ContainsFunc(s, func(r rune) bool { return r <= ' ' || r > '~' })
}
