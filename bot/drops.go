package bot

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"shopbot/commerce"
	"shopbot/templates"
)

// Drops for buyers: the drop card (/drop CODE, the d_<code> deep link and
// WeChat QR scene), "notify me", reserving with a key from the card, the
// waitlist, and finishing the order (point, name, phone).
//
// Button payloads:
//
//	dc:<drop>                    the card again (edited in place)
//	dsb:<drop> / dus:<drop>      notify me / don't
//	dby:<drop>:<qty>:<nonce>     reserve; nonce is the card's, so a double tap reserves once
//	dwl:<drop>                   join the waitlist
//	dfo:<reservation>            finish the order
//	drx:<reservation>            give the reservation back
//	dpt:<nonce>:<point>          pickup point chosen
//	dnm:<nonce> / dph:<nonce>    use the remembered name / phone
//	dxo                          leave the drop checkout
//
// The seller's side is in dropseller.go (the /newdrop wizard, /drops and
// a drop's figures) and dropadmin.go (changing and cancelling a drop);
// all three are one feature with DropState as its part of the session.

// Verbs of drops for buyers.
const (
	VerbDropCard     Verb = "dc"
	VerbDropNotify   Verb = "dsb"
	VerbDropUnnotify Verb = "dus"
	VerbDropWaitlist Verb = "dwl"
	VerbDropBuy      Verb = "dby"
	VerbDropFinish   Verb = "dfo"
	VerbDropRelease  Verb = "drx"
	VerbDropPoint    Verb = "dpt"
	VerbDropName     Verb = "dnm"
	VerbDropPhone    Verb = "dph"
	VerbDropLeave    Verb = "dxo"
)

// CmdDrop opens a drop's card: /drop CODE.
const CmdDrop Command = "/drop"

// LinkDrop opens a drop's card: d_<code>.
const LinkDrop DeepLink = "d"

// DropState is the drops' part of the session.
type DropState struct {
	Buy  DropCheckout  `json:"b,omitzero"` // a reservation being turned into an order
	New  DropWizard    `json:"n,omitzero"` // a drop a seller is putting together
	Edit DropEditState `json:"e,omitzero"` // the field of a drop a seller is changing
}

type dropsHandler struct {
	shop        *commerce.Shop
	dropService *commerce.DropService
	orders      *ordersHandler
	zone        *time.Location              // the seller's zone (Options.TimeZone)
	links       func(code string) DropLinks // nil: no links shown
}

