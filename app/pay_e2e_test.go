package app

import (
	"context"
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/cookiejar"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"shopbot/bot"
	"shopbot/bot/wechat/wechattest"
	"shopbot/commerce"
	"shopbot/internal/testenv"
	"shopbot/jobs"
	"shopbot/qrscan"
	"shopbot/wechatpay"
	"shopbot/wechatpay/wechatpaytest"
)

// The "done when" of issue 14's WeChat Pay side, on both stores, through
// the real App: the web chat, the pay page, the notification routes and
// the jobs, against the fake WeChat Pay (wechatpaytest), which checks
// every request's signature and signs its answers and notifications.

// payRun is a shop with WeChat Pay (and the Official Account, for the pay
// page's OAuth) on fakes, and a clock the test moves.
type payRun struct {
	t     *testing.T
	cfg   Config
	s     *shop
	fake  *wechatpaytest.Server
	oa    *wechattest.FakeAPI
	clock *testenv.Clock

	mu     sync.Mutex
	closes []closeSeen // the Close calls the fake received, with the stock at that moment
	// product whose stock closeSeen records (0: none)
	watch  int64
	orders int // placed, for a phone number each (the open-order limit counts per person)
}

// closeSeen is one close at the provider and the stock the store held
// for sale while it was on the wire.
type closeSeen struct {
	path  string
	stock int
}

// watcher passes the client's calls to the fake, noting each close.
type watcher struct {
	r    *payRun
	next http.RoundTripper
}

func (w watcher) RoundTrip(req *http.Request) (*http.Response, error) {
	if strings.HasSuffix(req.URL.Path, "/close") {
		w.r.mu.Lock()
		id := w.r.watch
		w.r.mu.Unlock()
		seen := closeSeen{path: req.URL.Path, stock: -1}
		if id != 0 {
			if p, err := w.r.s.app.Store.Product(req.Context(), id); err == nil {
				seen.stock = p.Stock
			}
		}
		w.r.mu.Lock()
		w.r.closes = append(w.r.closes, seen)
		w.r.mu.Unlock()
	}
	return w.next.RoundTrip(req)
}

const payAppID = "wxtest00000000001" // the Official Account's, which WeChat Pay charges under

func newPayRun(t *testing.T, cfg Config) *payRun {
	r := &payRun{t: t, clock: testenv.NewClock(time.Now())}
	r.fake = wechatpaytest.New(t, wechatpaytest.Options{AppID: payAppID})
	_, closeOA := fakeWeChat(&cfg)
	t.Cleanup(closeOA)
	r.oa = wechattest.NewFakeAPI(payAppID, "testsecret")
	t.Cleanup(r.oa.Close)
	cfg.WeChat.APIBase, cfg.WeChat.OAuthBase = r.oa.URL(), r.oa.URL()
	wc := r.fake.Config()
	if wc.AppID != cfg.WeChat.AppID {
		t.Fatalf("fake merchant appid %s, Official Account %s", wc.AppID, cfg.WeChat.AppID)
	}
	cfg.Pay = PayConfig{TTL: 15 * time.Minute, WeChat: &WeChatPayConfig{MchID: wc.MchID, AppID: wc.AppID, Serial: wc.SerialNo,
		PrivateKey: wc.PrivateKey, APIv3Key: wc.APIv3Key, PublicKey: wc.PublicKey, PublicKeyID: wc.PublicKeyID, APIBase: wc.BaseURL,
		httpClient: &http.Client{Timeout: 5 * time.Second, Transport: watcher{r: r, next: wc.HTTPClient.Transport}}}}
	cfg.clock = r.clock
	cfg.PublicURL = "https://shop.example"
	r.cfg = cfg
	r.s = start(t, cfg)
	// Notifications reach the real handler in-process (notify_url names
	// the public host; only the path matters to the mux).
	r.fake.SetNotifyHandler(r.s.app.Handler())
	return r
}

