package app

import (
	"strings"
	"testing"
	"time"
)

// payEnv is a complete WeChat Pay merchant, keys from wechatpay's test data.
func payEnv(over map[string]string) map[string]string {
	vars := map[string]string{
		"SHOPBOT_PUBLIC_URL":         "https://shop.example",
		"WECHATPAY_MCHID":            "1900000109",
		"WECHATPAY_APPID":            "wxd678efh567hg6787",
		"WECHATPAY_SERIAL":           "5157F09EFDC096DE15EBE81A47057A7232F1B8E1",
		"WECHATPAY_PRIVATE_KEY_FILE": "../wechatpay/testdata/merchant_pkcs8.pem",
		"WECHATPAY_APIV3_KEY":        "0123456789abcdef0123456789ABCDEF",
		"WECHATPAY_PUBLIC_KEY_FILE":  "../wechatpay/testdata/wechatpay_pub.pem",
		"WECHATPAY_PUBLIC_KEY_ID":    "PUB_KEY_ID_0114232134912410000000000000",
	}
	for k, v := range over {
		if v == "-" {
			delete(vars, k)
		} else {
			vars[k] = v
		}
	}
	return vars
}

func TestPayConfigFromEnv(t *testing.T) {
	off, err := ConfigFromEnv(env(nil))
	if err != nil || off.Pay.WeChat != nil || off.Pay.TTL != 15*time.Minute || off.Telegram.PaymentToken != "" {
		t.Fatalf("default: %+v, %v", off.Pay, err)
	}
	on, err := ConfigFromEnv(env(payEnv(map[string]string{"SHOPBOT_PAY_TTL": "20m", "TELEGRAM_TOKEN": "1:x",
		"TELEGRAM_MODE": "polling", "TELEGRAM_PAYMENT_PROVIDER_TOKEN": "284685063:TEST:secret"})))
	if err != nil {
		t.Fatal(err)
	}
	w := on.Pay.WeChat
	if w == nil || w.MchID != "1900000109" || w.AppID != "wxd678efh567hg6787" || w.PrivateKey == nil || w.PublicKey == nil ||
		w.APIBase != "https://api.mch.weixin.qq.com" || on.Pay.TTL != 20*time.Minute || on.Telegram.PaymentToken == "" {
		t.Fatalf("configured: %v ttl %v telegram %v", w, on.Pay.TTL, on.Telegram)
	}
	// Logged configs show no secret.
	for _, s := range []string{w.String(), on.Telegram.String()} {
		if strings.Contains(s, "0123456789abcdef") || strings.Contains(s, "secret") || strings.Contains(s, "PRIVATE") {
			t.Errorf("config string shows a secret: %s", s)
		}
	}
	// WECHATPAY_APPID defaults to the Official Account's.
	def, err := ConfigFromEnv(env(payEnv(map[string]string{"WECHATPAY_APPID": "-", "WECHAT_APPID": "wxoa", "WECHAT_SECRET": "s",
		"WECHAT_TOKEN": "t", "WECHAT_AES_KEY": strings.Repeat("a", 43), "WECHATPAY_API_BASE": "http://127.0.0.1:1/"})))
	if err != nil || def.Pay.WeChat.AppID != "wxoa" || def.Pay.WeChat.APIBase != "http://127.0.0.1:1" {
		t.Fatalf("appid from WECHAT_APPID: %v, %v", def.Pay.WeChat, err)
	}
	if c, err := ConfigFromEnv(env(payEnv(map[string]string{"SHOPBOT_PUBLIC_URL": "http://127.0.0.1:8080"}))); err != nil || c.Pay.WeChat == nil {
		t.Fatalf("an explicit loopback http public URL (a local fake): %v", err)
	}
	for _, tc := range []struct {
		name    string
		vars    map[string]string
		want    []string // in the error
		notWant string
	}{
		{"one variable", map[string]string{"WECHATPAY_MCHID": "1900000109"},
			[]string{"WECHATPAY_APPID", "WECHATPAY_SERIAL", "WECHATPAY_PRIVATE_KEY_FILE", "WECHATPAY_APIV3_KEY", "WECHATPAY_PUBLIC_KEY_FILE", "WECHATPAY_PUBLIC_KEY_ID"}, "1900000109"},
		{"no key", payEnv(map[string]string{"WECHATPAY_APIV3_KEY": "-"}), []string{"WECHATPAY_APIV3_KEY missing"}, "1900000109"},
		{"short key", payEnv(map[string]string{"WECHATPAY_APIV3_KEY": "tooshort-secret"}), []string{"WECHATPAY_APIV3_KEY must be 32 bytes"}, "tooshort"},
		{"no public url", payEnv(map[string]string{"SHOPBOT_PUBLIC_URL": "-"}), []string{"SHOPBOT_PUBLIC_URL"}, ""},
		{"http public url", payEnv(map[string]string{"SHOPBOT_PUBLIC_URL": "http://shop.example"}), []string{"https SHOPBOT_PUBLIC_URL"}, ""},
		{"missing key file", payEnv(map[string]string{"WECHATPAY_PRIVATE_KEY_FILE": "/nonexistent/key.pem"}), []string{"WECHATPAY_PRIVATE_KEY_FILE"}, ""},
		{"public key as private", payEnv(map[string]string{"WECHATPAY_PRIVATE_KEY_FILE": "../wechatpay/testdata/wechatpay_pub.pem"}), []string{"WECHATPAY_PRIVATE_KEY_FILE"}, "MII"},
		{"public key id", payEnv(map[string]string{"WECHATPAY_PUBLIC_KEY_ID": "5157F09E"}), []string{"PUB_KEY_ID_"}, ""},
		{"api base", payEnv(map[string]string{"WECHATPAY_API_BASE": "ftp://x"}), []string{"WECHATPAY_API_BASE"}, ""},
		{"ttl", map[string]string{"SHOPBOT_PAY_TTL": "5s"}, []string{"SHOPBOT_PAY_TTL"}, ""},
	} {
		_, err := ConfigFromEnv(env(tc.vars))
		if err == nil {
			t.Errorf("%s: no error", tc.name)
			continue
		}
		for _, w := range tc.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%s: %v; want it to name %s", tc.name, err, w)
			}
		}
		if tc.notWant != "" && strings.Contains(err.Error(), tc.notWant) {
			t.Errorf("%s: %v shows %q", tc.name, err, tc.notWant)
		}
	}
}
