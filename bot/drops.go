package bot

import (
	"context"
	"errors"
	"fmt"
	"strconv"
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
func init() {
	registerDeepLink("d", func(t *turn, rest string) ([]Reply, bool, error) {
		if t.r.o.Drops == nil || !commerce.ValidDropCode(rest) {
			return nil, false, nil
		}
		r, err := t.dropByCode(rest)
		return r, true, err
	})
	registerCommand("/drop", func(t *turn, arg string) ([]Reply, error) {
		if t.r.o.Drops == nil {
			return t.help("help_unknown")
		}
		if arg == "" {
			return say(t.text("drop_usage", nil), t.mainMenu()...), nil
		}
		return t.dropByCode(arg)
	})
	registerAction("dc", withDrop(func(t *turn, d commerce.Drop, _ []string) ([]Reply, error) { return t.dropCard(d, true) }))
	registerAction("dsb", withDrop(func(t *turn, d commerce.Drop, _ []string) ([]Reply, error) { return t.dropSubscribe(d, true) }))
	registerAction("dus", withDrop(func(t *turn, d commerce.Drop, _ []string) ([]Reply, error) { return t.dropSubscribe(d, false) }))
	registerAction("dwl", withDrop(func(t *turn, d commerce.Drop, _ []string) ([]Reply, error) { return t.dropWaitlist(d) }))
	registerAction("dby", withDrop(func(t *turn, d commerce.Drop, args []string) ([]Reply, error) {
		qty, ok := parseInt(arg(args, 1), 1, d.PerBuyerLimit)
		nonce := arg(args, 2)
		if !ok || len(args) != 3 || len(nonce) == 0 || len(nonce) > 16 {
			return t.stale()
		}
		return t.dropReserve(d, qty, nonce)
	}))
	registerAction("dfo", func(t *turn, _ string, args []string) ([]Reply, error) {
		id, ok := parseID(args[0])
		if !ok || len(args) != 1 || t.r.o.Drops == nil {
			return t.stale()
		}
		return t.dropFinish(id)
	})
	registerAction("drx", func(t *turn, _ string, args []string) ([]Reply, error) {
		id, ok := parseID(args[0])
		if !ok || len(args) != 1 || t.r.o.Drops == nil {
			return t.stale()
		}
		return t.dropRelease(id)
	})
	registerAction("dpt", func(t *turn, _ string, args []string) ([]Reply, error) {
		pt, ok := parseID(arg(args, 1))
		if !ok || len(args) != 2 || args[0] != t.s.DropBuy.Nonce || t.s.DropBuy.Nonce == "" {
			return t.stale()
		}
		return t.dropPoint(pt)
	})
	registerAction("dnm", func(t *turn, rest string, _ []string) ([]Reply, error) {
		if rest != t.s.DropBuy.Nonce || t.s.Step != stepDropName || t.s.LastName == "" {
			return t.stale()
		}
		return t.dropName(t.s.LastName)
	})
	registerAction("dph", func(t *turn, rest string, _ []string) ([]Reply, error) {
		if rest != t.s.DropBuy.Nonce || t.s.Step != stepDropPhone || t.s.LastPhone == "" {
			return t.stale()
		}
		return t.dropPhone(t.s.LastPhone)
	})
	registerAction("dxo", func(t *turn, _ string, _ []string) ([]Reply, error) {
		t.leaveDropCheckout()
		return t.help("checkout_left")
	})
	registerStep(stepDropName, func(t *turn, text string) ([]Reply, error) { return t.dropName(text) })
	registerStep(stepDropPhone, func(t *turn, text string) ([]Reply, error) { return t.dropPhone(text) })
}

// Steps of the drop checkout.
const (
	stepDropName  = "dco_name"
	stepDropPhone = "dco_phone"
)

// DropCheckout is a drop reservation being turned into an order. Its
// buttons carry the nonce; the reservation stays here.
type DropCheckout struct {
	Nonce   string `json:"n,omitempty"`
	Res     int64  `json:"r,omitempty"`
	PointID int64  `json:"pt,omitempty"`
	Name    string `json:"nm,omitempty"`
}

// DropLinks are where a drop can be shared.
type DropLinks struct {
	Page   string // the drop page, GET /d/{code}
	Poster string // its poster PNG
	Bot    string // a link that opens the drop in the bot (t.me/<bot>?start=d_<code>)
}

func defaultZone() *time.Location {
	if loc, err := time.LoadLocation("Asia/Shanghai"); err == nil {
		return loc
	}
	return time.FixedZone("CST", 8*3600)
}

// withDrop parses "<drop id>:…" and loads the drop; a bad or unknown id is a stale button.
func withDrop(f func(t *turn, d commerce.Drop, args []string) ([]Reply, error)) actionFunc {
	return func(t *turn, _ string, args []string) ([]Reply, error) {
		id, ok := parseID(args[0])
		if !ok || t.r.o.Drops == nil {
			return t.stale()
		}
		d, err := t.r.o.Drops.Get(t.ctx, id)
		if errors.Is(err, commerce.ErrNotFound) {
			return t.stale()
		}
		if err != nil {
			return nil, err
		}
		return f(t, d, args)
	}
}

func (t *turn) dropByCode(code string) ([]Reply, error) {
	d, err := t.r.o.Drops.ByCode(t.ctx, code)
	if err != nil {
		return t.fail(err)
	}
	return t.dropCard(d, false)
}

// dropZone is where a drop's times are shown: its own zone, else the shop's.
func (t *turn) dropZone(d commerce.Drop) *time.Location {
	if d.TimeZone != "" {
		if loc, err := time.LoadLocation(d.TimeZone); err == nil {
			return loc
		}
	}
	return t.r.o.TimeZone
}

// buyerDropState is what the card shows of this buyer's own standing.
type buyerDropState struct {
	held       commerce.DropReservation // ID 0: none
	atLimit    bool                     // holds (reserved or ordered) the per-buyer limit
	subscribed bool
	waiting    bool
}

func (t *turn) buyerDropState(d commerce.Drop) (buyerDropState, error) {
	var st buyerDropState
	drops := t.r.o.Drops
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
func (t *turn) dropCardData(d commerce.Drop, p commerce.Product, st buyerDropState) map[string]any {
	now := t.r.o.Drops.Now()
	loc := t.dropZone(d)
	until := d.StartsAt.Sub(now)
	mins := int((until + time.Minute - 1) / time.Minute) // round up: "in 1 min" until it starts
	upcoming := now.Before(d.StartsAt)
	data := map[string]any{
		"Title": p.Title.In(t.lang), "Price": d.Price, "Regular": p.Price,
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
func (t *turn) dropCard(d commerce.Drop, edit bool) ([]Reply, error) {
	p, err := t.r.o.Shop.Store().Product(t.ctx, d.ProductID)
	if err != nil {
		return nil, err
	}
	st, err := t.buyerDropState(d)
	if err != nil {
		return nil, err
	}
	reply := t.dropCardReply(d, p, st)
	reply.Edit = edit
	rows := t.dropCardButtons(d, st)
	if t.isAdmin() && !t.m.Group {
		rows = append(rows, []Button{t.btn("btn_drop_stats", fmt.Sprintf("dv:%d", d.ID))})
	}
	reply.Buttons = rows
	return []Reply{reply}, nil
}

// dropCardReply is the card without buttons (the seller's preview adds its own).
func (t *turn) dropCardReply(d commerce.Drop, p commerce.Product, st buyerDropState) Reply {
	reply := Reply{Text: t.text("drop_card", t.dropCardData(d, p, st))}
	if !d.CancelledAt.IsZero() {
		reply.Text += "\n\n" + t.text("drop_cancelled_card", nil)
	}
	if p.Image != "" {
		reply.Image = t.r.o.ImageURL(p.Image)
	}
	return reply
}

func (t *turn) dropCardButtons(d commerce.Drop, st buyerDropState) [][]Button {
	now := t.r.o.Drops.Now()
	var rows [][]Button
	switch {
	case !d.CancelledAt.IsZero():
		// Called off: nothing to buy, wait for or be told about.
	case st.held.ID != 0:
		rows = append(rows, []Button{t.btn("btn_drop_finish", fmt.Sprintf("dfo:%d", st.held.ID)),
			t.btn("btn_drop_release", fmt.Sprintf("drx:%d", st.held.ID))})
	case st.atLimit:
		rows = append(rows, []Button{t.btn("btn_orders", "o")})
	case now.Before(d.StartsAt):
		if st.subscribed {
			rows = append(rows, []Button{t.btn("btn_drop_unnotify", fmt.Sprintf("dus:%d", d.ID))})
		} else {
			rows = append(rows, []Button{t.btn("btn_drop_notify", fmt.Sprintf("dsb:%d", d.ID))})
		}
	case d.Left > 0:
		nonce := newNonce()
		var row []Button
		for q := 1; q <= min(d.PerBuyerLimit, d.Left, 5); q++ {
			row = append(row, Button{Text: t.text("btn_drop_buy", map[string]any{"Qty": q, "Total": d.Price.Mul(q)}),
				Action: fmt.Sprintf("dby:%d:%d:%s", d.ID, q, nonce)})
		}
		if len(row) > 2 { // many choices: one per row reads better on a phone
			for _, b := range row {
				rows = append(rows, []Button{b})
			}
		} else {
			rows = append(rows, row)
		}
	case !st.waiting:
		rows = append(rows, []Button{t.btn("btn_drop_waitlist", fmt.Sprintf("dwl:%d", d.ID))})
	}
	rows = append(rows, []Button{t.btn("btn_drop_refresh", fmt.Sprintf("dc:%d", d.ID)), t.btn("btn_shop", "cats")})
	return rows
}

// dropNote is a short answer followed by the card.
func (t *turn) dropNote(d commerce.Drop, key string, data map[string]any) ([]Reply, error) {
	card, err := t.dropCard(d, false)
	return append(say(t.text(key, data)), card...), err
}

func (t *turn) dropTitle(d commerce.Drop) string {
	if p, err := t.r.o.Shop.Store().Product(t.ctx, d.ProductID); err == nil {
		return p.Title.In(t.lang)
	}
	return d.Code
}

func (t *turn) dropSubscribe(d commerce.Drop, on bool) ([]Reply, error) {
	data := map[string]any{"Title": t.dropTitle(d), "Start": d.StartsAt.In(t.dropZone(d))}
	if !on {
		if _, err := t.r.o.Drops.Unsubscribe(t.ctx, d.ID, t.buyer()); err != nil {
			return nil, err
		}
		return t.dropNote(d, "drop_unsubscribed", data)
	}
	_, err := t.r.o.Drops.Subscribe(t.ctx, d.ID, commerce.DropFollower{Buyer: t.buyer(), ChatID: t.m.ChatID, Lang: t.lang})
	if errors.Is(err, commerce.ErrInvalid) { // started meanwhile: the card has the buy button now
		return t.dropCard(d, false)
	}
	if err != nil {
		return nil, err
	}
	return t.dropNote(d, "drop_subscribed", data)
}

func (t *turn) dropWaitlist(d commerce.Drop) ([]Reply, error) {
	_, _, err := t.r.o.Drops.JoinWaitlist(t.ctx, d.ID, commerce.DropFollower{Buyer: t.buyer(), ChatID: t.m.ChatID, Lang: t.lang})
	if errors.Is(err, commerce.ErrInvalid) { // units back or not started: the card says what to do
		return t.dropCard(d, false)
	}
	if err != nil {
		return nil, err
	}
	return t.dropNote(d, "drop_waitlisted", nil)
}

func (t *turn) dropReserve(d commerce.Drop, qty int, nonce string) ([]Reply, error) {
	key := "dr:" + t.buyer().Key() + ":" + strconv.FormatInt(d.ID, 10) + ":" + nonce
	r, err := t.r.o.Drops.Reserve(t.ctx, d.ID, t.buyer(), qty, key)
	loc := t.dropZone(d)
	switch {
	case errors.Is(err, commerce.ErrDropNotStarted):
		return t.dropNote(d, "drop_not_started", map[string]any{"Title": t.dropTitle(d), "Start": d.StartsAt.In(loc)})
	case errors.Is(err, commerce.ErrDropCancelled):
		d.CancelledAt = t.r.o.Drops.Now() // the card below shows it, whatever this copy said
		return t.dropNote(d, "drop_cancelled", nil)
	case errors.Is(err, commerce.ErrSoldOut):
		return t.dropNote(d, "drop_sold_out", nil)
	case errors.Is(err, commerce.ErrDropLimit):
		return t.dropNote(d, "drop_limit", map[string]any{"Limit": d.PerBuyerLimit})
	case errors.Is(err, commerce.ErrQuantity), errors.Is(err, commerce.ErrConflict):
		return t.stale()
	case err != nil:
		return t.fail(err)
	}
	if r.Status != commerce.DropReserved || !t.r.o.Drops.Now().Before(r.ExpiresAt) {
		return t.dropCard(d, false) // a replayed tap of a reservation that ran out or became an order
	}
	return say(t.text("drop_reserved", map[string]any{"Qty": r.Qty, "Title": t.dropTitle(d), "Until": r.ExpiresAt.In(loc)}),
		[]Button{t.btn("btn_drop_finish", fmt.Sprintf("dfo:%d", r.ID)), t.btn("btn_drop_release", fmt.Sprintf("drx:%d", r.ID))}), nil
}

// liveReservation loads the buyer's own reservation and says why it cannot
// be finished when it cannot (replies set).
func (t *turn) liveReservation(id int64) (commerce.DropReservation, commerce.Drop, []Reply, error) {
	drops := t.r.o.Drops
	r, err := drops.Reservation(t.ctx, id)
	if errors.Is(err, commerce.ErrNotFound) || err == nil && r.Buyer != t.buyer() {
		rep, err := t.stale()
		return r, commerce.Drop{}, rep, err
	}
	if err != nil {
		return r, commerce.Drop{}, nil, err
	}
	d, err := drops.Get(t.ctx, r.DropID)
	if err != nil {
		return r, d, nil, err
	}
	switch {
	case r.Status == commerce.DropOrdered:
		return r, d, say(t.text("drop_already_ordered", nil), []Button{t.btn("btn_orders", "o")}), nil
	case r.Status != commerce.DropReserved || !drops.Now().Before(r.ExpiresAt):
		rep, err := t.dropNote(d, "drop_expired", nil)
		return r, d, rep, err
	}
	return r, d, nil, nil
}

// dropRelease gives the buyer's reservation back (it is theirs, and live).
func (t *turn) dropRelease(id int64) ([]Reply, error) {
	_, d, rep, err := t.liveReservation(id)
	if rep != nil || err != nil {
		return rep, err
	}
	if _, err := t.r.o.Drops.Release(t.ctx, id, t.buyer()); err != nil {
		return t.fail(err)
	}
	if t.s.DropBuy.Res == id {
		t.leaveDropCheckout()
	}
	d, err = t.r.o.Drops.Get(t.ctx, d.ID)
	if err != nil {
		return nil, err
	}
	return t.dropNote(d, "drop_released", nil)
}

// dropFinish starts turning a reservation into an order: the pickup point first.
func (t *turn) dropFinish(id int64) ([]Reply, error) {
	if t.m.Group {
		return say(t.text("checkout_private", nil)), nil
	}
	r, d, rep, err := t.liveReservation(id)
	if rep != nil || err != nil {
		return rep, err
	}
	points, err := t.r.o.Shop.Store().PickupPoints(t.ctx)
	if err != nil {
		return nil, err
	}
	if len(points) == 0 {
		return say(t.text("no_pickup_points", nil), t.mainMenu()...), nil
	}
	t.s.Step, t.s.DropBuy = "", DropCheckout{Nonce: newNonce(), Res: r.ID}
	var rows [][]Button
	for _, p := range points {
		rows = append(rows, []Button{{
			Text:   t.text("point_button", map[string]any{"City": p.City.In(t.lang), "Name": p.Name.In(t.lang)}),
			Action: fmt.Sprintf("dpt:%s:%d", t.s.DropBuy.Nonce, p.ID),
		}})
	}
	rows = append(rows, []Button{t.btn("btn_cancel_checkout", "dxo")})
	return say(t.text("drop_checkout_point", map[string]any{"Qty": r.Qty, "Title": t.dropTitle(d),
		"Total": d.Price.Mul(r.Qty), "Until": r.ExpiresAt.In(t.dropZone(d))}), rows...), nil
}

func (t *turn) leaveDropCheckout() {
	if t.s.Step == stepDropName || t.s.Step == stepDropPhone {
		t.s.Step = ""
	}
	t.s.DropBuy = DropCheckout{}
}

func (t *turn) dropPoint(id int64) ([]Reply, error) {
	p, err := t.r.o.Shop.Store().PickupPoint(t.ctx, id)
	if err != nil || !p.Active {
		if err == nil || errors.Is(err, commerce.ErrNotFound) {
			return t.stale()
		}
		return nil, err
	}
	t.s.DropBuy.PointID, t.s.Step = p.ID, stepDropName
	var rows [][]Button
	if t.s.LastName != "" {
		rows = append(rows, []Button{{Text: t.text("btn_use", map[string]any{"Value": t.s.LastName}), Action: "dnm:" + t.s.DropBuy.Nonce}})
	}
	rows = append(rows, []Button{t.btn("btn_cancel_checkout", "dxo")})
	return say(t.text("checkout_name", map[string]any{"Point": p.Name.In(t.lang), "Address": p.Address.In(t.lang)}), rows...), nil
}

func (t *turn) dropName(text string) ([]Reply, error) {
	name, err := commerce.NormalizeName(text)
	if err != nil {
		return say(t.text("err_name", nil), []Button{t.btn("btn_cancel_checkout", "dxo")}), nil
	}
	t.s.DropBuy.Name, t.s.Step = name, stepDropPhone
	var rows [][]Button
	if t.s.LastPhone != "" {
		rows = append(rows, []Button{{Text: t.text("btn_use", map[string]any{"Value": maskPhone(t.s.LastPhone)}), Action: "dph:" + t.s.DropBuy.Nonce}})
	}
	rows = append(rows, []Button{t.btn("btn_cancel_checkout", "dxo")})
	return []Reply{{Text: t.text("checkout_phone", map[string]any{"Name": name}), Buttons: rows, AskPhone: true}}, nil
}

func (t *turn) dropPhone(text string) ([]Reply, error) {
	phone, err := commerce.NormalizePhone(text)
	if err != nil {
		return say(t.text("err_phone", nil), []Button{t.btn("btn_cancel_checkout", "dxo")}), nil
	}
	co := t.s.DropBuy
	if co.Nonce == "" || co.Res == 0 || co.PointID == 0 || co.Name == "" {
		t.leaveDropCheckout()
		return t.stale()
	}
	o, created, err := t.r.o.Drops.Order(t.ctx, commerce.DropOrder{ReservationID: co.Res, Buyer: t.buyer(),
		ChatID: t.m.ChatID, Lang: t.lang, PickupPointID: co.PointID, ContactName: co.Name, Phone: phone,
		Key: "dco:" + SessionKey(t.m) + ":" + co.Nonce})
	switch {
	case errors.Is(err, commerce.ErrDropLimit):
		// Nothing changed: the reservation stands until it runs out.
		t.leaveDropCheckout()
		r, rerr := t.r.o.Drops.Reservation(t.ctx, co.Res)
		if rerr != nil {
			return nil, rerr
		}
		d, derr := t.r.o.Drops.Get(t.ctx, r.DropID)
		if derr != nil {
			return nil, derr
		}
		return say(t.text("drop_phone_limit", map[string]any{"Limit": d.PerBuyerLimit, "Until": r.ExpiresAt.In(t.dropZone(d))}),
			[]Button{t.btn("btn_drop_finish", fmt.Sprintf("dfo:%d", r.ID)), t.btn("btn_drop_release", fmt.Sprintf("drx:%d", r.ID))},
			[]Button{t.btn("btn_drop_refresh", fmt.Sprintf("dc:%d", d.ID))}), nil
	case errors.Is(err, commerce.ErrExpired):
		t.leaveDropCheckout()
		_, _, rep, lerr := t.liveReservation(co.Res)
		if rep != nil || lerr != nil {
			return rep, lerr
		}
		return t.dropFinish(co.Res)
	case errors.Is(err, commerce.ErrInvalid):
		// The pickup point closed meanwhile (name and phone were checked): choose again.
		t.leaveDropCheckout()
		return t.dropFinish(co.Res)
	case errors.Is(err, commerce.ErrNotFound):
		t.leaveDropCheckout()
		return t.stale()
	case err != nil:
		return t.fail(err)
	}
	if created {
		t.r.o.Events(EventOrderPlaced)
	}
	t.leaveDropCheckout()
	t.s.LastName, t.s.LastPhone = o.ContactName, o.Phone
	return t.orderView(o, "order_confirmed")
}

// renderDropNotice renders drop_started (to a subscriber) and drop_offer
// (to a waitlisted buyer); a notice overtaken by events says nothing.
func (r *Router) renderDropNotice(ctx context.Context, n Notice) ([]Reply, error) {
	if r.o.Drops == nil {
		return nil, errors.New("bot: drop notices need Options.Drops")
	}
	d, err := r.o.Drops.Get(ctx, n.DropID)
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
		card, err := t.dropCard(d, false)
		if err != nil {
			return nil, err
		}
		card[0].Text = t.text("notice_drop_started", map[string]any{"Code": d.Code}) + "\n\n" + card[0].Text
		return card, nil
	default: // NoticeDropOffer
		res, err := r.o.Drops.Reservation(ctx, n.ReservationID)
		if err != nil {
			return nil, ignoreGone(err)
		}
		if res.DropID != d.ID || res.Buyer != t.buyer() {
			return nil, fmt.Errorf("bot: drop offer %d for another drop or buyer: %w", res.ID, commerce.ErrInvalid)
		}
		if res.Status != commerce.DropReserved || !r.o.Drops.Now().Before(res.ExpiresAt) {
			return nil, nil
		}
		return say(t.text("notice_drop_offer", map[string]any{"Qty": res.Qty, "Title": t.dropTitle(d), "Code": d.Code,
			"Until": res.ExpiresAt.In(t.dropZone(d))}), []Button{t.btn("btn_drop_finish", fmt.Sprintf("dfo:%d", res.ID))}), nil
	}
}
