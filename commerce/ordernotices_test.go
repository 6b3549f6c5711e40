package commerce

import "testing"

func TestIsNewOrder(t *testing.T) {
	o := Order{ID: 7}
	confirmed := o
	confirmed.Status = StatusConfirmed
	pending := o
	pending.Status = StatusPending
	for _, tc := range []struct {
		name string
		e    Event
		want bool
	}{
		{"a checkout placed (pending)", OrderPlaced{Order: pending}, false},
		{"a drop order placed confirmed", OrderPlaced{Order: confirmed}, true},
		{"the buyer confirmed", OrderStatusChanged{Order: confirmed, From: StatusPending, To: StatusConfirmed}, true},
		{"shipped", OrderStatusChanged{Order: o, From: StatusConfirmed, To: StatusShipped}, false},
		{"cancelled", OrderStatusChanged{Order: o, From: StatusPending, To: StatusCancelled}, false},
		{"another event", SellerCancelledOrder{Order: o}, false},
	} {
		if got, ok := IsNewOrder(tc.e); ok != tc.want || ok && got.ID != 7 {
			t.Errorf("%s: IsNewOrder = %v, %v; want %v", tc.name, got.ID, ok, tc.want)
		}
	}
}

func TestParsePaymentMethod(t *testing.T) {
	for in, want := range map[string]PaymentMethod{"cash": PayCash, " Card ": PayCard, "TRANSFER": PayTransfer} {
		if got, err := ParsePaymentMethod(in); err != nil || got != want {
			t.Errorf("ParsePaymentMethod(%q) = %q, %v", in, got, err)
		}
	}
	for _, bad := range []string{"", "bitcoin", "cash;"} {
		if _, err := ParsePaymentMethod(bad); err == nil {
			t.Errorf("ParsePaymentMethod(%q) accepted", bad)
		}
	}
}
