package storetest

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"shopbot/commerce"
	"shopbot/internal/testenv"
)

// personEnv is a store with a product in deep stock, a pickup point, a
// drop fixture, a clock and the Persons service.
type personEnv struct {
	*dropFixture
	t       *testing.T
	ctx     context.Context
	s       ShopStore
	clock   *testenv.Clock
	persons *commerce.Persons
	item    commerce.Product
	point   commerce.PickupPoint
	n       atomic.Int64
}

func newPersonEnv(t *testing.T, open OpenShop) *personEnv {
	t.Helper()
	s := open.plain(t)
	f := newDropFixture(t, s)
	e := &personEnv{dropFixture: f, t: t, ctx: context.Background(), s: s, clock: testenv.NewClock(f.start)}
	e.persons = commerce.NewPersons(commerce.PersonsOptions{Store: s, Clock: e.clock, MaxIdentities: 4})
	var err error
	if e.item, err = s.UpsertProduct(e.ctx, commerce.Product{SKU: "ITEM-1", CategoryID: f.product.CategoryID, Title: commerce.Text{"en": "Tea"},
		Description: commerce.Text{"en": "d"}, Price: commerce.CNY(1000), Origin: commerce.OriginDutyPaid, Stock: 100000, Active: true}); err != nil {
		t.Fatal(err)
	}
	if e.point, err = s.UpsertPickupPoint(e.ctx, commerce.PickupPoint{Code: "PP1", City: commerce.Text{"en": "Shanghai"},
		Name: commerce.Text{"en": "Point"}, Address: commerce.Text{"en": "Road 1"}, TimeZone: "Asia/Shanghai", Active: true}); err != nil {
		t.Fatal(err)
	}
	return e
}

func tgBuyer(i int) commerce.Buyer {
	return commerce.Buyer{Channel: "tg", UserID: fmt.Sprint(1000 + i)}
}
func wxBuyer(i int) commerce.Buyer {
	return commerce.Buyer{Channel: "wx", UserID: fmt.Sprintf("oWX%d", i)}
}

func (e *personEnv) link(a, b commerce.Buyer) commerce.Person {
	e.t.Helper()
	p, err := e.persons.Link(e.ctx, a.Identity(), b.Identity())
	if err != nil {
		e.t.Fatalf("Link(%s, %s): %v", a.Key(), b.Key(), err)
	}
	return p
}

// place places a pending order of qty units for b with phone through the
// store, within lim.
func (e *personEnv) place(b commerce.Buyer, phone string, qty int, lim commerce.PersonLimits) (commerce.Order, error) {
	now := e.clock.Now()
	o, _, err := e.s.PlaceOrder(e.ctx, commerce.Order{Number: commerce.NewOrderNumber(), Buyer: b, ChatID: b.UserID, Lang: "en",
		Status: commerce.StatusPending, PickupPointID: e.point.ID, ContactName: "Li", Phone: phone,
		IdempotencyKey: fmt.Sprintf("order-%d", e.n.Add(1)), CreatedAt: now, UpdatedAt: now, ExpiresAt: now.Add(time.Hour),
		Lines: []commerce.OrderLine{{ProductID: e.item.ID, SKU: e.item.SKU, Title: e.item.Title, UnitPrice: e.item.Price, Qty: qty}},
		Total: e.item.Price.Mul(qty)}, lim)
	return o, err
}

func (e *personEnv) mustPlace(b commerce.Buyer, phone string, qty int) commerce.Order {
	e.t.Helper()
	o, err := e.place(b, phone, qty, commerce.PersonLimits{})
	if err != nil {
		e.t.Fatalf("PlaceOrder for %s: %v", b.Key(), err)
	}
	return o
}

func identities(p commerce.Person) []commerce.Identity {
	var out []commerce.Identity
	for _, pi := range p.Identities {
		out = append(out, pi.Identity)
	}
	return out
}

