package commerce

import (
	"fmt"
	"slices"
	"time"
)

// ReturnKind is what the buyer asks for at the counter.
type ReturnKind string

const (
	ReturnRefund   ReturnKind = "return"   // bring the goods back; the order becomes returned when accepted
	ReturnExchange ReturnKind = "exchange" // swap for another size or a working unit
	ReturnRepair   ReturnKind = "repair"   // leave the goods for repair under warranty
)

// Valid reports whether k is a known kind.
func (k ReturnKind) Valid() bool {
	return k == ReturnRefund || k == ReturnExchange || k == ReturnRepair
}

// ReturnStatus is a state of the after-sales state machine.
type ReturnStatus string

const (
	ReturnRequested     ReturnStatus = "requested"      // started by the buyer in the chat
	ReturnDropoffBooked ReturnStatus = "dropoff_booked" // a drop-off slot at the counter is booked
	ReturnAccepted      ReturnStatus = "accepted"       // staff took the goods back
	ReturnRejected      ReturnStatus = "rejected"       // staff refused at the counter
	ReturnCancelled     ReturnStatus = "cancelled"      // withdrawn by the buyer
)

// returnTransitions is the after-sales state machine. Staff may decide
// without a booked drop-off (the buyer walked in), and a booked drop-off may
// be moved to another slot.
var returnTransitions = map[ReturnStatus][]ReturnStatus{
	ReturnRequested:     {ReturnDropoffBooked, ReturnAccepted, ReturnRejected, ReturnCancelled},
	ReturnDropoffBooked: {ReturnDropoffBooked, ReturnAccepted, ReturnRejected, ReturnCancelled},
}

// CanBecome reports whether the state machine allows s → next.
func (s ReturnStatus) CanBecome(next ReturnStatus) bool {
	return slices.Contains(returnTransitions[s], next)
}

// Open reports whether the return still awaits a decision. An order has at
// most one open return.
func (s ReturnStatus) Open() bool { return s == ReturnRequested || s == ReturnDropoffBooked }

// ReturnReasons are the reasons a buyer picks from, as template keys
// ("return_reason_" + reason).
var ReturnReasons = []string{"defective", "damaged", "wrong_item", "wrong_size", "not_as_described", "changed_mind", "other"}

// Return is an after-sales request for a collected order, handled at the
// order's pickup point.
type Return struct {
	ID           int64
	OrderID      int64
	OrderNumber  string // filled by the store for display
	PointID      int64  // the order's pickup point
	Kind         ReturnKind
	Reason       string // one of ReturnReasons
	Note         string // the buyer's words, up to 500 characters
	Status       ReturnStatus
	SlotStart    time.Time // drop-off slot; zero until booked
	SlotEnd      time.Time
	DecidedBy    string // staff identity
	DecisionNote string
	CreatedAt    time.Time
	UpdatedAt    time.Time
}

// Validate checks a new return request.
func (r Return) Validate() error {
	switch {
	case !r.Kind.Valid():
		return fmt.Errorf("return kind %q: %w", r.Kind, ErrInvalid)
	case !slices.Contains(ReturnReasons, r.Reason):
		return fmt.Errorf("return reason %q: %w", r.Reason, ErrInvalid)
	case len([]rune(r.Note)) > 500:
		return fmt.Errorf("return note of %d characters: %w", len([]rune(r.Note)), ErrInvalid)
	}
	return nil
}
