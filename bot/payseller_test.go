package bot_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"shopbot/bot"
	"shopbot/commerce"
)

// payOrder places an order of the SKUs for a web buyer and pays it with
// WeChat Pay.
func (e *payEnv) payOrder(c *chat, tx string, items ...any) (commerce.Order, commerce.PayAttempt) {
	c.t.Helper()
	o, _ := e.place(c, items...)
	c.press(bot.VerbPayWeChat.Of(o.ID))
	a := e.attempt(o)
	e.apply(paid(a, tx, a.Amount))
	return e.order(o.ID), a
}

// A seller refunds one line of a paid order from its card: Refund, Line
// by line, the line, a quantity, confirm. The refund goes to WeChat Pay
// for that line's amount; a second tap of the same button makes no
// second refund. The buyer is told when the money is back.
func TestPaySellerRefundsOneLine(t *testing.T) {
	t.Parallel()
	e := newPayEnv(t, false)
	u := e.user(t, "refund-buyer", "en")
	o, a := e.payOrder(u, "4200009999", "SNK-002", 2, "BAB-003", 1)
	s := e.user(t, seller, "en")

	card := s.send("/order " + o.Number)
	refund := bot.VerbPayRefund.Of(o.ID)
	if !hasAction(card[0], refund) {
		t.Fatalf("card lacks Refund: %v\n%s", actions(card[0]), card[0].Text)
	}
	if want := s.tx("pay_desk_paid", map[string]any{"Method": "WeChat Pay", "Paid": o.Total, "Tail": tail6("4200009999")}); !strings.Contains(card[0].Text, want) {
		t.Errorf("card:\n%s\nlacks %q", card[0].Text, want)
	}
	r := s.press(refund)
	wantText(t, r, 0, s.tx("pay_refund_choose", map[string]any{"Number": o.Number, "Paid": o.Total, "Left": o.Total, "Method": "WeChat Pay"}))
	lines := s.press(findAction(t, r[0], "pyfl:"))
	nonce := strings.Split(findAction(t, lines[0], "pyfq:"), ":")[1]
	no := slices.IndexFunc(o.Lines, func(l commerce.OrderLine) bool { return l.SKU == "SNK-002" }) + 1
	step := fmt.Sprintf("pyfq:%s:%d:2", nonce, no)
	if !hasAction(lines[0], step) || len(lines[0].Buttons) != 3 {
		t.Fatalf("line buttons %v; want %q among two lines and Back", actions(lines[0]), step)
	}
	r = s.press(step)
	if !hasAction(r[0], fmt.Sprintf("pyfq:%s:%d:1", nonce, no)) || hasPrefixAction(r[0], fmt.Sprintf("pyfq:%s:%d:3", nonce, no)) {
		t.Errorf("stepper at 2 of 2: %v", actions(r[0]))
	}
	r = s.press(fmt.Sprintf("pyfq:%s:%d:1", nonce, no))
	if !r[0].Edit {
		t.Error("the stepper does not edit its message")
	}
	unit := o.Lines[no-1].UnitPrice
	wantText(t, r, 0, s.tx("pay_refund_confirm", map[string]any{"Number": o.Number, "Amount": unit, "Method": "WeChat Pay",
		"Line": o.Lines[no-1].Title.In("en"), "Qty": 1, "Max": 2}))
	ok := fmt.Sprintf("pyfo:%s:%d:1", nonce, no)
	r = s.press(ok)
	refunds, err := e.pay.Refunds(e.ctx, o.ID)
	if err != nil || len(refunds) != 1 {
		t.Fatalf("refunds %+v, %v", refunds, err)
	}
	rf := refunds[0]
	if rf.Amount != unit || !slices.Equal(rf.Lines, []commerce.RefundLine{{LineNo: no, Qty: 1}}) || rf.By != "web:"+seller {
		t.Errorf("refund %+v", rf)
	}
	wantText(t, r, 0, s.tx("pay_refund_sent", map[string]any{"Number": o.Number, "Amount": unit, "Method": "WeChat Pay",
		"State": s.tx("pay_refund_state_processing", nil), "No": rf.OutRefundNo, "Late": false, "Date": "2030-05-01 18:00"}))
	if _, _, calls := e.wechat.calls(); len(calls) != 1 || calls[0].OutTradeNo != a.OutTradeNo || calls[0].Refund != unit || calls[0].Total != o.Total {
		t.Errorf("refunds at the provider %+v", calls)
	}
	wantText(t, s.press(ok), 0, s.tx("err_stale", nil))
	if list, _ := e.pay.Refunds(e.ctx, o.ID); len(list) != 1 {
		t.Errorf("%d refunds after a second tap", len(list))
	}

	// The refund succeeds: the buyer is told; the seller's card lists it.
	if _, _, err := e.pay.ApplyRefund(e.ctx, commerce.ProviderRefund{OutRefundNo: rf.OutRefundNo, State: "SUCCESS"}); err != nil {
		t.Fatal(err)
	}
	n := buyerNotice(u, bot.NoticeRefund, o)
	n.RefundID = rf.ID
	got := e.notice(n)
	wantText(t, got, 0, u.tx("pay_refund_done", map[string]any{"Number": o.Number, "Amount": unit, "Method": "WeChat Pay", "Late": false, "Mismatch": false}))
	card = s.press(bot.VerbSellerOrder.Of(o.ID))
	if !strings.Contains(card[0].Text, "↩️") || !hasAction(card[0], refund) {
		t.Errorf("card after a partial refund:\n%s\n%v", card[0].Text, actions(card[0]))
	}
	// The line has one unit left to refund.
	r = s.press(refund)
	lines = s.press(findAction(t, r[0], "pyfl:"))
	nonce = strings.Split(findAction(t, lines[0], "pyfq:"), ":")[1]
	if step := fmt.Sprintf("pyfq:%s:%d:1", nonce, no); !hasAction(lines[0], step) {
		t.Errorf("lines after refunding one of two: %v; want %q", actions(lines[0]), step)
	}

	// The rest, while WeChat Pay is down: recorded, sent later.
	e.wechat.setDown(true)
	r = s.press(refund)
	r = s.press(findAction(t, r[0], "pyfa:"))
	r = s.press(findAction(t, r[0], "pyfo:"))
	left := o.Total
	left.Amount -= unit.Amount
	wantText(t, r, 0, s.tx("pay_refund_queued", map[string]any{"Number": o.Number, "Amount": left, "Method": "WeChat Pay"}))
	if list, _ := e.pay.Refunds(e.ctx, o.ID); len(list) != 2 || list[1].State != commerce.RefundRequested || list[1].Amount != left {
		t.Errorf("refunds %+v", list)
	}
}

