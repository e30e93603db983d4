// Package cli is the meshcheck command line: flags, exit codes and output.
package cli

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	iofs "io/fs"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/asm-ready/asm-ready/tools/meshcheck"
	"github.com/asm-ready/asm-ready/tools/meshcheck/format"
)

// Exit codes.
const (
	ExitClean    = 0 // no finding at or above --fail-on
	ExitFindings = 1 // findings at or above --fail-on
	ExitUsage    = 2 // bad flags or bad input
)

// Usage is the --help text.
const Usage = `meshcheck checks rendered Kubernetes manifests for Istio / Cloud Service Mesh readiness.

Usage:
  meshcheck [flags] PATH...    check files, directories (recursive: *.yaml, *.yml, *.json) or - (stdin)
  meshcheck rules [--format text|json]   list every rule with its rationale
  meshcheck version            print the version

Flags (before or after the paths):
  --format text|json|github|sarif   output format (default text)
  --fail-on error|warning|info      lowest severity that fails the run (default warning)
  --ignore RULE[,RULE]              suppress rules for this run, by ID or name (repeatable)
  --mesh                            require injection-enabled namespaces for every workload
                                    (default: on when a Namespace in the input has an injection
                                    label; --mesh=false turns that off)
  --namespace NAME                  namespace of objects without metadata.namespace (default "default")
  --each                            check each PATH as its own set of objects (e.g. one render per
                                    overlay) and report them together; default: all PATHs are one set
  -h, --help                        show this help

Suppress rules on one object with the annotation
  meshcheck.asm-ready.dev/ignore: "MC002,MC013"
(on the object, or on a workload's pod template). Suppressed findings are counted in the summary.

Exit status: 0 clean, 1 findings at or above --fail-on, 2 usage or input error (in every format).

Examples:
  helm template charts/asm-ready | meshcheck -
  kustomize build overlays/gke | meshcheck --mesh --format github -
  meshcheck --format sarif manifests/ > meshcheck.sarif
`

// Run runs meshcheck with args (without the program name) and returns the
// exit code.
func Run(args []string, stdin io.Reader, stdout, stderr io.Writer, version, commit string) int {
	if len(args) > 0 {
		switch args[0] {
		case "rules":
			return runRules(args[1:], stdout, stderr)
		case "version":
			fmt.Fprintf(stdout, "meshcheck %s (commit %s)\n", version, commit)
			return ExitClean
		case "help":
			fmt.Fprint(stdout, Usage)
			return ExitClean
		}
	}

	fs := flag.NewFlagSet("meshcheck", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	formatName := fs.String("format", "text", "")
	failOn := fs.String("fail-on", "warning", "")
	mesh := fs.Bool("mesh", false, "")
	namespace := fs.String("namespace", "default", "")
	each := fs.Bool("each", false, "")
	var ignore []string
	fs.Func("ignore", "", func(v string) error {
		for _, p := range strings.Split(v, ",") {
			if p = strings.TrimSpace(p); p != "" {
				ignore = append(ignore, p)
			}
		}
		return nil
	})

	// Go's flag package stops at the first path; keep parsing after it so
	// `meshcheck out.yaml --format github` works too.
	var paths []string
	rest := args
	for {
		if err := fs.Parse(rest); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				fmt.Fprint(stdout, Usage)
				return ExitClean
			}
			return usageError(stderr, "%v", err)
		}
		rest = fs.Args()
		if len(rest) == 0 {
			break
		}
		paths = append(paths, rest[0])
		rest = rest[1:]
	}

	sev, err := meshcheck.ParseSeverity(*failOn)
	if err != nil {
		return usageError(stderr, "--fail-on: %v", err)
	}
	if !slices.Contains(format.Names, *formatName) {
		return usageError(stderr, "--format %q: want one of %s", *formatName, strings.Join(format.Names, ", "))
	}
	for _, id := range ignore {
		if _, ok := meshcheck.LookupRule(id); !ok {
			return usageError(stderr, "--ignore %q: no such rule; `meshcheck rules` lists them", id)
		}
	}
	if *namespace == "" {
		return usageError(stderr, "--namespace: must not be empty")
	}
	if len(paths) == 0 {
		return usageError(stderr, "no input: give one or more PATHs, or - to read standard input")
	}
	opts := meshcheck.Options{Namespace: *namespace, Ignore: ignore}
	fs.Visit(func(f *flag.Flag) {
		if f.Name == "mesh" {
			opts.Mesh = meshcheck.MeshOff
			if *mesh {
				opts.Mesh = meshcheck.MeshOn
			}
		}
	})

	res := format.Result{FailOn: sev, Version: version}
	// --each checks every PATH as its own set of objects (one overlay per
	// path, say) and reports them together; otherwise all paths are one set.
	sets := [][]string{paths}
	if *each {
		sets = sets[:0]
		for _, p := range paths {
			sets = append(sets, []string{p})
		}
	}
	for _, set := range sets {
		errs, rep := checkSet(set, stdin, opts)
		res.Errors = append(res.Errors, errs...)
		if rep == nil {
			continue
		}
		if res.Report == nil {
			res.Report = rep
			continue
		}
		res.Report.Findings = append(res.Report.Findings, rep.Findings...)
		res.Report.Suppressed = append(res.Report.Suppressed, rep.Suppressed...)
		res.Report.Objects += rep.Objects
		if rep.Mesh && !res.Report.Mesh {
			res.Report.Mesh, res.Report.MeshReason = true, rep.MeshReason
		}
	}
	if len(res.Errors) > 0 {
		res.Report = nil
	}

	if len(res.Errors) > 0 && *formatName != "text" {
		// Machine formats keep stdout parseable; people still see why on stderr.
		for _, e := range res.Errors {
			fmt.Fprintf(stderr, "meshcheck: %s\n", e)
		}
	}
	out := stdout
	if len(res.Errors) > 0 && *formatName == "text" {
		out = stderr
	}
	if err := format.Write(out, *formatName, res); err != nil {
		fmt.Fprintf(stderr, "meshcheck: writing output: %v\n", err)
		return ExitUsage
	}
	switch {
	case len(res.Errors) > 0:
		return ExitUsage
	case res.Failed():
		return ExitFindings
	}
	return ExitClean
}

