// Package config reads loadgen's settings from environment variables.
//
// Every bad value becomes one *Error whose message names the variable, the
// value and what is allowed, so main can print one line and exit without a
// stack trace. A missing required variable keeps the tutorial's exact wording
// and exit code 1; any other bad value exits 2.
package config

import (
	"errors"
	"fmt"
	"math"
	"net"
	"net/url"
	"reflect"
	"strconv"
	"strings"
	"time"

	"github.com/caarlos0/env/v11"
)

// Exit codes, as documented in the README.
const (
	ExitMissing = 1 // a required variable is not set (the tutorial's behaviour)
	ExitInvalid = 2 // a variable is set to a value loadgen cannot use
)

// Limits on values. They keep the numbers meaningful (a rate of 1e300 or a
// million goroutines is a typo, not a plan) and are quoted in error messages.
const (
	MinRate        = 0.001
	MaxRate        = 1_000_000
	MaxInFlight    = 100_000
	maxDuration    = 24 * time.Hour
	minReport      = 100 * time.Millisecond
	maxValueInLine = 100
)

// Logging holds the log settings shared by both modes.
type Logging struct {
	Format string `env:"LOG_FORMAT" envDefault:"json"`
	Level  string `env:"LOG_LEVEL" envDefault:"info"`
}

// Config is the configuration of the load generator (the default mode).
type Config struct {
	ServerAddr string `env:"SERVER_ADDR"`
	// Rate is REQUESTS_PER_SECOND as given: a number, or "max".
	Rate string `env:"REQUESTS_PER_SECOND"`
	// RequestsPerSecond is Rate parsed; 0 when MaxMode.
	RequestsPerSecond float64 `env:"-"`
	// MaxMode is REQUESTS_PER_SECOND=max: MAX_IN_FLIGHT closed-loop
	// workers, back to back, for throughput measurement.
	MaxMode         bool          `env:"-"`
	Port            int           `env:"PORT" envDefault:"8080"`
	ReportInterval  time.Duration `env:"REPORT_INTERVAL" envDefault:"1s"`
	MaxInFlight     int           `env:"MAX_IN_FLIGHT" envDefault:"256"`
	RequestTimeout  time.Duration `env:"REQUEST_TIMEOUT" envDefault:"5s"`
	Duration        time.Duration `env:"DURATION" envDefault:"0s"`
	ShutdownTimeout time.Duration `env:"SHUTDOWN_TIMEOUT" envDefault:"3s"`
	LateTolerance   time.Duration `env:"LATE_TOLERANCE" envDefault:"100ms"`
	// Client is the HTTP client: "std" (net/http), "fast" (package
	// h1client: plain http:// only, far less CPU per request) or "auto"
	// (fast for http:// without a proxy, std otherwise).
	Client string `env:"CLIENT" envDefault:"auto"`
	// MaxFailureRatio is nil unless set: failure thresholds are opt-in.
	MaxFailureRatio *float64 `env:"MAX_FAILURE_RATIO"`
	MinSuccess      uint64   `env:"MIN_SUCCESS" envDefault:"0"`
	Logging

	// URL is ServerAddr parsed and validated.
	URL *url.URL `env:"-"`
}

// CheckConfig is the configuration of `loadgen check`.
type CheckConfig struct {
	ServerAddr   string        `env:"SERVER_ADDR"`
	ExpectBody   string        `env:"EXPECT_BODY" envDefault:"Hello World!"`
	CheckTimeout time.Duration `env:"CHECK_TIMEOUT" envDefault:"30s"`
	Logging

	URL *url.URL `env:"-"`
}

