package bot_test

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"shopbot/bot"
	"shopbot/commerce"
)

// The harness clock starts at 2030-05-01 10:00 UTC: Wednesday 18:00 in
// Shanghai, three hours before the demo counters close at 21:00. Jing'an
// has 15-minute slots for 3 people; the lead time is 30 minutes.

const seller = "seller"

var shanghai = mustZone("Asia/Shanghai")

func mustZone(name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		panic(err)
	}
	return loc
}

// newPickupHarness is a harness with pickup on and "web:seller" as admin.
func newPickupHarness(t *testing.T) *harness {
	t.Helper()
	return newHarness(t, harnessOptions{pickup: &commerce.PickupOptions{}, admins: []string{"web:" + seller}})
}

// point returns a demo pickup point by code.
func (h *harness) point(code string) commerce.PickupPoint {
	h.t.Helper()
	for _, p := range h.points {
		if p.Code == code {
			return p
		}
	}
	h.t.Fatalf("no demo point %s", code)
	return commerce.PickupPoint{}
}

// order reads an order's current state.
func (h *harness) order(id int64) commerce.Order {
	h.t.Helper()
	o, err := h.store.Order(h.ctx, id)
	if err != nil {
		h.t.Fatal(err)
	}
	return o
}

// readyOrder runs an order to ready_for_pickup through the seller's chat
// commands /shipped and /arrived. It is paid (a transfer the seller
// recorded), so staff hand it over without the payment step; see
// readyUnpaid.
func (c *chat) readyOrder(pt commerce.PickupPoint) commerce.Order {
	return c.ready(pt, true)
}

// readyUnpaid is readyOrder of an order to pay at pickup.
func (c *chat) readyUnpaid(pt commerce.PickupPoint) commerce.Order {
	return c.ready(pt, false)
}

func (c *chat) ready(pt commerce.PickupPoint, paid bool) commerce.Order {
	c.t.Helper()
	c.add("COS-001", 1)
	o := c.checkoutAt(pt)
	c.press(fmt.Sprintf("oc:%d", o.ID))
	if paid {
		if _, _, err := c.h.desk.RecordPayment(c.h.ctx, o.Number, commerce.PayTransfer, o.Total, "cli"); err != nil {
			c.t.Fatal(err)
		}
	}
	s := c.h.user(c.t, seller, "en")
	r := s.send("/shipped " + pt.Code + " " + o.Number)
	wantText(c.t, r, 0, s.tx("seller_shipped", map[string]any{"Point": pt.Name.In("en"), "PointCode": pt.Code, "Batch": "",
		"N": 1, "Moved": []string{o.Number}, "Skipped": nil}))
	r = s.send("/arrived " + strings.ToLower(pt.Code) + " " + strings.ToLower(o.Number))
	wantText(c.t, r, 0, s.tx("seller_arrived", map[string]any{"Point": pt.Name.In("en"), "PointCode": pt.Code, "Batch": "",
		"N": 1, "Moved": []string{o.Number}, "Skipped": nil}))
	o = c.h.order(o.ID)
	if o.Status != commerce.StatusReadyForPickup {
		c.t.Fatalf("order %s is %s after /arrived", o.Number, o.Status)
	}
	return o
}

func (c *chat) buyer() commerce.Buyer {
	return commerce.Buyer{Channel: c.base.Channel, UserID: c.base.UserID}
}

// code is the order's pickup code as the buyer sees it.
func (c *chat) code(o commerce.Order) string {
	c.t.Helper()
	p, err := c.h.pickup.Pass(c.h.ctx, c.buyer(), o.ID)
	if err != nil {
		c.t.Fatal(err)
	}
	return p.Code
}

// booking is the order's active booking, or nil.
func (c *chat) booking(o commerce.Order) *commerce.Booking {
	c.t.Helper()
	bk, err := c.h.pickup.ActiveBooking(c.h.ctx, c.buyer(), o.ID)
	if errors.Is(err, commerce.ErrNotFound) {
		return nil
	}
	if err != nil {
		c.t.Fatal(err)
	}
	return &bk
}

// slotAction is the booking action of a local wall-clock time in Shanghai.
func slotAction(verb string, id int64, y int, m time.Month, d, hh, mm int) string {
	return fmt.Sprintf("%s:%d:%d", verb, id, time.Date(y, m, d, hh, mm, 0, 0, shanghai).Unix()/60)
}

// slotButtons lists the slot buttons (action prefix) of a reply.
func slotButtons(r bot.Reply, prefix string) []bot.Button {
	var out []bot.Button
	for _, row := range r.Buttons {
		for _, b := range row {
			if strings.HasPrefix(b.Action, prefix) {
				out = append(out, b)
			}
		}
	}
	return out
}

// staff is a staff member's private web chat.
func (h *harness) staff(t *testing.T, id string) *chat { return h.user(t, id, "en") }

// notice renders a notice for the order's buyer.
func (h *harness) notice(kind string, o commerce.Order, lang string, bookingID, returnID int64) ([]bot.Reply, error) {
	h.t.Helper()
	n := bot.Notice{Kind: kind, Channel: o.Buyer.Channel, ChatID: o.ChatID, UserID: o.Buyer.UserID, Lang: lang,
		OrderID: o.ID, BookingID: bookingID, ReturnID: returnID}
	replies, err := h.router.RenderNotice(h.ctx, n)
	checkReplies(h.t, bot.Message{Text: "notice " + kind}, replies)
	return replies, err
}

// pointData is what pickup texts get about an order and its point.
func pointData(o commerce.Order, pt commerce.PickupPoint, lang string) map[string]any {
	return map[string]any{
		"Number": o.Number, "Total": o.Total, "Point": pt.Name.In(lang), "Address": pt.Address.In(lang),
		"City": pt.City.In(lang), "Hours": pt.Hours, "Code": "", "Booked": false, "Start": time.Time{}, "End": time.Time{},
	}
}

