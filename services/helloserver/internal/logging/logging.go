// Package logging builds the service's slog.Logger: JSON with Cloud Logging's
// field names (severity, message, time) by default, or slog's text format.
package logging

import (
	"io"
	"log/slog"
)

// Format names accepted by New.
const (
	FormatJSON = "json"
	FormatText = "text"
)

// New returns a logger writing to w. format is FormatJSON or FormatText
// (anything else means JSON: config validation rejects other values first).
// If w has a Flush() error method (a *Buffer), every line at WARN or above
// is flushed at once.
func New(w io.Writer, format string, level slog.Leveler) *slog.Logger {
	var h slog.Handler
	if format == FormatText {
		h = slog.NewTextHandler(w, &slog.HandlerOptions{Level: level})
	} else {
		h = NewJSONHandler(w, level)
	}
	if f, ok := w.(flusher); ok {
		h = flushingHandler{h, f}
	}
	return slog.New(h)
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
