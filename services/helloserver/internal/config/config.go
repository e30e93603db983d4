// Package config reads helloserver's settings from environment variables.
package config

import (
	"errors"
	"fmt"
	"log/slog"
	"reflect"
	"strconv"
	"strings"
	"time"

	"github.com/caarlos0/env/v11"
)

// Config is helloserver's configuration. Every field comes from one
// environment variable; an empty variable means "use the default".
type Config struct {
	Port              int           `env:"PORT" envDefault:"8080"`
	LogFormat         string        `env:"LOG_FORMAT" envDefault:"json"`
	LogLevel          string        `env:"LOG_LEVEL" envDefault:"info"`
	LogHeaders        bool          `env:"LOG_HEADERS" envDefault:"true"`
	LogProbes         bool          `env:"LOG_PROBES" envDefault:"false"`
	ShutdownDelay     time.Duration `env:"SHUTDOWN_DELAY" envDefault:"2s"`
	ShutdownTimeout   time.Duration `env:"SHUTDOWN_TIMEOUT" envDefault:"2s"`
	GracePeriod       time.Duration `env:"TERMINATION_GRACE_PERIOD" envDefault:"5s"`
	ReadHeaderTimeout time.Duration `env:"READ_HEADER_TIMEOUT" envDefault:"5s"`
	ReadTimeout       time.Duration `env:"READ_TIMEOUT" envDefault:"10s"`
	WriteTimeout      time.Duration `env:"WRITE_TIMEOUT" envDefault:"10s"`
	IdleTimeout       time.Duration `env:"IDLE_TIMEOUT" envDefault:"60s"`
	MaxHeaderBytes    int           `env:"MAX_HEADER_BYTES" envDefault:"65536"`
	// ServiceVersion and PodName default to Defaults given to Parse (the
	// build version and the host name), which this package does not read
	// itself so that tests stay hermetic.
	ServiceVersion string `env:"SERVICE_VERSION"`
	PodName        string `env:"POD_NAME"`

	// Level is LogLevel parsed; set by Parse.
	Level slog.Level `env:"-"`
}

// Limits that validation enforces.
const (
	MinHeaderBytes = 4 << 10 // below this, ordinary mesh headers (traceparent, x-forwarded-client-cert) no longer fit
	MaxHeaderLimit = 1 << 20 // net/http's own default
	maxNameLen     = 253     // a DNS name; POD_NAME and SERVICE_VERSION end up in a response header
)

// allowed says, per variable, what a valid value looks like. It is the tail
// of every error message, so the reader sees the fix.
var allowed = map[string]string{
	"PORT":                     "must be an integer 1-65535",
	"LOG_FORMAT":               "must be json or text",
	"LOG_LEVEL":                "must be one of debug, info, warn, error",
	"LOG_HEADERS":              "must be true or false",
	"LOG_PROBES":               "must be true or false",
	"SHUTDOWN_DELAY":           "must be a duration >= 0 like 2s or 500ms",
	"SHUTDOWN_TIMEOUT":         "must be a duration > 0 like 2s or 500ms",
	"TERMINATION_GRACE_PERIOD": "must be a duration > 0 like 5s",
	"READ_HEADER_TIMEOUT":      "must be a duration > 0 like 5s",
	"READ_TIMEOUT":             "must be a duration > 0 like 10s",
	"WRITE_TIMEOUT":            "must be a duration > 0 like 10s",
	"IDLE_TIMEOUT":             "must be a duration > 0 like 60s",
	"MAX_HEADER_BYTES":         fmt.Sprintf("must be an integer %d-%d", MinHeaderBytes, MaxHeaderLimit),
	"SERVICE_VERSION":          fmt.Sprintf("must be 1-%d printable ASCII characters without spaces", maxNameLen),
	"POD_NAME":                 fmt.Sprintf("must be 1-%d printable ASCII characters without spaces", maxNameLen),
}

// FieldError is one bad variable.
type FieldError struct {
	Var   string // environment variable name
	Value string // the value as given
	Rule  string // what is allowed
}

func (e *FieldError) Error() string {
	return fmt.Sprintf("invalid %s=%q: %s", e.Var, e.Value, e.Rule)
}

// Error lists every bad variable. Its message is one line (values are
// quoted, so control characters cannot break it).
type Error struct {
	Fields []*FieldError
}

func (e *Error) Error() string {
	parts := make([]string, len(e.Fields))
	for i, f := range e.Fields {
		parts[i] = f.Error()
	}
	return strings.Join(parts, "; ")
}

// Defaults are the values that depend on the build and the host.
type Defaults struct {
	ServiceVersion string // used when SERVICE_VERSION is empty
	PodName        string // used when POD_NAME is empty
}

