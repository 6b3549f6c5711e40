package commerce

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// ShopOptions configures a Shop.
type ShopOptions struct {
	Store          Store
	Clock          Clock         // default SystemClock
	ReservationTTL time.Duration // how long a pending order holds stock; default 15 min
	MaxQtyPerLine  int           // per-product cap in one order; default 10
	// Limits are the per-person limits of orders; zero takes
	// DefaultPersonLimits, NoPersonLimits turns them off.
	Limits PersonLimits
	// Phone normalizes phone numbers to the one form they are stored and
	// counted in (E.164; see package phone); nil keeps NormalizePhone's digits.
	Phone PhoneNormalizer
}

// PhoneNormalizer turns a phone number as typed into the one form it is
// stored and counted in, or fails with ErrInvalid.
type PhoneNormalizer func(s string) (string, error)

// Shop is the buyer-facing use cases of the domain.
type Shop struct {
	store  Store
	clock  Clock
	ttl    time.Duration
	max    int
	limits PersonLimits
	phone  PhoneNormalizer
	// pay, when set (UsePayments), decides whether an order may be paid
	// at pickup (ConfirmOrder).
	pay *Payments
}

// UsePayments makes ConfirmOrder (pay at pickup) refuse orders that must
// be paid online (cross-border goods while online payment is configured).
func (s *Shop) UsePayments(p *Payments) { s.pay = p }

// NewShop builds a Shop with defaults filled in.
func NewShop(o ShopOptions) *Shop {
	s := &Shop{store: o.Store, clock: o.Clock, ttl: o.ReservationTTL, max: o.MaxQtyPerLine,
		limits: o.Limits.withDefaults(), phone: o.Phone}
	if s.clock == nil {
		s.clock = SystemClock
	}
	if s.phone == nil {
		s.phone = NormalizePhone
	}
	if s.ttl <= 0 {
		s.ttl = 15 * time.Minute
	}
	if s.max <= 0 {
		s.max = 10
	}
	return s
}

// MaxQtyPerLine is the per-product cap of one order.
func (s *Shop) MaxQtyPerLine() int { return s.max }

// ReservationTTL is how long a pending order holds its stock.
func (s *Shop) ReservationTTL() time.Duration { return s.ttl }

// Store exposes the underlying store for read-only listings.
func (s *Shop) Store() Store { return s.store }

// Now is the shop's clock.
func (s *Shop) Now() time.Time { return s.clock.Now() }

// Limits are the per-person limits the shop's orders are held to.
func (s *Shop) Limits() PersonLimits { return s.limits }

// NormalizePhone is a phone number in the form it is stored and counted
// in (ShopOptions.Phone), or ErrInvalid.
func (s *Shop) NormalizePhone(raw string) (string, error) { return s.phone(raw) }

// OpenUsage is what b's person (and phone, when not empty) has open now.
func (s *Shop) OpenUsage(ctx context.Context, b Buyer, phone string) (OpenUsage, error) {
	return s.store.OpenUsage(ctx, b.Identity(), phone, s.clock.Now(), s.limits.LapseBan)
}

// SellableProduct returns a product that can be put in a cart: it exists and is
// active. ErrNotFound or ErrUnavailable otherwise.
func (s *Shop) SellableProduct(ctx context.Context, id int64) (Product, error) {
	p, err := s.store.Product(ctx, id)
	if err != nil {
		return Product{}, err
	}
	if !p.Active {
		return p, fmt.Errorf("product %d: %w", id, ErrUnavailable)
	}
	return p, nil
}

// AddToCart validates and adds qty units of a product to the cart.
func (s *Shop) AddToCart(ctx context.Context, c *Cart, productID int64, qty int) (Product, error) {
	p, err := s.SellableProduct(ctx, productID)
	if err != nil {
		return p, err
	}
	if qty <= 0 || qty > s.max {
		return p, fmt.Errorf("qty %d: %w", qty, ErrQuantity)
	}
	if line, ok := c.Line(productID); ok && line.Qty+qty > p.Stock || !ok && qty > p.Stock {
		return p, fmt.Errorf("product %d has %d left: %w", productID, p.Stock, ErrSoldOut)
	}
	return p, c.Add(productID, qty, s.max, p.Price)
}

// QuoteLine is a cart line priced from the database.
type QuoteLine struct {
	Product Product
	Qty     int
	Total   Money
}

// Quote is a cart priced from the database.
type Quote struct {
	Lines []QuoteLine
	Total Money
	// Dropped lists cart lines whose product is gone or hidden.
	Dropped []int64
}

