package bot

import (
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode"

	"shopbot/commerce"
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

// maxReturnsListed caps the requests one staff menu lists per point.
const maxReturnsListed = 10

// identity is the sender as staff lists and Admins name them: "tg:123".
func (t *turn) identity() string { return t.m.Channel + ":" + t.m.UserID }

// privileged reports whether the sender's identity is vouched for by its
// platform (Telegram, WeChat); web-chat ids are self-chosen (see
// Options.TrustWebIdentity).
func (t *turn) privileged() bool { return t.m.Channel != ChannelWeb || t.r.o.TrustWebIdentity }

func (t *turn) isAdmin() bool { return t.privileged() && t.r.admins[t.identity()] }

// staffRow leads staff back to their menu.
func (t *turn) staffRow() []Button { return []Button{t.btn("btn_staff_menu", "sm")} }

// staffPoints lists the points the sender staffs; empty for everyone else
// (and when pickup is off or the chat is a group: codes are not for groups).
func (t *turn) staffPoints() ([]commerce.PickupPoint, error) {
	if t.r.o.Pickup == nil || t.m.Group || t.m.UserID == "" || !t.privileged() {
		return nil, nil
	}
	return t.r.o.Pickup.StaffPoints(t.ctx, t.identity())
}

// staffFail explains a redemption error to staff.
func (t *turn) staffFail(err error) ([]Reply, error) {
	ue, ok := ErrorText(err, InChat)
	if !ok {
		return nil, err
	}
	key := ue.Key
	return say(t.text(key, nil), t.staffRow()), nil
}

// staffCode handles typed text that may be a pickup code or a scanned
// token. ok is false when the text is not one or the sender is not staff:
// the caller goes on as for any text, so nobody learns who is staff.
func (t *turn) staffCode(text string) ([]Reply, bool, error) {
	input, ok := redeemInput(text)
	if !ok {
		return nil, false, nil
	}
	pts, err := t.staffPoints()
	if err != nil || len(pts) == 0 {
		return nil, err != nil, err
	}
	r, err := t.holdCode(pts, input)
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
func (t *turn) holdCode(pts []commerce.PickupPoint, input string) ([]Reply, error) {
	t.s.Staff = StaffDraft{Nonce: newNonce(), Input: input}
	if len(pts) == 1 {
		return t.inspect(pts[0].ID)
	}
	var rows [][]Button
	for _, p := range pts {
		rows = append(rows, []Button{{Text: t.text("point_button", map[string]any{"City": p.City.In(t.lang), "Name": p.Name.In(t.lang)}),
			Action: fmt.Sprintf("rp:%s:%d", t.s.Staff.Nonce, p.ID)}})
	}
	rows = append(rows, []Button{t.btn("btn_staff_cancel", "rdx:"+t.s.Staff.Nonce)})
	return say(t.text("staff_choose_point", nil), rows...), nil
}

// photo answers a picture sent to the chat. Staff photograph a buyer's
// pickup QR: its text goes the way of a typed code (failing that, a code
// typed as the caption does). Nobody else needs to send pictures, and only
// staff photos are decoded, so a stranger cannot make the bot do that work.
func (t *turn) photo(caption string) ([]Reply, error) {
	pts, err := t.staffPoints()
	if err != nil {
		return nil, err
	}
	if len(pts) == 0 {
		return t.help("photo_not_supported")
	}
	if t.r.o.DecodeQR != nil {
		text, err := t.r.o.DecodeQR(t.m.Photo)
		text = strings.TrimSpace(text)
		if err != nil {
			t.r.o.Log.DebugContext(t.ctx, "no QR code read from a staff photo", "err", err)
		} else if input, ok := redeemInput(text); ok && len(text) <= maxTextLen {
			return t.holdCode(pts, input)
		}
	}
	if input, ok := redeemInput(caption); ok && len(caption) <= maxTextLen {
		return t.holdCode(pts, input)
	}
	return say(t.text("staff_photo_no_code", nil), t.staffRow()), nil
}

// staffPoint redeems the held code at the point the staff member chose.
func (t *turn) staffPoint(nonce string, pointID int64) ([]Reply, error) {
	d := t.s.Staff
	if t.r.o.Pickup == nil || d.Nonce == "" || nonce != d.Nonce || d.Input == "" || d.PointID != 0 {
		return t.stale()
	}
	return t.inspect(pointID)
}

// inspect shows staff the order the held code collects, with the buttons
// to hand it over or cancel.
func (t *turn) inspect(pointID int64) ([]Reply, error) {
	col, err := t.r.o.Pickup.Inspect(t.ctx, t.identity(), pointID, t.s.Staff.Input)
	if err != nil {
		t.s.Staff = StaffDraft{}
		return t.staffFail(err)
	}
	t.s.Staff.PointID = pointID
	pt, loc, err := t.pointOf(pointID)
	if err != nil {
		return nil, err
	}
	data := t.collectionData(col, pt, loc)
	return say(t.text("staff_inspect", data),
		[]Button{t.btn("btn_hand_over", "rd:"+t.s.Staff.Nonce), t.btn("btn_staff_cancel", "rdx:"+t.s.Staff.Nonce)}), nil
}

// collectionData describes an order at the counter.
func (t *turn) collectionData(col commerce.Collection, pt commerce.PickupPoint, loc *time.Location) map[string]any {
	type line struct {
		Title string
		Qty   int
		Total commerce.Money
	}
	var lines []line
	for _, l := range col.Order.Lines {
		lines = append(lines, line{Title: l.Title.In(t.lang), Qty: l.Qty, Total: l.UnitPrice.Mul(l.Qty)})
	}
	data := t.pointData(col.Order, pt)
	data["Lines"], data["Buyer"] = lines, col.FirstName
	if col.Booking != nil {
		withSlot(data, col.Booking.Start, col.Booking.End, loc)
	}
	return data
}

// handOver redeems the held code: the order becomes picked_up exactly once.
func (t *turn) handOver(nonce string) ([]Reply, error) {
	d := t.s.Staff
	if t.r.o.Pickup == nil || d.Nonce == "" || nonce != d.Nonce || d.Input == "" || d.PointID == 0 {
		return t.stale()
	}
	t.s.Staff = StaffDraft{}
	col, err := t.r.o.Pickup.Redeem(t.ctx, t.identity(), d.PointID, d.Input)
	if err != nil {
		return t.staffFail(err)
	}
	pt, loc, err := t.pointOf(d.PointID)
	if err != nil {
		return nil, err
	}
	return say(t.text("staff_handed_over", t.collectionData(col, pt, loc)), t.staffRow()), nil
}

func (t *turn) cancelHandOver(nonce string) ([]Reply, error) {
	if t.s.Staff.Nonce == "" || nonce != t.s.Staff.Nonce {
		return t.stale()
	}
	t.s.Staff = StaffDraft{}
	return say(t.text("staff_cancelled", nil), t.staffRow()), nil
}

// staffMenu lists the sender's points with the returns expected there, and
// the seller commands for admins. Anyone else gets the ordinary answer to
// an unknown command (or a stale button).
func (t *turn) staffMenu(command bool) ([]Reply, error) {
	pts, err := t.staffPoints()
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
	if t.r.o.Pickup == nil {
		return t.pickupOff()
	}
	var replies []Reply
	if len(pts) > 0 {
		r, err := t.staffDesk(pts)
		if err != nil {
			return nil, err
		}
		replies = append(replies, r)
	}
	if admin {
		r, err := t.sellerHelp()
		if err != nil {
			return nil, err
		}
		replies = append(replies, r)
	}
	return replies, nil
}

// staffDesk is the staff menu proper: points and open returns with
// accept/reject buttons.
func (t *turn) staffDesk(pts []commerce.PickupPoint) (Reply, error) {
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
		loc, err := t.r.o.Pickup.Location(p)
		if err != nil {
			return Reply{}, err
		}
		open, err := t.r.o.Pickup.OpenReturns(t.ctx, t.identity(), p.ID)
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
				{Text: t.text("btn_accept_return", num), Action: fmt.Sprintf("sa:%d:%d", p.ID, r.ID)},
				{Text: t.text("btn_reject_return", num), Action: fmt.Sprintf("sj:%d:%d", p.ID, r.ID)},
			})
		}
		list = append(list, item)
	}
	return Reply{Text: t.text("staff_menu", map[string]any{"Points": list}), Buttons: rows}, nil
}

