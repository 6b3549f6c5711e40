package telegram

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"

	"shopbot/bot"
	"shopbot/bot/telegram/telegramtest"
	"shopbot/chatstate"
	"shopbot/commerce"
	"shopbot/internal/testenv"
	"shopbot/templates"
)

const testProviderToken = "284685063:TEST:provider_TOKEN_never_logged"

func testInvoice() *bot.Invoice {
	return &bot.Invoice{Title: "Order K7Q2M9", Description: "Hyaluronic serum 30 ml × 2, pickup at Jing'an counter",
		Payload: "K7Q2M9P1", Currency: "CNY",
		Prices: []bot.InvoicePrice{{Label: "Hyaluronic serum 30 ml × 2", Amount: 25800}, {Label: "Formula", Amount: 29900}}}
}

func TestInvoiceParams(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("Серум ", 10)
	emoji := strings.Repeat("🎁", 20) // two UTF-16 units each
	for _, tc := range []struct {
		name        string
		mod         func(*bot.Invoice)
		err         bool
		title, desc string
	}{
		{"valid", nil, false, "Order K7Q2M9", "Hyaluronic serum 30 ml × 2, pickup at Jing'an counter"},
		{"title clipped by characters", func(i *bot.Invoice) { i.Title = long }, false, "Серум Серум Серум Серум Серум С…", ""},
		{"title of astral runes", func(i *bot.Invoice) { i.Title = emoji }, false, strings.Repeat("🎁", 15) + "…", ""},
		{"title on one line", func(i *bot.Invoice) { i.Title = " Order\n\tK7Q2M9 " }, false, "Order K7Q2M9", ""},
		{"title invalid UTF-8", func(i *bot.Invoice) { i.Title = "Order \xff" }, false, "Order \uFFFD", ""},
		{"no description: the title", func(i *bot.Invoice) { i.Description = "  " }, false, "Order K7Q2M9", "Order K7Q2M9"},
		{"description clipped", func(i *bot.Invoice) { i.Description = strings.Repeat("a", 300) }, false, "", strings.Repeat("a", 254) + "…"},
		{"blank title", func(i *bot.Invoice) { i.Title = " \n " }, true, "", ""},
		{"no payload", func(i *bot.Invoice) { i.Payload = "" }, true, "", ""},
		{"payload of 128 bytes", func(i *bot.Invoice) { i.Payload = strings.Repeat("P", 128) }, false, "", ""},
		{"payload of 129 bytes: never clipped", func(i *bot.Invoice) { i.Payload = strings.Repeat("P", 129) }, true, "", ""},
		{"payload invalid UTF-8", func(i *bot.Invoice) { i.Payload = "K7\xff" }, true, "", ""},
		{"lower-case currency", func(i *bot.Invoice) { i.Currency = "cny" }, true, "", ""},
		{"no prices", func(i *bot.Invoice) { i.Prices = nil }, true, "", ""},
		{"blank label", func(i *bot.Invoice) { i.Prices[0].Label = " " }, true, "", ""},
		{"nothing to pay", func(i *bot.Invoice) { i.Prices = []bot.InvoicePrice{{Label: "x", Amount: 0}} }, true, "", ""},
		{"a discount line", func(i *bot.Invoice) { i.Prices = append(i.Prices, bot.InvoicePrice{Label: "Discount", Amount: -800}) }, false, "", ""},
		{"absurd amount", func(i *bot.Invoice) { i.Prices[0].Amount = 1 << 50 }, true, "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			inv := testInvoice()
			if tc.mod != nil {
				tc.mod(inv)
			}
			p, err := invoiceParams(1001, inv, testProviderToken)
			if (err != nil) != tc.err {
				t.Fatalf("err = %v; want error %v", err, tc.err)
			}
			if err != nil {
				if !errors.Is(err, errInvoice) {
					t.Errorf("err %v is not errInvoice", err)
				}
				return
			}
			if utf16Len(p["title"]) > MaxInvoiceTitle || utf16Len(p["description"]) > MaxInvoiceDescription {
				t.Errorf("title %q or description over the limit", p["title"])
			}
			if tc.title != "" && p["title"] != tc.title {
				t.Errorf("title = %q; want %q", p["title"], tc.title)
			}
			if tc.desc != "" && p["description"] != tc.desc {
				t.Errorf("description = %q; want %q", p["description"], tc.desc)
			}
			if p["payload"] != inv.Payload || p["provider_token"] != testProviderToken || p["chat_id"] != "1001" {
				t.Errorf("params %v", p)
			}
		})
	}
}

