package app

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
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
	a.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	if !strings.Contains(rec.Body.String(), `shopbot_platform_events_total{event="bad_signature",platform="wechat"} 1`) {
		t.Fatal("/metrics does not count the forged callback")
	}
}

// shopbot wechat menu and wechat qr reach the (fake) WeChat API.
func TestWeChatCommands(t *testing.T) {
	t.Parallel()
	cfg := sqliteConfig(t)
	_, closeAPI := fakeWeChat(&cfg)
	defer closeAPI()
	var out bytes.Buffer
	for _, args := range [][]string{{"menu"}, {"qr", "pt_1"}, {"qr", "p_2", "-temporary"}} {
		out.Reset()
		if err := wechatCommand(context.Background(), cfg, slog.New(slog.NewTextHandler(io.Discard, nil)), args, &out); err != nil {
			t.Fatalf("wechat %v: %v", args, err)
		}
		if out.Len() == 0 {
			t.Fatalf("wechat %v printed nothing", args)
		}
	}
	if !strings.Contains(out.String(), "showqrcode") && !strings.Contains(out.String(), "ticket") {
		t.Fatalf("qr printed %q; want a showqrcode URL", out.String())
	}
	for _, bad := range [][]string{{}, {"qr"}, {"qr", "bad scene!"}, {"menu", "extra"}} {
		if err := wechatCommand(context.Background(), cfg, slog.New(slog.NewTextHandler(io.Discard, nil)), bad, &out); err == nil {
			t.Errorf("wechat %v accepted", bad)
		}
	}
}
