package bot_test

import (
	"bytes"
	"context"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"shopbot/bot"
	"shopbot/commerce"
	"shopbot/internal/testenv"
	"shopbot/store/sqlstore"
)

// tgPayEnv is a router with Telegram Payments on the demo shop (SQLite):
// orders placed in Telegram and waiting for their invoice to be paid.
type tgPayEnv struct {
	t      *testing.T
	ctx    context.Context
	store  *sqlstore.Store
	clock  *testenv.Clock
	shop   *commerce.Shop
	pay    *commerce.Payments
	router *bot.Router
	logs   *lockedBuffer
	n      int
}

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func newTgPayEnv(t *testing.T, telegram bool) *tgPayEnv {
	t.Helper()
	st := testenv.DemoSQLite(t)
	e := &tgPayEnv{t: t, ctx: t.Context(), store: st, clock: testenv.NewClock(time.Date(2030, 5, 1, 10, 0, 0, 0, time.UTC)), logs: &lockedBuffer{}}
	e.shop = commerce.NewShop(commerce.ShopOptions{Store: st, Clock: e.clock})
	e.pay = commerce.NewPayments(commerce.PaymentsOptions{Store: st, Flow: st, Clock: e.clock, Telegram: telegram})
	e.router = bot.NewRouter(bot.Options{Shop: e.shop, Sessions: st, Dedupe: st, Texts: texts, Payments: e.pay,
		Log: slog.New(slog.NewTextHandler(e.logs, nil))})
	return e
}

// buyer is the Telegram user (and private chat) id of the test buyer.
const tgBuyer = "700100"

// awaiting places an order of 2 × BAB-003 (duty paid) for tgBuyer and
// starts paying it with a Telegram invoice.
func (e *tgPayEnv) awaiting() (commerce.Order, commerce.PayAttempt) {
	e.t.Helper()
	return e.awaitingFor(e.t, tgBuyer)
}