func TestClipText(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		in    string
		limit int
		want  string
	}{
		{"short", 10, "short"},
		{"exactly ten", 11, "exactly ten"},
		{"abcdefghijk", 5, "abcd…"},
		{"ab cdefghij", 4, "ab…"},      // no trailing space before "…"
		{"ab🎁cdef", 4, "ab…"},          // 🎁 is two units: it does not fit with "…"
		{"ab🎁cdef", 5, "ab🎁…"},         // it does here
		{"cafe\u0301 noir", 5, "caf…"}, // the accent stays with its letter
		{"订单订单订单订单", 5, "订单订单…"},
	} {
		got := clipText(tc.in, tc.limit)
		if got != tc.want || utf16Len(got) > tc.limit {
			t.Errorf("clipText(%q, %d) = %q; want %q", tc.in, tc.limit, got, tc.want)
		}
	}
}

// An invoice reply is its text, then the invoice with the provider token,
// for physical goods collected at a pickup point (nothing asked of the
// buyer), with a start parameter so a forwarded copy cannot be paid. The
// provider token is never logged.
func TestInvoiceSent(t *testing.T) {
	t.Parallel()
	e := newEnv(t, noRouter(), withOptions(func(o *Options) { o.PaymentProviderToken = testProviderToken }))
	ctx := context.Background()
	r := bot.Reply{Text: "Order K7Q2M9: ¥557.00. Pay below.", Buttons: [][]bot.Button{{{Text: "Orders", Action: "ord"}}}, Invoice: testInvoice()}
	if err := e.a.SendReply(ctx, itoa(alice.ID), r); err != nil {
		t.Fatal(err)
	}
	msgs := e.api.Messages(alice.ID)
	if len(msgs) != 2 || msgs[0].Text != r.Text || msgs[0].Invoice != nil || len(msgs[0].Markup) != 1 || msgs[1].Invoice == nil {
		t.Fatalf("messages %+v; want the text with its buttons, then the invoice", msgs)
	}
	want := telegramtest.Invoice{
		Title: "Order K7Q2M9", Description: "Hyaluronic serum 30 ml × 2, pickup at Jing'an counter", Payload: "K7Q2M9P1",
		ProviderToken: testProviderToken, Currency: "CNY", StartParameter: invoiceStart,
		Prices: []telegramtest.Price{{Label: "Hyaluronic serum 30 ml × 2", Amount: 25800}, {Label: "Formula", Amount: 29900}},
	}
	got := e.api.Invoices(alice.ID)
	if len(got) != 1 || got[0].Title != want.Title || got[0].Description != want.Description || got[0].Payload != want.Payload ||
		got[0].ProviderToken != want.ProviderToken || got[0].Currency != want.Currency || got[0].StartParameter != want.StartParameter ||
		len(got[0].Prices) != 2 || got[0].Prices[0] != want.Prices[0] || got[0].Prices[1] != want.Prices[1] || got[0].Total() != 55700 {
		t.Fatalf("invoice %+v; want %+v", got, want)
	}
	if g := got[0]; g.NeedName || g.NeedPhone || g.NeedEmail || g.NeedShipping || g.Flexible {
		t.Errorf("invoice asks the buyer for details: %+v", g)
	}
	if e.events.get(EventInvoiceSent) != 1 || e.api.Violations() != 0 {
		t.Errorf("invoice_sent %d, violations %d", e.events.get(EventInvoiceSent), e.api.Violations())
	}

	// Without text: the invoice alone.
	if err := e.a.SendReply(ctx, itoa(boris.ID), bot.Reply{Invoice: testInvoice()}); err != nil {
		t.Fatal(err)
	}
	if msgs := e.api.Messages(boris.ID); len(msgs) != 1 || msgs[0].Invoice == nil {
		t.Fatalf("messages %+v; want the invoice only", msgs)
	}
	if strings.Contains(e.logs.String(), testProviderToken) {
		t.Error("the provider token appears in the log")
	}
}

