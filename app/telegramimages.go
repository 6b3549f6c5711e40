package app

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"shopbot/bot/telegram"
)

// telegramImage reads a reply's site-relative picture ("/img/…", "/qr/…",
// "/b/…") through the app's own routes, as a browser would get it. The
// Telegram adapter uploads it when Telegram cannot fetch PublicURL (long
// polling on a laptop).
func (a *App) telegramImage(ctx context.Context, path string) ([]byte, string, error) {
	if !strings.HasPrefix(path, "/") || strings.HasPrefix(path, "//") {
		return nil, "", fmt.Errorf("image %q: not a site path", path)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, path, nil)
	if err != nil {
		return nil, "", err
	}
	w := &imageWriter{header: http.Header{}}
	a.handler.ServeHTTP(w, req)
	switch {
	case w.tooBig:
		return nil, "", fmt.Errorf("image %s: over %d bytes", path, telegram.MaxPhotoUpload)
	case w.code != 0 && w.code != http.StatusOK:
		return nil, "", fmt.Errorf("image %s: HTTP %d", path, w.code)
	}
	return w.body.Bytes(), w.header.Get("Content-Type"), nil
}

// imageWriter keeps a response in memory, up to Telegram's upload size.
type imageWriter struct {
	header http.Header
	code   int
	body   bytes.Buffer
	tooBig bool
}

func (w *imageWriter) Header() http.Header { return w.header }

func (w *imageWriter) WriteHeader(code int) {
	if w.code == 0 {
		w.code = code
	}
}

func (w *imageWriter) Write(p []byte) (int, error) {
	w.WriteHeader(http.StatusOK)
	if w.body.Len()+len(p) > telegram.MaxPhotoUpload {
		w.tooBig = true
		return 0, errors.New("image too big")
	}
	return w.body.Write(p)
}
