package wechat

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"time"

	"github.com/silenceper/wechat/v2/officialaccount/basic"
	"github.com/silenceper/wechat/v2/officialaccount/menu"
	"github.com/silenceper/wechat/v2/officialaccount/message"
)

// APIError is an error answer (errcode ≠ 0) of the WeChat API. It never
// contains the access token or the app secret.
type APIError struct {
	API  string // "message/custom/send", …
	Code int64
	Msg  string
}

func (e *APIError) Error() string {
	return fmt.Sprintf("wechat %s: errcode %d: %s", e.API, e.Code, e.Msg)
}

// Error codes the adapter acts on.
const (
	codeInvalidToken   = 40001 // access_token invalid (refreshed elsewhere, or revoked)
	codeBadToken       = 40014 // access_token malformed
	codeTokenExpired   = 42001
	codeWindowClosed   = 45015 // customer-service window (48 h) closed
	codeQuotaExhausted = 45047 // customer-service quota of the window used up
)

// maxAnswer bounds an API answer we read.
const maxAnswer = 1 << 20

// apiClient calls the Official Account API with the stable access token.
type apiClient struct {
	base, appID, secret string
	http                *http.Client
	cache               TokenCache
	log                 *slog.Logger
	event               func(string)
}

// tokenLockTTL bounds a token refresh held by a replica that died.
const tokenLockTTL = 30 * time.Second

// token returns the cached access token, fetching one under the lock when
// there is none.
func (c *apiClient) token(ctx context.Context) (string, error) {
	key := TokenCacheKey(c.appID)
	if t := cachedString(c.cache.GetContext(ctx, key)); t != "" {
		return t, nil
	}
	unlock, err := c.cache.Lock(ctx, key+":lock", tokenLockTTL)
	if err != nil {
		return "", fmt.Errorf("wechat: access token lock: %w", err)
	}
	defer unlock()
	if t := cachedString(c.cache.GetContext(ctx, key)); t != "" {
		return t, nil // another caller fetched it while we waited
	}
	return c.fetchToken(ctx, false)
}

// renew replaces a token the API rejected (40001/42001). If another
// replica already replaced it, that token is used. A stable token fetched
// without force_refresh is the same until it expires, so when it comes
// back equal to the rejected one the fetch is repeated with force_refresh.
func (c *apiClient) renew(ctx context.Context, rejected string) (string, error) {
	key := TokenCacheKey(c.appID)
	unlock, err := c.cache.Lock(ctx, key+":lock", tokenLockTTL)
	if err != nil {
		return "", fmt.Errorf("wechat: access token lock: %w", err)
	}
	defer unlock()
	if t := cachedString(c.cache.GetContext(ctx, key)); t != "" && t != rejected {
		return t, nil
	}
	_ = c.cache.DeleteContext(ctx, key)
	t, err := c.fetchToken(ctx, false)
	if err == nil && t == rejected {
		t, err = c.fetchToken(ctx, true)
	}
	return t, err
}

// fetchToken calls /cgi-bin/stable_token and caches the answer until 5
// minutes before it expires.
func (c *apiClient) fetchToken(ctx context.Context, force bool) (string, error) {
	req := map[string]any{"grant_type": "client_credential", "appid": c.appID, "secret": c.secret, "force_refresh": force}
	data, err := c.post(ctx, "stable_token", "/cgi-bin/stable_token", "", req)
	if err != nil {
		return "", err
	}
	var res struct {
		AccessToken string `json:"access_token"`
		ExpiresIn   int64  `json:"expires_in"`
		ErrCode     int64  `json:"errcode"`
		ErrMsg      string `json:"errmsg"`
	}
	if err := json.Unmarshal(data, &res); err != nil {
		return "", errors.New("wechat stable_token: undecodable answer")
	}
	if res.ErrCode != 0 {
		return "", &APIError{API: "stable_token", Code: res.ErrCode, Msg: short(res.ErrMsg)}
	}
	if res.AccessToken == "" {
		return "", errors.New("wechat stable_token: no access_token in the answer")
	}
	ttl := time.Duration(res.ExpiresIn)*time.Second - 5*time.Minute
	if res.ExpiresIn <= 0 {
		ttl = 115 * time.Minute
	}
	ttl = max(ttl, time.Minute)
	if err := c.cache.SetContext(ctx, TokenCacheKey(c.appID), res.AccessToken, ttl); err != nil {
		c.log.WarnContext(ctx, "wechat: caching the access token failed", "err", err)
	}
	c.event(EventTokenRefresh)
	return res.AccessToken, nil
}

