package bench

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/urfave/cli/v3"

	"shopbot/app"
	"shopbot/bot"
	"shopbot/bot/telegram"
	"shopbot/bot/telegram/telegramtest"
	"shopbot/bot/wechat/wechattest"
)

func wechatBench() benchmark {
	return benchmark{
		name:  "wechat",
		usage: "encrypted WeChat callbacks/s and reply p50/p99 against the 4 s budget, with a fake WeChat API",
		flags: []cli.Flag{
			&cli.IntFlag{Name: "messages", Value: 5000, Usage: "send `N` callbacks"},
			&cli.IntFlag{Name: "concurrency", Value: 32, Usage: "`C` senders in parallel"},
			&cli.IntFlag{Name: "users", Value: 256, Usage: "`N` distinct followers"},
		},
		run: func(ctx context.Context, e env, cmd *cli.Command) error {
			if err := positive(cmd, "messages", "concurrency", "users"); err != nil {
				return err
			}
			return benchWeChat(ctx, e, wechattest.BenchOptions{Messages: cmd.Int("messages"),
				Concurrency: cmd.Int("concurrency"), Users: cmd.Int("users")})
		},
	}
}

func telegramBench() benchmark {
	return benchmark{
		name:  "telegram",
		usage: "webhook updates/s and ack p50/p99 against a fake Bot API; the sender's rate against the 30/s limit, and violations",
		flags: []cli.Flag{
			&cli.IntFlag{Name: "updates", Value: 5000, Usage: "send `N` webhook updates"},
			&cli.IntFlag{Name: "concurrency", Value: 32, Usage: "`C` deliveries in parallel"},
			&cli.IntFlag{Name: "users", Value: 256, Usage: "`N` distinct users"},
			&cli.DurationFlag{Name: "send-duration", Value: 10 * time.Second, Usage: "measure the sender for `D`"},
		},
		run: func(ctx context.Context, e env, cmd *cli.Command) error {
			if err := positive(cmd, "updates", "concurrency", "users"); err != nil {
				return err
			}
			return benchTelegram(ctx, e, telegramtest.BenchOptions{Updates: cmd.Int("updates"),
				Concurrency: cmd.Int("concurrency"), Users: cmd.Int("users")}, cmd.Duration("send-duration"))
		},
	}
}

// fakeWeChat points cfg at an in-process fake of the WeChat API with fresh
// credentials, and returns the client that signs callbacks for it.
func fakeWeChat(cfg *app.Config) (wechattest.Client, func()) {
	var key [32]byte
	_, _ = rand.Read(key[:])
	c := wechattest.Client{AppID: "wxbench0000000001", Token: "benchtoken", GhID: "gh_bench",
		AESKey: strings.TrimRight(base64.StdEncoding.EncodeToString(key[:]), "=")}
	api := wechattest.NewFakeAPI(c.AppID, "benchsecret")
	cfg.WeChat = app.WeChatConfig{AppID: c.AppID, Secret: "benchsecret", Token: c.Token, AESKey: c.AESKey, APIBase: api.URL()}
	return c, api.Close
}

// benchWeChat drives encrypted callbacks through the app's /wechat handler
// against a fake WeChat API and the configured stores.
func benchWeChat(ctx context.Context, e env, o wechattest.BenchOptions) error {
	cfg := e.cfg
	client, closeAPI := fakeWeChat(&cfg)
	defer closeAPI()
	a, err := app.Open(ctx, cfg, atLeast(e.log, slog.LevelError))
	if err != nil {
		return err
	}
	defer a.Close()
	res := wechattest.Bench(ctx, a.Handler(), client, o)
	fmt.Fprintf(e.out, "wechat: messages=%d msgs_per_s=%.0f p50_ms=%.2f p99_ms=%.2f max_ms=%.2f deferred=%d failed=%d budget_ms=%d\n",
		res.Messages, res.PerSecond, ms(res.P50), ms(res.P99), ms(res.Max), res.Deferred, res.Failed, (4 * time.Second).Milliseconds())
	return nil
}

// benchTelegram drives webhook updates through the app's handler against a
// fake Bot API, then measures the shared sender at Telegram's default limits.
func benchTelegram(ctx context.Context, e env, o telegramtest.BenchOptions, sendFor time.Duration) error {
	cfg := e.cfg
	api := telegramtest.NewFakeAPI()
	defer api.Close()
	const secret = "bench-secret-0123456789"
	cfg.PublicURL = "https://shop.example"
	cfg.Telegram = app.TelegramConfig{Token: telegramtest.Token, APIEndpoint: api.Endpoint(), WebhookSecret: secret, Mode: telegram.ModeWebhook}
	off := telegram.Limit{N: -1}
	cfg.Tuning.TelegramLimits = &telegram.SendLimits{Global: off, Private: off, Group: off}
	quiet := atLeast(e.log, slog.LevelError)
	a, err := app.Open(ctx, cfg, quiet)
	if err != nil {
		return err
	}
	o.API = api
	res := telegramtest.Bench(ctx, a.Handler(), secret, o)
	a.Close()
	fmt.Fprintf(e.out, "telegram webhook: updates=%d updates_per_s=%.0f ack_p50_ms=%.2f ack_p99_ms=%.2f max_ms=%.2f failed=%d\n",
		res.Updates, res.PerSecond, ms(res.P50), ms(res.P99), ms(res.Max), res.Failed)

	// The sender at the default limits, against a fresh fake that counts violations.
	api2 := telegramtest.NewFakeAPI()
	defer api2.Close()
	cfg.Telegram.APIEndpoint = api2.Endpoint()
	cfg.Tuning.TelegramLimits = nil
	a, err = app.Open(ctx, cfg, quiet)
	if err != nil {
		return err
	}
	defer a.Close()
	sr := telegramtest.BenchSender(ctx, api2, func(ctx context.Context, chat int64, text string) error {
		return a.Telegram().SendReply(ctx, strconv.FormatInt(chat, 10), bot.Reply{Text: text})
	}, telegramtest.SenderOptions{Duration: sendFor})
	fmt.Fprintf(e.out, "telegram sender: sent=%d msgs_per_s=%.1f of_limit=%.3f limit=%v violations=%d failed=%d\n",
		sr.Sent, sr.PerSecond, sr.OfLimit, sr.Limit, sr.Violations, sr.Failed)
	return nil
}
