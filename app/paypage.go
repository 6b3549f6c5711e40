package app

// The H5 checkout page of an order (issue 14), and its QR codes.
//
//	GET /pay/o/{token}         the page. Inside WeChat (User-Agent
//	                           MicroMessenger) with JSAPI possible: without the
//	                           buyer's openid in a cookie, to WeChat's OAuth
//	                           (snsapi_base) first; with it, Payments.Begin(JSAPI)
//	                           and a Pay button calling WeixinJSBridge with the
//	                           signed paySign. Elsewhere: Begin(NATIVE) and the
//	                           QR code of its code_url. Both poll the status.
//	GET /pay/o/{token}/wechat  the OAuth callback: state checked against its
//	                           cookie, the code exchanged on WECHAT_API_BASE
//	                           for the openid (bot/wechat's OAuthOpenID, the
//	                           web chat's sign-in uses it too), kept in a
//	                           signed cookie; back to the page.
//	GET /pay/o/{token}/status  {"paid":…,"closed":…,"status":…}
//	GET /pay/qr/{no}.png       the QR code of an open NATIVE attempt's code_url
//
// The token is the order id and an expiry, signed (HMAC-SHA-256, 128 bits)
// together with the buyer's identity under a key derived from the
// deployment's pickup secret (like Router.LogID's): a link names one order
// of one buyer, cannot be made for another, and ends. Whoever holds the
// link may pay the order — as anyone may pay for a friend — and sees its
// items, which is what the buyer shared.

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	_ "embed"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"html/template"
	"math"
	"net/http"
	"net/url"
	"strings"
	"time"

	qrcode "github.com/skip2/go-qrcode"

	"shopbot/bot/web"
	"shopbot/commerce"
	"shopbot/templates"
	"shopbot/wechatpay"
)

//go:embed paypage.html
var payPageHTML string

// payLinkTTL is how long a pay page link works (the order's own payment
// time is shorter; after it the page says the order is closed).
const payLinkTTL = 48 * time.Hour

// Cookies of the pay page, under /pay/.
const (
	payOpenIDCookie = "shopbot_payoid"   // the buyer's openid, signed
	payStateCookie  = "shopbot_paystate" // the OAuth state in flight
	payStateTTL     = 10 * time.Minute
	payOpenIDTTL    = 30 * 24 * time.Hour
)

// payPages renders the pay page.
type payPages struct {
	a    *App
	key  []byte // signs tokens and cookies
	tmpl map[string]*template.Template
}

func newPayPages(a *App, texts *templates.Set) (*payPages, error) {
	mac := hmac.New(sha256.New, a.secret)
	mac.Write([]byte("shopbot: pay pages"))
	p := &payPages{a: a, key: mac.Sum(nil), tmpl: map[string]*template.Template{}}
	for _, lang := range templates.Locales {
		funcs := template.FuncMap{
			"t": func(key string) string { return texts.Text(lang, key, nil) },
			"td": func(key, name string, v any) string {
				return texts.Text(lang, key, map[string]any{name: v})
			},
			"money": func(m commerce.Money) string { return templates.FormatMoney(lang, m) },
		}
		t, err := template.New("pay").Funcs(funcs).Parse(payPageHTML)
		if err != nil {
			return nil, fmt.Errorf("pay page: %w", err)
		}
		p.tmpl[lang] = t
	}
	return p, nil
}

func (p *payPages) register(mux *http.ServeMux) {
	mux.HandleFunc("GET /pay/o/{token}", p.page)
	mux.HandleFunc("GET /pay/o/{token}/wechat", p.oauthCallback)
	mux.HandleFunc("GET /pay/o/{token}/status", p.status)
	mux.HandleFunc("GET /pay/qr/{file}", p.qr)
}

func (p *payPages) sum(parts ...string) []byte {
	m := hmac.New(sha256.New, p.key)
	m.Write([]byte(strings.Join(parts, "|")))
	return m.Sum(nil)[:16]
}

// Link is the absolute URL of o's pay page (bot.Options.PayPage).
func (p *payPages) Link(o commerce.Order) string {
	exp := p.a.Shop.Now().Add(payLinkTTL).Unix()
	buf := binary.AppendUvarint(nil, uint64(o.ID))
	buf = binary.AppendUvarint(buf, uint64(exp))
	buf = append(buf, p.sum("order", fmt.Sprint(o.ID), o.Buyer.Key(), fmt.Sprint(exp))...)
	return p.a.cfg.PublicURL + "/pay/o/" + base64.RawURLEncoding.EncodeToString(buf)
}

