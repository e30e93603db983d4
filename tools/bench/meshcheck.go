package main

import (
	"cmp"
	"fmt"
	"path/filepath"
	"slices"
	"syscall"
	"time"
)

// meshcheckRun is the whole meshcheck process on one input: the median wall
// time of its runs and the highest peak RSS of any, from getrusage as
// /usr/bin/time reports it. The kernel counts in that peak the harness's own
// resident set at the fork, so it is an upper bound.
type meshcheckRun struct {
	wall time.Duration
	peak int64
}

func (r meshcheckRun) String() string {
	return fmt.Sprintf("%s, %.0f MB", r.wall.Round(time.Millisecond), float64(r.peak)/1e6)
}

func (b *bench) runMeshcheck(path string, runs int) (meshcheckRun, error) {
	var walls []time.Duration
	var r meshcheckRun
	for range runs {
		t0 := time.Now()
		p, err := b.start(time.Minute, nil, b.path("meshcheck"), path)
		if err != nil {
			return meshcheckRun{}, err
		}
		if err := p.wait(); err != nil {
			return meshcheckRun{}, fmt.Errorf("%s: %w", path, err)
		}
		walls = append(walls, time.Since(t0))
		r.peak = max(r.peak, p.ProcessState.SysUsage().(*syscall.Rusage).Maxrss*1024) // kB on Linux
	}
	r.wall = median(walls)
	return r, nil
}

// meshcheckRows times meshcheck on the inputs its BenchmarkLoadCheck writes
// (the usual shape at three sizes, and many Services selecting the same pods,
// the shape where a quadratic match would show) and on a committed render.
func (b *bench) meshcheckRows() ([]row, error) {
	m := map[int]meshcheckRun{}
	for _, n := range []int{100, 1000, 10000} {
		r, err := b.runMeshcheck(filepath.Join(b.bin, "bench-inputs", fmt.Sprintf("objects=%d.yaml", n)), 3)
		if err != nil {
			return nil, err
		}
		m[n] = r
	}
	many, err := b.runMeshcheck(filepath.Join(b.bin, "bench-inputs", "many-services=1200.yaml"), 3)
	if err != nil {
		return nil, err
	}
	render, err := b.runMeshcheck(filepath.Join(b.repo, "overlays/gke/rendered.yaml"), 5)
	if err != nil {
		return nil, err
	}
	linear := m[10000].wall.Seconds() / m[1000].wall.Seconds() / 10
	return []row{
		{"meshcheck on 100 / 1,000 / 10,000 objects, whole process, median of 3", fmt.Sprintf("%s / %s / %s", m[100], m[1000], m[10000]),
			"10,000: < 2 s and < 300 MB", judged(m[10000].wall < 2*time.Second && m[10000].peak < 300e6)},
		{"meshcheck time per object, 10,000 objects / 1,000", fmt.Sprintf("%.2f", linear), "<= 1.5 (linear)", judged(linear <= 1.5)},
		{"meshcheck on 1,200 Services and 1,200 Deployments all selecting one app, median of 3", many.String(),
			"< 2 s and < 200 MB", judged(many.wall < 2*time.Second && many.peak < 200e6)},
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
