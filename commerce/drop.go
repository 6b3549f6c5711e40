package commerce

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"
)

// Drop is a limited number of units of one product sold at a fixed price from
// a start time on, at most PerBuyerLimit units per buyer. Buying reserves
// units for ReservationTTL; an expired reservation returns them.
type Drop struct {
	ID             int64
	Code           string // short, unique, URL-safe: /d/{code}
	ProductID      int64
	Units          int // units put on sale
	Left           int // units not reserved now (read from the store; ignored by CreateDrop)
	Price          Money
	StartsAt       time.Time
	TimeZone       string // IANA zone the start was set in and is shown in; "" = the shop's
	PerBuyerLimit  int
	ReservationTTL time.Duration
	CreatedAt      time.Time
	CancelledAt    time.Time // zero while the drop stands; set once by CancelDrop
	Key            string    // the creator's idempotency key; "" for none
}

// Limits of a drop.
const (
	DropCodeLen    = 8
	MaxDropUnits   = 1_000_000
	dropCodeLetter = "23456789abcdefghjkmnpqrstuvwxyz" // no 0/1/i/l/o: read aloud and typed safely
)

// NewDropCode returns DropCodeLen random URL-safe characters from crypto/rand.
func NewDropCode() string {
	b := make([]byte, DropCodeLen)
	// rand.Read never fails on supported platforms (it panics instead).
	_, _ = rand.Read(b)
	for i := range b {
		// 31 letters: the bias of modulo 256 is irrelevant for a collision-checked code.
		b[i] = dropCodeLetter[int(b[i])%len(dropCodeLetter)]
	}
	return string(b)
}

// ValidDropCode reports whether code is shaped like NewDropCode's output.
func ValidDropCode(code string) bool {
	if len(code) != DropCodeLen {
		return false
	}
	for i := 0; i < len(code); i++ {
		ok := false
		for j := 0; j < len(dropCodeLetter); j++ {
			if code[i] == dropCodeLetter[j] {
				ok = true
				break
			}
		}
		if !ok {
			return false
		}
	}
	return true
}

// Validate checks a drop before it is created; errors wrap ErrInvalid.
func (d Drop) Validate() error {
	var problem string
	switch {
	case !ValidDropCode(d.Code):
		problem = fmt.Sprintf("code %q is not %d URL-safe characters", d.Code, DropCodeLen)
	case d.ProductID <= 0:
		problem = "no product"
	case d.Units <= 0 || d.Units > MaxDropUnits:
		problem = fmt.Sprintf("units %d not in 1..%d", d.Units, MaxDropUnits)
	case d.Price.Amount <= 0 || len(d.Price.Currency) != 3:
		problem = "price must be positive with an ISO 4217 currency"
	case d.StartsAt.IsZero():
		problem = "no start time"
	case !validZone(d.TimeZone):
		problem = fmt.Sprintf("unknown time zone %q", d.TimeZone)
	case d.PerBuyerLimit <= 0 || d.PerBuyerLimit > d.Units:
		problem = fmt.Sprintf("per-buyer limit %d not in 1..%d", d.PerBuyerLimit, d.Units)
	case d.ReservationTTL < time.Minute || d.ReservationTTL > 7*24*time.Hour:
		problem = fmt.Sprintf("reservation time %s not in 1m..168h", d.ReservationTTL)
	default:
		return nil
	}
	return fmt.Errorf("drop: %s: %w", problem, ErrInvalid)
}

// DropReservationStatus is the state of a drop reservation.
type DropReservationStatus string

const (
	DropReserved DropReservationStatus = "reserved" // holds units until ExpiresAt
	DropExpired  DropReservationStatus = "expired"  // units returned to the drop
)

// DropReservation is units of a drop held for one buyer.
type DropReservation struct {
	ID        int64
	DropID    int64
	Buyer     Buyer
	Qty       int
	Key       string // the client's idempotency key (callback id, update id)
	Status    DropReservationStatus
	CreatedAt time.Time
	ExpiresAt time.Time
	// Replayed is true when an earlier call with the same key created the
	// reservation and this call changed nothing. It is not stored.
	Replayed bool
}

