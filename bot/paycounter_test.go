package bot_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"

	"shopbot/bot"
	"shopbot/commerce"
	"shopbot/store/sqlstore"
)

// counterWeChat is the fake WeChat Pay whose Query tells what the buyer
// paid at the counter (markPaid): no notification arrives by itself.
type counterWeChat struct {
	*fakeWeChat
	mu   sync.Mutex
	paid map[string]bool
}

func (f *counterWeChat) markPaid(outTradeNo string) {
	f.mu.Lock()
	f.paid[outTradeNo] = true
	f.mu.Unlock()
}

func (f *counterWeChat) Query(ctx context.Context, outTradeNo string) (commerce.ProviderPayment, error) {
	f.mu.Lock()
	paid := f.paid[outTradeNo]
	f.mu.Unlock()
	if !paid {
		return f.fakeWeChat.Query(ctx, outTradeNo)
	}
	prepays, _, _ := f.calls()
	for _, p := range prepays {
		if p.OutTradeNo == outTradeNo {
			return commerce.ProviderPayment{Method: commerce.PayWeChat, OutTradeNo: outTradeNo, TransactionID: "4200" + outTradeNo,
				State: "SUCCESS", Amount: p.Amount, Payer: "oBuyer"}, nil
		}
	}
	return f.fakeWeChat.Query(ctx, outTradeNo)
}

// newCounterHarness is a pickup harness with WeChat Pay on (pay at pickup
// still offered for duty-paid goods).
func newCounterHarness(t *testing.T) (*harness, *counterWeChat, *commerce.Payments) {
	t.Helper()
	return newCounterHarnessWith(t, nil)
}

// racingStore runs before ahead of each payment staff record: the buyer's
// QR payment landing between the check and the record.
type racingStore struct {
	*sqlstore.Store
	before func()
}

func (s *racingStore) RecordPayment(ctx context.Context, orderID int64, p commerce.Payment) (commerce.Order, bool, error) {
	if s.before != nil {
		s.before()
	}
	return s.Store.RecordPayment(ctx, orderID, p)
}

// newCounterHarnessWith is newCounterHarness whose router's Pickup service
// records payments through race (when not nil).
func newCounterHarnessWith(t *testing.T, race *racingStore) (*harness, *counterWeChat, *commerce.Payments) {
	t.Helper()
	wx := &counterWeChat{fakeWeChat: &fakeWeChat{}, paid: map[string]bool{}}
	var pay *commerce.Payments
	h := newHarness(t, harnessOptions{pickup: &commerce.PickupOptions{}, admins: []string{"web:" + seller},
		options: func(h *harness, o *bot.Options) {
			flow, ok := any(h.store).(commerce.PaymentFlowStore)
			if !ok {
				t.Skip("the store keeps no payments yet")
			}
			pay = commerce.NewPayments(commerce.PaymentsOptions{Store: h.store, Flow: flow, Clock: h.clock, WeChat: wx})
			h.shop.UsePayments(pay)
			o.Payments = pay
			if race != nil {
				race.Store = h.store
				p, err := commerce.NewPickup(commerce.PickupOptions{Store: race, Clock: commerce.ClockFunc(h.clock.Now),
					Secret: []byte("0123456789abcdef0123456789abcdef")})
				if err != nil {
					t.Fatal(err)
				}
				o.Pickup = p
			}
		}})
	return h, wx, pay
}

