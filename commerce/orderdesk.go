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

// OrderDesk is the seller's view of the shop's orders: new-order notices,
// the open orders by state with search and paging, one order with its
// lines, buyer contact and notes, the actions on it (cancel, mark shipped
// or arrived, a note to the buyer, a payment), and the orders of an
// export. The chat's /orders, the CLI's `shopbot orders` and the web
// console call it.
type OrderDesk struct {
	store  OrderDeskStore
	shop   *Shop
	pickup *Pickup // nil with pickup off: no shipment actions
	clock  Clock
	window time.Duration
	hold   time.Duration
}

// OrderQuery selects orders (OrderDeskStore.FindOrders). Zero fields
// select everything; conditions combine with AND.
type OrderQuery struct {
	Statuses    []OrderStatus
	CreatedFrom time.Time // created at or after
	// ReadyBefore and ReadyFrom select orders by when they became ready
	// for pickup (their code's ready time): before, or at or after.
	ReadyBefore, ReadyFrom time.Time
	OpenReturn             bool   // only orders with an open return
	Number                 string // exactly this order number
	PhoneTail              string // phone numbers ending in these digits (with Number: either)
	Offset, Limit          int    // Limit 0: count only; newest first
}

// OrderNote is a seller's note to the buyer of an order.
type OrderNote struct {
	ID      int64
	OrderID int64
	Body    string
	By      string // "cli", "tg:123"
	At      time.Time
}

// OrderDeskStore is what the desk needs from persistence.
type OrderDeskStore interface {
	SellerNoticeStore
	PaymentStore
	// Order returns one order with its lines. ErrNotFound if absent.
	Order(ctx context.Context, id int64) (Order, error)
	// OrderByNumber returns an order by its number. ErrNotFound if absent.
	OrderByNumber(ctx context.Context, number string) (Order, error)
	// PickupPoint returns one point. ErrNotFound if absent.
	PickupPoint(ctx context.Context, id int64) (PickupPoint, error)
	// AllPickupPoints returns every point, closed ones too, ordered by ID.
	AllPickupPoints(ctx context.Context) ([]PickupPoint, error)
	// FindOrders returns the orders q selects, newest first, with their
	// lines (at most q.Limit from q.Offset), and how many it selects in all.
	FindOrders(ctx context.Context, q OrderQuery) ([]Order, int, error)
	// AddOrderNote stores a note (ID set here) and emits OrderNoteAdded
	// in the same transaction. ErrNotFound for an unknown order.
	AddOrderNote(ctx context.Context, n OrderNote) (OrderNote, error)
	// OrderNotes lists an order's notes, oldest first.
	OrderNotes(ctx context.Context, orderID int64) ([]OrderNote, error)
	// OrderNote returns one note. ErrNotFound if absent.
	OrderNote(ctx context.Context, id int64) (OrderNote, error)
}

// OrderDeskOptions configures an OrderDesk.
type OrderDeskOptions struct {
	Store  OrderDeskStore
	Shop   *Shop   // the seller's cancellation
	Pickup *Pickup // shipment and arrival, the hold period; nil with pickup off
	Clock  Clock   // default SystemClock
	// NoticeWindow is how often at most a seller hears of new orders
	// (DefaultNoticeWindow).
	NoticeWindow time.Duration
}

// NewOrderDesk builds an OrderDesk.
func NewOrderDesk(o OrderDeskOptions) *OrderDesk {
	d := &OrderDesk{store: o.Store, shop: o.Shop, pickup: o.Pickup, clock: o.Clock, window: o.NoticeWindow, hold: 7 * 24 * time.Hour}
	if d.clock == nil {
		d.clock = SystemClock
	}
	if d.window <= 0 {
		d.window = DefaultNoticeWindow
	}
	if o.Pickup != nil {
		d.hold = o.Pickup.HoldPeriod()
	}
	return d
}

// Now is the desk's clock.
func (d *OrderDesk) Now() time.Time { return d.clock.Now() }

// DeskState is a shelf of the seller's desk: open orders by what is to
// be done with them.
type DeskState string

