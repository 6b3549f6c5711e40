// Package commerce is the domain core of shopbot: catalog, cart, orders, pickup
// points and money. It depends on nothing but the standard library; storage is
// reached through the interfaces declared in store.go.
package commerce

import (
	"errors"
	"strconv"
)

// Sentinel errors. Store implementations map driver errors to these, and the
// conversation layer maps them to user-facing template keys.
var (
	// ErrNotFound: the requested record does not exist (or is not visible to the caller).
	ErrNotFound = errors.New("not found")
	// ErrSoldOut: not enough stock left to satisfy the request.
	ErrSoldOut = errors.New("sold out")
	// ErrConflict: a concurrent change won the race; reload and retry.
	ErrConflict = errors.New("conflict")
	// ErrInvalidTransition: the order cannot move to the requested status from its current one.
	ErrInvalidTransition = errors.New("invalid order status transition")
	// ErrPriceChanged: a price differs from the one the buyer saw.
	ErrPriceChanged = errors.New("price changed")
	// ErrUnavailable: the product is hidden or no longer sold.
	ErrUnavailable = errors.New("product unavailable")
	// ErrQuantity: a quantity is not positive or exceeds the per-order cap.
	ErrQuantity = errors.New("invalid quantity")
	// ErrEmptyCart: checkout of an empty cart.
	ErrEmptyCart = errors.New("cart is empty")
	// ErrInvalid: input fails validation (bad phone, missing name, unknown point …).
	ErrInvalid = errors.New("invalid input")
	// ErrCurrencyMismatch: money of two currencies combined.
	ErrCurrencyMismatch = errors.New("currency mismatch")
)

// ErrCartFull: the cart already holds MaxCartLines different products.
var ErrCartFull = errors.New("cart is full")

// ErrExpired: the reservation behind a pending order ran out before confirmation.
var ErrExpired = errors.New("reservation expired")

// PriceChangedError lists the cart lines whose price moved since the buyer saw
// them. It matches ErrPriceChanged with errors.Is.
type PriceChangedError struct {
	Lines []CartLine // with SeenPrice set to the current price
}

func (e *PriceChangedError) Error() string {
	return "price changed for " + strconv.Itoa(len(e.Lines)) + " product(s)"
}

// Is makes errors.Is(err, ErrPriceChanged) true.
func (e *PriceChangedError) Is(target error) bool { return target == ErrPriceChanged }

// Pickup errors: slot booking, code redemption and after-sales.
var (
	// ErrSlotFull: the pickup slot has no seat left (nothing changed).
	ErrSlotFull = errors.New("pickup slot full")
	// ErrForbidden: the identity is not staff of that pickup point.
	ErrForbidden = errors.New("forbidden")
	// ErrAlreadyCollected: the order was already picked up with this code.
	ErrAlreadyCollected = errors.New("already collected")
	// ErrWrongCode: the pickup code or token is wrong, unknown or tampered with.
	ErrWrongCode = errors.New("wrong pickup code")
	// ErrCodeExpired: a genuine pickup code or token past its expiry.
	ErrCodeExpired = errors.New("pickup code expired")
	// ErrWrongPoint: a genuine pickup token or a return that belongs to another pickup point.
	ErrWrongPoint = errors.New("belongs to another pickup point")
	// ErrRateLimited: too many wrong codes lately; try again later.
	ErrRateLimited = errors.New("too many attempts")
	// ErrReturnWindowClosed: the return period after pickup is over.
	ErrReturnWindowClosed = errors.New("return period is over")
)

// ErrDropLimit: the buyer already holds the drop's per-buyer limit (nothing changed).
var ErrDropLimit = errors.New("drop per-buyer limit reached")

// ErrDropNotStarted: the drop's start time has not come yet (nothing changed).
var ErrDropNotStarted = errors.New("drop not started")

// ErrTooManyQuestions: the buyer sent the sellers more questions than the
// limits allow (QuestionLimits); nothing was sent.
var ErrTooManyQuestions = errors.New("too many questions")

// ErrOutsideWindow: the answer cannot reach the buyer: WeChat allows
// customer-service messages only within WeChatWindow of the buyer's last
// message. Nothing was stored.
var ErrOutsideWindow = errors.New("outside the buyer's messaging window")

// Order desk errors.
var (
	// ErrPaymentRequired: an unpaid pay-at-pickup order cannot be handed
	// over before staff record its payment (nothing changed).
	ErrPaymentRequired = errors.New("payment at pickup not recorded")
)

// ErrRestockLimit: the buyer already waits for MaxRestockSubscriptions
// products to be back in stock (nothing changed).
var ErrRestockLimit = errors.New("too many back-in-stock subscriptions")