// An invoice Telegram refuses is a failed send (logged without the
// provider token); the text before it was delivered.
func TestInvoiceRefusedByTelegram(t *testing.T) {
	t.Parallel()
	e := newEnv(t, noRouter(), withOptions(func(o *Options) { o.PaymentProviderToken = testProviderToken }))
	e.api.Inject("sendInvoice", fault{Code: 400, Desc: "Bad Request: PAYMENT_PROVIDER_INVALID " + testProviderToken})
	err := e.a.SendReply(context.Background(), itoa(alice.ID), bot.Reply{Text: "Pay below.", Invoice: testInvoice()})
	if err == nil || strings.Contains(err.Error(), testProviderToken) {
		t.Fatalf("err = %v; want a failure without the token", err)
	}
	if msgs := e.api.Messages(alice.ID); len(msgs) != 1 || msgs[0].Text != "Pay below." || e.api.Count("sendInvoice") != 1 {
		t.Fatalf("messages %+v, sendInvoice %d; want the text, and the invoice tried once", msgs, e.api.Count("sendInvoice"))
	}
	if strings.Contains(e.logs.String(), testProviderToken) {
		t.Error("the provider token appears in the log")
	}
}

// Without a provider token an invoice reply is its text only, and that is
// logged once however many there are. An invalid invoice is left out too.
func TestInvoiceWithoutToken(t *testing.T) {
	t.Parallel()
	e := newEnv(t, noRouter())
	ctx := context.Background()
	for range 3 {
		if err := e.a.SendReply(ctx, itoa(alice.ID), bot.Reply{Text: "Pay below.", Invoice: testInvoice()}); err != nil {
			t.Fatal(err)
		}
	}
	if e.api.Count("sendInvoice") != 0 || len(e.api.Messages(alice.ID)) != 3 {
		t.Fatalf("sendInvoice %d, messages %d; want 0 and 3 texts", e.api.Count("sendInvoice"), len(e.api.Messages(alice.ID)))
	}
	if n := strings.Count(e.logs.String(), "no payment provider token"); n != 1 || e.events.get(EventInvoiceSkipped) != 3 {
		t.Fatalf("logged %d times, skipped %d; want 1 and 3", n, e.events.get(EventInvoiceSkipped))
	}

	e2 := newEnv(t, noRouter(), withOptions(func(o *Options) { o.PaymentProviderToken = testProviderToken }))
	bad := testInvoice()
	bad.Payload = ""
	if err := e2.a.SendReply(ctx, itoa(alice.ID), bot.Reply{Text: "Pay below.", Invoice: bad}); err != nil {
		t.Fatal(err)
	}
	if e2.api.Count("sendInvoice") != 0 || len(e2.api.Messages(alice.ID)) != 1 || !strings.Contains(e2.logs.String(), "telegram invoice not sent") {
		t.Fatalf("an invalid invoice: sendInvoice %d, messages %d", e2.api.Count("sendInvoice"), len(e2.api.Messages(alice.ID)))
	}
}

// A reply that edits the pressed message still sends its invoice after it.
func TestInvoiceAfterEdit(t *testing.T) {
	t.Parallel()
	e := newEnv(t, noRouter(), withOptions(func(o *Options) { o.PaymentProviderToken = testProviderToken }))
	ctx := context.Background()
	if err := e.a.SendReply(ctx, itoa(alice.ID), bot.Reply{Text: "Order K7Q2M9", Buttons: [][]bot.Button{{{Text: "Pay", Action: "pay:1"}}}}); err != nil {
		t.Fatal(err)
	}
	card, _ := e.api.Last(alice.ID)
	in := incoming{msg: bot.Message{Channel: bot.ChannelTelegram, ChatID: itoa(alice.ID), UserID: itoa(alice.ID), Action: "pay:1"},
		chatID: alice.ID, pressed: e.api.asMessage(card)}
	e.a.render(ctx, in, []bot.Reply{{Text: "Order K7Q2M9: pay below.", Edit: true, Invoice: testInvoice()}})
	msgs := e.api.Messages(alice.ID)
	if len(msgs) != 2 || msgs[0].Text != "Order K7Q2M9: pay below." || msgs[1].Invoice == nil || msgs[1].Invoice.Payload != "K7Q2M9P1" {
		t.Fatalf("messages %+v; want the card edited, then the invoice", msgs)
	}
}

// A pre-checkout query is answered inline, with the router's localized
// reason when it refuses; a shop without online payment refuses.
func TestPreCheckoutRefusedWithoutPayments(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	body := e.api.PreCheckoutUpdate(501, alice.ID, "K7Q2M9P1", "CNY", 55700, "ru")
	if rec := e.post(string(body), testSecret); rec.Code != http.StatusOK {
		t.Fatalf("webhook = %d", rec.Code)
	}
	ans := e.api.PreCheckoutAnswers()
	want := templates.MustLoad().Text("ru", "tgpay_refused_unavailable", nil)
	if len(ans) != 1 || ans[0].OK || ans[0].Error != want || ans[0].QueryID != telegramtest.PreCheckoutQueryID(501) {
		t.Fatalf("answers %+v; want one refusal %q", ans, want)
	}
	if e.events.get(EventPreCheckoutNo) != 1 || len(e.api.Messages(alice.ID)) != 0 {
		t.Errorf("refusals %d, messages %d", e.events.get(EventPreCheckoutNo), len(e.api.Messages(alice.ID)))
	}
	// Telegram delivering it again: answered again, refused by Telegram, harmless.
	if rec := e.post(string(body), testSecret); rec.Code != http.StatusOK {
		t.Fatalf("redelivery: webhook = %d", rec.Code)
	}
	if n := len(e.api.PreCheckoutAnswers()); n != 1 {
		t.Errorf("answers %d after a redelivery", n)
	}
}

