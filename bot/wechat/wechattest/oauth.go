package wechattest

import (
	"fmt"
	"net/http"
	"net/url"
)

// The web page's sign-in (OAuth, scope snsapi_base): the fake plays both
// WeChat's authorize page (open.weixin.qq.com, WECHAT_OAUTH_BASE) and the
// code exchange of the API (WECHAT_API_BASE). Codes are single-use, as
// WeChat's are.

// oauthState is the sign-in part of the fake (under FakeAPI.mu).
type oauthState struct {
	user      string            // the openid the authorize page signs in as ("" refuses)
	codes     map[string]string // code → openid, until exchanged
	seq       int
	exchanges int    // access_token calls, answered or not
	lastState string // the state the authorize page last passed on
}

func (f *FakeAPI) registerOAuth(mux *http.ServeMux) {
	mux.HandleFunc("GET /connect/oauth2/authorize", f.oauthAuthorize)
	mux.HandleFunc("GET /sns/oauth2/access_token", f.oauthToken)
}

// SetOAuthUser makes the authorize page sign in as openID from now on;
// "" makes it send users back without a code (a refusal).
func (f *FakeAPI) SetOAuthUser(openID string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.oauth.user = openID
}

// OAuthExchanges counts the code exchanges (sns/oauth2/access_token calls).
func (f *FakeAPI) OAuthExchanges() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.oauth.exchanges
}

// OAuthState is the state the authorize page last passed on.
func (f *FakeAPI) OAuthState() string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.oauth.lastState
}

// IssueOAuthCode makes a code for openID as the authorize page would (for
// tests that call the callback themselves).
func (f *FakeAPI) IssueOAuthCode(openID string) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.issueCodeLocked(openID)
}

func (f *FakeAPI) issueCodeLocked(openID string) string {
	if f.oauth.codes == nil {
		f.oauth.codes = map[string]string{}
	}
	f.oauth.seq++
	code := fmt.Sprintf("CODE%06d", f.oauth.seq)
	f.oauth.codes[code] = openID
	return code
}

// oauthAuthorize is WeChat's authorize page: with the parameters WeChat
// requires it redirects to redirect_uri with a code and the state, as a
// user inside WeChat sees it happen (snsapi_base asks nothing).
func (f *FakeAPI) oauthAuthorize(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	redirect, err := url.Parse(q.Get("redirect_uri"))
	switch {
	case q.Get("appid") != f.appID:
		http.Error(w, "invalid appid", http.StatusBadRequest)
		return
	case q.Get("response_type") != "code" || q.Get("scope") != "snsapi_base":
		http.Error(w, "invalid response_type or scope", http.StatusBadRequest)
		return
	case err != nil || (redirect.Scheme != "http" && redirect.Scheme != "https") || redirect.Host == "":
		http.Error(w, "invalid redirect_uri", http.StatusBadRequest)
		return
	}
	f.mu.Lock()
	f.oauth.lastState = q.Get("state")
	back := redirect.Query()
	if f.oauth.user != "" {
		back.Set("code", f.issueCodeLocked(f.oauth.user))
	}
	f.mu.Unlock()
	back.Set("state", q.Get("state"))
	redirect.RawQuery = back.Encode()
	http.Redirect(w, r, redirect.String(), http.StatusFound)
}

// oauthToken exchanges a code for the openid, once.
func (f *FakeAPI) oauthToken(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	f.mu.Lock()
	defer f.mu.Unlock()
	f.oauth.exchanges++
	switch {
	case q.Get("appid") != f.appID || q.Get("secret") != f.secret:
		writeJSON(w, map[string]any{"errcode": 40125, "errmsg": "invalid appsecret"})
		return
	case q.Get("grant_type") != "authorization_code":
		writeJSON(w, map[string]any{"errcode": 40002, "errmsg": "invalid grant_type"})
		return
	}
	openID, ok := f.oauth.codes[q.Get("code")]
	if !ok {
		writeJSON(w, map[string]any{"errcode": 40029, "errmsg": "invalid code"})
		return
	}
	delete(f.oauth.codes, q.Get("code"))
	writeJSON(w, map[string]any{"access_token": "PAGE-TOKEN", "expires_in": 7200, "refresh_token": "REFRESH",
		"openid": openID, "scope": "snsapi_base"})
}