// errBadPayLink: the token does not verify, or ended.
var errBadPayLink = errors.New("pay link forged or expired")

// parsePayToken splits a token into the order id, the expiry and the
// MAC, or reports that it is not one.
func parsePayToken(token string) (id, exp int64, mac []byte, ok bool) {
	if len(token) > 64 {
		return 0, 0, nil, false
	}
	raw, err := base64.RawURLEncoding.DecodeString(token)
	if err != nil {
		return 0, 0, nil, false
	}
	uid, n := binary.Uvarint(raw)
	if n <= 0 || uid == 0 || uid > math.MaxInt64 {
		return 0, 0, nil, false
	}
	uexp, m := binary.Uvarint(raw[n:])
	if m <= 0 || uexp > math.MaxInt64 || len(raw[n+m:]) != 16 {
		return 0, 0, nil, false
	}
	// One spelling per token: the canonical encoding only.
	canon := binary.AppendUvarint(binary.AppendUvarint(nil, uid), uexp)
	if !bytes.Equal(canon, raw[:n+m]) || base64.RawURLEncoding.EncodeToString(raw) != token {
		return 0, 0, nil, false
	}
	return int64(uid), int64(uexp), raw[n+m:], true
}

// order reads a token: the order it names, when it verifies and is in time.
func (p *payPages) order(ctx context.Context, token string) (commerce.Order, error) {
	id, exp, mac, ok := parsePayToken(token)
	if !ok || exp <= p.a.Shop.Now().Unix() {
		return commerce.Order{}, errBadPayLink
	}
	o, err := p.a.payments.Order(ctx, id)
	if errors.Is(err, commerce.ErrNotFound) {
		return o, errBadPayLink
	}
	if err != nil {
		return o, err
	}
	if !hmac.Equal(mac, p.sum("order", fmt.Sprint(id), o.Buyer.Key(), fmt.Sprint(exp))) {
		return commerce.Order{}, errBadPayLink
	}
	return o, nil
}

// payView is what the page shows.
type payView struct {
	Lang, Number string
	Message      string // a text key: paid, closed, an error
	Paid         bool
	Lines        []payLine
	Total        commerce.Money
	JSAPI        *wechatpay.JSAPIPayParams
	QR           string
	Poll         bool
	Until        string // "15:04" in the shop's zone: when an order awaiting payment closes
	StatusURL    string
	Nonce        string
}

type payLine struct {
	Title  string
	Qty    int
	Amount commerce.Money
}

// jsapi reports whether the page can pay inside WeChat: the Official
// Account is configured (its secret exchanges the OAuth code) and is the
// appid WeChat Pay charges under (an openid is per appid).
func (p *payPages) jsapi() bool {
	a := p.a
	return a.wechat != nil && a.cfg.Pay.WeChat != nil && a.wechat.AppID() == a.cfg.Pay.WeChat.AppID
}

func (p *payPages) page(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	token := r.PathValue("token")
	o, err := p.order(ctx, token)
	if err != nil {
		p.failed(w, r, commerce.Order{}, err)
		return
	}
	v := p.view(o, token)
	switch {
	case o.Paid.IsPaid() || o.Status == commerce.StatusPaid:
		v.Message, v.Paid = "paypage_paid", true
		p.render(w, http.StatusOK, v)
		return
	case o.Status != commerce.StatusPending && o.Status != commerce.StatusAwaitingPayment:
		v.Message = "paypage_closed"
		p.render(w, http.StatusOK, v)
		return
	case !p.a.payments.WeChat():
		v.Message = "paypage_not_offered"
		p.render(w, http.StatusOK, v)
		return
	}
	trade, openID := commerce.TradeNative, ""
	if strings.Contains(r.UserAgent(), "MicroMessenger") && p.jsapi() {
		if openID = p.openID(r); openID == "" {
			p.authorize(w, r, token)
			return
		}
		trade = commerce.TradeJSAPI
	}
	o, at, err := p.a.payments.Begin(ctx, o.Buyer, o.ID, commerce.PayWeChat, trade, openID)
	if err != nil {
		p.failed(w, r, o, err)
		return
	}
	v = p.view(o, token)
	v.Poll = true
	if trade == commerce.TradeJSAPI {
		params, err := p.a.wechatPay.JSAPIParams(at.Prepay)
		if err != nil {
			p.failed(w, r, o, err)
			return
		}
		v.JSAPI = &params
	} else {
		v.QR = "/pay/qr/" + url.PathEscape(at.OutTradeNo) + ".png"
	}
	p.render(w, http.StatusOK, v)
}