// TestStaffChatWeChatPay: at the counter the staff chat offers WeChat Pay's
// QR next to cash, card and transfer; the QR comes as an image with the
// amount; "Paid? Check" asks the provider and, once paid, the order is
// handed over without another payment. Another way to pay goes back to
// the payment buttons.
func TestStaffChatWeChatPay(t *testing.T) {
	t.Parallel()
	h, wx, _ := newCounterHarness(t)
	pt := h.point("SH-JINGAN")
	u := h.user(t, "counter-buyer", "en")
	o := counterOrder(t, h, u, pt)
	st := h.staff(t, "staff-jingan")
	r := st.send(u.code(o))
	if !strings.Contains(r[0].Text, st.tx("staff_pay_ask", map[string]any{"Amount": o.Total})) {
		t.Fatalf("inspect unpaid = %q", r[0].Text)
	}
	qr := findAction(t, r[0], bot.VerbPayWeChatQR.Of()+":")
	if !hasButtonText(r[0], st.tx("staff_pay_btn_wechat", map[string]any{"Amount": o.Total})) {
		t.Errorf("no WeChat Pay button with the amount: %+v", r[0].Buttons)
	}
	no := o.Number + "P1"
	r = st.press(qr)
	wantText(t, r, 0, st.tx("staff_wechat_qr", map[string]any{"Number": o.Number, "Amount": o.Total}))
	if r[0].Image != "/pay/qr/"+no+".png" {
		t.Fatalf("QR image %q", r[0].Image)
	}
	check := findAction(t, r[0], bot.VerbPayWeChatCheck.Of()+":")
	other := findAction(t, r[0], bot.VerbPayOther.Of()+":")
	if got := h.order(o.ID); got.Status != commerce.StatusReadyForPickup || got.Paid.IsPaid() {
		t.Fatalf("after the QR: %s %+v", got.Status, got.Paid)
	}
	if prepays, _, _ := wx.calls(); len(prepays) != 1 || prepays[0].TradeType != commerce.TradeNative || prepays[0].Amount != o.Total {
		t.Fatalf("prepays %+v", prepays)
	}
	wantText(t, st.press(check), 0, st.tx("staff_wechat_not_yet", nil))
	// Another way to pay: the payment buttons again, the QR kept.
	r = st.press(other)
	if !strings.Contains(r[0].Text, st.tx("staff_pay_ask", map[string]any{"Amount": o.Total})) {
		t.Fatalf("another way = %q", r[0].Text)
	}
	r = st.press(findAction(t, r[0], bot.VerbPayWeChatQR.Of()+":"))
	if r[0].Image != "/pay/qr/"+no+".png" {
		t.Fatalf("the QR again: %q; want the same transaction", r[0].Image)
	}

	wx.markPaid(no) // the notification is slow: the check asks
	r = st.press(check)
	want := map[string]any{"Amount": o.Total}
	if !strings.HasPrefix(r[0].Text, st.tx("staff_wechat_paid", want)+"\n\n") {
		t.Fatalf("checked paid = %q", r[0].Text)
	}
	hand := findAction(t, r[0], bot.VerbHandOver.Of()+":")
	got := h.order(o.ID)
	if got.Status != commerce.StatusReadyForPickup || got.Paid.Method != commerce.PayWeChat || got.Paid.Amount != o.Total || got.Paid.By != "provider" {
		t.Fatalf("after the check: %s %+v", got.Status, got.Paid)
	}
	// The buyer's receipt (OrderPaid of the attempt): the counter's words,
	// no "we'll message you when it arrives".
	atts, err := h.shop.Store().(commerce.PaymentFlowStore).Attempts(h.ctx, o.ID)
	if err != nil || len(atts) != 1 {
		t.Fatalf("attempts %v, %v", atts, err)
	}
	rec, err := h.router.RenderNotice(h.ctx, bot.Notice{Kind: bot.NoticePaid, Channel: u.base.Channel, ChatID: u.base.ChatID,
		UserID: u.base.UserID, OrderID: o.ID, AttemptID: atts[0].ID})
	if err != nil || len(rec) != 1 || !strings.HasPrefix(rec[0].Text, "🧾") || strings.Contains(rec[0].Text, "What's next") ||
		!strings.Contains(rec[0].Text, u.tx("pay_method_wechatpay", nil)) {
		t.Fatalf("receipt = %+v, %v", rec, err)
	}
	r = st.press(hand)
	if !strings.HasPrefix(r[0].Text, "✅") || h.order(o.ID).Status != commerce.StatusPickedUp {
		t.Fatalf("hand-over = %q, %s", r[0].Text, h.order(o.ID).Status)
	}
	wantText(t, st.press(check), 0, st.tx("err_stale", nil))
	wantText(t, st.press(qr), 0, st.tx("err_stale", nil))
}