// call POSTs body to an API path with the access token and decodes the
// answer into out (may be nil). On 40001/42001 (and 40014) it renews the
// token once and retries once.
func (c *apiClient) call(ctx context.Context, api, path string, body, out any) error {
	for attempt := 0; ; attempt++ {
		tok, err := c.token(ctx)
		if err != nil {
			return err
		}
		data, err := c.post(ctx, api, path, tok, body)
		if err != nil {
			return err
		}
		var res struct {
			ErrCode int64  `json:"errcode"`
			ErrMsg  string `json:"errmsg"`
		}
		if err := json.Unmarshal(data, &res); err != nil {
			return fmt.Errorf("wechat %s: undecodable answer", api)
		}
		switch res.ErrCode {
		case 0:
			if out != nil {
				if err := json.Unmarshal(data, out); err != nil {
					return fmt.Errorf("wechat %s: undecodable answer", api)
				}
			}
			return nil
		case codeInvalidToken, codeTokenExpired, codeBadToken:
			if attempt == 0 {
				c.event(EventTokenRejected)
				if _, err := c.renew(ctx, tok); err != nil {
					return err
				}
				continue
			}
		}
		return &APIError{API: api, Code: res.ErrCode, Msg: short(res.ErrMsg)}
	}
}

// post sends JSON (without HTML escaping, as WeChat expects) and returns the
// answer body. Errors never include the URL, which carries the token.
func (c *apiClient) post(ctx context.Context, api, path, token string, body any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(body); err != nil {
		return nil, fmt.Errorf("wechat %s: encode: %w", api, err)
	}
	u := c.base + path
	if token != "" {
		u += "?access_token=" + url.QueryEscape(token)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, &buf)
	if err != nil {
		return nil, fmt.Errorf("wechat %s: bad request", api)
	}
	req.Header.Set("Content-Type", "application/json; charset=utf-8")
	resp, err := c.http.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // url.Error's text quotes the URL, token included
		}
		return nil, fmt.Errorf("wechat %s: %w", api, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxAnswer))
	if err != nil {
		return nil, fmt.Errorf("wechat %s: read answer: %w", api, err)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("wechat %s: HTTP %d", api, resp.StatusCode)
	}
	return data, nil
}

func (c *apiClient) sendKF(ctx context.Context, m *message.CustomerMessage) error {
	return c.call(ctx, "message/custom/send", "/cgi-bin/message/custom/send", m, nil)
}

func (c *apiClient) sendTemplate(ctx context.Context, m *message.TemplateMessage) (int64, error) {
	var res struct {
		MsgID int64 `json:"msgid"`
	}
	err := c.call(ctx, "message/template/send", "/cgi-bin/message/template/send", m, &res)
	return res.MsgID, err
}

func (c *apiClient) createMenu(ctx context.Context, buttons []*menu.Button) error {
	body := struct {
		Button []*menu.Button `json:"button"`
	}{buttons}
	return c.call(ctx, "menu/create", "/cgi-bin/menu/create", body, nil)
}

func (c *apiClient) qrTicket(ctx context.Context, req *basic.Request) (basic.Ticket, error) {
	var t basic.Ticket
	err := c.call(ctx, "qrcode/create", "/cgi-bin/qrcode/create", req, &t)
	if err == nil && t.Ticket == "" {
		err = errors.New("wechat qrcode/create: no ticket in the answer")
	}
	return t, err
}

// cachedString reads a cached token: the library's caches hold strings
// (Redis may hand back bytes).
func cachedString(v any) string {
	switch s := v.(type) {
	case string:
		return s
	case []byte:
		return string(s)
	}
	return ""
}

// short bounds an errmsg we keep in an error.
func short(s string) string { return truncate(oneLine(s), 160) }
