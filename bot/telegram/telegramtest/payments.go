package telegramtest

import (
	"encoding/json"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Telegram Payments as the fake knows them: sendInvoice (checked and kept
// as a Message with Invoice), answerPreCheckoutQuery (recorded, refused
// when it comes too late or twice), and builders of the pre_checkout_query
// and successful_payment updates Telegram delivers.

// Invoice is what a sendInvoice call asked for.
type Invoice struct {
	Title, Description string
	Payload            string
	ProviderToken      string
	Currency           string
	Prices             []Price
	StartParameter     string
	// The details asked of the buyer; all false for goods collected at a
	// pickup point.
	NeedName, NeedPhone, NeedEmail, NeedShipping, Flexible bool
}

// Price is one labelled amount of an invoice, in minor units.
type Price struct {
	Label  string `json:"label"`
	Amount int64  `json:"amount"`
}

// Total is the sum of the invoice's prices.
func (inv Invoice) Total() int64 {
	var t int64
	for _, p := range inv.Prices {
		t += p.Amount
	}
	return t
}

// PreCheckoutAnswer is one answerPreCheckoutQuery call the fake accepted.
type PreCheckoutAnswer struct {
	QueryID string
	OK      bool
	Error   string // error_message, for OK false
	At      time.Time
	// After is how long after the query was issued (PreCheckoutUpdate) the
	// answer came; 0 for a query the fake did not issue.
	After time.Duration
}

// PreCheckoutWindow is how long Telegram waits for the answer to a
// pre-checkout query; a later answer is refused.
const PreCheckoutWindow = 10 * time.Second

var currencyRe = regexp.MustCompile(`^[A-Z]{3}$`)

// sendInvoice handles sendInvoice; mu is held.
func (f *FakeAPI) sendInvoice(p url.Values, at time.Time) (any, int, string) {
	chat, err := strconv.ParseInt(p.Get("chat_id"), 10, 64)
	if err != nil || chat == 0 {
		return nil, 400, "Bad Request: chat not found"
	}
	inv := &Invoice{
		Title: p.Get("title"), Description: p.Get("description"), Payload: p.Get("payload"),
		ProviderToken: p.Get("provider_token"), Currency: p.Get("currency"), StartParameter: p.Get("start_parameter"),
		NeedName: flag(p, "need_name"), NeedPhone: flag(p, "need_phone_number"), NeedEmail: flag(p, "need_email"),
		NeedShipping: flag(p, "need_shipping_address"), Flexible: flag(p, "is_flexible"),
	}
	switch n := utf16Len(inv.Title); {
	case n == 0 || strings.TrimSpace(inv.Title) == "":
		return nil, 400, "Bad Request: INVOICE_TITLE_EMPTY"
	case n > 32:
		return nil, 400, "Bad Request: INVOICE_TITLE_INVALID"
	}
	switch n := utf16Len(inv.Description); {
	case n == 0:
		return nil, 400, "Bad Request: INVOICE_DESCRIPTION_EMPTY"
	case n > 255:
		return nil, 400, "Bad Request: INVOICE_DESCRIPTION_INVALID"
	}
	if n := len(inv.Payload); n == 0 || n > 128 || !utf8.ValidString(inv.Payload) {
		return nil, 400, "Bad Request: INVOICE_PAYLOAD_INVALID"
	}
	if inv.ProviderToken == "" && inv.Currency != "XTR" {
		return nil, 400, "Bad Request: PAYMENT_PROVIDER_INVALID"
	}
	if !currencyRe.MatchString(inv.Currency) {
		return nil, 400, "Bad Request: CURRENCY_INVALID"
	}
	if err := json.Unmarshal([]byte(p.Get("prices")), &inv.Prices); err != nil || len(inv.Prices) == 0 {
		return nil, 400, "Bad Request: can't parse prices JSON object"
	}
	for _, pr := range inv.Prices {
		if strings.TrimSpace(pr.Label) == "" {
			return nil, 400, "Bad Request: LABEL_INVALID"
		}
	}
	if inv.Total() <= 0 {
		return nil, 400, "Bad Request: CURRENCY_TOTAL_AMOUNT_INVALID"
	}
	mk, code, desc := parseMarkup(p.Get("reply_markup"), chat > 0)
	if code != 0 {
		return nil, code, desc
	}
	m := &Message{Chat: chat, Invoice: inv, Markup: mk.inline}
	f.nextMsg++
	m.ID = f.nextMsg
	c := f.chat(chat)
	if !f.lean {
		c.msgs = append(c.msgs, m)
	}
	f.recordSend(c, at)
	return f.result(m), 200, ""
}

func flag(p url.Values, key string) bool {
	b, _ := strconv.ParseBool(p.Get(key))
	return b
}

// answerPreCheckout handles answerPreCheckoutQuery; mu is held.
func (f *FakeAPI) answerPreCheckout(p url.Values, at time.Time) (any, int, string) {
	const tooOld = "Bad Request: query is too old and response timeout expired or query ID is invalid"
	id := p.Get("pre_checkout_query_id")
	ok, err := strconv.ParseBool(p.Get("ok"))
	switch {
	case id == "":
		return nil, 400, tooOld
	case err != nil:
		return nil, 400, "Bad Request: parameter \"ok\" is required"
	case !ok && strings.TrimSpace(p.Get("error_message")) == "":
		return nil, 400, "Bad Request: error_message is required when ok is false"
	}
	for _, a := range f.answers {
		if a.QueryID == id {
			return nil, 400, tooOld
		}
	}
	ans := PreCheckoutAnswer{QueryID: id, OK: ok, Error: p.Get("error_message"), At: at}
	if issued, known := f.queries[id]; known {
		ans.After = at.Sub(issued)
		if ans.After > PreCheckoutWindow {
			return nil, 400, tooOld
		}
	}
	f.answers = append(f.answers, ans)
	return true, 200, ""
}

// PreCheckoutAnswers returns the answers to pre-checkout queries the fake
// accepted, in order.
func (f *FakeAPI) PreCheckoutAnswers() []PreCheckoutAnswer {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]PreCheckoutAnswer(nil), f.answers...)
}

