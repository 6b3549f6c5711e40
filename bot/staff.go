package bot

import (
	"context"
	"errors"
	"strings"
	"time"
	"unicode"

	"shopbot/chatstate"
	"shopbot/commerce"
	"shopbot/templates"
)

// Staff and seller side of pickup.
//
// Staff of a pickup point (PickupPoint.Staff) type a buyer's 6-digit code
// or scan the QR into the chat; the code is kept in the session and the
// buttons carry only a nonce:
//
//	rp:<nonce>:<point>   the point to redeem at (staff of several points)
//	rd:<nonce>           hand the inspected order over
//	rdx:<nonce>          cancel
//	sm                   the staff menu (also /staff)
//	sa:<point>:<return>  accept a return at the counter
//	sj:<point>:<return>  reject it
//
// Sellers (Options.Admins) check shipments in with commands:
//
//	/shipped <point-code> [#BATCH] <order numbers…>
//	/arrived <point-code> <order numbers…> | /arrived <point-code> #BATCH
//
// A batch is written "#B-1125" or "batch:B-1125"; /arrived also takes it
// bare when it cannot be an order number.

// Verbs of the counter.
const (
	VerbStaffPoint     Verb = "rp"
	VerbHandOver       Verb = "rd"
	VerbHandOverCancel Verb = "rdx"
	VerbStaffMenu      Verb = "sm"
	VerbReturnAccept   Verb = "sa"
	VerbReturnReject   Verb = "sj"
)

// Commands of staff and of sellers' pickup work.
const (
	CmdStaff   Command = "/staff"
	CmdShipped Command = "/shipped"
	CmdArrived Command = "/arrived"
	CmdPoints  Command = "/points"
	CmdPoint   Command = "/point"
)

// maxReturnsListed caps the requests one staff menu lists per point.
const maxReturnsListed = 10

// StaffDraft is the staff's part of the session: a redemption in progress
// at the counter. Its buttons carry only the nonce; the code and the point
// stay here.
type StaffDraft struct {
	Nonce   string `json:"n,omitempty"`
	Input   string `json:"in,omitempty"` // the code or token as ParseRedeemInput read it
	PointID int64  `json:"pt,omitempty"` // set once the code was inspected at a point
	// Amount is the payment at pickup staff typed, in minor units; 0 is
	// the order's total (staffpay.go).
	Amount int64 `json:"am,omitempty"`
	// Trade is the WeChat Pay QR shown at the counter (its out_trade_no;
	// staffpay.go).
	Trade string `json:"tn,omitempty"`
}

type staffHandler struct {
	shop          *commerce.Shop
	pickupService *commerce.Pickup
	pickup        *pickupHandler
	locker        chatstate.Locker
	decodeQR      func(img []byte) (string, error)
	payments      *commerce.Payments // WeChat Pay at the counter (staffpay.go); nil: none
}

func (h *staffHandler) routes() routes {
	return routes{
		commands: map[Command]commandFunc{
			CmdStaff:   func(t *turn, _ string) ([]Reply, error) { return h.staffMenu(t, true) },
			CmdShipped: func(t *turn, arg string) ([]Reply, error) { return h.shipment(t, CmdShipped, arg) },
			CmdArrived: func(t *turn, arg string) ([]Reply, error) { return h.shipment(t, CmdArrived, arg) },
			CmdPoints:  func(t *turn, arg string) ([]Reply, error) { return h.pointCommand(t, CmdPoints, arg) },
			CmdPoint:   func(t *turn, arg string) ([]Reply, error) { return h.pointCommand(t, CmdPoint, arg) },
		},
		actions: map[Verb]actionFunc{
			VerbStaffPoint: func(t *turn, a args) ([]Reply, error) {
				pt, ok := a.id(1)
				if !ok || len(a) != 2 {
					return t.stale()
				}
				return h.staffPoint(t, a.str(0), pt)
			},
			VerbHandOver:       func(t *turn, a args) ([]Reply, error) { return h.handOver(t, strings.Join(a, ":")) },
			VerbHandOverCancel: func(t *turn, a args) ([]Reply, error) { return h.cancelHandOver(t, strings.Join(a, ":")) },
			VerbStaffMenu:      func(t *turn, _ args) ([]Reply, error) { return h.staffMenu(t, false) },
			VerbReturnAccept:   h.returnDecision(true),
			VerbReturnReject:   h.returnDecision(false),
			VerbHandOverPaid:   h.handOverPaidAction,
			VerbPayAmount:      func(t *turn, a args) ([]Reply, error) { return h.askAmount(t, strings.Join(a, ":")) },
			VerbPayWeChatQR:    func(t *turn, a args) ([]Reply, error) { return h.wechatQR(t, strings.Join(a, ":")) },
			VerbPayWeChatCheck: func(t *turn, a args) ([]Reply, error) { return h.wechatCheck(t, strings.Join(a, ":")) },
			VerbPayOther:       func(t *turn, a args) ([]Reply, error) { return h.payOther(t, strings.Join(a, ":")) },
		},
		steps:  map[Step]stepFunc{stepPayAmount: h.amountStep},
		codes:  []inputFunc{h.staffCode},
		photos: []inputFunc{h.photo},
	}
}

