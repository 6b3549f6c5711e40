package telegram

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"

	"shopbot/bot"
)

// Telegram Payments (physical goods, paid at a payment provider connected
// to the bot; Options.PaymentProviderToken):
//
//   - A reply with an Invoice is sent as its text (a normal message, when
//     not blank) and then an invoice (sendInvoice) whose payload is the
//     payment attempt's out_trade_no. Telegram draws the invoice's Pay
//     button itself. Without a provider token the text alone is sent (and
//     that is logged once); an invoice that cannot be valid (no payload, a
//     bad currency, nothing to pay) is left out and logged.
//   - A pre_checkout_query — the buyer pressed Pay and confirmed — is asked
//     of Router.PreCheckout and answered (answerPreCheckoutQuery) inline,
//     within PreCheckoutTimeout: Telegram cancels the payment when the
//     answer is not there within 10 s. It is not a chat message: it takes
//     no rate-limiter slot and is not de-duplicated (a second answer to the
//     same query is refused by Telegram, harmlessly).
//   - A successful_payment message — money moved — becomes a bot.Message
//     with Paid, handled by Router.Handle like any message (de-duplicated
//     by update id; the domain records a payment once by its charge id). It
//     is never dropped: it bypasses the router's message limit, and when
//     the router fails on our side (the database down) its replies are not
//     sent and Telegram is asked to deliver it again (webhook 503; polling
//     does not confirm it), since Telegram cannot be asked about a payment
//     later.

// Telegram's limits of an invoice.
const (
	MaxInvoiceTitle       = 32  // characters
	MaxInvoiceDescription = 255 // characters
	MaxInvoicePayload     = 128 // bytes
	// maxPriceLabel bounds a price line's label (not documented; kept short).
	maxPriceLabel = 64
	// maxPreCheckoutError bounds the error_message shown to the buyer.
	maxPreCheckoutError = 200
)

// Events of Telegram Payments (Options.OnEvent).
const (
	EventInvoiceSent     = "invoice_sent"      // an invoice went out
	EventInvoiceSkipped  = "invoice_skipped"   // an invoice reply sent as text only (no provider token, invalid invoice)
	EventPreCheckoutOK   = "precheckout_ok"    // a pre-checkout query answered ok
	EventPreCheckoutNo   = "precheckout_no"    // a pre-checkout query answered not ok (with a reason)
	EventPaymentReceived = "payment_received"  // a successful_payment routed
	EventPaymentRetry    = "payment_redeliver" // a successful_payment not recorded: Telegram delivers it again
)

// textPayRefused is the adapter's own reason for refusing a payment when
// the router gave none.
const textPayRefused = "tg_pay_refused"

// preCheckoutShare is the part of PreCheckoutTimeout the router's check
// gets; the rest is left for the answer itself.
const preCheckoutShare = 3 // of 4

var currencyRe = regexp.MustCompile(`^[A-Z]{3}$`)

// errInvoice marks an invoice that cannot be sent.
var errInvoice = errors.New("invalid invoice")

// invoiceStart is the start parameter of every invoice: a forwarded
// copy of an invoice then carries a link to the bot (its welcome) instead
// of a Pay button for whoever it reaches.
const invoiceStart = "shop"

