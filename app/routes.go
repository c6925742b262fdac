package app

import (
	"net/http"
	"slices"
	"sync"
)

// Mux is the app's router: an http.ServeMux that remembers the patterns it serves, so that
// a test can hold every route of the JSON API to the OpenAPI document.
type Mux struct {
	http.ServeMux
	mu       sync.Mutex
	patterns []string
}

// Handle registers h for pattern.
func (m *Mux) Handle(pattern string, h http.Handler) {
	m.remember(pattern)
	m.ServeMux.Handle(pattern, h)
}

// HandleFunc registers f for pattern.
func (m *Mux) HandleFunc(pattern string, f func(http.ResponseWriter, *http.Request)) {
	m.remember(pattern)
	m.ServeMux.HandleFunc(pattern, f)
}

func (m *Mux) remember(pattern string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.patterns = append(m.patterns, pattern)
}

// Routes returns the patterns the app serves ("GET /v1/members/{id}", "/admin/", ...).
func (a *App) Routes() []string {
	a.mux.mu.Lock()
	defer a.mux.mu.Unlock()
	return slices.Clone(a.mux.patterns)
}
