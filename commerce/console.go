package commerce

import (
	"context"
	"time"
)

// The seller's console (/admin) reads orders in lists and figures, as the
// chat never needs to.

// MaxConsoleOrders caps the orders one ConsoleOrderQuery returns.
const MaxConsoleOrders = 1000

// ConsoleOrderQuery selects orders for the seller, newest first.
type ConsoleOrderQuery struct {
	// Statuses keeps orders in one of them; empty keeps every status.
	Statuses []OrderStatus
	// From and To keep orders created in [From, To); zero is unbounded.
	From, To time.Time
	// Search keeps orders whose number starts with it (any case), whose
	// phone ends with its digits (3 or more), or whose contact name
	// contains it.
	Search string
	// BeforeID keeps orders with a smaller id (the next page); 0 = none.
	BeforeID int64
	// Limit is at most MaxConsoleOrders; 0 or more is capped there.
	Limit int
}

// DayFigures are a seller's figures of one period (a day of the shop).
type DayFigures struct {
	// NewOrders is orders placed in the period, cancelled ones included.
	NewOrders int
	// Revenue is the totals of the period's orders that are confirmed or
	// further on (not pending, cancelled or returned), per currency.
	Revenue []Money
	// ToShip is confirmed orders (whenever placed), waiting to be shipped.
	ToShip int
	// AwaitingPickup is orders ready at their point (whenever placed).
	AwaitingPickup int
	// PickupsDue is active pickup bookings whose slot starts in the period.
	PickupsDue int
}

// ConsoleStore is what the seller's console reads besides the catalog,
// orders, drops and broadcasts stores.
type ConsoleStore interface {
	// ConsoleOrders returns the orders q selects, newest first, with their
	// lines.
	ConsoleOrders(ctx context.Context, q ConsoleOrderQuery) ([]Order, error)
	// DayFigures counts the figures of the period [from, to).
	DayFigures(ctx context.Context, from, to time.Time) (DayFigures, error)
}
