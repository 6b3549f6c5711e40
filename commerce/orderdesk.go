package commerce

import (
	"time"
)

// OrderDesk is the seller's view of the shop's orders: new-order notices,
// the open orders by state with search and paging, one order with its
// lines, buyer contact and notes, the actions on it (cancel, mark shipped
// or arrived, a note to the buyer, a payment), and the rows of an export.
// The chat's /orders, the CLI's `shopbot orders` and the web console call
// it.
type OrderDesk struct {
	store  OrderDeskStore
	shop   *Shop
	pickup *Pickup // nil with pickup off: no shipment actions
	clock  Clock
	window time.Duration
}

// OrderDeskStore is what the desk needs from persistence.
type OrderDeskStore interface {
	SellerNoticeStore
}

// OrderDeskOptions configures an OrderDesk.
type OrderDeskOptions struct {
	Store  OrderDeskStore
	Shop   *Shop   // orders, and the seller's cancellation
	Pickup *Pickup // shipment and arrival; nil with pickup off
	Clock  Clock   // default SystemClock
	// NoticeWindow is how often at most a seller hears of new orders
	// (DefaultNoticeWindow).
	NoticeWindow time.Duration
}

// NewOrderDesk builds an OrderDesk.
func NewOrderDesk(o OrderDeskOptions) *OrderDesk {
	d := &OrderDesk{store: o.Store, shop: o.Shop, pickup: o.Pickup, clock: o.Clock, window: o.NoticeWindow}
	if d.clock == nil {
		d.clock = SystemClock
	}
	if d.window <= 0 {
		d.window = DefaultNoticeWindow
	}
	return d
}

// Now is the desk's clock.
func (d *OrderDesk) Now() time.Time { return d.clock.Now() }