// invoiceParams is inv as sendInvoice's parameters for chatID with the
// provider token: title and description cleaned and clipped to Telegram's
// lengths, the payload checked (never clipped: it names the payment), the
// currency and prices checked. Physical goods collected at a pickup point:
// no shipping address, name, phone or e-mail asked, no tips. The library's
// InvoiceConfig is not used: it sends suggested_tip_amounts as null.
func invoiceParams(chatID int64, inv *bot.Invoice, providerToken string) (tgbotapi.Params, error) {
	payload := inv.Payload
	if payload == "" || len(payload) > MaxInvoicePayload || !utf8.ValidString(payload) {
		return nil, fmt.Errorf("%w: payload of %d bytes", errInvoice, len(payload))
	}
	title := clipText(oneLine(inv.Title), MaxInvoiceTitle)
	desc := clipText(strings.TrimSpace(clean(inv.Description)), MaxInvoiceDescription)
	if title == "" {
		return nil, fmt.Errorf("%w: no title", errInvoice)
	}
	if desc == "" {
		desc = title
	}
	if !currencyRe.MatchString(inv.Currency) {
		return nil, fmt.Errorf("%w: currency %q", errInvoice, inv.Currency)
	}
	if len(inv.Prices) == 0 {
		return nil, fmt.Errorf("%w: no prices", errInvoice)
	}
	prices := make([]tgbotapi.LabeledPrice, 0, len(inv.Prices))
	var total int64
	for _, p := range inv.Prices {
		label := clipText(oneLine(p.Label), maxPriceLabel)
		if label == "" {
			return nil, fmt.Errorf("%w: a price without a label", errInvoice)
		}
		if p.Amount > maxAmount || p.Amount < -maxAmount {
			return nil, fmt.Errorf("%w: amount %d", errInvoice, p.Amount)
		}
		total += p.Amount
		prices = append(prices, tgbotapi.LabeledPrice{Label: label, Amount: int(p.Amount)})
	}
	if total <= 0 {
		return nil, fmt.Errorf("%w: total %d", errInvoice, total)
	}
	params := tgbotapi.Params{
		"chat_id": itoa(chatID), "title": title, "description": desc, "payload": payload,
		"provider_token": providerToken, "currency": inv.Currency, "start_parameter": invoiceStart,
		"need_name": "false", "need_phone_number": "false", "need_email": "false",
		"need_shipping_address": "false", "is_flexible": "false",
	}
	if err := params.AddInterface("prices", prices); err != nil {
		return nil, err
	}
	return params, nil
}

// maxAmount bounds one price line (minor units) so a sum cannot overflow.
const maxAmount = 1 << 40

// oneLine is s cleaned, with runs of white space (line breaks included) as
// one space.
func oneLine(s string) string { return strings.Join(strings.Fields(clean(s)), " ") }

// clipText shortens s to at most limit characters (UTF-16 units, as
// Telegram counts), ending in "…" when it was cut, never inside a
// character or before a combining mark.
func clipText(s string, limit int) string {
	if utf16Len(s) <= limit {
		return s
	}
	n, cut := 0, 0
	for i, r := range s {
		w := 1
		if r >= 0x10000 {
			w = 2
		}
		if n+w > limit-1 { // room for "…"
			break
		}
		n += w
		cut = i + utf8.RuneLen(r)
	}
	cut = graphemeSafe(s, cut)
	return strings.TrimRight(s[:cut], " ") + "…"
}

// sendInvoice sends inv to chatID after the reply's text. An invoice that
// cannot be sent (no provider token, invalid) is left out and logged; the
// error is the Sender's for one that failed at Telegram.
func (a *Adapter) sendInvoice(ctx context.Context, chatID int64, inv *bot.Invoice) error {
	if inv == nil {
		return nil
	}
	if a.o.PaymentProviderToken == "" {
		a.event(EventInvoiceSkipped)
		a.noToken.Do(func() {
			a.log.WarnContext(ctx, "telegram: no payment provider token (TELEGRAM_PAYMENT_PROVIDER_TOKEN): invoices are sent as their text only")
		})
		return nil
	}
	params, err := invoiceParams(chatID, inv, a.o.PaymentProviderToken)
	if err != nil {
		a.event(EventInvoiceSkipped)
		a.log.WarnContext(ctx, "telegram invoice not sent", "chat", a.logChat(chatID), "err", err)
		return nil
	}
	// A message like any other: it takes a rate-limiter slot of its chat.
	_, err = a.sender.run(ctx, call{method: "sendInvoice", chatID: chatID, limited: true,
		do: func(api *tgbotapi.BotAPI) (*tgbotapi.APIResponse, error) {
			return api.MakeRequest("sendInvoice", params)
		}})
	if err != nil {
		return err
	}
	a.event(EventInvoiceSent)
	return nil
}