func TestPickupEndToEnd(t *testing.T) {
	t.Parallel()
	h := newPickupHarness(t)
	pt := h.point("SH-JINGAN")
	u := h.user(t, "e2e-buyer", "en")

	u.add("COS-001", 1)
	o := u.checkoutAt(pt)
	u.press(fmt.Sprintf("oc:%d", o.ID))
	// Not at the point yet: no pickup buttons, and booking is refused.
	r := u.press(fmt.Sprintf("os:%d", o.ID))
	if hasAction(r[0], fmt.Sprintf("pb:%d", o.ID)) {
		t.Errorf("confirmed order offers booking: %v", actions(r[0]))
	}
	wantText(t, u.press(fmt.Sprintf("pb:%d", o.ID)), 0, u.tx("err_not_ready", map[string]any{"Number": o.Number}))

	s := h.user(t, seller, "en")
	s.send("/shipped SH-JINGAN " + o.Number)
	s.send("/arrived SH-JINGAN " + o.Number)
	o = h.order(o.ID)
	code := u.code(o)
	if !commerce.ValidPickupCode(code) {
		t.Fatalf("code %q", code)
	}

	// The arrival notice offers the next free slots as buttons.
	r, err := h.notice(bot.NoticeArrived, o, "", 0, 0)
	if err != nil || len(r) != 1 {
		t.Fatalf("arrived notice: %v, %v", r, err)
	}
	data := pointData(o, pt, "en")
	data["Code"], data["Slots"] = code, true
	wantText(t, r, 0, u.tx("notice_arrived", data))
	slots := slotButtons(r[0], fmt.Sprintf("bk:%d:", o.ID))
	if len(slots) != 6 {
		t.Fatalf("arrived notice offers %d slots: %v", len(slots), actions(r[0]))
	}
	first := slotAction("bk", o.ID, 2030, 5, 1, 18, 30)
	if slots[0].Action != first || slots[0].Text != "Wed 1 May 18:30" || slots[5].Text != "Wed 1 May 19:45" {
		t.Errorf("first slots = %+v … %+v; want %s Wed 1 May 18:30 … 19:45", slots[0], slots[5], first)
	}
	if !hasAction(r[0], fmt.Sprintf("os:%d", o.ID)) {
		t.Errorf("arrived notice lacks the order button: %v", actions(r[0]))
	}

	// The buyer presses the 19:00 slot.
	at := time.Date(2030, 5, 1, 19, 0, 0, 0, shanghai)
	r = u.press(slotAction("bk", o.ID, 2030, 5, 1, 19, 0))
	booked := pointData(o, pt, "en")
	booked["Code"], booked["Booked"], booked["Start"], booked["End"] = code, true, at, at.Add(15*time.Minute)
	wantText(t, r, 0, u.tx("booked", booked))
	if bk := u.booking(o); bk == nil || !bk.Start.Equal(at) {
		t.Fatalf("booking = %+v; want one at %v", bk, at)
	}
	if !strings.Contains(r[0].Text, "Wed 1 May 19:00–19:15") {
		t.Errorf("booked text lacks the local time:\n%s", r[0].Text)
	}

	// Order details show the point, the booking and the code.
	r = u.press(fmt.Sprintf("os:%d", o.ID))
	for _, want := range []string{pt.Name.In("en"), code, "Wed 1 May 19:00–19:15"} {
		if !strings.Contains(r[0].Text, want) {
			t.Errorf("order details lack %q:\n%s", want, r[0].Text)
		}
	}
	for _, a := range []string{"pb:%d", "bc:%d", "pc:%d"} {
		if !hasAction(r[0], fmt.Sprintf(a, o.ID)) {
			t.Errorf("order details lack %s: %v", a, actions(r[0]))
		}
	}
	// The code with its QR.
	r = u.press(fmt.Sprintf("pc:%d", o.ID))
	if !strings.HasPrefix(r[0].Image, "/qr/P1.") || strings.Contains(r[0].Image, fmt.Sprint(o.ID)+".png") || !strings.Contains(r[0].Text, code) {
		t.Errorf("pickup code reply = %+v", r[0])
	}

	// Staff at the counter.
	st := h.staff(t, "staff-jingan")
	r = st.send(code[:3] + " " + code[3:])
	want := pointData(o, pt, "en")
	want["Buyer"], want["Booked"], want["Start"], want["End"] = "Ann", true, at, at.Add(15*time.Minute)
	want["Lines"] = []map[string]any{{"Title": "Hyaluronic acid serum 30 ml", "Qty": 1, "Total": commerce.CNY(15900)}}
	want["Amount"] = o.Total
	wantText(t, r, 0, st.tx("staff_inspect", want)+"\n\n"+st.tx("staff_pay_ask", want))
	// Pay at pickup: another amount first (typed badly, then well).
	wantText(t, st.press(findAction(t, r[0], bot.VerbPayAmount.Of()+":")), 0, st.tx("staff_pay_amount_ask", nil))
	wantText(t, st.send("lots"), 0, st.tx("staff_pay_amount_bad", nil))
	// Six digits while the amount is awaited are an amount, not a code.
	r = st.send("100000")
	want["Amount"] = commerce.CNY(10000000)
	wantText(t, r, 0, st.tx("staff_inspect", want)+"\n\n"+st.tx("staff_pay_ask", want))
	wantText(t, st.press(findAction(t, r[0], bot.VerbPayAmount.Of()+":")), 0, st.tx("staff_pay_amount_ask", nil))
	r = st.send("150,50")
	want["Amount"] = commerce.CNY(15050)
	wantText(t, r, 0, st.tx("staff_inspect", want)+"\n\n"+st.tx("staff_pay_ask", want))
	hand := findAction(t, r[0], bot.VerbHandOverPaid.Of()+":")
	if !strings.HasSuffix(hand, ":cash") || !strings.Contains(r[0].Buttons[0][0].Text, "150.50") {
		t.Fatalf("first payment button %q %q", hand, r[0].Buttons[0][0].Text)
	}
	for _, row := range actions(r[0]) {
		for _, a := range row {
			if strings.Contains(a, code) {
				t.Errorf("a button carries the code: %s", a)
			}
		}
	}
	if got := h.order(o.ID).Status; got != commerce.StatusReadyForPickup {
		t.Fatalf("inspecting changed the order to %s", got)
	}
	want["Method"] = st.tx("pay_cash", nil)
	wantText(t, st.press(hand), 0, st.tx("staff_handed_over", want)+"\n"+st.tx("staff_paid", want))
	if got := h.order(o.ID); got.Status != commerce.StatusPickedUp || got.Paid.Method != commerce.PayCash ||
		got.Paid.Amount != commerce.CNY(15050) || got.Paid.By != "web:staff-jingan" || !got.Paid.At.Equal(h.clock.Now().Truncate(time.Millisecond)) {
		t.Fatalf("order after hand-over: %s, paid %+v", got.Status, got.Paid)
	}
	// The same button again, and the same code again.
	wantText(t, st.press(hand), 0, st.tx("err_stale", nil))
	wantText(t, st.send(code), 0, st.tx("err_already_collected", nil))

	// The buyer is thanked and told about returns.
	r, err = h.notice(bot.NoticeCollected, h.order(o.ID), "", 0, 0)
	if err != nil || len(r) != 1 || !hasAction(r[0], fmt.Sprintf("rt:%d", o.ID)) {
		t.Fatalf("collected notice = %+v, %v", r, err)
	}
	r = u.press(fmt.Sprintf("os:%d", o.ID))
	if !hasAction(r[0], fmt.Sprintf("rt:%d", o.ID)) || !strings.Contains(r[0].Text, "Wed 8 May") {
		t.Errorf("picked-up order details lack the return period: %q %v", r[0].Text, actions(r[0]))
	}
	wantText(t, u.press(fmt.Sprintf("pc:%d", o.ID)), 0, u.tx("err_already_collected", nil))
}

