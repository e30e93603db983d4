package main

import (
	"math"
	"strings"
	"testing"
)

func TestParseFortio(t *testing.T) {
	for _, tc := range []struct {
		name, json string
		want       float64 // 0: an error naming what is wrong
		err        string
	}{
		{"200s only", `{"RunType":"HTTP","ActualQPS":999.4,"ActualDuration":2000000000,"NumThreads":2,"Version":"1.66.5","RetCodes":{"200":2000}}`, 1000, ""},
		{"errors are not counted", `{"ActualDuration":4000000000,"RetCodes":{"200":8000,"-1":12}}`, 2000, ""},
		{"no 200", `{"ActualDuration":4000000000,"RetCodes":{"503":8000}}`, 0, "no 200 responses"},
		{"no duration", `{"RetCodes":{"200":8000}}`, 0, "ActualDuration 0"},
		{"not JSON", `fortio 1.66.5`, 0, "not fortio's JSON"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := parseFortio([]byte(tc.json))
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Errorf("got %v, %v; want an error with %q", got, err, tc.err)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Errorf("got %v, %v; want %v", got, err, tc.want)
			}
		})
	}
}

func FuzzParseFortio(f *testing.F) {
	f.Add([]byte(`{"ActualDuration":2000000000,"RetCodes":{"200":2000}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		if rps, err := parseFortio(data); err == nil && (rps <= 0 || math.IsInf(rps, 0) || math.IsNaN(rps)) {
			t.Errorf("%q: %v responses a second, without an error", data, rps)
		}
	})
}
