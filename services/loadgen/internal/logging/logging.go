// Package logging builds loadgen's slog logger: JSON with the keys Cloud
// Logging understands (severity, message, time), or slog's text format.
// Handlers write each line as it is logged: nothing is buffered, so a
// killed process loses nothing it already logged.
package logging

import (
	"io"
	"log/slog"
)

// New returns a logger writing to w in format "json" or "text".
func New(w io.Writer, format string, level slog.Level) *slog.Logger {
	opts := &slog.HandlerOptions{Level: level}
	if format == "text" {
		return slog.New(slog.NewTextHandler(w, opts))
	}
	opts.ReplaceAttr = cloudLogging
	return slog.New(slog.NewJSONHandler(w, opts))
}

// cloudLogging renames slog's top-level keys to Cloud Logging's structured
// logging fields, so severity filters work in the Logs Explorer.
func cloudLogging(groups []string, a slog.Attr) slog.Attr {
	if len(groups) > 0 {
		return a
	}
	switch a.Key {
	case slog.MessageKey:
		a.Key = "message"
	case slog.LevelKey:
		if l, ok := a.Value.Any().(slog.Level); ok {
			a.Key, a.Value = "severity", slog.StringValue(severity(l))
		}
	}
	return a
}

func severity(l slog.Level) string {
	switch {
	case l >= slog.LevelError:
		return "ERROR"
	case l >= slog.LevelWarn:
		return "WARNING"
	case l >= slog.LevelInfo:
		return "INFO"
	default:
		return "DEBUG"
	}
}