// hangingSessions is a session store that answers only when its
// context ends.
type hangingSessions struct{ chatstate.SessionStore }

func (hangingSessions) LoadSession(ctx context.Context, _ string) ([]byte, int64, error) {
	<-ctx.Done()
	return nil, 0, ctx.Err()
}

// A check that hangs (a database that does not answer) still gets an
// answer to Telegram within PreCheckoutTimeout: a refusal the buyer can
// retry.
func TestPreCheckoutAnsweredWithinDeadline(t *testing.T) {
	t.Parallel()
	const timeout = 400 * time.Millisecond
	e := newEnv(t, withRouter(func(_ *testEnv, o *bot.Options) { o.Sessions = hangingSessions{o.Sessions} }),
		withOptions(func(o *Options) { o.PreCheckoutTimeout = timeout }))
	start := time.Now()
	rec := e.post(string(e.api.PreCheckoutUpdate(502, alice.ID, "K7Q2M9P1", "CNY", 55700, "en")), testSecret)
	took := time.Since(start)
	if rec.Code != http.StatusOK {
		t.Fatalf("webhook = %d", rec.Code)
	}
	ans := e.api.PreCheckoutAnswers()
	if len(ans) != 1 || ans[0].OK || ans[0].Error == "" {
		t.Fatalf("answers %+v; want one refusal", ans)
	}
	if took < timeout*preCheckoutShare/4 || took > timeout+200*time.Millisecond {
		t.Errorf("answered after %v; want the check's share of %v and no more than it", took, timeout)
	}
}

func TestFromPreCheckout(t *testing.T) {
	t.Parallel()
	m := fromPreCheckout(&tgbotapi.PreCheckoutQuery{ID: "q1", From: alice, Currency: "CNY", TotalAmount: 55700, InvoicePayload: "K7Q2M9P1"})
	want := bot.Message{Channel: "tg", ChatID: "1001", UserID: "1001", FirstName: "Alice", Lang: "en",
		PreCheckout: &bot.PreCheckout{ID: "q1", Payload: "K7Q2M9P1", Currency: "CNY", Total: 55700}}
	if m.ChatID != want.ChatID || m.UserID != want.UserID || m.Lang != want.Lang || *m.PreCheckout != *want.PreCheckout || m.UpdateID != "" {
		t.Errorf("message %+v; want %+v", m, want)
	}
	anon := fromPreCheckout(&tgbotapi.PreCheckoutQuery{ID: "q2", From: &tgbotapi.User{ID: 5, IsBot: true}})
	if anon.UserID != "" || anon.PreCheckout == nil {
		t.Errorf("a bot's query: %+v; want no user (refused)", anon)
	}
}

func TestConvertSuccessfulPayment(t *testing.T) {
	t.Parallel()
	e := newEnv(t, noRouter())
	sp := &tgbotapi.SuccessfulPayment{Currency: "CNY", TotalAmount: 55700, InvoicePayload: "K7Q2M9P1",
		TelegramPaymentChargeID: "tg-charge-1", ProviderPaymentChargeID: "prov-charge-1"}
	paid := func(chat *tgbotapi.Chat, from *tgbotapi.User) tgbotapi.Update {
		u := textUpdate(77, chat, from, "")
		u.Message.SuccessfulPayment = sp
		return u
	}
	in, why := e.a.convert(ptr(paid(private(alice), alice)))
	want := bot.ProviderPaid{Payload: "K7Q2M9P1", Currency: "CNY", Total: 55700, ChargeID: "tg-charge-1", ProviderChargeID: "prov-charge-1"}
	if why != "" || in.msg.Paid == nil || *in.msg.Paid != want || in.msg.UpdateID != "77" || in.msg.UserID != "1001" || in.chatID != alice.ID {
		t.Fatalf("converted %+v (%q); want Paid %+v", in.msg, why, want)
	}
	if in, why := e.a.convert(ptr(paid(group, alice))); why != "" || in.msg.Paid == nil || !in.msg.Group {
		t.Errorf("a payment in a group: %+v (%q); want it routed", in.msg, why)
	}
	if _, why := e.a.convert(ptr(paid(private(alice), &tgbotapi.User{ID: 9, IsBot: true}))); why != ignoreBot {
		t.Errorf("a bot's payment: %q", why)
	}
}