func tail6(s string) string { return s[max(len(s)-6, 0):] }

// A Telegram payment is refunded by hand: the seller is told the charge
// to refund at the provider and marks it done; marking twice changes
// nothing.
func TestPayManualRefund(t *testing.T) {
	t.Parallel()
	e := newPayEnv(t, true)
	u := e.tgUser(t, "7302", "en")
	o, _ := e.place(u, "SNK-002", 1)
	u.press(bot.VerbPayTelegram.Of(o.ID))
	a := e.attempt(o)
	e.apply(paid(a, "tgcharge42", a.Amount))
	s := e.user(t, seller, "en")
	r := s.press(bot.VerbPayRefund.Of(o.ID))
	r = s.press(findAction(t, r[0], "pyfa:"))
	r = s.press(findAction(t, r[0], "pyfo:"))
	refunds, _ := e.pay.Refunds(e.ctx, o.ID)
	if len(refunds) != 1 || refunds[0].State != commerce.RefundManual || refunds[0].Amount != o.Total {
		t.Fatalf("refunds %+v", refunds)
	}
	rf := refunds[0]
	mark := bot.VerbPayMarkRefunded.Of(o.ID, rf.ID)
	if !hasAction(r[0], mark) || !strings.Contains(r[0].Text, "ch_tgcharge42") {
		t.Fatalf("manual refund reply:\n%s\n%v", r[0].Text, actions(r[0]))
	}
	n := sellerNotice(bot.NoticePaymentAlert, o)
	n.RefundID = rf.ID
	alert := e.notice(n)
	if len(alert) != 1 || !hasAction(alert[0], mark) || !strings.Contains(alert[0].Text, "ch_tgcharge42") {
		t.Fatalf("alert %+v", alert)
	}
	data := map[string]any{"Number": o.Number, "Amount": o.Total, "Method": "Telegram", "State": s.tx("pay_refund_state_manual", nil),
		"No": rf.OutRefundNo, "Late": false, "Date": "2030-05-01 18:00"}
	wantText(t, s.press(mark), 0, s.tx("pay_marked", data))
	if list, _ := e.pay.Refunds(e.ctx, o.ID); list[0].State != commerce.RefundSucceeded {
		t.Errorf("refund %s after Mark refunded", list[0].State)
	}
	data["State"] = s.tx("pay_refund_state_succeeded", nil)
	wantText(t, s.press(mark), 0, s.tx("pay_mark_not_manual", data))
	if r := e.notice(n); len(r) != 0 {
		t.Errorf("an alert of a refund marked since: %+v", r)
	}
	// Buyers cannot mark refunds.
	wantText(t, u.press(mark), 0, u.tx("err_stale", nil))
}