const (
	DeskNew     DeskState = "new"      // confirmed within the last day (also under to_ship)
	DeskToShip  DeskState = "to_ship"  // confirmed: to be sent to the pickup point
	DeskOnWay   DeskState = "on_way"   // shipped, not yet checked in
	DeskAtPoint DeskState = "at_point" // arrived, being checked in
	DeskReady   DeskState = "ready"    // awaiting pickup within the hold period
	DeskOverdue DeskState = "overdue"  // awaiting pickup past the hold period
	DeskReturns DeskState = "returns"  // collected, with an open return
)

// DeskStates lists the shelves in the order the desk shows them.
var DeskStates = []DeskState{DeskNew, DeskToShip, DeskOnWay, DeskAtPoint, DeskReady, DeskOverdue, DeskReturns}

// newFor is how long a confirmed order counts as new.
const newFor = 24 * time.Hour

// ParseDeskState reads a shelf name. ErrInvalid otherwise.
func ParseDeskState(s string) (DeskState, error) {
	for _, st := range DeskStates {
		if string(st) == s {
			return st, nil
		}
	}
	return "", fmt.Errorf("desk state %q: %w", s, ErrInvalid)
}

// query is the selection of a shelf at now.
func (d *OrderDesk) query(s DeskState, now time.Time) OrderQuery {
	switch s {
	case DeskNew:
		return OrderQuery{Statuses: []OrderStatus{StatusConfirmed, StatusPaid}, CreatedFrom: now.Add(-newFor)}
	case DeskToShip:
		return OrderQuery{Statuses: []OrderStatus{StatusConfirmed, StatusPaid}}
	case DeskOnWay:
		return OrderQuery{Statuses: []OrderStatus{StatusShipped}}
	case DeskAtPoint:
		return OrderQuery{Statuses: []OrderStatus{StatusArrived}}
	case DeskReady:
		return OrderQuery{Statuses: []OrderStatus{StatusReadyForPickup}, ReadyFrom: now.Add(-d.hold)}
	case DeskOverdue:
		return OrderQuery{Statuses: []OrderStatus{StatusReadyForPickup}, ReadyBefore: now.Add(-d.hold)}
	case DeskReturns:
		return OrderQuery{OpenReturn: true}
	}
	return OrderQuery{Statuses: OpenStatuses}
}

// StateCount is how many orders a shelf holds.
type StateCount struct {
	State DeskState
	N     int
}

// Counts returns how many orders each shelf holds, in DeskStates order.
func (d *OrderDesk) Counts(ctx context.Context) ([]StateCount, error) {
	now := d.clock.Now()
	out := make([]StateCount, 0, len(DeskStates))
	for _, s := range DeskStates {
		_, n, err := d.store.FindOrders(ctx, d.query(s, now))
		if err != nil {
			return nil, err
		}
		out = append(out, StateCount{State: s, N: n})
	}
	return out, nil
}

// ListOptions selects a page of the desk's orders.
type ListOptions struct {
	State    DeskState     // a shelf; "" with no Statuses: every open order
	Statuses []OrderStatus // instead of a shelf: orders in these statuses
	Since    time.Time     // created at or after
	// Search is an order number or the last digits of a phone (see
	// ParseOrderSearch); it searches every order, whatever the shelf.
	Search  string
	Page    int // from 0
	PerPage int // default 10, at most 100
}

// OrderPage is one page of orders, newest first.
type OrderPage struct {
	Orders  []Order // with their lines
	Total   int     // orders selected in all
	Page    int
	PerPage int
}

// More reports whether a page follows this one.
func (p OrderPage) More() bool { return (p.Page+1)*p.PerPage < p.Total }

