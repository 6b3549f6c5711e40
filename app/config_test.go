package app

import (
	"net/netip"
	"strings"
	"testing"
	"time"

	"shopbot/commerce"
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
	if def.MetricsAddr != "127.0.0.1:9090" || def.MsgsPerSecond != 5 || def.msgBurst() != 20 {
		t.Fatalf("defaults: metrics %q, %v messages a second in bursts of %d", def.MetricsAddr, def.MsgsPerSecond, def.msgBurst())
	}
	for v, want := range map[string]string{"off": "", "127.0.0.1:0": "127.0.0.1:0", ":9100": ":9100"} {
		if c, err := ConfigFromEnv(env(map[string]string{"SHOPBOT_METRICS_ADDR": v})); err != nil || c.MetricsAddr != want {
			t.Errorf("SHOPBOT_METRICS_ADDR=%s: %q, %v; want %q", v, c.MetricsAddr, err, want)
		}
	}
	for v, want := range map[string]float64{"off": 0, "2": 2, "0.5": 0.5} {
		if c, err := ConfigFromEnv(env(map[string]string{"SHOPBOT_LIMIT_MSGS_PER_S": v})); err != nil || c.MsgsPerSecond != want {
			t.Errorf("SHOPBOT_LIMIT_MSGS_PER_S=%s: %v, %v; want %v", v, c.MsgsPerSecond, err, want)
		}
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
	if def.DefaultRegion != "CN" || def.Limits != (commerce.PersonLimits{OpenOrders: 3, OpenUnits: 20, Reservations: 3, Waitlists: 20, LapseBan: 30 * 24 * time.Hour}) {
		t.Fatalf("default region %q, limits %+v", def.DefaultRegion, def.Limits)
	}
	c, err := ConfigFromEnv(env(map[string]string{"SHOPBOT_DEFAULT_REGION": "ru", "SHOPBOT_ADMINS": "tg:1, wx:oAbc", "SHOPBOT_LIMIT_OPEN_ORDERS": "5",
		"SHOPBOT_LIMIT_OPEN_UNITS": "0", "SHOPBOT_LIMIT_RESERVATIONS": "1", "SHOPBOT_LIMIT_WAITLISTS": "7"}))
	if err != nil || c.DefaultRegion != "RU" || len(c.Admins) != 2 ||
		c.Limits != (commerce.PersonLimits{OpenOrders: 5, OpenUnits: -1, Reservations: 1, Waitlists: 7, LapseBan: 30 * 24 * time.Hour}) {
		t.Fatalf("set: region %q, admins %v, limits %+v, %v", c.DefaultRegion, c.Admins, c.Limits, err)
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
		// A webhook secret is all that tells Telegram's calls from anyone's.
		{map[string]string{"TELEGRAM_TOKEN": "123:abc", "TELEGRAM_MODE": "webhook", "TELEGRAM_WEBHOOK_SECRET": "x"}, "TELEGRAM_WEBHOOK_SECRET must be 16–256"},
		{map[string]string{"TELEGRAM_TOKEN": "123:abc", "TELEGRAM_MODE": "webhook", "TELEGRAM_WEBHOOK_SECRET": "fifteen_chars15"}, "TELEGRAM_WEBHOOK_SECRET"},
		{map[string]string{"TELEGRAM_TOKEN": "123:abc", "TELEGRAM_MODE": "polling", "TELEGRAM_WEBHOOK_SECRET": "short"}, "TELEGRAM_WEBHOOK_SECRET"},
		{map[string]string{"SHOPBOT_METRICS_ADDR": "9090"}, "SHOPBOT_METRICS_ADDR"},
		{map[string]string{"SHOPBOT_METRICS_ADDR": "localhost:"}, "SHOPBOT_METRICS_ADDR"},
		{map[string]string{"SHOPBOT_LIMIT_MSGS_PER_S": "fast"}, "SHOPBOT_LIMIT_MSGS_PER_S"},
		{map[string]string{"SHOPBOT_LIMIT_MSGS_PER_S": "0"}, "SHOPBOT_LIMIT_MSGS_PER_S"},
		{map[string]string{"SHOPBOT_LIMIT_MSGS_PER_S": "-1"}, "SHOPBOT_LIMIT_MSGS_PER_S"},
		{map[string]string{"WECHAT_APPID": "wx1"}, "WECHAT_SECRET"},
		{map[string]string{"SHOPBOT_TIMEZONE": "Mars/Olympus"}, "SHOPBOT_TIMEZONE"},
		{map[string]string{"SHOPBOT_TIMEZONE": "Local"}, "SHOPBOT_TIMEZONE"},
		{map[string]string{"WECHAT_APPID": "wx1", "WECHAT_SECRET": "s", "WECHAT_TOKEN": "t"}, "WECHAT_AES_KEY"},
		{map[string]string{"SHOPBOT_STAFF_KEY": "short"}, "SHOPBOT_STAFF_KEY"},
		{map[string]string{"SHOPBOT_STAFF_KEY": strings.Repeat("s", 32), "SHOPBOT_PICKUP_SECRET": strings.Repeat("s", 32)}, "SHOPBOT_STAFF_KEY must differ"},
		{map[string]string{"SHOPBOT_TRUSTED_PROXIES": "10.0.0.0/8, proxy.internal"}, "SHOPBOT_TRUSTED_PROXIES"},
		{map[string]string{"SHOPBOT_TRUSTED_PROXIES": "10.0.0.0/33"}, "SHOPBOT_TRUSTED_PROXIES"},
		{map[string]string{"SHOPBOT_ADMINS": "tg:1,web:alice"}, "SHOPBOT_ADMINS"},
		{map[string]string{"SHOPBOT_ADMINS": "alice"}, "SHOPBOT_ADMINS"},
		{map[string]string{"SHOPBOT_ADMINS": "email:a@b.c"}, "SHOPBOT_ADMINS"},
		{map[string]string{"SHOPBOT_DEFAULT_REGION": "XX"}, "SHOPBOT_DEFAULT_REGION"},
		{map[string]string{"SHOPBOT_DEFAULT_REGION": "China"}, "SHOPBOT_DEFAULT_REGION"},
		{map[string]string{"SHOPBOT_LIMIT_OPEN_ORDERS": "-1"}, "SHOPBOT_LIMIT_OPEN_ORDERS"},
		{map[string]string{"SHOPBOT_LIMIT_OPEN_UNITS": "many"}, "SHOPBOT_LIMIT_OPEN_UNITS"},
		{map[string]string{"SHOPBOT_LIMIT_RESERVATIONS": "1.5"}, "SHOPBOT_LIMIT_RESERVATIONS"},
		{map[string]string{"SHOPBOT_LIMIT_WAITLISTS": "x"}, "SHOPBOT_LIMIT_WAITLISTS"},
		{map[string]string{"SHOPBOT_TRUSTED_PROXIES": "10.0.0.0/8, nonsense"}, "SHOPBOT_TRUSTED_PROXIES"},
		{map[string]string{"SHOPBOT_LIMIT_NEW_WEB_IDS": "-1"}, "SHOPBOT_LIMIT_NEW_WEB_IDS"},
		{map[string]string{"SHOPBOT_LIMIT_NEW_WEB_IDS": "lots"}, "SHOPBOT_LIMIT_NEW_WEB_IDS"},
		{map[string]string{"WECHAT_OAUTH_BASE": "open.weixin.qq.com"}, "WECHAT_OAUTH_BASE"},
	} {
		_, err := ConfigFromEnv(env(tc.vars))
		if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
			t.Errorf("%v: err = %v; want one naming %s", tc.vars, err, tc.wantErr)
		}
	}
	c, err = ConfigFromEnv(env(map[string]string{"TELEGRAM_TOKEN": "123:secret-token", "SHOPBOT_PUBLIC_URL": "https://shop.example/",
		"TELEGRAM_WEBHOOK_SECRET": "s3cr3t_-sixteen-", "WECHAT_APPID": "wx1", "WECHAT_SECRET": "wxsecret", "WECHAT_TOKEN": "tok", "WECHAT_AES_KEY": "aeskey"}))
	if err != nil {
		t.Fatal(err)
	}
	c2, err := ConfigFromEnv(env(map[string]string{"SHOPBOT_STAFF_KEY": strings.Repeat("s", 32), "SHOPBOT_PICKUP_SECRET": strings.Repeat("p", 32),
		"SHOPBOT_TRUSTED_PROXIES": "10.0.0.0/8, 2001:db8::1"}))
	if err != nil || c2.StaffKey != strings.Repeat("s", 32) || !c2.TrustedProxies.Trusts(netip.MustParseAddr("10.1.2.3")) ||
		!c2.TrustedProxies.Trusts(netip.MustParseAddr("2001:db8::1")) || c2.TrustedProxies.Trusts(netip.MustParseAddr("192.0.2.1")) {
		t.Fatalf("staff key and trusted proxies: %+v, %v", c2.TrustedProxies, err)
	}
	if def.TrustedProxies.Trusts(netip.MustParseAddr("127.0.0.1")) {
		t.Fatal("by default a proxy is trusted")
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
