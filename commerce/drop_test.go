package commerce

import (
	"errors"
	"testing"
	"time"
)

func TestDropValidate(t *testing.T) {
	t.Parallel()
	good := Drop{Code: NewDropCode(), ProductID: 1, Units: 100, Price: CNY(59900), StartsAt: time.Unix(1, 0),
		PerBuyerLimit: 1, ReservationTTL: 15 * time.Minute}
	if err := good.Validate(); err != nil {
		t.Fatalf("valid drop: %v", err)
	}
	for name, mutate := range map[string]func(*Drop){
		"bad code":       func(d *Drop) { d.Code = "ab/cd?ef" },
		"short code":     func(d *Drop) { d.Code = "abc" },
		"no product":     func(d *Drop) { d.ProductID = 0 },
		"no units":       func(d *Drop) { d.Units = 0 },
		"free":           func(d *Drop) { d.Price = CNY(0) },
		"no currency":    func(d *Drop) { d.Price.Currency = "" },
		"no start":       func(d *Drop) { d.StartsAt = time.Time{} },
		"no limit":       func(d *Drop) { d.PerBuyerLimit = 0 },
		"limit > units":  func(d *Drop) { d.PerBuyerLimit = 101 },
		"short hold":     func(d *Drop) { d.ReservationTTL = time.Second },
		"very long hold": func(d *Drop) { d.ReservationTTL = 30 * 24 * time.Hour },
	} {
		d := good
		mutate(&d)
		if err := d.Validate(); !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: err = %v; want ErrInvalid", name, err)
		}
	}
}

func TestNewDropCode(t *testing.T) {
	t.Parallel()
	seen := map[string]bool{}
	for range 1000 {
		c := NewDropCode()
		if !ValidDropCode(c) {
			t.Fatalf("NewDropCode() = %q is not valid", c)
		}
		if seen[c] {
			t.Fatalf("NewDropCode repeated %q within 1000 codes", c)
		}
		seen[c] = true
	}
}
