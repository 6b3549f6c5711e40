package app

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"shopbot/bot"
	"shopbot/bot/telegram"
	"shopbot/bot/telegram/telegramtest"
	"shopbot/bot/wechat/wechattest"
)

// wechatCommand runs "shopbot wechat menu" (creates the Official Account's
// custom menu: Shop, Cart, My orders) and "shopbot wechat qr SCENE" (prints
// the picture URL of a parametric QR code: p_<id> product, c_<id> category,
// pt_<id> pickup point, d_<code> drop; scanning opens that flow for new and existing
// followers).
func wechatCommand(ctx context.Context, cfg Config, log *slog.Logger, args []string, out io.Writer) error {
	const usage = "usage: shopbot wechat menu | shopbot wechat qr SCENE [-temporary]"
	if len(args) == 0 || args[0] != "menu" && args[0] != "qr" || args[0] == "menu" && len(args) != 1 || args[0] == "qr" && len(args) < 2 {
		return fmt.Errorf("%s", usage)
	}
	if cfg.WeChat.AppID == "" {
		return fmt.Errorf("WECHAT_APPID, WECHAT_SECRET, WECHAT_TOKEN and WECHAT_AES_KEY must be set")
	}
	return withApp(ctx, cfg, log, func(a *App) error {
		if args[0] == "menu" {
			if err := a.wechat.CreateMenu(ctx); err != nil {
				return err
			}
			fmt.Fprintln(out, "wechat menu created: Shop, Cart, My orders")
			return nil
		}
		fs := flag.NewFlagSet("wechat qr", flag.ContinueOnError)
		fs.SetOutput(io.Discard)
		temporary := fs.Bool("temporary", false, "a QR code valid for 30 days instead of a permanent one")
		if err := fs.Parse(args[2:]); err != nil {
			return fmt.Errorf("%s", usage)
		}
		url, err := a.wechat.QRCode(ctx, args[1], *temporary)
		if err != nil {
			return err
		}
		fmt.Fprintln(out, url)
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

// benchTelegram drives webhook updates through the app's handler against a
// fake Bot API, then measures the shared sender at Telegram's default limits.
func benchTelegram(ctx context.Context, cfg Config, log *slog.Logger, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("bench telegram", flag.ContinueOnError)
	n := fs.Int("updates", 5000, "webhook updates to send")
	conc := fs.Int("concurrency", 32, "parallel deliveries")
	users := fs.Int("users", 256, "distinct users")
	sendFor := fs.Duration("send-duration", 10*time.Second, "how long to measure the sender")
	if err := fs.Parse(args); err != nil {
		return err
	}
	api := telegramtest.NewFakeAPI()
	defer api.Close()
	const secret = "bench-secret"
	cfg.PublicURL = "https://shop.example"
	cfg.Telegram = TelegramConfig{Token: telegramtest.Token, APIEndpoint: api.Endpoint(), WebhookSecret: secret, Mode: telegram.ModeWebhook}
	off := telegram.Limit{N: -1}
	cfg.telegramLimits = &telegram.SendLimits{Global: off, Private: off, Group: off}
	quiet := slog.New(quietHandler{log.Handler(), slog.LevelError})
	a, err := Open(ctx, cfg, quiet)
	if err != nil {
		return err
	}
	res := telegramtest.Bench(ctx, a.Handler(), secret, telegramtest.BenchOptions{Updates: *n, Concurrency: *conc, Users: *users, API: api})
	a.Close()
	fmt.Fprintf(out, "telegram webhook: updates=%d updates_per_s=%.0f ack_p50_ms=%.2f ack_p99_ms=%.2f max_ms=%.2f failed=%d\n",
		res.Updates, res.PerSecond, ms(res.P50), ms(res.P99), ms(res.Max), res.Failed)

	// The sender at the default limits, against a fresh fake that counts violations.
	api2 := telegramtest.NewFakeAPI()
	defer api2.Close()
	cfg.Telegram.APIEndpoint = api2.Endpoint()
	cfg.telegramLimits = nil
	a, err = Open(ctx, cfg, quiet)
	if err != nil {
		return err
	}
	defer a.Close()
	sr := telegramtest.BenchSender(ctx, api2, func(ctx context.Context, chat int64, text string) error {
		return a.tg.SendReply(ctx, strconv.FormatInt(chat, 10), bot.Reply{Text: text})
	}, telegramtest.SenderOptions{Duration: *sendFor})
	fmt.Fprintf(out, "telegram sender: sent=%d msgs_per_s=%.1f of_limit=%.3f limit=%v violations=%d failed=%d\n",
		sr.Sent, sr.PerSecond, sr.OfLimit, sr.Limit, sr.Violations, sr.Failed)
	return nil
}
