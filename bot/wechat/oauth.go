package wechat

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
)

// AppID is the Official Account's appid (the web page's WeChat sign-in
// names it).
func (a *Adapter) AppID() string { return a.o.AppID }

// OAuthOpenID exchanges the code of a web page's WeChat sign-in (OAuth,
// scope snsapi_base) for the signed-in user's openid, the same as the
// Official Account conversation's: GET /sns/oauth2/access_token. The page
// access token that comes with it is not kept (snsapi_base needs nothing
// more). Errors never contain the app secret or the code.
func (a *Adapter) OAuthOpenID(ctx context.Context, code string) (string, error) {
	if code == "" || len(code) > 512 {
		return "", errors.New("wechat sns/oauth2/access_token: no usable code")
	}
	q := url.Values{"appid": {a.o.AppID}, "secret": {a.o.AppSecret}, "code": {code}, "grant_type": {"authorization_code"}}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, a.o.APIBase+"/sns/oauth2/access_token?"+q.Encode(), nil)
	if err != nil {
		return "", errors.New("wechat sns/oauth2/access_token: bad request")
	}
	resp, err := a.o.HTTPClient.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // url.Error's text quotes the URL, secret included
		}
		return "", fmt.Errorf("wechat sns/oauth2/access_token: %w", err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxAnswer))
	if err != nil {
		return "", fmt.Errorf("wechat sns/oauth2/access_token: read answer: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("wechat sns/oauth2/access_token: HTTP %d", resp.StatusCode)
	}
	var res struct {
		OpenID  string `json:"openid"`
		ErrCode int64  `json:"errcode"`
		ErrMsg  string `json:"errmsg"`
	}
	if err := json.Unmarshal(data, &res); err != nil {
		return "", errors.New("wechat sns/oauth2/access_token: undecodable answer")
	}
	if res.ErrCode != 0 {
		return "", &APIError{API: "sns/oauth2/access_token", Code: res.ErrCode, Msg: short(res.ErrMsg)}
	}
	if res.OpenID == "" || len(res.OpenID) > 128 {
		return "", errors.New("wechat sns/oauth2/access_token: no openid in the answer")
	}
	return res.OpenID, nil
}
