package logging

import (
	"bytes"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"sync"
	"testing"
	"time"
)

// recorder is the underlying writer: it keeps every Write call apart, so a
// test can see how the buffer batched them, and is safe for the flush
// goroutine and the test to share.
type recorder struct {
	mu     sync.Mutex
	writes []string
	err    error // returned by the next Write, then cleared
}

func (r *recorder) Write(p []byte) (int, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if err := r.err; err != nil {
		r.err = nil
		return 0, err
	}
	r.writes = append(r.writes, string(p))
	return len(p), nil
}

func (r *recorder) String() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return strings.Join(r.writes, "")
}

func (r *recorder) calls() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.writes...)
}

// never is a flush interval no test outlives: only Flush, Close, a full
// buffer or a WARN line can write.
const never = time.Hour

func TestBufferHoldsLinesUntilFlush(t *testing.T) {
	var out recorder
	b := NewBuffer(&out, 1024, never)
	defer b.Close()
	if _, err := b.Write([]byte("one\n")); err != nil {
		t.Fatal(err)
	}
	if got := out.String(); got != "" {
		t.Fatalf("written before any flush: %q", got)
	}
	if err := b.Flush(); err != nil {
		t.Fatal(err)
	}
	if got := out.String(); got != "one\n" {
		t.Errorf("after Flush: %q, want %q", got, "one\n")
	}
}

func TestBufferFlushesOnTicker(t *testing.T) {
	var out recorder
	b := NewBuffer(&out, 1024, 10*time.Millisecond)
	defer b.Close()
	if _, err := b.Write([]byte("ticked\n")); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for out.String() != "ticked\n" {
		if time.Now().After(deadline) {
			t.Fatalf("line not flushed by the ticker within 5s: %q", out.String())
		}
		time.Sleep(time.Millisecond) // poll interval, not synchronisation
	}
}

func TestBufferFlushesWhenFullWithoutSplittingLines(t *testing.T) {
	var out recorder
	b := NewBuffer(&out, 16, never)
	defer b.Close()
	for _, l := range []string{"aaaaaaaaa\n", "bbbbbbbbb\n", "c\n"} { // 10+10 > 16
		if _, err := b.Write([]byte(l)); err != nil {
			t.Fatal(err)
		}
	}
	if got := out.calls(); len(got) != 1 || got[0] != "aaaaaaaaa\n" {
		t.Fatalf("writes when full = %q, want the first line alone", got)
	}
	if _, err := b.Write([]byte(strings.Repeat("x", 40) + "\n")); err != nil { // bigger than the buffer
		t.Fatal(err)
	}
	want := []string{"aaaaaaaaa\n", "bbbbbbbbb\nc\n", strings.Repeat("x", 40) + "\n"}
	if got := out.calls(); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("writes = %q, want %q", got, want)
	}
}

func TestBufferCloseFlushesAndLaterWritesGoThrough(t *testing.T) {
	var out recorder
	b := NewBuffer(&out, 1024, never)
	_, _ = b.Write([]byte("before\n"))
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	if got := out.String(); got != "before\n" {
		t.Fatalf("after Close: %q", got)
	}
	_, _ = b.Write([]byte("after\n"))
	if got := out.String(); got != "before\nafter\n" {
		t.Errorf("write after Close: %q", got)
	}
	if err := b.Close(); err != nil { // second Close is harmless
		t.Errorf("second Close: %v", err)
	}
}

func TestBufferRecoversFromWriteError(t *testing.T) {
	out := recorder{err: errors.New("disk full")}
	b := NewBuffer(&out, 1024, never)
	defer b.Close()
	_, _ = b.Write([]byte("lost\n"))
	if err := b.Flush(); err == nil {
		t.Fatal("Flush hid the write error")
	}
	_, _ = b.Write([]byte("kept\n"))
	if err := b.Flush(); err != nil {
		t.Fatalf("buffer stuck after one error: %v", err)
	}
	if got := out.String(); got != "kept\n" {
		t.Errorf("output = %q, want %q", got, "kept\n")
	}
}

func TestBufferConcurrentWrites(t *testing.T) {
	const writers, each = 8, 500
	var out recorder
	// Small buffer and a fast ticker, so writes, full-buffer flushes and
	// ticks all race (go test -race checks them).
	b := NewBuffer(&out, 256, time.Millisecond)
	l := New(b, FormatJSON, slog.LevelInfo)
	var wg sync.WaitGroup
	for w := range writers {
		wg.Go(func() {
			for i := range each {
				l.Info("line", "w", w, "i", i)
			}
		})
	}
	wg.Wait()
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, s := range strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n") {
		if !strings.HasPrefix(s, "{") || !strings.HasSuffix(s, "}") {
			t.Fatalf("torn line: %q", s)
		}
		seen[s[strings.Index(s, `"w"`):]] = true
	}
	if len(seen) != writers*each {
		t.Errorf("distinct lines = %d, want %d", len(seen), writers*each)
	}
}

func TestWarnFlushesAtOnce(t *testing.T) {
	for _, format := range []string{FormatJSON, FormatText} {
		t.Run(format, func(t *testing.T) {
			var out recorder
			b := NewBuffer(&out, 1024, never)
			defer b.Close()
			l := New(b, format, slog.LevelInfo).With("k", "v").WithGroup("g")
			l.Info("quiet")
			if out.String() != "" {
				t.Fatalf("INFO written at once: %q", out.String())
			}
			l.Warn("loud")
			if got := out.String(); !strings.Contains(got, "quiet") || !strings.Contains(got, "loud") {
				t.Errorf("after WARN: %q, want both lines", got)
			}
		})
	}
}

// BenchmarkBufferWrite is one access-log-sized line written to /dev/null
// through the buffer, against a write syscall per line.
func BenchmarkBufferWrite(b *testing.B) {
	line := bytes.Repeat([]byte("x"), 400)
	line[len(line)-1] = '\n'
	f, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	b.Run("direct", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			_, _ = f.Write(line)
		}
	})
	b.Run("buffered", func(b *testing.B) {
		buf := NewBuffer(f, BufferSize, FlushInterval)
		defer buf.Close()
		b.ReportAllocs()
		for b.Loop() {
			_, _ = buf.Write(line)
		}
	})
}
