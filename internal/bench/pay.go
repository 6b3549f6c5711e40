package bench

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/urfave/cli/v3"

	"shopbot/app"
	"shopbot/commerce"
	"shopbot/wechatpay"
	"shopbot/wechatpay/wechatpaytest"
)

func payBench() benchmark {
	return benchmark{
		name:  "pay",
		usage: "WeChat Pay notifications verified, decrypted and recorded per second, next to the RSA verification alone",
		flags: []cli.Flag{
			&cli.IntFlag{Name: "orders", Value: 2000, Usage: "`N` orders, each with a WeChat Pay attempt paid at the fake"},
			&cli.IntFlag{Name: "workers", Value: 8, Usage: "`W` notifications handled at once"},
		},
		run: func(ctx context.Context, e env, cmd *cli.Command) error {
			if err := positive(cmd, "orders", "workers"); err != nil {
				return err
			}
			return benchPay(ctx, e, cmd.Int("orders"), cmd.Int("workers"))
		},
	}
}

// notification is one prepared TRANSACTION.SUCCESS: what WeChat Pay posts.
type notification struct {
	outTradeNo string
	header     http.Header
	body       []byte
}

// benchPay makes orders orders awaiting payment, each with a Native
// attempt at the fake WeChat Pay, which then holds each as paid and seals
// and signs its notification. Timed: every notification through the
// shop's real handler (POST /pay/wechat/notify: verify, decrypt, check the
// merchant, Payments.Apply — one transaction with its jobs — and 204);
// then each again (a redelivery: a duplicate, nothing written); then the
// RSA verification of the same notifications alone, the baseline.
func benchPay(ctx context.Context, e env, orders, workers int) error {
	fake, err := wechatpaytest.Start(wechatpaytest.Options{})
	if err != nil {
		return err
	}
	defer fake.Close()
	cfg := e.cfg
	wc := fake.Config()
	cfg.PublicURL = "https://shop.bench" // notify_url; notifications are handed to the handler here
	cfg.Pay.WeChat = &app.WeChatPayConfig{MchID: wc.MchID, AppID: wc.AppID, Serial: wc.SerialNo, PrivateKey: wc.PrivateKey,
		APIv3Key: wc.APIv3Key, PublicKey: wc.PublicKey, PublicKeyID: wc.PublicKeyID, APIBase: wc.BaseURL}
	cfg.Limits = commerce.PersonLimits{OpenOrders: -1, OpenUnits: -1, Reservations: -1, Waitlists: -1}
	a, err := app.Open(ctx, cfg, atLeast(e.log, slog.LevelWarn))
	if err != nil {
		return err
	}
	defer a.Close()

	notes, err := payOrders(ctx, a, fake, orders, workers)
	if err != nil {
		return err
	}
	h := a.Handler()
	deliver := func(n notification) error {
		req := httptest.NewRequest(http.MethodPost, "/pay/wechat/notify", bytes.NewReader(n.body))
		req.Header = n.header.Clone()
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		if w.Code != http.StatusNoContent {
			return fmt.Errorf("notification answered %d: %s", w.Code, w.Body)
		}
		return nil
	}
	first := runAll(notes, workers, deliver)
	again := runAll(notes, workers, deliver)
	pub := wc.PublicKey
	rsaOnly := runAll(notes, workers, func(n notification) error {
		msg := wechatpay.ResponseMessage(n.header.Get(wechatpay.HeaderTimestamp), n.header.Get(wechatpay.HeaderNonce), n.body)
		return wechatpay.VerifySignature(pub, msg, n.header.Get(wechatpay.HeaderSignature))
	})
	// Every order is paid, by its attempt.
	for _, n := range notes {
		at, err := a.Payments().Attempt(ctx, n.outTradeNo)
		if err != nil || at.State != commerce.AttemptPaid {
			return fmt.Errorf("attempt %s after its notification: %s, %v", n.outTradeNo, at.State, err)
		}
	}
	store := "sqlite"
	if cfg.Postgres() {
		store = "postgres"
	}
	if cfg.RedisURL != "" {
		store += "+redis"
	}
	fmt.Fprintf(e.out, "store=%s orders=%d workers=%d errors=%d notify_per_s=%.0f p50_ms=%.2f p99_ms=%.2f "+
		"replay_per_s=%.0f replay_errors=%d rsa_verify_per_s=%.0f ratio=%.3f\n",
		store, len(notes), workers, first.errors, first.rate, first.p50, first.p99, again.rate, again.errors, rsaOnly.rate,
		first.rate/rsaOnly.rate)
	if first.errors > 0 || again.errors > 0 || rsaOnly.errors > 0 {
		return fmt.Errorf("%d notifications, %d redeliveries and %d verifications failed", first.errors, again.errors, rsaOnly.errors)
	}
	return nil
}

