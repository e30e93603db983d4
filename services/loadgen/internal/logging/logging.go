// Package logging builds loadgen's slog logger: JSON with the keys Cloud
// Logging understands (severity, message, time) by default, or slog's text
// format for humans.
package logging

import (
	"io"
	"log/slog"
)

// New returns a logger writing to w. format is "json" or "text"; level is
// one of debug, info, warn, error (validated by the config package).
func New(w io.Writer, format, level string) *slog.Logger {
	var lv slog.Level
	_ = lv.UnmarshalText([]byte(level)) // validated earlier; unknown -> info
	opts := &slog.HandlerOptions{Level: lv}
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
		a.Key = "severity"
		if l, ok := a.Value.Any().(slog.Level); ok {
			a.Value = slog.StringValue(severity(l))
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
