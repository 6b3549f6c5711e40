package commerce

// Event is a domain event. Stores hand every event to their event hook inside
// the transaction that caused it, so the durable jobs it triggers
// (reservation expiry, notifications, reminders) commit or roll back with the
// change itself.
type Event interface{ EventName() string }

// OrderPlaced: a pending order reserved its stock.
type OrderPlaced struct{ Order Order }

// OrderStatusChanged: an order moved along the state machine.
type OrderStatusChanged struct {
	Order    Order // after the change
	From, To OrderStatus
}

// EventName implements Event.
func (OrderPlaced) EventName() string { return "order_placed" }

// EventName implements Event.
func (OrderStatusChanged) EventName() string { return "order_status_changed" }

// DropReservationsMade: units of a drop are held for buyers, each until its
// ExpiresAt. A rush reserves in batches (one transaction for many buyers),
// so one event carries them all: its consumers insert their jobs with one
// statement.
type DropReservationsMade struct{ Reservations []DropReservation }

// EventName implements Event.
func (DropReservationsMade) EventName() string { return "drop_reservations_made" }

// OrderNoteAdded: a seller wrote the buyer a note about their order; the
// buyer is told in the chat they ordered from.
type OrderNoteAdded struct {
	Order Order
	Note  OrderNote
}

// EventName implements Event.
func (OrderNoteAdded) EventName() string { return "order_note_added" }
