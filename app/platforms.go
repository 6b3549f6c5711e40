package app

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"time"

	"shopbot/bot/wechat/wechattest"
)

// wechatCommand runs "shopbot wechat menu": creates the Official Account's
// custom menu (Shop, Cart, My orders).
func wechatCommand(ctx context.Context, cfg Config, log *slog.Logger, args []string, out io.Writer) error {
	if len(args) != 1 || args[0] != "menu" {
		return fmt.Errorf("usage: shopbot wechat menu")
	}
	if cfg.WeChat.AppID == "" {
		return fmt.Errorf("WECHAT_APPID, WECHAT_SECRET, WECHAT_TOKEN and WECHAT_AES_KEY must be set")
	}
	return withApp(ctx, cfg, log, func(a *App) error {
		if err := a.wechat.CreateMenu(ctx); err != nil {
			return err
		}
		fmt.Fprintln(out, "wechat menu created: Shop, Cart, My orders")
		return nil
	})
}

// fakeWeChat points cfg at an in-process fake of the WeChat API with fresh
// credentials, and returns the client that signs callbacks for it.
func fakeWeChat(cfg *Config) (wechattest.Client, func()) {
	var key [32]byte
	_, _ = rand.Read(key[:])
	c := wechattest.Client{AppID: "wxbench0000000001", Token: "benchtoken", GhID: "gh_bench",
		AESKey: strings.TrimRight(base64.StdEncoding.EncodeToString(key[:]), "=")}
	api := wechattest.NewFakeAPI(c.AppID, "benchsecret")
	cfg.WeChat = WeChatConfig{AppID: c.AppID, Secret: "benchsecret", Token: c.Token, AESKey: c.AESKey, APIBase: api.URL()}
	return c, api.Close
}

// benchWeChat drives encrypted callbacks through the app's /wechat handler
// against a fake WeChat API and the configured stores.
func benchWeChat(ctx context.Context, cfg Config, log *slog.Logger, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("bench wechat", flag.ContinueOnError)
	n := fs.Int("messages", 5000, "callbacks to send")
	conc := fs.Int("concurrency", 32, "parallel senders")
	users := fs.Int("users", 256, "distinct followers")
	if err := fs.Parse(args); err != nil {
		return err
	}
	client, closeAPI := fakeWeChat(&cfg)
	defer closeAPI()
	a, err := Open(ctx, cfg, slog.New(quietHandler{log.Handler(), slog.LevelError}))
	if err != nil {
		return err
	}
	defer a.Close()
	res := wechattest.Bench(ctx, a.Handler(), client, wechattest.BenchOptions{Messages: *n, Concurrency: *conc, Users: *users})
	fmt.Fprintf(out, "wechat: messages=%d msgs_per_s=%.0f p50_ms=%.2f p99_ms=%.2f max_ms=%.2f deferred=%d failed=%d budget_ms=%d\n",
		res.Messages, res.PerSecond, ms(res.P50), ms(res.P99), ms(res.Max), res.Deferred, res.Failed, (4 * time.Second).Milliseconds())
	return nil
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