func (p *payPages) view(o commerce.Order, token string) payView {
	lang := o.Lang
	if p.tmpl[lang] == nil {
		lang = templates.Default
	}
	v := payView{Lang: lang, Number: o.Number, Total: o.Total, StatusURL: "/pay/o/" + token + "/status"}
	for _, l := range o.Lines {
		v.Lines = append(v.Lines, payLine{Title: l.Title.In(lang), Qty: l.Qty, Amount: l.UnitPrice.Mul(l.Qty)})
	}
	if o.Status == commerce.StatusAwaitingPayment && !o.ExpiresAt.IsZero() {
		v.Until = o.ExpiresAt.In(p.a.cfg.zone()).Format("15:04")
	}
	return v
}

// failed answers a page that cannot offer payment, in words for each cause.
func (p *payPages) failed(w http.ResponseWriter, r *http.Request, o commerce.Order, err error) {
	v := p.view(o, "")
	if o.ID == 0 {
		v.Lang = or(templates.Match(r.Header.Get("Accept-Language")), templates.Default)
	}
	status := http.StatusOK
	switch {
	case errors.Is(err, errBadPayLink):
		status, v.Message = http.StatusNotFound, "paypage_bad_link"
	case errors.Is(err, commerce.ErrAlreadyPaid):
		v.Message, v.Paid = "paypage_paid", true
	case errors.Is(err, commerce.ErrExpired), errors.Is(err, commerce.ErrInvalidTransition):
		v.Message = "paypage_closed"
	case errors.Is(err, commerce.ErrPaymentMethod):
		v.Message = "paypage_not_offered"
	case errors.Is(err, commerce.ErrInvalid):
		status, v.Message = http.StatusBadRequest, "paypage_unavailable"
	case errors.Is(err, commerce.ErrProvider):
		status, v.Message = http.StatusServiceUnavailable, "paypage_unavailable"
		p.a.log.WarnContext(r.Context(), "pay page: wechat pay unavailable", "order", o.Number, "err", err)
	default:
		status, v.Message = http.StatusInternalServerError, "paypage_unavailable"
		p.a.log.ErrorContext(r.Context(), "pay page failed", "order", o.Number, "err", err)
	}
	p.render(w, status, v)
}

func (p *payPages) render(w http.ResponseWriter, status int, v payView) {
	var b [16]byte
	_, _ = rand.Read(b[:])
	v.Nonce = base64.RawURLEncoding.EncodeToString(b[:]) // no character HTML escapes
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	// Only this page's own script runs; WeixinJSBridge is WeChat's own, injected by its browser.
	h.Set("Content-Security-Policy", "default-src 'none'; script-src 'nonce-"+v.Nonce+"'; style-src 'unsafe-inline'; "+
		"img-src 'self'; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'")
	w.WriteHeader(status)
	if err := p.tmpl[v.Lang].Execute(w, v); err != nil {
		p.a.log.Error("pay page render", "err", err)
	}
}

// openID is the buyer's openid from its signed cookie, or "".
func (p *payPages) openID(r *http.Request) string {
	c, err := r.Cookie(payOpenIDCookie)
	if err != nil {
		return ""
	}
	openID, sig, ok := strings.Cut(c.Value, ".")
	if !ok || openID == "" {
		return ""
	}
	if want := base64.RawURLEncoding.EncodeToString(p.sum("openid", p.a.wechat.AppID(), openID)); !hmac.Equal([]byte(sig), []byte(want)) {
		return ""
	}
	return openID
}

func (p *payPages) secure() bool { return strings.HasPrefix(p.a.cfg.PublicURL, "https://") }