// returnDecision reads "<point>:<return>" and accepts or rejects the return.
func (h *staffHandler) returnDecision(accept bool) actionFunc {
	return func(t *turn, a args) ([]Reply, error) {
		pt, ok := a.id(0)
		ret, retOK := a.id(1)
		if !ok || !retOK || len(a) != 2 {
			return t.stale()
		}
		return h.decideReturn(t, accept, pt, ret)
	}
}

// staffRow leads staff back to their menu.
func (h *staffHandler) staffRow(t *turn) []Button {
	return []Button{t.btn("btn_staff_menu", VerbStaffMenu.Of())}
}

// staffPoints lists the points the sender staffs; empty for everyone else
// (and when pickup is off or the chat is a group: codes are not for groups).
func (h *staffHandler) staffPoints(t *turn) ([]commerce.PickupPoint, error) {
	if t.m.Group || t.m.UserID == "" || !t.privileged() {
		return nil, nil
	}
	return h.pickupService.StaffPoints(t.ctx, t.identity())
}

// staffFail explains a redemption error to staff.
func (h *staffHandler) staffFail(t *turn, err error) ([]Reply, error) {
	ue, ok := ErrorText(err, InChat)
	if !ok {
		return nil, err
	}
	key := ue.Key
	return say(t.text(key, nil), h.staffRow(t)), nil
}

// staffCode handles typed text that may be a pickup code or a scanned
// token. ok is false when the text is not one or the sender is not staff:
// the caller goes on as for any text, so nobody learns who is staff.
func (h *staffHandler) staffCode(t *turn, text string) ([]Reply, bool, error) {
	if t.s.Step == stepPayAmount && !strings.Contains(text, commerce.TokenPrefix) {
		// Six digits typed while the amount is awaited are the amount
		// (¥100000), not another pickup code; a scanned pass still is one.
		return nil, false, nil
	}
	input, ok := redeemInput(text)
	if !ok {
		return nil, false, nil
	}
	pts, err := h.staffPoints(t)
	if err != nil || len(pts) == 0 {
		return nil, err != nil, err
	}
	r, err := h.holdCode(t, pts, input)
	return r, true, err
}

// redeemInput reads what staff typed or scanned: a 6-digit code, or a
// token (alone or in a URL). ok is false for anything else. A damaged
// token is kept whole: Inspect counts it as a wrong code.
func redeemInput(text string) (string, bool) {
	in, err := commerce.ParseRedeemInput(text)
	if err != nil {
		return text, strings.Contains(text, commerce.TokenPrefix)
	}
	return in.Code + in.Token, true
}

// holdCode keeps the input in the session and inspects the order it
// collects at the staff member's point, or asks which point they are at.
func (h *staffHandler) holdCode(t *turn, pts []commerce.PickupPoint, input string) ([]Reply, error) {
	t.s.Staff = StaffDraft{Nonce: newNonce(), Input: input}
	if len(pts) == 1 {
		return h.inspect(t, pts[0].ID)
	}
	var rows [][]Button
	for _, p := range pts {
		rows = append(rows, []Button{{Text: t.text("point_button", map[string]any{"City": p.City.In(t.lang), "Name": p.Name.In(t.lang)}),
			Action: VerbStaffPoint.Of(t.s.Staff.Nonce, p.ID)}})
	}
	rows = append(rows, []Button{t.btn("btn_staff_cancel", VerbHandOverCancel.Of(t.s.Staff.Nonce))})
	return say(t.text("staff_choose_point", nil), rows...), nil
}

// photo answers a picture sent to the chat. Staff photograph a buyer's
// pickup QR: its text goes the way of a typed code (failing that, a code
// typed as the caption does). Nobody else needs to send pictures, and only
// staff photos are decoded, so a stranger cannot make the bot do that work.
func (h *staffHandler) photo(t *turn, caption string) ([]Reply, bool, error) {
	pts, err := h.staffPoints(t)
	if err != nil || len(pts) == 0 {
		return nil, err != nil, err
	}
	r, err := h.qrPhoto(t, pts, caption)
	return r, true, err
}

