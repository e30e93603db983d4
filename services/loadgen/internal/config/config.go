// Package config reads loadgen's settings from environment variables.
//
// The struct tags (names, defaults) and the rules below are the one source
// of truth: the errors, `loadgen --help` and the README's table all come
// from them.
package config

import (
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
	ServerAddr string `env:"SERVER_ADDR,required"`
	// Rate is REQUESTS_PER_SECOND as given: a number, or "max".
	Rate            string        `env:"REQUESTS_PER_SECOND,required"`
	Port            int           `env:"PORT" envDefault:"8081"`
	MaxInFlight     int           `env:"MAX_IN_FLIGHT" envDefault:"256"`
	RequestTimeout  time.Duration `env:"REQUEST_TIMEOUT" envDefault:"5s"`
	Duration        time.Duration `env:"DURATION" envDefault:"0s"`
	LateTolerance   time.Duration `env:"LATE_TOLERANCE" envDefault:"100ms"`
	ReportInterval  time.Duration `env:"REPORT_INTERVAL" envDefault:"1s"`
	ShutdownTimeout time.Duration `env:"SHUTDOWN_TIMEOUT" envDefault:"3s"`
	// MaxFailureRatio is nil unless set: thresholds are opt-in.
	MaxFailureRatio *float64   `env:"MAX_FAILURE_RATIO"`
	MinSuccess      uint64     `env:"MIN_SUCCESS" envDefault:"0"`
	LogFormat       string     `env:"LOG_FORMAT" envDefault:"json"`
	LogLevel        slog.Level `env:"LOG_LEVEL" envDefault:"info"`

	URL               *url.URL `env:"-"` // ServerAddr, validated
	RequestsPerSecond float64  `env:"-"` // Rate parsed; 0 in max mode
	MaxMode           bool     `env:"-"` // REQUESTS_PER_SECOND=max
}

// CheckConfig is the configuration of `loadgen check`.
type CheckConfig struct {
	ServerAddr   string        `env:"SERVER_ADDR,required"`
	ExpectBody   string        `env:"EXPECT_BODY" envDefault:"Hello World!"`
	CheckTimeout time.Duration `env:"CHECK_TIMEOUT" envDefault:"30s"`

	URL *url.URL `env:"-"`
}

var rules = map[string]string{
	"SERVER_ADDR":         "must be an absolute http:// or https:// URL with a host, e.g. http://localhost:8080",
	"REQUESTS_PER_SECOND": fmt.Sprintf("must be a number %g-%d (e.g. 5 or 0.5) or max", MinRate, MaxRate),
	"PORT":                fmt.Sprintf("must be an integer %d-%d", MinPort, MaxPort),
	"MAX_IN_FLIGHT":       fmt.Sprintf("must be an integer 1-%d", MaxInFlight),
	"REQUEST_TIMEOUT":     "must be a duration > 0 and <= 24h, e.g. 5s",
	"DURATION":            "must be a duration 0 (run until stopped) to 24h, e.g. 30s",
	"LATE_TOLERANCE":      "must be a duration > 0 and <= 24h, e.g. 100ms",
	"REPORT_INTERVAL":     "must be a duration 100ms-24h, e.g. 1s",
	"SHUTDOWN_TIMEOUT":    "must be a duration 0-24h, e.g. 3s",
	"MAX_FAILURE_RATIO":   "must be a number 0-1, e.g. 0.01 (unset: no threshold)",
	"MIN_SUCCESS":         "must be an integer >= 0 (0: no threshold)",
	"LOG_FORMAT":          "must be json or text",
	"LOG_LEVEL":           "must be one of debug, info, warn, error",
	"EXPECT_BODY":         "any text; one trailing newline in the response is tolerated",
	"CHECK_TIMEOUT":       "must be a duration > 0 and <= 24h, e.g. 30s",
}

// Var describes one environment variable for the help text and README.
type Var struct {
	Name, Default, Rule string
	Required            bool
	Check               bool // `loadgen check` reads it
}

// DefaultText is the default as the help and README show it.
func (v Var) DefaultText() string {
	switch {
	case v.Required:
		return "required"
	case v.Default == "":
		return "unset"
	}
	return v.Default
}

