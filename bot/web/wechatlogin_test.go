package web_test

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"shopbot/bot/web"
	"shopbot/bot/wechat"
	"shopbot/bot/wechat/wechattest"
)

const (
	wxAppID     = "wx0123456789abcdef"
	wxSecret    = "wechat-app-secret-0123456789"
	callbackURL = "https://shop.example/auth/wechat/callback"
	weChatUA    = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148 MicroMessenger/8.0.47(0x18002f2c) NetType/WIFI Language/zh_CN"
)

// links records the LinkWeChat calls.
type links struct {
	mu    sync.Mutex
	calls []string
	fail  error
}

func (l *links) link(_ context.Context, webID, openID string) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.fail != nil {
		return l.fail
	}
	l.calls = append(l.calls, webID+" "+openID)
	return nil
}

func (l *links) list() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.calls...)
}

// wechatServer is the web chat with WeChat sign-in, against the fake of
// WeChat's authorize page and API, exchanging codes through the WeChat
// adapter.
func wechatServer(t *testing.T) (*server, *wechattest.FakeAPI, *links) {
	t.Helper()
	fake := wechattest.NewFakeAPI(wxAppID, wxSecret)
	t.Cleanup(fake.Close)
	l := &links{}
	s := newServer(t, func(s *server, o *web.Options) {
		adapter, err := wechat.New(wechat.Options{AppID: wxAppID, AppSecret: wxSecret, Token: "token", Plaintext: true,
			APIBase: fake.URL(), Router: s.router})
		if err != nil {
			t.Fatal(err)
		}
		o.WeChat = &web.WeChatLogin{AppID: adapter.AppID(), AuthorizeBase: fake.URL(), CallbackURL: callbackURL, Exchange: adapter.OAuthOpenID}
		o.LinkWeChat = l.link
	})
	return s, fake, l
}

// follow requests u with the client's cookies (a URL of the shop's public
// address goes to the test server) and returns the response.
func (c *client) follow(u string) (*http.Response, string) {
	c.t.Helper()
	if rest, ok := strings.CutPrefix(u, "https://shop.example"); ok {
		u = c.s.URL + rest
	} else if strings.HasPrefix(u, "/") {
		u = c.s.URL + u
	}
	resp, body := do(c.t, c.hc, http.MethodGet, u, "", nil, c.header)
	return resp, string(body)
}

func location(t *testing.T, resp *http.Response) string {
	t.Helper()
	if resp.StatusCode != http.StatusFound {
		t.Fatalf("%s %s: %s; want a redirect", resp.Request.Method, resp.Request.URL, resp.Status)
	}
	return resp.Header.Get("Location")
}

// startLogin opens the page in WeChat's browser and follows it to WeChat's
// authorize page; it returns that page's URL.
func startLogin(t *testing.T, c *client) string {
	t.Helper()
	resp, _ := c.follow("/?lang=en")
	if loc := location(t, resp); loc != web.WeChatLoginPath+"?lang=en" {
		t.Fatalf("the page in WeChat sends to %q", loc)
	}
	resp, _ = c.follow(web.WeChatLoginPath + "?lang=en")
	return location(t, resp)
}

// TestWeChatLogin is the whole sign-in inside WeChat's browser: the page
// sends the browser to WeChat's authorize page (snsapi_base), WeChat sends
// it back with a code, the code becomes the openid on the API, the web
// identity is linked to it, and the page opens without going to WeChat
// again.
func TestWeChatLogin(t *testing.T) {
	t.Parallel()
	s, fake, l := wechatServer(t)
	fake.SetOAuthUser("oBuyer0001")
	c := s.client(t)
	c.header.Set("User-Agent", weChatUA)
	authorize := startLogin(t, c)
	id := c.identity()
	if id == "" {
		t.Fatal("no identity before the sign-in")
	}
	// WeChat checks the parameters in this order, with the fragment.
	state := fake.OAuthState() // not yet: the fake has not been visited
	if state != "" {
		t.Fatalf("state %q before the visit", state)
	}
	wantPrefix := fake.URL() + "/connect/oauth2/authorize?appid=" + wxAppID + "&redirect_uri=" + url.QueryEscape(callbackURL) +
		"&response_type=code&scope=snsapi_base&state="
	if !strings.HasPrefix(authorize, wantPrefix) || !strings.HasSuffix(authorize, "#wechat_redirect") {
		t.Fatalf("authorize URL %q", authorize)
	}
	if st := c.cookie("shopbot_wxstate"); st != nil {
		t.Fatalf("the state cookie is sent beyond its path: %+v", st)
	}
	resp, _ := c.follow(authorize)
	back := location(t, resp)
	if !strings.HasPrefix(back, callbackURL+"?") {
		t.Fatalf("WeChat sends back to %q", back)
	}
	resp, _ = c.follow(back)
	if loc := location(t, resp); loc != "/" {
		t.Fatalf("after the sign-in: %q", loc)
	}
	if got := l.list(); len(got) != 1 || got[0] != id+" oBuyer0001" {
		t.Fatalf("LinkWeChat calls %q; want %q", got, id+" oBuyer0001")
	}
	if c.identity() != id {
		t.Fatalf("the sign-in changed the web identity")
	}
	// The page now opens in WeChat without going there again.
	if resp, _ := c.follow("/?lang=en"); resp.StatusCode != http.StatusOK {
		t.Fatalf("the page after the sign-in: %s", resp.Status)
	}
	// The identity is known (linking is worth keeping).
	var n int
	if err := s.store.DB().QueryRowContext(t.Context(), `SELECT COUNT(*) FROM web_identities WHERE id = $1`, id).Scan(&n); err != nil || n != 1 {
		t.Fatalf("identity rows %d, %v", n, err)
	}
	// A browser WeChat never sent back (its domain not configured, the
	// user turned back) opens the page without going round again.
	lost := s.client(t)
	lost.header.Set("User-Agent", weChatUA)
	startLogin(t, lost)
	if resp, _ := lost.follow("/?lang=en"); resp.StatusCode != http.StatusOK {
		t.Fatalf("the page after a sign-in that never came back: %s", resp.Status)
	}
	// A browser that is not WeChat's is not sent there.
	plain := s.client(t)
	if resp, _ := plain.follow("/"); resp.StatusCode != http.StatusOK {
		t.Fatalf("the page outside WeChat: %s", resp.Status)
	}
}

