package commerce

import "time"

// Pickup events. Like OrderPlaced, stores hand them to their event hook
// inside the transaction that caused them; jobs enqueued there (buyer
// notices, reminders, seller alerts) commit or roll back with the change.
// Events carry the order as it is after the change, so a notice can be
// addressed (Order.ChatID, Order.Lang) without another read; they carry no
// pickup code: a job fetches it (Pickup.Pass) when it renders the message,
// so codes never sit in job arguments.

// OrderArrived: an order was checked in at its pickup point and is now
// ready_for_pickup with a pickup code (emitted after the two
// OrderStatusChanged events shipped → arrived → ready_for_pickup). Notify the
// buyer and offer slots here, and schedule the hold-period check.
type OrderArrived struct {
	Order   Order
	ReadyAt time.Time
}

// SlotBooked: an order took a seat in a pickup slot. Previous is the booking
// it replaced when the buyer rescheduled (now BookingStatusRescheduled), or
// nil. TimeZone is the point's zone, so the hook can schedule the reminders
// (Reminders) without reading the database; a reminder job should check the
// booking is still active when it fires.
type SlotBooked struct {
	Order    Order
	Booking  Booking
	Previous *Booking
	TimeZone string
}

// BookingCancelled: the buyer cancelled a booking; its seat is free.
type BookingCancelled struct {
	Order   Order
	Booking Booking
}

// BookingMissed: nobody came by the slot's end plus the grace period; the
// booking was released and the buyer should be asked to rebook.
type BookingMissed struct {
	Order   Order
	Booking Booking
}

// OrderCollected: staff handed the order over (emitted after the
// OrderStatusChanged ready_for_pickup → picked_up). Booking is the booking
// it was collected in, or nil for a walk-in.
type OrderCollected struct {
	Order   Order
	PointID int64
	Staff   string
	Booking *Booking
}

// PickupCodeReissued: the order got a new pickup code; the old code and its
// token no longer work. Send the buyer the new one.
type PickupCodeReissued struct {
	Order     Order
	ExpiresAt time.Time
}

// HoldExpired: an order has waited at its point for the hold period without
// being collected. Emitted once per order; alert the seller.
type HoldExpired struct {
	Order   Order
	ReadyAt time.Time
}

// ReturnChanged: an after-sales request was created (From == "") or moved
// along its state machine (a drop-off booked or moved, accepted, rejected,
// cancelled). Notify the buyer of each step. TimeZone is the point's zone,
// for drop-off reminders.
type ReturnChanged struct {
	Return   Return
	Order    Order
	From     ReturnStatus
	TimeZone string
}

// StaffCodeFlood: wrong pickup codes at a point reached the alert level
// (PickupOptions.FloodAlert) within one window — more than one staff
// sign-in may try, so several sessions or addresses are guessing. Emitted
// once per point and window, inside the transaction that counted the
// code that reached the level; tell the sellers. Right codes and QR passes
// keep working meanwhile: the limits are per session and address.
type StaffCodeFlood struct {
	PointID int64
	Wrong   int       // wrong codes counted in the window: the alert level
	Since   time.Time // when the window started
	Per     time.Duration
}

// EventName implements Event.
func (OrderArrived) EventName() string { return "order_arrived" }

// EventName implements Event.
func (SlotBooked) EventName() string { return "slot_booked" }

// EventName implements Event.
func (BookingCancelled) EventName() string { return "booking_cancelled" }

// EventName implements Event.
func (BookingMissed) EventName() string { return "booking_missed" }

// EventName implements Event.
func (OrderCollected) EventName() string { return "order_collected" }

// EventName implements Event.
func (PickupCodeReissued) EventName() string { return "pickup_code_reissued" }

// EventName implements Event.
func (HoldExpired) EventName() string { return "hold_expired" }

// EventName implements Event.
func (ReturnChanged) EventName() string { return "return_changed" }

// EventName implements Event.
func (StaffCodeFlood) EventName() string { return "staff_code_flood" }