// Parse reads the configuration from environ (variable name -> value). It
// never reads the process environment, so tests pass a map.
func Parse(environ map[string]string, d Defaults) (Config, error) {
	if environ == nil {
		// env.Options treats a nil map as "use os.Environ"; we never want that here.
		environ = map[string]string{}
	}
	cfg, err := env.ParseAsWithOptions[Config](env.Options{Environment: environ})
	bad := map[string]bool{}
	var fields []*FieldError
	if err != nil {
		var agg env.AggregateError
		errs := []error{err}
		if errors.As(err, &agg) {
			errs = agg.Errors
		}
		for _, e := range errs {
			fe := fromEnvError(e, environ)
			bad[fe.Var] = true
			fields = append(fields, fe)
		}
	}
	if cfg.ServiceVersion == "" {
		cfg.ServiceVersion = d.ServiceVersion
	}
	if cfg.PodName == "" {
		cfg.PodName = d.PodName
	}
	for _, fe := range validate(&cfg, environ) {
		if !bad[fe.Var] {
			fields = append(fields, fe)
		}
	}
	if len(fields) > 0 {
		return Config{}, &Error{Fields: fields}
	}
	return cfg, nil
}

// fromEnvError turns one of caarlos0/env's errors (which name the Go field
// and the Go type) into ours (which name the variable and the rule).
func fromEnvError(err error, environ map[string]string) *FieldError {
	var pe env.ParseError
	if errors.As(err, &pe) {
		key := envKey(pe.Name)
		return &FieldError{Var: key, Value: environ[key], Rule: allowed[key]}
	}
	// No other error is reachable with this struct (no required, file or
	// custom-parser tags); keep the library's text rather than hide it.
	return &FieldError{Var: "environment", Value: "", Rule: err.Error()}
}

// envKey maps a Config field name to its variable name via the struct tag.
func envKey(field string) string {
	f, ok := reflect.TypeFor[Config]().FieldByName(field)
	if !ok {
		return field
	}
	key, _, _ := strings.Cut(f.Tag.Get("env"), ",")
	return key
}

// validate checks the parsed values; messages quote the value as the user
// wrote it (environ), falling back to the parsed value for defaults.
func validate(c *Config, environ map[string]string) []*FieldError {
	var out []*FieldError
	bad := func(key, value string) {
		if raw, ok := environ[key]; ok && raw != "" {
			value = raw
		}
		out = append(out, &FieldError{Var: key, Value: value, Rule: allowed[key]})
	}
	if c.Port < 1 || c.Port > 65535 {
		bad("PORT", strconv.Itoa(c.Port))
	}
	switch strings.ToLower(c.LogFormat) {
	case "json", "text":
		c.LogFormat = strings.ToLower(c.LogFormat)
	default:
		bad("LOG_FORMAT", c.LogFormat)
	}
	switch strings.ToLower(c.LogLevel) {
	case "debug":
		c.Level = slog.LevelDebug
	case "info":
		c.Level = slog.LevelInfo
	case "warn":
		c.Level = slog.LevelWarn
	case "error":
		c.Level = slog.LevelError
	default:
		bad("LOG_LEVEL", c.LogLevel)
	}
	if c.ShutdownDelay < 0 {
		bad("SHUTDOWN_DELAY", c.ShutdownDelay.String())
	}
	positive := []struct {
		key string
		d   time.Duration
	}{
		{"SHUTDOWN_TIMEOUT", c.ShutdownTimeout},
		{"TERMINATION_GRACE_PERIOD", c.GracePeriod},
		{"READ_HEADER_TIMEOUT", c.ReadHeaderTimeout},
		{"READ_TIMEOUT", c.ReadTimeout},
		{"WRITE_TIMEOUT", c.WriteTimeout},
		{"IDLE_TIMEOUT", c.IdleTimeout},
	}
	for _, p := range positive {
		if p.d <= 0 {
			bad(p.key, p.d.String())
		}
	}
	if c.MaxHeaderBytes < MinHeaderBytes || c.MaxHeaderBytes > MaxHeaderLimit {
		bad("MAX_HEADER_BYTES", strconv.Itoa(c.MaxHeaderBytes))
	}
	if !headerSafe(c.ServiceVersion) {
		bad("SERVICE_VERSION", c.ServiceVersion)
	}
	if !headerSafe(c.PodName) {
		bad("POD_NAME", c.PodName)
	}
	// The whole drain must end before the kubelet's SIGKILL, or in-flight
	// requests die with the process. Only checked when the parts are valid.
	// Written without adding the two, which could overflow to a negative sum.
	if len(out) == 0 && (c.ShutdownDelay >= c.GracePeriod || c.ShutdownTimeout >= c.GracePeriod-c.ShutdownDelay) {
		out = append(out, &FieldError{
			Var:   "SHUTDOWN_DELAY+SHUTDOWN_TIMEOUT",
			Value: c.ShutdownDelay.String() + "+" + c.ShutdownTimeout.String(),
			Rule:  fmt.Sprintf("must be less than TERMINATION_GRACE_PERIOD (%s)", c.GracePeriod),
		})
	}
	return out
}

// headerSafe reports whether s can go into an HTTP header value verbatim and
// reads as one token: visible ASCII only, bounded length.
func headerSafe(s string) bool {
	if s == "" || len(s) > maxNameLen {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] <= ' ' || s[i] > '~' {
			return false
		}
	}
	return true
}
