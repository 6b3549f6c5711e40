package app

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"shopbot/bot"
	"shopbot/commerce"
	"shopbot/internal/testenv"
)

var (
	codeRe = regexp.MustCompile(`\b(\d{6})\b`)
	csrfRe = regexp.MustCompile(`name="csrf" value="([^"]+)"`)
)

// inbox waits for a web notice whose text contains want.
func (s *shop) inbox(user, want string) bot.Reply {
	s.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		code, body := s.getAs(user, "/api/inbox")
		if code != http.StatusOK {
			s.t.Fatalf("/api/inbox = %d %s", code, body)
		}
		var out chatResponse
		if err := json.Unmarshal([]byte(body), &out); err != nil {
			s.t.Fatal(err)
		}
		for _, r := range out.Replies {
			if strings.Contains(r.Text, want) {
				return r
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	s.t.Fatalf("no notice containing %q arrived", want)
	return bot.Reply{}
}

// runCLI runs a shopbot subcommand against the server's database.
func runCLI(t *testing.T, cfg Config, args ...string) string {
	t.Helper()
	vars := map[string]string{"DATABASE_URL": cfg.DatabaseURL, "REDIS_URL": cfg.RedisURL, "SHOPBOT_REDIS_PREFIX": cfg.RedisPrefix}
	var out, errOut bytes.Buffer
	if code := Main(context.Background(), args, env(vars), &out, &errOut); code != 0 {
		t.Fatalf("shopbot %v: exit %d\n%s", args, code, errOut.String())
	}
	return out.String()
}

// pickupPath: order → batch arrives (CLI) → buyer notified → books a slot →
// reminders scheduled at the right moments, one fires → staff hand over on
// the staff page → picked_up, exactly once.
func pickupPath(t *testing.T, cfg Config) {
	s := start(t, cfg)
	user := testenv.UniqueName("pick")
	r := s.say(user, "text", "/start")
	r = s.say(user, "action", button(t, r, "Shop"))
	r = s.say(user, "action", button(t, r, "Snacks"))
	r = s.say(user, "action", r[0].Buttons[0][0].Action)
	r = s.say(user, "action", button(t, r, "Add 1"))
	r = s.say(user, "action", button(t, r, "Check out"))
	s.say(user, "action", button(t, r, "Shanghai"))
	s.say(user, "text", "Wang Fang")
	r = s.say(user, "text", "13900139000")
	number := orderNumberRe.FindStringSubmatch(lastText(r))[1]
	orderID, _ := strconv.ParseInt(strings.TrimPrefix(button(t, r, "Confirm"), "oc:"), 10, 64)
	s.say(user, "action", button(t, r, "Confirm"))

	ctx := context.Background()
	o, err := s.app.Store.Order(ctx, orderID)
	if err != nil {
		t.Fatal(err)
	}
	pt, err := s.app.Store.PickupPoint(ctx, o.PickupPointID)
	if err != nil {
		t.Fatal(err)
	}
	if out := runCLI(t, cfg, "pickup", "ship", "-point", pt.Code, "-batch", "B-E2E", number); !strings.Contains(out, "1 moved") {
		t.Fatalf("ship: %s", out)
	}
	if out := runCLI(t, cfg, "pickup", "arrived", "-point", strings.ToLower(pt.Code), "-batch", "b-e2e"); !strings.Contains(out, "1 moved") {
		t.Fatalf("arrived: %s", out)
	}

	// The buyer is told in the chat, with the code and times to book.
	arrived := s.inbox(user, "№"+number)
	m := codeRe.FindStringSubmatch(arrived.Text)
	if m == nil {
		t.Fatalf("arrival notice has no pickup code: %q", arrived.Text)
	}
	code := m[1]
	pass, err := s.app.pickup.Pass(ctx, o.Buyer, orderID)
	if err != nil || pass.Code != code {
		t.Fatalf("notice code %s, pass %+v %v", code, pass, err)
	}

	// The pass as QR code: served under its unguessable token, nothing else.
	passReply := s.say(user, "action", "pc:"+strconv.FormatInt(orderID, 10))
	if img := passReply[0].Image; !strings.HasPrefix(img, "/qr/") {
		t.Fatalf("pickup pass without a QR image: %+v", passReply[0])
	} else if code, body := s.get(img); code != http.StatusOK || !strings.HasPrefix(body, "\x89PNG") {
		t.Fatalf("GET %s = %d", img, code)
	}
	for _, bad := range []string{"/qr/" + strconv.FormatInt(orderID, 10) + ".png", "/qr/P1.forged.png"} {
		if code, _ := s.get(bad); code != http.StatusNotFound {
			t.Fatalf("GET %s = %d; want 404", bad, code)
		}
	}

	// Book a slot at least two hours ahead, so both kinds of reminder can exist.
	replies := []bot.Reply{arrived}
	var slot time.Time
	var action string
	for page := 1; action == "" && page < 17; page++ {
		for _, rep := range replies {
			for _, row := range rep.Buttons {
				for _, b := range row {
					mins, ok := strings.CutPrefix(b.Action, "bk:"+strconv.FormatInt(orderID, 10)+":")
					if !ok {
						continue
					}
					n, _ := strconv.ParseInt(mins, 10, 64)
					if at := time.Unix(n*60, 0); action == "" && at.After(time.Now().Add(2*time.Hour)) {
						slot, action = at, b.Action
					}
				}
			}
		}
		if action == "" {
			replies = s.say(user, "action", "pb:"+strconv.FormatInt(orderID, 10)+":"+strconv.Itoa(page))
		}
	}
	if action == "" {
		t.Fatal("no slot two hours ahead offered")
	}
	bookedAt := time.Now()
	r = s.say(user, "action", action)
	bk, err := s.app.pickup.ActiveBooking(ctx, o.Buyer, orderID)
	if err != nil || !bk.Start.Equal(slot) {
		t.Fatalf("booking = %+v, %v; want slot %v (reply %q)", bk, err, slot, lastText(r))
	}

	// Reminders wait for the day before and the hour before, in the point's zone.
	loc, _ := time.LoadLocation(pt.TimeZone)
	want := commerce.Reminders(slot, loc, bookedAt)
	pending, err := s.app.queue.PendingNotices(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var hourJob int64
	got := 0
	for _, p := range pending {
		if p.Notice.OrderID != orderID || p.Notice.BookingID != bk.ID {
			continue
		}
		got++
		kind := commerce.ReminderDayBefore
		if p.Notice.Kind == bot.NoticeReminderHour {
			kind, hourJob = commerce.ReminderHourBefore, p.JobID
		}
		found := false
		for _, w := range want {
			found = found || w.Kind == kind && w.At.Truncate(time.Second).Equal(p.At.Truncate(time.Second))
		}
		if !found {
			t.Errorf("reminder %s scheduled at %v; want one of %+v", p.Notice.Kind, p.At, want)
		}
	}
	if got != len(want) || hourJob == 0 {
		t.Fatalf("%d reminders scheduled; want %d incl. the hour-before one (%+v)", got, len(want), pending)
	}
	// Its moment comes: the reminder reaches the buyer.
	if err := s.app.queue.RunNow(ctx, hourJob); err != nil {
		t.Fatal(err)
	}
	s.inbox(user, "Coming up: collect order №"+number)

	// Staff hand the order over on the staff page.
	staffID := ""
	for _, id := range pt.Staff {
		if strings.HasPrefix(id, "web:") {
			staffID = id
		}
	}
	link, err := s.app.staff.LoginLink(ctx, staffID, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	jar, _ := cookiejar.New(nil)
	staff := &http.Client{Jar: jar}
	staffGet := func(path string) string {
		res, err := staff.Get(s.base + path)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return string(b)
	}
	// Opening the link shows whom it signs in; the button signs in, once.
	if page := staffGet(strings.TrimPrefix(link, "http://127.0.0.1")); !strings.Contains(page, staffID) {
		t.Fatalf("login link page: %s", page)
	}
	signIn := func() int {
		res, err := staff.PostForm(s.base+"/staff/login", url.Values{"token": {strings.TrimPrefix(link, "http://127.0.0.1/staff/login?token=")}})
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res.StatusCode
	}
	if status := signIn(); status != http.StatusOK {
		t.Fatalf("sign in = %d", status)
	}
	if status := signIn(); status != http.StatusGone {
		t.Fatalf("sign in again with the link = %d; want 410", status)
	}
	page := staffGet("/staff")
	csrf := csrfRe.FindStringSubmatch(page)
	if csrf == nil {
		t.Fatalf("staff page without a form: %s", page)
	}
	post := func(path string, extra ...string) (int, string) {
		form := url.Values{"csrf": {csrf[1]}, "point": {strconv.FormatInt(pt.ID, 10)}, "code": {code}}
		for i := 0; i+1 < len(extra); i += 2 {
			form.Set(extra[i], extra[i+1])
		}
		res, err := staff.PostForm(s.base+path, form)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res.StatusCode, string(b)
	}
	if status, body := post("/staff/inspect"); status != http.StatusOK || !strings.Contains(body, number) || !strings.Contains(body, "Wang") {
		t.Fatalf("inspect = %d %s", status, body)
	}
	// Paid at pickup: no hand-over without the payment.
	if status, _ := post("/staff/redeem"); status != http.StatusConflict {
		t.Fatalf("hand-over without the payment = %d; want 409", status)
	}
	// The page speaks the default language to a browser that names none.
	if status, body := post("/staff/redeem", "payment", "cash", "amount", o.Total.Decimal(), "currency", o.Total.Currency); status != http.StatusOK || !strings.Contains(body, "已交付，订单完成。") {
		t.Fatalf("redeem = %d %s", status, body)
	}
	if got, _ := s.app.Store.Order(ctx, orderID); got.Status != commerce.StatusPickedUp || got.Paid.Method != commerce.PayCash || got.Paid.Amount != o.Total {
		t.Fatalf("order after hand-over = %s, paid %+v", got.Status, got.Paid)
	}
	if status, _ := post("/staff/redeem"); status != http.StatusConflict {
		t.Fatalf("second hand-over = %d; want 409 already collected", status)
	}
	s.inbox(user, "Thank you for collecting order №"+number)
}

func TestPickupEndToEndSQLite(t *testing.T) {
	t.Parallel()
	pickupPath(t, sqliteConfig(t))
}

func TestPickupEndToEndPostgresRedis(t *testing.T) {
	t.Parallel()
	pickupPath(t, postgresRedisConfig(t))
}