// fromPreCheckout is a pre-checkout query as the router's message: the
// buyer's private chat (its id is the user's) and the invoice's figures.
func fromPreCheckout(q *tgbotapi.PreCheckoutQuery) bot.Message {
	m := bot.Message{Channel: bot.ChannelTelegram, PreCheckout: &bot.PreCheckout{
		ID: q.ID, Payload: q.InvoicePayload, Currency: q.Currency, Total: int64(q.TotalAmount)}}
	if q.From != nil && !q.From.IsBot && q.From.ID > 0 {
		m.ChatID, m.UserID = itoa(q.From.ID), itoa(q.From.ID)
		m.FirstName, m.Lang = q.From.FirstName, q.From.LanguageCode
	}
	return m
}

// preCheckout answers a pre-checkout query within PreCheckoutTimeout: ok
// when Router.PreCheckout says the payment may go ahead, else not ok with
// its reason (or the adapter's own). The router's check gets three
// quarters of the time; a check that runs out of it refuses (the buyer may
// press Pay again), since an answer that comes late cancels the payment at
// Telegram anyway.
func (a *Adapter) preCheckout(ctx context.Context, q *tgbotapi.PreCheckoutQuery) {
	if q.ID == "" {
		a.event(EventIgnored)
		a.log.DebugContext(ctx, "telegram update ignored", "reason", ignoreNoData)
		return
	}
	ctx, cancel := context.WithTimeout(ctx, a.o.PreCheckoutTimeout)
	defer cancel()
	m := fromPreCheckout(q)
	cctx, ccancel := context.WithTimeout(ctx, a.o.PreCheckoutTimeout*preCheckoutShare/4)
	ok, reason := a.o.Router.PreCheckout(cctx, m)
	ccancel()
	// Raw parameters: the library's PreCheckoutConfig leaves "ok" out when
	// it is false, and Telegram requires it.
	params := tgbotapi.Params{"pre_checkout_query_id": q.ID, "ok": strconv.FormatBool(ok)}
	if !ok {
		reason = clipText(strings.TrimSpace(clean(reason)), maxPreCheckoutError)
		if reason == "" {
			reason = a.word(replyLocale("", m.Lang), textPayRefused)
		}
		params["error_message"] = reason
		a.event(EventPreCheckoutNo)
	} else {
		a.event(EventPreCheckoutOK)
	}
	// Tolerant: a redelivered query is "query is too old" (400).
	_, err := a.sender.run(ctx, call{method: "answerPreCheckoutQuery", tolerant: true,
		do: func(api *tgbotapi.BotAPI) (*tgbotapi.APIResponse, error) {
			return api.MakeRequest("answerPreCheckoutQuery", params)
		}})
	user := "#?"
	if q.From != nil {
		user = a.logChat(q.From.ID)
	}
	if err != nil {
		a.log.WarnContext(ctx, "telegram pre-checkout not answered", "user", user, "ok", ok, "err", err)
		return
	}
	a.log.InfoContext(ctx, "telegram pre-checkout answered", "user", user, "ok", ok)
}

// paymentOf is a successful_payment as the router's Paid.
func paymentOf(sp *tgbotapi.SuccessfulPayment) *bot.ProviderPaid {
	return &bot.ProviderPaid{
		Payload: sp.InvoicePayload, Currency: sp.Currency, Total: int64(sp.TotalAmount),
		ChargeID: sp.TelegramPaymentChargeID, ProviderChargeID: sp.ProviderPaymentChargeID,
	}
}

// fromPayment converts a successful_payment message: from the payer, in
// the chat the invoice was paid in, never ignored for being in a group or
// without text (money moved).
func (a *Adapter) fromPayment(updateID int, m *tgbotapi.Message, group bool) (incoming, string) {
	switch {
	case m.From == nil:
		return incoming{}, ignoreAnonymous
	case m.From.IsBot:
		return incoming{}, ignoreBot
	}
	return incoming{
		msg: bot.Message{
			Channel: bot.ChannelTelegram, ChatID: itoa(m.Chat.ID), UserID: itoa(m.From.ID),
			FirstName: m.From.FirstName, Lang: m.From.LanguageCode, UpdateID: strconv.Itoa(updateID), Group: group,
			Paid: paymentOf(m.SuccessfulPayment),
		},
		chatID: m.Chat.ID,
	}, ""
}

// defaultPreCheckoutTimeout leaves 2 s of Telegram's 10 for the delivery
// of the query and of the answer.
const defaultPreCheckoutTimeout = 8 * time.Second