// routes are the buyers' routes; the sellers' are in dropseller.go.
func (h *dropsHandler) routes() routes {
	return routes{
		commands: map[Command]commandFunc{
			CmdDrop: func(t *turn, arg string) ([]Reply, error) {
				if arg == "" {
					return say(t.text("drop_usage", nil), t.mainMenu()...), nil
				}
				return h.dropByCode(t, arg)
			},
		},
		links: map[DeepLink]linkFunc{
			LinkDrop: func(t *turn, rest string) ([]Reply, bool, error) {
				if !commerce.ValidDropCode(rest) {
					return nil, false, nil
				}
				r, err := h.dropByCode(t, rest)
				return r, true, err
			},
		},
		actions: map[Verb]actionFunc{
			VerbDropCard:     h.withDrop(func(t *turn, d commerce.Drop, _ args) ([]Reply, error) { return h.dropCard(t, d, true) }),
			VerbDropNotify:   h.withDrop(func(t *turn, d commerce.Drop, _ args) ([]Reply, error) { return h.dropSubscribe(t, d, true) }),
			VerbDropUnnotify: h.withDrop(func(t *turn, d commerce.Drop, _ args) ([]Reply, error) { return h.dropSubscribe(t, d, false) }),
			VerbDropWaitlist: h.withDrop(func(t *turn, d commerce.Drop, _ args) ([]Reply, error) { return h.dropWaitlist(t, d) }),
			VerbDropBuy:      h.withDrop(h.buy),
			VerbDropFinish:   h.reservation(h.dropFinish),
			VerbDropRelease:  h.reservation(h.dropRelease),
			VerbDropPoint: func(t *turn, a args) ([]Reply, error) {
				pt, ok := a.id(1)
				if !ok || len(a) != 2 || a.str(0) != t.s.Drops.Buy.Nonce || t.s.Drops.Buy.Nonce == "" {
					return t.stale()
				}
				return h.dropPoint(t, pt)
			},
			VerbDropName: func(t *turn, a args) ([]Reply, error) {
				if strings.Join(a, ":") != t.s.Drops.Buy.Nonce || t.s.Step != stepDropName || t.s.Contact.Name == "" {
					return t.stale()
				}
				return h.dropName(t, t.s.Contact.Name)
			},
			VerbDropPhone: func(t *turn, a args) ([]Reply, error) {
				if strings.Join(a, ":") != t.s.Drops.Buy.Nonce || t.s.Step != stepDropPhone || t.s.Contact.Phone == "" {
					return t.stale()
				}
				return h.dropPhone(t, t.s.Contact.Phone)
			},
			VerbDropLeave: func(t *turn, _ args) ([]Reply, error) {
				h.leaveDropCheckout(t)
				return t.help("checkout_left")
			},
		},
		steps: map[Step]stepFunc{
			stepDropName:  h.dropName,
			stepDropPhone: h.dropPhone,
		},
	}
}

// buy reserves from the card: "<drop>:<qty>:<nonce>"; the nonce is the
// card's, so a double tap reserves once.
func (h *dropsHandler) buy(t *turn, d commerce.Drop, a args) ([]Reply, error) {
	qty, ok := a.num(1, 1, d.PerBuyerLimit)
	nonce := a.str(2)
	if !ok || len(a) != 3 || len(nonce) == 0 || len(nonce) > 16 {
		return t.stale()
	}
	return h.dropReserve(t, d, qty, nonce)
}

// reservation reads a reservation's button: "<reservation>".
func (h *dropsHandler) reservation(f func(t *turn, id int64) ([]Reply, error)) actionFunc {
	return func(t *turn, a args) ([]Reply, error) {
		id, ok := a.id(0)
		if !ok || len(a) != 1 {
			return t.stale()
		}
		return f(t, id)
	}
}

// DropLinks are where a drop can be shared.
type DropLinks struct {
	Page   string // the drop page, GET /d/{code}
	Poster string // its poster PNG
	Bot    string // a link that opens the drop in the bot (t.me/<bot>?start=d_<code>)
}

// withDrop parses "<drop id>:…" and loads the drop; a bad or unknown id is a stale button.
func (h *dropsHandler) withDrop(f func(t *turn, d commerce.Drop, a args) ([]Reply, error)) actionFunc {
	return func(t *turn, a args) ([]Reply, error) {
		id, ok := a.id(0)
		if !ok {
			return t.stale()
		}
		d, err := h.dropService.Get(t.ctx, id)
		if errors.Is(err, commerce.ErrNotFound) {
			return t.stale()
		}
		if err != nil {
			return nil, err
		}
		return f(t, d, a)
	}
}

func (h *dropsHandler) dropByCode(t *turn, code string) ([]Reply, error) {
	d, err := h.dropService.ByCode(t.ctx, code)
	if err != nil {
		return t.fail(err)
	}
	return h.dropCard(t, d, false)
}

// dropZone is where a drop's times are shown: its own zone, else the shop's.
func (h *dropsHandler) dropZone(t *turn, d commerce.Drop) *time.Location {
	if d.TimeZone != "" {
		if loc, err := time.LoadLocation(d.TimeZone); err == nil {
			return loc
		}
	}
	return h.zone
}