func ptr[T any](v T) *T { return &v }

// Money moved and the router could not record it (the database down): the
// buyer is not told "try again" (they must not pay twice) and Telegram is
// asked to deliver it again — the webhook answers 503, polling does not
// confirm it. Once the database is back, the redelivery is handled.
func TestPaymentRedeliveredWhenNotRecorded(t *testing.T) {
	t.Parallel()
	down := &switchable{}
	e := newEnv(t, withRouter(func(_ *testEnv, o *bot.Options) { down.SessionStore = o.Sessions; o.Sessions = down }))
	body := telegramtest.SuccessfulPaymentUpdate(601, alice.ID, "K7Q2M9P1", "CNY", 55700, "tg-charge-1", "prov-1", "en")
	down.set(true)
	if rec := e.post(string(body), testSecret); rec.Code != http.StatusServiceUnavailable {
		t.Fatalf("webhook = %d; want 503", rec.Code)
	}
	if msgs := e.api.Messages(alice.ID); len(msgs) != 0 || e.events.get(EventPaymentRetry) != 1 {
		t.Fatalf("messages %+v, redeliveries %d; want none and 1", msgs, e.events.get(EventPaymentRetry))
	}
	// Polling: the batch is confirmed up to the payment, not past it.
	var u1, u2 tgbotapi.Update
	mustUnmarshal(t, telegramtest.TextUpdate(600, bob.ID, bob.ID, "/start", "en"), &u1)
	mustUnmarshal(t, body, &u2)
	ctx := context.Background()
	if next, again := e.a.dispatch(ctx, ctx, []tgbotapi.Update{u1, u2}, 600); next != 601 || !again {
		t.Fatalf("dispatch = %d, %v; want 601, true", next, again)
	}
	down.set(false)
	if rec := e.post(string(body), testSecret); rec.Code != http.StatusOK {
		t.Fatalf("redelivery: webhook = %d; want 200", rec.Code)
	}
	if msgs := e.api.Messages(alice.ID); len(msgs) != 1 || msgs[0].Text == templates.MustLoad().Text("en", "error_internal", nil) {
		t.Fatalf("messages %+v; want the payment's answer", msgs)
	}
}

var bob = &tgbotapi.User{ID: 1003, FirstName: "Bob", LanguageCode: "en"}

// A successful payment is never dropped by the message limit; with no
// online payment configured it cannot be recorded, and the buyer is told
// the seller will contact them (the operator's log says to refund it).
func TestPaymentBypassesLimitAndUnmatchedIsTold(t *testing.T) {
	t.Parallel()
	e := newEnv(t, withRouter(func(_ *testEnv, o *bot.Options) { o.Limiter = chatstate.NewLocalLimiter(0.001, 1, nil) }))
	e.deliver(t, textUpdate(700, private(alice), alice, "/start"))
	e.deliver(t, textUpdate(701, private(alice), alice, "/start")) // over the limit: "slow down"
	var u tgbotapi.Update
	mustUnmarshal(t, telegramtest.SuccessfulPaymentUpdate(702, alice.ID, "K7Q2M9P1", "CNY", 55700, "tg-charge-1", "prov-1", "en"), &u)
	e.deliver(t, u)
	msgs := e.api.Messages(alice.ID)
	want := templates.MustLoad().Text("en", "tgpay_unmatched", map[string]any{"Total": cny(55700)})
	if len(msgs) == 0 || msgs[len(msgs)-1].Text != want {
		t.Fatalf("last message %+v; want %q", msgs[len(msgs)-1], want)
	}
	if !strings.Contains(e.logs.String(), "telegram payment not matched") || !strings.Contains(e.logs.String(), "K7Q2M9P1") {
		t.Errorf("unmatched payment not logged for the operator")
	}
	if e.events.get(EventPaymentReceived) != 1 {
		t.Errorf("payments received %d", e.events.get(EventPaymentReceived))
	}
}

// switchable is a session store that can be taken down and brought back.
type switchable struct {
	chatstate.SessionStore
	mu   sync.Mutex
	down bool
}

func (s *switchable) set(down bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.down = down
}

