package app

import "shopbot/commerce"

// newOrderDesk is the seller's desk on the shop's store: new-order
// notices (jobs), /orders in the chat, `shopbot orders`.
func (a *App) newOrderDesk() *commerce.OrderDesk {
	return commerce.NewOrderDesk(commerce.OrderDeskOptions{Store: a.Store, Shop: a.Shop, Pickup: a.pickup, Clock: a.cfg.clock})
}
