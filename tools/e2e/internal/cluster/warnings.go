package cluster

import (
	"fmt"
	"sync"
)

// Warnings records the warnings the API server sends in `Warning` headers
// (deprecated APIs, unknown fields, Pod Security `warn` violations). It is a
// rest.WarningHandler; the suite asserts that none arrive.
type Warnings struct {
	mu   sync.Mutex
	list []string
}

// HandleWarningHeader implements rest.WarningHandler.
func (w *Warnings) HandleWarningHeader(code int, agent, text string) {
	if code != 299 || text == "" {
		return // only 299 is a warning (RFC 7234); client-go passes others through
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if agent != "" && agent != "-" {
		text = fmt.Sprintf("%s (from %s)", text, agent)
	}
	w.list = append(w.list, text)
}

// Take returns the warnings recorded since the last Take and forgets them.
func (w *Warnings) Take() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	out := w.list
	w.list = nil
	return out
}
