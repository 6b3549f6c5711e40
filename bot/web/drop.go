package web

// The public drop page, made for WeChat Moments and groups: GET /d/{code}
// shows the drop's photo, price, stock and a countdown to the start, with
// Open Graph tags for link previews and a QR code that opens the drop in the
// bot; GET /d/{code}/poster.png is the poster to save and post.
//
// The page's words live in templates/locales/<lang>/droppage.txt, chosen by
// DropPageData.Lang.

import (
	"bytes"
	"context"
	"errors"
	"html/template"
	"net/http"
	"net/url"
	"strings"
	"time"

	"shopbot/commerce"
	"shopbot/templates"
)

// DropPageData is what the drop page shows. URLs should be absolute (link
// previews fetch og:image and og:url from elsewhere).
type DropPageData struct {
	Code        string
	Title       string
	Description string // optional; the page builds one from price and stock
	ImageURL    string // product photo
	PageURL     string // canonical URL of this page
	QRURL       string // PNG of a QR code that opens the drop in the bot
	BotURL      string // link that opens the drop in a chat (https, tg: or weixin:)
	Price       commerce.Money
	StartsAt    time.Time // shown in its own location (the seller's zone)
	Left, Units int
	// Cancelled: the seller called the drop off. The page says so and
	// offers nothing to scan, open or save.
	Cancelled bool
	Lang      string // zh-CN, en or ru; set by the handler when empty
}

// DropPages finds the public view of a drop. It returns an error wrapping
// commerce.ErrNotFound for an unknown (or not public) code.
type DropPages interface {
	DropPage(ctx context.Context, code, lang string) (DropPageData, error)
}

// DropPosterCache is the Cache-Control of the poster: short, since stock
// and the countdown text change.
const DropPosterCache = "public, max-age=60"

// safeLink passes URLs with schemes a drop link may use; html/template would
// otherwise neutralise tg: and weixin: links. Anything else becomes "".
func safeLink(s string) template.URL {
	u, err := url.Parse(s)
	if err != nil || s == "" {
		return ""
	}
	switch strings.ToLower(u.Scheme) {
	case "https", "http":
		if u.Host == "" {
			return ""
		}
	case "tg", "weixin":
	case "":
		if !strings.HasPrefix(s, "/") || strings.HasPrefix(s, "//") {
			return ""
		}
	default:
		return ""
	}
	return template.URL(u.String())
}

// webURL passes http(s) and same-site URLs (photo, page, QR) and drops the
// rest, also where html/template does not check URLs (meta content).
func webURL(s string) string {
	u := safeLink(s)
	if strings.HasPrefix(string(u), "tg:") || strings.HasPrefix(string(u), "weixin:") {
		return ""
	}
	return string(u)
}

// RegisterDrops adds GET /d/{code} and GET /d/{code}/poster.png to mux.
// poster renders the poster PNG of a drop in a language (errors wrapping
// commerce.ErrNotFound are 404s); nil disables the poster route.
func (h *Handler) RegisterDrops(mux *http.ServeMux, pages DropPages, poster func(ctx context.Context, code, lang string) ([]byte, error)) {
	mux.HandleFunc("GET /d/{code}", func(w http.ResponseWriter, r *http.Request) {
		h.dropPage(w, r, pages)
	})
	if poster != nil {
		mux.HandleFunc("GET /d/{code}/poster.png", func(w http.ResponseWriter, r *http.Request) {
			h.dropPoster(w, r, poster)
		})
	}
}

type dropView struct {
	DropPageData
	Started bool
}

func (h *Handler) dropPage(w http.ResponseWriter, r *http.Request, pages DropPages) {
	code := r.PathValue("code")
	lang := pageLang(r)
	if !commerce.ValidDropCode(code) {
		h.dropRefused(w, lang, http.StatusNotFound, "droppage_not_found")
		return
	}
	d, err := pages.DropPage(r.Context(), code, lang)
	switch {
	case errors.Is(err, commerce.ErrNotFound):
		h.dropRefused(w, lang, http.StatusNotFound, "droppage_not_found")
		return
	case err != nil:
		h.o.Log.ErrorContext(r.Context(), "drop page", "code", code, "err", err)
		h.dropRefused(w, lang, http.StatusServiceUnavailable, "droppage_unavailable")
		return
	}
	if d.Lang == "" || templates.Match(d.Lang) != d.Lang {
		d.Lang = lang
	}
	if d.Code == "" {
		d.Code = code
	}
	var b bytes.Buffer
	if err := h.pages.drop[d.Lang].Execute(&b, dropView{DropPageData: d, Started: !time.Now().Before(d.StartsAt)}); err != nil {
		h.o.Log.ErrorContext(r.Context(), "drop page template", "code", code, "err", err)
		h.dropRefused(w, d.Lang, http.StatusInternalServerError, "droppage_unavailable")
		return
	}
	hd := w.Header()
	hd.Set("Content-Type", "text/html; charset=utf-8")
	hd.Set("Content-Security-Policy", "default-src 'self'; img-src 'self' https: data:; style-src 'self' 'unsafe-inline'; script-src 'self' 'unsafe-inline'")
	hd.Set("X-Content-Type-Options", "nosniff")
	hd.Set("Cache-Control", "public, max-age=30")
	hd.Set("Vary", "Accept-Language")
	_, _ = w.Write(b.Bytes())
}

// dropRefused answers a drop page that cannot be shown with a line of text
// in the reader's language.
func (h *Handler) dropRefused(w http.ResponseWriter, lang string, status int, key string) {
	w.Header().Set("Vary", "Accept-Language")
	http.Error(w, h.o.Texts.Text(lang, key, nil), status)
}

func (h *Handler) dropPoster(w http.ResponseWriter, r *http.Request, poster func(ctx context.Context, code, lang string) ([]byte, error)) {
	code := r.PathValue("code")
	if !commerce.ValidDropCode(code) {
		http.NotFound(w, r)
		return
	}
	lang := pageLang(r)
	png, err := poster(r.Context(), code, lang)
	switch {
	case errors.Is(err, commerce.ErrNotFound):
		http.NotFound(w, r)
		return
	case err != nil:
		h.o.Log.ErrorContext(r.Context(), "drop poster", "code", code, "err", err)
		http.Error(w, "try again later", http.StatusServiceUnavailable)
		return
	}
	hd := w.Header()
	hd.Set("Content-Type", "image/png")
	hd.Set("Cache-Control", DropPosterCache)
	hd.Set("X-Content-Type-Options", "nosniff")
	hd.Set("Vary", "Accept-Language")
	_, _ = w.Write(png)
}