func TestNonStaffCodeGetsHelp(t *testing.T) {
	t.Parallel()
	h := newPickupHarness(t)
	u := h.user(t, "code-buyer", "en")
	o := u.readyOrder(h.point("SH-JINGAN"))
	code := u.code(o)
	pass, err := h.pickup.Pass(h.ctx, u.buyer(), o.ID)
	if err != nil {
		t.Fatal(err)
	}
	for _, text := range []string{code, "123456", "123 456", pass.Token, "P1.garbage"} {
		wantText(t, u.send(text), 0, u.unmatched(text))
	}
	// In a group even staff codes are not taken.
	st := h.staff(t, "staff-jingan")
	wantText(t, st.inGroup("g1").send(code), 0, st.tx("help_unknown", nil))
	n, err := h.wrongCodesAt(o.PickupPointID)
	if err != nil || n != 0 {
		t.Fatalf("non-staff input recorded %d failures (%v)", n, err)
	}
	// Staff of another point: the code is simply wrong there.
	other := h.staff(t, "staff-lujiazui")
	wantText(t, other.send(code), 0, other.tx("err_wrong_code", nil))
	// A genuine token scanned at another point.
	wantText(t, other.send("https://shop.example/p/"+pass.Token), 0, other.tx("err_wrong_point", nil))
	if h.order(o.ID).Status != commerce.StatusReadyForPickup {
		t.Fatal("order changed")
	}
	// The right staff with the scanned token.
	r := st.send(pass.Token)
	if !strings.Contains(r[0].Text, "№"+o.Number) {
		t.Fatalf("token inspect = %q", r[0].Text)
	}
	wantText(t, st.press(findAction(t, r[0], "rdx:")), 0, st.tx("staff_cancelled", nil))
	if h.order(o.ID).Status != commerce.StatusReadyForPickup {
		t.Fatal("cancelled hand-over changed the order")
	}
}

func TestWrongCodesAreRateLimited(t *testing.T) {
	t.Parallel()
	h := newPickupHarness(t)
	u := h.user(t, "limit-buyer", "en")
	o := u.readyOrder(h.point("SH-JINGAN"))
	code := u.code(o)
	st := h.staff(t, "staff-jingan")
	wrong := 0
	for i := 0; wrong < 5; i++ {
		c := fmt.Sprintf("%06d", i)
		if c == code {
			continue
		}
		wantText(t, st.send(c), 0, st.tx("err_wrong_code", nil))
		wrong++
	}
	// Now even the right code waits.
	wantText(t, st.send(code), 0, st.tx("err_rate_limited", nil))
	h.clock.Advance(11 * time.Minute)
	r := st.send(code)
	if !strings.Contains(r[0].Text, "№"+o.Number) {
		t.Fatalf("after the window: %q", r[0].Text)
	}
	findAction(t, r[0], "rd:")
}

func TestStaffOfSeveralPoints(t *testing.T) {
	t.Parallel()
	h := newPickupHarness(t)
	jingan, lujiazui, wulin := h.point("SH-JINGAN"), h.point("SH-LUJIAZUI"), h.point("HZ-WULIN")
	lujiazui.Staff = append(lujiazui.Staff, "web:staff-jingan")
	if _, err := h.pickup.SavePoint(h.ctx, lujiazui); err != nil {
		t.Fatal(err)
	}
	u := h.user(t, "multi-buyer", "en")
	o := u.readyOrder(jingan)
	code := u.code(o)
	st := h.staff(t, "staff-jingan")

	r := st.send(code)
	wantText(t, r, 0, st.tx("staff_choose_point", nil))
	pick := findAction(t, r[0], "rp:")
	nonce := strings.Split(pick, ":")[1]
	if strings.Contains(pick, code) {
		t.Fatalf("point button carries the code: %s", pick)
	}
	// Tampered: a point they do not staff, a wrong nonce.
	wantText(t, st.press(fmt.Sprintf("rp:%s:%d", nonce, wulin.ID)), 0, st.tx("err_forbidden", nil))
	wantText(t, st.press(fmt.Sprintf("rp:%s:%d", nonce, jingan.ID)), 0, st.tx("err_stale", nil)) // draft dropped
	r = st.send(code)
	nonce = strings.Split(findAction(t, r[0], "rp:"), ":")[1]
	wantText(t, st.press(fmt.Sprintf("rp:%s:%d", "0000000000", jingan.ID)), 0, st.tx("err_stale", nil))
	// The wrong one of their points: the code is not known there.
	wantText(t, st.press(fmt.Sprintf("rp:%s:%d", nonce, lujiazui.ID)), 0, st.tx("err_wrong_code", nil))
	r = st.send(code)
	nonce = strings.Split(findAction(t, r[0], "rp:"), ":")[1]
	r = st.press(fmt.Sprintf("rp:%s:%d", nonce, jingan.ID))
	hand := findAction(t, r[0], "rd:")
	st.press(hand)
	if h.order(o.ID).Status != commerce.StatusPickedUp {
		t.Fatal("not handed over")
	}
}

func TestConcurrentHandOver(t *testing.T) {
	t.Parallel()
	h := newPickupHarness(t)
	jingan := h.point("SH-JINGAN")
	jingan.Staff = append(jingan.Staff, "web:staff-jingan-2")
	if _, err := h.pickup.SavePoint(h.ctx, jingan); err != nil {
		t.Fatal(err)
	}
	u := h.user(t, "race-buyer", "en")
	o := u.readyOrder(jingan)
	code := u.code(o)
	a, b := h.staff(t, "staff-jingan"), h.staff(t, "staff-jingan-2")
	ha := findAction(t, a.send(code)[0], "rd:")
	hb := findAction(t, b.send(code)[0], "rd:")
	var wg sync.WaitGroup
	results := make([]string, 2)
	for i, c := range []struct {
		c *chat
		a string
	}{{a, ha}, {b, hb}} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			m := c.c.base
			m.Action = c.a
			m.UpdateID = "race-" + strconv.Itoa(i)
			r, err := h.router.Handle(h.ctx, m)
			if err != nil || len(r) == 0 {
				t.Errorf("hand-over %d: %v, %v", i, r, err)
				return
			}
			results[i] = r[0].Text
		}()
	}
	wg.Wait()
	done, already := 0, 0
	for _, r := range results {
		switch {
		case strings.HasPrefix(r, "✅ Order №"+o.Number+" handed over"):
			done++
		case r == a.tx("err_already_collected", nil):
			already++
		}
	}
	if done != 1 || already != 1 {
		t.Fatalf("concurrent hand-overs: %q", results)
	}
}