// List returns a page of orders: a shelf, statuses, or a search.
// ErrInvalid for a bad search or shelf.
func (d *OrderDesk) List(ctx context.Context, o ListOptions) (OrderPage, error) {
	if o.PerPage <= 0 {
		o.PerPage = 10
	}
	o.PerPage, o.Page = min(o.PerPage, 100), max(o.Page, 0)
	var q OrderQuery
	switch {
	case o.Search != "":
		number, tail, err := ParseOrderSearch(o.Search)
		if err != nil {
			return OrderPage{}, err
		}
		q = OrderQuery{Number: number, PhoneTail: tail}
	case len(o.Statuses) > 0:
		q = OrderQuery{Statuses: o.Statuses}
	case o.State != "":
		if _, err := ParseDeskState(string(o.State)); err != nil {
			return OrderPage{}, err
		}
		q = d.query(o.State, d.clock.Now())
	default:
		q = d.query("", d.clock.Now())
	}
	if !o.Since.IsZero() && o.Since.After(q.CreatedFrom) {
		q.CreatedFrom = o.Since
	}
	q.Offset, q.Limit = o.Page*o.PerPage, o.PerPage
	orders, total, err := d.store.FindOrders(ctx, q)
	if err != nil {
		return OrderPage{}, err
	}
	return OrderPage{Orders: orders, Total: total, Page: o.Page, PerPage: o.PerPage}, nil
}

// ParseOrderSearch reads what a seller searches orders by: an order
// number (letters and digits, any case, spaces ignored) or the last 4 to
// 11 digits of a phone (a leading "*" or "…" allowed). ErrInvalid otherwise.
func ParseOrderSearch(s string) (number, phoneTail string, err error) {
	s = strings.Join(strings.Fields(s), "")
	s = strings.TrimLeft(s, "*…#№+")
	if s == "" || utf8.RuneCountInString(s) > 16 {
		return "", "", fmt.Errorf("order search %q: %w", s, ErrInvalid)
	}
	digits := strings.IndexFunc(s, func(r rune) bool { return r < '0' || r > '9' }) < 0
	switch {
	case digits && len(s) == 6: // a number may be all digits too
		return s, s, nil
	case digits && len(s) >= 4 && len(s) <= 11:
		return "", s, nil
	case !digits && len(s) == 6 && strings.IndexFunc(s, func(r rune) bool { return r > unicode.MaxASCII || !unicode.IsLetter(r) && !unicode.IsDigit(r) }) < 0:
		return strings.ToUpper(s), "", nil
	}
	return "", "", fmt.Errorf("order search %q: %w", s, ErrInvalid)
}

// OrderDetail is one order as the seller sees it.
type OrderDetail struct {
	Order Order // with its lines, the buyer's contact and payment
	Point PickupPoint
	Notes []OrderNote // oldest first
}

// Order returns an order by id with its point and notes. ErrNotFound.
func (d *OrderDesk) Order(ctx context.Context, id int64) (OrderDetail, error) {
	o, err := d.store.Order(ctx, id)
	if err != nil {
		return OrderDetail{}, err
	}
	return d.detail(ctx, o)
}

// OrderByNumber is Order by number (any case, spaces ignored). ErrNotFound.
func (d *OrderDesk) OrderByNumber(ctx context.Context, number string) (OrderDetail, error) {
	o, err := d.byNumber(ctx, number)
	if err != nil {
		return OrderDetail{}, err
	}
	return d.detail(ctx, o)
}

func (d *OrderDesk) byNumber(ctx context.Context, number string) (Order, error) {
	number = NormalizeOrderNumber(number)
	if number == "" {
		return Order{}, fmt.Errorf("order number: %w", ErrNotFound)
	}
	return d.store.OrderByNumber(ctx, number)
}

func (d *OrderDesk) detail(ctx context.Context, o Order) (OrderDetail, error) {
	pt, err := d.store.PickupPoint(ctx, o.PickupPointID)
	if err != nil {
		return OrderDetail{}, err
	}
	notes, err := d.store.OrderNotes(ctx, o.ID)
	if err != nil {
		return OrderDetail{}, err
	}
	return OrderDetail{Order: o, Point: pt, Notes: notes}, nil
}

// Cancel cancels an order for a seller with a reason (Shop.SellerCancel:
// its errors and its "cancelled by this call").
func (d *OrderDesk) Cancel(ctx context.Context, number, reason, by string) (Order, bool, error) {
	return d.shop.SellerCancel(ctx, number, reason, by)
}

// ErrNoPickup: shipment actions need the pickup feature.
var errNoPickup = errors.New("order desk: pickup is off")