// awaitingFor is awaiting for another Telegram user (a person may have
// only a few open orders).
func (e *tgPayEnv) awaitingFor(t *testing.T, user string) (commerce.Order, commerce.PayAttempt) {
	t.Helper()
	e.n++
	ps, err := e.store.Products(e.ctx, commerce.ProductFilter{Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	var p commerce.Product
	for _, x := range ps {
		if x.SKU == "BAB-003" {
			p = x
		}
	}
	points, err := e.store.PickupPoints(e.ctx)
	if err != nil || len(points) == 0 {
		t.Fatalf("pickup points: %v", err)
	}
	b := commerce.Buyer{Channel: bot.ChannelTelegram, UserID: user}
	o, _, err := e.shop.PlaceOrder(e.ctx, commerce.Checkout{Buyer: b, ChatID: user, Lang: "en",
		Cart:          commerce.Cart{Lines: []commerce.CartLine{{ProductID: p.ID, Qty: 2, SeenPrice: p.Price}}},
		PickupPointID: points[0].ID, ContactName: "Alice Li", Phone: "+86138" + strconv.Itoa(10000000+e.n), IdempotencyKey: "tgpay-" + strconv.Itoa(e.n)})
	if err != nil {
		t.Fatal(err)
	}
	o, a, err := e.pay.Begin(e.ctx, b, o.ID, commerce.PayTelegram, commerce.TradeInvoice, "")
	if err != nil {
		t.Fatal(err)
	}
	if o.Status != commerce.StatusAwaitingPayment || a.OutTradeNo == "" || a.Amount != o.Total {
		t.Fatalf("begin: order %s, attempt %+v", o.Status, a)
	}
	return o, a
}

func (e *tgPayEnv) order(id int64) commerce.Order {
	e.t.Helper()
	o, err := e.store.Order(e.ctx, id)
	if err != nil {
		e.t.Fatal(err)
	}
	return o
}

// preCheckout is the buyer (user) confirming the invoice of a.
func preCheckout(user, lang string, a commerce.PayAttempt) bot.Message {
	return bot.Message{Channel: bot.ChannelTelegram, ChatID: user, UserID: user, Lang: lang,
		PreCheckout: &bot.PreCheckout{ID: "q", Payload: a.OutTradeNo, Currency: a.Amount.Currency, Total: a.Amount.Amount}}
}

// paid is Telegram's successful_payment for a's invoice.
func tgPaid(updateID, charge string, a commerce.PayAttempt) bot.Message {
	return bot.Message{Channel: bot.ChannelTelegram, ChatID: tgBuyer, UserID: tgBuyer, Lang: "en", UpdateID: updateID,
		Paid: &bot.ProviderPaid{Payload: a.OutTradeNo, Currency: a.Amount.Currency, Total: a.Amount.Amount,
			ChargeID: charge, ProviderChargeID: "prov-" + charge}}
}

// Router.PreCheckout lets a payment go ahead only for an open invoice of
// the sender's order awaiting payment, in time, of the amount asked; every
// refusal is a localized reason.
func TestPreCheckout(t *testing.T) {
	t.Parallel()
	e := newTgPayEnv(t, true)
	for i, tc := range []struct {
		name string
		mod  func(o commerce.Order, a commerce.PayAttempt, m *bot.Message)
		key  string // "" = ok
	}{
		{"open invoice of the buyer's order", nil, ""},
		{"just in time", func(o commerce.Order, _ commerce.PayAttempt, _ *bot.Message) {
			e.clock.Set(o.ExpiresAt.Add(-31 * time.Second))
		}, ""},
		{"payment time almost over", func(o commerce.Order, _ commerce.PayAttempt, _ *bot.Message) {
			e.clock.Set(o.ExpiresAt.Add(-29 * time.Second))
		}, "tgpay_refused_expired"},
		{"payment time over", func(o commerce.Order, _ commerce.PayAttempt, _ *bot.Message) {
			e.clock.Set(o.ExpiresAt.Add(time.Minute))
		}, "tgpay_refused_expired"},
		{"unknown payload", func(_ commerce.Order, _ commerce.PayAttempt, m *bot.Message) { m.PreCheckout.Payload = "NOPE42P1" }, "tgpay_refused_unknown"},
		{"empty payload", func(_ commerce.Order, _ commerce.PayAttempt, m *bot.Message) { m.PreCheckout.Payload = "" }, "tgpay_refused_unknown"},
		{"another buyer", func(_ commerce.Order, _ commerce.PayAttempt, m *bot.Message) { m.UserID, m.ChatID = "700999", "700999" }, "tgpay_refused_unknown"},
		{"other currency", func(_ commerce.Order, _ commerce.PayAttempt, m *bot.Message) { m.PreCheckout.Currency = "USD" }, "tgpay_refused_changed"},
		{"other total", func(_ commerce.Order, _ commerce.PayAttempt, m *bot.Message) { m.PreCheckout.Total-- }, "tgpay_refused_changed"},
		{"attempt no longer the order's total", func(_ commerce.Order, a commerce.PayAttempt, m *bot.Message) {
			if _, err := e.store.DB().ExecContext(e.ctx, `UPDATE pay_attempts SET amount = amount + 100 WHERE out_trade_no = ?`, a.OutTradeNo); err != nil {
				t.Fatal(err)
			}
			m.PreCheckout.Total += 100
		}, "tgpay_refused_changed"},
		{"cancelled by the buyer", func(o commerce.Order, _ commerce.PayAttempt, _ *bot.Message) {
			if _, err := e.pay.Cancel(e.ctx, o.Buyer, o.ID); err != nil {
				t.Fatal(err)
			}
		}, "tgpay_refused_closed"},
		{"expired and cancelled", func(o commerce.Order, _ commerce.PayAttempt, _ *bot.Message) {
			e.clock.Set(o.ExpiresAt)
			if ok, err := e.pay.Expire(e.ctx, o.ID); !ok || err != nil {
				t.Fatalf("expire: %v %v", ok, err)
			}
		}, "tgpay_refused_closed"},
		{"paid already", func(_ commerce.Order, a commerce.PayAttempt, _ *bot.Message) {
			if _, err := e.pay.Apply(e.ctx, commerce.ProviderPayment{Method: commerce.PayTelegram, OutTradeNo: a.OutTradeNo,
				TransactionID: "ch-" + a.OutTradeNo, State: "SUCCESS", Amount: a.Amount}); err != nil {
				t.Fatal(err)
			}
		}, "tgpay_refused_paid"},
		{"not Telegram", func(_ commerce.Order, _ commerce.PayAttempt, m *bot.Message) { m.Channel = bot.ChannelWeb }, "tgpay_refused_unavailable"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e.clock.Set(time.Date(2030, 5, 1, 10, 0, 0, 0, time.UTC))
			user := strconv.Itoa(710000 + i)
			o, a := e.awaitingFor(t, user)
			m := preCheckout(user, "ru", a)
			if tc.mod != nil {
				tc.mod(o, a, &m)
			}
			ok, reason := e.router.PreCheckout(e.ctx, m)
			switch {
			case tc.key == "" && (!ok || reason != ""):
				t.Fatalf("PreCheckout = %v %q; want ok", ok, reason)
			case tc.key != "" && (ok || reason != texts.Text("ru", tc.key, nil)):
				t.Fatalf("PreCheckout = %v %q; want refused with %s in Russian", ok, reason, tc.key)
			}
		})
	}
}

// Without Telegram Payments switched on every pre-checkout is refused,
// in the language the buyer chose in the chat (the session), not only
// Telegram's hint.
func TestPreCheckoutPaymentsOff(t *testing.T) {
	t.Parallel()
	e := newTgPayEnv(t, false)
	lang := bot.Message{Channel: bot.ChannelTelegram, ChatID: tgBuyer, UserID: tgBuyer, Lang: "en", Action: bot.VerbLanguage.Of("ru")}
	if _, err := e.router.Handle(e.ctx, lang); err != nil {
		t.Fatal(err)
	}
	ok, reason := e.router.PreCheckout(e.ctx, preCheckout(tgBuyer, "en", commerce.PayAttempt{OutTradeNo: "K7Q2M9P1", Amount: commerce.CNY(100)}))
	if ok || reason != texts.Text("ru", "tgpay_refused_unavailable", nil) {
		t.Fatalf("PreCheckout = %v %q; want refused in Russian", ok, reason)
	}
}

// A successful payment delivered twice under two update ids (the same
// charge id) pays the order once, and the buyer is told once.
func TestPaidRecordedOnce(t *testing.T) {
	t.Parallel()
	e := newTgPayEnv(t, true)
	o, a := e.awaiting()
	r1, err := e.router.Handle(e.ctx, tgPaid("9001", "tg-charge-1", a))
	if err != nil {
		t.Fatal(err)
	}
	want := texts.Text("en", "tgpay_paid", map[string]any{"Number": o.Number, "Total": a.Amount})
	if len(r1) != 1 || r1[0].Text != want {
		t.Fatalf("replies %+v; want %q", r1, want)
	}
	r2, err := e.router.Handle(e.ctx, tgPaid("9002", "tg-charge-1", a))
	if err != nil || len(r2) != 0 {
		t.Fatalf("second delivery: %+v, %v; want no reply", r2, err)
	}
	if _, err := e.router.Handle(e.ctx, tgPaid("9001", "tg-charge-1", a)); err != bot.ErrDuplicate {
		t.Fatalf("the same update again: %v; want ErrDuplicate", err)
	}
	got := e.order(o.ID)
	if got.Status != commerce.StatusPaid || got.Paid.Method != commerce.PayTelegram || got.Paid.Amount != a.Amount {
		t.Fatalf("order %s paid %+v; want paid by Telegram", got.Status, got.Paid)
	}
	attempts, err := e.pay.Attempts(e.ctx, o.ID)
	if err != nil || len(attempts) != 1 || attempts[0].State != commerce.AttemptPaid ||
		attempts[0].TransactionID != "tg-charge-1" || attempts[0].ProviderRef != "prov-tg-charge-1" {
		t.Fatalf("attempts %+v, %v", attempts, err)
	}
	refunds, err := e.pay.Refunds(e.ctx, o.ID)
	if err != nil || len(refunds) != 0 {
		t.Fatalf("refunds %+v, %v; want none", refunds, err)
	}
}

// Concurrent deliveries of one payment (two update ids, one charge) pay
// the order once and answer once.
func TestPaidConcurrentDeliveries(t *testing.T) {
	t.Parallel()
	e := newTgPayEnv(t, true)
	o, a := e.awaiting()
	var wg sync.WaitGroup
	answers := make([][]bot.Reply, 4)
	errs := make([]error, 4)
	for i := range 4 {
		wg.Go(func() {
			answers[i], errs[i] = e.router.Handle(e.ctx, tgPaid(strconv.Itoa(9100+i), "tg-charge-c", a))
		})
	}
	wg.Wait()
	told := 0
	for i := range answers {
		if errs[i] != nil {
			t.Fatalf("delivery %d: %v", i, errs[i])
		}
		told += len(answers[i])
	}
	if told != 1 || e.order(o.ID).Status != commerce.StatusPaid {
		t.Fatalf("told %d times, order %s; want once, paid", told, e.order(o.ID).Status)
	}
}

// A payment for an order already cancelled is recorded as late and the
// seller refunds it at the provider (a manual refund); the buyer is told
// so. A payment of another amount is a mismatch: the order stays unpaid
// and the buyer hears from the seller. A payment no attempt knows is
// logged for the operator and the buyer told the seller will be in touch.
func TestPaidOutcomes(t *testing.T) {
	t.Parallel()
	e := newTgPayEnv(t, true)

	o, a := e.awaiting()
	if _, err := e.pay.Cancel(e.ctx, o.Buyer, o.ID); err != nil {
		t.Fatal(err)
	}
	r, err := e.router.Handle(e.ctx, tgPaid("9201", "tg-late", a))
	want := texts.Text("en", "tgpay_late", map[string]any{"Number": o.Number, "Total": a.Amount})
	if err != nil || len(r) != 1 || r[0].Text != want {
		t.Fatalf("late: %+v, %v; want %q", r, err, want)
	}
	refunds, err := e.pay.Refunds(e.ctx, o.ID)
	if err != nil || len(refunds) != 1 || refunds[0].State != commerce.RefundManual || refunds[0].Amount != a.Amount {
		t.Fatalf("late refunds %+v, %v; want one manual refund of the whole payment", refunds, err)
	}
	if got := e.order(o.ID).Status; got != commerce.StatusCancelled {
		t.Errorf("late: order %s; want still cancelled", got)
	}

	o2, a2 := e.awaiting()
	m := tgPaid("9202", "tg-mismatch", a2)
	m.Paid.Total -= 1000
	r, err = e.router.Handle(e.ctx, m)
	want = texts.Text("en", "tgpay_mismatch", map[string]any{"Number": o2.Number, "Total": commerce.Money{Amount: a2.Amount.Amount - 1000, Currency: "CNY"}})
	if err != nil || len(r) != 1 || r[0].Text != want {
		t.Fatalf("mismatch: %+v, %v; want %q", r, err, want)
	}
	if got := e.order(o2.ID).Status; got != commerce.StatusAwaitingPayment {
		t.Errorf("mismatch: order %s; want still awaiting payment", got)
	}

	for i, mod := range []func(*bot.Message){
		func(m *bot.Message) { m.Paid.Payload = "NOPE42P1" },
		func(m *bot.Message) { m.Paid.ChargeID = "" },
	} {
		m := tgPaid(strconv.Itoa(9210+i), "tg-unknown", a2)
		mod(&m)
		r, err := e.router.Handle(e.ctx, m)
		want := texts.Text("en", "tgpay_unmatched", map[string]any{"Total": a2.Amount})
		if err != nil || len(r) != 1 || r[0].Text != want {
			t.Fatalf("unmatched %d: %+v, %v; want %q", i, r, err, want)
		}
	}
	if logs := e.logs.String(); strings.Count(logs, "telegram payment not matched") != 2 || strings.Contains(logs, tgBuyer) {
		t.Errorf("unmatched payments: logged %d times (want 2), user id in the log: %v",
			strings.Count(logs, "telegram payment not matched"), strings.Contains(logs, tgBuyer))
	}
}
