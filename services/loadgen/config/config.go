// Package config reads loadgen's settings from environment variables.
package config

import (
	"cmp"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/caarlos0/env/v11"
)

// Bounds that validation enforces; the chart's values.schema.json repeats them.
const (
	MinRate           = 0.001
	MaxRate           = 1_000_000
	MinPort           = 1
	MaxPort           = 65535
	MaxInFlight       = 100_000
	MaxDuration       = 24 * time.Hour
	MinReportInterval = 100 * time.Millisecond
)

// Config is the load generator's configuration.
type Config struct {
	ServerAddr string `env:"SERVER_ADDR"`
	// Rate is REQUESTS_PER_SECOND as given: a number, or "max".
	Rate            string        `env:"REQUESTS_PER_SECOND"`
	Port            int           `env:"PORT"`
	MaxInFlight     int           `env:"MAX_IN_FLIGHT"`
	RequestTimeout  time.Duration `env:"REQUEST_TIMEOUT"`
	Duration        time.Duration `env:"DURATION"`
	LateTolerance   time.Duration `env:"LATE_TOLERANCE"`
	ReportInterval  time.Duration `env:"REPORT_INTERVAL"`
	ShutdownTimeout time.Duration `env:"SHUTDOWN_TIMEOUT"`
	// MaxFailureRatio is nil unless set: thresholds are opt-in.
	MaxFailureRatio *float64   `env:"MAX_FAILURE_RATIO"`
	MinSuccess      uint64     `env:"MIN_SUCCESS"`
	LogFormat       string     `env:"LOG_FORMAT"`
	LogLevel        slog.Level `env:"LOG_LEVEL"`

	URL               *url.URL `env:"-"` // ServerAddr, validated
	RequestsPerSecond float64  `env:"-"` // Rate parsed; 0 in max mode
	MaxMode           bool     `env:"-"` // REQUESTS_PER_SECOND=max
}

// CheckConfig is the configuration of `loadgen check`.
type CheckConfig struct {
	ServerAddr   string        `env:"SERVER_ADDR"`
	ExpectBody   string        `env:"EXPECT_BODY"`
	CheckTimeout time.Duration `env:"CHECK_TIMEOUT"`

	URL *url.URL `env:"-"`
}

// Var is one environment variable: the one table that --help, the README
// and every error message are made from.
type Var struct {
	Name     string
	Default  string // used when the variable is unset or empty
	Allowed  string // what a valid value looks like; errors say "must be <Allowed>"
	Help     string
	Required bool // unset or empty: the tutorial's "env variable is not defined", exit 1
	Check    bool // read by `loadgen check`
}