// order places an order in the web chat as user, up to the ways to pay
// it, and returns the order and the replies that offer them.
func (r *payRun) order(user string, products int) (commerce.Order, []bot.Reply) {
	s, t := r.s, r.t
	t.Helper()
	rep := s.say(user, "text", "/start")
	rep = s.say(user, "action", button(t, rep, "Shop"))
	cat := s.say(user, "action", button(t, rep, "Snacks"))
	for i := 0; i < products; i++ {
		rep = s.say(user, "action", cat[0].Buttons[i][0].Action)
		rep = s.say(user, "action", button(t, rep, "Add 1"))
	}
	rep = s.say(user, "action", button(t, rep, "Check out"))
	s.say(user, "action", button(t, rep, "Shanghai"))
	s.say(user, "text", "Wang Fang")
	r.mu.Lock()
	r.orders++
	phone := fmt.Sprintf("1390013%04d", r.orders)
	r.mu.Unlock()
	rep = s.say(user, "text", phone)
	number := orderNumberRe.FindStringSubmatch(lastText(rep))
	if number == nil {
		t.Fatalf("no order number in %q", lastText(rep))
	}
	o, err := s.app.Store.OrderByNumber(context.Background(), number[1])
	if err != nil {
		t.Fatal(err)
	}
	if len(o.Lines) != products || o.Status != commerce.StatusPending {
		t.Fatalf("order %s: %d lines, %s", o.Number, len(o.Lines), o.Status)
	}
	return o, rep
}

// payNative chooses WeChat Pay in the web chat and returns the attempt's
// out_trade_no, read from the QR code the chat shows (as a phone would).
func (r *payRun) payNative(user string, choices []bot.Reply) string {
	t := r.t
	t.Helper()
	rep := r.s.say(user, "action", action(t, choices, string(bot.VerbPayWeChat)+":"))
	img := ""
	for _, x := range rep {
		if strings.HasPrefix(x.Image, "/pay/qr/") {
			img = x.Image
		}
	}
	if img == "" {
		t.Fatalf("WeChat Pay in the web chat shows no QR code: %+v", rep)
	}
	code, png := r.s.get(img)
	if code != http.StatusOK {
		t.Fatalf("GET %s = %d", img, code)
	}
	codeURL, err := qrscan.Decode([]byte(png))
	if err != nil {
		t.Fatalf("QR code of %s: %v", img, err)
	}
	no, ok := r.fake.OrderByCodeURL(codeURL)
	if !ok || img != "/pay/qr/"+no+".png" {
		t.Fatalf("QR code %q is no transaction of the fake (%s)", codeURL, img)
	}
	return no
}

func (r *payRun) orderNow(id int64) commerce.Order {
	r.t.Helper()
	o, err := r.s.app.Store.Order(context.Background(), id)
	if err != nil {
		r.t.Fatal(err)
	}
	return o
}

func (r *payRun) attempt(no string) commerce.PayAttempt {
	r.t.Helper()
	a, err := r.s.app.payments.Attempt(context.Background(), no)
	if err != nil {
		r.t.Fatal(err)
	}
	return a
}

// eventually waits for cond (jobs run on their own).
func (r *payRun) eventually(what string, cond func() bool) {
	r.t.Helper()
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if cond() {
			return
		}
	}
	r.t.Fatalf("timed out waiting for %s", what)
}