func TestBookingRescheduleCancel(t *testing.T) {
	t.Parallel()
	h := newPickupHarness(t)
	u := h.user(t, "resched-buyer", "ru")
	o := u.readyOrder(h.point("SH-JINGAN"))

	r := u.press(fmt.Sprintf("pb:%d", o.ID))
	slots := slotButtons(r[0], fmt.Sprintf("bk:%d:", o.ID))
	if len(slots) != 6 || slots[0].Text != "ср, 1 мая 18:30" {
		t.Fatalf("slots = %+v", slots)
	}
	// Paging: later slots, edited in place.
	later := findAction(t, r[0], fmt.Sprintf("pb:%d:1", o.ID))
	r2 := u.press(later)
	next := slotButtons(r2[0], fmt.Sprintf("bk:%d:", o.ID))
	if !r2[0].Edit || len(next) != 6 || next[0].Text != "ср, 1 мая 20:00" || !hasAction(r2[0], fmt.Sprintf("pb:%d:0", o.ID)) {
		t.Fatalf("page 2 = %+v", r2[0])
	}
	// Page 2 runs past closing time (21:00) into Thursday morning.
	if next[3].Text != "ср, 1 мая 20:45" || next[4].Text != "чт, 2 мая 10:00" {
		t.Fatalf("page 2 = %+v", next)
	}
	r3 := u.press(fmt.Sprintf("pb:%d:2", o.ID))
	if s := slotButtons(r3[0], "bk:"); len(s) != 6 || s[0].Text != "чт, 2 мая 10:30" {
		t.Fatalf("page 3 = %+v", s)
	}

	u.press(slots[0].Action)
	first := u.booking(o)
	if first == nil {
		t.Fatal("not booked")
	}
	// Reschedule: the old seat is freed, the new one taken.
	r = u.press(next[1].Action)
	if !strings.HasPrefix(r[0].Text, "✅ Вы записаны: ср, 1 мая 20:15–20:30") {
		t.Fatalf("rescheduled = %q", r[0].Text)
	}
	second := u.booking(o)
	if second == nil || second.ID == first.ID || !second.Start.Equal(time.Date(2030, 5, 1, 20, 15, 0, 0, shanghai)) {
		t.Fatalf("after reschedule: %+v", second)
	}
	old, err := h.pickup.Booking(h.ctx, first.ID)
	if err != nil || old.Status != commerce.BookingStatusRescheduled {
		t.Fatalf("old booking = %+v, %v", old, err)
	}
	// Booking the same slot again changes nothing.
	u.press(next[1].Action)
	if bk := u.booking(o); bk == nil || bk.ID != second.ID {
		t.Fatalf("same slot again: %+v", bk)
	}
	// Cancel.
	r = u.press(fmt.Sprintf("bc:%d", o.ID))
	wantText(t, r, 0, u.tx("booking_cancelled", map[string]any{"Number": o.Number}))
	if !hasAction(r[0], fmt.Sprintf("pb:%d", o.ID)) {
		t.Errorf("cancelled booking lacks the book button: %v", actions(r[0]))
	}
	if bk := u.booking(o); bk != nil {
		t.Fatalf("still booked: %+v", bk)
	}
	// Cancelling again shows the order.
	r = u.press(fmt.Sprintf("bc:%d", o.ID))
	if !strings.HasPrefix(r[0].Text, "Заказ №"+o.Number) {
		t.Fatalf("second cancel = %q", r[0].Text)
	}
	// The freed seats are offered again.
	r = u.press(fmt.Sprintf("pb:%d", o.ID))
	if s := slotButtons(r[0], "bk:"); s[0].Action != slots[0].Action {
		t.Fatalf("freed slot not offered: %v", s)
	}
}

func TestSlotFull(t *testing.T) {
	t.Parallel()
	h := newPickupHarness(t)
	pt := h.point("SH-JINGAN") // 3 people per slot
	full := slotAction("bk", 0, 2030, 5, 1, 18, 30)
	minutes := strings.Split(full, ":")[2]
	for i := range pt.SlotCapacity {
		c := h.user(t, fmt.Sprintf("filler-%d", i), "en")
		o := c.readyOrder(pt)
		c.press(fmt.Sprintf("bk:%d:%s", o.ID, minutes))
		if c.booking(o) == nil {
			t.Fatalf("filler %d not booked", i)
		}
	}
	u := h.user(t, "late-buyer", "en")
	o := u.readyOrder(pt)
	r := u.press(fmt.Sprintf("bk:%d:%s", o.ID, minutes))
	wantText(t, r, 0, u.tx("err_slot_full", nil))
	if len(r) != 2 {
		t.Fatalf("slot full: want the message and fresh slots, got %d replies", len(r))
	}
	s := slotButtons(r[1], fmt.Sprintf("bk:%d:", o.ID))
	if len(s) == 0 || s[0].Text != "Wed 1 May 18:45" {
		t.Fatalf("fresh slots after a full one: %+v", s)
	}
	if u.booking(o) != nil {
		t.Fatal("overbooked")
	}
}