// qrPhoto reads the pickup code in a staff member's photo (failing that,
// in its caption).
func (h *staffHandler) qrPhoto(t *turn, pts []commerce.PickupPoint, caption string) ([]Reply, error) {
	if h.decodeQR != nil {
		text, err := h.decodeQR(t.m.Photo)
		text = strings.TrimSpace(text)
		if err != nil {
			t.r.o.Log.DebugContext(t.ctx, "no QR code read from a staff photo", "err", err)
		} else if input, ok := redeemInput(text); ok && len(text) <= maxTextLen {
			return h.holdCode(t, pts, input)
		}
	}
	if input, ok := redeemInput(caption); ok && len(caption) <= maxTextLen {
		return h.holdCode(t, pts, input)
	}
	return say(t.text("staff_photo_no_code", nil), h.staffRow(t)), nil
}

// staffPoint redeems the held code at the point the staff member chose.
func (h *staffHandler) staffPoint(t *turn, nonce string, pointID int64) ([]Reply, error) {
	d := t.s.Staff
	if d.Nonce == "" || nonce != d.Nonce || d.Input == "" || d.PointID != 0 {
		return t.stale()
	}
	return h.inspect(t, pointID)
}

// inspect shows staff the order the held code collects, with the buttons
// to hand it over or cancel.
func (h *staffHandler) inspect(t *turn, pointID int64) ([]Reply, error) {
	col, err := h.pickupService.Inspect(t.ctx, t.identity(), pointID, t.s.Staff.Input)
	if err != nil {
		t.s.Staff = StaffDraft{}
		return h.staffFail(t, err)
	}
	t.s.Staff.PointID = pointID
	pt, loc, err := h.pickup.pointOf(t, pointID)
	if err != nil {
		return nil, err
	}
	data := h.collectionData(t, col, pt, loc)
	if !col.Order.Paid.IsPaid() { // payment at pickup first (staffpay.go)
		return h.askPayment(t, col, data)
	}
	return say(t.text("staff_inspect", data),
		[]Button{t.btn("btn_hand_over", VerbHandOver.Of(t.s.Staff.Nonce)), t.btn("btn_staff_cancel", VerbHandOverCancel.Of(t.s.Staff.Nonce))}), nil
}

// collectionData describes an order at the counter.
func (h *staffHandler) collectionData(t *turn, col commerce.Collection, pt commerce.PickupPoint, loc *time.Location) map[string]any {
	type line struct {
		Title string
		Qty   int
		Total commerce.Money
	}
	var lines []line
	for _, l := range col.Order.Lines {
		lines = append(lines, line{Title: l.Title.In(t.lang), Qty: l.Qty, Total: l.UnitPrice.Mul(l.Qty)})
	}
	data := h.pickup.pointData(t, col.Order, pt)
	data["Lines"], data["Buyer"] = lines, col.FirstName
	if col.Booking != nil {
		withSlot(data, col.Booking.Start, col.Booking.End, loc)
	}
	return data
}

// handOver redeems the held code: the order becomes picked_up exactly once.
func (h *staffHandler) handOver(t *turn, nonce string) ([]Reply, error) {
	d := t.s.Staff
	if d.Nonce == "" || nonce != d.Nonce || d.Input == "" || d.PointID == 0 {
		return t.stale()
	}
	t.s.Staff = StaffDraft{}
	col, err := h.pickupService.Redeem(t.ctx, t.identity(), d.PointID, d.Input)
	if err != nil {
		return h.staffFail(t, err)
	}
	pt, loc, err := h.pickup.pointOf(t, d.PointID)
	if err != nil {
		return nil, err
	}
	return say(t.text("staff_handed_over", h.collectionData(t, col, pt, loc)), h.staffRow(t)), nil
}

func (h *staffHandler) cancelHandOver(t *turn, nonce string) ([]Reply, error) {
	if t.s.Staff.Nonce == "" || nonce != t.s.Staff.Nonce {
		return t.stale()
	}
	t.s.leaveStep(stepPayAmount)
	t.s.Staff = StaffDraft{}
	return say(t.text("staff_cancelled", nil), h.staffRow(t)), nil
}

