package commerce

import (
	"errors"
	"testing"
)

// TestTransitionTable checks every (from, to) pair against the intended table.
func TestTransitionTable(t *testing.T) {
	allowed := map[[2]OrderStatus]bool{
		{StatusPending, StatusConfirmed}:         true,
		{StatusPending, StatusCancelled}:         true,
		{StatusPending, StatusAwaitingPayment}:   true,
		{StatusAwaitingPayment, StatusPaid}:      true,
		{StatusAwaitingPayment, StatusCancelled}: true,
		{StatusPaid, StatusShipped}:              true,
		{StatusPaid, StatusCancelled}:            true,
		{StatusConfirmed, StatusShipped}:         true,
		{StatusConfirmed, StatusCancelled}:       true,
		{StatusShipped, StatusArrived}:           true,
		{StatusArrived, StatusReadyForPickup}:    true,
		{StatusReadyForPickup, StatusPickedUp}:   true,
		{StatusPickedUp, StatusReturned}:         true,
	}
	for _, from := range Statuses {
		for _, to := range Statuses {
			want := allowed[[2]OrderStatus{from, to}]
			if got := from.CanBecome(to); got != want {
				t.Errorf("%s → %s allowed = %v; want %v", from, to, got, want)
			}
			err := from.Transition(to)
			if want && err != nil {
				t.Errorf("%s → %s: %v", from, to, err)
			}
			if !want && !errors.Is(err, ErrInvalidTransition) {
				t.Errorf("%s → %s err = %v; want ErrInvalidTransition", from, to, err)
			}
		}
	}
	for _, s := range []OrderStatus{StatusCancelled, StatusReturned} {
		if !s.Final() {
			t.Errorf("%s should be final", s)
		}
	}
	if StatusPending.Final() || !StatusPending.HoldsStock() || !StatusConfirmed.HoldsStock() || StatusShipped.HoldsStock() {
		t.Error("HoldsStock/Final disagree with the table")
	}
	if StatusPending.CanBecome("bogus") || OrderStatus("bogus").CanBecome(StatusConfirmed) {
		t.Error("unknown statuses must not transition")
	}
}

func TestNewOrderNumber(t *testing.T) {
	seen := map[string]bool{}
	for range 10000 {
		n := NewOrderNumber()
		if len(n) != 6 {
			t.Fatalf("number %q is not 6 characters", n)
		}
		for _, r := range n {
			if !containsRune(numberAlphabet, r) {
				t.Fatalf("number %q has %q outside the alphabet", n, r)
			}
		}
		seen[n] = true
	}
	// 10,000 draws from 8.9e8: a collision is possible but several mean a broken generator.
	if len(seen) < 9995 {
		t.Fatalf("only %d distinct numbers in 10000", len(seen))
	}
}

func containsRune(s string, r rune) bool {
	for _, c := range s {
		if c == r {
			return true
		}
	}
	return false
}
