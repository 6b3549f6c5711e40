package bot

import (
	"errors"
	"time"

	"shopbot/commerce"
)

// The per-person limits are the stores' to enforce (commerce.PersonLimits);
// the flows answer a refusal with its words: checkout (open orders, their
// units, a suspension), drops (live reservations, waitlist places, the
// drop order), group posts (a toast). Each refusal changed nothing.

// limitOf returns the limit that refused err, if one did.
func limitOf(err error) (*commerce.LimitError, bool) {
	var le *commerce.LimitError
	return le, errors.As(err, &le)
}

// limitData adds to data what a limit's text shows: Max (the limit) and
// Until (the end of a suspension, in the seller's zone).
func (t *turn) limitData(err error, data map[string]any) map[string]any {
	if data == nil {
		data = map[string]any{}
	}
	if _, ok := data["Until"]; !ok {
		data["Until"] = time.Time{}
	}
	if le, ok := limitOf(err); ok {
		data["Max"] = le.Limit
		data["Until"] = le.Until.In(t.r.o.TimeZone)
	}
	return data
}

// limitReply answers a checkout a limit refused: why, that the cart is
// kept, and the way to the orders that fill the limit.
func (t *turn) limitReply(err error) []Reply {
	ue, _ := ErrorText(err, InChat)
	return say(t.text(ue.Key, t.limitData(err, nil))+"\n\n"+t.text("checkout_left", nil),
		[]Button{t.btn("btn_orders", VerbOrders.Of()), t.cartButton()})
}