// Vars lists the variables of the load generator, then those only `loadgen
// check` reads, in declaration order.
func Vars() []Var {
	var out []Var
	index := map[string]int{}
	for i, v := range []any{&Config{}, &CheckConfig{}} {
		params, err := env.GetFieldParams(v)
		if err != nil {
			panic(err) // the struct tags above are constant
		}
		for _, p := range params {
			j, seen := index[p.Key]
			if !seen {
				j = len(out)
				index[p.Key] = j
				out = append(out, Var{Name: p.Key, Default: p.DefaultValue, Rule: rules[p.Key], Required: p.Required})
			}
			out[j].Check = out[j].Check || i == 1
		}
	}
	return out
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

// maxValue bounds how much of a bad value an error quotes.
const maxValue = 100

func (e FieldError) Error() string {
	v := e.Value
	if len(v) > maxValue {
		v = v[:maxValue] + "..."
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
	c, bad, err := parse[Config](environ)
	if err != nil {
		return c, err
	}
	c.URL = serverAddr(c.ServerAddr, bad)
	if strings.EqualFold(c.Rate, "max") {
		c.MaxMode = true
	} else if r, err := strconv.ParseFloat(c.Rate, 64); err == nil && r >= MinRate && r <= MaxRate {
		c.RequestsPerSecond = r
	} else {
		bad.add("REQUESTS_PER_SECOND")
	}
	bad.check("PORT", c.Port >= MinPort && c.Port <= MaxPort)
	bad.check("MAX_IN_FLIGHT", c.MaxInFlight >= 1 && c.MaxInFlight <= MaxInFlight)
	bad.check("REQUEST_TIMEOUT", c.RequestTimeout > 0 && c.RequestTimeout <= MaxDuration)
	bad.check("DURATION", c.Duration >= 0 && c.Duration <= MaxDuration)
	bad.check("LATE_TOLERANCE", c.LateTolerance > 0 && c.LateTolerance <= MaxDuration)
	bad.check("REPORT_INTERVAL", c.ReportInterval >= MinReportInterval && c.ReportInterval <= MaxDuration)
	bad.check("SHUTDOWN_TIMEOUT", c.ShutdownTimeout >= 0 && c.ShutdownTimeout <= MaxDuration)
	bad.check("MAX_FAILURE_RATIO", c.MaxFailureRatio == nil || (*c.MaxFailureRatio >= 0 && *c.MaxFailureRatio <= 1))
	bad.check("LOG_FORMAT", c.LogFormat == "json" || c.LogFormat == "text")
	return c, bad.err()
}

// LoadCheck reads the configuration of `loadgen check`.
func LoadCheck(environ map[string]string) (CheckConfig, error) {
	c, bad, err := parse[CheckConfig](environ)
	if err != nil {
		return c, err
	}
	c.URL = serverAddr(c.ServerAddr, bad)
	bad.check("CHECK_TIMEOUT", c.CheckTimeout > 0 && c.CheckTimeout <= MaxDuration)
	return c, bad.err()
}

// errs collects bad variables; a variable is reported once.
type errs struct {
	environ map[string]string
	order   map[string]int // declaration order, for the message
	fields  []FieldError
}

func (b *errs) add(name string) {
	for _, f := range b.fields {
		if f.Var == name {
			return
		}
	}
	v := b.environ[name]
	if name == "SERVER_ADDR" {
		v = redactUserinfo(v)
	}
	b.fields = append(b.fields, FieldError{Var: name, Value: v, Rule: rules[name]})
}

func (b *errs) check(name string, ok bool) {
	if !ok {
		b.add(name)
	}
}

func (b *errs) err() error {
	if len(b.fields) == 0 {
		return nil
	}
	slices.SortFunc(b.fields, func(x, y FieldError) int { return b.order[x.Var] - b.order[y.Var] })
	return &Error{Fields: b.fields}
}

// parse checks the required variables (an empty value counts as unset:
// Kubernetes renders `value: ""` for an unset Helm value), then lets
// caarlos0/env convert every value, collecting what it cannot convert.
func parse[T any](environ map[string]string) (T, *errs, error) {
	var zero T
	params, err := env.GetFieldParams(&zero)
	if err != nil {
		return zero, nil, err
	}
	bad := &errs{environ: environ, order: map[string]int{}}
	for i, p := range params {
		if p.Required && environ[p.Key] == "" {
			return zero, nil, &MissingError{Var: p.Key}
		}
		bad.order[p.Key] = i
	}
	c, err := env.ParseAsWithOptions[T](env.Options{Environment: environ})
	var agg env.AggregateError
	if errors.As(err, &agg) {
		for _, e := range agg.Errors {
			var pe env.ParseError
			if !errors.As(e, &pe) {
				return zero, nil, err // not reachable with the tags above
			}
			f, _ := reflect.TypeFor[T]().FieldByName(pe.Name)
			name, _, _ := strings.Cut(f.Tag.Get("env"), ",")
			bad.add(name)
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
	if !ok {
		bad.add("SERVER_ADDR")
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
