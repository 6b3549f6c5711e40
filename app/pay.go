package app

import (
	"fmt"
	"net/http"

	"shopbot/commerce"
	"shopbot/templates"
	"shopbot/wechatpay"
)

// openPayments builds online payment (issue 14): the WeChat Pay client
// and its adapter when a merchant is configured, commerce.Payments over
// the store, and the pay pages. Without WeChat Pay and a Telegram provider
// token, Payments is not Online and orders are paid at pickup as before;
// it still expires orders left awaiting payment.
func (a *App) openPayments() error {
	cfg := a.cfg
	var payer commerce.WeChatPayer
	if w := cfg.Pay.WeChat; w != nil {
		c, err := wechatpay.New(w.client())
		if err != nil {
			return fmt.Errorf("wechat pay: %w", err)
		}
		a.wechatPay = c
		payer = newWeChatPayer(c, cfg.PublicURL)
		a.log.Info("wechat pay enabled", "config", w.String(), "notify_url", cfg.PublicURL+payNotifyPath)
	}
	a.payments = commerce.NewPayments(commerce.PaymentsOptions{Store: a.Store, Flow: a.Store, Clock: cfg.clock, WeChat: payer,
		Telegram: cfg.Telegram.Token != "" && cfg.Telegram.PaymentToken != "", PayTTL: cfg.Pay.TTL})
	a.Shop.UsePayments(a.payments)
	a.drops.UsePayments(a.payments)  // a drop's order is paid within its reservation
	a.pickup.UsePayments(a.payments) // accepted returns and overdue cancels refund
	return nil
}

// openPayPages parses the pay pages (after openPayments).
func (a *App) openPayPages(texts *templates.Set) error {
	var err error
	a.payPages, err = newPayPages(a, texts)
	return err
}

// registerPay adds the routes under /pay/: the pay pages always (they say
// when an order cannot be paid online), the notifications with WeChat Pay.
func (a *App) registerPay(mux *http.ServeMux) {
	a.payPages.register(mux)
	if a.wechatPay != nil {
		mux.HandleFunc("POST "+payNotifyPath, a.payNotify)
		mux.HandleFunc("POST "+payRefundPath, a.payNotify)
	}
}

// PayPage is the absolute URL of an order's pay page (bot.Options.PayPage);
// "" without online payment.
func (a *App) PayPage(o commerce.Order) string {
	if !a.payments.WeChat() {
		return ""
	}
	return a.payPages.Link(o)
}

// Payments is the payment service.
func (a *App) Payments() *commerce.Payments { return a.payments }
