package app

import (
	"bytes"
	"context"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"shopbot/commerce"
	"shopbot/internal/testenv"
	"shopbot/wechatpay"
	"shopbot/wechatpay/wechatpaytest"
)

// payAttacks: at least 500 notifications a run that are not WeChat Pay's
// word for this merchant — forged, stale, under another serial, altered
// after signing, sealed with another APIv3 key, for another mchid or
// appid, and garbage — against /pay/wechat/notify and /pay/wechat/refund,
// aimed at transactions WeChat Pay really holds as paid (so accepting one
// would pay an order). None is answered 2xx and the orders, attempts and
// refunds do not change by a byte. Replays of genuine notifications (a
// payment, a refund, and a wrong-amount payment, which is genuine: money
// moved, recorded once as a mismatch) are answered 204 and change nothing
// either. Then the genuine notifications pay the targets: they were live.
func payAttacks(t *testing.T, cfg Config) {
	r := newPayRun(t, cfg)
	ctx := context.Background()
	h := r.s.app.Handler()
	begin := func() (commerce.Order, string) {
		user := testenv.UniqueName("attack")
		o, choices := r.order(user, 1)
		return o, r.payNative(user, choices)
	}
	// Targets: paid at WeChat Pay, not told to the shop yet.
	var targets []string
	var targetOrders []commerce.Order
	for range 3 {
		o, no := begin()
		if err := r.fake.SetTradeState(no, wechatpay.TradeSuccess); err != nil {
			t.Fatal(err)
		}
		targets, targetOrders = append(targets, no), append(targetOrders, o)
	}
	// A payment told genuinely, refunded in part, the refund told genuinely.
	paid, paidNo := begin()
	if status, err := r.fake.Pay(paidNo, "oGenuine000000000000000000"); err != nil || status != http.StatusNoContent {
		t.Fatalf("genuine payment: %d, %v", status, err)
	}
	ref, _, err := r.s.app.payments.Refund(ctx, commerce.RefundInput{Number: paid.Number, Amount: commerce.Money{Amount: 1},
		Reason: "attack test", By: "cli", Key: "attack"})
	if err != nil || ref.State != commerce.RefundProcessing {
		t.Fatalf("refund: %+v, %v", ref, err)
	}
	if code, err := r.fake.CompleteRefund(ref.OutRefundNo, wechatpay.RefundSuccess); err != nil || code != http.StatusNoContent {
		t.Fatalf("genuine refund notification: %d, %v", code, err)
	}
	// A genuine notification of another amount than the order's: recorded as a mismatch.
	mism, mismNo := begin()
	if err := r.fake.SetTradeState(mismNo, wechatpay.TradeSuccess); err != nil {
		t.Fatal(err)
	}
	send := func(req *http.Request) int {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		return w.Code
	}
	wrongAmount := func() *http.Request {
		req, err := r.fake.TransactionNotification(mismNo, wechatpaytest.WrongAmount)
		if err != nil {
			t.Fatal(err)
		}
		return req
	}
	if code := send(wrongAmount()); code != http.StatusNoContent {
		t.Fatalf("wrong-amount notification = %d; want 204 (recorded)", code)
	}
	if a := r.attempt(mismNo); a.State != commerce.AttemptMismatch || r.orderNow(mism.ID).Status != commerce.StatusAwaitingPayment {
		t.Fatalf("wrong amount: attempt %s, order %s; want a mismatch and the order unpaid", a.State, r.orderNow(mism.ID).Status)
	}

	before := paySnapshot(t, r.s.app)
	tampers := []wechatpaytest.Tamper{wechatpaytest.Forged, wechatpaytest.Stale, wechatpaytest.WrongSerial, wechatpaytest.BodyChanged,
		wechatpaytest.WrongAPIv3Key, wechatpaytest.WrongMerchant, wechatpaytest.WrongAppID}
	rng := rand.New(rand.NewPCG(14, 500))
	counts := map[string]int{}
	hostile, replays := 0, 0
	for i := 0; hostile < 520; i++ {
		var req *http.Request
		var err error
		want := "4xx"
		kind := ""
		switch n := rng.IntN(20); {
		case n < 13: // a payment's notification, tampered
			tm := tampers[rng.IntN(len(tampers))]
			kind = "transaction/" + tm.String()
			req, err = r.fake.TransactionNotification(targets[rng.IntN(len(targets))], tm)
		case n < 15: // a refund's notification, tampered
			tm := tampers[rng.IntN(len(tampers)-1)] // a refund notice names no appid
			kind = "refund/" + tm.String()
			req, err = r.fake.RefundNotification(ref.OutRefundNo, tm)
		case n < 16: // garbage under genuine-looking headers
			kind = "garbage"
			var genuine *http.Request
			genuine, err = r.fake.TransactionNotification(targets[0], wechatpaytest.Genuine)
			if err == nil {
				body := make([]byte, rng.IntN(300))
				for j := range body {
					body[j] = byte(rng.IntN(256))
				}
				req = httptest.NewRequest(http.MethodPost, payNotifyPath, bytes.NewReader(body))
				req.Header = genuine.Header.Clone()
			}
		case n < 18:
			kind, want = "replay/transaction", "204"
			req, err = r.fake.TransactionNotification(paidNo, wechatpaytest.Genuine)
		case n < 19:
			kind, want = "replay/refund", "204"
			req, err = r.fake.RefundNotification(ref.OutRefundNo, wechatpaytest.Genuine)
		default:
			kind, want = "replay/wrong_amount", "204"
			req = wrongAmount()
		}
		if err != nil {
			t.Fatalf("%s: %v", kind, err)
		}
		code := send(req)
		counts[kind]++
		switch {
		case want == "204" && code != http.StatusNoContent:
			t.Fatalf("%s answered %d; want 204", kind, code)
		case want == "4xx" && (code < 400 || code > 499):
			t.Fatalf("%s answered %d; want 4xx", kind, code)
		case want == "4xx":
			hostile++
		default:
			replays++
		}
	}
	if hostile < 500 {
		t.Fatalf("only %d hostile notifications sent", hostile)
	}
	if after := paySnapshot(t, r.s.app); after != before {
		t.Fatalf("notifications that are not WeChat Pay's changed the payments:\n%s\n---\n%s", before, after)
	}
	t.Logf("%d hostile notifications refused, %d genuine replays acknowledged, nothing changed: %v", hostile, replays, counts)

	// A genuine payment of a transaction this shop never made (another
	// system on the merchant account): acknowledged, so WeChat Pay stops,
	// logged at error level, and nothing changes here.
	stranger := r.fake.Client()
	if _, err := stranger.PrepayNative(ctx, wechatpay.Prepay{Description: "elsewhere", OutTradeNo: "ELSEWHERE0001",
		NotifyURL: "https://shop.example" + payNotifyPath, Amount: wechatpay.Amount{Total: 999}}); err != nil {
		t.Fatal(err)
	}
	if err := r.fake.SetTradeState("ELSEWHERE0001", wechatpay.TradeSuccess); err != nil {
		t.Fatal(err)
	}
	if code, err := r.fake.NotifyTransaction("ELSEWHERE0001"); err != nil || code != http.StatusNoContent {
		t.Fatalf("genuine notification of an unknown out_trade_no: %d, %v; want 204", code, err)
	}
	if after := paySnapshot(t, r.s.app); after != before {
		t.Fatalf("a payment of an unknown out_trade_no changed the payments:\n%s\n---\n%s", before, after)
	}

	// The targets were live: their genuine notifications pay them.
	for i, no := range targets {
		if code, err := r.fake.NotifyTransaction(no); err != nil || code != http.StatusNoContent {
			t.Fatalf("genuine notification of %s: %d, %v", no, code, err)
		}
		if got := r.orderNow(targetOrders[i].ID); got.Status != commerce.StatusPaid {
			t.Fatalf("target %s after its genuine notification: %s", no, got.Status)
		}
	}
}

