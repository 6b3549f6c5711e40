package app

import (
	"crypto/rsa"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"shopbot/wechatpay"
)

// PayConfig is online payment (issue 14). With WeChat nil and no
// Telegram provider token, every order is paid at pickup as before.
type PayConfig struct {
	// WeChat is the WeChat Pay v3 merchant; nil: WeChat Pay is off.
	WeChat *WeChatPayConfig
	// TTL is how long an order awaiting payment holds its stock
	// (SHOPBOT_PAY_TTL, default 15m).
	TTL time.Duration
}

// WeChatPayConfig is a WeChat Pay v3 direct merchant.
type WeChatPayConfig struct {
	MchID       string          // WECHATPAY_MCHID
	AppID       string          // WECHATPAY_APPID, default WECHAT_APPID
	Serial      string          // WECHATPAY_SERIAL: the merchant certificate's serial
	PrivateKey  *rsa.PrivateKey // read from WECHATPAY_PRIVATE_KEY_FILE
	APIv3Key    []byte          // WECHATPAY_APIV3_KEY, 32 bytes
	PublicKey   *rsa.PublicKey  // read from WECHATPAY_PUBLIC_KEY_FILE: the WeChat Pay public key
	PublicKeyID string          // WECHATPAY_PUBLIC_KEY_ID, PUB_KEY_ID_…
	APIBase     string          // WECHATPAY_API_BASE, default https://api.mch.weixin.qq.com

	// httpClient replaces the client's (tests watch the calls to a fake).
	httpClient *http.Client
}

// String hides the keys so a config can be logged.
func (c *WeChatPayConfig) String() string {
	if c == nil {
		return "wechatpay{off}"
	}
	return fmt.Sprintf("wechatpay{mchid:%s appid:%s serial:%s public_key_id:%s api:%q}", c.MchID, c.AppID, c.Serial, c.PublicKeyID, c.APIBase)
}

// GoString is String, for %#v.
func (c *WeChatPayConfig) GoString() string { return c.String() }

// client is the wechatpay client's configuration.
func (c *WeChatPayConfig) client() wechatpay.Config {
	return wechatpay.Config{MchID: c.MchID, AppID: c.AppID, SerialNo: c.Serial, PrivateKey: c.PrivateKey, APIv3Key: c.APIv3Key,
		PublicKey: c.PublicKey, PublicKeyID: c.PublicKeyID, BaseURL: c.APIBase, HTTPClient: c.httpClient}
}

// weChatPayVars are the variables a WeChat Pay merchant needs, all or none
// (WECHATPAY_APPID may come from WECHAT_APPID).
var weChatPayVars = []string{"WECHATPAY_MCHID", "WECHATPAY_APPID", "WECHATPAY_SERIAL", "WECHATPAY_PRIVATE_KEY_FILE",
	"WECHATPAY_APIV3_KEY", "WECHATPAY_PUBLIC_KEY_FILE", "WECHATPAY_PUBLIC_KEY_ID"}

// payFromEnv reads the payment settings. A partial WeChat Pay merchant is
// an error naming what is missing; no error ever quotes a key's value.
// publicURLSet: SHOPBOT_PUBLIC_URL was given — WeChat Pay posts its
// notifications there, so the default (the listening address) will not do.
func payFromEnv(getenv func(string) string, publicURL string, publicURLSet bool) (PayConfig, error) {
	c := PayConfig{TTL: 15 * time.Minute}
	var err error
	if c.TTL, err = duration(getenv, "SHOPBOT_PAY_TTL", c.TTL); err != nil {
		return c, err
	}
	if c.TTL < time.Minute || c.TTL > 2*time.Hour {
		return c, fmt.Errorf("SHOPBOT_PAY_TTL %q: want from 1m to 2h (WeChat Pay's time_expire)", getenv("SHOPBOT_PAY_TTL"))
	}
	val := map[string]string{}
	var set, missing []string
	for _, name := range weChatPayVars {
		v := strings.TrimSpace(getenv(name))
		if name == "WECHATPAY_APPID" {
			if v != "" {
				set = append(set, name)
			}
			v = or(v, getenv("WECHAT_APPID"))
		} else if v != "" {
			set = append(set, name)
		}
		if v == "" {
			missing = append(missing, name)
		}
		val[name] = v
	}
	if len(set) == 0 {
		return c, nil // off
	}
	if len(missing) > 0 {
		return c, fmt.Errorf("WeChat Pay is partly configured: %s missing (set all of %s, or none)",
			strings.Join(missing, ", "), strings.Join(weChatPayVars, ", "))
	}
	if !publicURLSet {
		return c, fmt.Errorf("WeChat Pay needs SHOPBOT_PUBLIC_URL: its notifications are posted to SHOPBOT_PUBLIC_URL%s", payNotifyPath)
	}
	if !strings.HasPrefix(publicURL, "https://") {
		// WeChat Pay itself only posts to https; http is for a local fake.
		u, _ := url.Parse(publicURL)
		if u == nil || !isLoopback(u.Hostname()) {
			return c, fmt.Errorf("WeChat Pay needs an https SHOPBOT_PUBLIC_URL (notify_url); http only on a loopback address for tests")
		}
	}
	w := &WeChatPayConfig{MchID: val["WECHATPAY_MCHID"], AppID: val["WECHATPAY_APPID"], Serial: val["WECHATPAY_SERIAL"],
		APIv3Key: []byte(val["WECHATPAY_APIV3_KEY"]), PublicKeyID: val["WECHATPAY_PUBLIC_KEY_ID"],
		APIBase: strings.TrimRight(or(getenv("WECHATPAY_API_BASE"), wechatpay.DefaultBaseURL), "/")}
	if len(w.APIv3Key) != 32 {
		return c, fmt.Errorf("WECHATPAY_APIV3_KEY must be 32 bytes (it has %d)", len(w.APIv3Key))
	}
	if u, err := url.Parse(w.APIBase); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" {
		return c, fmt.Errorf("WECHATPAY_API_BASE must be an http(s) URL")
	}
	if w.PrivateKey, err = wechatpay.LoadPrivateKey(val["WECHATPAY_PRIVATE_KEY_FILE"]); err != nil {
		return c, fmt.Errorf("WECHATPAY_PRIVATE_KEY_FILE: %w", err)
	}
	if w.PublicKey, err = wechatpay.LoadPublicKey(val["WECHATPAY_PUBLIC_KEY_FILE"]); err != nil {
		return c, fmt.Errorf("WECHATPAY_PUBLIC_KEY_FILE: %w", err)
	}
	if err := w.client().Validate(); err != nil {
		return c, err
	}
	c.WeChat = w
	return c, nil
}

// isLoopback reports whether host is localhost or a loopback address.
func isLoopback(host string) bool {
	return host == "localhost" || strings.HasPrefix(host, "127.") || host == "::1"
}