func TestTamperedBookingActions(t *testing.T) {
	t.Parallel()
	h := newPickupHarness(t)
	pt := h.point("SH-JINGAN")
	u := h.user(t, "tamper-buyer", "en")
	o := u.readyOrder(pt)
	other := h.user(t, "tamper-other", "en")
	theirs := other.readyOrder(pt)
	id := o.ID
	for _, c := range []struct {
		name, action, want string
	}{
		{"another buyer's order", slotAction("bk", theirs.ID, 2030, 5, 1, 19, 0), "err_not_found"},
		{"another buyer's slots", fmt.Sprintf("pb:%d", theirs.ID), "err_not_found"},
		{"another buyer's code", fmt.Sprintf("pc:%d", theirs.ID), "err_not_found"},
		{"another buyer's cancel", fmt.Sprintf("bc:%d", theirs.ID), "err_not_found"},
		{"another buyer's return", fmt.Sprintf("rt:%d", theirs.ID), "err_not_found"},
		{"unknown order", slotAction("bk", 987654, 2030, 5, 1, 19, 0), "err_not_found"},
		{"off the slot grid", slotAction("bk", id, 2030, 5, 1, 19, 7), "err_slot_gone"},
		{"past slot", slotAction("bk", id, 2030, 4, 30, 19, 0), "err_slot_gone"},
		{"within the lead time", slotAction("bk", id, 2030, 5, 1, 18, 15), "err_slot_gone"},
		{"after closing", slotAction("bk", id, 2030, 5, 1, 21, 0), "err_slot_gone"},
		{"before opening", slotAction("bk", id, 2030, 5, 2, 9, 45), "err_slot_gone"},
		{"beyond the horizon", slotAction("bk", id, 2030, 5, 20, 12, 0), "err_slot_gone"},
		{"year 1970", fmt.Sprintf("bk:%d:1", id), "err_slot_gone"},
		{"no slot", fmt.Sprintf("bk:%d", id), "err_stale"},
		{"empty slot", fmt.Sprintf("bk:%d:", id), "err_stale"},
		{"letters", fmt.Sprintf("bk:%d:abc", id), "err_stale"},
		{"negative", fmt.Sprintf("bk:%d:-5", id), "err_stale"},
		{"zero", fmt.Sprintf("bk:%d:0", id), "err_stale"},
		{"leading zero", fmt.Sprintf("bk:%d:0%s", id, strings.Split(slotAction("bk", id, 2030, 5, 1, 19, 0), ":")[2]), "err_stale"},
		{"extra field", slotAction("bk", id, 2030, 5, 1, 19, 0) + ":1", "err_stale"},
		{"overflow", fmt.Sprintf("bk:%d:99999999999999999999", id), "err_stale"},
		{"huge minutes", fmt.Sprintf("bk:%d:9223372036854775807", id), "err_stale"},
		{"far future", fmt.Sprintf("bk:%d:%d", id, math.MaxInt64/60-1), "err_slot_gone"},
		{"bad order", "bk:x:29000000", "err_stale"},
		{"page too far", fmt.Sprintf("pb:%d:99", id), "err_stale"},
		{"negative page", fmt.Sprintf("pb:%d:-1", id), "err_stale"},
		{"page garbage", fmt.Sprintf("pb:%d:1:2", id), "err_stale"},
		{"cancel garbage", "bc:abc", "err_stale"},
		{"code extra", fmt.Sprintf("pc:%d:1", id), "err_stale"},
		{"return kind unknown", fmt.Sprintf("rk:%d:steal", id), "err_stale"},
		{"return reason unknown", fmt.Sprintf("rr:%d:return:bribe", id), "err_stale"},
		{"return reason missing", fmt.Sprintf("rr:%d:return", id), "err_stale"},
		{"drop-off garbage", "db:1", "err_stale"},
		{"drop-off zero", "ds:0", "err_stale"},
		{"unknown return", "rx:424242", "err_not_found"},
		{"hand over without code", "rd:", "err_stale"},
		{"hand over forged nonce", "rd:0123456789", "err_stale"},
		{"point for nothing", "rp:abc:1", "err_stale"},
		{"accept by a buyer", "sa:1:1", "err_stale"},
		{"accept garbage", "sa:x:1", "err_stale"},
		{"staff menu by a buyer", "sm", "err_stale"},
		{"not ready: return", fmt.Sprintf("rt:%d", id), "err_cannot_change"},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := u.press(c.action)
			wantText(t, r, 0, u.tx(c.want, map[string]any{"Max": 10, "InCart": 0}))
			if c.want == "err_slot_gone" {
				if len(r) != 2 || len(slotButtons(r[1], fmt.Sprintf("bk:%d:", id))) == 0 {
					t.Errorf("no fresh slots after %s", c.action)
				}
			}
		})
	}
	if u.booking(o) != nil || other.booking(theirs) != nil {
		t.Fatal("a tampered action booked something")
	}
	if h.order(theirs.ID).Status != commerce.StatusReadyForPickup {
		t.Fatal("the other order changed")
	}
}

// collect books nothing and has staff hand the order over.
func (h *harness) collect(t *testing.T, u *chat, o commerce.Order, staffID string) {
	t.Helper()
	st := h.staff(t, staffID)
	r := st.send(u.code(o))
	st.press(findAction(t, r[0], "rd:"))
	if got := h.order(o.ID).Status; got != commerce.StatusPickedUp {
		t.Fatalf("order is %s", got)
	}
}

func TestReturnFlow(t *testing.T) {
	t.Parallel()
	h := newPickupHarness(t)
	pt := h.point("SH-JINGAN")
	u := h.user(t, "return-buyer", "en")
	o := u.readyOrder(pt)
	h.collect(t, u, o, "staff-jingan")

	r := u.press(fmt.Sprintf("rt:%d", o.ID))
	if !strings.HasPrefix(r[0].Text, "What would you like to do with order №"+o.Number) {
		t.Fatalf("return start = %q", r[0].Text)
	}
	kind := findAction(t, r[0], fmt.Sprintf("rk:%d:return", o.ID))
	r = u.press(kind)
	wantText(t, r, 0, u.tx("return_reason_choose", map[string]any{"Number": o.Number, "Kind": "Return"}))
	if n := len(slotButtons(r[0], "rr:")); n != len(commerce.ReturnReasons) {
		t.Fatalf("%d reasons offered", n)
	}
	r = u.press(fmt.Sprintf("rr:%d:return:defective", o.ID))
	if len(r) != 2 || !strings.HasPrefix(r[0].Text, "✅ Request sent: Return · order №"+o.Number+" (Defective") {
		t.Fatalf("return started = %+v", r)
	}
	rets, err := h.pickup.Returns(h.ctx, u.buyer(), o.ID)
	if err != nil || len(rets) != 1 || rets[0].Status != commerce.ReturnRequested {
		t.Fatalf("returns = %+v, %v", rets, err)
	}
	ret := rets[0]
	// Pressing the reason again (a double tap) keeps the one request.
	u.press(fmt.Sprintf("rr:%d:return:defective", o.ID))
	if rets, _ := h.pickup.Returns(h.ctx, u.buyer(), o.ID); len(rets) != 1 {
		t.Fatalf("double tap opened %d requests", len(rets))
	}
	drop := slotButtons(r[1], fmt.Sprintf("db:%d:", ret.ID))
	if len(drop) == 0 {
		t.Fatalf("no drop-off slots: %v", actions(r[1]))
	}
	// Another buyer cannot book this drop-off.
	stranger := h.user(t, "return-stranger", "en")
	wantText(t, stranger.press(drop[0].Action), 0, stranger.tx("err_not_found", map[string]any{"Max": 10, "InCart": 0}))
	r = u.press(drop[0].Action)
	if !strings.HasPrefix(r[0].Text, "✅ Drop-off booked: Wed 1 May 18:30–18:45") {
		t.Fatalf("drop-off booked = %q", r[0].Text)
	}
	// Order details show the request.
	r = u.press(fmt.Sprintf("os:%d", o.ID))
	if !strings.Contains(r[0].Text, "Return · Defective / doesn't work: drop-off booked, Wed 1 May 18:30–18:45") ||
		!hasAction(r[0], fmt.Sprintf("rx:%d", ret.ID)) || !hasAction(r[0], fmt.Sprintf("ds:%d", ret.ID)) {
		t.Fatalf("order details = %q %v", r[0].Text, actions(r[0]))
	}
	rn, err := h.notice(bot.NoticeReturn, o, "", 0, ret.ID)
	if err != nil || len(rn) != 1 || !strings.Contains(rn[0].Text, "Wed 1 May 18:30") {
		t.Fatalf("return notice = %+v, %v", rn, err)
	}

	// Staff: another point's staff see nothing of it and cannot decide it.
	other := h.staff(t, "staff-lujiazui")
	r = other.send("/staff")
	if hasAction(r[0], fmt.Sprintf("sa:%d:%d", pt.ID, ret.ID)) {
		t.Fatal("another point's staff are offered the return")
	}
	wantText(t, other.press(fmt.Sprintf("sa:%d:%d", pt.ID, ret.ID)), 0, other.tx("err_forbidden", nil))
	wantText(t, other.press(fmt.Sprintf("sa:%d:%d", h.point("SH-LUJIAZUI").ID, ret.ID)), 0, other.tx("err_wrong_point", nil))

	st := h.staff(t, "staff-jingan")
	r = st.send("/staff")
	if !strings.Contains(r[0].Text, "№"+o.Number+" · Return · Defective / doesn't work · Wed 1 May 18:30") {
		t.Fatalf("staff menu = %q", r[0].Text)
	}
	accept := findAction(t, r[0], fmt.Sprintf("sa:%d:%d", pt.ID, ret.ID))
	findAction(t, r[0], fmt.Sprintf("sj:%d:%d", pt.ID, ret.ID))
	r = st.press(accept)
	wantText(t, r, 0, st.tx("staff_return_decided", map[string]any{"Number": o.Number, "Kind": "Return", "Status": "accepted"}))
	if hasAction(r[1], accept) {
		t.Error("the decided return is still offered")
	}
	if got := h.order(o.ID).Status; got != commerce.StatusReturned {
		t.Fatalf("order is %s after an accepted return", got)
	}
	wantText(t, st.press(accept), 0, st.tx("staff_return_decided_already", nil))
	rn, err = h.notice(bot.NoticeReturn, h.order(o.ID), "ru", 0, ret.ID)
	if err != nil || len(rn) != 1 || !strings.HasPrefix(rn[0].Text, "✅ Возврат · заказ №"+o.Number+": заявка принята.") {
		t.Fatalf("accepted notice = %+v, %v", rn, err)
	}
	// A decided request cannot be withdrawn.
	wantText(t, u.press(fmt.Sprintf("rx:%d", ret.ID)), 0, u.tx("err_cannot_change", nil))
	r = u.press(fmt.Sprintf("os:%d", o.ID))
	if !strings.Contains(r[0].Text, "Return · Defective / doesn't work: accepted") || hasAction(r[0], fmt.Sprintf("rt:%d", o.ID)) {
		t.Fatalf("returned order details = %q %v", r[0].Text, actions(r[0]))
	}
}