// A payment that arrives after the order was closed is refunded and the
// buyer told; one of the wrong amount alerts the sellers.
func TestPayLateAndMismatch(t *testing.T) {
	t.Parallel()
	e := newPayEnv(t, false)
	u := e.user(t, "late-buyer", "en")
	o, _ := e.place(u, "SNK-002", 1)
	u.press(bot.VerbPayWeChat.Of(o.ID))
	a := e.attempt(o)
	u.press(bot.VerbOrderCancelOK.Of(o.ID))
	res := e.apply(paid(a, "4200000000LATE01", a.Amount))
	if res.Outcome != commerce.PayLate || res.Refund == nil {
		t.Fatalf("late payment: %+v", res)
	}
	n := buyerNotice(u, bot.NoticeRefund, o)
	n.RefundID = res.Refund.ID
	wantText(t, e.notice(n), 0, u.tx("pay_refund_late", map[string]any{"Number": o.Number, "Amount": a.Amount, "Method": "WeChat Pay"}))

	o2, _ := e.place(u, "SNK-002", 1)
	u.press(bot.VerbPayWeChat.Of(o2.ID))
	a2 := e.attempt(o2)
	short := a2.Amount
	short.Amount--
	if res := e.apply(paid(a2, "4200000000SHORT1", short)); res.Outcome != commerce.PayMismatch {
		t.Fatalf("short payment: %s", res.Outcome)
	}
	m := sellerNotice(bot.NoticePaymentAlert, o2)
	m.AttemptID = a2.ID
	wantText(t, e.notice(m), 0, texts.Text("en", "pay_alert_mismatch", map[string]any{"Number": o2.Number, "Expected": a2.Amount,
		"Paid": short, "Method": "WeChat Pay", "Tail": "SHORT1"}))
	// No receipt for it, and the order is not paid.
	p := buyerNotice(u, bot.NoticePaid, o2)
	p.AttemptID = a2.ID
	if r := e.notice(p); len(r) != 0 {
		t.Errorf("receipt of a mismatch: %+v", r)
	}
	if o2 := e.order(o2.ID); o2.Status != commerce.StatusAwaitingPayment {
		t.Errorf("order %s after a mismatch", o2.Status)
	}
}