// checkSet loads one set of paths and checks it; input problems come back as
// errors and no report.
func checkSet(paths []string, stdin io.Reader, opts meshcheck.Options) (meshcheck.InputErrors, *meshcheck.Report) {
	objs, err := meshcheck.Load(paths, stdin)
	var inputErrs meshcheck.InputErrors
	switch {
	case errors.As(err, &inputErrs):
		return inputErrs, nil
	case err != nil:
		// I/O problems (missing file, unreadable directory) are input errors too.
		return meshcheck.InputErrors{ioError(err)}, nil
	case len(objs) == 0:
		// An empty render usually means the renderer failed upstream in a
		// pipe; passing it would hide that.
		return meshcheck.InputErrors{{File: strings.Join(paths, ", "), Msg: "no Kubernetes objects in the input; check that the render produced output"}}, nil
	}
	rep := meshcheck.Check(objs, opts)
	return nil, &rep
}

// ioError turns a file system error into an input error naming the path.
func ioError(err error) *meshcheck.InputError {
	var pe *iofs.PathError
	if errors.As(err, &pe) {
		return &meshcheck.InputError{File: pe.Path, Msg: pe.Err.Error()}
	}
	return &meshcheck.InputError{File: "input", Msg: err.Error()}
}

func usageError(stderr io.Writer, f string, a ...any) int {
	fmt.Fprintf(stderr, "meshcheck: %s\nRun 'meshcheck --help' for usage.\n", fmt.Sprintf(f, a...))
	return ExitUsage
}

func runRules(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("meshcheck rules", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	formatName := fs.String("format", "text", "")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprint(stdout, Usage)
			return ExitClean
		}
		return usageError(stderr, "rules: %v", err)
	}
	if fs.NArg() > 0 {
		return usageError(stderr, "rules: unexpected argument %q", fs.Arg(0))
	}
	switch *formatName {
	case "json":
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(meshcheck.Rules); err != nil {
			return ExitUsage
		}
		return ExitClean
	case "text":
	default:
		return usageError(stderr, "rules --format %q: want text or json", *formatName)
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tSEVERITY\tISTIOCTL\tNAME\tSUMMARY")
	for _, r := range meshcheck.Rules {
		code := r.IstioCode
		if code == "" {
			code = "-"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", r.ID, r.Severity, code, r.Name, r.Summary)
	}
	tw.Flush()
	fmt.Fprintln(stdout)
	fmt.Fprintf(stdout, "Scope: %s\n\n", meshcheck.Scope)
	for _, r := range meshcheck.Rules {
		fmt.Fprintf(stdout, "%s %s (%s)\n  why: %s\n  fix: %s\n", r.ID, r.Name, r.Severity, r.Rationale, r.Fix)
		if r.VsIstio != "" {
			fmt.Fprintf(stdout, "  vs istioctl: %s\n", r.VsIstio)
		}
		fmt.Fprintln(stdout)
	}
	return ExitClean
}