// allowed says, per variable, what a valid value looks like.
var allowed = map[string]string{
	"SERVER_ADDR":         "must be an absolute http:// or https:// URL with a host, e.g. http://hellosvc:80",
	"REQUESTS_PER_SECOND": fmt.Sprintf("must be a number from %g to %d, e.g. 10 or 0.5, or max (as fast as MAX_IN_FLIGHT allows)", MinRate, MaxRate),
	"PORT":                "must be an integer from 1 to 65535",
	"REPORT_INTERVAL":     "must be a duration from 100ms to 24h, e.g. 1s",
	"MAX_IN_FLIGHT":       fmt.Sprintf("must be an integer from 1 to %d", MaxInFlight),
	"REQUEST_TIMEOUT":     "must be a duration greater than 0 and at most 24h, e.g. 5s",
	"DURATION":            "must be 0 (run until stopped) or a duration up to 24h, e.g. 30s",
	"SHUTDOWN_TIMEOUT":    "must be a duration from 0 to 24h, e.g. 3s",
	"LATE_TOLERANCE":      "must be a duration greater than 0 and at most 24h, e.g. 100ms",
	"MAX_FAILURE_RATIO":   "must be a number from 0 to 1, e.g. 0.01 (unset = no threshold)",
	"MIN_SUCCESS":         "must be a non-negative integer (0 = no threshold)",
	"LOG_FORMAT":          "must be json or text",
	"CLIENT":              "must be auto, std (net/http, any URL) or fast (plain http:// URLs only)",
	"LOG_LEVEL":           "must be one of debug, info, warn, error",
	"EXPECT_BODY":         "must be a string",
	"CHECK_TIMEOUT":       "must be a duration greater than 0 and at most 24h, e.g. 30s",
}

// Error is a configuration error. Its message is the whole line to print.
type Error struct {
	Var     string
	Value   string
	Missing bool
}

func (e *Error) Error() string {
	if e.Missing {
		return e.Var + " env variable is not defined"
	}
	v := e.Value
	if len(v) > maxValueInLine {
		v = v[:maxValueInLine] + "..."
	}
	return fmt.Sprintf("invalid %s %q: %s", e.Var, v, allowed[e.Var])
}

// ExitCode maps an error from Load or LoadCheck to the process exit code:
// 0 for nil, 1 for a missing required variable, 2 for anything else.
func ExitCode(err error) int {
	if err == nil {
		return 0
	}
	var ce *Error
	if errors.As(err, &ce) && ce.Missing {
		return ExitMissing
	}
	return ExitInvalid
}

// Load reads the load generator's configuration from environ (a map, so
// tests never touch the process environment).
func Load(environ map[string]string) (Config, error) {
	var c Config
	if err := require(environ, "SERVER_ADDR", "REQUESTS_PER_SECOND"); err != nil {
		return c, err
	}
	if err := parse(&c, environ); err != nil {
		return c, err
	}
	u, err := ParseServerAddr(c.ServerAddr)
	if err != nil {
		return c, err
	}
	c.URL = u
	bad := func(name string) error { return &Error{Var: name, Value: environ[name]} }
	if strings.EqualFold(c.Rate, "max") {
		c.MaxMode = true
	} else if c.RequestsPerSecond, err = strconv.ParseFloat(c.Rate, 64); err != nil {
		return c, bad("REQUESTS_PER_SECOND")
	}
	r := c.RequestsPerSecond
	switch {
	case !c.MaxMode && (math.IsNaN(r) || math.IsInf(r, 0) || r < MinRate || r > MaxRate):
		return c, bad("REQUESTS_PER_SECOND")
	case c.Port < 1 || c.Port > 65535:
		return c, bad("PORT")
	case c.ReportInterval < minReport || c.ReportInterval > maxDuration:
		return c, bad("REPORT_INTERVAL")
	case c.MaxInFlight < 1 || c.MaxInFlight > MaxInFlight:
		return c, bad("MAX_IN_FLIGHT")
	case c.RequestTimeout <= 0 || c.RequestTimeout > maxDuration:
		return c, bad("REQUEST_TIMEOUT")
	case c.Duration < 0 || c.Duration > maxDuration:
		return c, bad("DURATION")
	case c.ShutdownTimeout < 0 || c.ShutdownTimeout > maxDuration:
		return c, bad("SHUTDOWN_TIMEOUT")
	case c.LateTolerance <= 0 || c.LateTolerance > maxDuration:
		return c, bad("LATE_TOLERANCE")
	case c.MaxFailureRatio != nil && !(*c.MaxFailureRatio >= 0 && *c.MaxFailureRatio <= 1):
		return c, bad("MAX_FAILURE_RATIO")
	case c.Client != "auto" && c.Client != "std" && (c.Client != "fast" || c.URL.Scheme != "http"):
		return c, bad("CLIENT")
	}
	return c, checkLogging(c.Logging, environ)
}