// Invoices returns the invoices sent to chat, in sending order.
func (f *FakeAPI) Invoices(chat int64) []Invoice {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []Invoice
	if c := f.chats[chat]; c != nil {
		for _, m := range c.msgs {
			if m.Invoice != nil {
				out = append(out, *m.clone().Invoice)
			}
		}
	}
	return out
}

// PreCheckoutUpdate is userID confirming the payment of an invoice with
// payload, currency and total (minor units): a pre_checkout_query with id
// "pcq<updateID>", issued now on the fake's clock (an answer after
// PreCheckoutWindow is refused).
func (f *FakeAPI) PreCheckoutUpdate(updateID, userID int64, payload, currency string, total int64, lang string) []byte {
	id := PreCheckoutQueryID(updateID)
	f.mu.Lock()
	if f.queries == nil {
		f.queries = map[string]time.Time{}
	}
	f.queries[id] = f.now()
	f.mu.Unlock()
	q := map[string]any{"id": id, "from": user(userID, lang), "currency": currency,
		"total_amount": total, "invoice_payload": payload}
	return update(updateID, "pre_checkout_query", q)
}

// PreCheckoutQueryID is the query id PreCheckoutUpdate gives updateID.
func PreCheckoutQueryID(updateID int64) string { return "pcq" + strconv.FormatInt(updateID, 10) }

// SuccessfulPaymentUpdate is the service message Telegram sends in
// userID's private chat once their payment of an invoice went through:
// successful_payment with the payload, currency, total (minor units),
// Telegram's charge id and the provider's.
func SuccessfulPaymentUpdate(updateID, userID int64, payload, currency string, total int64, chargeID, providerChargeID, lang string) []byte {
	sp := map[string]any{"currency": currency, "total_amount": total, "invoice_payload": payload,
		"telegram_payment_charge_id": chargeID, "provider_payment_charge_id": providerChargeID}
	return update(updateID, "message", message(updateID, userID, user(userID, lang), map[string]any{"successful_payment": sp}))
}