// runPersons runs the persons topic: identities linked into persons and
// unlinked, orders that belong to the person, where notices go, and the
// one-time link codes with their guessing limit under concurrency.
func runPersons(t *testing.T, open OpenShop) {
	runAll(t, open, []behaviour[OpenShop]{
		{"LinkAndUnlink", testPersonLinkAndUnlink},
		{"LinkRefusals", testPersonLinkRefusals},
		{"OrdersBelongToThePerson", testPersonOrders},
		{"NoticeTarget", testPersonNoticeTarget},
		{"LinkCodes", testPersonLinkCodes},
		{"LinkCodeGuessesUnderConcurrency", testPersonLinkCodeGuesses},
		{"LinkWhileOrdering", testPersonLinkWhileOrdering},
	})
}

func testPersonLinkAndUnlink(t *testing.T, open OpenShop) {
	t.Parallel()
	e := newPersonEnv(t, open)
	tg, wx, web, web2 := tgBuyer(1).Identity(), wxBuyer(1).Identity(), webBuyer(1).Identity(), webBuyer(2).Identity()
	alone, err := e.persons.Person(e.ctx, tg)
	if err != nil || alone.ID != 0 || len(alone.Identities) != 1 || alone.Identities[0].Identity != tg {
		t.Fatalf("unlinked identity = %+v, %v; want a person of one", alone, err)
	}
	e.link(tgBuyer(1), webBuyer(1))
	e.clock.Advance(time.Second)
	e.link(wxBuyer(1), webBuyer(2))
	e.clock.Advance(time.Second)
	p := e.link(webBuyer(2), tgBuyer(1)) // two persons become one
	if got := identities(p); len(got) != 4 || p.ID == 0 {
		t.Fatalf("merged person = %v (id %d); want 4 identities", got, p.ID)
	}
	for _, id := range []commerce.Identity{tg, wx, web, web2} {
		if same, err := e.persons.SamePerson(e.ctx, tg, id); err != nil || !same {
			t.Errorf("SamePerson(%s, %s) = %v, %v", tg, id, same, err)
		}
		got, err := e.persons.Identities(e.ctx, id)
		if err != nil || len(got) != 4 {
			t.Errorf("Identities(%s) = %v, %v", id, got, err)
		}
	}
	if again := e.link(tgBuyer(1), wxBuyer(1)); again.ID != p.ID || len(again.Identities) != 4 {
		t.Errorf("linking linked identities = %+v; want the person unchanged", again)
	}
	if same, _ := e.persons.SamePerson(e.ctx, tg, tgBuyer(9).Identity()); same {
		t.Error("a stranger is the same person")
	}
	if err := e.persons.Unlink(e.ctx, wx); err != nil {
		t.Fatal(err)
	}
	if same, _ := e.persons.SamePerson(e.ctx, tg, wx); same {
		t.Error("unlinked identity still the same person")
	}
	for _, id := range []commerce.Identity{tg, web} {
		if err := e.persons.Unlink(e.ctx, id); err != nil {
			t.Fatalf("Unlink(%s): %v", id, err)
		}
	}
	// web2 is left alone: a person of one, with no row.
	if p, err := e.persons.Person(e.ctx, web2); err != nil || p.ID != 0 {
		t.Fatalf("last identity = %+v, %v; want a person of one", p, err)
	}
	var rows int
	if err := e.s.DB().QueryRowContext(e.ctx, `SELECT COUNT(*) FROM persons`).Scan(&rows); err != nil || rows != 0 {
		t.Errorf("persons left = %d, %v; want none", rows, err)
	}
	wantErr(t, "unlink alone", e.persons.Unlink(e.ctx, web2), commerce.ErrNotFound)
}

