package bot_test

import (
	"fmt"
	"strconv"
	"strings"
	"testing"

	"shopbot/bot"
	"shopbot/commerce"
)

// The chat side of the wrong-code limits: a staff member's wrong codes lock
// that identity only, a QR pass is never refused, and a flood at a point
// reaches the sellers as a notice.

func TestChatStaffLimitIsTheirOwn(t *testing.T) {
	t.Parallel()
	h := newPickupHarness(t)
	jingan := h.point("SH-JINGAN")
	for i := range 6 {
		jingan.Staff = append(jingan.Staff, fmt.Sprintf("web:guesser-%d", i))
	}
	if _, err := h.pickup.SavePoint(h.ctx, jingan); err != nil {
		t.Fatal(err)
	}
	u := h.user(t, "limits-buyer", "en")
	o := u.readyOrder(jingan)
	code := u.code(o)
	pass, err := h.pickup.Pass(h.ctx, u.buyer(), o.ID)
	if err != nil {
		t.Fatal(err)
	}
	wrong := "000000"
	if code == wrong {
		wrong = "000001"
	}
	// Six other staff members guess 5 times each: 30 wrong codes at the point.
	for i := range 6 {
		g := h.staff(t, fmt.Sprintf("guesser-%d", i))
		for range 5 {
			wantText(t, g.send(wrong), 0, g.tx("err_wrong_code", nil))
		}
		wantText(t, g.send(code), 0, g.tx("err_rate_limited", nil))
		// Their own limit does not stop a QR pass.
		if r := g.send(pass.Token); !strings.Contains(r[0].Text, "№"+o.Number) {
			t.Fatalf("QR pass from a limited staff member: %q", r[0].Text)
		}
	}
	// The point is not locked: another staff member's right code works.
	st := h.staff(t, "staff-jingan")
	r := st.send(code)
	if !strings.Contains(r[0].Text, "№"+o.Number) {
		t.Fatalf("right code after others' guesses: %q", r[0].Text)
	}
	findAction(t, r[0], "rd:")
}

func TestStaffFloodNotice(t *testing.T) {
	t.Parallel()
	h := newPickupHarness(t)
	jingan := h.point("SH-JINGAN")
	lim := h.pickup.FloodAlert()
	for _, lang := range []string{"en", "zh-CN", "ru"} {
		n := bot.Notice{Kind: bot.NoticeStaffFlood, Channel: "web", ChatID: seller, UserID: seller, Lang: lang, PointID: jingan.ID}
		r, err := h.router.RenderNotice(h.ctx, n)
		checkReplies(t, bot.Message{Text: "flood"}, r)
		want := texts.Text(lang, "notice_staff_flood", map[string]any{"Point": jingan.Name.In(lang), "PointCode": jingan.Code,
			"N": lim.N, "Minutes": int(lim.Per.Minutes())})
		if err != nil || len(r) != 1 || r[0].Text != want || !strings.Contains(want, jingan.Code) || !strings.Contains(want, "shopbot staff signout") {
			t.Fatalf("flood notice/%s = %+v, %v; want %q", lang, r, err, want)
		}
	}
	if r, err := h.router.RenderNotice(h.ctx, bot.Notice{Kind: bot.NoticeStaffFlood, Channel: "web", ChatID: seller, PointID: 987654}); err != nil || len(r) != 0 {
		t.Fatalf("notice of a point gone = %+v, %v; want nothing", r, err)
	}
	if lim != (commerce.Limit{N: 20, Per: lim.Per}) {
		t.Fatalf("default flood alert %+v", lim)
	}
}

// wrongCodesAt is how many wrong codes the point's current window counts.
func (h *harness) wrongCodesAt(pointID int64) (int, error) {
	var n int
	err := h.store.DB().QueryRowContext(h.ctx, `SELECT COALESCE(SUM(used), 0) FROM attempt_windows WHERE scope = $1`,
		"point:"+strconv.FormatInt(pointID, 10)).Scan(&n)
	return n, err
}