func TestReturnWithdrawRejectAndWindow(t *testing.T) {
	t.Parallel()
	h := newPickupHarness(t)
	pt := h.point("SH-JINGAN")
	u := h.user(t, "withdraw-buyer", "zh-CN")
	o := u.readyOrder(pt)
	h.collect(t, u, o, "staff-jingan")

	u.press(fmt.Sprintf("rr:%d:exchange:wrong_size", o.ID))
	rets, _ := h.pickup.Returns(h.ctx, u.buyer(), o.ID)
	if len(rets) != 1 {
		t.Fatalf("%d returns", len(rets))
	}
	wantText(t, u.press(fmt.Sprintf("rx:%d", rets[0].ID)), 0, u.tx("return_cancelled", map[string]any{"Number": o.Number}))
	r := u.press(fmt.Sprintf("os:%d", o.ID))
	if !strings.Contains(r[0].Text, "换货 · 尺码不合适：已撤销") || !hasAction(r[0], fmt.Sprintf("rt:%d", o.ID)) {
		t.Fatalf("after withdrawal = %q %v", r[0].Text, actions(r[0]))
	}

	// A repair request, declined at the counter: the order stays picked up.
	u.press(fmt.Sprintf("rr:%d:repair:defective", o.ID))
	rets, _ = h.pickup.Returns(h.ctx, u.buyer(), o.ID)
	st := h.staff(t, "staff-jingan")
	r = st.press(fmt.Sprintf("sj:%d:%d", pt.ID, rets[0].ID))
	wantText(t, r, 0, st.tx("staff_return_decided", map[string]any{"Number": o.Number, "Kind": "Repair", "Status": "declined"}))
	if got := h.order(o.ID).Status; got != commerce.StatusPickedUp {
		t.Fatalf("declined repair moved the order to %s", got)
	}

	// After the return period.
	h.clock.Advance(8 * 24 * time.Hour)
	wantText(t, u.press(fmt.Sprintf("rt:%d", o.ID)), 0, u.tx("err_return_window_closed", map[string]any{"Max": 10, "InCart": 0}))
	wantText(t, u.press(fmt.Sprintf("rr:%d:return:other", o.ID)), 0, u.tx("err_return_window_closed", map[string]any{"Max": 10, "InCart": 0}))
	r = u.press(fmt.Sprintf("os:%d", o.ID))
	if hasAction(r[0], fmt.Sprintf("rt:%d", o.ID)) || !strings.Contains(r[0].Text, "退换期限已于") {
		t.Fatalf("after the window = %q %v", r[0].Text, actions(r[0]))
	}
}

func TestLocationNearest(t *testing.T) {
	t.Parallel()
	for _, pickupOn := range []bool{true, false} {
		t.Run(fmt.Sprint("pickup ", pickupOn), func(t *testing.T) {
			t.Parallel()
			h := newHarness(t)
			if pickupOn {
				h = newPickupHarness(t)
			}
			u := h.user(t, "loc-buyer", "en")
			jingan := h.point("SH-JINGAN")
			m := u.base
			m.HasLocation, m.Lat, m.Lon = true, jingan.Lat, jingan.Lon
			r := u.must(m)
			type point struct {
				Name, City, Address, Hours string
				Meters                     float64
			}
			var want []point
			for _, d := range commerce.NearestPoints(h.points, jingan.Lat, jingan.Lon, 3) {
				want = append(want, point{d.Point.Name.In("en"), d.Point.City.In("en"), d.Point.Address.In("en"), d.Point.Hours, d.Meters})
			}
			wantText(t, r, 0, u.tx("nearest", map[string]any{"Points": want}))
			if !strings.Contains(r[0].Text, "Jing'an Temple pickup point — 0\u00a0m") ||
				!strings.Contains(r[0].Text, "Lujiazui pickup point — 5.6\u00a0km") || !strings.Contains(r[0].Text, "Wulin Square") {
				t.Errorf("nearest =\n%s", r[0].Text)
			}
			for _, bad := range [][2]float64{{91, 0}, {0, 181}, {-91, 0}} {
				m.Lat, m.Lon = bad[0], bad[1]
				wantText(t, u.must(m), 0, u.tx("help_unknown", nil))
			}
		})
	}
}

