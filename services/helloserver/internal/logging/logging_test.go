package logging

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"strings"
	"testing"
)

func TestJSONUsesCloudLoggingKeys(t *testing.T) {
	tests := []struct {
		level slog.Level
		want  string
	}{
		{slog.LevelDebug, "DEBUG"},
		{slog.LevelInfo, "INFO"},
		{slog.LevelWarn, "WARNING"},
		{slog.LevelError, "ERROR"},
		{slog.LevelInfo + 2, "INFO"},
		{slog.LevelError + 4, "ERROR"},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			var buf bytes.Buffer
			New(&buf, FormatJSON, slog.LevelDebug).Log(t.Context(), tt.level, "hello", "k", "v")
			var line map[string]any
			if err := json.Unmarshal(buf.Bytes(), &line); err != nil {
				t.Fatalf("not one JSON object: %q: %v", buf.String(), err)
			}
			if line["severity"] != tt.want || line["message"] != "hello" || line["k"] != "v" {
				t.Errorf("line = %v, want severity %s, message hello, k v", line, tt.want)
			}
			if _, ok := line["time"].(string); !ok {
				t.Errorf("line has no time: %v", line)
			}
			for _, k := range []string{"level", "msg"} {
				if _, ok := line[k]; ok {
					t.Errorf("line still has slog's %q key: %v", k, line)
				}
			}
		})
	}
}

func TestOnlyBuiltInKeysAreRenamed(t *testing.T) {
	var buf bytes.Buffer
	l := New(&buf, FormatJSON, slog.LevelInfo)
	l.Info("m", slog.Group("g", slog.String("msg", "inner"), slog.String("level", "x")))
	l.Info("m", "level", "mine") // a caller's own top-level "level" is not a slog.Level
	want := `"severity":"INFO","message":"m","g":{"msg":"inner","level":"x"}}` + "\n"
	if lines := strings.SplitAfter(buf.String(), "\n"); len(lines) != 3 || !strings.HasSuffix(lines[0], want) ||
		!strings.HasSuffix(lines[1], `"severity":"INFO","message":"m","level":"mine"}`+"\n") {
		t.Errorf("output:\n%s", buf.String())
	}
}

// writes records every Write call it gets.
type writes []string

func (w *writes) Write(p []byte) (int, error) {
	*w = append(*w, string(p))
	return len(p), nil
}

// TestEachLineWrittenAtOnce: a line reaches the writer, whole, in the call
// that logs it, so a process killed right after loses nothing it logged.
func TestEachLineWrittenAtOnce(t *testing.T) {
	for _, format := range []string{FormatJSON, FormatText} {
		t.Run(format, func(t *testing.T) {
			var w writes
			l := New(&w, format, slog.LevelInfo)
			for i := range 3 {
				l.Info("line", "i", i)
				if len(w) != i+1 || !strings.HasSuffix(w[i], "\n") || strings.Count(w[i], "\n") != 1 {
					t.Fatalf("after %d lines the writer got %q", i+1, w)
				}
			}
		})
	}
}

func TestLevelFilters(t *testing.T) {
	var buf bytes.Buffer
	l := New(&buf, FormatJSON, slog.LevelWarn)
	l.Info("dropped")
	l.Warn("kept")
	if strings.Contains(buf.String(), "dropped") || !strings.Contains(buf.String(), "kept") {
		t.Errorf("level warn: output %q", buf.String())
	}
}

func TestTextFormat(t *testing.T) {
	var buf bytes.Buffer
	New(&buf, FormatText, slog.LevelInfo).Info("Starting server...", "addr", ":8080")
	out := buf.String()
	if !strings.Contains(out, `level=INFO msg="Starting server..." addr=:8080`) || strings.HasPrefix(out, "{") {
		t.Errorf("text output = %q", out)
	}
}
