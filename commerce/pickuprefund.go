package commerce

import (
	"context"
	"fmt"
)

// Refunds of the pickup side (issue 14): an accepted return of a paid
// order is refunded through Payments — at the provider for a WeChat Pay
// payment, by the seller's hand (a manual refund they are told of) for a
// Telegram payment or one made at the counter.

// UsePayments makes accepted returns refund their order's payment. Call
// it before serving; nil turns it off.
func (p *Pickup) UsePayments(pay *Payments) { p.pay = pay }

// RefundReturn refunds what is left of the payment of an accepted return
// (kind "return": the goods came back) as one refund keyed "return:"+id,
// by the staff member who accepted it. It does nothing (created false, no
// error) without payments, for an exchange or a repair, a return not
// accepted, an order never paid, or a payment refunded in full already.
// Calling it again returns the same refund; AcceptReturn calls it, and a
// caller may repeat it when that failed. Errors of Payments.Refund.
func (p *Pickup) RefundReturn(ctx context.Context, returnID int64, by string) (Refund, bool, error) {
	if p.pay == nil {
		return Refund{}, false, nil
	}
	r, err := p.store.Return(ctx, returnID)
	if err != nil {
		return Refund{}, false, err
	}
	if r.Kind != ReturnRefund || r.Status != ReturnAccepted {
		return Refund{}, false, nil
	}
	o, err := p.store.Order(ctx, r.OrderID)
	if err != nil {
		return Refund{}, false, err
	}
	if by == "" {
		by = "system"
	}
	return p.pay.RefundRest(ctx, o, "return: "+r.Reason, by, fmt.Sprintf("return:%d", r.ID))
}