func testPersonLinkRefusals(t *testing.T, open OpenShop) {
	t.Parallel()
	e := newPersonEnv(t, open)
	_, err := e.persons.Link(e.ctx, tgBuyer(1).Identity(), tgBuyer(1).Identity())
	wantErr(t, "link to itself", err, commerce.ErrInvalid)
	_, err = e.persons.Link(e.ctx, "tg:1", "nonsense")
	wantErr(t, "malformed identity", err, commerce.ErrInvalid)
	e.link(tgBuyer(1), webBuyer(1))
	e.link(tgBuyer(1), webBuyer(2))
	e.link(tgBuyer(1), webBuyer(3)) // four: the env's most
	_, err = e.persons.Link(e.ctx, webBuyer(4).Identity(), tgBuyer(1).Identity())
	wantErr(t, "fifth identity", err, commerce.ErrPersonFull)
	if got, _ := e.persons.Identities(e.ctx, tgBuyer(1).Identity()); len(got) != 4 {
		t.Errorf("refused link changed the person: %v", got)
	}
}

// Linking two identities that both have orders keeps every order; the
// person sees them all; unlinking gives each identity back its own.
func testPersonOrders(t *testing.T, open OpenShop) {
	t.Parallel()
	e := newPersonEnv(t, open)
	tg, web := tgBuyer(1), webBuyer(1)
	a := e.mustPlace(tg, "+8613800000001", 1)
	b := e.mustPlace(web, "+8613800000002", 2)
	shop := commerce.NewShop(commerce.ShopOptions{Store: e.s, Clock: e.clock})
	if _, err := shop.OwnOrder(e.ctx, web, a.ID); !errors.Is(err, commerce.ErrNotFound) {
		t.Fatalf("before linking, web sees tg's order: %v", err)
	}
	e.link(tg, web)
	for _, who := range []commerce.Buyer{tg, web} {
		list, err := shop.Orders(e.ctx, who, 10)
		if err != nil || len(list) != 2 || list[0].ID != b.ID || list[1].ID != a.ID {
			t.Fatalf("orders of %s after linking = %d, %v; want both, newest first", who.Key(), len(list), err)
		}
		if _, err := shop.OwnOrder(e.ctx, who, a.ID); err != nil {
			t.Errorf("%s cannot open the person's order: %v", who.Key(), err)
		}
	}
	if _, err := shop.CancelOrder(e.ctx, web, a.ID); err != nil {
		t.Fatalf("web cancels tg's order of the same person: %v", err)
	}
	if err := e.persons.Unlink(e.ctx, web.Identity()); err != nil {
		t.Fatal(err)
	}
	for who, want := range map[commerce.Buyer]int64{tg: a.ID, web: b.ID} {
		list, err := shop.Orders(e.ctx, who, 10)
		if err != nil || len(list) != 1 || list[0].ID != want || list[0].Buyer != who {
			t.Errorf("after unlinking, orders of %s = %+v, %v; want its own only", who.Key(), list, err)
		}
	}
	if _, err := shop.OwnOrder(e.ctx, web, a.ID); !errors.Is(err, commerce.ErrNotFound) {
		t.Errorf("after unlinking, web still opens tg's order: %v", err)
	}
}

