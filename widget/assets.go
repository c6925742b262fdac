package widget

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"net/http"
	"time"
)

// static holds the widget's script and stylesheet, written by hand: no build step.
//
//go:embed static/tenure-widget.js static/tenure-widget.css
var static embed.FS

type asset struct {
	body        []byte
	etag        string
	contentType string
}

var assets = func() map[string]asset {
	out := map[string]asset{}
	for name, ct := range map[string]string{"tenure-widget.js": "text/javascript; charset=utf-8", "tenure-widget.css": "text/css; charset=utf-8"} {
		b, err := static.ReadFile("static/" + name)
		if err != nil {
			panic(err) // embedded at build time: cannot be missing
		}
		sum := sha256.Sum256(b)
		out[name] = asset{body: b, etag: `"` + hex.EncodeToString(sum[:8]) + `"`, contentType: ct}
	}
	return out
}()

// asset serves the script and the stylesheet to any site that embeds the widget. They
// are small and change only with a new release, so browsers keep them for five minutes
// and then revalidate by ETag.
func (h *Handler) asset(w http.ResponseWriter, r *http.Request) {
	a, ok := assets[r.PathValue("file")]
	if !ok {
		http.NotFound(w, r)
		return
	}
	hd := w.Header()
	hd.Set("Content-Type", a.contentType)
	hd.Set("ETag", a.etag)
	hd.Set("Cache-Control", "public, max-age=300")
	hd.Set("X-Content-Type-Options", "nosniff")
	hd.Set("Access-Control-Allow-Origin", "*")
	hd.Set("Cross-Origin-Resource-Policy", "cross-origin")
	http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(a.body))
}
