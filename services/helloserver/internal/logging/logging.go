// Package logging builds the service's slog.Logger: JSON with Cloud
// Logging's keys (severity, message, time) by default, or slog's text format.
// Every line is written when it is logged, so a crash loses nothing logged.
package logging

import (
	"io"
	"log/slog"
)

// Formats accepted by New (LOG_FORMAT).
const (
	FormatJSON = "json"
	FormatText = "text"
)

// New returns a logger writing lines at level or above to w, as JSON for
// FormatJSON and as slog's key=value text for FormatText.
func New(w io.Writer, format string, level slog.Level) *slog.Logger {
	opts := &slog.HandlerOptions{Level: level}
	if format == FormatText {
		return slog.New(slog.NewTextHandler(w, opts))
	}
	opts.ReplaceAttr = cloudLoggingKeys
	return slog.New(slog.NewJSONHandler(w, opts))
}

// cloudLoggingKeys renames slog's built-in keys to the ones Cloud Logging
// reads from a JSON line: level -> severity (with its names), msg -> message.
// Attributes inside groups are left alone; ReplaceAttr also sees a caller's
// own top-level "level", hence the type check.
func cloudLoggingKeys(groups []string, a slog.Attr) slog.Attr {
	if len(groups) > 0 {
		return a
	}
	switch a.Key {
	case slog.LevelKey:
		if l, ok := a.Value.Any().(slog.Level); ok {
			return slog.String("severity", Severity(l))
		}
	case slog.MessageKey:
		a.Key = "message"
	}
	return a
}

// Severity maps a slog level to Cloud Logging's severity name. Levels between
// the named ones round down, as slog itself prints them (INFO+2 is INFO).
func Severity(l slog.Level) string {
	switch {
	case l < slog.LevelInfo:
		return "DEBUG"
	case l < slog.LevelWarn:
		return "INFO"
	case l < slog.LevelError:
		return "WARNING"
	default:
		return "ERROR"
	}
}