func TestPayNotificationAttacksSQLite(t *testing.T) {
	t.Parallel()
	payAttacks(t, sqliteConfig(t))
}

func TestPayNotificationAttacksPostgresRedis(t *testing.T) {
	t.Parallel()
	payAttacks(t, postgresRedisConfig(t))
}

// TestPayNotifyStoreFailure: a genuine notification the store cannot
// record is answered 5xx with {"code":"FAIL",…} (WeChat Pay delivers it
// again) and changes nothing; the redelivery once the store is back pays
// the order.
func TestPayNotifyStoreFailure(t *testing.T) {
	t.Parallel()
	r := newPayRun(t, sqliteConfig(t))
	user := testenv.UniqueName("payfail")
	o, choices := r.order(user, 1)
	no := r.payNative(user, choices)
	if err := r.fake.SetTradeState(no, wechatpay.TradeSuccess); err != nil {
		t.Fatal(err)
	}
	db := r.s.app.Store.DB()
	// The store fails: the attempts' table is away for a moment.
	if _, err := db.Exec(`ALTER TABLE pay_attempts RENAME TO pay_attempts_away`); err != nil {
		t.Fatal(err)
	}
	req, err := r.fake.TransactionNotification(no, wechatpaytest.Genuine)
	if err != nil {
		t.Fatal(err)
	}
	w := httptest.NewRecorder()
	r.s.app.Handler().ServeHTTP(w, req)
	if w.Code != http.StatusInternalServerError || !bytes.Contains(w.Body.Bytes(), []byte(`"code":"FAIL"`)) {
		t.Fatalf("notification while the store fails = %d %s; want 500 FAIL", w.Code, w.Body)
	}
	if _, err := db.Exec(`ALTER TABLE pay_attempts_away RENAME TO pay_attempts`); err != nil {
		t.Fatal(err)
	}
	if got := r.orderNow(o.ID); got.Status != commerce.StatusAwaitingPayment {
		t.Fatalf("order after a failed notification: %s", got.Status)
	}
	if code, err := r.fake.NotifyTransaction(no); err != nil || code != http.StatusNoContent { // WeChat Pay's retry
		t.Fatalf("redelivery: %d, %v", code, err)
	}
	if got := r.orderNow(o.ID); got.Status != commerce.StatusPaid {
		t.Fatalf("order after the redelivery: %s", got.Status)
	}
}

