package chart_test

import (
	"fmt"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"

	hsconfig "github.com/asm-ready/asm-ready/services/helloserver/config"
	lgconfig "github.com/asm-ready/asm-ready/services/loadgen/config"
	"github.com/asm-ready/asm-ready/tools/internal/render"
)

// TestSchemaBoundsMatchServices: every bound values.schema.json puts on a
// value the chart hands to a program equals the bound that program's config
// package enforces, or is the chart's own with its reason. The chart's
// stricter rules (ports below 1024 or in Istio's range, the drain) and the
// rate's bounds (text as well as numbers) are in the templates, held to the
// programs by TestChartAgreesWithServices.
func TestSchemaBoundsMatchServices(t *testing.T) {
	type bound struct {
		want float64
		why  string // empty: the program's own bound
	}
	const props = "/properties/"
	bounds := map[string]bound{
		"helloserver/containerPort minimum":                 {hsconfig.MinPort, ""},
		"helloserver/containerPort maximum":                 {hsconfig.MaxPort, ""},
		"loadgen/containerPort minimum":                     {lgconfig.MinPort, ""},
		"loadgen/containerPort maximum":                     {lgconfig.MaxPort, ""},
		"helloserver/service/port minimum":                  {lgconfig.MinPort, ""}, // in loadgen's SERVER_ADDR
		"helloserver/service/port maximum":                  {lgconfig.MaxPort, ""},
		"loadgen/service/port minimum":                      {1, "a Service port"},
		"loadgen/service/port maximum":                      {65535, "a Service port"},
		"helloserver/terminationGracePeriodSeconds minimum": {1, "TERMINATION_GRACE_PERIOD must be above 0 (in whole seconds)"},
		"helloserver/terminationGracePeriodSeconds maximum": {300, "the chart's: a rollout should not wait longer"},
		"loadgen/terminationGracePeriodSeconds minimum":     {1, "the chart's: a grace period of 0 kills at once"},
		"loadgen/terminationGracePeriodSeconds maximum":     {300, "the chart's: a rollout should not wait longer"},
	}
	// Values that reach a program's environment: each of their bounds must be listed above.
	handed := []string{"requestsPerSecond", "containerPort", "service/port", "terminationGracePeriodSeconds"}
	seen := map[string]bool{}
	walkSchema(loadSchema(t), "", func(path string, s map[string]any) {
		p := strings.ReplaceAll(strings.TrimPrefix(path, props), props, "/")
		for _, kw := range []string{"minimum", "maximum"} {
			v, ok := s[kw].(float64)
			if !ok {
				continue
			}
			key := p + " " + kw
			b, listed := bounds[key]
			if !listed {
				for _, h := range handed {
					if strings.HasSuffix(p, "/"+h) {
						t.Errorf("%s = %v reaches a program but is not compared with its config: add it to this table", key, v)
					}
				}
				continue
			}
			seen[key] = true
			if v != b.want {
				source := "the service's config"
				if b.why != "" {
					source = b.why
				}
				t.Errorf("%s = %v, want %v (%s)", key, v, b.want, source)
			}
		}
	})
	for key := range bounds {
		if !seen[key] {
			t.Errorf("values.schema.json has no %s", key)
		}
	}
}

// envOf is the environment a container starts with (valueFrom entries such
// as POD_NAME are left out: the program falls back to its own default).
func envOf(c corev1.Container) map[string]string {
	env := map[string]string{}
	for _, e := range c.Env {
		if e.ValueFrom == nil {
			env[e.Name] = e.Value
		}
	}
	return env
}

// programs are the config loaders of the three containers the chart renders.
var programs = map[string]struct {
	container func(t *testing.T, res *render.Result) corev1.Container
	load      func(env map[string]string) error
}{
	"helloserver": {
		func(t *testing.T, res *render.Result) corev1.Container {
			return decode(t, res.Manifest).deployment(t, "helloserver").Spec.Template.Spec.Containers[0]
		},
		func(env map[string]string) error { _, err := hsconfig.Load(env); return err },
	},
	"loadgen": {
		func(t *testing.T, res *render.Result) corev1.Container {
			return decode(t, res.Manifest).deployment(t, "loadgenerator").Spec.Template.Spec.Containers[0]
		},
		func(env map[string]string) error { _, err := lgconfig.Load(env); return err },
	},
	"check": {
		func(t *testing.T, res *render.Result) corev1.Container { return testPod(t, res).Spec.Containers[0] },
		func(env map[string]string) error { _, err := lgconfig.LoadCheck(env); return err },
	},
}

