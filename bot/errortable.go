package bot

import (
	"cmp"
	"errors"
	"net/http"

	"shopbot/commerce"
)

// Surface is where a domain error is shown. The words differ by surface (a
// drop card speaks of the drop, a toast must be short, the pickup counter's
// page speaks to staff), the table does not.
type Surface int

// Surfaces a domain error can be shown on.
const (
	// InChat is a chat reply; every row has a text for it.
	InChat Surface = iota
	// OnDropCard is a note above a drop's card.
	OnDropCard
	// InToast is the short answer to a tap on a group post.
	InToast
	// OnStaffPage is the pickup counter's web page.
	OnStaffPage
)

// UserError is what a user is told about a domain error.
type UserError struct {
	// Key is the text key in templates (rendered with data the caller
	// knows: the drop's limit, the cart's cap).
	Key string
	// Status is the HTTP status of a page or API answering with it.
	Status int
}

// errorRow is one line of the table: the sentinel error, its HTTP status
// and the text key per surface (an empty key falls back to the chat's).
type errorRow struct {
	err                      error
	status                   int
	chat, drop, toast, staff string
}

// errorTable maps commerce's sentinel errors to what users see, in the
// spirit of pkgsite's error-code table: the one place where a domain error
// becomes words. Rows are matched in order with errors.Is, so a more
// specific error comes before a more general one. An error matching no row
// is internal: it is logged and the user gets "something went wrong".
func errorTable() []errorRow {
	return []errorRow{
		{err: commerce.ErrSoldOut, status: http.StatusConflict, chat: "err_sold_out", drop: "drop_sold_out", toast: "gp_toast_sold_out"},
		{err: commerce.ErrPriceChanged, status: http.StatusConflict, chat: "err_price_changed"},
		{err: commerce.ErrUnavailable, status: http.StatusGone, chat: "err_unavailable"},
		{err: commerce.ErrNotFound, status: http.StatusNotFound, chat: "err_not_found", toast: "gp_toast_stale", staff: "staff_err_not_found"},
		{err: commerce.ErrQuantity, status: http.StatusUnprocessableEntity, chat: "err_quantity"},
		{err: commerce.ErrCartFull, status: http.StatusUnprocessableEntity, chat: "err_cart_full"},
		{err: commerce.ErrEmptyCart, status: http.StatusUnprocessableEntity, chat: "cart_empty"},
		{err: commerce.ErrExpired, status: http.StatusGone, chat: "err_expired"},
		{err: commerce.ErrTooLate, status: http.StatusConflict, chat: "err_too_late"},
		{err: commerce.ErrInvalidTransition, status: http.StatusConflict, chat: "err_cannot_change", staff: "staff_err_return_decided"},
		{err: commerce.ErrConflict, status: http.StatusConflict, chat: "err_cannot_change", staff: "staff_err_conflict"},
		{err: commerce.ErrSlotFull, status: http.StatusConflict, chat: "err_slot_full"},
		{err: commerce.ErrForbidden, status: http.StatusForbidden, chat: "err_forbidden", staff: "staff_err_forbidden"},
		{err: commerce.ErrAlreadyCollected, status: http.StatusConflict, chat: "err_already_collected", staff: "staff_err_already_collected"},
		{err: commerce.ErrPaymentRequired, status: http.StatusConflict, chat: "err_payment_required", staff: "staff_err_payment_required"},
		{err: commerce.ErrRateLimited, status: http.StatusTooManyRequests, chat: "err_rate_limited", staff: "staff_err_rate_limited"},
		{err: commerce.ErrWrongCode, status: http.StatusUnprocessableEntity, chat: "err_wrong_code", staff: "staff_err_wrong_code"},
		{err: commerce.ErrCodeExpired, status: http.StatusGone, chat: "err_code_expired", staff: "staff_err_code_expired"},
		{err: commerce.ErrWrongPoint, status: http.StatusUnprocessableEntity, chat: "err_wrong_point", staff: "staff_err_wrong_point"},
		{err: commerce.ErrReturnWindowClosed, status: http.StatusConflict, chat: "err_return_window_closed"},
		{err: commerce.ErrDropNotStarted, status: http.StatusConflict, chat: "drop_not_started", drop: "drop_not_started", toast: "gp_toast_not_started"},
		{err: commerce.ErrDropCancelled, status: http.StatusGone, chat: "drop_cancelled", drop: "drop_cancelled", toast: "gp_toast_cancelled"},
		{err: commerce.ErrDropLimit, status: http.StatusConflict, chat: "drop_limit", drop: "drop_limit", toast: "gp_toast_limit"},
		{err: commerce.ErrOpenOrders, status: http.StatusConflict, chat: "limit_open_orders"},
		{err: commerce.ErrOpenUnits, status: http.StatusConflict, chat: "limit_open_units"},
		{err: commerce.ErrReservationLimit, status: http.StatusConflict, chat: "limit_reservations", drop: "limit_reservations", toast: "gp_toast_limit_reservations"},
		{err: commerce.ErrWaitlistLimit, status: http.StatusConflict, chat: "limit_waitlists", drop: "limit_waitlists", toast: "gp_toast_limit_waitlists"},
		{err: commerce.ErrPayAtPickupSuspended, status: http.StatusForbidden, chat: "limit_suspended", drop: "limit_suspended", toast: "gp_toast_limit_suspended"},
		{err: commerce.ErrPersonFull, status: http.StatusConflict, chat: "link_full"},
		{err: commerce.ErrImageTooLarge, status: http.StatusRequestEntityTooLarge, chat: "seller_photo_too_large"},
		{err: commerce.ErrBadImage, status: http.StatusUnsupportedMediaType, chat: "seller_photo_unreadable"},
		{err: commerce.ErrCurrencyLocked, status: http.StatusConflict, chat: "setup_currency_locked"},
		{err: commerce.ErrTooManyQuestions, status: http.StatusTooManyRequests, chat: "question_too_many"},
		{err: commerce.ErrOutsideWindow, status: http.StatusConflict, chat: "answer_outside_window"},
		{err: commerce.ErrCurrencyMismatch, status: http.StatusUnprocessableEntity, chat: "seller_bad_currency"},
		{err: commerce.ErrRestockLimit, status: http.StatusConflict, chat: "restock_limit"},
		{err: commerce.ErrPaymentMethod, status: http.StatusConflict, chat: "pay_err_method"},
		{err: commerce.ErrAlreadyPaid, status: http.StatusConflict, chat: "pay_err_already_paid"},
		{err: commerce.ErrRefundTooMuch, status: http.StatusConflict, chat: "pay_err_refund_too_much"},
		// The provider is down: nothing changed, try again in a minute.
		{err: commerce.ErrProvider, status: http.StatusServiceUnavailable, chat: "pay_err_provider"},
	}
}

// ErrorText looks err up in the table for a surface. ok is false for an
// error no user can act on: log it and answer "something went wrong".
func ErrorText(err error, on Surface) (UserError, bool) {
	row, ok := errorRowOf(err)
	if !ok {
		return UserError{}, false
	}
	return UserError{Key: cmp.Or(row.key(on), row.chat), Status: row.status}, true
}

// surfaceText is ErrorText for the errors with words of their own on that
// surface; ok is false for the rest (and for nil), which the caller
// handles as it would any other outcome.
func surfaceText(err error, on Surface) (UserError, bool) {
	row, ok := errorRowOf(err)
	if !ok || row.key(on) == "" {
		return UserError{}, false
	}
	return UserError{Key: row.key(on), Status: row.status}, true
}

func errorRowOf(err error) (errorRow, bool) {
	if err == nil {
		return errorRow{}, false
	}
	for _, row := range errorTable() {
		if errors.Is(err, row.err) {
			return row, true
		}
	}
	return errorRow{}, false
}

// key is the row's own text key for a surface, "" when it has none.
func (row errorRow) key(on Surface) string {
	switch on {
	case OnDropCard:
		return row.drop
	case InToast:
		return row.toast
	case OnStaffPage:
		return row.staff
	}
	return row.chat
}