// payRace: the buyer's payment (and its notification) against the end of
// the payment time (close at WeChat Pay, then the stock released), at
// once, for several orders. Each ends either paid, its stock sold, or
// closed at WeChat Pay and cancelled, its stock back — never paid with
// its stock released, never cancelled with money taken.
func payRace(t *testing.T, cfg Config) {
	r := newPayRun(t, cfg)
	ctx := context.Background()
	const n = 8
	type one struct {
		o  commerce.Order
		no string
	}
	var all []one
	for range n {
		user := testenv.UniqueName("payrace")
		o, choices := r.order(user, 1)
		all = append(all, one{o, r.payNative(user, choices)})
	}
	pid := all[0].o.Lines[0].ProductID
	held := r.stock(pid)
	r.clock.Advance(r.cfg.Pay.TTL + time.Minute)
	var wg sync.WaitGroup
	for i, x := range all {
		wg.Add(2)
		go func() {
			defer wg.Done()
			// Staggered: the first pay before the close, the last after
			// it, those between across the close.
			time.Sleep(time.Duration(i) * 3 * time.Millisecond)
			_, _ = r.fake.Pay(x.no, "oRacer00000000000000000000") // refused when the close came first
		}()
		go func() {
			defer wg.Done()
			if _, err := r.s.app.payments.Expire(ctx, x.o.ID); err != nil {
				t.Errorf("expire %s: %v", x.o.Number, err)
			}
		}()
	}
	wg.Wait()
	sold := 0
	for _, x := range all {
		got := r.orderNow(x.o.ID)
		fo, _ := r.fake.Order(x.no)
		switch {
		case fo.State == wechatpay.TradeSuccess && got.Status == commerce.StatusPaid:
			sold++
		case fo.State == wechatpay.TradeClosed && got.Status == commerce.StatusCancelled && !got.Paid.IsPaid():
		default:
			t.Errorf("order %s: %s (paid %v), at WeChat Pay %s", x.o.Number, got.Status, got.Paid.IsPaid(), fo.State)
		}
	}
	if got := r.stock(pid); got != held+n-sold {
		t.Fatalf("stock %d after %d of %d paid; want %d", got, sold, n, held+n-sold)
	}
	t.Logf("%d paid, %d closed", sold, n-sold)
}

func TestPayRaceSQLite(t *testing.T) {
	t.Parallel()
	payRace(t, sqliteConfig(t))
}

func TestPayRacePostgresRedis(t *testing.T) {
	t.Parallel()
	payRace(t, postgresRedisConfig(t))
}
