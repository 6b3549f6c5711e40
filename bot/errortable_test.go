package bot

import (
	"errors"
	"fmt"
	"net/http"
	"testing"

	"shopbot/commerce"
	"shopbot/templates"
)

// Every key of the table exists in every locale, on every surface.
func TestErrorTableKeysExist(t *testing.T) {
	texts, err := templates.Load()
	if err != nil {
		t.Fatal(err)
	}
	for _, row := range errorTable() {
		for _, on := range []Surface{InChat, OnDropCard, InToast, OnStaffPage} {
			ue, ok := ErrorText(fmt.Errorf("wrapped: %w", row.err), on)
			if !ok {
				t.Fatalf("%v on surface %d: no row", row.err, on)
			}
			if !texts.Has(ue.Key) {
				t.Errorf("%v on surface %d: key %q is not in templates", row.err, on, ue.Key)
			}
			// A client error; or the payment provider down, a moment's outage.
			if (ue.Status < 400 || ue.Status > 499) && !(row.err == commerce.ErrProvider && ue.Status == http.StatusServiceUnavailable) {
				t.Errorf("%v: status %d is not a client error", row.err, ue.Status)
			}
		}
	}
}

// Each sentinel error has one row, and rows are not shadowed by an earlier
// row matching the same error.
func TestErrorTableRowsReachable(t *testing.T) {
	seen := map[error]bool{}
	for i, row := range errorTable() {
		if seen[row.err] {
			t.Errorf("row %d: %v twice", i, row.err)
		}
		seen[row.err] = true
		got, _ := ErrorText(row.err, InChat)
		if got.Key != row.chat {
			t.Errorf("%v resolves to %q, shadowed by an earlier row (want %q)", row.err, got.Key, row.chat)
		}
	}
}

func TestErrorTableLookups(t *testing.T) {
	for _, tc := range []struct {
		err    error
		on     Surface
		key    string
		status int
		ok     bool
	}{
		{fmt.Errorf("reserve: %w", commerce.ErrSoldOut), InChat, "err_sold_out", http.StatusConflict, true},
		{commerce.ErrSoldOut, OnDropCard, "drop_sold_out", http.StatusConflict, true},
		{commerce.ErrSoldOut, InToast, "gp_toast_sold_out", http.StatusConflict, true},
		{commerce.ErrSlotFull, InToast, "err_slot_full", http.StatusConflict, true}, // no toast text: the chat's
		{commerce.ErrAlreadyCollected, OnStaffPage, "staff_err_already_collected", http.StatusConflict, true},
		{&commerce.PriceChangedError{}, InChat, "err_price_changed", http.StatusConflict, true},
		{errors.New("connection refused"), InChat, "", 0, false},
		{nil, InChat, "", 0, false},
	} {
		got, ok := ErrorText(tc.err, tc.on)
		if ok != tc.ok || got.Key != tc.key || got.Status != tc.status {
			t.Errorf("ErrorText(%v, %d) = %+v, %v; want %q %d %v", tc.err, tc.on, got, ok, tc.key, tc.status, tc.ok)
		}
	}
}