// DropStore holds drops and takes their units under a rush. Every taking
// method is one transaction of conditional statements; none reads a count
// and writes it back.
type DropStore interface {
	DropGateSource
	PersonLinks // reservations belong to the buyer's person
	// CreateDrop inserts d with all its units left, emits DropCreated, and
	// returns it with ID set. Drop units are set aside apart from the
	// product's stock (which CreateDrop does not touch). ErrInvalid if d
	// fails Validate, ErrNotFound if the product does not
	// exist, ErrConflict if the code is taken (retry with a new code).
	CreateDrop(ctx context.Context, d Drop) (Drop, error)
	// Drop returns one drop with its current Left. ErrNotFound if absent.
	Drop(ctx context.Context, id int64) (Drop, error)
	// DropByCode returns one drop by its code. ErrNotFound if absent.
	DropByCode(ctx context.Context, code string) (Drop, error)
	// Reserve, in one transaction, takes qty units of the drop if at least qty
	// are left and the drop started at or before now, raises the buyer's
	// count if the units of the buyer's person (every identity linked with
	// buyer) stay within the per-buyer limit, checks under the person's
	// lock that the person's live reservations across drops stay within
	// lim.Reservations and that pay at pickup is not suspended (a
	// *LimitError: ErrReservationLimit, ErrPayAtPickupSuspended), and
	// inserts a reservation expiring ReservationTTL after now. It is
	// idempotent on key: when a reservation with key exists (for this drop
	// and buyer) it is returned with Replayed set and nothing changes.
	// Errors (nothing changed): ErrNotFound (no such drop),
	// ErrDropNotStarted, ErrSoldOut, ErrDropLimit, a *LimitError,
	// ErrQuantity (qty < 1), ErrInvalid (empty key), ErrConflict (the key
	// belongs to another drop or buyer).
	Reserve(ctx context.Context, dropID int64, buyer Buyer, qty int, key string, now time.Time, lim PersonLimits) (DropReservation, error)
	// DropReservationByKey returns the reservation created with key. ErrNotFound if none.
	DropReservationByKey(ctx context.Context, key string) (DropReservation, error)
	// ExpireReservation marks a reserved reservation whose ExpiresAt is at or
	// before now expired and returns its units to the drop and to the buyer's
	// count, in one transaction. It does so exactly once: expired is false
	// (and nothing changes) when the reservation is already expired or not
	// yet due. An expiry emits DropUnitsFreed. ErrNotFound if absent.
	ExpireReservation(ctx context.Context, id int64, now time.Time) (r DropReservation, expired bool, err error)
	// DueDropReservations lists reserved reservations with ExpiresAt at or before now.
	DueDropReservations(ctx context.Context, now time.Time, limit int) ([]int64, error)
	DropFlowStore
	DropAdminStore
}

// DropGate is a fast, rebuildable filter in front of DropStore.Reserve (the
// Redis Lua gate). It only filters: the store decides.
type DropGate interface {
	// Load sets the drop's unit counter unless it is already set.
	Load(ctx context.Context, code string, units int) error
	// Reset sets the drop's unit counter and forgets its admissions: for a
	// drop that has not started (and so admitted no one) whose units changed.
	Reset(ctx context.Context, code string, units int) error
	// Try admits qty units for buyer. Refusals return admitted=false with an
	// error matching ErrSoldOut (the buyer holds no units the gate admitted,
	// so a reservation of theirs is not to be expected) or ErrDropLimit (the
	// buyer holds admitted units: the call may be a retry); any other error
	// means the gate failed and the caller should ask the store (fail open).
	// A gate that lost its state admits.
	Try(ctx context.Context, code, buyer string, qty, limit int) (admitted bool, err error)
	// Return gives back units admitted earlier that the store refused or
	// that expired.
	Return(ctx context.Context, code, buyer string, qty int) error
	// Admitted returns the units the gate counts as admitted per buyer.
	Admitted(ctx context.Context, code string) (map[string]int, error)
}