// payNativePath: order in the web chat → WeChat Pay (Native QR) → the
// buyer pays at the fake → its notification reaches /pay/wechat/notify →
// paid → the receipt in the chat → delivered again: nothing changes →
// shipped, arrived, handed over without a payment asked → one line
// refunded at the fake → REFUND.SUCCESS → the buyer told.
func payNativePath(t *testing.T, cfg Config) {
	r := newPayRun(t, cfg)
	ctx := context.Background()
	user := testenv.UniqueName("paynative")
	o, choices := r.order(user, 2)
	no := r.payNative(user, choices)
	if got := r.orderNow(o.ID); got.Status != commerce.StatusAwaitingPayment {
		t.Fatalf("order after WeChat Pay chosen: %s", got.Status)
	}
	fo, _ := r.fake.Order(no)
	if fo.TradeType != wechatpay.TradeTypeNative || fo.Total != o.Total.Amount || fo.NotifyURL != "https://shop.example"+payNotifyPath {
		t.Fatalf("transaction at the fake: %+v", fo)
	}

	// The pay page outside WeChat shows the same open attempt's QR code.
	link := strings.TrimPrefix(r.s.app.PayPage(o), "https://shop.example")
	until := r.orderNow(o.ID).ExpiresAt.In(r.s.app.cfg.zone()).Format("15:04")
	if code, body := r.s.get(link); code != http.StatusOK || !strings.Contains(body, `src="/pay/qr/`+no+`.png"`) ||
		!strings.Contains(body, "var params =  null ;") || !strings.Contains(body, "Pay by "+until) {
		t.Fatalf("pay page outside WeChat = %d:\n%s", code, body)
	}
	if status, err := r.fake.Pay(no, "oNativePayer000000000000000"); err != nil || status != http.StatusNoContent {
		t.Fatalf("payment notification answered %d, %v; want 204", status, err)
	}
	paid := r.orderNow(o.ID)
	if paid.Status != commerce.StatusPaid || paid.Paid.Method != commerce.PayWeChat || paid.Paid.Amount != o.Total {
		t.Fatalf("order after the notification: %s %+v", paid.Status, paid.Paid)
	}
	if a := r.attempt(no); a.State != commerce.AttemptPaid || a.TransactionID != fo.TransactionID && a.TransactionID == "" {
		t.Fatalf("attempt after the notification: %+v", a)
	}
	receipt := r.s.inbox(user, "Payment received")
	if !strings.Contains(receipt.Text, "№"+o.Number) {
		t.Fatalf("receipt: %q", receipt.Text)
	}
	// WeChat Pay delivers it again (its retries): 204, nothing changes.
	before := paySnapshot(t, r.s.app)
	if status, err := r.fake.NotifyTransaction(no); err != nil || status != http.StatusNoContent {
		t.Fatalf("repeated notification answered %d, %v", status, err)
	}
	if after := paySnapshot(t, r.s.app); after != before {
		t.Fatalf("a repeated notification changed the payments:\n%s\n---\n%s", before, after)
	}
	// The status the page polls.
	if code, body := r.s.get(link + "/status"); code != http.StatusOK ||
		!strings.Contains(body, `"paid":true`) {
		t.Fatalf("status = %d %s", code, body)
	}
	// The QR code of a paid attempt is gone.
	if code, _ := r.s.get("/pay/qr/" + no + ".png"); code != http.StatusNotFound {
		t.Fatalf("QR code of a paid attempt = %d; want 404", code)
	}

	// Pickup: shipped and arrived, handed over with no payment asked.
	pt, err := r.s.app.Store.PickupPoint(ctx, o.PickupPointID)
	if err != nil {
		t.Fatal(err)
	}
	// (What "shopbot pickup ship|arrived" call, in this process: a second
	// process on the SQLite file meets the jobs' writes as SQLITE_BUSY under -race.)
	ship := commerce.Shipment{PointID: pt.ID, Numbers: []string{o.Number}, Batch: "B-PAY"}
	if _, err := r.s.app.pickup.Ship(ctx, ship); err != nil {
		t.Fatalf("ship: %v", err)
	}
	if _, err := r.s.app.pickup.MarkArrived(ctx, ship); err != nil {
		t.Fatalf("arrived: %v", err)
	}
	pass, err := r.s.app.pickup.Pass(ctx, o.Buyer, o.ID)
	if err != nil {
		t.Fatal(err)
	}
	staffID := ""
	for _, id := range pt.Staff {
		staffID = id
	}
	if _, err := r.s.app.pickup.Redeem(ctx, staffID, pt.ID, pass.Code); err != nil {
		t.Fatalf("hand-over of a paid order: %v", err)
	}
	if got := r.orderNow(o.ID); got.Status != commerce.StatusPickedUp || got.Paid.Method != commerce.PayWeChat {
		t.Fatalf("after the hand-over: %s, paid %+v", got.Status, got.Paid)
	}

	// The seller refunds one unit of the second line.
	ref, created, err := r.s.app.payments.Refund(ctx, commerce.RefundInput{Number: o.Number,
		Lines: []commerce.RefundLine{{LineNo: 2, Qty: 1}}, Reason: "damaged", By: "tg:5150", Key: "e2e:" + o.Number})
	if err != nil || !created || ref.State != commerce.RefundProcessing || ref.Amount != o.Lines[1].UnitPrice {
		t.Fatalf("refund: %+v created %v, %v", ref, created, err)
	}
	fr, ok := r.fake.Refund(ref.OutRefundNo)
	if !ok || fr.OutTradeNo != no || fr.Refund != o.Lines[1].UnitPrice.Amount || fr.NotifyURL != "https://shop.example"+payRefundPath {
		t.Fatalf("refund at the fake: %+v %v", fr, ok)
	}
	if status, err := r.fake.CompleteRefund(ref.OutRefundNo, ""); err != nil || status != http.StatusNoContent {
		t.Fatalf("refund notification answered %d, %v", status, err)
	}
	if got, err := r.s.app.Store.RefundByNo(ctx, ref.OutRefundNo); err != nil || got.State != commerce.RefundSucceeded {
		t.Fatalf("refund after its notification: %+v, %v", got, err)
	}
	r.s.inbox(user, "Refund made")
	if r.fake.Rejected() != 0 {
		t.Fatalf("the fake refused %d of our requests' signatures", r.fake.Rejected())
	}
}