// staffMenu lists the sender's points with the returns expected there, and
// the seller commands for admins. Anyone else gets the ordinary answer to
// an unknown command (or a stale button).
func (h *staffHandler) staffMenu(t *turn, command bool) ([]Reply, error) {
	pts, err := h.staffPoints(t)
	if err != nil {
		return nil, err
	}
	admin := t.isAdmin()
	if len(pts) == 0 && !admin {
		if command {
			return t.help("help_unknown")
		}
		return t.stale()
	}
	var replies []Reply
	if len(pts) > 0 {
		r, err := h.staffDesk(t, pts)
		if err != nil {
			return nil, err
		}
		replies = append(replies, r)
	}
	if admin {
		r, err := h.sellerHelp(t)
		if err != nil {
			return nil, err
		}
		replies = append(replies, r)
	}
	return replies, nil
}

// staffDesk is the staff menu proper: points and open returns with
// accept/reject buttons.
func (h *staffHandler) staffDesk(t *turn, pts []commerce.PickupPoint) (Reply, error) {
	type ret struct {
		Number, Kind, Reason string
		Booked               bool
		Start, End           time.Time
	}
	type point struct {
		Name    string
		Returns []ret
		More    int
	}
	var list []point
	var rows [][]Button
	for _, p := range pts {
		loc, err := h.pickupService.Location(p)
		if err != nil {
			return Reply{}, err
		}
		open, err := h.pickupService.OpenReturns(t.ctx, t.identity(), p.ID)
		if err != nil {
			return Reply{}, err
		}
		item := point{Name: p.Name.In(t.lang), More: max(0, len(open)-maxReturnsListed)}
		for _, r := range open[:min(len(open), maxReturnsListed)] {
			x := ret{Number: r.OrderNumber, Kind: t.text("return_kind_"+string(r.Kind), nil), Reason: t.text("return_reason_"+r.Reason, nil)}
			if r.Status == commerce.ReturnDropoffBooked && !r.SlotStart.IsZero() {
				x.Booked, x.Start, x.End = true, r.SlotStart.In(loc), r.SlotEnd.In(loc)
			}
			item.Returns = append(item.Returns, x)
			num := map[string]any{"Number": r.OrderNumber}
			rows = append(rows, []Button{
				{Text: t.text("btn_accept_return", num), Action: VerbReturnAccept.Of(p.ID, r.ID)},
				{Text: t.text("btn_reject_return", num), Action: VerbReturnReject.Of(p.ID, r.ID)},
			})
		}
		list = append(list, item)
	}
	return Reply{Text: t.text("staff_menu", map[string]any{"Points": list}), Buttons: rows}, nil
}

// decideReturn accepts or rejects a return at the counter.
func (h *staffHandler) decideReturn(t *turn, accept bool, pointID, returnID int64) ([]Reply, error) {
	pts, err := h.staffPoints(t)
	if err != nil {
		return nil, err
	}
	if len(pts) == 0 {
		return t.stale()
	}
	decide := h.pickupService.RejectReturn
	if accept {
		decide = h.pickupService.AcceptReturn
	}
	r, err := decide(t.ctx, t.identity(), pointID, returnID, "")
	switch {
	case errors.Is(err, commerce.ErrInvalidTransition):
		return say(t.text("staff_return_decided_already", nil), h.staffRow(t)), nil
	case err != nil:
		return h.staffFail(t, err)
	}
	desk, err := h.staffDesk(t, pts)
	if err != nil {
		return nil, err
	}
	done := t.text("staff_return_decided", map[string]any{"Number": r.OrderNumber,
		"Kind": t.text("return_kind_"+string(r.Kind), nil), "Status": t.text("return_status_"+string(r.Status), nil)})
	return []Reply{{Text: done}, desk}, nil
}

// ---- seller ----

// pointCodes lists the active points' codes for the seller's reference.
func (h *staffHandler) pointCodes(t *turn) (string, []commerce.PickupPoint, error) {
	pts, err := h.shop.Store().PickupPoints(t.ctx)
	if err != nil {
		return "", nil, err
	}
	codes := make([]string, 0, len(pts))
	for _, p := range pts {
		codes = append(codes, p.Code)
	}
	return strings.Join(codes, ", "), pts, nil
}

func (h *staffHandler) sellerHelp(t *turn) (Reply, error) {
	codes, _, err := h.pointCodes(t)
	if err != nil {
		return Reply{}, err
	}
	return Reply{Text: t.text("seller_help", map[string]any{"Codes": codes})}, nil
}

