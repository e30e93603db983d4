package stats

import (
	"math"
	"testing"
	"time"
)

func TestPercentile(t *testing.T) {
	hundred := make([]int64, 100)
	for i := range hundred {
		hundred[i] = int64(i + 1)
	}
	thousand := make([]int64, 1000)
	for i := range thousand {
		thousand[i] = int64(i + 1)
	}
	tests := []struct {
		name string
		in   []int64
		p    float64
		want int64
	}{
		{"empty", nil, 50, 0},
		{"single", []int64{7}, 99.9, 7},
		{"p50 of 1..100", hundred, 50, 50},
		{"p99 of 1..100", hundred, 99, 99},
		{"p99.9 of 1..100 is the max", hundred, 99.9, 100},
		{"p99.9 of 1..1000 is the 999th", thousand, 99.9, 999},
		{"p100", hundred, 100, 100},
		{"p0 is the min", hundred, 0, 1},
		{"p1 of 1..100", hundred, 1, 1},
		{"p50 of two rounds up to the lower", []int64{1, 2}, 50, 1},
		{"p51 of two", []int64{1, 2}, 51, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Percentile(tt.in, tt.p); got != tt.want {
				t.Errorf("Percentile(%v, %v) = %v, want %v", tt.in, tt.p, got, tt.want)
			}
		})
	}
	if got := Percentile([]time.Duration{time.Millisecond, time.Second}, 99); got != time.Second {
		t.Errorf("duration p99 = %v, want 1s", got)
	}
}

func TestSummarize(t *testing.T) {
	tests := []struct {
		name string
		in   []float64
		want Spread
	}{
		{"empty", nil, Spread{}},
		{"odd", []float64{3, 1, 2}, Spread{Median: 2, Min: 1, Max: 3, N: 3}},
		{"even averages the middle", []float64{4, 1, 3, 2}, Spread{Median: 2.5, Min: 1, Max: 4, N: 4}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := append([]float64(nil), tt.in...)
			if got := Summarize(tt.in); got != tt.want {
				t.Errorf("Summarize(%v) = %+v, want %+v", tt.in, got, tt.want)
			}
			for i := range in {
				if in[i] != tt.in[i] {
					t.Fatalf("Summarize modified its input: %v", tt.in)
				}
			}
		})
	}
}

func TestRatio(t *testing.T) {
	if got := Ratio(9, 10); got != 0.9 {
		t.Errorf("Ratio(9,10) = %v", got)
	}
	if got := Ratio(1, 0); !math.IsNaN(got) {
		t.Errorf("Ratio(1,0) = %v, want NaN", got)
	}
}