func (s *switchable) LoadSession(ctx context.Context, key string) ([]byte, int64, error) {
	s.mu.Lock()
	down := s.down
	s.mu.Unlock()
	if down {
		return nil, 0, errors.New("database is down")
	}
	return s.SessionStore.LoadSession(ctx, key)
}

func mustUnmarshal(t testing.TB, b []byte, v any) {
	t.Helper()
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatal(err)
	}
}

func cny(fen int64) commerce.Money { return commerce.CNY(fen) }

// payEnv is an adapter on the fake Bot API and a router with Telegram
// Payments on the SQLite demo shop, the shop's time on clock.
type payEnv struct {
	*testEnv
	clock *testenv.Clock
	pay   *commerce.Payments
	n     int
}

func newPayEnv(t *testing.T) *payEnv {
	t.Helper()
	p := &payEnv{clock: testenv.NewClock(time.Date(2030, 5, 1, 10, 0, 0, 0, time.UTC))}
	p.testEnv = newEnv(t, withOptions(func(o *Options) { o.PaymentProviderToken = testProviderToken }),
		withRouter(func(e *testEnv, o *bot.Options) {
			e.shop = commerce.NewShop(commerce.ShopOptions{Store: e.store, Clock: p.clock})
			p.pay = commerce.NewPayments(commerce.PaymentsOptions{Store: e.store, Flow: e.store, Clock: p.clock, Telegram: true})
			o.Shop, o.Payments = e.shop, p.pay
		}))
	return p
}

// awaiting places an order of 2 × BAB-003 (duty paid) for user in
// Telegram and starts paying it with an invoice.
func (p *payEnv) awaiting(t *testing.T, user *tgbotapi.User) (commerce.Order, commerce.PayAttempt) {
	t.Helper()
	o := p.place(t, user)
	o, a, err := p.pay.Begin(context.Background(), o.Buyer, o.ID, commerce.PayTelegram, commerce.TradeInvoice, "")
	if err != nil {
		t.Fatal(err)
	}
	return o, a
}

