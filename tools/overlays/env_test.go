package overlays

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/asm-ready/asm-ready/tools/internal/cachedir"
	"github.com/asm-ready/asm-ready/tools/overlays/internal/kubeval"
	"github.com/asm-ready/asm-ready/tools/overlays/internal/pinned"
	"github.com/asm-ready/asm-ready/tools/overlays/internal/schemagen"
)

// buildTimeout bounds building a pinned tool or the render command. A cold
// skaffold build takes minutes; `make tools` builds it before the tests.
const buildTimeout = 20 * time.Minute

var scratch string // removed by TestMain

func TestMain(m *testing.M) {
	var err error
	scratch, err = os.MkdirTemp("", "overlays-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(scratch)
	os.Exit(code)
}

// once runs f a single time per test binary and replays its result.
type once[T any] struct {
	o   sync.Once
	v   T
	err error
}

func (o *once[T]) get(t *testing.T, f func() (T, error)) T {
	t.Helper()
	o.o.Do(func() { o.v, o.err = f() })
	if o.err != nil {
		t.Fatal(o.err)
	}
	return o.v
}

var (
	rootOnce      once[string]
	cacheOnce     once[string]
	validatorOnce once[map[string]*kubeval.Validator]
	renderOnce    once[string]
	kustomizeOnce once[string]
	skaffoldOnce  once[string]
)

// root is the repository root: go test runs in tools/overlays.
func root(t *testing.T) string {
	return rootOnce.get(t, func() (string, error) { return filepath.Abs(filepath.Join("..", "..")) })
}

func cache(t *testing.T) string {
	return cacheOnce.get(t, cachedir.Dir)
}

// validators are kubeconform -strict for each Kubernetes version the chart
// is tested against, keyed by version.
func validators(t *testing.T) map[string]*kubeval.Validator {
	return validatorOnce.get(t, func() (map[string]*kubeval.Validator, error) {
		ctx, cancel := context.WithTimeout(context.Background(), buildTimeout)
		defer cancel()
		dir, err := schemagen.Generate(ctx, cache(t))
		if err != nil {
			return nil, err
		}
		out := map[string]*kubeval.Validator{}
		for _, v := range schemagen.KubernetesVersions {
			if out[v], err = kubeval.New(dir, v); err != nil {
				return nil, err
			}
		}
		return out, nil
	})
}

// validator is kubeconform -strict for the newest Kubernetes version.
func validator(t *testing.T) *kubeval.Validator {
	return validators(t)[schemagen.KubernetesVersions[len(schemagen.KubernetesVersions)-1]]
}

// renderBin builds the chart render command (tools/cmd/render), the same
// program `make render` runs.
func renderBin(t *testing.T) string {
	return renderOnce.get(t, func() (string, error) {
		ctx, cancel := context.WithTimeout(context.Background(), buildTimeout)
		defer cancel()
		bin := filepath.Join(scratch, "render")
		cmd := exec.CommandContext(ctx, "go", "build", "-o", bin, "./cmd/render")
		cmd.Dir = filepath.Join(root(t), "tools")
		cmd.Env = append(os.Environ(), "GOWORK=off")
		if out, err := cmd.CombinedOutput(); err != nil {
			return "", fmt.Errorf("building tools/cmd/render: %v\n%s", err, out)
		}
		return bin, nil
	})
}

// render runs the render command on the repository's chart with args, the
// way make render and make check-render do, and returns what it prints.
func render(t *testing.T, args ...string) ([]byte, error) {
	args = append([]string{"-chart", filepath.Join(root(t), "charts", "asm-ready")}, args...)
	bin := renderBin(t) // built before the run's time limit starts
	out, err := exec.CommandContext(ctx(t, 2*time.Minute), bin, args...).Output()
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		err = fmt.Errorf("render %s: %v: %s", strings.Join(args, " "), err, exit.Stderr)
	}
	return out, err
}

func kustomizeBin(t *testing.T) string {
	return kustomizeOnce.get(t, func() (string, error) {
		ctx, cancel := context.WithTimeout(context.Background(), buildTimeout)
		defer cancel()
		return pinned.Kustomize.Ensure(ctx, root(t), cache(t))
	})
}

func skaffoldBin(t *testing.T) string {
	return skaffoldOnce.get(t, func() (string, error) {
		ctx, cancel := context.WithTimeout(context.Background(), buildTimeout)
		defer cancel()
		return pinned.Skaffold.Ensure(ctx, root(t), cache(t))
	})
}

func ctx(t *testing.T, d time.Duration) context.Context {
	c, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return c
}