// Vars lists every variable, in the order --help shows them.
var Vars = []Var{
	{Name: "SERVER_ADDR", Required: true, Check: true,
		Allowed: "an absolute http:// or https:// URL with a host, e.g. http://localhost:8080",
		Help:    "the URL every request GETs; a password in it is never printed"},
	{Name: "REQUESTS_PER_SECOND", Required: true,
		Allowed: fmt.Sprintf("a number %g-%d (e.g. 5 or 0.5) or max", MinRate, MaxRate),
		Help:    "target rate; max: MAX_IN_FLIGHT requests back to back, for throughput"},
	{Name: "PORT", Default: "8081", Allowed: fmt.Sprintf("an integer %d-%d", MinPort, MaxPort),
		Help: "admin port, on all interfaces: /healthz, /readyz, /metrics"},
	{Name: "MAX_IN_FLIGHT", Default: "256", Allowed: fmt.Sprintf("an integer 1-%d", MaxInFlight),
		Help: "bound on requests outstanding and on open connections"},
	{Name: "REQUEST_TIMEOUT", Default: "5s", Allowed: "a duration > 0 and <= 24h",
		Help: "per request, from connecting to the end of the body"},
	{Name: "DURATION", Default: "0s", Allowed: "a duration 0-24h",
		Help: "stop after this long; 0: run until SIGTERM"},
	{Name: "LATE_TOLERANCE", Default: "100ms", Allowed: "a duration > 0 and <= 24h",
		Help: "how far behind its due time a request may still be sent; later, it is counted late"},
	{Name: "REPORT_INTERVAL", Default: "1s", Allowed: "a duration 100ms-24h",
		Help: "how often the N request(s) line is logged"},
	{Name: "SHUTDOWN_TIMEOUT", Default: "3s", Allowed: "a duration 0-24h",
		Help: "on stop, how long requests in flight may finish before they are aborted"},
	{Name: "MAX_FAILURE_RATIO", Allowed: "a number 0-1",
		Help: "exit 1 when more than this share of requests failed; unset: no threshold"},
	{Name: "MIN_SUCCESS", Default: "0", Allowed: "an integer >= 0",
		Help: "exit 1 when fewer requests than this succeeded; 0: no threshold"},
	{Name: "LOG_FORMAT", Default: "json", Allowed: "json or text",
		Help: "json: one object a line with Cloud Logging's keys; text: slog's key=value"},
	{Name: "LOG_LEVEL", Default: "info", Allowed: "one of debug, info, warn, error",
		Help: "least severe level logged; debug adds every transport error, warn hides the request lines"},
	{Name: "EXPECT_BODY", Default: "Hello World!", Allowed: "any text", Check: true,
		Help: "loadgen check: the body to expect; one trailing newline is tolerated"},
	{Name: "CHECK_TIMEOUT", Default: "30s", Allowed: "a duration > 0 and <= 24h", Check: true,
		Help: "loadgen check: how long to keep trying"},
}

// MissingError is a required variable that is unset or empty. Its message
// is the tutorial's.
type MissingError struct{ Var string }

func (e *MissingError) Error() string { return e.Var + " env variable is not defined" }