// place places an order of 2 × BAB-003 (duty paid) for user in Telegram.
func (p *payEnv) place(t *testing.T, user *tgbotapi.User) commerce.Order {
	t.Helper()
	ctx := context.Background()
	p.n++
	ps, err := p.store.Products(ctx, commerce.ProductFilter{Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	var prod commerce.Product
	for _, x := range ps {
		if x.SKU == "BAB-003" {
			prod = x
		}
	}
	points, err := p.store.PickupPoints(ctx)
	if err != nil || len(points) == 0 {
		t.Fatalf("pickup points: %v", err)
	}
	b := commerce.Buyer{Channel: bot.ChannelTelegram, UserID: itoa(user.ID)}
	o, _, err := p.shop.PlaceOrder(ctx, commerce.Checkout{Buyer: b, ChatID: itoa(user.ID), Lang: "en",
		Cart:          commerce.Cart{Lines: []commerce.CartLine{{ProductID: prod.ID, Qty: 2, SeenPrice: prod.Price}}},
		PickupPointID: points[0].ID, ContactName: "Alice Li", Phone: "+86138" + strconv.Itoa(20000000+p.n),
		IdempotencyKey: "tg-pay-" + strconv.Itoa(p.n)})
	if err != nil {
		t.Fatal(err)
	}
	return o
}

func (p *payEnv) status(t *testing.T, id int64) commerce.OrderStatus {
	t.Helper()
	o, err := p.store.Order(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return o.Status
}

// The Telegram invoice path end to end against the fake: the invoice of
// an attempt goes out with the provider token and the attempt's
// out_trade_no as payload; the buyer's pre-checkout is answered ok; the
// successful payment, delivered twice under two update ids, pays the
// order once and is confirmed to the buyer once.
func TestTelegramInvoicePaid(t *testing.T) {
	t.Parallel()
	e := newPayEnv(t)
	o, a := e.awaiting(t, alice)
	inv := &bot.Invoice{Title: "Order " + o.Number, Description: "Baby wipes × 2", Payload: a.OutTradeNo, Currency: a.Amount.Currency,
		Prices: []bot.InvoicePrice{{Label: "Baby wipes × 2", Amount: a.Amount.Amount}}}
	if err := e.a.SendReply(context.Background(), itoa(alice.ID), bot.Reply{Text: "Pay order " + o.Number, Invoice: inv}); err != nil {
		t.Fatal(err)
	}
	sent := e.api.Invoices(alice.ID)
	if len(sent) != 1 || sent[0].Payload != a.OutTradeNo || sent[0].ProviderToken != testProviderToken || sent[0].Total() != o.Total.Amount || sent[0].Currency != "CNY" {
		t.Fatalf("invoices %+v; want the attempt's", sent)
	}

	if rec := e.post(string(e.api.PreCheckoutUpdate(801, alice.ID, sent[0].Payload, sent[0].Currency, sent[0].Total(), "en")), testSecret); rec.Code != http.StatusOK {
		t.Fatalf("pre-checkout: webhook = %d", rec.Code)
	}
	ans := e.api.PreCheckoutAnswers()
	if len(ans) != 1 || !ans[0].OK || ans[0].Error != "" || ans[0].After > defaultPreCheckoutTimeout {
		t.Fatalf("answers %+v; want ok within %v", ans, defaultPreCheckoutTimeout)
	}

	before := len(e.api.Messages(alice.ID))
	for _, id := range []int64{802, 803} {
		var u tgbotapi.Update
		mustUnmarshal(t, telegramtest.SuccessfulPaymentUpdate(id, alice.ID, a.OutTradeNo, "CNY", a.Amount.Amount, "tg-charge-801", "prov-801", "en"), &u)
		e.deliver(t, u)
	}
	if got := e.status(t, o.ID); got != commerce.StatusPaid {
		t.Fatalf("order %s; want paid", got)
	}
	msgs := e.api.Messages(alice.ID)[before:]
	want := templates.MustLoad().Text("en", "tgpay_paid", map[string]any{"Number": o.Number, "Total": a.Amount})
	if len(msgs) != 1 || msgs[0].Text != want {
		t.Fatalf("messages after the payment %+v; want one %q", msgs, want)
	}
	attempts, err := e.pay.Attempts(context.Background(), o.ID)
	if err != nil || len(attempts) != 1 || attempts[0].TransactionID != "tg-charge-801" || attempts[0].ProviderRef != "prov-801" {
		t.Fatalf("attempts %+v, %v", attempts, err)
	}
	if strings.Contains(e.logs.String(), testProviderToken) {
		t.Error("the provider token appears in the log")
	}
}

// A pre-checkout of an invoice whose order expired, was cancelled, or
// whose amount is not the invoice's is refused with the localized reason,
// within the deadline.
func TestTelegramPreCheckoutRefused(t *testing.T) {
	t.Parallel()
	e := newPayEnv(t)
	texts := templates.MustLoad()
	users := []*tgbotapi.User{
		{ID: 2001, FirstName: "A", LanguageCode: "en"}, {ID: 2002, FirstName: "B", LanguageCode: "ru"},
		{ID: 2003, FirstName: "C", LanguageCode: "zh-hans"}, {ID: 2004, FirstName: "D", LanguageCode: "en"},
	}
	for i, tc := range []struct {
		name, key, lang string
		mod             func(o commerce.Order, a *commerce.PayAttempt)
	}{
		{"expired", "tgpay_refused_expired", "en", func(o commerce.Order, _ *commerce.PayAttempt) { e.clock.Set(o.ExpiresAt.Add(time.Second)) }},
		{"cancelled", "tgpay_refused_closed", "ru", func(o commerce.Order, _ *commerce.PayAttempt) {
			if _, err := e.pay.Cancel(context.Background(), o.Buyer, o.ID); err != nil {
				t.Fatal(err)
			}
		}},
		{"wrong amount", "tgpay_refused_changed", "zh-CN", func(_ commerce.Order, a *commerce.PayAttempt) { a.Amount.Amount++ }},
		{"valid", "", "en", func(commerce.Order, *commerce.PayAttempt) {}},
	} {
		e.clock.Set(time.Date(2030, 5, 1, 10, 0, 0, 0, time.UTC))
		o, a := e.awaiting(t, users[i])
		tc.mod(o, &a)
		id := int64(900 + i)
		if rec := e.post(string(e.api.PreCheckoutUpdate(id, users[i].ID, a.OutTradeNo, a.Amount.Currency, a.Amount.Amount, users[i].LanguageCode)), testSecret); rec.Code != http.StatusOK {
			t.Fatalf("%s: webhook = %d", tc.name, rec.Code)
		}
		var got *telegramtest.PreCheckoutAnswer
		for _, x := range e.api.PreCheckoutAnswers() {
			if x.QueryID == telegramtest.PreCheckoutQueryID(id) {
				got = &x
			}
		}
		switch {
		case got == nil:
			t.Fatalf("%s: not answered", tc.name)
		case got.After > defaultPreCheckoutTimeout:
			t.Errorf("%s: answered after %v", tc.name, got.After)
		case tc.key == "" && (!got.OK || got.Error != ""):
			t.Errorf("%s: answer %+v; want ok", tc.name, got)
		case tc.key != "" && (got.OK || got.Error != texts.Text(tc.lang, tc.key, nil)):
			t.Errorf("%s: answer %+v; want refused with %s in %s", tc.name, got, tc.key, tc.lang)
		}
	}
}

// The whole chat path: the buyer taps "Pay with Telegram" on a placed
// order; the router's reply (text, buttons, invoice) goes out as a message
// and an invoice with the provider token; the buyer's pre-checkout of that
// invoice is answered ok; the payment pays the order and the buyer is
// told, in their language.
func TestTelegramPayButtonToPaid(t *testing.T) {
	t.Parallel()
	e := newPayEnv(t)
	o := e.place(t, boris)
	e.press(t, 1001, boris, fakeMsg{ID: 77, Chat: boris.ID, Text: "order"}, bot.VerbPayTelegram.Of(o.ID))
	invs := e.api.Invoices(boris.ID)
	if len(invs) != 1 || invs[0].ProviderToken != testProviderToken || invs[0].Total() != o.Total.Amount || invs[0].Currency != o.Total.Currency {
		t.Fatalf("invoices %+v; want one of the order's total %v", invs, o.Total)
	}
	msgs := e.api.Messages(boris.ID)
	if len(msgs) != 2 || msgs[0].Text == "" || len(msgs[0].Markup) == 0 || msgs[1].Invoice == nil {
		t.Fatalf("messages %+v; want the text with its buttons, then the invoice", msgs)
	}
	for _, row := range msgs[0].Markup {
		for _, b := range row {
			if b.CallbackData != "" && !e.router.HasRoute(b.CallbackData) {
				t.Errorf("button %q has no route", b.CallbackData)
			}
		}
	}
	if got := e.status(t, o.ID); got != commerce.StatusAwaitingPayment {
		t.Fatalf("order %s; want awaiting payment", got)
	}

	if rec := e.post(string(e.api.PreCheckoutUpdate(1002, boris.ID, invs[0].Payload, invs[0].Currency, invs[0].Total(), "ru")), testSecret); rec.Code != http.StatusOK {
		t.Fatalf("pre-checkout: webhook = %d", rec.Code)
	}
	if ans := e.api.PreCheckoutAnswers(); len(ans) != 1 || !ans[0].OK {
		t.Fatalf("answers %+v; want ok", ans)
	}
	var u tgbotapi.Update
	mustUnmarshal(t, telegramtest.SuccessfulPaymentUpdate(1003, boris.ID, invs[0].Payload, invs[0].Currency, invs[0].Total(), "tg-charge-b", "prov-b", "ru"), &u)
	e.deliver(t, u)
	if got := e.status(t, o.ID); got != commerce.StatusPaid {
		t.Fatalf("order %s; want paid", got)
	}
	last, _ := e.api.Last(boris.ID)
	want := templates.MustLoad().Text("ru", "tgpay_paid", map[string]any{"Number": o.Number, "Total": o.Total})
	if last.Text != want {
		t.Fatalf("last message %q; want %q", last.Text, want)
	}
}

// Telegram delivering one payment under several update ids at once (a
// webhook retried while the first delivery is still being handled): the
// order is paid once and the buyer told once.
func TestTelegramPaymentConcurrentDeliveries(t *testing.T) {
	t.Parallel()
	e := newPayEnv(t)
	o, a := e.awaiting(t, alice)
	const n = 4
	codes := make([]int, n)
	e.testEnv.clock.Parallel(n, func(i int) {
		body := telegramtest.SuccessfulPaymentUpdate(int64(1200+i), alice.ID, a.OutTradeNo, "CNY", a.Amount.Amount, "tg-charge-x", "prov-x", "en")
		codes[i] = e.post(string(body), testSecret).Code
	})
	for i, c := range codes {
		if c != http.StatusOK {
			t.Fatalf("delivery %d: %d", i, c)
		}
	}
	want := templates.MustLoad().Text("en", "tgpay_paid", map[string]any{"Number": o.Number, "Total": a.Amount})
	told := 0
	for _, m := range e.api.Messages(alice.ID) {
		if m.Text == want {
			told++
		}
	}
	if told != 1 || e.status(t, o.ID) != commerce.StatusPaid {
		t.Fatalf("told %d times, order %s; want once, paid", told, e.status(t, o.ID))
	}
}