// A cash tap after the QR was paid records no cash: the order is handed
// over as paid by WeChat Pay.
func TestStaffChatCashAfterQR(t *testing.T) {
	t.Parallel()
	h, wx, pay := newCounterHarness(t)
	pt := h.point("SH-JINGAN")
	u := h.user(t, "counter-buyer-2", "en")
	o := counterOrder(t, h, u, pt)
	st := h.staff(t, "staff-jingan")
	r := st.send(u.code(o))
	cash := findAction(t, r[0], bot.VerbHandOverPaid.Of()+":")
	st.press(findAction(t, r[0], bot.VerbPayWeChatQR.Of()+":"))
	wx.markPaid(o.Number + "P1")
	res, err := pay.Refresh(h.ctx, o.Number+"P1")
	if err != nil || res.Outcome != commerce.PayRecorded {
		t.Fatalf("Refresh = %+v, %v", res, err)
	}
	r = st.press(cash)
	want := map[string]any{"Amount": o.Total, "Method": st.tx("pay_wechatpay", nil)}
	if !strings.HasSuffix(r[0].Text, st.tx("staff_paid", want)) {
		t.Fatalf("cash after the QR = %q", r[0].Text)
	}
	if got := h.order(o.ID); got.Status != commerce.StatusPickedUp || got.Paid.Method != commerce.PayWeChat {
		t.Fatalf("order %s %+v", got.Status, got.Paid)
	}
}

// A cash tap that loses to the buyer's QR payment (applied between the
// check and the record) records nothing and hands nothing over: staff are
// told it is paid, and hand it over with the button shown.
func TestStaffChatPaidMeanwhile(t *testing.T) {
	t.Parallel()
	race := &racingStore{}
	h, wx, pay := newCounterHarnessWith(t, race)
	pt := h.point("SH-JINGAN")
	u := h.user(t, "counter-buyer-3", "en")
	o := counterOrder(t, h, u, pt)
	st := h.staff(t, "staff-jingan")
	r := st.send(u.code(o))
	cash := findAction(t, r[0], bot.VerbHandOverPaid.Of()+":")
	st.press(findAction(t, r[0], bot.VerbPayWeChatQR.Of()+":"))
	no := o.Number + "P1"
	race.before = func() {
		race.before = nil
		wx.markPaid(no)
		if res, err := pay.Refresh(h.ctx, no); err != nil || res.Outcome != commerce.PayRecorded {
			t.Errorf("Refresh = %+v, %v", res, err)
		}
	}
	r = st.press(cash)
	want := map[string]any{"Amount": o.Total, "Method": st.tx("pay_wechatpay", nil)}
	if !strings.HasPrefix(r[0].Text, st.tx("staff_wechat_paid_meanwhile", want)+"\n\n") {
		t.Fatalf("cash that lost = %q", r[0].Text)
	}
	if got := h.order(o.ID); got.Status != commerce.StatusReadyForPickup || got.Paid.Method != commerce.PayWeChat {
		t.Fatalf("order %s %+v; want paid by WeChat Pay, not handed over", got.Status, got.Paid)
	}
	st.press(findAction(t, r[0], bot.VerbHandOver.Of()+":"))
	if got := h.order(o.ID); got.Status != commerce.StatusPickedUp || got.Paid.Method != commerce.PayWeChat {
		t.Fatalf("after the hand-over: %s %+v", got.Status, got.Paid)
	}
}

func hasButtonText(r bot.Reply, text string) bool {
	for _, row := range r.Buttons {
		for _, b := range row {
			if b.Text == text {
				return true
			}
		}
	}
	return false
}

// counterOrder is a duty-paid order of u to pay at pickup, ready at pt.
func counterOrder(t *testing.T, h *harness, u *chat, pt commerce.PickupPoint) commerce.Order {
	t.Helper()
	u.add("BAB-003", 1)
	o := u.checkoutAt(pt)
	u.press(fmt.Sprintf("oc:%d", o.ID))
	if got := h.order(o.ID); got.Status != commerce.StatusConfirmed {
		t.Fatalf("order %s is %s; want confirmed for pay at pickup", o.Number, got.Status)
	}
	if _, err := h.pickup.Ship(h.ctx, commerce.Shipment{PointID: pt.ID, Numbers: []string{o.Number}}); err != nil {
		t.Fatal(err)
	}
	if _, err := h.pickup.MarkArrived(h.ctx, commerce.Shipment{PointID: pt.ID, Numbers: []string{o.Number}}); err != nil {
		t.Fatal(err)
	}
	return h.order(o.ID)
}