// DropServiceOptions configures a DropService.
type DropServiceOptions struct {
	Store DropStore
	Gate  DropGate // nil: the store alone decides (embedded default)
	Clock Clock    // default SystemClock
	Log   *slog.Logger
	// Limits are the per-person limits (reservations, waitlists, open
	// orders); zero takes DefaultPersonLimits, NoPersonLimits turns them off.
	Limits PersonLimits
	// Phone normalizes the phone of a drop order (ShopOptions.Phone).
	Phone PhoneNormalizer
}

// DropService creates drops and reserves their units: the gate filters the
// rush, the store decides.
type DropService struct {
	store  DropStore
	gate   DropGate
	clock  Clock
	log    *slog.Logger
	limits PersonLimits
	phone  PhoneNormalizer
	pay    *Payments // UsePayments; nil or not Online: drop orders are paid at pickup
	drops  sync.Map  // id → cachedDrop: started drops only (Left is stale)

	repairMu sync.Mutex
	gaps     map[gateGapKey]gateGap // buyers the gate counts above the store, since when
}

// NewDropService returns a service over o.Store.
func NewDropService(o DropServiceOptions) *DropService {
	if o.Clock == nil {
		o.Clock = SystemClock
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	if o.Phone == nil {
		o.Phone = NormalizePhone
	}
	return &DropService{store: o.Store, gate: o.Gate, clock: o.Clock, log: o.Log, limits: o.Limits.withDefaults(), phone: o.Phone}
}

// Now is the service's clock.
func (s *DropService) Now() time.Time { return s.clock.Now() }

// Create stores a new drop with a fresh code (retrying on a code collision)
// and loads its units into the gate. Errors as DropStore.CreateDrop.
func (s *DropService) Create(ctx context.Context, d Drop) (Drop, error) {
	d.CreatedAt = s.clock.Now()
	var err error
	for range 5 {
		d.Code = NewDropCode()
		if err = d.Validate(); err != nil {
			return d, err
		}
		var created Drop
		created, err = s.store.CreateDrop(ctx, d)
		if errors.Is(err, ErrConflict) {
			continue
		}
		if err != nil {
			return d, err
		}
		if s.gate != nil {
			if gerr := s.gate.Load(ctx, created.Code, created.Units); gerr != nil {
				// The gate admits what it does not know: only speed is lost.
				s.log.Warn("drop gate load failed", "drop", created.Code, "err", gerr)
			}
		}
		return created, nil
	}
	return d, fmt.Errorf("create drop: codes kept colliding: %w", err)
}

// cachedDrop is a drop read at or after its start. A seller may change a
// drop's terms only before its start, so such a copy stays right but for
// its units (the gate's business) and a cancel. A copy read before the
// start could be outdated by an edit on another replica, so it is never
// kept; a started one is read again after dropCacheTTL, so a cancel on
// another replica is followed within that time even when the gate answers
// "sold out" before the store is asked (the store refuses at once anyway).
type cachedDrop struct {
	d  Drop
	at time.Time
}

// dropCacheTTL bounds how long a replica trusts its copy of a started drop:
// one read a second per drop and replica, under any rush.
const dropCacheTTL = time.Second

func (s *DropService) drop(ctx context.Context, id int64) (Drop, error) {
	if c, ok := s.drops.Load(id); ok && s.clock.Now().Sub(c.(cachedDrop).at) < dropCacheTTL {
		return c.(cachedDrop).d, nil
	}
	d, err := s.store.Drop(ctx, id)
	if err != nil {
		return d, err
	}
	if now := s.clock.Now(); !now.Before(d.StartsAt) {
		s.drops.Store(id, cachedDrop{d: d, at: now})
	}
	return d, nil
}

// Reserve reserves qty units of a drop for buyer, idempotently on key.
// Errors as DropStore.Reserve.
func (s *DropService) Reserve(ctx context.Context, dropID int64, buyer Buyer, qty int, key string) (DropReservation, error) {
	now := s.clock.Now()
	d, err := s.drop(ctx, dropID)
	if err != nil {
		return DropReservation{}, err
	}
	if !d.CancelledAt.IsZero() {
		return DropReservation{}, fmt.Errorf("drop %s: %w", d.Code, ErrDropCancelled)
	}
	if now.Before(d.StartsAt) {
		return DropReservation{}, fmt.Errorf("drop %s starts %s: %w", d.Code, d.StartsAt.Format(time.RFC3339), ErrDropNotStarted)
	}
	admitted := false
	if s.gate != nil && qty > 0 {
		ok, gerr := s.gate.Try(ctx, d.Code, buyer.Key(), qty, d.PerBuyerLimit)
		switch {
		case ok:
			admitted = true
		case errors.Is(gerr, ErrSoldOut):
			// The rush's common answer, decided in Redis alone: the buyer
			// holds nothing the gate admitted, so there is no reservation to
			// return. (After a Redis flush the admitted counts are gone; a
			// double tap of a buyer who reserved before it is then told
			// "sold out" while the one reservation stands.)
			return DropReservation{}, fmt.Errorf("drop %s: %w", d.Code, gerr)
		case errors.Is(gerr, ErrDropLimit):
			// A retried key whose first call was admitted gets its reservation back.
			if r, kerr := s.store.DropReservationByKey(ctx, key); kerr == nil && r.DropID == dropID && r.Buyer == buyer {
				r.Replayed = true
				return r, nil
			}
			// An admission whose call never reached the store (the process
			// died in between) still counts against the buyer in the gate,
			// and its unit is missing from the counter. The store's count
			// is the truth: when it leaves room, the store decides, and a
			// reservation made now is the one the stale admission stood for.
			if taken, terr := s.store.DropBuyerTaken(ctx, dropID, buyer); terr != nil || taken+qty > d.PerBuyerLimit {
				return DropReservation{}, fmt.Errorf("drop %s: %w", d.Code, gerr)
			}
		default:
			s.log.Warn("drop gate failed; the database decides", "drop", d.Code, "err", gerr)
		}
	}
	r, err := s.store.Reserve(ctx, dropID, buyer, qty, key, now, s.limits)
	if errors.Is(err, ErrDropCancelled) || errors.Is(err, ErrDropNotStarted) {
		s.drops.Delete(dropID) // changed on another replica: read it afresh next time
	}
	if admitted && (err != nil || r.Replayed) {
		s.giveBack(ctx, d.Code, buyer, qty)
	}
	return r, err
}

// Expire expires a due reservation exactly once, returning its units to the
// drop and the gate. Errors as DropStore.ExpireReservation.
func (s *DropService) Expire(ctx context.Context, id int64) (bool, error) {
	r, expired, err := s.store.ExpireReservation(ctx, id, s.clock.Now())
	if err != nil || !expired {
		return false, err
	}
	if s.gate != nil {
		if d, err := s.drop(ctx, r.DropID); err == nil {
			s.giveBack(ctx, d.Code, r.Buyer, r.Qty)
		}
	}
	return true, nil
}

// ExpireDue expires every due reservation (the safety net behind the
// per-reservation job) and reports how many it expired.
func (s *DropService) ExpireDue(ctx context.Context) (int, error) {
	ids, err := s.store.DueDropReservations(ctx, s.clock.Now(), 500)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, id := range ids {
		ok, err := s.Expire(ctx, id)
		if err != nil {
			return n, err
		}
		if ok {
			n++
		}
	}
	return n, nil
}

func (s *DropService) giveBack(ctx context.Context, code string, buyer Buyer, qty int) {
	key := buyer.Key()
	if buyer == (Buyer{}) {
		key = "" // new units (AddUnits): only the counter rises
	}
	if err := s.gate.Return(ctx, code, key, qty); err != nil {
		// The gate then refuses a little early until reloaded; the store still decides.
		s.log.Warn("drop gate return failed", "drop", code, "err", err)
	}
}

func validZone(name string) bool {
	if name == "" {
		return true
	}
	_, err := time.LoadLocation(name)
	return err == nil
}
