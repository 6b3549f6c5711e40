package admin

import (
	"bytes"
	"embed"
	_ "embed"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"slices"
	"time"

	"shopbot/commerce"
	"shopbot/templates"
)

//go:embed html/*.html
var pageFiles embed.FS

//go:embed html/console.css
var consoleCSS []byte

// pageNames are the pages of html/, each parsed with html/layout.html.
var pageNames = []string{"anon", "login", "message", "today", "orders", "order", "products", "product", "categories", "points", "settings", "labels", "questions", "conversation", "drops", "broadcasts"}

// langCookie keeps the language chosen with the switch (?lang=).
const langCookie = "shopbot_console_lang"

// view is what the layout renders; Data is the page's own.
type view struct {
	Page     string // a pageNames entry; also the current tab
	Identity string
	CSRF     string
	Notice   *notice
	Token    string // the login page's token
	Data     any

	// Set by render.
	Lang     string
	Langs    []langLink
	Tabs     []tab
	ShopName string // the shop's name from its profile, when set
}

// notice is a message above the page: a text key with its data.
type notice struct {
	Level string // "ok" or "error"
	Key   string
	Data  map[string]any
}

type langLink struct {
	Code, Name, Href string
	Current          bool
}

type tab struct {
	Href, Key string
	Current   bool
}

const timeLayout = "2006-01-02 15:04"

// parsePages parses every page with the layout, once per locale, with
// functions that speak that locale.
func (c *Console) parsePages() (map[string]map[string]*template.Template, error) {
	out := map[string]map[string]*template.Template{}
	for _, name := range pageNames {
		out[name] = map[string]*template.Template{}
		for _, lang := range templates.Locales {
			t, err := template.New("layout.html").Funcs(c.funcs(lang)).ParseFS(pageFiles, "html/layout.html", "html/"+name+".html")
			if err != nil {
				return nil, err
			}
			out[name][lang] = t
		}
	}
	return out, nil
}

func (c *Console) funcs(lang string) template.FuncMap {
	return template.FuncMap{
		"t": func(key string, kv ...any) string { return c.texts.Text(lang, key, pairs(kv)) },
		"note": func(n *notice) string {
			return c.texts.Text(lang, n.Key, n.Data)
		},
		"tr": func(t commerce.Text) string { return t.In(lang) },
		"label": func(prefix, raw string) string {
			if c.texts.Has(prefix + raw) {
				return c.texts.Text(lang, prefix+raw, nil)
			}
			return raw
		},
		"money":  func(m commerce.Money) string { return templates.FormatMoney(lang, m) },
		"method": func(m commerce.PaymentMethod) string { return c.methodLabel(lang, m) },
		"when":   c.when,
		"langName": func(code string) string {
			return c.texts.Text(code, "lang_name", nil)
		},
		"add":     func(a, b float64) float64 { return a + b },
		"offered": func(langs []string, l string) bool { return slices.Contains(langs, l) },
		"percentOf": func(part, whole, width int) int {
			if whole <= 0 {
				return 0
			}
			return part * width / whole
		},
	}
}

// pairs turns "Key", value, … into a map for a text.
func pairs(kv []any) map[string]any {
	if len(kv) == 0 {
		return nil
	}
	m := make(map[string]any, len(kv)/2)
	for i := 0; i+1 < len(kv); i += 2 {
		m[fmt.Sprint(kv[i])] = kv[i+1]
	}
	return m
}

// when formats t in the shop's zone ("" for a zero time).
func (c *Console) when(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.In(c.zone).Format(timeLayout)
}

// lang picks the page's language: ?lang=, the language cookie, the
// browser's Accept-Language, the shop's default language, then the
// built-in default. chosen is true when ?lang=
// named one.
func (c *Console) lang(r *http.Request) (lang string, chosen bool) {
	if l := templates.Match(r.URL.Query().Get("lang")); l != "" {
		return l, true
	}
	if ck, err := r.Cookie(langCookie); err == nil {
		if l := templates.Match(ck.Value); l != "" {
			return l, false
		}
	}
	if l := templates.Match(r.Header.Get("Accept-Language")); l != "" {
		return l, false
	}
	if c.o.Setup != nil { // the shop's own language (on a store failure, the last one read)
		p, _, _ := c.o.Setup.Profile(r.Context())
		if l := templates.Match(p.DefaultLang); l != "" {
			return l, false
		}
	}
	return templates.Default, false
}