func TestPayNativeEndToEndSQLite(t *testing.T) {
	t.Parallel()
	payNativePath(t, sqliteConfig(t))
}

func TestPayNativeEndToEndPostgresRedis(t *testing.T) {
	t.Parallel()
	payNativePath(t, postgresRedisConfig(t))
}

var (
	jsapiParamsRe = regexp.MustCompile(`var params = (\{[^;]*\});`)
	scriptNonceRe = regexp.MustCompile(`<script nonce="([^"]+)">`)
)

// payJSAPIPath: the pay page opened in WeChat's browser goes through the
// OAuth (snsapi_base) on the fake Official Account, shows the items and a
// Pay button whose paySign verifies with the merchant's public key; the
// buyer pays in WeChat (the fake checks the parameters as WeChat does) →
// paid, and the page's status says so.
func payJSAPIPath(t *testing.T, cfg Config) {
	r := newPayRun(t, cfg)
	user := testenv.UniqueName("payjsapi")
	o, _ := r.order(user, 1)
	const openID = "oJSAPIPayer0000000000000000"
	r.oa.SetOAuthUser(openID)
	link := r.s.app.PayPage(o)
	path, ok := strings.CutPrefix(link, "https://shop.example/pay/o/")
	if !ok {
		t.Fatalf("pay page link %q", link)
	}
	jar, _ := cookiejar.New(nil)
	phone := &http.Client{Jar: jar, Timeout: 10 * time.Second, CheckRedirect: func(req *http.Request, via []*http.Request) error {
		// The public URL is this test server; WeChat's pages are the fake's.
		if req.URL.Host == "shop.example" {
			req.URL.Scheme, req.URL.Host = "http", strings.TrimPrefix(r.s.base, "http://")
		}
		req.Header.Set("User-Agent", via[0].Header.Get("User-Agent"))
		return nil
	}}
	req, _ := http.NewRequest(http.MethodGet, r.s.base+"/pay/o/"+path, nil)
	req.Header.Set("User-Agent", "Mozilla/5.0 (iPhone) MicroMessenger/8.0.50")
	res, err := phone.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body := readAll(t, res)
	if res.StatusCode != http.StatusOK || r.oa.OAuthExchanges() != 1 {
		t.Fatalf("pay page in WeChat = %d after %d code exchanges:\n%s", res.StatusCode, r.oa.OAuthExchanges(), body)
	}
	for _, want := range []string{"Order " + o.Number, o.Lines[0].Title.In("en"), "Pay with WeChat Pay"} {
		if !strings.Contains(body, want) {
			t.Errorf("pay page lacks %q:\n%s", want, body)
		}
	}
	csp := res.Header.Get("Content-Security-Policy")
	nonce := scriptNonceRe.FindStringSubmatch(body)
	if nonce == nil || !strings.Contains(csp, "script-src 'nonce-"+nonce[1]+"';") || !strings.HasPrefix(csp, "default-src 'none';") {
		t.Fatalf("CSP %q, script nonce %v", csp, nonce)
	}
	m := jsapiParamsRe.FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("no JSAPI parameters in the page:\n%s", body)
	}
	var params wechatpay.JSAPIPayParams
	if err := json.Unmarshal([]byte(m[1]), &params); err != nil {
		t.Fatalf("JSAPI parameters %s: %v", m[1], err)
	}
	sig, err := base64.StdEncoding.DecodeString(params.PaySign)
	sum := sha256.Sum256([]byte(wechatpay.JSAPIMessage(params.AppID, params.TimeStamp, params.NonceStr, params.Package)))
	merchant := &r.cfg.Pay.WeChat.PrivateKey.PublicKey
	if err != nil || params.SignType != "RSA" || params.AppID != payAppID || rsa.VerifyPKCS1v15(merchant, crypto.SHA256, sum[:], sig) != nil {
		t.Fatalf("paySign does not verify with the merchant public key: %+v", params)
	}
	no, ok := r.fake.OrderByPrepayID(strings.TrimPrefix(params.Package, "prepay_id="))
	if fo, _ := r.fake.Order(no); !ok || fo.TradeType != wechatpay.TradeTypeJSAPI || fo.Total != o.Total.Amount {
		t.Fatalf("JSAPI transaction at the fake: %+v", fo)
	}
	// Opening the page again asks WeChat nothing more: the openid is in its cookie.
	req2, _ := http.NewRequest(http.MethodGet, r.s.base+"/pay/o/"+path, nil)
	req2.Header.Set("User-Agent", "Mozilla/5.0 (iPhone) MicroMessenger/8.0.50")
	if res, err := phone.Do(req2); err != nil || res.StatusCode != http.StatusOK || r.oa.OAuthExchanges() != 1 {
		t.Fatalf("reopened page: %v %v, %d exchanges", res, err, r.oa.OAuthExchanges())
	} else {
		res.Body.Close()
	}

	if status, err := r.fake.PayJSAPI(params, openID); err != nil || status != http.StatusNoContent {
		t.Fatalf("JSAPI payment: %d, %v", status, err)
	}
	if got := r.orderNow(o.ID); got.Status != commerce.StatusPaid || got.Paid.Method != commerce.PayWeChat {
		t.Fatalf("after the JSAPI payment: %s %+v", got.Status, got.Paid)
	}
	if a := r.attempt(no); a.Payer != openID || a.State != commerce.AttemptPaid {
		t.Fatalf("attempt: %+v", a)
	}
	if code, body := r.s.get("/pay/o/" + path + "/status"); code != http.StatusOK || !strings.Contains(body, `"paid":true`) {
		t.Fatalf("status = %d %s", code, body)
	}
	r.s.inbox(user, "Payment received")
	// A forged or altered link names no order.
	for _, bad := range []string{"/pay/o/AAAA", "/pay/o/" + path[:len(path)-2] + "xx", "/pay/o/" + path + "x/status"} {
		if code, _ := r.s.get(bad); code != http.StatusNotFound {
			t.Errorf("GET %s = %d; want 404", bad, code)
		}
	}
}

