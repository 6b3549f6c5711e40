package app

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// The app serves /wechat when WeChat is configured: an encrypted /start
// callback gets an encrypted passive reply in the follower's shop.
func TestWeChatWiring(t *testing.T) {
	t.Parallel()
	cfg := sqliteConfig(t)
	client, closeAPI := fakeWeChat(&cfg)
	defer closeAPI()
	a, err := Open(context.Background(), cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	rec := httptest.NewRecorder()
	a.Handler().ServeHTTP(rec, client.Request(client.TextXML("oWiring01", "/start", 1001, time.Now().Unix()), time.Now()))
	if rec.Code != http.StatusOK {
		t.Fatalf("POST /wechat = %d %s", rec.Code, rec.Body)
	}
	reply, err := client.Open(rec.Body.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(reply.Content, "欢迎") {
		t.Fatalf("passive reply = %q; want the Chinese greeting", reply.Content)
	}
	// A forged callback is refused and counted.
	bad := client.Request(client.TextXML("oWiring01", "/start", 1002, time.Now().Unix()), time.Now())
	q := bad.URL.Query()
	q.Set("msg_signature", strings.Repeat("0", 40))
	bad.URL.RawQuery = q.Encode()
	rec = httptest.NewRecorder()
	a.Handler().ServeHTTP(rec, bad)
	if rec.Code == http.StatusOK {
		t.Fatal("forged callback accepted")
	}
	rec = httptest.NewRecorder()
	a.metrics.handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	if !strings.Contains(rec.Body.String(), `shopbot_platform_events_total{event="bad_signature",platform="wechat"} 1`) {
		t.Fatal("/metrics does not count the forged callback")
	}
}

// shopbot wechat menu and wechat qr reach the (fake) WeChat API.
func TestWeChatCommands(t *testing.T) {
	t.Parallel()
	var cfg Config
	_, closeAPI := fakeWeChat(&cfg)
	defer closeAPI()
	vars := map[string]string{"DATABASE_URL": "sqlite:" + filepath.Join(t.TempDir(), "shop.db"), "WECHAT_APPID": cfg.WeChat.AppID,
		"WECHAT_SECRET": cfg.WeChat.Secret, "WECHAT_TOKEN": cfg.WeChat.Token, "WECHAT_AES_KEY": cfg.WeChat.AESKey,
		"WECHAT_API_BASE": cfg.WeChat.APIBase}
	run := func(args ...string) (int, string, string) {
		var out, errOut bytes.Buffer
		code := Main(context.Background(), args, env(vars), &out, &errOut)
		return code, out.String(), errOut.String()
	}
	var out string
	for _, args := range [][]string{{"menu"}, {"qr", "pt_1"}, {"qr", "p_2", "-temporary"}, {"qr", "--temporary", "c_1"}} {
		var code int
		var errOut string
		if code, out, errOut = run(append([]string{"wechat"}, args...)...); code != 0 || out == "" {
			t.Fatalf("wechat %v = %d, %q, %q", args, code, out, errOut)
		}
	}
	if !strings.Contains(out, "showqrcode") && !strings.Contains(out, "ticket") {
		t.Fatalf("qr printed %q; want a showqrcode URL", out)
	}
	for _, tc := range []struct {
		args []string
		code int
	}{
		{[]string{"wechat"}, 2}, {[]string{"wechat", "qr"}, 2}, {[]string{"wechat", "menu", "extra"}, 2},
		{[]string{"wechat", "qr", "bad scene!"}, 1},
	} {
		if code, _, errOut := run(tc.args...); code != tc.code || strings.Count(errOut, "\n") != 1 {
			t.Errorf("%v = %d, %q; want %d and one line", tc.args, code, errOut, tc.code)
		}
	}
	delete(vars, "WECHAT_APPID")
	if code, _, errOut := run("wechat", "menu"); code != 2 || !strings.Contains(errOut, "WECHAT_APPID") {
		t.Errorf("wechat menu without WeChat = %d, %q; want 2 naming WECHAT_APPID", code, errOut)
	}
}
