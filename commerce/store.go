package commerce

import (
	"context"
	"time"
)

// Clock tells the time; tests inject a fixed or stepping clock.
type Clock interface{ Now() time.Time }

// ClockFunc adapts a function to Clock.
type ClockFunc func() time.Time

// Now calls f.
func (f ClockFunc) Now() time.Time { return f() }

// SystemClock is the wall clock.
var SystemClock Clock = ClockFunc(time.Now)

// CatalogStore holds categories and products with their stock.
type CatalogStore interface {
	// Categories returns all categories ordered by Sort, then ID.
	Categories(ctx context.Context) ([]Category, error)
	// Products lists products matching f, ordered by ID. Hidden products only with f.WithHidden.
	Products(ctx context.Context, f ProductFilter) ([]Product, error)
	// Product returns one product, hidden or not. ErrNotFound if absent.
	Product(ctx context.Context, id int64) (Product, error)
	// UpsertCategory inserts or updates by Slug.
	UpsertCategory(ctx context.Context, c Category) (Category, error)
	// UpsertProduct inserts or updates by SKU; CategoryID must exist (ErrNotFound).
	UpsertProduct(ctx context.Context, p Product) (Product, error)
	// CountProducts counts all products, hidden included.
	CountProducts(ctx context.Context) (int, error)
	// Search returns at most limit visible products (MaxSearchResults when
	// limit is 0 or more) in which every word of query (SearchTerms)
	// occurs, ignoring case, in the SKU, title or description in any
	// language; best first (RankSearch). No words: no products.
	Search(ctx context.Context, query string, limit int) ([]Product, error)
}

// PickupStore holds pickup points.
type PickupStore interface {
	// PickupPoints returns active points ordered by ID.
	PickupPoints(ctx context.Context) ([]PickupPoint, error)
	// AllPickupPoints returns every point, closed ones too, ordered by ID.
	AllPickupPoints(ctx context.Context) ([]PickupPoint, error)
	// PickupPoint returns one point. ErrNotFound if absent.
	PickupPoint(ctx context.Context, id int64) (PickupPoint, error)
	// UpsertPickupPoint inserts or updates by Code.
	UpsertPickupPoint(ctx context.Context, p PickupPoint) (PickupPoint, error)
}

// OrderStore holds orders and performs the stock-changing transitions atomically.
type OrderStore interface {
	// PlaceOrder, in one transaction: takes the locks of the buyer's
	// person and of o.Phone, refuses with a *LimitError when the order
	// would pass lim (ErrPayAtPickupSuspended, ErrOpenOrders, ErrOpenUnits;
	// OpenUsage at o.CreatedAt counts the person and the phone), takes each
	// line's quantity from stock with one conditional update (ErrSoldOut if
	// any line lacks stock), inserts the order, and durably schedules its
	// reservation expiry at o.ExpiresAt. Nothing changes on an error. It is
	// idempotent on o.IdempotencyKey: when an order with that key exists it
	// returns it with created=false and changes nothing. ErrConflict means
	// the order number collided; retry with a new one.
	PlaceOrder(ctx context.Context, o Order, lim PersonLimits) (placed Order, created bool, err error)
	// Order returns one order. ErrNotFound if absent.
	Order(ctx context.Context, id int64) (Order, error)
	// OrderByKey returns the order created with an idempotency key. ErrNotFound if none.
	OrderByKey(ctx context.Context, key string) (Order, error)
	// OrdersByBuyer returns the newest orders first of b's person: those
	// placed by b or by any identity linked with b.
	OrdersByBuyer(ctx context.Context, b Buyer, limit int) ([]Order, error)
	// SetOrderStatus moves an order from → to with one conditional update
	// (ErrConflict if it is no longer in from; ErrNotFound if absent). When
	// from holds stock and to is cancelled, the stock is returned in the same
	// transaction. Moves into or out of awaiting_payment, and into paid,
	// are the payment flow's (PaymentFlowStore): ErrInvalidTransition here.
	SetOrderStatus(ctx context.Context, id int64, from, to OrderStatus, at time.Time) (Order, error)
	// ExpiredOrders lists pending orders whose reservation ended before now.
	ExpiredOrders(ctx context.Context, now time.Time, limit int) ([]int64, error)
	// OrderByNumber returns an order by its number. ErrNotFound if absent.
	OrderByNumber(ctx context.Context, number string) (Order, error)
	// SellerCancelOrder, in one transaction: moves the order from c.From to
	// cancelled with one conditional update (ErrConflict if it is no longer
	// in c.From, nothing changed; ErrNotFound if absent), records the reason
	// and who cancelled, returns its stock (to its drop, for a drop order)
	// when c.From holds stock, and emits OrderStatusChanged and then
	// SellerCancelledOrder.
	// With c.Overdue the order may be cancelled from ready_for_pickup too
	// (its stock comes back as from a status that holds stock).
	SellerCancelOrder(ctx context.Context, c Cancellation) (Order, error)
}

// Store is everything the shop needs from persistence.
type Store interface {
	CatalogStore
	PickupStore
	OrderStore
	PersonStore
}