// authorize sends the browser to WeChat's OAuth (snsapi_base: asks the
// buyer nothing), which comes back to the callback with a code.
func (p *payPages) authorize(w http.ResponseWriter, r *http.Request, token string) {
	var b [16]byte
	_, _ = rand.Read(b[:])
	state := hex.EncodeToString(b[:])
	http.SetCookie(w, &http.Cookie{Name: payStateCookie, Value: state, Path: "/pay/", MaxAge: int(payStateTTL / time.Second),
		HttpOnly: true, Secure: p.secure(), SameSite: http.SameSiteLaxMode})
	callback := p.a.cfg.PublicURL + "/pay/o/" + token + "/wechat"
	w.Header().Set("Cache-Control", "no-store")
	http.Redirect(w, r, web.WeChatAuthorizeURL(p.a.cfg.WeChat.OAuthBase, p.a.wechat.AppID(), callback, state), http.StatusFound)
}

// oauthCallback finishes the OAuth: GET /pay/o/{token}/wechat.
func (p *payPages) oauthCallback(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	token := r.PathValue("token")
	o, err := p.order(ctx, token)
	if err != nil {
		p.failed(w, r, commerce.Order{}, err)
		return
	}
	http.SetCookie(w, &http.Cookie{Name: payStateCookie, Value: "", Path: "/pay/", MaxAge: -1, HttpOnly: true,
		Secure: p.secure(), SameSite: http.SameSiteLaxMode})
	c, err := r.Cookie(payStateCookie)
	state := r.URL.Query().Get("state")
	if err != nil || state == "" || !hmac.Equal([]byte(c.Value), []byte(state)) || !p.jsapi() {
		p.failed(w, r, o, fmt.Errorf("pay page: oauth state missing or forged: %w", commerce.ErrInvalid))
		return
	}
	openID, err := p.a.wechat.OAuthOpenID(ctx, r.URL.Query().Get("code"))
	if err != nil {
		p.failed(w, r, o, fmt.Errorf("pay page: oauth code exchange: %w: %w", commerce.ErrProvider, err))
		return
	}
	sig := base64.RawURLEncoding.EncodeToString(p.sum("openid", p.a.wechat.AppID(), openID)) // an openid is per appid
	http.SetCookie(w, &http.Cookie{Name: payOpenIDCookie, Value: openID + "." + sig, Path: "/pay/", MaxAge: int(payOpenIDTTL / time.Second),
		HttpOnly: true, Secure: p.secure(), SameSite: http.SameSiteLaxMode})
	w.Header().Set("Cache-Control", "no-store")
	http.Redirect(w, r, "/pay/o/"+token, http.StatusFound)
}

// status answers the page's polling.
func (p *payPages) status(w http.ResponseWriter, r *http.Request) {
	o, err := p.order(r.Context(), r.PathValue("token"))
	w.Header().Set("Cache-Control", "no-store")
	if errors.Is(err, errBadPayLink) {
		writeJSON(w, http.StatusNotFound, map[string]string{"error": "not found"})
		return
	}
	if err != nil {
		writeJSON(w, http.StatusServiceUnavailable, map[string]string{"error": "unavailable"})
		return
	}
	paid := o.Paid.IsPaid() || o.Status == commerce.StatusPaid
	closed := !paid && o.Status != commerce.StatusPending && o.Status != commerce.StatusAwaitingPayment
	writeJSON(w, http.StatusOK, map[string]any{"paid": paid, "closed": closed, "status": o.Status})
}

// qr is the PNG of an open NATIVE attempt's code_url: GET /pay/qr/{no}.png.
func (p *payPages) qr(w http.ResponseWriter, r *http.Request) {
	no, ok := strings.CutSuffix(r.PathValue("file"), ".png")
	if !ok || no == "" || len(no) > 32 {
		http.NotFound(w, r)
		return
	}
	at, err := p.a.payments.Attempt(r.Context(), no)
	if err != nil || at.State != commerce.AttemptOpen || at.TradeType != commerce.TradeNative || at.Prepay == "" {
		if err != nil && !errors.Is(err, commerce.ErrNotFound) {
			p.a.log.ErrorContext(r.Context(), "pay qr", "err", err)
		}
		http.NotFound(w, r)
		return
	}
	png, err := qrcode.Encode(at.Prepay, qrcode.Medium, 320)
	if err != nil {
		http.Error(w, "qr", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "image/png")
	w.Header().Set("Cache-Control", "no-store")
	_, _ = w.Write(png)
}