// PriceCart prices every line from the database; it never trusts SeenPrice.
func (s *Shop) PriceCart(ctx context.Context, c Cart) (Quote, error) {
	var q Quote
	for _, l := range c.Lines {
		p, err := s.SellableProduct(ctx, l.ProductID)
		if errors.Is(err, ErrNotFound) || errors.Is(err, ErrUnavailable) {
			q.Dropped = append(q.Dropped, l.ProductID)
			continue
		}
		if err != nil {
			return Quote{}, err
		}
		line := QuoteLine{Product: p, Qty: l.Qty, Total: p.Price.Mul(l.Qty)}
		if q.Total, err = q.Total.Add(line.Total); err != nil {
			return Quote{}, err
		}
		q.Lines = append(q.Lines, line)
	}
	return q, nil
}

// Checkout is what the buyer entered to place an order.
type Checkout struct {
	Buyer          Buyer
	ChatID         string
	Lang           string
	Cart           Cart
	PickupPointID  int64
	ContactName    string
	Phone          string
	IdempotencyKey string // same key → same order
}

// NormalizePhone returns a phone number as "+digits" or digits, or
// ErrInvalid: the checks that need no numbering plan. The shop stores
// E.164 (ShopOptions.Phone).
func NormalizePhone(s string) (string, error) {
	s = strings.TrimSpace(s)
	var b strings.Builder
	for i, r := range s {
		switch {
		case r >= '0' && r <= '9':
			b.WriteRune(r)
		case r == '+' && i == 0:
			b.WriteRune(r)
		case r == ' ' || r == '-' || r == '(' || r == ')':
		default:
			return "", fmt.Errorf("phone: %w", ErrInvalid)
		}
	}
	digits := strings.TrimPrefix(b.String(), "+")
	if len(digits) < 6 || len(digits) > 15 {
		return "", fmt.Errorf("phone length %d: %w", len(digits), ErrInvalid)
	}
	return b.String(), nil
}

// NormalizeName trims a contact name and checks it is 1–40 printable characters.
func NormalizeName(s string) (string, error) {
	s = strings.Join(strings.Fields(s), " ")
	n := utf8.RuneCountInString(s)
	if n == 0 || n > 40 || !utf8.ValidString(s) {
		return "", fmt.Errorf("name: %w", ErrInvalid)
	}
	for _, r := range s {
		if !unicode.IsPrint(r) || strings.ContainsRune("<>{}", r) {
			return "", fmt.Errorf("name: %w", ErrInvalid)
		}
	}
	return s, nil
}

// PlaceOrder turns a cart into a pending order that holds its stock for the
// reservation TTL. Prices come from the database; when one differs from what
// the buyer saw, a *PriceChangedError is returned and nothing is reserved.
// The person's limits hold (a *LimitError; see OrderStore.PlaceOrder).
// Calling it again with the same IdempotencyKey returns the same order with
// created=false.
func (s *Shop) PlaceOrder(ctx context.Context, c Checkout) (o Order, created bool, err error) {
	if c.IdempotencyKey == "" {
		return Order{}, false, fmt.Errorf("missing idempotency key: %w", ErrInvalid)
	}
	if o, err := s.store.OrderByKey(ctx, c.IdempotencyKey); err == nil {
		return o, false, nil
	} else if !errors.Is(err, ErrNotFound) {
		return Order{}, false, err
	}
	return s.placeOrder(ctx, c)
}

func (s *Shop) placeOrder(ctx context.Context, c Checkout) (Order, bool, error) {
	if c.Cart.Empty() {
		return Order{}, false, ErrEmptyCart
	}
	name, err := NormalizeName(c.ContactName)
	if err != nil {
		return Order{}, false, err
	}
	phone, err := s.phone(c.Phone)
	if err != nil {
		return Order{}, false, err
	}
	pt, err := s.store.PickupPoint(ctx, c.PickupPointID)
	if err != nil {
		return Order{}, false, err
	}
	if !pt.Active {
		return Order{}, false, fmt.Errorf("pickup point %d inactive: %w", pt.ID, ErrInvalid)
	}
	now := s.clock.Now()
	o := Order{
		Buyer: c.Buyer, ChatID: c.ChatID, Lang: c.Lang, Status: StatusPending,
		PickupPointID: pt.ID, ContactName: name, Phone: phone,
		IdempotencyKey: c.IdempotencyKey, CreatedAt: now, UpdatedAt: now, ExpiresAt: now.Add(s.ttl),
	}
	changed := &PriceChangedError{}
	for _, l := range c.Cart.Lines {
		if l.Qty <= 0 || l.Qty > s.max {
			return Order{}, false, fmt.Errorf("line %d qty %d: %w", l.ProductID, l.Qty, ErrQuantity)
		}
		p, err := s.SellableProduct(ctx, l.ProductID)
		if err != nil {
			return Order{}, false, err
		}
		if p.Price != l.SeenPrice {
			changed.Lines = append(changed.Lines, CartLine{ProductID: p.ID, Qty: l.Qty, SeenPrice: p.Price})
		}
		o.Lines = append(o.Lines, OrderLine{ProductID: p.ID, SKU: p.SKU, Title: p.Title, UnitPrice: p.Price, Qty: l.Qty})
		if o.Total, err = o.Total.Add(p.Price.Mul(l.Qty)); err != nil {
			return Order{}, false, err
		}
	}
	if len(changed.Lines) > 0 {
		return Order{}, false, changed
	}
	for attempt := 0; ; attempt++ {
		o.Number = NewOrderNumber()
		placed, created, err := s.store.PlaceOrder(ctx, o, s.limits)
		if errors.Is(err, ErrConflict) && attempt < 5 {
			continue
		}
		return placed, created, err
	}
}

