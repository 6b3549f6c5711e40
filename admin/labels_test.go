package admin

import (
	"bytes"
	"net/http"
	"testing"
)

// TestLabels: the sheet of the products ticked, as a PDF or a PNG
// download; an unknown SKU alone is no sheet.
func TestLabels(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	b := e.signIn("zh-CN")
	wantStatus(t, "page", b.get("/admin/labels"), http.StatusOK, `name="sku" value="COS-001"`)
	w := b.get("/admin/labels/sheet?sku=COS-001&sku=COS-002&size=small&format=pdf&qr=web")
	if w.Code != http.StatusOK || w.Header().Get("Content-Type") != "application/pdf" || !bytes.HasPrefix(w.Body.Bytes(), []byte("%PDF")) {
		t.Fatalf("PDF: %d %v % x", w.Code, w.Header(), w.Body.Bytes()[:min(8, w.Body.Len())])
	}
	w = b.get("/admin/labels/sheet?format=png")
	if w.Code != http.StatusOK || w.Header().Get("Content-Type") != "image/png" || !bytes.HasPrefix(w.Body.Bytes(), []byte("\x89PNG")) {
		t.Fatalf("PNG: %d %v", w.Code, w.Header())
	}
	wantStatus(t, "nothing chosen that exists", b.get("/admin/labels/sheet?sku=NOPE"), http.StatusUnprocessableEntity)
	if w := e.browser("en").get("/admin/labels/sheet"); w.Code != http.StatusUnauthorized {
		t.Fatalf("without a session: %d", w.Code)
	}
}