func testPersonNoticeTarget(t *testing.T, open OpenShop) {
	t.Parallel()
	e := newPersonEnv(t, open)
	tg, wx, web := tgBuyer(1).Identity(), wxBuyer(1).Identity(), webBuyer(1).Identity()
	if got, err := e.persons.NoticeTarget(e.ctx, tg); err != nil || got != tg {
		t.Fatalf("alone: target %s, %v", got, err)
	}
	if err := e.persons.See(e.ctx, tg); err != nil { // not linked: nothing is written
		t.Fatal(err)
	}
	e.link(tgBuyer(1), wxBuyer(1))
	e.link(tgBuyer(1), webBuyer(1))
	step := func(id commerce.Identity) {
		e.clock.Advance(time.Minute)
		if err := e.persons.See(e.ctx, id); err != nil {
			t.Fatal(err)
		}
	}
	step(wx)
	step(web)
	for _, id := range []commerce.Identity{tg, wx, web} {
		if got, _ := e.persons.NoticeTarget(e.ctx, id); got != web {
			t.Errorf("target for %s = %s; want the one used last, %s", id, got, web)
		}
	}
	if err := e.persons.SetNoticeIdentity(e.ctx, web, wx); err != nil {
		t.Fatal(err)
	}
	step(tg)
	if got, _ := e.persons.NoticeTarget(e.ctx, web); got != wx {
		t.Errorf("target = %s; want the chosen %s", got, wx)
	}
	wantErr(t, "choose a stranger", e.persons.SetNoticeIdentity(e.ctx, web, tgBuyer(9).Identity()), commerce.ErrNotFound)
	wantErr(t, "choose while alone", e.persons.SetNoticeIdentity(e.ctx, tgBuyer(9).Identity(), tgBuyer(9).Identity()), commerce.ErrNotFound)
	if err := e.persons.Unlink(e.ctx, wx); err != nil {
		t.Fatal(err)
	}
	if got, _ := e.persons.NoticeTarget(e.ctx, web); got != tg {
		t.Errorf("after the chosen one left, target = %s; want the one used last, %s", got, tg)
	}
	if got, _ := e.persons.NoticeTarget(e.ctx, wx); got != wx {
		t.Errorf("unlinked identity's notices go to %s", got)
	}
}

func testPersonLinkCodes(t *testing.T, open OpenShop) {
	t.Parallel()
	e := newPersonEnv(t, open)
	tg, web, web2 := tgBuyer(1).Identity(), webBuyer(1).Identity(), webBuyer(2).Identity()
	c, err := e.persons.NewLinkCode(e.ctx, tg)
	if err != nil || len(c.Code) != commerce.LinkCodeLen || c.ExpiresAt != e.clock.Now().Add(e.persons.CodeTTL()) {
		t.Fatalf("NewLinkCode = %+v, %v", c, err)
	}
	_, err = e.persons.RedeemLinkCode(e.ctx, tg, c.Code)
	wantErr(t, "own code", err, commerce.ErrInvalid)
	// Typed loosely: lower case, the dash, spaces.
	loose := " " + strings.ToLower(c.Display()[:3]) + " " + c.Display()[3:] + " "
	owner, err := e.persons.RedeemLinkCode(e.ctx, web, loose)
	if err != nil || owner != tg {
		t.Fatalf("redeem %q = %s, %v; want %s", loose, owner, err, tg)
	}
	if owner, err := e.persons.RedeemLinkCode(e.ctx, web, c.Code); err != nil || owner != tg {
		t.Errorf("the same identity again (a retried message) = %s, %v", owner, err)
	}
	_, err = e.persons.RedeemLinkCode(e.ctx, web2, c.Code)
	wantErr(t, "used code", err, commerce.ErrWrongCode)
	old, err := e.persons.NewLinkCode(e.ctx, tg)
	if err != nil {
		t.Fatal(err)
	}
	e.clock.Advance(e.persons.CodeTTL())
	_, err = e.persons.RedeemLinkCode(e.ctx, web2, old.Code)
	wantErr(t, "expired code", err, commerce.ErrCodeExpired)
	_, err = e.persons.RedeemLinkCode(e.ctx, web2, "not a code")
	wantErr(t, "garbage", err, commerce.ErrWrongCode)
	e.clock.Advance(10 * time.Minute)
	if n, err := e.persons.Prune(e.ctx); err != nil || n == 0 {
		t.Errorf("Prune = %d, %v; want the expired codes gone", n, err)
	}
}

