package logging

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"strings"
	"testing"
)

func TestJSONCloudLoggingKeys(t *testing.T) {
	var b bytes.Buffer
	l := New(&b, "json", slog.LevelInfo)
	l.Debug("hidden")
	l.Info("hello", "n", 1)
	l.Warn("careful")
	l.Error("broken")
	lines := strings.Split(strings.TrimSpace(b.String()), "\n")
	if len(lines) != 3 {
		t.Fatalf("want 3 lines (debug filtered), got %q", b.String())
	}
	want := []struct{ sev, msg string }{{"INFO", "hello"}, {"WARNING", "careful"}, {"ERROR", "broken"}}
	for i, l := range lines {
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatal(err)
		}
		if m["severity"] != want[i].sev || m["message"] != want[i].msg || m["time"] == nil {
			t.Errorf("line %d = %v, want severity %s message %s", i, m, want[i].sev, want[i].msg)
		}
		if _, ok := m["msg"]; ok {
			t.Errorf("slog key msg left in %v", m)
		}
	}
}

func TestTextAndLevel(t *testing.T) {
	var b bytes.Buffer
	l := New(&b, "text", slog.LevelDebug)
	l.Debug("shown")
	if !strings.Contains(b.String(), "level=DEBUG msg=shown") {
		t.Errorf("text output %q", b.String())
	}
	b.Reset()
	New(&b, "text", slog.LevelError).Warn("hidden")
	if b.Len() != 0 {
		t.Errorf("warn printed at level error: %q", b.String())
	}
}