// buyerDropState is what the card shows of this buyer's own standing.
type buyerDropState struct {
	held       commerce.DropReservation // ID 0: none
	atLimit    bool                     // holds (reserved or ordered) the per-buyer limit
	subscribed bool
	waiting    bool
}

func (h *dropsHandler) buyerDropState(t *turn, d commerce.Drop) (buyerDropState, error) {
	var st buyerDropState
	drops := h.dropService
	r, err := drops.Active(t.ctx, d.ID, t.buyer())
	if err == nil {
		st.held = r
	} else if !errors.Is(err, commerce.ErrNotFound) {
		return st, err
	}
	taken, err := drops.Taken(t.ctx, d.ID, t.buyer())
	if err != nil {
		return st, err
	}
	st.atLimit = taken >= d.PerBuyerLimit
	if st.subscribed, err = drops.Subscribed(t.ctx, d.ID, t.buyer()); err != nil {
		return st, err
	}
	w, err := drops.WaitlistEntry(t.ctx, d.ID, t.buyer())
	if err == nil {
		st.waiting = w.Status == commerce.DropWaiting
	} else if !errors.Is(err, commerce.ErrNotFound) {
		return st, err
	}
	return st, nil
}

// dropCardData is the buyer card's text data: the same for the buyer, the
// seller's preview and the start notice.
func (h *dropsHandler) dropCardData(t *turn, d commerce.Drop, p commerce.Product, st buyerDropState) map[string]any {
	now := h.dropService.Now()
	loc := h.dropZone(t, d)
	until := d.StartsAt.Sub(now)
	mins := int((until + time.Minute - 1) / time.Minute) // round up: "in 1 min" until it starts
	upcoming := now.Before(d.StartsAt)
	data := map[string]any{
		"Title": t.tr(p.Title), "Price": d.Price, "Regular": p.Price,
		"HasRegular": p.Price.Currency == d.Price.Currency && p.Price.Amount > d.Price.Amount,
		"Units":      d.Units, "Left": d.Left, "SoldOut": !upcoming && d.Left <= 0, "Limit": d.PerBuyerLimit,
		"Start": d.StartsAt.In(loc), "Zone": loc.String(), "Upcoming": upcoming,
		"Days": mins / (24 * 60), "Hours": mins / 60 % 24, "Mins": mins % 60,
		"Held": st.held.Qty, "HeldUntil": st.held.ExpiresAt.In(loc),
		"Subscribed": st.subscribed, "Waiting": st.waiting, "AtLimit": st.atLimit && st.held.ID == 0,
	}
	if st.held.ID == 0 {
		data["Held"] = 0
	}
	return data
}

// dropCard shows a drop to the buyer with the buttons of its moment.
func (h *dropsHandler) dropCard(t *turn, d commerce.Drop, edit bool) ([]Reply, error) {
	p, err := h.shop.Store().Product(t.ctx, d.ProductID)
	if err != nil {
		return nil, err
	}
	st, err := h.buyerDropState(t, d)
	if err != nil {
		return nil, err
	}
	reply := h.dropCardReply(t, d, p, st)
	reply.Edit = edit
	rows := h.dropCardButtons(t, d, st)
	if t.isAdmin() && !t.m.Group {
		rows = append(rows, []Button{t.btn("btn_drop_stats", VerbDropStats.Of(d.ID))})
	}
	reply.Buttons = rows
	return []Reply{reply}, nil
}

// dropCardReply is the card without buttons (the seller's preview adds its own).
func (h *dropsHandler) dropCardReply(t *turn, d commerce.Drop, p commerce.Product, st buyerDropState) Reply {
	reply := Reply{Text: t.text("drop_card", h.dropCardData(t, d, p, st))}
	if !d.CancelledAt.IsZero() {
		reply.Text += "\n\n" + t.text("drop_cancelled_card", nil)
	}
	if p.Image != "" {
		reply.Image = t.imageURL(p.Image)
	}
	return reply
}