// A seller cancels an order awaiting payment from its card: closed at the
// provider first; a paid one is refunded.
func TestPaySellerCancel(t *testing.T) {
	t.Parallel()
	e := newPayEnv(t, false)
	u := e.user(t, "sc-buyer", "en")
	o, _ := e.place(u, "SNK-002", 1)
	u.press(bot.VerbPayWeChat.Of(o.ID))
	a := e.attempt(o)
	s := e.user(t, seller, "en")
	card := s.send("/order " + o.Number)
	if !hasAction(card[0], bot.VerbSellerCancel.Of(o.ID)) {
		t.Fatalf("no cancel on an order awaiting payment: %v", actions(card[0]))
	}
	s.press(bot.VerbSellerCancel.Of(o.ID))
	s.send("Out of stock")
	if _, closed, _ := e.wechat.calls(); !slices.Equal(closed, []string{a.OutTradeNo}) {
		t.Errorf("closed %v", closed)
	}
	if o := e.order(o.ID); o.Status != commerce.StatusCancelled {
		t.Fatalf("order %s", o.Status)
	}

	p, _ := e.payOrder(u, "4200000000PAID01", "SNK-002", 1)
	s.press(bot.VerbSellerCancel.Of(p.ID))
	r := s.send("Damaged")
	if want := s.tx("pay_cancel_refunding", map[string]any{"Amount": p.Total, "Method": "WeChat Pay"}); !strings.Contains(r[0].Text, want) {
		t.Errorf("cancel of a paid order:\n%s\nlacks %q", r[0].Text, want)
	}
	if list, _ := e.pay.Refunds(e.ctx, p.ID); len(list) != 1 || list[0].Amount != p.Total {
		t.Errorf("refunds %+v", list)
	}
}

// A Telegram payment for an order already cancelled (an invoice cannot be
// closed) is recorded; the sellers are told to refund its charge at the
// provider and mark it, the buyer that it comes back in full.
func TestPayLateTelegram(t *testing.T) {
	t.Parallel()
	e := newPayEnv(t, true)
	u := e.tgUser(t, "7303", "en")
	o, _ := e.place(u, "SNK-002", 1)
	u.press(bot.VerbPayTelegram.Of(o.ID))
	a := e.attempt(o)
	u.press(bot.VerbOrderCancelOK.Of(o.ID))
	if _, closed, _ := e.wechat.calls(); len(closed) != 0 {
		t.Errorf("a Telegram invoice closed at WeChat Pay: %v", closed)
	}
	res := e.apply(paid(a, "tglate7", a.Amount))
	if res.Outcome != commerce.PayLate || res.Refund == nil || res.Refund.State != commerce.RefundManual {
		t.Fatalf("late Telegram payment: %+v", res)
	}
	n := sellerNotice(bot.NoticePaymentAlert, o)
	n.RefundID = res.Refund.ID
	alert := e.notice(n)
	wantText(t, alert, 0, texts.Text("en", "pay_alert_late", map[string]any{"Number": o.Number, "Amount": a.Amount,
		"Method": "Telegram", "Charge": "ch_tglate7"}))
	mark := bot.VerbPayMarkRefunded.Of(o.ID, res.Refund.ID)
	if !hasAction(alert[0], mark) {
		t.Fatalf("alert buttons %v", actions(alert[0]))
	}
	b := buyerNotice(u, bot.NoticeRefund, o)
	b.RefundID = res.Refund.ID
	wantText(t, e.notice(b), 0, u.tx("pay_refund_late", map[string]any{"Number": o.Number, "Amount": a.Amount, "Method": "Telegram"}))
	s := e.user(t, seller, "en")
	card := s.press(bot.VerbSellerOrder.Of(o.ID))
	if !hasAction(card[0], mark) || hasAction(card[0], bot.VerbPayRefund.Of(o.ID)) {
		t.Errorf("card of a cancelled order with a late payment: %v\n%s", actions(card[0]), card[0].Text)
	}
	s.press(mark)
	// Once marked, the buyer hears it is done.
	wantText(t, e.notice(b), 0, u.tx("pay_refund_done", map[string]any{"Number": o.Number, "Amount": a.Amount, "Method": "Telegram", "Late": true, "Mismatch": false}))
}
