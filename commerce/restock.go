package commerce

import (
	"context"
	"fmt"
	"time"
)

// Back in stock: a buyer looking at a sold-out product asks to be told when
// it is back. The stock change that brings it back (a seller's edit, a
// catalog import, a cancelled or expired order returning units) marks the
// waiting subscriptions as notified in its own transaction and emits
// ProductRestocked with them, so each waiting buyer gets one notice however
// many restocks race; then the subscription is done.

// MaxRestockSubscriptions is how many products one buyer may wait for at
// once: enough for a wish list, too few for a bot to make the shop message
// it about the whole catalog.
const MaxRestockSubscriptions = 20

// RestockSubscriber is a buyer waiting for a product to be back in stock,
// and where to tell them.
type RestockSubscriber struct {
	ID        int64
	ProductID int64
	Buyer     Buyer
	ChatID    string
	Lang      string
	CreatedAt time.Time
}

// ProductRestocked: a product's stock rose above zero while buyers waited
// for it; Subscribers are the ones this change notifies (already marked).
type ProductRestocked struct {
	ProductID   int64
	Subscribers []RestockSubscriber
}

// EventName implements Event.
func (ProductRestocked) EventName() string { return "product_restocked" }

// RestockResult is what a press of "Notify me" did.
type RestockResult int

// Results of Restock.Subscribe.
const (
	RestockSubscribed RestockResult = iota // now waiting
	RestockAlready                         // was waiting already; nothing changed
	RestockInStock                         // the product has stock (again): nothing to wait for
)

// RestockStore keeps the subscriptions. Every method that raises a
// product's stock (SellerStore.AdjustStock, CatalogStore.UpsertProduct, an
// order's cancellation or expiry) also marks the product's waiting
// subscriptions as notified and emits ProductRestocked in the same
// transaction, when the product is visible and its stock is above zero.
type RestockStore interface {
	// SubscribeRestock adds s (its ProductID, Buyer, ChatID, Lang) while the
	// product is visible with no stock, serialized with the stock changes
	// of that product so that a restock committing meanwhile either sees
	// the subscription or makes it RestockInStock. RestockAlready when the
	// buyer waits for it already; ErrRestockLimit when the buyer waits for
	// max products; ErrNotFound for no such product; ErrUnavailable for a
	// hidden one.
	SubscribeRestock(ctx context.Context, s RestockSubscriber, max int) (RestockResult, error)
	// CancelRestock removes the buyer's waiting subscription to a product;
	// false if there was none.
	CancelRestock(ctx context.Context, productID int64, b Buyer) (bool, error)
	// RestockWaiting reports whether the buyer waits for the product.
	RestockWaiting(ctx context.Context, productID int64, b Buyer) (bool, error)
	// RestockSubscriptions lists the buyer's waiting subscriptions, oldest first.
	RestockSubscriptions(ctx context.Context, b Buyer) ([]RestockSubscriber, error)
}

// Restock is the back-in-stock use cases.
type Restock struct {
	store RestockStore
	clock Clock
	max   int
}

// NewRestock builds the service; max <= 0 means MaxRestockSubscriptions.
func NewRestock(store RestockStore, clock Clock, max int) *Restock {
	if clock == nil {
		clock = SystemClock
	}
	if max <= 0 {
		max = MaxRestockSubscriptions
	}
	return &Restock{store: store, clock: clock, max: max}
}

// Subscribe asks for one notice when the product is back in stock.
func (r *Restock) Subscribe(ctx context.Context, productID int64, b Buyer, chatID, lang string) (RestockResult, error) {
	if productID <= 0 || b.Channel == "" || b.UserID == "" || chatID == "" {
		return 0, fmt.Errorf("restock subscription %d for %q: %w", productID, b.Key(), ErrInvalid)
	}
	return r.store.SubscribeRestock(ctx, RestockSubscriber{ProductID: productID, Buyer: b, ChatID: chatID, Lang: lang,
		CreatedAt: r.clock.Now().UTC().Truncate(time.Millisecond)}, r.max)
}

// Cancel stops waiting; false if the buyer was not waiting.
func (r *Restock) Cancel(ctx context.Context, productID int64, b Buyer) (bool, error) {
	return r.store.CancelRestock(ctx, productID, b)
}

// Waiting reports whether the buyer waits for the product.
func (r *Restock) Waiting(ctx context.Context, productID int64, b Buyer) (bool, error) {
	return r.store.RestockWaiting(ctx, productID, b)
}

// Max is how many products one buyer may wait for at once.
func (r *Restock) Max() int { return r.max }