func TestSellerCommands(t *testing.T) {
	t.Parallel()
	h := newPickupHarness(t)
	jingan := h.point("SH-JINGAN")
	u := h.user(t, "batch-buyer", "en")
	u.add("COS-001", 1)
	o1 := u.checkoutAt(jingan)
	u.press(fmt.Sprintf("oc:%d", o1.ID))
	u.add("SNK-001", 1)
	o2 := u.checkoutAt(jingan)
	u.press(fmt.Sprintf("oc:%d", o2.ID))
	u.add("SNK-001", 1)
	o3 := u.checkoutAt(h.point("SH-LUJIAZUI"))
	u.press(fmt.Sprintf("oc:%d", o3.ID))

	// Not a seller: the commands do not exist.
	for _, cmd := range []string{"/shipped SH-JINGAN " + o1.Number, "/arrived SH-JINGAN " + o1.Number, "/staff"} {
		wantText(t, u.send(cmd), 0, u.tx("help_unknown", nil))
	}
	if h.order(o1.ID).Status != commerce.StatusConfirmed {
		t.Fatal("a buyer shipped an order")
	}

	s := h.user(t, seller, "en")
	codes := "SH-JINGAN, SH-LUJIAZUI, HZ-WULIN"
	help := s.tx("seller_help", map[string]any{"Codes": codes})
	wantText(t, s.send("/staff"), 0, help)
	wantText(t, s.send("/arrived"), 0, help)
	wantText(t, s.send("/shipped SH-JINGAN"), 0, help)
	wantText(t, s.send("/shipped SH-JINGAN #BAD/CODE "+o1.Number), 0, help)
	wantText(t, s.send("/shipped NOPE "+o1.Number), 0, s.tx("seller_unknown_point", map[string]any{"PointCode": "NOPE", "Codes": codes}))

	r := s.send(fmt.Sprintf("/shipped sh-jingan #b-1 %s, %s %s ZZZZZZ", o1.Number, strings.ToLower(o2.Number), o3.Number))
	wantText(t, r, 0, s.tx("seller_shipped", map[string]any{"Point": jingan.Name.In("en"), "PointCode": "SH-JINGAN", "Batch": "B-1",
		"N": 2, "Moved": []string{o1.Number, o2.Number}, "Skipped": []map[string]any{
			{"Number": o3.Number, "Reason": "for another pickup point"}, {"Number": "ZZZZZZ", "Reason": "no such order"}}}))
	wantText(t, s.send("/arrived SH-LUJIAZUI batch:B-1"), 0, s.tx("err_wrong_point", nil))
	wantText(t, s.send("/arrived SH-JINGAN #NOPE"), 0, s.tx("seller_unknown_batch", map[string]any{"Batch": "NOPE"}))
	// A bare word that is no order number is a batch on check-in only.
	wantText(t, s.send("/arrived SH-JINGAN NOPE-2"), 0, s.tx("seller_unknown_batch", map[string]any{"Batch": "NOPE-2"}))
	r = s.send("/shipped SH-JINGAN B-2")
	if !strings.Contains(r[0].Text, "№B-2 — no such order") {
		t.Fatalf("/shipped with a bare batch = %q", r[0].Text)
	}
	r = s.send("/arrived SH-JINGAN b-1")
	wantText(t, r, 0, s.tx("seller_arrived", map[string]any{"Point": jingan.Name.In("en"), "PointCode": "SH-JINGAN", "Batch": "B-1",
		"N": 2, "Moved": []string{o1.Number, o2.Number}, "Skipped": nil}))
	// Checking in again is harmless.
	r = s.send("/arrived SH-JINGAN " + o1.Number)
	if !strings.Contains(r[0].Text, "№"+o1.Number+" — status: ready for pickup") {
		t.Fatalf("repeated check-in = %q", r[0].Text)
	}
	for _, o := range []commerce.Order{o1, o2} {
		if h.order(o.ID).Status != commerce.StatusReadyForPickup {
			t.Fatalf("%s not ready", o.Number)
		}
	}
}

func TestPickupOff(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOptions{admins: []string{"web:" + seller}})
	u := h.user(t, "off-buyer", "en")
	// A feature switched off has no routes: its buttons are stale, its
	// commands unknown.
	for _, a := range []string{"pb:1", "bk:1:29000000", "bc:1", "pc:1", "rt:1", "rk:1:return", "rr:1:return:other", "ds:1", "db:1:29000000", "rx:1"} {
		wantText(t, u.press(a), 0, u.tx("err_stale", nil))
	}
	wantText(t, u.send("123456"), 0, u.tx("help_unknown", nil))
	wantText(t, u.send("/staff"), 0, u.tx("help_unknown", nil))
	s := h.user(t, seller, "en")
	wantText(t, s.send("/arrived SH-JINGAN ABCDEF"), 0, s.tx("help_unknown", nil))
	if _, err := h.router.RenderNotice(h.ctx, bot.Notice{Kind: bot.NoticeArrived, OrderID: 1}); err == nil {
		t.Fatal("RenderNotice without pickup: no error")
	}
}