// batchArg reads "#B-1125" or "batch:B-1125", or, when bare is set, a word
// that cannot be an order number ("B-1125", "SH1125A") but is a valid batch
// code. (Bare batches are for check-in only: shipping under a mistyped
// order number would create a batch.)
func batchArg(s string, bare bool) (string, bool) {
	if b, ok := strings.CutPrefix(s, "#"); ok {
		return b, true
	}
	if len(s) > 6 && strings.EqualFold(s[:6], "batch:") {
		return s[6:], true
	}
	if _, err := commerce.NormalizeBatchCode(s); bare && err == nil && !orderNumberLike(s) {
		return s, true
	}
	return "", false
}

// orderNumberLike reports whether s could be an order number: 6 characters
// of the order number alphabet, any case.
func orderNumberLike(s string) bool {
	if len(s) != 6 {
		return false
	}
	for _, r := range strings.ToUpper(s) {
		if !strings.ContainsRune("23456789ABCDEFGHJKMNPQRSTUVWXYZ", r) {
			return false
		}
	}
	return true
}

// shipment runs /shipped and /arrived for sellers; anyone else gets the
// ordinary answer to an unknown command.
func (h *staffHandler) shipment(t *turn, cmd Command, arg string) ([]Reply, error) {
	if !t.isAdmin() {
		return t.help("help_unknown")
	}
	codes, pts, err := h.pointCodes(t)
	if err != nil {
		return nil, err
	}
	fields := strings.FieldsFunc(arg, func(r rune) bool { return unicode.IsSpace(r) || r == ',' || r == ';' })
	usage := func() ([]Reply, error) {
		return say(t.text("seller_help", map[string]any{"Codes": codes})), nil
	}
	if len(fields) < 2 {
		return usage()
	}
	var pt commerce.PickupPoint
	for _, p := range pts {
		if strings.EqualFold(p.Code, fields[0]) {
			pt = p
		}
	}
	if pt.ID == 0 {
		return say(t.text("seller_unknown_point", map[string]any{"PointCode": fields[0], "Codes": codes})), nil
	}
	s := commerce.Shipment{PointID: pt.ID}
	for _, f := range fields[1:] {
		if b, ok := batchArg(f, cmd == CmdArrived); ok {
			if s.Batch != "" || b == "" {
				return usage()
			}
			s.Batch = b
			continue
		}
		s.Numbers = append(s.Numbers, f)
	}
	var report commerce.MoveReport
	key := "seller_shipped"
	if cmd == CmdArrived {
		key = "seller_arrived"
		report, err = h.pickupService.MarkArrived(t.ctx, s)
	} else {
		report, err = h.pickupService.Ship(t.ctx, s)
	}
	switch {
	case errors.Is(err, commerce.ErrWrongPoint):
		return say(t.text("err_wrong_point", nil)), nil
	case errors.Is(err, commerce.ErrNotFound) && s.Batch != "":
		return say(t.text("seller_unknown_batch", map[string]any{"Batch": strings.ToUpper(s.Batch)})), nil
	case errors.Is(err, commerce.ErrInvalid):
		return usage()
	case err != nil:
		return nil, err
	}
	type skipped struct{ Number, Reason string }
	var moved []string
	var skips []skipped
	for _, o := range report.Moved {
		moved = append(moved, o.Number)
	}
	for _, sk := range report.Skipped {
		skips = append(skips, skipped{Number: sk.Number,
			Reason: t.text("skip_"+string(sk.Reason), map[string]any{"Status": t.text("status_"+string(sk.Status), nil)})})
	}
	batch := ""
	if s.Batch != "" {
		batch = strings.ToUpper(s.Batch)
	}
	return say(t.text(key, map[string]any{"Point": pt.Name.In(t.lang), "PointCode": pt.Code, "Batch": batch,
		"N": len(moved), "Moved": moved, "Skipped": skips})), nil
}

// renderFlood tells a seller that wrong pickup codes at a point reached the
// flood alert (NoticeStaffFlood): someone with a staff sign-in may be
// guessing. A point gone since says nothing.
func (h *staffHandler) renderFlood(r *Router, ctx context.Context, n Notice) ([]Reply, error) {
	pt, err := h.pickupService.Store().PickupPoint(ctx, n.PointID)
	if errors.Is(err, commerce.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	lang := templates.Match(n.Lang)
	if lang == "" {
		lang = templates.Default
	}
	t := &turn{r: r, ctx: ctx, s: &Session{Lang: lang}, lang: lang, m: Message{Channel: n.Channel, ChatID: n.ChatID, UserID: n.UserID}}
	lim := h.pickupService.FloodAlert()
	return say(t.text("notice_staff_flood", map[string]any{"Point": pt.Name.In(lang), "PointCode": pt.Code, "N": lim.N,
		"Minutes": int(lim.Per / time.Minute)})), nil
}
