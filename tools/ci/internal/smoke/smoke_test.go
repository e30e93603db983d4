package smoke

import (
	"fmt"
	"strings"
	"testing"
)

// line renders a summary line the way loadgen's JSON logger writes it.
func line(ok, status, transport uint64) string {
	n := ok + status + transport
	return fmt.Sprintf(`{"time":"2026-11-27T18:00:00Z","severity":"INFO","message":"%d request(s) complete to http://hellosvc/","ok":%d,"failed_status":%d,"failed_transport":%d,"late":0,"sent":%d,"p50_ms":1.2,"p99_ms":3.4,"in_flight":0}`, n, ok, status, transport, n)
}

func TestJudge(t *testing.T) {
	start := `{"time":"2026-11-27T18:00:00Z","severity":"INFO","message":"Starting loadgen: 2026-11-27T18:00:00Z"}`
	tests := []struct {
		name    string
		lines   []string
		min     uint64
		wantOK  uint64
		warmup  int
		wantErr string
	}{
		{"enough", []string{start, line(10, 0, 0), line(10, 0, 0), line(10, 0, 0)}, 25, 30, 0, ""},
		{"stops at the minimum", []string{line(10, 0, 0), line(10, 0, 0), line(0, 5, 0)}, 20, 20, 0, ""},
		{"warm-up transport errors skipped", []string{line(0, 0, 10), line(3, 0, 7), line(10, 0, 0), line(10, 0, 0)}, 20, 20, 2, ""},
		{"idle warm-up skipped", []string{line(0, 0, 0), line(10, 0, 0)}, 10, 10, 1, ""},
		{"text lines ignored", []string{"plain text", "{not json", line(10, 0, 0)}, 10, 10, 0, ""},
		{"final Summary line is not an interval", []string{line(5, 0, 0), `{"message":"Summary: 100 request(s) complete to http://hellosvc/","completed":100,"ok":100}`}, 50, 5, 0, "only 5 of the 50"},
		{"too few", []string{line(10, 0, 0), line(10, 0, 0)}, 100, 20, 0, "only 20 of the 100 requests"},
		{"non-200 during warm-up", []string{line(0, 0, 10), line(0, 3, 7)}, 10, 0, 1, "3 non-200 answer(s)"},
		{"transport failure after warm-up", []string{line(10, 0, 0), line(9, 0, 1)}, 100, 19, 0, "1 failed request(s)"},
		{"status failure after warm-up", []string{line(10, 0, 0), line(8, 2, 0)}, 100, 18, 0, "failed_status=2"},
		{"aborted counts as failed", []string{line(10, 0, 0), `{"message":"10 request(s) complete to http://h/","ok":9,"failed_status":0,"failed_transport":0,"aborted":1}`}, 100, 19, 0, "aborted=1"},
		{"nothing", []string{start}, 10, 0, 0, "no loadgen summary line"},
		{"fields disagree with message", []string{`{"message":"10 request(s) complete to http://h/","ok":3}`}, 10, 0, 0, "log format changed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := Judge(strings.NewReader(strings.Join(tt.lines, "\n")), tt.min)
			if tt.wantErr == "" {
				if err != nil || !res.Reached {
					t.Fatalf("want pass, got %+v, %v", res, err)
				}
			} else if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("want error containing %q, got %+v, %v", tt.wantErr, res, err)
			}
			if res.OK != tt.wantOK || res.Warmup != tt.warmup {
				t.Errorf("OK=%d warmup=%d, want %d and %d", res.OK, res.Warmup, tt.wantOK, tt.warmup)
			}
		})
	}
}

func TestParseLine(t *testing.T) {
	l, ok, err := ParseLine([]byte(line(7, 2, 1)))
	if err != nil || !ok {
		t.Fatalf("ok=%v err=%v", ok, err)
	}
	if l.N != 10 || l.OK != 7 || l.FailedStatus != 2 || l.FailedTransport != 1 || l.Failed() != 3 || l.URL != "http://hellosvc/" {
		t.Fatalf("parsed %+v", l)
	}
	for _, s := range []string{"", "null", "[]", `{"message":"hello"}`, `{"msg":"10 request(s) complete to http://h/"}`, `{"message":"x request(s) complete to http://h/"}`} {
		if _, ok, err := ParseLine([]byte(s)); ok || err != nil {
			t.Errorf("%q: ok=%v err=%v, want not a summary line", s, ok, err)
		}
	}
	if _, _, err := ParseLine([]byte(`{"message":"99999999999999999999999 request(s) complete to http://h/"}`)); err == nil {
		t.Error("count overflowing uint64: want an error")
	}
}

func FuzzParseLine(f *testing.F) {
	f.Add([]byte(line(10, 0, 0)))
	f.Add([]byte(`{"message":"1 request(s) complete to x","ok":-1}`))
	f.Add([]byte(`{"message":"18446744073709551615 request(s) complete to x","ok":18446744073709551615,"failed_status":1}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		l, ok, err := ParseLine(b)
		if ok && (err != nil || l.OK+l.Failed() != l.N) {
			t.Fatalf("accepted an inconsistent line %q: %+v, %v", b, l, err)
		}
	})
}