// TestChartAgreesWithServices holds the chart's checks to the programs'
// own: whatever renders starts (the program accepts the environment the chart
// rendered), and whatever a program refuses at start (a crash loop) the
// chart refuses too, naming the key. Pairs on each side of a bound prove the
// chart's bound is the program's, taken from its config package.
func TestChartAgreesWithServices(t *testing.T) {
	const (
		ok     = "ok"     // renders, and the program accepts what was rendered
		binary = "binary" // the program refuses it, so the chart must
		chart  = "chart"  // the chart's own rule (mesh, Deployment): the program would accept it
	)
	g := func(f float64) string { return fmt.Sprint(f) }
	cases := []struct {
		program, values string
		env             map[string]string // what the values set in the program's environment
		want, key       string            // key: named in the chart's error
	}{
		{"helloserver", ``, map[string]string{"TERMINATION_GRACE_PERIOD": "5s"}, ok, ""},
		{"helloserver", `{helloserver: {terminationGracePeriodSeconds: 4}}`, map[string]string{"TERMINATION_GRACE_PERIOD": "4s"}, binary, "helloserver.terminationGracePeriodSeconds"},
		{"helloserver", `{helloserver: {terminationGracePeriodSeconds: 3, extraEnv: {SHUTDOWN_DELAY: "0s"}}}`, map[string]string{"TERMINATION_GRACE_PERIOD": "3s", "SHUTDOWN_DELAY": "0s"}, ok, ""},
		{"helloserver", `{helloserver: {extraEnv: {SHUTDOWN_DELAY: 10s}}}`, map[string]string{"SHUTDOWN_DELAY": "10s"}, binary, "helloserver.terminationGracePeriodSeconds"},
		{"helloserver", `{helloserver: {extraEnv: {SHUTDOWN_DELAY: 2500ms, SHUTDOWN_TIMEOUT: 2499ms}}}`, map[string]string{"SHUTDOWN_DELAY": "2500ms", "SHUTDOWN_TIMEOUT": "2499ms"}, ok, ""},
		{"helloserver", `{helloserver: {extraEnv: {SHUTDOWN_DELAY: 2500ms, SHUTDOWN_TIMEOUT: 2.5s}}}`, map[string]string{"SHUTDOWN_DELAY": "2500ms", "SHUTDOWN_TIMEOUT": "2.5s"}, binary, "helloserver.terminationGracePeriodSeconds"},
		{"helloserver", `{helloserver: {extraEnv: {SHUTDOWN_DELAY: "-1s"}}}`, map[string]string{"SHUTDOWN_DELAY": "-1s"}, binary, "helloserver.extraEnv.SHUTDOWN_DELAY"},
		{"helloserver", `{helloserver: {extraEnv: {SHUTDOWN_TIMEOUT: "0"}}}`, map[string]string{"SHUTDOWN_TIMEOUT": "0"}, binary, "helloserver.extraEnv.SHUTDOWN_TIMEOUT"},
		{"helloserver", `{helloserver: {extraEnv: {READ_TIMEOUT: 1ms, IDLE_TIMEOUT: 1h30m, WRITE_TIMEOUT: 0.5s}}}`, map[string]string{"READ_TIMEOUT": "1ms", "IDLE_TIMEOUT": "1h30m", "WRITE_TIMEOUT": "0.5s"}, ok, ""},
		{"helloserver", `{helloserver: {extraEnv: {READ_HEADER_TIMEOUT: soon}}}`, map[string]string{"READ_HEADER_TIMEOUT": "soon"}, binary, "helloserver.extraEnv.READ_HEADER_TIMEOUT"},
		{"helloserver", fmt.Sprintf(`{helloserver: {extraEnv: {MAX_HEADER_BYTES: %d}}}`, hsconfig.MinHeaderBytes), map[string]string{"MAX_HEADER_BYTES": fmt.Sprint(hsconfig.MinHeaderBytes)}, ok, ""},
		{"helloserver", fmt.Sprintf(`{helloserver: {extraEnv: {MAX_HEADER_BYTES: %d}}}`, hsconfig.MinHeaderBytes-1), map[string]string{"MAX_HEADER_BYTES": fmt.Sprint(hsconfig.MinHeaderBytes - 1)}, binary, "helloserver.extraEnv.MAX_HEADER_BYTES"},
		{"helloserver", fmt.Sprintf(`{helloserver: {extraEnv: {MAX_HEADER_BYTES: "%d"}}}`, hsconfig.MaxHeaderBytes), map[string]string{"MAX_HEADER_BYTES": fmt.Sprint(hsconfig.MaxHeaderBytes)}, ok, ""},
		{"helloserver", fmt.Sprintf(`{helloserver: {extraEnv: {MAX_HEADER_BYTES: "%d"}}}`, hsconfig.MaxHeaderBytes+1), map[string]string{"MAX_HEADER_BYTES": fmt.Sprint(hsconfig.MaxHeaderBytes + 1)}, binary, "helloserver.extraEnv.MAX_HEADER_BYTES"},
		{"helloserver", `{helloserver: {extraEnv: {LOG_HEADERS: false, LOG_PROBES: "T"}}}`, map[string]string{"LOG_HEADERS": "false", "LOG_PROBES": "T"}, ok, ""},
		{"helloserver", `{helloserver: {extraEnv: {LOG_PROBES: maybe}}}`, map[string]string{"LOG_PROBES": "maybe"}, binary, "helloserver.extraEnv.LOG_PROBES"},
		{"helloserver", `{helloserver: {extraEnv: {LOG_HEADERS: ""}}}`, map[string]string{"LOG_HEADERS": ""}, ok, ""},
		{"helloserver", `{helloserver: {containerPort: 15020}}`, map[string]string{"PORT": "15020"}, chart, "helloserver.containerPort"},
		{"helloserver", `{securityContext: {runAsUser: 1337}}`, nil, chart, "securityContext.runAsUser"},

		{"loadgen", ``, map[string]string{"REQUESTS_PER_SECOND": "10", "PORT": "8081"}, ok, ""},
		{"loadgen", `{loadgen: {requestsPerSecond: ` + g(lgconfig.MinRate) + `}}`, nil, ok, ""},
		{"loadgen", `{loadgen: {requestsPerSecond: "` + g(lgconfig.MinRate*0.9) + `"}}`, map[string]string{"REQUESTS_PER_SECOND": g(lgconfig.MinRate * 0.9)}, binary, "loadgen.requestsPerSecond"},
		{"loadgen", `{loadgen: {requestsPerSecond: ` + g(lgconfig.MaxRate) + `}}`, nil, ok, ""},
		{"loadgen", `{loadgen: {requestsPerSecond: "` + g(lgconfig.MaxRate+1) + `"}}`, map[string]string{"REQUESTS_PER_SECOND": g(lgconfig.MaxRate + 1)}, binary, "loadgen.requestsPerSecond"},
		{"loadgen", `{loadgen: {requestsPerSecond: "0.5"}}`, map[string]string{"REQUESTS_PER_SECOND": "0.5"}, ok, ""},
		{"loadgen", `{loadgen: {requestsPerSecond: MAX}}`, map[string]string{"REQUESTS_PER_SECOND": "MAX"}, ok, ""},
		{"loadgen", `{loadgen: {requestsPerSecond: "NaN"}}`, map[string]string{"REQUESTS_PER_SECOND": "NaN"}, binary, "loadgen.requestsPerSecond"},
		{"loadgen", `{loadgen: {extraEnv: {MAX_IN_FLIGHT: "1"}}}`, map[string]string{"MAX_IN_FLIGHT": "1"}, ok, ""},
		{"loadgen", `{loadgen: {extraEnv: {MAX_IN_FLIGHT: 0}}}`, map[string]string{"MAX_IN_FLIGHT": "0"}, binary, "loadgen.extraEnv.MAX_IN_FLIGHT"},
		{"loadgen", fmt.Sprintf(`{loadgen: {extraEnv: {MAX_IN_FLIGHT: %d}}}`, lgconfig.MaxInFlight), map[string]string{"MAX_IN_FLIGHT": fmt.Sprint(lgconfig.MaxInFlight)}, ok, ""},
		{"loadgen", fmt.Sprintf(`{loadgen: {extraEnv: {MAX_IN_FLIGHT: %d}}}`, lgconfig.MaxInFlight+1), map[string]string{"MAX_IN_FLIGHT": fmt.Sprint(lgconfig.MaxInFlight + 1)}, binary, "loadgen.extraEnv.MAX_IN_FLIGHT"},
		{"loadgen", `{loadgen: {extraEnv: {REQUEST_TIMEOUT: ` + lgconfig.MaxDuration.String() + `}}}`, map[string]string{"REQUEST_TIMEOUT": lgconfig.MaxDuration.String()}, ok, ""},
		{"loadgen", `{loadgen: {extraEnv: {REQUEST_TIMEOUT: ` + (lgconfig.MaxDuration + 1e6).String() + `}}}`, map[string]string{"REQUEST_TIMEOUT": (lgconfig.MaxDuration + 1e6).String()}, binary, "loadgen.extraEnv.REQUEST_TIMEOUT"},
		{"loadgen", `{loadgen: {extraEnv: {LATE_TOLERANCE: 0s}}}`, map[string]string{"LATE_TOLERANCE": "0s"}, binary, "loadgen.extraEnv.LATE_TOLERANCE"},
		{"loadgen", `{loadgen: {extraEnv: {REPORT_INTERVAL: ` + lgconfig.MinReportInterval.String() + `}}}`, map[string]string{"REPORT_INTERVAL": lgconfig.MinReportInterval.String()}, ok, ""},
		{"loadgen", `{loadgen: {extraEnv: {REPORT_INTERVAL: ` + (lgconfig.MinReportInterval - 1e6).String() + `}}}`, map[string]string{"REPORT_INTERVAL": (lgconfig.MinReportInterval - 1e6).String()}, binary, "loadgen.extraEnv.REPORT_INTERVAL"},
		{"loadgen", `{loadgen: {extraEnv: {SHUTDOWN_TIMEOUT: 0s, MIN_SUCCESS: "0", MAX_FAILURE_RATIO: 1}}}`, map[string]string{"SHUTDOWN_TIMEOUT": "0s", "MIN_SUCCESS": "0", "MAX_FAILURE_RATIO": "1"}, ok, ""},
		{"loadgen", `{loadgen: {extraEnv: {SHUTDOWN_TIMEOUT: 25h}}}`, map[string]string{"SHUTDOWN_TIMEOUT": "25h"}, binary, "loadgen.extraEnv.SHUTDOWN_TIMEOUT"},
		{"loadgen", `{loadgen: {extraEnv: {MAX_FAILURE_RATIO: 1.5}}}`, map[string]string{"MAX_FAILURE_RATIO": "1.5"}, binary, "loadgen.extraEnv.MAX_FAILURE_RATIO"},
		{"loadgen", `{loadgen: {extraEnv: {MIN_SUCCESS: "-1"}}}`, map[string]string{"MIN_SUCCESS": "-1"}, binary, "loadgen.extraEnv.MIN_SUCCESS"},
		{"loadgen", `{loadgen: {extraEnv: {DURATION: 10m}}}`, map[string]string{"DURATION": "10m"}, chart, "loadgen.extraEnv.DURATION"},
		{"loadgen", `{loadgen: {containerPort: 15006}}`, map[string]string{"PORT": "15006"}, chart, "loadgen.containerPort"},
		{"loadgen", `{helloserver: {service: {port: 8080}}}`, map[string]string{"SERVER_ADDR": "http://hellosvc:8080/"}, ok, ""},

		{"check", ``, map[string]string{"CHECK_TIMEOUT": "60s"}, ok, ""},
		{"check", `{tests: {timeout: ` + lgconfig.MaxDuration.String() + `}}`, map[string]string{"CHECK_TIMEOUT": lgconfig.MaxDuration.String()}, ok, ""},
		{"check", `{tests: {timeout: 25h}}`, map[string]string{"CHECK_TIMEOUT": "25h"}, binary, "tests.timeout"},
		{"check", `{tests: {timeout: 0s}}`, map[string]string{"CHECK_TIMEOUT": "0s"}, binary, "tests.timeout"},
	}
	defaults := renderValues(t, ``)
	for _, tc := range cases {
		t.Run(tc.program+" "+tc.values, func(t *testing.T) {
			p := programs[tc.program]
			res, err := render.Render(theChart(t), vals(t, tc.values), render.Options{Namespace: namespace})
			if tc.want == ok {
				if err != nil {
					t.Fatalf("the chart refuses values %s, which %s accepts: %v", tc.values, tc.program, err)
				}
				env := envOf(p.container(t, res))
				for k, v := range tc.env {
					if env[k] != v {
						t.Errorf("rendered %s=%q, want %q", k, env[k], v)
					}
				}
				if err := p.load(env); err != nil {
					t.Errorf("the chart rendered an environment %s refuses at start: %v", tc.program, err)
				}
				return
			}
			if err == nil {
				t.Fatalf("the chart renders values %s, want it refused (%s)", tc.values, tc.want)
			}
			if !strings.Contains(err.Error(), tc.key) {
				t.Errorf("the error does not name %s:\n%v", tc.key, err)
			}
			if tc.env == nil {
				return
			}
			env := envOf(p.container(t, defaults))
			for k, v := range tc.env {
				env[k] = v
			}
			loadErr := p.load(env)
			if tc.want == binary && loadErr == nil {
				t.Errorf("%s accepts %v, so the chart need not refuse it", tc.program, tc.env)
			}
			if tc.want == chart && loadErr != nil {
				t.Errorf("%s refuses %v itself (%v): mark the case %q", tc.program, tc.env, loadErr, binary)
			}
		})
	}
}