// TestRenderNotice renders every kind in every language along one order's
// life, and checks notices overtaken by events render nothing.
func TestRenderNotice(t *testing.T) {
	t.Parallel()
	h := newPickupHarness(t)
	pt := h.point("SH-JINGAN")
	u := h.user(t, "notice-buyer", "en")
	o := u.readyOrder(pt)
	langs := []string{"en", "ru", "zh-CN"}
	render := func(kind string, o commerce.Order, bookingID, returnID int64, wantButtons ...string) {
		t.Helper()
		for _, lang := range langs {
			r, err := h.notice(kind, o, lang, bookingID, returnID)
			if err != nil || len(r) != 1 {
				t.Fatalf("%s/%s: %+v, %v", kind, lang, r, err)
			}
			text := r[0].Text
			if strings.Contains(text, "{{") || strings.Contains(text, "<no value>") || !strings.Contains(text, o.Number) {
				t.Errorf("%s/%s renders %q", kind, lang, text)
			}
			for _, b := range wantButtons {
				if !hasAction(r[0], b) {
					t.Errorf("%s/%s lacks button %s: %v", kind, lang, b, actions(r[0]))
				}
			}
		}
	}
	nothing := func(kind string, o commerce.Order, bookingID, returnID int64) {
		t.Helper()
		r, err := h.notice(kind, o, "en", bookingID, returnID)
		if err != nil || len(r) != 0 {
			t.Errorf("stale %s notice: %+v, %v", kind, r, err)
		}
	}
	// Language fallback: none given → the order's.
	r, err := h.notice(bot.NoticeArrived, o, "", 0, 0)
	if err != nil || !strings.HasPrefix(r[0].Text, "📦 Your order") {
		t.Fatalf("fallback to the order's language: %+v, %v", r, err)
	}
	r, _ = h.notice(bot.NoticeArrived, o, "ru", 0, 0)
	if !strings.HasPrefix(r[0].Text, "📦 Ваш заказ") || slotButtons(r[0], "bk:")[0].Text != "ср, 1 мая 18:30" {
		t.Fatalf("ru arrived = %+v", r[0])
	}
	render(bot.NoticeArrived, o, 0, 0, slotAction("bk", o.ID, 2030, 5, 1, 18, 30))

	// Booked for tomorrow 12:00.
	u.press(slotAction("bk", o.ID, 2030, 5, 2, 12, 0))
	bk := u.booking(o)
	render(bot.NoticeBooked, o, bk.ID, 0, fmt.Sprintf("pb:%d", o.ID), fmt.Sprintf("bc:%d", o.ID))
	render(bot.NoticeArrived, o, 0, 0, fmt.Sprintf("pb:%d", o.ID)) // the booking, not slots
	render(bot.NoticeReminderDay, o, bk.ID, 0, fmt.Sprintf("pb:%d", o.ID))
	render(bot.NoticeReminderHour, o, bk.ID, 0, fmt.Sprintf("pb:%d", o.ID))
	pass, err := h.pickup.ReissueCode(h.ctx, o.ID)
	if err != nil {
		t.Fatal(err)
	}
	render(bot.NoticeCodeReissued, o, 0, 0, fmt.Sprintf("pc:%d", o.ID))
	r, _ = h.notice(bot.NoticeCodeReissued, o, "en", 0, 0)
	if !strings.Contains(r[0].Text, pass.Code) {
		t.Errorf("reissued notice lacks the new code: %q", r[0].Text)
	}

	// Moved: the reminders of the old booking say nothing.
	u.press(slotAction("bk", o.ID, 2030, 5, 2, 13, 0))
	moved := u.booking(o)
	nothing(bot.NoticeReminderDay, o, bk.ID, 0)
	nothing(bot.NoticeReminderHour, o, bk.ID, 0)
	nothing(bot.NoticeBooked, o, bk.ID, 0)
	render(bot.NoticeReminderHour, o, moved.ID, 0)
	// Cancelled: nothing either.
	u.press(fmt.Sprintf("bc:%d", o.ID))
	nothing(bot.NoticeReminderDay, o, moved.ID, 0)
	if _, err := h.router.RenderNotice(h.ctx, bot.Notice{Kind: bot.NoticeReminderDay, OrderID: o.ID}); err == nil {
		t.Error("a reminder without a booking id: no error")
	}

	// Missed: book 18:30 today, let it pass.
	u.press(slotAction("bk", o.ID, 2030, 5, 1, 18, 30))
	missed := u.booking(o)
	render(bot.NoticeReminderHour, o, missed.ID, 0)
	nothing(bot.NoticeMissed, o, missed.ID, 0) // not released yet
	h.clock.Advance(time.Hour)
	nothing(bot.NoticeReminderHour, o, missed.ID, 0) // too late to remind
	if ok, err := h.pickup.ReleaseMissed(h.ctx, missed.ID); !ok || err != nil {
		t.Fatalf("release missed: %v, %v", ok, err)
	}
	render(bot.NoticeMissed, o, missed.ID, 0, slotAction("bk", o.ID, 2030, 5, 1, 19, 30))

	// Hold expired, to the seller.
	h.clock.Advance(8 * 24 * time.Hour)
	for _, lang := range langs {
		r, err := h.router.RenderNotice(h.ctx, bot.Notice{Kind: bot.NoticeHoldExpired, Channel: "web", ChatID: seller, UserID: seller, Lang: lang, OrderID: o.ID})
		checkReplies(t, bot.Message{Text: "hold"}, r)
		if err != nil || len(r) != 1 || !strings.Contains(r[0].Text, o.Number) || !strings.Contains(r[0].Text, "8") {
			t.Fatalf("hold expired/%s: %+v, %v", lang, r, err)
		}
	}

	// Collected, then a return.
	h.collect(t, u, o, "staff-jingan")
	o = h.order(o.ID)
	render(bot.NoticeCollected, o, 0, 0, fmt.Sprintf("rt:%d", o.ID))
	nothing(bot.NoticeArrived, o, 0, 0)
	nothing(bot.NoticeMissed, o, missed.ID, 0)
	nothing(bot.NoticeHoldExpired, o, 0, 0)
	nothing(bot.NoticeCodeReissued, o, 0, 0)
	ret, err := h.pickup.StartReturn(h.ctx, u.buyer(), commerce.ReturnRequest{OrderID: o.ID, Kind: commerce.ReturnExchange, Reason: "wrong_size"})
	if err != nil {
		t.Fatal(err)
	}
	render(bot.NoticeReturn, o, 0, ret.ID, fmt.Sprintf("ds:%d", ret.ID), fmt.Sprintf("rx:%d", ret.ID))
	slots, err := h.pickup.NextSlots(h.ctx, pt.ID, 1)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := h.pickup.BookDropoff(h.ctx, u.buyer(), ret.ID, slots[0]); err != nil {
		t.Fatal(err)
	}
	render(bot.NoticeReturn, o, 0, ret.ID, fmt.Sprintf("ds:%d", ret.ID))
	if _, err := h.pickup.RejectReturn(h.ctx, "web:staff-jingan", pt.ID, ret.ID, "Tags removed"); err != nil {
		t.Fatal(err)
	}
	render(bot.NoticeReturn, o, 0, ret.ID, fmt.Sprintf("os:%d", o.ID))
	r, _ = h.notice(bot.NoticeReturn, o, "en", 0, ret.ID)
	if !strings.Contains(r[0].Text, "Tags removed") {
		t.Errorf("rejected notice lacks the staff's reason: %q", r[0].Text)
	}
	ret2, err := h.pickup.StartReturn(h.ctx, u.buyer(), commerce.ReturnRequest{OrderID: o.ID, Kind: commerce.ReturnRefund, Reason: "other"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := h.pickup.CancelReturn(h.ctx, u.buyer(), ret2.ID); err != nil {
		t.Fatal(err)
	}
	render(bot.NoticeReturn, o, 0, ret2.ID)
	ret3, _ := h.pickup.StartReturn(h.ctx, u.buyer(), commerce.ReturnRequest{OrderID: o.ID, Kind: commerce.ReturnRefund, Reason: "other"})
	if _, err := h.pickup.AcceptReturn(h.ctx, "web:staff-jingan", pt.ID, ret3.ID, ""); err != nil {
		t.Fatal(err)
	}
	render(bot.NoticeReturn, o, 0, ret3.ID)

	// Malformed notices are errors; a vanished order is nothing.
	for _, n := range []bot.Notice{
		{Kind: "bogus", OrderID: o.ID},
		{Kind: bot.NoticeArrived},
		{Kind: bot.NoticeReturn, OrderID: o.ID},
		{Kind: bot.NoticeReturn, OrderID: o.ID + 1, ReturnID: ret.ID},
		{Kind: bot.NoticeArrived, OrderID: o.ID, Channel: "web", UserID: "somebody-else"},
	} {
		if r, err := h.router.RenderNotice(h.ctx, n); err == nil {
			t.Errorf("RenderNotice(%+v) = %v; want an error", n, r)
		}
	}
	if r, err := h.router.RenderNotice(h.ctx, bot.Notice{Kind: bot.NoticeArrived, OrderID: 987654}); err != nil || len(r) != 0 {
		t.Errorf("notice of an unknown order: %v, %v", r, err)
	}
}
