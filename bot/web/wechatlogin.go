package web

// Signing in with WeChat inside WeChat's browser (OAuth 2, scope
// snsapi_base, which asks the user nothing): the page becomes the same
// buyer as the Official Account conversation with the same openid.
//
//	GET /           in WeChat's browser (User-Agent MicroMessenger), once
//	                per browser: redirect to GET /auth/wechat
//	GET /auth/wechat
//	                a random state, bound to the web identity in a signed
//	                cookie (10 minutes), and a redirect to WeChat's
//	                authorize page, which comes back to
//	GET /auth/wechat/callback?code=…&state=…
//	                the state must be the cookie's, for this identity and
//	                in time; the code is exchanged for the openid on the
//	                API (WeChatLogin.Exchange) and Options.LinkWeChat makes
//	                the web identity that buyer; then back to the page.
//
// Failures answer a page in the reader's language with a link back to the
// shop; a browser that set out (whether or not it came back) is not sent
// to WeChat again for a day, one that signed in not again.

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// WeChatLogin enables signing in with WeChat inside WeChat's browser.
type WeChatLogin struct {
	AppID string
	// AuthorizeBase is the origin of WeChat's authorize page
	// (WECHAT_OAUTH_BASE), default DefaultWeChatAuthorizeBase.
	AuthorizeBase string
	// CallbackURL is the absolute URL of GET /auth/wechat/callback (the
	// public URL + WeChatCallbackPath); its domain must be the Official
	// Account's web authorization domain.
	CallbackURL string
	// Exchange trades a code for the openid (bot/wechat's
	// Adapter.OAuthOpenID on WECHAT_API_BASE).
	Exchange func(ctx context.Context, code string) (openID string, err error)
}

// Paths and defaults of the WeChat sign-in.
const (
	DefaultWeChatAuthorizeBase = "https://open.weixin.qq.com"
	WeChatLoginPath            = "/auth/wechat"
	WeChatCallbackPath         = "/auth/wechat/callback"
)

// Cookies of the sign-in: the pending state, and the mark that this
// browser went through it (so the page does not send it to WeChat again).
const (
	wechatStateCookie = "shopbot_wxstate"
	wechatDoneCookie  = "shopbot_wx"
)

const (
	wechatStateTTL  = 10 * time.Minute
	wechatDoneAfter = identityMaxAge // signed in: not again
	wechatRetry     = 24 * time.Hour // failed: try again tomorrow
)

// inWeChat reports whether the request comes from WeChat's browser.
func inWeChat(r *http.Request) bool { return strings.Contains(r.UserAgent(), "MicroMessenger") }

// wantsWeChatLogin reports whether GET / should go through the sign-in
// first: WeChat is configured, the page is open in WeChat's browser, and
// this browser has not been through it.
func (h *Handler) wantsWeChatLogin(r *http.Request) bool {
	if h.o.WeChat == nil || !inWeChat(r) {
		return false
	}
	_, err := r.Cookie(wechatDoneCookie)
	return err != nil
}

// stateMAC binds a state to the web identity and its expiry.
func (h *Handler) stateMAC(ctx context.Context, id, state string, exp int64) (string, error) {
	keys, err := h.ids.signingKeys(ctx, 0)
	if err != nil {
		return "", err
	}
	m := hmac.New(sha256.New, keys[0].Secret)
	m.Write([]byte("shopbot wechat state|" + id + "|" + state + "|" + strconv.FormatInt(exp, 10)))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil)[:16]), nil
}

// wechatLogin starts the sign-in: GET /auth/wechat.
func (h *Handler) wechatLogin(w http.ResponseWriter, r *http.Request) {
	lang := pageLang(r)
	id, _, err := h.ids.ensure(w, r)
	if err != nil {
		h.identityRefused(w, r, lang, err)
		return
	}
	var b [16]byte
	_, _ = rand.Read(b[:])
	state := hex.EncodeToString(b[:]) // WeChat takes [A-Za-z0-9] states
	exp := h.o.Now().Add(wechatStateTTL).Unix()
	sig, err := h.stateMAC(r.Context(), id, state, exp)
	if err != nil {
		h.identityRefused(w, r, lang, err)
		return
	}
	http.SetCookie(w, &http.Cookie{Name: wechatStateCookie, Value: state + "." + strconv.FormatInt(exp, 10) + "." + sig,
		Path: WeChatLoginPath, MaxAge: int(wechatStateTTL / time.Second), HttpOnly: true, Secure: h.o.Secure, SameSite: http.SameSiteLaxMode})
	// Tried: if WeChat does not send the browser back (the domain is not
	// the account's web authorization domain, the user turns back), the
	// page opens without it until tomorrow instead of sending it round.
	h.setWeChatDone(w, wechatRetry)
	wx := h.o.WeChat
	w.Header().Set("Cache-Control", "no-store")
	http.Redirect(w, r, WeChatAuthorizeURL(wx.AuthorizeBase, wx.AppID, wx.CallbackURL, state), http.StatusFound)
}