func (h *dropsHandler) dropCardButtons(t *turn, d commerce.Drop, st buyerDropState) [][]Button {
	now := h.dropService.Now()
	var rows [][]Button
	switch {
	case !d.CancelledAt.IsZero():
		// Called off: nothing to buy, wait for or be told about.
	case st.held.ID != 0:
		rows = append(rows, []Button{t.btn("btn_drop_finish", VerbDropFinish.Of(st.held.ID)),
			t.btn("btn_drop_release", VerbDropRelease.Of(st.held.ID))})
	case st.atLimit:
		rows = append(rows, []Button{t.btn("btn_orders", VerbOrders.Of())})
	case now.Before(d.StartsAt):
		if st.subscribed {
			rows = append(rows, []Button{t.btn("btn_drop_unnotify", VerbDropUnnotify.Of(d.ID))})
		} else {
			rows = append(rows, []Button{t.btn("btn_drop_notify", VerbDropNotify.Of(d.ID))})
		}
	case d.Left > 0:
		nonce := newNonce()
		var row []Button
		for q := 1; q <= min(d.PerBuyerLimit, d.Left, 5); q++ {
			row = append(row, Button{Text: t.text("btn_drop_buy", map[string]any{"Qty": q, "Total": d.Price.Mul(q)}),
				Action: VerbDropBuy.Of(d.ID, q, nonce)})
		}
		if len(row) > 2 { // many choices: one per row reads better on a phone
			for _, b := range row {
				rows = append(rows, []Button{b})
			}
		} else {
			rows = append(rows, row)
		}
	case !st.waiting:
		rows = append(rows, []Button{t.btn("btn_drop_waitlist", VerbDropWaitlist.Of(d.ID))})
	}
	rows = append(rows, []Button{t.btn("btn_drop_refresh", VerbDropCard.Of(d.ID)), t.btn("btn_shop", VerbCategories.Of())})
	return rows
}

// dropNote is a short answer followed by the card.
func (h *dropsHandler) dropNote(t *turn, d commerce.Drop, key string, data map[string]any) ([]Reply, error) {
	card, err := h.dropCard(t, d, false)
	return append(say(t.text(key, data)), card...), err
}

func (h *dropsHandler) dropTitle(t *turn, d commerce.Drop) string {
	if p, err := h.shop.Store().Product(t.ctx, d.ProductID); err == nil {
		return t.tr(p.Title)
	}
	return d.Code
}

func (h *dropsHandler) dropSubscribe(t *turn, d commerce.Drop, on bool) ([]Reply, error) {
	data := map[string]any{"Title": h.dropTitle(t, d), "Start": d.StartsAt.In(h.dropZone(t, d))}
	if !on {
		if _, err := h.dropService.Unsubscribe(t.ctx, d.ID, t.buyer()); err != nil {
			return nil, err
		}
		return h.dropNote(t, d, "drop_unsubscribed", data)
	}
	_, err := h.dropService.Subscribe(t.ctx, d.ID, commerce.DropFollower{Buyer: t.buyer(), ChatID: t.m.ChatID, Lang: t.lang})
	if errors.Is(err, commerce.ErrInvalid) { // started meanwhile: the card has the buy button now
		return h.dropCard(t, d, false)
	}
	if ue, ok := surfaceText(err, OnDropCard); ok { // on too many waitlists already
		return h.dropNote(t, d, ue.Key, t.limitData(err, data))
	}
	if err != nil {
		return nil, err
	}
	return h.dropNote(t, d, "drop_subscribed", data)
}

