package main

import (
	"cmp"
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"time"
)

// meshcheckRun is the whole meshcheck process on one input: the median
// wall time of its runs and the highest peak RSS of any.
type meshcheckRun struct {
	wall   time.Duration
	peak   int64
	atMost bool // peak is not above the harness's own: see maxRSS
}

func (b *bench) runMeshcheck(ctx context.Context, path string, runs int) (meshcheckRun, error) {
	var walls []time.Duration
	var r meshcheckRun
	for range runs {
		p, err := b.start(ctx, time.Minute, nil, b.path("meshcheck"), path)
		if err != nil {
			return meshcheckRun{}, err
		}
		if err := p.wait(); err != nil {
			return meshcheckRun{}, fmt.Errorf("%s: %w", path, err)
		}
		peak, atMost := p.maxRSS()
		walls, r.peak, r.atMost = append(walls, p.wall), max(r.peak, peak), r.atMost || atMost
	}
	r.wall = median(walls)
	return r, nil
}

func (r meshcheckRun) String() string {
	if r.atMost {
		return fmt.Sprintf("%s, at most %.0f MB", r.wall.Round(time.Millisecond), float64(r.peak)/1e6)
	}
	return fmt.Sprintf("%s, %.0f MB", r.wall.Round(time.Millisecond), float64(r.peak)/1e6)
}

func (b *bench) meshcheckRows(ctx context.Context) ([]row, error) {
	// The files meshcheck's BenchmarkLoadCheck writes, by object count;
	// many-services holds 1,200 Services and 1,200 Deployments all selecting
	// one app, and their Namespace.
	m := map[float64]meshcheckRun{}
	for _, in := range []struct {
		objects float64
		name    string
	}{{100, "objects=100"}, {1000, "objects=1000"}, {10000, "objects=10000"}, {2401, "many-services=1200"}} {
		r, err := b.runMeshcheck(ctx, filepath.Join(b.bin, "bench-inputs", in.name+".yaml"), 3)
		if err != nil {
			return nil, err
		}
		m[in.objects] = r
	}
	render, err := b.runMeshcheck(ctx, filepath.Join(b.repo, "overlays/gke/rendered.yaml"), 5)
	if err != nil {
		return nil, err
	}
	perObject := func(n float64) float64 { return m[n].wall.Seconds() / n }
	linear, many := perObject(10000)/perObject(1000), perObject(2401)/perObject(10000)
	return []row{
		{"meshcheck on 100 / 1,000 / 10,000 objects, whole process, median of 3", fmt.Sprintf("%s / %s / %s", m[100], m[1000], m[10000]),
			"10,000: < 2 s and < 300 MB", judged(m[10000].wall < 2*time.Second && m[10000].peak < 300e6)},
		{"meshcheck time per object, 10,000 objects / 1,000", fmt.Sprintf("%.2f", linear), "<= 1.5 (linear)", judged(linear <= 1.5)},
		{"meshcheck on 1,200 Services + 1,200 Deployments all selecting one app: time per object / 10,000 objects'",
			fmt.Sprintf("%.2f (%s)", many, m[2401]), "<= 1.5 (linear)", judged(many <= 1.5)},
		{"meshcheck on overlays/gke/rendered.yaml, whole process, median of 5", render.wall.Round(100 * time.Microsecond).String(),
			"< 50 ms", judged(render.wall < 50*time.Millisecond)},
	}, nil
}

// median of an odd number of values; the upper middle one of an even number.
func median[T cmp.Ordered](xs []T) T {
	s := slices.Clone(xs)
	slices.Sort(s)
	return s[len(s)/2]
}
