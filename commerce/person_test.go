package commerce

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestParseLinkCode(t *testing.T) {
	for _, tc := range []struct {
		in, want string
	}{
		{"K7Q2M9XA", "K7Q2M9XA"},
		{"k7q2-m9xa", "K7Q2M9XA"},
		{" K7Q2 M9XA ", "K7Q2M9XA"},
		{"K7Q2\u00a0M9XA", "K7Q2M9XA"},
		{"K7Q2M9X", ""},   // short
		{"K7Q2M9XAB", ""}, // long
		{"K7Q2M9X0", ""},  // 0 is not in the alphabet
		{"K7Q2M9XI", ""},  // nor I
		{"К7Q2M9XA", ""},  // Cyrillic К
		{"", ""},
		{strings.Repeat("A", 1000), ""},
	} {
		got, ok := ParseLinkCode(tc.in)
		if ok != (tc.want != "") || got != tc.want {
			t.Errorf("ParseLinkCode(%q) = %q, %v; want %q", tc.in, got, ok, tc.want)
		}
	}
	for range 100 {
		c := newLinkCode()
		if got, ok := ParseLinkCode(DisplayLinkCode(c)); !ok || got != c {
			t.Fatalf("a drawn code %q does not parse back: %q, %v", c, got, ok)
		}
	}
}

// FuzzParseLinkCode: whatever a chat sends after /link, ParseLinkCode
// answers without panicking, and a code it accepts is canonical.
func FuzzParseLinkCode(f *testing.F) {
	for _, s := range []string{"K7Q2-M9XA", "k7q2 m9xa", "", "--------", "ÄÖÜ", "K7Q2M9XA\x00"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		code, ok := ParseLinkCode(s)
		if !ok {
			return
		}
		if len(code) != LinkCodeLen || strings.Trim(code, linkCodeAlphabet) != "" {
			t.Fatalf("%q → %q: not a code", s, code)
		}
		if again, ok := ParseLinkCode(code); !ok || again != code {
			t.Fatalf("%q → %q → %q", s, code, again)
		}
	})
}

func TestPersonNoticeTarget(t *testing.T) {
	t0 := time.Date(2026, 11, 1, 10, 0, 0, 0, time.UTC)
	p := Person{ID: 1, Identities: []PersonIdentity{
		{Identity: "tg:1", LastSeen: t0.Add(time.Minute)},
		{Identity: "web:a", LastSeen: t0.Add(2 * time.Minute)},
		{Identity: "wx:o", LastSeen: t0},
	}}
	if got := p.NoticeTarget("tg:1"); got != "web:a" {
		t.Errorf("last used = %s; want web:a", got)
	}
	p.NoticeTo = "wx:o"
	if got := p.NoticeTarget("tg:1"); got != "wx:o" {
		t.Errorf("chosen = %s; want wx:o", got)
	}
	p.NoticeTo = "tg:999" // no longer theirs
	if got := p.NoticeTarget("tg:1"); got != "web:a" {
		t.Errorf("a choice not of the person = %s; want the last used", got)
	}
	if got := (Person{Identities: []PersonIdentity{{Identity: "tg:5"}}}).NoticeTarget("tg:5"); got != "tg:5" {
		t.Errorf("a person of one = %s", got)
	}
	if b := Identity("web:a:b").Buyer(); b.Channel != "web" || b.UserID != "a:b" || b.Identity() != "web:a:b" {
		t.Errorf("identity round trip = %+v", b)
	}
}

func TestPersonLimits(t *testing.T) {
	now := time.Date(2026, 11, 1, 10, 0, 0, 0, time.UTC)
	lim := PersonLimits{OpenOrders: 3, OpenUnits: 20, Reservations: 3, Waitlists: 20, LapseBan: 30 * 24 * time.Hour}
	for _, tc := range []struct {
		name  string
		u     OpenUsage
		units int
		want  error
	}{
		{"room", OpenUsage{Orders: 2, Units: 10}, 10, nil},
		{"orders", OpenUsage{Orders: 3}, 1, ErrOpenOrders},
		{"units", OpenUsage{Orders: 1, Units: 15}, 6, ErrOpenUnits},
		{"suspended first", OpenUsage{Orders: 3, SuspendedTill: now.Add(time.Hour)}, 1, ErrPayAtPickupSuspended},
		{"suspension over", OpenUsage{SuspendedTill: now}, 1, nil},
	} {
		err := lim.CheckOrder(tc.u, tc.units, now)
		if tc.want == nil && err != nil || tc.want != nil && !errorsIs(err, tc.want) {
			t.Errorf("%s: CheckOrder = %v; want %v", tc.name, err, tc.want)
		}
	}
	if err := lim.CheckReservation(OpenUsage{Reservations: 3}, now); !errorsIs(err, ErrReservationLimit) {
		t.Errorf("CheckReservation at the limit = %v", err)
	}
	if err := lim.CheckWaitlist(OpenUsage{Waitlists: 20}); !errorsIs(err, ErrWaitlistLimit) {
		t.Errorf("CheckWaitlist at the limit = %v", err)
	}
	if got := (PersonLimits{}).withDefaults(); got != DefaultPersonLimits() {
		t.Errorf("zero limits = %+v; want the defaults", got)
	}
	off := NoPersonLimits().withDefaults()
	if off != (PersonLimits{}) || off.CheckOrder(OpenUsage{Orders: 1000, Units: 1e6}, 1e6, now) != nil {
		t.Errorf("no limits = %+v", off)
	}
}

func errorsIs(err, target error) bool { return err != nil && errors.Is(err, target) }