func TestPayJSAPIEndToEndSQLite(t *testing.T) {
	t.Parallel()
	payJSAPIPath(t, sqliteConfig(t))
}

func TestPayJSAPIEndToEndPostgresRedis(t *testing.T) {
	t.Parallel()
	payJSAPIPath(t, postgresRedisConfig(t))
}

// paySnapshot is every row of the orders, attempts and refunds, as text.
func paySnapshot(t *testing.T, a *App) string {
	t.Helper()
	var b strings.Builder
	for _, q := range []string{
		`SELECT * FROM orders ORDER BY id`,
		`SELECT * FROM pay_attempts ORDER BY id`,
		`SELECT * FROM refunds ORDER BY id`,
	} {
		rows, err := a.Store.DB().QueryContext(context.Background(), q)
		if err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		cols, _ := rows.Columns()
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		for rows.Next() {
			if err := rows.Scan(ptrs...); err != nil {
				t.Fatal(err)
			}
			for _, v := range vals {
				if bs, ok := v.([]byte); ok {
					v = string(bs)
				}
				b.WriteString(strconv.Quote(toString(v)))
				b.WriteByte(' ')
			}
			b.WriteByte('\n')
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		rows.Close()
	}
	return b.String()
}

func toString(v any) string {
	if v == nil {
		return "NULL"
	}
	if tm, ok := v.(time.Time); ok {
		return tm.UTC().Format(time.RFC3339Nano)
	}
	return strings.TrimSpace(strings.ReplaceAll(fmtAny(v), "\n", " "))
}

func fmtAny(v any) string { b, _ := json.Marshal(v); return string(b) }

// expirePayment runs the order's payment-time job now (its moment has
// come on the shop's clock) and waits for the order to be cancelled.
func (r *payRun) expirePayment(o commerce.Order) {
	r.t.Helper()
	r.clock.Advance(r.cfg.Pay.TTL + time.Minute)
	runJob(r.t, r.s, jobs.ExpirePaymentArgs{}.Kind(), func(args []byte) bool {
		var a jobs.ExpirePaymentArgs
		return json.Unmarshal(args, &a) == nil && a.OrderID == o.ID
	})
	r.eventually("the order cancelled at the end of its payment time", func() bool {
		return r.orderNow(o.ID).Status == commerce.StatusCancelled
	})
}

func (r *payRun) stock(productID int64) int {
	r.t.Helper()
	p, err := r.s.app.Store.Product(context.Background(), productID)
	if err != nil {
		r.t.Fatal(err)
	}
	return p.Stock
}

// payExpiryPath: an order left unpaid past its payment time is closed at
// WeChat Pay while its stock is still held (a failed close is retried,
// the stock held meanwhile), and only then released; the
// closed transaction cannot be paid. Then the close and a payment cross
// (WeChat Pay answers the close, the buyer's payment still lands): the
// late payment is recorded, refunded automatically, and the buyer told
// twice — that it comes back, and that it came back.
func payExpiryPath(t *testing.T, cfg Config) {
	r := newPayRun(t, cfg)
	user := testenv.UniqueName("payexpiry")
	o, choices := r.order(user, 1)
	no := r.payNative(user, choices)
	pid, qty := o.Lines[0].ProductID, o.Lines[0].Qty
	held := r.stock(pid)
	r.mu.Lock()
	r.watch = pid
	r.mu.Unlock()

	// WeChat Pay fails the first close: the job tries again (River's
	// backoff), the stock held all the while.
	r.fake.Inject(wechatpaytest.OpClose, wechatpaytest.Fault{Status: http.StatusInternalServerError})
	r.expirePayment(o)
	r.mu.Lock()
	closes := append([]closeSeen(nil), r.closes...)
	r.mu.Unlock()
	if len(closes) != 2 {
		t.Fatalf("closes seen %+v; want a failed one and its retry", closes)
	}
	for _, c := range closes {
		if !strings.Contains(c.path, no) || c.stock != held {
			t.Fatalf("closes seen %+v; want each of %s while the stock was still %d (held)", closes, no, held)
		}
	}
	if got := r.stock(pid); got != held+qty {
		t.Fatalf("stock after the expiry %d; want %d back", got, held+qty)
	}
	if fo, _ := r.fake.Order(no); fo.State != wechatpay.TradeClosed {
		t.Fatalf("transaction at the fake after the expiry: %s", fo.State)
	}
	if _, err := r.fake.Pay(no, "oTooLate000000000000000000"); err == nil {
		t.Fatal("the fake took a payment of a closed transaction")
	}
	if a := r.attempt(no); a.State != commerce.AttemptClosed {
		t.Fatalf("attempt after the expiry: %s", a.State)
	}
	// The pay page and its status say so; the QR code is gone.
	page := strings.TrimPrefix(r.s.app.PayPage(o), "https://shop.example")
	if code, body := r.s.get(page); code != http.StatusOK || !strings.Contains(body, "can no longer be paid") {
		t.Fatalf("pay page of an expired order = %d:\n%s", code, body)
	}
	if code, body := r.s.get(page + "/status"); code != http.StatusOK || !strings.Contains(body, `"closed":true`) {
		t.Fatalf("status of an expired order = %d %s", code, body)
	}
	if code, _ := r.s.get("/pay/qr/" + no + ".png"); code != http.StatusNotFound {
		t.Fatalf("QR code of a closed attempt = %d; want 404", code)
	}

	// The close and the payment cross.
	user2 := testenv.UniqueName("paylate")
	o2, choices2 := r.order(user2, 1)
	no2 := r.payNative(user2, choices2)
	r.fake.Inject(wechatpaytest.OpClose, wechatpaytest.Fault{Status: http.StatusOK}) // answered as done, not carried out
	r.expirePayment(o2)
	if status, err := r.fake.Pay(no2, "oLatePayer0000000000000000"); err != nil || status != http.StatusNoContent {
		r.mu.Lock()
		t.Logf("closes: %+v", r.closes)
		r.mu.Unlock()
		t.Fatalf("late payment notification: %d, %v", status, err)
	}
	if got := r.orderNow(o2.ID); got.Status != commerce.StatusCancelled || got.Paid.IsPaid() {
		t.Fatalf("a late payment revived the order: %s %+v", got.Status, got.Paid)
	}
	late := r.attempt(no2)
	refunds, err := r.s.app.payments.Refunds(context.Background(), o2.ID)
	if late.State != commerce.AttemptLate || err != nil || len(refunds) != 1 || refunds[0].AttemptID != late.ID ||
		refunds[0].Amount != o2.Total || refunds[0].State != commerce.RefundProcessing {
		t.Fatalf("late payment: attempt %s, refunds %+v, %v", late.State, refunds, err)
	}
	if fr, ok := r.fake.Refund(refunds[0].OutRefundNo); !ok || fr.OutTradeNo != no2 || fr.Refund != o2.Total.Amount {
		t.Fatalf("late refund at the fake: %+v %v", fr, ok)
	}
	r.s.inbox(user2, "arrived after the order had already been closed")
	if status, err := r.fake.CompleteRefund(refunds[0].OutRefundNo, ""); err != nil || status != http.StatusNoContent {
		t.Fatalf("refund notification: %d, %v", status, err)
	}
	r.s.inbox(user2, "Refund made")
}

func TestPayExpiryEndToEndSQLite(t *testing.T) {
	t.Parallel()
	payExpiryPath(t, sqliteConfig(t))
}

func TestPayExpiryEndToEndPostgresRedis(t *testing.T) {
	t.Parallel()
	payExpiryPath(t, postgresRedisConfig(t))
}

// payReconcilePath: WeChat Pay's notification never arrives; the
// periodic reconciliation queries the attempt once it is a few minutes
// old and the order becomes paid through the same path, receipt and all.
func payReconcilePath(t *testing.T, cfg Config) {
	cfg.payReconcileEvery = 200 * time.Millisecond
	r := newPayRun(t, cfg)
	user := testenv.UniqueName("payrecon")
	o, choices := r.order(user, 1)
	no := r.payNative(user, choices)
	r.fake.DropNotifications(true)
	if status, err := r.fake.Pay(no, "oDropped00000000000000000000"); err != nil || status != 0 {
		t.Fatalf("dropped notification: %d, %v", status, err)
	}
	time.Sleep(time.Second) // reconciliations run, but the attempt is new: not asked about yet
	if got := r.orderNow(o.ID); got.Status != commerce.StatusAwaitingPayment {
		t.Fatalf("paid without a notification or a due query: %s", got.Status)
	}
	r.clock.Advance(4 * time.Minute)
	r.eventually("the reconciliation finding the payment", func() bool { return r.orderNow(o.ID).Status == commerce.StatusPaid })
	if a := r.attempt(no); a.State != commerce.AttemptPaid || a.Payer != "oDropped00000000000000000000" {
		t.Fatalf("attempt: %+v", a)
	}
	r.s.inbox(user, "Payment received")
	if d := r.fake.Deliveries(); len(d) != 1 || d[0].Status != 0 {
		t.Fatalf("deliveries %+v; want the one dropped", d)
	}
}

func TestPayReconcileEndToEndSQLite(t *testing.T) {
	t.Parallel()
	payReconcilePath(t, sqliteConfig(t))
}

func TestPayReconcileEndToEndPostgresRedis(t *testing.T) {
	t.Parallel()
	payReconcilePath(t, postgresRedisConfig(t))
}
