package app

import (
	"net/netip"
	"strings"
	"testing"
	"time"
)

func TestConfigFromEnv(t *testing.T) {
	def, err := ConfigFromEnv(env(nil))
	if err != nil {
		t.Fatal(err)
	}
	if def.HTTPAddr != "127.0.0.1:8080" || def.DatabaseURL != "sqlite:shopbot.db" || def.PublicURL != "http://127.0.0.1:8080" ||
		def.ReservationTTL != 15*time.Minute || def.RedisURL != "" || def.Postgres() || def.Telegram.Mode != "polling" {
		t.Fatalf("defaults = %+v", def)
	}
	if def.LimitNewWebIDs != 60 || def.WeChat.OAuthBase != "https://open.weixin.qq.com" ||
		def.TrustedProxies.Trusts(netip.MustParseAddr("127.0.0.1")) {
		t.Fatalf("web identity defaults: limit %d, oauth %q, trusts loopback %v", def.LimitNewWebIDs, def.WeChat.OAuthBase,
			def.TrustedProxies.Trusts(netip.MustParseAddr("127.0.0.1")))
	}
	web, err := ConfigFromEnv(env(map[string]string{"SHOPBOT_TRUSTED_PROXIES": "10.0.0.0/8, 127.0.0.1",
		"SHOPBOT_LIMIT_NEW_WEB_IDS": "0", "WECHAT_OAUTH_BASE": "http://127.0.0.1:9999"}))
	if err != nil || web.LimitNewWebIDs != 0 || !web.TrustedProxies.Trusts(netip.MustParseAddr("10.1.2.3")) ||
		web.WeChat.OAuthBase != "http://127.0.0.1:9999" {
		t.Fatalf("web identity settings: %+v, %v", web, err)
	}
	if def.TimeZone.String() != "Asia/Shanghai" {
		t.Fatalf("default SHOPBOT_TIMEZONE = %s", def.TimeZone)
	}
	if c, err := ConfigFromEnv(env(map[string]string{"SHOPBOT_TIMEZONE": "Europe/Moscow"})); err != nil || c.TimeZone.String() != "Europe/Moscow" {
		t.Fatalf("SHOPBOT_TIMEZONE=Europe/Moscow: %v, %v", c.TimeZone, err)
	}
	for _, tc := range []struct {
		vars    map[string]string
		wantErr string
	}{
		{map[string]string{"DATABASE_URL": "mysql://x"}, "DATABASE_URL"},
		{map[string]string{"REDIS_URL": "localhost:6379"}, "REDIS_URL"},
		{map[string]string{"SHOPBOT_PUBLIC_URL": "ftp://x"}, "SHOPBOT_PUBLIC_URL"},
		{map[string]string{"SHOPBOT_LOG_LEVEL": "loud"}, "SHOPBOT_LOG_LEVEL"},
		{map[string]string{"SHOPBOT_RESERVATION_TTL": "-5m"}, "SHOPBOT_RESERVATION_TTL"},
		{map[string]string{"SHOPBOT_MAX_QTY": "0"}, "SHOPBOT_MAX_QTY"},
		{map[string]string{"TELEGRAM_TOKEN": "123:abc", "SHOPBOT_PUBLIC_URL": "https://shop.example"}, "TELEGRAM_WEBHOOK_SECRET"},
		{map[string]string{"TELEGRAM_TOKEN": "123:abc", "TELEGRAM_MODE": "webhook", "TELEGRAM_WEBHOOK_SECRET": "bad secret!"}, "TELEGRAM_WEBHOOK_SECRET"},
		{map[string]string{"TELEGRAM_TOKEN": "123:abc", "TELEGRAM_MODE": "carrier-pigeon"}, "TELEGRAM_MODE"},
		{map[string]string{"WECHAT_APPID": "wx1"}, "WECHAT_SECRET"},
		{map[string]string{"SHOPBOT_TIMEZONE": "Mars/Olympus"}, "SHOPBOT_TIMEZONE"},
		{map[string]string{"SHOPBOT_TIMEZONE": "Local"}, "SHOPBOT_TIMEZONE"},
		{map[string]string{"WECHAT_APPID": "wx1", "WECHAT_SECRET": "s", "WECHAT_TOKEN": "t"}, "WECHAT_AES_KEY"},
		{map[string]string{"SHOPBOT_TRUSTED_PROXIES": "10.0.0.0/8, nonsense"}, "SHOPBOT_TRUSTED_PROXIES"},
		{map[string]string{"SHOPBOT_TRUSTED_PROXIES": "10.0.0.0/33"}, "SHOPBOT_TRUSTED_PROXIES"},
		{map[string]string{"SHOPBOT_LIMIT_NEW_WEB_IDS": "-1"}, "SHOPBOT_LIMIT_NEW_WEB_IDS"},
		{map[string]string{"SHOPBOT_LIMIT_NEW_WEB_IDS": "lots"}, "SHOPBOT_LIMIT_NEW_WEB_IDS"},
		{map[string]string{"WECHAT_OAUTH_BASE": "open.weixin.qq.com"}, "WECHAT_OAUTH_BASE"},
	} {
		_, err := ConfigFromEnv(env(tc.vars))
		if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
			t.Errorf("%v: err = %v; want one naming %s", tc.vars, err, tc.wantErr)
		}
	}
	c, err := ConfigFromEnv(env(map[string]string{"TELEGRAM_TOKEN": "123:secret-token", "SHOPBOT_PUBLIC_URL": "https://shop.example/",
		"TELEGRAM_WEBHOOK_SECRET": "s3cr3t_-", "WECHAT_APPID": "wx1", "WECHAT_SECRET": "wxsecret", "WECHAT_TOKEN": "tok", "WECHAT_AES_KEY": "aeskey"}))
	if err != nil {
		t.Fatal(err)
	}
	if c.Telegram.Mode != "webhook" || c.PublicURL != "https://shop.example" {
		t.Fatalf("https public URL: mode %s url %s", c.Telegram.Mode, c.PublicURL)
	}
	for _, s := range []string{c.Telegram.String(), c.WeChat.String()} {
		for _, secret := range []string{"secret-token", "s3cr3t", "wxsecret", "aeskey"} {
			if strings.Contains(s, secret) {
				t.Errorf("config string %q shows a secret", s)
			}
		}
	}
}