// langLinks are the language switch: this page (a GET's query kept) in
// each locale.
func (c *Console) langLinks(r *http.Request, current string) []langLink {
	path := r.URL.Path
	q := url.Values{}
	if r.Method == http.MethodGet {
		q = r.URL.Query()
	} else {
		path = "/admin"
	}
	var out []langLink
	for _, l := range templates.Locales {
		q.Set("lang", l)
		out = append(out, langLink{Code: l, Name: c.texts.Text(l, "lang_name", nil), Href: path + "?" + q.Encode(), Current: l == current})
	}
	return out
}

var tabs = []tab{
	{Href: "/admin", Key: "today"}, {Href: "/admin/orders", Key: "orders"}, {Href: "/admin/questions", Key: "questions"}, {Href: "/admin/products", Key: "products"},
	{Href: "/admin/categories", Key: "categories"}, {Href: "/admin/drops", Key: "drops"}, {Href: "/admin/broadcasts", Key: "broadcasts"},
	{Href: "/admin/points", Key: "points"}, {Href: "/admin/labels", Key: "labels"}, {Href: "/admin/settings", Key: "settings"},
}

// tabOf is the tab a page belongs to.
func tabOf(page string) string {
	switch page {
	case "order":
		return "orders"
	case "product":
		return "products"
	case "conversation":
		return "questions"
	}
	return page
}

// render writes v in the request's language with headers that keep it out
// of caches, frames and referrers.
func (c *Console) render(w http.ResponseWriter, r *http.Request, status int, v *view) {
	l, chosen := c.lang(r)
	v.Lang = l
	v.Langs = c.langLinks(r, l)
	if c.o.Setup != nil && v.CSRF != "" {
		if p, _, err := c.o.Setup.Profile(r.Context()); err == nil { // cached for seconds
			v.ShopName = p.Name
		}
	}
	if v.CSRF != "" {
		for _, t := range tabs {
			if c.hasTab(t.Key) {
				v.Tabs = append(v.Tabs, tab{Href: t.Href, Key: t.Key, Current: t.Key == tabOf(v.Page)})
			}
		}
	}
	var buf bytes.Buffer
	if err := c.pages[v.Page][l].Execute(&buf, v); err != nil {
		c.log.ErrorContext(r.Context(), "console: render page", "page", v.Page, "err", err)
		http.Error(w, "Internal Server Error", http.StatusInternalServerError)
		return
	}
	if chosen {
		http.SetCookie(w, &http.Cookie{Name: langCookie, Value: l, Path: "/admin", MaxAge: 365 * 24 * 3600,
			HttpOnly: true, Secure: c.o.Secure, SameSite: http.SameSiteLaxMode})
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Content-Language", l)
	securityHeaders(h)
	w.WriteHeader(status)
	_, _ = buf.WriteTo(w)
}

func securityHeaders(h http.Header) {
	h.Set("Cache-Control", "no-store")
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'self'; img-src 'self' data: https:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
}

func serveCSS(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/css; charset=utf-8")
	w.Header().Set("Cache-Control", "public, max-age=3600")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	_, _ = w.Write(consoleCSS)
}

// message renders a page of one notice (an error, signed out).
func (c *Console) message(w http.ResponseWriter, r *http.Request, status int, q access, level, key string, data map[string]any) {
	c.render(w, r, status, &view{Page: "message", Identity: q.Identity, CSRF: q.CSRF, Notice: &notice{Level: level, Key: key, Data: data}})
}

// hasTab tells whether the services of a tab's page are there.
func (c *Console) hasTab(key string) bool {
	switch key {
	case "drops":
		return c.o.Drops != nil
	case "broadcasts":
		return c.o.Broadcasts != nil
	case "categories", "points", "settings":
		return c.o.Setup != nil
	case "labels":
		return c.o.ProductLink != nil
	case "questions":
		return c.o.Questions != nil
	}
	return true
}