// payOrders places the orders (a product of their own with the stock for
// them, one buyer each), starts a Native attempt of each at the fake, has
// the fake hold it as paid, and prepares its notification.
func payOrders(ctx context.Context, a *app.App, fake *wechatpaytest.Server, orders, workers int) ([]notification, error) {
	pts, err := a.Store.PickupPoints(ctx)
	if err != nil {
		return nil, err
	}
	if len(pts) == 0 {
		return nil, fmt.Errorf("pay bench: no pickup point (keep SHOPBOT_SEED_DEMO on, or add one)")
	}
	c, err := a.Store.UpsertCategory(ctx, commerce.Category{Slug: "bench", Title: commerce.Text{"en": "Bench"}})
	if err != nil {
		return nil, err
	}
	p, err := a.Store.UpsertProduct(ctx, commerce.Product{SKU: "BENCH-PAY", CategoryID: c.ID, Title: commerce.Text{"en": "Bench pay"},
		Description: commerce.Text{"en": "bench"}, Price: commerce.CNY(100), Origin: commerce.OriginDutyPaid, Active: true,
		Stock: orders + 1000})
	if err != nil {
		return nil, err
	}
	run := time.Now().UnixNano()
	notes := make([]notification, orders)
	var next atomic.Int64
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := int(next.Add(1) - 1); i < orders; i = int(next.Add(1) - 1) {
				if err := payOrder(ctx, a, fake, p, pts[0].ID, run, i, &notes[i]); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	return notes, <-errs
}

func payOrder(ctx context.Context, a *app.App, fake *wechatpaytest.Server, p commerce.Product, pointID, run int64, i int, out *notification) error {
	buyer := commerce.Buyer{Channel: "web", UserID: fmt.Sprintf("benchpay%x-%d", run, i)}
	o, _, err := a.Shop.PlaceOrder(ctx, commerce.Checkout{Buyer: buyer, ChatID: buyer.UserID, Lang: "en",
		Cart: commerce.Cart{Lines: []commerce.CartLine{{ProductID: p.ID, Qty: 1, SeenPrice: p.Price}}}, PickupPointID: pointID,
		ContactName: "Bench", Phone: fmt.Sprintf("+86139%08d", (run/1000+int64(i))%100_000_000), IdempotencyKey: buyer.UserID})
	if err != nil {
		return fmt.Errorf("order %d: %w", i, err)
	}
	_, at, err := a.Payments().BeginAt(ctx, o.Number)
	if err != nil {
		return fmt.Errorf("order %d: begin: %w", i, err)
	}
	if err := fake.SetTradeState(at.OutTradeNo, wechatpay.TradeSuccess); err != nil {
		return err
	}
	req, err := fake.TransactionNotification(at.OutTradeNo, wechatpaytest.Genuine)
	if err != nil {
		return err
	}
	body, err := io.ReadAll(req.Body)
	if err != nil {
		return err
	}
	*out = notification{outTradeNo: at.OutTradeNo, header: req.Header, body: body}
	return nil
}

// runAll does fn for each of items from workers goroutines and measures
// the rate and each call's latency.
func runAll[T any](items []T, workers int, fn func(T) error) phase {
	var next, errs atomic.Int64
	lat := make([][]time.Duration, workers)
	var wg sync.WaitGroup
	start := time.Now()
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := int(next.Add(1) - 1); i < len(items); i = int(next.Add(1) - 1) {
				t0 := time.Now()
				if err := fn(items[i]); err != nil {
					errs.Add(1)
					continue
				}
				lat[w] = append(lat[w], time.Since(t0))
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	all := slices.Concat(lat...)
	return phase{n: int64(len(all)), errors: errs.Load(), rate: float64(len(all)) / elapsed.Seconds(),
		p50: percentile(all, 50), p99: percentile(all, 99)}
}
