package staff

import (
	"bytes"
	_ "embed"
	"html/template"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"shopbot/commerce"
	"shopbot/templates"
)

//go:embed page.html
var pageHTML string

// Kinds of page.
const (
	kindAnon      = "anon"      // not signed in
	kindLogin     = "login"     // a login link's page: sign in as …
	kindSignedIn  = "signed_in" // moves on to /staff
	kindSignedOut = "signed_out"
	kindForbidden = "forbidden" // not staff of any point
	kindError     = "error"     // a notice and a way back
	kindCounter   = "counter"   // the point's counter
)

// langCookie keeps the language a staff member chose with the page's
// language links (?lang=…); without it the browser's Accept-Language
// decides.
const langCookie = "shopbot_staff_lang"

// view is what page.html renders. Its values are the same in every
// language: the page's template turns keys, commerce.Text and return kinds
// into words of the staff member's language.
type view struct {
	Kind     string
	Identity string
	CSRF     string
	Token    string // the login link's token, for the sign-in form
	// Back offers the staff page: a used link opened from the chat app
	// comes without the session cookie of the browser it signed in
	// (SameSite=Strict), which a click on our own page sends.
	Back    bool
	Notice  *notice
	Points  []pointView
	Point   pointView
	Input   string
	Check   *orderView // inspected, awaiting hand-over
	Done    *orderView // handed over
	Returns []returnView

	// Set by render.
	Lang  string
	Langs []langLink
}

// notice is a message above the page: a text key of the page's topic or of
// the error table, with the data it needs.
type notice struct {
	Level string // "ok" or "error"
	Key   string
	Data  map[string]any
}

func errorNotice(key string) *notice { return &notice{Level: "error", Key: key} }

func errorView(identity, key string) *view {
	return &view{Kind: kindError, Identity: identity, Notice: errorNotice(key)}
}

type pointView struct {
	ID       int64
	Code     string
	Name     commerce.Text
	Selected bool
}

type lineView struct {
	SKU   string
	Title commerce.Text
	Qty   int
}

type orderView struct {
	PointID    int64
	Number     string
	FirstName  string
	Lines      []lineView
	Total      string
	Booking    string // "2026-11-25 14:00–14:15"; empty for a walk-in
	ReadyAt    string
	RedeemedAt string
	Input      string // the code or token, for the hand-over form
	// Payment at pickup: Paid (with how, "159.00 CNY · cash") or the
	// form asks for the method and the amount (Amount: the total, in
	// Currency, as the field's default).
	Paid             bool
	PaidAmount       string
	PaidMethod       string // pay_<method> text key
	Amount, Currency string
	Methods          []string // the payment methods, in order
	// WeChat offers WeChat Pay's QR at the counter (paycounter.go); QR is
	// the QR shown, until the order is paid.
	WeChat bool
	QR     *qrView
}

type returnView struct {
	ID          int64
	PointID     int64
	Point       commerce.Text
	OrderNumber string
	Kind        string // commerce.ReturnKind: return_kind_<Kind>
	Reason      string // commerce.ReturnReasons: return_reason_<Reason>
	Note        string
	Slot        string
	Created     string
}

// langLink is one entry of the language switch.
type langLink struct {
	Code, Name, Href string
	Current          bool
}

// parseViews parses page.html once per locale, with functions that speak
// that locale:
//
//	t KEY            the text of KEY
//	note NOTICE      the notice's text
//	tr TEXT          a commerce.Text (point names, product titles)
//	label PREFIX RAW the text of PREFIX+RAW, or RAW when there is none
func parseViews(texts *templates.Set) (map[string]*template.Template, error) {
	out := map[string]*template.Template{}
	for _, lang := range templates.Locales {
		tmpl, err := template.New("staff").Funcs(template.FuncMap{
			"t":    func(key string) string { return texts.Text(lang, key, nil) },
			"note": func(n *notice) string { return texts.Text(lang, n.Key, n.Data) },
			"tr":   func(t commerce.Text) string { return t.In(lang) },
			"label": func(prefix, raw string) string {
				if texts.Has(prefix + raw) {
					return texts.Text(lang, prefix+raw, nil)
				}
				return raw
			},
		}).Parse(pageHTML)
		if err != nil {
			return nil, err
		}
		out[lang] = tmpl
	}
	return out, nil
}

// lang picks the page's language: ?lang=, the language cookie, the
// browser's Accept-Language, then the default. chosen is true when ?lang=
// named one (render then remembers it).
func lang(r *http.Request) (lang string, chosen bool) {
	if l := templates.Match(r.URL.Query().Get("lang")); l != "" {
		return l, true
	}
	if c, err := r.Cookie(langCookie); err == nil {
		if l := templates.Match(c.Value); l != "" {
			return l, false
		}
	}
	if l := templates.Match(r.Header.Get("Accept-Language")); l != "" {
		return l, false
	}
	return templates.Default, false
}