// LoadCheck reads the configuration of `loadgen check`.
func LoadCheck(environ map[string]string) (CheckConfig, error) {
	var c CheckConfig
	if err := require(environ, "SERVER_ADDR"); err != nil {
		return c, err
	}
	if err := parse(&c, environ); err != nil {
		return c, err
	}
	u, err := ParseServerAddr(c.ServerAddr)
	if err != nil {
		return c, err
	}
	c.URL = u
	if c.CheckTimeout <= 0 || c.CheckTimeout > maxDuration {
		return c, &Error{Var: "CHECK_TIMEOUT", Value: environ["CHECK_TIMEOUT"]}
	}
	return c, checkLogging(c.Logging, environ)
}

// ParseServerAddr validates SERVER_ADDR: an absolute http(s) URL with a host
// and, if given, a port from 1 to 65535.
func ParseServerAddr(s string) (*url.URL, error) {
	bad := &Error{Var: "SERVER_ADDR", Value: redactUserinfo(s)}
	if strings.TrimSpace(s) != s {
		return nil, bad
	}
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Opaque != "" || u.Hostname() == "" {
		return nil, bad
	}
	if p := u.Port(); p != "" {
		n, err := strconv.Atoi(p)
		if err != nil || n < 1 || n > 65535 {
			return nil, bad
		}
	} else if strings.HasSuffix(u.Host, ":") {
		return nil, bad
	}
	if strings.ContainsAny(u.Hostname(), " /\\") || (strings.Contains(u.Hostname(), ":") && net.ParseIP(u.Hostname()) == nil) {
		return nil, bad
	}
	return u, nil
}

// redactUserinfo hides a password in a URL-like string, parseable or not, so
// a bad SERVER_ADDR never prints its credentials: everything between the
// scheme and the last '@' of the authority becomes "xxxxx".
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

// require reports the first of names that is unset or empty. An empty value
// counts as missing: Kubernetes renders `value: ""` for an unset Helm value.
func require(environ map[string]string, names ...string) error {
	for _, n := range names {
		if environ[n] == "" {
			return &Error{Var: n, Missing: true}
		}
	}
	return nil
}

func parse(c any, environ map[string]string) error {
	err := env.ParseWithOptions(c, env.Options{Environment: environ})
	if err == nil {
		return nil
	}
	var pe env.ParseError
	if errors.As(err, &pe) {
		name := envName(reflect.TypeOf(c).Elem(), pe.Name)
		return &Error{Var: name, Value: environ[name]}
	}
	// Not reachable with the struct tags above; keep the library's text.
	return fmt.Errorf("configuration: %w", err)
}

// envName finds the variable name of a struct field (searching embedded
// structs), because env.ParseError carries only the Go field name.
func envName(t reflect.Type, field string) string {
	for i := range t.NumField() {
		f := t.Field(i)
		if f.Name == field {
			name, _, _ := strings.Cut(f.Tag.Get("env"), ",")
			return name
		}
		if f.Anonymous && f.Type.Kind() == reflect.Struct {
			if n := envName(f.Type, field); n != "" {
				return n
			}
		}
	}
	return field
}

func checkLogging(l Logging, environ map[string]string) error {
	switch l.Format {
	case "json", "text":
	default:
		return &Error{Var: "LOG_FORMAT", Value: environ["LOG_FORMAT"]}
	}
	switch l.Level {
	case "debug", "info", "warn", "error":
	default:
		return &Error{Var: "LOG_LEVEL", Value: environ["LOG_LEVEL"]}
	}
	return nil
}