// OwnOrder returns an order if it belongs to the buyer's person (placed by
// b or by an identity linked with b); ErrNotFound otherwise, so one buyer
// cannot learn about another's orders.
func (s *Shop) OwnOrder(ctx context.Context, b Buyer, id int64) (Order, error) {
	return ownOrder(ctx, s.store, b, id)
}

// Orders returns the newest orders of the buyer's person.
func (s *Shop) Orders(ctx context.Context, b Buyer, limit int) ([]Order, error) {
	return s.store.OrdersByBuyer(ctx, b, limit)
}

// ConfirmOrder confirms the buyer's pending order. Confirming an already
// confirmed order returns it unchanged (a double tap is harmless). A pending
// order whose reservation has run out is cancelled and ErrExpired returned.
func (s *Shop) ConfirmOrder(ctx context.Context, b Buyer, id int64) (Order, error) {
	o, err := s.OwnOrder(ctx, b, id)
	if err != nil {
		return Order{}, err
	}
	if o.Status == StatusConfirmed {
		return o, nil
	}
	if s.pay != nil && o.Status == StatusPending {
		offer, err := s.pay.Offer(ctx, o, o.Buyer.Channel)
		if err != nil {
			return Order{}, err
		}
		if !offer.AtPickup {
			return o, fmt.Errorf("order %s: pay at pickup: %w", o.Number, ErrPaymentMethod)
		}
	}
	if o.Status == StatusPending && !s.clock.Now().Before(o.ExpiresAt) {
		if _, err := s.ExpireOrder(ctx, id); err != nil {
			return Order{}, err
		}
		return Order{}, fmt.Errorf("order %d: %w", id, ErrExpired)
	}
	return s.transition(ctx, o, StatusConfirmed)
}

// CancelOrder cancels the buyer's unpaid order (pending or confirmed, since
// payment happens at pickup) and returns its stock. Cancelling a cancelled
// order is harmless.
func (s *Shop) CancelOrder(ctx context.Context, b Buyer, id int64) (Order, error) {
	o, err := s.OwnOrder(ctx, b, id)
	if err != nil {
		return Order{}, err
	}
	if o.Status == StatusCancelled {
		return o, nil
	}
	return s.transition(ctx, o, StatusCancelled)
}

// ExpireOrder cancels a pending order whose reservation has ended and returns
// its stock. It reports whether it expired the order; an order that is not
// pending is left alone, and one not yet due returns (false, nil) with its
// expiry time available to the caller through Order.
func (s *Shop) ExpireOrder(ctx context.Context, id int64) (bool, error) {
	o, err := s.store.Order(ctx, id)
	if err != nil {
		return false, err
	}
	if o.Status != StatusPending || s.clock.Now().Before(o.ExpiresAt) {
		return false, nil
	}
	_, err = s.store.SetOrderStatus(ctx, id, StatusPending, StatusCancelled, s.clock.Now())
	if errors.Is(err, ErrConflict) {
		return false, nil // confirmed or cancelled meanwhile
	}
	return err == nil, err
}

// ExpireDue expires every pending order whose reservation has ended; it is
// the safety net behind the per-order durable job. It returns how many expired.
func (s *Shop) ExpireDue(ctx context.Context) (int, error) {
	ids, err := s.store.ExpiredOrders(ctx, s.clock.Now(), 500)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, id := range ids {
		ok, err := s.ExpireOrder(ctx, id)
		if err != nil {
			return n, err
		}
		if ok {
			n++
		}
	}
	return n, nil
}

// AdvanceOrder moves any order along the state machine (seller and staff use).
func (s *Shop) AdvanceOrder(ctx context.Context, id int64, to OrderStatus) (Order, error) {
	o, err := s.store.Order(ctx, id)
	if err != nil {
		return Order{}, err
	}
	return s.transition(ctx, o, to)
}

func (s *Shop) transition(ctx context.Context, o Order, to OrderStatus) (Order, error) {
	if err := o.Status.Transition(to); err != nil {
		return Order{}, err
	}
	if to == StatusCancelled && (o.Status == StatusAwaitingPayment || o.Status == StatusPaid) ||
		o.Status == StatusAwaitingPayment && to == StatusPaid {
		// Closed at the provider first, or refunded, or recorded from the
		// provider's word: Payments does these.
		return Order{}, fmt.Errorf("%s → %s needs the payment provider: %w", o.Status, to, ErrInvalidTransition)
	}
	return s.store.SetOrderStatus(ctx, o.ID, o.Status, to, s.clock.Now())
}