// WeChatAuthorizeURL is where a page inside WeChat sends the browser to
// learn the user's openid (OAuth, scope snsapi_base, which asks nothing):
// WeChat comes back to redirect with a code and state. WeChat wants the
// parameters in this order, and the fragment. The web chat's sign-in and
// the pay page both use it.
func WeChatAuthorizeURL(base, appID, redirect, state string) string {
	return strings.TrimRight(base, "/") + "/connect/oauth2/authorize?appid=" + url.QueryEscape(appID) +
		"&redirect_uri=" + url.QueryEscape(redirect) + "&response_type=code&scope=snsapi_base&state=" + url.QueryEscape(state) +
		"#wechat_redirect"
}

// errBadState: the callback's state is not the one this browser's cookie
// holds for this identity, or it expired.
var errBadState = errors.New("web: wechat sign-in state missing, forged or expired")

// checkState verifies the callback's state against the cookie.
func (h *Handler) checkState(r *http.Request, id string) error {
	c, err := r.Cookie(wechatStateCookie)
	if err != nil {
		return errBadState
	}
	parts := strings.Split(c.Value, ".")
	if len(parts) != 3 {
		return errBadState
	}
	exp, err := strconv.ParseInt(parts[1], 10, 64)
	if err != nil || h.o.Now().Unix() >= exp {
		return errBadState
	}
	want, err := h.stateMAC(r.Context(), id, parts[0], exp)
	if err != nil {
		return err
	}
	if !hmac.Equal([]byte(want), []byte(parts[2])) || !hmac.Equal([]byte(parts[0]), []byte(r.URL.Query().Get("state"))) {
		return errBadState
	}
	return nil
}

// wechatCallback finishes the sign-in: GET /auth/wechat/callback.
func (h *Handler) wechatCallback(w http.ResponseWriter, r *http.Request) {
	lang := pageLang(r)
	// The state is spent whatever happens next.
	http.SetCookie(w, &http.Cookie{Name: wechatStateCookie, Value: "", Path: WeChatLoginPath, MaxAge: -1, HttpOnly: true,
		Secure: h.o.Secure, SameSite: http.SameSiteLaxMode})
	fail := func(status int, key string) {
		h.setWeChatDone(w, wechatRetry)
		h.notice(w, r, lang, status, "webchat_wechat_signin", key)
	}
	id, _, ok := h.ids.fromRequest(r)
	if !ok {
		fail(http.StatusBadRequest, "webchat_wechat_expired")
		return
	}
	if err := h.checkState(r, id); err != nil {
		if !errors.Is(err, errBadState) {
			h.o.Log.ErrorContext(r.Context(), "wechat sign-in: keys", "err", err)
			fail(http.StatusServiceUnavailable, "webchat_wechat_failed")
			return
		}
		fail(http.StatusBadRequest, "webchat_wechat_expired")
		return
	}
	code := r.URL.Query().Get("code")
	if code == "" {
		fail(http.StatusBadRequest, "webchat_wechat_failed") // the user did not allow it
		return
	}
	openID, err := h.o.WeChat.Exchange(r.Context(), code)
	if err != nil {
		h.o.Log.WarnContext(r.Context(), "wechat sign-in: code exchange failed", "err", err)
		fail(http.StatusBadGateway, "webchat_wechat_failed")
		return
	}
	if h.o.Visitors != nil {
		if err := h.o.Visitors.SeeWebIdentity(r.Context(), id, h.o.Now()); err != nil {
			h.o.Log.WarnContext(r.Context(), "wechat sign-in: identity not recorded", "err", err)
		}
	}
	if h.o.LinkWeChat != nil {
		if err := h.o.LinkWeChat(r.Context(), id, openID); err != nil {
			h.o.Log.ErrorContext(r.Context(), "wechat sign-in: linking failed", "err", err)
			fail(http.StatusServiceUnavailable, "webchat_wechat_failed")
			return
		}
	}
	h.setWeChatDone(w, wechatDoneAfter)
	w.Header().Set("Cache-Control", "no-store")
	http.Redirect(w, r, "/", http.StatusFound)
}

func (h *Handler) setWeChatDone(w http.ResponseWriter, d time.Duration) {
	http.SetCookie(w, &http.Cookie{Name: wechatDoneCookie, Value: "1", Path: "/", MaxAge: int(d / time.Second), HttpOnly: true,
		Secure: h.o.Secure, SameSite: http.SameSiteLaxMode})
}