func (h *dropsHandler) dropWaitlist(t *turn, d commerce.Drop) ([]Reply, error) {
	_, _, err := h.dropService.JoinWaitlist(t.ctx, d.ID, commerce.DropFollower{Buyer: t.buyer(), ChatID: t.m.ChatID, Lang: t.lang})
	if errors.Is(err, commerce.ErrInvalid) { // units back or not started: the card says what to do
		return h.dropCard(t, d, false)
	}
	if ue, ok := surfaceText(err, OnDropCard); ok { // on too many waitlists already
		return h.dropNote(t, d, ue.Key, t.limitData(err, nil))
	}
	if err != nil {
		return nil, err
	}
	return h.dropNote(t, d, "drop_waitlisted", nil)
}

func (h *dropsHandler) dropReserve(t *turn, d commerce.Drop, qty int, nonce string) ([]Reply, error) {
	key := "dr:" + t.buyer().Key() + ":" + strconv.FormatInt(d.ID, 10) + ":" + nonce
	r, err := h.dropService.Reserve(t.ctx, d.ID, t.buyer(), qty, key)
	loc := h.dropZone(t, d)
	if errors.Is(err, commerce.ErrQuantity) || errors.Is(err, commerce.ErrConflict) {
		return t.stale()
	}
	if errors.Is(err, commerce.ErrDropCancelled) {
		d.CancelledAt = h.dropService.Now() // the card below shows it, whatever this copy said
	}
	if ue, ok := surfaceText(err, OnDropCard); ok { // not started, cancelled, sold out, at a limit
		return h.dropNote(t, d, ue.Key, t.limitData(err, map[string]any{"Title": h.dropTitle(t, d), "Start": d.StartsAt.In(loc), "Limit": d.PerBuyerLimit}))
	}
	if err != nil {
		return t.fail(err)
	}
	if r.Status != commerce.DropReserved || !h.dropService.Now().Before(r.ExpiresAt) {
		return h.dropCard(t, d, false) // a replayed tap of a reservation that ran out or became an order
	}
	return say(t.text("drop_reserved", map[string]any{"Qty": r.Qty, "Title": h.dropTitle(t, d), "Until": r.ExpiresAt.In(loc)}),
		[]Button{t.btn("btn_drop_finish", VerbDropFinish.Of(r.ID)), t.btn("btn_drop_release", VerbDropRelease.Of(r.ID))}), nil
}

// renderNotice renders drop_started (to a subscriber) and drop_offer
// (to a waitlisted buyer); a notice overtaken by events says nothing.
func (h *dropsHandler) renderNotice(r *Router, ctx context.Context, n Notice) ([]Reply, error) {
	d, err := h.dropService.Get(ctx, n.DropID)
	if err != nil {
		return nil, ignoreGone(err)
	}
	lang := templates.Match(n.Lang)
	if lang == "" {
		lang = templates.Default
	}
	t := &turn{r: r, ctx: ctx, s: &Session{Lang: lang}, lang: lang,
		m: Message{Channel: n.Channel, ChatID: n.ChatID, UserID: n.UserID}}
	switch n.Kind {
	case NoticeDropStarted:
		card, err := h.dropCard(t, d, false)
		if err != nil {
			return nil, err
		}
		card[0].Text = t.text("notice_drop_started", map[string]any{"Code": d.Code}) + "\n\n" + card[0].Text
		return card, nil
	default: // NoticeDropOffer
		res, err := h.dropService.Reservation(ctx, n.ReservationID)
		if err != nil {
			return nil, ignoreGone(err)
		}
		if res.DropID != d.ID || res.Buyer != t.buyer() {
			return nil, fmt.Errorf("bot: drop offer %d for another drop or buyer: %w", res.ID, commerce.ErrInvalid)
		}
		if res.Status != commerce.DropReserved || !h.dropService.Now().Before(res.ExpiresAt) {
			return nil, nil
		}
		return say(t.text("notice_drop_offer", map[string]any{"Qty": res.Qty, "Title": h.dropTitle(t, d), "Code": d.Code,
			"Until": res.ExpiresAt.In(h.dropZone(t, d))}), []Button{t.btn("btn_drop_finish", VerbDropFinish.Of(res.ID))}), nil
	}
}
