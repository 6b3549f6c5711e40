package app

import (
	"context"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"shopbot/bot"
	"shopbot/commerce"
	"shopbot/internal/testenv"
	"shopbot/qrscan"
	"shopbot/wechatpay"
)

var counterQRRe = regexp.MustCompile(`<img src="(/pay/qr/([A-Z0-9]+)\.png)"`)

// payCounterPath: an order to pay at pickup, ready at the counter, paid by
// the buyer scanning WeChat Pay's QR on the staff page: the PNG is a
// transaction of the fake; the buyer pays, the notification pays the
// order (status unchanged, a receipt in the chat), "Paid? Check" shows it
// paid and the hand-over asks for no payment.
func payCounterPath(t *testing.T, cfg Config) {
	r := newPayRun(t, cfg)
	ctx := context.Background()
	user := testenv.UniqueName("paycounter")
	o, choices := r.order(user, 1)
	r.s.say(user, "action", action(t, choices, string(bot.VerbOrderConfirm)+":"))
	if got := r.orderNow(o.ID); got.Status != commerce.StatusConfirmed {
		t.Fatalf("order after pay at pickup chosen: %s", got.Status)
	}
	pt, err := r.s.app.Store.PickupPoint(ctx, o.PickupPointID)
	if err != nil {
		t.Fatal(err)
	}
	runCLI(t, r.cfg, "pickup", "ship", "-point", pt.Code, "-batch", "B-CTR", o.Number)
	runCLI(t, r.cfg, "pickup", "arrived", "-point", pt.Code, "-batch", "B-CTR")
	pass, err := r.s.app.pickup.Pass(ctx, o.Buyer, o.ID)
	if err != nil {
		t.Fatal(err)
	}
	staffID := ""
	for _, id := range pt.Staff {
		if strings.HasPrefix(id, "web:") {
			staffID = id
		}
	}
	if staffID == "" {
		t.Fatalf("point %s has no web staff: %v", pt.Code, pt.Staff)
	}
	link, err := r.s.app.staff.LoginLink(ctx, staffID, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	jar, _ := cookiejar.New(nil)
	staff := &http.Client{Jar: jar, Timeout: 10 * time.Second}
	token := link[strings.Index(link, "token=")+len("token="):]
	if res, err := staff.PostForm(r.s.base+"/staff/login", url.Values{"token": {token}}); err != nil || res.StatusCode != http.StatusOK {
		t.Fatalf("sign in: %v %v", res, err)
	} else {
		res.Body.Close()
	}
	get := func(path string) string {
		res, err := staff.Get(r.s.base + path)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return string(b)
	}
	csrf := csrfRe.FindStringSubmatch(get("/staff"))
	if csrf == nil {
		t.Fatal("staff page without a form")
	}
	post := func(path string, extra ...string) (int, string) {
		form := url.Values{"csrf": {csrf[1]}, "point": {strconv.FormatInt(pt.ID, 10)}, "code": {pass.Code}}
		for i := 0; i+1 < len(extra); i += 2 {
			form.Set(extra[i], extra[i+1])
		}
		res, err := staff.PostForm(r.s.base+path, form)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res.StatusCode, string(b)
	}
	if status, body := post("/staff/inspect"); status != http.StatusOK || !strings.Contains(body, `formaction="/staff/wechatpay"`) {
		t.Fatalf("inspect = %d, no WeChat Pay offered:\n%s", status, body)
	}
	status, body := post("/staff/wechatpay")
	m := counterQRRe.FindStringSubmatch(body)
	if status != http.StatusOK || m == nil || !strings.Contains(body, o.Total.String()) {
		t.Fatalf("WeChat Pay QR page = %d:\n%s", status, body)
	}
	img, no := m[1], m[2]
	code, png := r.s.get(img)
	if code != http.StatusOK {
		t.Fatalf("GET %s = %d", img, code)
	}
	codeURL, err := qrscan.Decode([]byte(png))
	if err != nil {
		t.Fatalf("QR code of %s: %v", img, err)
	}
	if got, ok := r.fake.OrderByCodeURL(codeURL); !ok || got != no {
		t.Fatalf("QR code %q is no transaction of the fake (%s)", codeURL, no)
	}
	fo, _ := r.fake.Order(no)
	if fo.TradeType != wechatpay.TradeTypeNative || fo.Total != o.Total.Amount {
		t.Fatalf("transaction at the fake: %+v", fo)
	}
	if got := r.orderNow(o.ID); got.Status != commerce.StatusReadyForPickup || got.Paid.IsPaid() {
		t.Fatalf("order with the QR shown: %s %+v", got.Status, got.Paid)
	}
	if status, body := post("/staff/wechatpay", "no", no); status != http.StatusOK || !strings.Contains(body, img) {
		t.Fatalf("check before the payment = %d:\n%s", status, body)
	}

	if status, err := r.fake.Pay(no, "oCounterPayer00000000000000"); err != nil || status != http.StatusNoContent {
		t.Fatalf("payment notification answered %d, %v; want 204", status, err)
	}
	paid := r.orderNow(o.ID)
	if paid.Status != commerce.StatusReadyForPickup || paid.Paid.Method != commerce.PayWeChat || paid.Paid.Amount != o.Total {
		t.Fatalf("order after the notification: %s %+v", paid.Status, paid.Paid)
	}
	r.s.inbox(user, "№"+o.Number)
	status, body = post("/staff/wechatpay", "no", no)
	if status != http.StatusOK || strings.Contains(body, `name="payment"`) || !strings.Contains(body, `action="/staff/redeem"`) {
		t.Fatalf("check after the payment = %d:\n%s", status, body)
	}
	if status, _ := post("/staff/redeem"); status != http.StatusOK {
		t.Fatalf("hand-over = %d", status)
	}
	if got := r.orderNow(o.ID); got.Status != commerce.StatusPickedUp || got.Paid.Method != commerce.PayWeChat {
		t.Fatalf("after the hand-over: %s %+v", got.Status, got.Paid)
	}
	if code, _ := r.s.get(img); code != http.StatusNotFound {
		t.Fatalf("QR of a paid attempt = %d; want 404", code)
	}
	if r.fake.Rejected() != 0 {
		t.Fatalf("the fake refused %d of our requests' signatures", r.fake.Rejected())
	}
}

func TestPayCounterEndToEndSQLite(t *testing.T) {
	t.Parallel()
	payCounterPath(t, sqliteConfig(t))
}

func TestPayCounterEndToEndPostgresRedis(t *testing.T) {
	t.Parallel()
	payCounterPath(t, postgresRedisConfig(t))
}