// testPersonLinkCodeGuesses: many wrong codes at once from one identity
// are evaluated no more than the allowance; afterwards even the right code
// is refused until the window passes, and other identities are not hindered.
func testPersonLinkCodeGuesses(t *testing.T, open OpenShop) {
	t.Parallel()
	e := newPersonEnv(t, open)
	guesser, other := webBuyer(66).Identity(), webBuyer(67).Identity()
	c, err := e.persons.NewLinkCode(e.ctx, tgBuyer(1).Identity())
	if err != nil {
		t.Fatal(err)
	}
	const n = 40
	errs := make([]error, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Go(func() {
			<-start
			_, errs[i] = e.persons.RedeemLinkCode(e.ctx, guesser, guessCode(i))
		})
	}
	close(start)
	wg.Wait()
	wrong, limited := 0, 0
	for i, err := range errs {
		switch {
		case errors.Is(err, commerce.ErrWrongCode):
			wrong++
		case errors.Is(err, commerce.ErrRateLimited):
			limited++
		default:
			t.Fatalf("guess %d: %v", i, err)
		}
	}
	if wrong != 5 || limited != n-5 {
		t.Fatalf("%d concurrent guesses: %d evaluated, %d refused; want 5 evaluated (the allowance)", n, wrong, limited)
	}
	_, err = e.persons.RedeemLinkCode(e.ctx, guesser, c.Code)
	wantErr(t, "the right code after the allowance", err, commerce.ErrRateLimited)
	e.clock.Advance(10 * time.Minute)
	c2, err := e.persons.NewLinkCode(e.ctx, tgBuyer(2).Identity())
	if err != nil {
		t.Fatal(err)
	}
	if owner, err := e.persons.RedeemLinkCode(e.ctx, other, c2.Code); err != nil || owner != tgBuyer(2).Identity() {
		t.Errorf("another identity is hindered: %s, %v", owner, err)
	}
	c3, err := e.persons.NewLinkCode(e.ctx, tgBuyer(1).Identity())
	if err != nil {
		t.Fatal(err)
	}
	if owner, err := e.persons.RedeemLinkCode(e.ctx, guesser, c3.Code); err != nil || owner != tgBuyer(1).Identity() {
		t.Errorf("after the window, a right code = %s, %v", owner, err)
	}
}

// testPersonLinkWhileOrdering: links made while the person's identities
// place orders never let the person past its limit of open orders.
func testPersonLinkWhileOrdering(t *testing.T, open OpenShop) {
	t.Parallel()
	e := newPersonEnv(t, open)
	lim := commerce.PersonLimits{OpenOrders: 3}
	buyers := []commerce.Buyer{tgBuyer(1), wxBuyer(1), webBuyer(1), webBuyer(2)}
	e.link(buyers[0], buyers[1])
	e.link(buyers[2], buyers[3])
	var placed atomic.Int64
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range 16 {
		wg.Go(func() {
			<-start
			b := buyers[i%len(buyers)]
			_, err := e.place(b, fmt.Sprintf("+861380000%04d", i), 1, lim)
			var le *commerce.LimitError
			switch {
			case err == nil:
				placed.Add(1)
			case !errors.As(err, &le):
				t.Errorf("order of %s: %v", b.Key(), err)
			}
		})
	}
	wg.Go(func() {
		<-start
		if _, err := e.persons.Link(e.ctx, buyers[1].Identity(), buyers[3].Identity()); err != nil {
			t.Errorf("Link: %v", err)
		}
	})
	close(start)
	wg.Wait()
	// Before the link each half could fill its own limit (3 + 3 at most);
	// whatever the interleaving, the person ends with at most 6, and any
	// order after the link is refused.
	if n := placed.Load(); n < 3 || n > 6 {
		t.Fatalf("%d orders placed; want 3..6", n)
	}
	if _, err := e.place(buyers[0], "+8613800009999", 1, lim); !errors.Is(err, commerce.ErrOpenOrders) {
		t.Fatalf("after the link: %v; want ErrOpenOrders", err)
	}
}

// guessCode is a well-formed link code nobody was given: "ZZZZ" and i in
// the codes' alphabet.
func guessCode(i int) string {
	const alphabet = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
	b := []byte("ZZZZ2222")
	for j := 7; j >= 4 && i > 0; j-- {
		b[j] = alphabet[i%len(alphabet)]
		i /= len(alphabet)
	}
	return string(b)
}