// TestWeChatLoginRefusals: a forged, expired, missing or someone else's
// state, a code WeChat refuses and a failed link each answer a page in
// the reader's language, link nothing, and do not send the browser round
// again.
func TestWeChatLoginRefusals(t *testing.T) {
	t.Parallel()
	expired := texts.Text("en", "webchat_wechat_expired", nil)
	failed := texts.Text("en", "webchat_wechat_failed", nil)
	for _, tc := range []struct {
		name string
		// callback returns the callback URL the browser c goes to, given
		// the one WeChat sent it back with.
		callback func(t *testing.T, s *server, fake *wechattest.FakeAPI, l *links, c *client, back string) string
		status   int
		text     string
	}{
		{"forged state", func(t *testing.T, _ *server, _ *wechattest.FakeAPI, _ *links, _ *client, back string) string {
			u, _ := url.Parse(back)
			q := u.Query()
			q.Set("state", strings.Repeat("0", 32))
			u.RawQuery = q.Encode()
			return u.String()
		}, http.StatusBadRequest, expired},
		{"no state", func(t *testing.T, _ *server, _ *wechattest.FakeAPI, _ *links, _ *client, back string) string {
			u, _ := url.Parse(back)
			q := u.Query()
			q.Del("state")
			u.RawQuery = q.Encode()
			return u.String()
		}, http.StatusBadRequest, expired},
		{"expired state", func(t *testing.T, s *server, _ *wechattest.FakeAPI, _ *links, _ *client, back string) string {
			s.clock.Advance(11 * time.Minute)
			return back
		}, http.StatusBadRequest, expired},
		{"state cookie lost", func(t *testing.T, s *server, _ *wechattest.FakeAPI, _ *links, c *client, back string) string {
			jar := c.hc.Jar
			u, _ := url.Parse(s.URL + web.WeChatLoginPath)
			jar.SetCookies(u, []*http.Cookie{{Name: "shopbot_wxstate", Value: "", Path: web.WeChatLoginPath, MaxAge: -1}})
			return back
		}, http.StatusBadRequest, expired},
		{"state of another identity", func(t *testing.T, s *server, _ *wechattest.FakeAPI, _ *links, c *client, back string) string {
			// The state cookie and WeChat's answer end up with a browser of
			// another identity (a link sent to someone else).
			u, _ := url.Parse(s.URL + "/")
			other := s.client(t)
			other.do(http.MethodGet, "/", "", nil)
			c.hc.Jar.SetCookies(u, []*http.Cookie{{Name: web.IdentityCookie, Value: other.cookie(web.IdentityCookie).Value, Path: "/"}})
			return back
		}, http.StatusBadRequest, expired},
		{"code refused", func(t *testing.T, _ *server, fake *wechattest.FakeAPI, _ *links, _ *client, back string) string {
			u, _ := url.Parse(back)
			q := u.Query()
			q.Set("code", "CODE-NOT-ISSUED")
			u.RawQuery = q.Encode()
			return u.String()
		}, http.StatusBadGateway, failed},
		{"no code", func(t *testing.T, _ *server, fake *wechattest.FakeAPI, _ *links, _ *client, back string) string {
			u, _ := url.Parse(back)
			q := u.Query()
			q.Del("code")
			u.RawQuery = q.Encode()
			return u.String()
		}, http.StatusBadRequest, failed},
		{"link fails", func(t *testing.T, _ *server, _ *wechattest.FakeAPI, l *links, _ *client, back string) string {
			l.mu.Lock()
			l.fail = errors.New("database down")
			l.mu.Unlock()
			return back
		}, http.StatusServiceUnavailable, failed},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s, fake, l := wechatServer(t)
			fake.SetOAuthUser("oBuyer0002")
			c := s.client(t)
			c.header.Set("User-Agent", weChatUA)
			c.header.Set("Accept-Language", "en")
			resp, _ := c.follow(startLogin(t, c))
			back := location(t, resp)
			exchanges := fake.OAuthExchanges()
			resp, body := c.follow(tc.callback(t, s, fake, l, c, back))
			if resp.StatusCode != tc.status || !strings.Contains(body, tc.text) || !strings.Contains(body, texts.Text("en", "webchat_continue", nil)) {
				t.Fatalf("callback: %s; want %d with %q\n%s", resp.Status, tc.status, tc.text, body)
			}
			if strings.Contains(body, "database") || strings.Contains(body, "40029") {
				t.Errorf("the page shows an internal error: %s", body)
			}
			if got := l.list(); len(got) != 0 {
				t.Errorf("linked %q", got)
			}
			if tc.status == http.StatusBadRequest && fake.OAuthExchanges() != exchanges {
				t.Errorf("a refused state still exchanged the code")
			}
			// The page opens; the browser is not sent round again at once.
			if resp, _ := c.follow("/?lang=en"); resp.StatusCode != http.StatusOK {
				t.Fatalf("the page after a failed sign-in: %s", resp.Status)
			}
		})
	}
}