// langLinks are the language switch of a page: /staff in each locale, at
// the point shown; a login link's page links to itself.
func (p *Page) langLinks(current string, v *view) []langLink {
	var out []langLink
	for _, l := range templates.Locales {
		q := url.Values{"lang": {l}}
		path := "/staff?"
		switch {
		case v.Kind == kindCounter && v.Point.ID != 0:
			q.Set("point", strconv.FormatInt(v.Point.ID, 10))
		case v.Kind == kindLogin:
			q.Set("token", v.Token)
			path = "/staff/login?"
		}
		out = append(out, langLink{Code: l, Name: p.texts.Text(l, "lang_name", nil), Href: path + q.Encode(), Current: l == current})
	}
	return out
}

func pointOf(p commerce.PickupPoint) pointView {
	return pointView{ID: p.ID, Code: p.Code, Name: p.Name}
}

const timeLayout = "2006-01-02 15:04"

// localTime formats t in the point's zone ("" for a zero time).
func (p *Page) localTime(pt commerce.PickupPoint, t time.Time) string {
	if t.IsZero() {
		return ""
	}
	if loc, err := p.pickup.Location(pt); err == nil {
		t = t.In(loc)
	}
	return t.Format(timeLayout)
}

// span formats start–end in the point's zone, the end without its date when
// it is the same day.
func (p *Page) span(pt commerce.PickupPoint, start, end time.Time) string {
	if start.IsZero() {
		return ""
	}
	out := p.localTime(pt, start)
	if !end.IsZero() {
		e := p.localTime(pt, end)
		if len(e) > 11 && e[:11] == out[:11] {
			e = e[11:]
		}
		out += "–" + e
	}
	return out
}

func (p *Page) orderView(pt commerce.PickupPoint, c commerce.Collection) *orderView {
	v := &orderView{PointID: pt.ID, Number: c.Order.Number, FirstName: c.FirstName, Total: c.Order.Total.String(),
		ReadyAt: p.localTime(pt, c.Code.ReadyAt), RedeemedAt: p.localTime(pt, c.Code.RedeemedAt)}
	for _, l := range c.Order.Lines {
		v.Lines = append(v.Lines, lineView{SKU: l.SKU, Title: l.Title, Qty: l.Qty})
	}
	v.Amount, v.Currency = c.Order.Total.Decimal(), c.Order.Total.Currency
	if paid := c.Order.Paid; paid.IsPaid() {
		v.Paid, v.PaidAmount, v.PaidMethod = true, paid.Amount.String(), "pay_"+string(paid.Method)
	}
	for _, m := range commerce.PaymentMethods {
		v.Methods = append(v.Methods, string(m))
	}
	v.WeChat = !v.Paid && p.payments.WeChat() && c.Order.Total.Currency == "CNY"

	if c.Booking != nil {
		v.Booking = p.span(pt, c.Booking.Start, c.Booking.End)
	}
	return v
}

// counter renders the counter page for pt with status; edit fills in the
// outcome of the request.
func (p *Page) counter(w http.ResponseWriter, r *http.Request, q access, pt commerce.PickupPoint, status int, edit func(*view)) {
	v := &view{Kind: kindCounter, Identity: q.Identity, CSRF: q.CSRF, Point: pointOf(pt)}
	for _, sp := range q.points {
		pv := pointOf(sp)
		pv.Selected = sp.ID == pt.ID
		v.Points = append(v.Points, pv)
		rets, err := p.pickup.OpenReturns(r.Context(), q.Identity, sp.ID)
		if err != nil {
			p.internal(w, r, "open returns", q.Identity, err)
			return
		}
		for _, rt := range rets {
			v.Returns = append(v.Returns, returnView{ID: rt.ID, PointID: sp.ID, Point: sp.Name, OrderNumber: rt.OrderNumber,
				Kind: string(rt.Kind), Reason: rt.Reason, Note: rt.Note,
				Slot: p.span(sp, rt.SlotStart, rt.SlotEnd), Created: p.localTime(sp, rt.CreatedAt)})
		}
	}
	if edit != nil {
		edit(v)
	}
	p.render(w, r, status, v)
}

// page renders v in lang (a supported locale).
func (p *Page) page(lang string, v *view) ([]byte, error) {
	v.Lang = lang
	v.Langs = p.langLinks(lang, v)
	var buf bytes.Buffer
	err := p.tmpl[lang].Execute(&buf, v)
	return buf.Bytes(), err
}

// render writes the page in the request's language, with headers that keep
// it out of caches, frames and referrers (a scanned token travels in the
// URL).
func (p *Page) render(w http.ResponseWriter, r *http.Request, status int, v *view) {
	l, chosen := lang(r)
	body, err := p.page(l, v)
	if err != nil {
		p.log.ErrorContext(r.Context(), "staff: render page", "kind", v.Kind, "err", err)
		http.Error(w, "Internal Server Error", http.StatusInternalServerError)
		return
	}
	if chosen {
		http.SetCookie(w, &http.Cookie{Name: langCookie, Value: l, Path: "/staff", MaxAge: 365 * 24 * 3600,
			HttpOnly: true, Secure: p.secure, SameSite: http.SameSiteLaxMode})
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Content-Language", l)
	h.Set("Cache-Control", "no-store")
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	w.WriteHeader(status)
	_, _ = w.Write(body)
}
