// Package storetest is the one conformance suite every store implementation
// passes: SQLite, Postgres, Redis (sessions, de-duplication and locks) and
// the in-process locker. Each driver's tests call Run once with a Driver
// that opens fresh stores; Run runs every topic the driver implements, so a
// topic added here runs on every driver.
//
// Each topic is a short function whose behaviours are named subtests, each
// a function of its own. Every subtest opens its own fresh, isolated store
// (its own schema, database or key prefix); no test depends on wall-clock
// time: shop times are fixed or come from an injected clock, and concurrent
// cases synchronize explicitly.
package storetest

import (
	"context"
	"database/sql"
	"errors"
	"sync"
	"testing"

	"shopbot/chatstate"
	"shopbot/commerce"
	"shopbot/staff/auth"
)

// ShopStore is everything the shop keeps in its database: catalog and
// orders, drops and their posts, pickup, the seller's writes, the audience
// and broadcasts, the sign-ins of the shop's web pages, deployment settings
// and the web chat's inbox.
type ShopStore interface {
	commerce.Store
	commerce.DropStore
	commerce.DropPostStore
	commerce.PickupServiceStore
	commerce.OrderDeskStore
	commerce.SellerStore
	commerce.ShopSetupStore
	commerce.AudienceStore
	commerce.BroadcastStore
	commerce.QuestionStore
	commerce.ConsoleStore
	commerce.PaymentFlowStore
	auth.Store
	chatstate.WebIdentities
	chatstate.History
	InitSetting(ctx context.Context, key, value string) (string, error)
	SetSetting(ctx context.Context, key, value string) error
	SwapSetting(ctx context.Context, key, old, new string) (bool, error)
	Push(ctx context.Context, userKey string, payload []byte) error
	Pull(ctx context.Context, userKey string, limit int) ([][]byte, error)
	NormalizePhones(ctx context.Context, region string, norm func(string) (string, error)) (int, error)
	DB() *sql.DB // to count what the store holds behind its interfaces
}

// OpenShop returns a fresh, empty, migrated ShopStore whose event hook calls
// hook inside the transaction that emitted the event.
type OpenShop func(t *testing.T, hook func(commerce.Event) error) ShopStore

// plain opens a store whose events go nowhere.
func (o OpenShop) plain(t *testing.T) ShopStore { return o(t, noHook) }

func noHook(commerce.Event) error { return nil }

// Driver is one store implementation under test. Each field opens a fresh
// store for one test, sharing nothing (schema, database, key prefix) with
// the stores of other calls; a nil field is a part the driver does not
// implement, and its topics do not run.
type Driver struct {
	// Shop opens the shop's store (see ShopStore).
	Shop OpenShop
	// Sessions, Deduper, Locker and LockingSessions open the chat state
	// stores of package chatstate.
	Sessions        func(t *testing.T) chatstate.SessionStore
	Deduper         func(t *testing.T) chatstate.Deduper
	Locker          func(t *testing.T) chatstate.Locker
	LockingSessions func(t *testing.T) chatstate.LockingSessionStore
	// Limiter opens a message limiter (see OpenLimiter).
	Limiter OpenLimiter
	// History opens the web chat's history store when it is not the
	// Shop store (Redis); WindowLimiter opens a limiter of new web
	// identities.
	History       func(t *testing.T) chatstate.History
	WindowLimiter OpenWindowLimiter
}