// decideReturn accepts or rejects a return at the counter.
func (t *turn) decideReturn(accept bool, pointID, returnID int64) ([]Reply, error) {
	pts, err := t.staffPoints()
	if err != nil {
		return nil, err
	}
	if len(pts) == 0 {
		return t.stale()
	}
	decide := t.r.o.Pickup.RejectReturn
	if accept {
		decide = t.r.o.Pickup.AcceptReturn
	}
	r, err := decide(t.ctx, t.identity(), pointID, returnID, "")
	switch {
	case errors.Is(err, commerce.ErrInvalidTransition):
		return say(t.text("staff_return_decided_already", nil), t.staffRow()), nil
	case err != nil:
		return t.staffFail(err)
	}
	desk, err := t.staffDesk(pts)
	if err != nil {
		return nil, err
	}
	done := t.text("staff_return_decided", map[string]any{"Number": r.OrderNumber,
		"Kind": t.text("return_kind_"+string(r.Kind), nil), "Status": t.text("return_status_"+string(r.Status), nil)})
	return []Reply{{Text: done}, desk}, nil
}

// ---- seller ----

// pointCodes lists the active points' codes for the seller's reference.
func (t *turn) pointCodes() (string, []commerce.PickupPoint, error) {
	pts, err := t.r.o.Shop.Store().PickupPoints(t.ctx)
	if err != nil {
		return "", nil, err
	}
	codes := make([]string, 0, len(pts))
	for _, p := range pts {
		codes = append(codes, p.Code)
	}
	return strings.Join(codes, ", "), pts, nil
}

func (t *turn) sellerHelp() (Reply, error) {
	codes, _, err := t.pointCodes()
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
func (t *turn) shipment(cmd, arg string) ([]Reply, error) {
	if !t.isAdmin() {
		return t.help("help_unknown")
	}
	if t.r.o.Pickup == nil {
		return t.pickupOff()
	}
	codes, pts, err := t.pointCodes()
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
		if b, ok := batchArg(f, cmd == "/arrived"); ok {
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
	if cmd == "/arrived" {
		key = "seller_arrived"
		report, err = t.r.o.Pickup.MarkArrived(t.ctx, s)
	} else {
		report, err = t.r.o.Pickup.Ship(t.ctx, s)
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