// FieldError is one bad variable.
type FieldError struct {
	Var   string // environment variable name
	Value string // the value as given; a password in a URL is redacted
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

// Error lists every bad variable in one line.
type Error struct{ Fields []FieldError }

func (e *Error) Error() string {
	parts := make([]string, len(e.Fields))
	for i, f := range e.Fields {
		parts[i] = f.Error()
	}
	return strings.Join(parts, "; ")
}

// Load reads the load generator's configuration from environ. It returns a
// *MissingError for the first required variable that is unset or empty, or
// an *Error listing every bad value.
func Load(environ map[string]string) (Config, error) {
	c, bad, err := parse[Config](environ, false)
	if err != nil {
		return c, err
	}
	c.URL = serverAddr(c.ServerAddr, bad)
	if strings.EqualFold(c.Rate, "max") {
		c.MaxMode = true
	} else if r, err := strconv.ParseFloat(c.Rate, 64); err == nil && r >= MinRate && r <= MaxRate {
		c.RequestsPerSecond = r
	} else {
		bad.check("REQUESTS_PER_SECOND", false)
	}
	bad.check("PORT", c.Port >= MinPort && c.Port <= MaxPort)
	bad.check("MAX_IN_FLIGHT", c.MaxInFlight >= 1 && c.MaxInFlight <= MaxInFlight)
	bad.check("REQUEST_TIMEOUT", c.RequestTimeout > 0 && c.RequestTimeout <= MaxDuration)
	bad.check("DURATION", c.Duration >= 0 && c.Duration <= MaxDuration)
	bad.check("LATE_TOLERANCE", c.LateTolerance > 0 && c.LateTolerance <= MaxDuration)
	bad.check("REPORT_INTERVAL", c.ReportInterval >= MinReportInterval && c.ReportInterval <= MaxDuration)
	bad.check("SHUTDOWN_TIMEOUT", c.ShutdownTimeout >= 0 && c.ShutdownTimeout <= MaxDuration)
	bad.check("MAX_FAILURE_RATIO", c.MaxFailureRatio == nil || (*c.MaxFailureRatio >= 0 && *c.MaxFailureRatio <= 1))
	c.LogFormat = strings.ToLower(c.LogFormat)
	bad.check("LOG_FORMAT", c.LogFormat == "json" || c.LogFormat == "text")
	bad.check("LOG_LEVEL", slices.Contains([]slog.Level{slog.LevelDebug, slog.LevelInfo, slog.LevelWarn, slog.LevelError}, c.LogLevel))
	return c, bad.err()
}

// LoadCheck reads the configuration of `loadgen check`.
func LoadCheck(environ map[string]string) (CheckConfig, error) {
	c, bad, err := parse[CheckConfig](environ, true)
	if err != nil {
		return c, err
	}
	c.URL = serverAddr(c.ServerAddr, bad)
	bad.check("CHECK_TIMEOUT", c.CheckTimeout > 0 && c.CheckTimeout <= MaxDuration)
	return c, bad.err()
}

// errs collects the variables with a bad value.
type errs struct {
	given map[string]string // the values parsed: the environment's, or the defaults
	bad   map[string]bool
}

func (b *errs) check(name string, ok bool) {
	if !ok {
		b.bad[name] = true
	}
}

func (b *errs) err() error {
	var e Error
	for _, v := range Vars {
		if b.bad[v.Name] {
			value := b.given[v.Name]
			if v.Name == "SERVER_ADDR" {
				value = redactUserinfo(value)
			}
			e.Fields = append(e.Fields, FieldError{Var: v.Name, Value: value, Rule: "must be " + v.Allowed})
		}
	}
	if e.Fields == nil {
		return nil
	}
	return &e
}

// parse checks the required variables of the mode (an empty value counts
// as unset: Kubernetes renders `value: ""` for an unset Helm value), fills
// in the defaults, then lets caarlos0/env convert every value, collecting
// what it cannot convert.
func parse[T any](environ map[string]string, check bool) (T, *errs, error) {
	var zero T
	bad := &errs{given: map[string]string{}, bad: map[string]bool{}}
	for _, v := range Vars {
		if v.Required && environ[v.Name] == "" && (v.Check || !check) {
			return zero, nil, &MissingError{Var: v.Name}
		}
		bad.given[v.Name] = cmp.Or(environ[v.Name], v.Default)
	}
	c, err := env.ParseAsWithOptions[T](env.Options{Environment: bad.given})
	var agg env.AggregateError
	if errors.As(err, &agg) {
		for _, e := range agg.Errors {
			var pe env.ParseError
			if !errors.As(e, &pe) {
				return zero, nil, err // not reachable with the tags above
			}
			f, _ := reflect.TypeFor[T]().FieldByName(pe.Name)
			bad.bad[f.Tag.Get("env")] = true
		}
	} else if err != nil {
		return zero, nil, err
	}
	return c, bad, nil
}

// serverAddr validates SERVER_ADDR: an absolute http(s) URL with a host
// and, if given, a port 1-65535.
func serverAddr(s string, bad *errs) *url.URL {
	u, err := url.Parse(s)
	ok := err == nil && strings.TrimSpace(s) == s && (u.Scheme == "http" || u.Scheme == "https") &&
		u.Opaque == "" && u.Hostname() != "" && !strings.HasSuffix(u.Host, ":") &&
		!strings.ContainsAny(u.Hostname(), " /\\") &&
		(!strings.Contains(u.Hostname(), ":") || net.ParseIP(u.Hostname()) != nil)
	if ok && u.Port() != "" {
		n, err := strconv.Atoi(u.Port())
		ok = err == nil && n >= MinPort && n <= MaxPort
	}
	bad.check("SERVER_ADDR", ok)
	if !ok {
		return nil
	}
	return u
}

// redactUserinfo hides a password in a URL-like string, parseable or not,
// so a bad SERVER_ADDR never prints its credentials: everything between
// the scheme and the last '@' of the authority becomes "xxxxx".
func redactUserinfo(s string) string {
	i := strings.Index(s, "://")
	if i < 0 {
		return s
	}
	auth := s[i+3:]
	if end := strings.IndexAny(auth, "/?#"); end >= 0 {
		auth = auth[:end]
	}
	at := strings.LastIndex(auth, "@")
	if at < 0 {
		return s
	}
	return s[:i+3] + "xxxxx" + s[i+3+at:]
}