// MarkShipped moves a confirmed order to shipped, to its own pickup
// point (Pickup.Ship of one order). ErrNotFound for an unknown number,
// ErrInvalidTransition when it is not confirmed (nothing changed).
func (d *OrderDesk) MarkShipped(ctx context.Context, number string) (Order, error) {
	return d.moveOne(ctx, number, func(s Shipment) (MoveReport, error) { return d.pickup.Ship(ctx, s) })
}

// MarkArrived checks a shipped order in at its pickup point: it becomes
// ready for pickup with its code and the buyer is told (Pickup.MarkArrived
// of one order). ErrNotFound, ErrInvalidTransition as MarkShipped.
func (d *OrderDesk) MarkArrived(ctx context.Context, number string) (Order, error) {
	return d.moveOne(ctx, number, func(s Shipment) (MoveReport, error) { return d.pickup.MarkArrived(ctx, s) })
}

func (d *OrderDesk) moveOne(ctx context.Context, number string, move func(Shipment) (MoveReport, error)) (Order, error) {
	if d.pickup == nil {
		return Order{}, errNoPickup
	}
	o, err := d.byNumber(ctx, number)
	if err != nil {
		return Order{}, err
	}
	r, err := move(Shipment{PointID: o.PickupPointID, Numbers: []string{o.Number}})
	if err != nil {
		return Order{}, err
	}
	if len(r.Moved) == 1 {
		return r.Moved[0], nil
	}
	cur, err := d.store.Order(ctx, o.ID)
	if err != nil {
		return Order{}, err
	}
	return cur, fmt.Errorf("order %s is %s: %w", cur.Number, cur.Status, ErrInvalidTransition)
}

// MaxNote is the longest note to a buyer, in characters.
const MaxNote = 500

// NoteToBuyer sends the buyer of an order a seller's note (by: "cli",
// "tg:123"), in the chat they ordered from, and keeps it with the order.
// ErrNotFound for an unknown number; ErrInvalid for an empty or overlong
// note (1–MaxNote printable characters, line breaks allowed).
func (d *OrderDesk) NoteToBuyer(ctx context.Context, number, body, by string) (OrderNote, error) {
	body = strings.TrimSpace(body)
	if n := utf8.RuneCountInString(body); n == 0 || n > MaxNote || !utf8.ValidString(body) ||
		strings.ContainsFunc(body, func(r rune) bool { return r != '\n' && !unicode.IsPrint(r) }) {
		return OrderNote{}, fmt.Errorf("note of %d characters: %w", n, ErrInvalid)
	}
	o, err := d.byNumber(ctx, number)
	if err != nil {
		return OrderNote{}, err
	}
	return d.store.AddOrderNote(ctx, OrderNote{OrderID: o.ID, Body: body, By: by, At: d.clock.Now()})
}

// Note returns one note (a notice renders it). ErrNotFound.
func (d *OrderDesk) Note(ctx context.Context, id int64) (OrderNote, error) {
	return d.store.OrderNote(ctx, id)
}

// ExportOptions selects the orders of an export.
type ExportOptions struct {
	Since    time.Time     // created at or after; zero: all
	Statuses []OrderStatus // none: every status
}

// maxExport caps the orders of one export.
const maxExport = 100_000

// Export returns the orders opts selects, oldest first, with their lines,
// and every pickup point by id (for the export's point columns); see
// package orderio for the CSV.
func (d *OrderDesk) Export(ctx context.Context, opts ExportOptions) ([]Order, map[int64]PickupPoint, error) {
	const page = 500
	var out []Order
	for offset := 0; offset < maxExport; offset += page {
		list, total, err := d.store.FindOrders(ctx, OrderQuery{Statuses: opts.Statuses, CreatedFrom: opts.Since, Offset: offset, Limit: page})
		if err != nil {
			return nil, nil, err
		}
		out = append(out, list...)
		if offset+page >= total {
			break
		}
	}
	for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
		out[i], out[j] = out[j], out[i]
	}
	pts, err := d.store.AllPickupPoints(ctx)
	if err != nil {
		return nil, nil, err
	}
	points := make(map[int64]PickupPoint, len(pts))
	for _, p := range pts {
		points[p.ID] = p
	}
	return out, points, nil
}