// Run runs every topic of the suite the driver implements, each as a named
// subtest ("Shop", "Drops", "Sessions" …). Topics run one after another;
// the behaviours inside a topic run in parallel where they always did.
func Run(t *testing.T, d Driver) {
	t.Helper()
	if d.Shop == nil && d.Sessions == nil && d.Deduper == nil && d.Locker == nil && d.LockingSessions == nil && d.Limiter == nil &&
		d.History == nil && d.WindowLimiter == nil {
		t.Fatal("storetest: the driver opens nothing")
	}
	t.Run("Driver", func(t *testing.T) { checkDeclared(t, d) })
	if d.Shop != nil {
		for _, topic := range []struct {
			name string
			run  func(*testing.T, OpenShop)
		}{
			{"Shop", runShop},
			{"Events", runEvents},
			{"SettingsInbox", runSettingsInbox},
			{"Seller", runSeller},
			{"Drops", runDrops},
			{"DropPosts", runDropPosts},
			{"DropFlows", runDropFlows},
			{"DropAdmin", runDropAdmin},
			{"DropPay", runDropPay},
			{"PickupRefunds", runPickupRefunds},
			{"Pickup", runPickup},
			{"OrderCancel", runOrderCancel},
			{"OrderDesk", runOrderDesk},
			{"Broadcasts", runBroadcasts},
			{"Auth", runAuth},
			{"Persons", runPersons},
			{"Limits", runLimits},
			{"Phones", runPhones},
			{"WebIdentities", runWebIdentities},
			{"Search", runSearch},
			{"Questions", runQuestions},
			{"Console", runConsole},
			{"ShopSetup", runShopSetup},
			{"Restock", runRestock},
			{"Payments", runPayments},
			{"PayCounter", runPayCounter},
		} {
			t.Run(topic.name, func(t *testing.T) { topic.run(t, d.Shop) })
		}
	}
	if d.Sessions != nil {
		t.Run("Sessions", func(t *testing.T) { runSessions(t, d.Sessions) })
	}
	if d.Deduper != nil {
		t.Run("Deduper", func(t *testing.T) { runDeduper(t, d.Deduper) })
	}
	if d.Locker != nil {
		t.Run("Locker", func(t *testing.T) { runLocker(t, d.Locker) })
	}
	if d.LockingSessions != nil {
		t.Run("LockingSessions", func(t *testing.T) { runLockingSessions(t, d.LockingSessions) })
	}
	if d.Limiter != nil {
		t.Run("Limiter", func(t *testing.T) { runLimiter(t, d.Limiter) })
	}
	if d.History != nil {
		t.Run("History", func(t *testing.T) { runHistory(t, d.History) })
	}
	if d.WindowLimiter != nil {
		t.Run("WindowLimiter", func(t *testing.T) { runWindowLimiter(t, d.WindowLimiter) })
	}
}

// checkDeclared fails when a store the driver opens implements a part of
// the suite the driver left nil, so that part's topic would silently not
// run on it.
func checkDeclared(t *testing.T, d Driver) {
	var opened []any
	if d.Shop != nil {
		opened = append(opened, d.Shop.plain(t))
	}
	if d.Sessions != nil {
		opened = append(opened, d.Sessions(t))
	}
	if d.Deduper != nil {
		opened = append(opened, d.Deduper(t))
	}
	if d.Locker != nil {
		opened = append(opened, d.Locker(t))
	}
	if d.LockingSessions != nil {
		opened = append(opened, d.LockingSessions(t))
	}
	for _, s := range opened {
		for _, part := range []struct {
			name          string
			declared, has bool
		}{
			{"Sessions", d.Sessions != nil, implements[chatstate.SessionStore](s)},
			{"Deduper", d.Deduper != nil, implements[chatstate.Deduper](s)},
			{"Locker", d.Locker != nil, implements[chatstate.Locker](s)},
			{"LockingSessions", d.LockingSessions != nil, implements[chatstate.LockingSessionStore](s)},
		} {
			if part.has && !part.declared {
				t.Errorf("%T implements what Driver.%s tests, but the driver leaves it nil", s, part.name)
			}
		}
	}
}

func implements[I any](s any) bool { _, ok := s.(I); return ok }

// eventLog records a store's events; fail makes the hook fail for one
// event name.
type eventLog struct {
	mu     sync.Mutex
	events []commerce.Event
	fail   string
}

func (l *eventLog) hook(e commerce.Event) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.fail != "" && l.fail == e.EventName() {
		return errors.New("queue down")
	}
	l.events = append(l.events, e)
	return nil
}

// failOn makes the hook fail for events named name ("" for none).
func (l *eventLog) failOn(name string) {
	l.mu.Lock()
	l.fail = name
	l.mu.Unlock()
}

// named returns the recorded events with that name, in order.
func (l *eventLog) named(name string) []commerce.Event {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []commerce.Event
	for _, e := range l.events {
		if e.EventName() == name {
			out = append(out, e)
		}
	}
	return out
}

// all returns every recorded event, in order.
func (l *eventLog) all() []commerce.Event {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]commerce.Event(nil), l.events...)
}

func (l *eventLog) reset() {
	l.mu.Lock()
	l.events = nil
	l.mu.Unlock()
}

func countTrue(bs []bool) int {
	n := 0
	for _, b := range bs {
		if b {
			n++
		}
	}
	return n
}

// behaviour is one named subtest of a topic, a function of its own.
type behaviour[O any] struct {
	name string
	run  func(*testing.T, O)
}

// runAll runs each behaviour as a subtest, handing it open.
func runAll[O any](t *testing.T, open O, bs []behaviour[O]) {
	t.Helper()
	for _, b := range bs {
		t.Run(b.name, func(t *testing.T) { b.run(t, open) })
	}
}
