package app

import (
	"bytes"
	"context"
	"strconv"
	"strings"
	"testing"

	"shopbot/internal/cmdline"
	"shopbot/internal/testenv"
)

// placeWebOrder has a web buyer order one unit of the first snack, pick it
// up in Shanghai and confirm; it returns the order's number and id.
func placeWebOrder(t *testing.T, s *shop, user string) (string, int64) {
	t.Helper()
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
	id, _ := strconv.ParseInt(strings.TrimPrefix(button(t, r, "Confirm"), "oc:"), 10, 64)
	s.say(user, "action", button(t, r, "Confirm"))
	return number, id
}

// shopbot orders cancel: the stock comes back, the buyer is told with the
// reason in the chat they ordered from; a second cancel, a shipped order,
// an unknown number and a bad reason are refused with their exit codes.
func ordersCancelPath(t *testing.T, cfg Config) {
	s := start(t, cfg)
	ctx := context.Background()
	user := testenv.UniqueName("cancelled")
	number, id := placeWebOrder(t, s, user)
	o, err := s.app.Store.Order(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	product := o.Lines[0].ProductID
	stock := func() int {
		p, err := s.app.Store.Product(ctx, product)
		if err != nil {
			t.Fatal(err)
		}
		return p.Stock
	}
	before := stock()
	vars := map[string]string{"DATABASE_URL": cfg.DatabaseURL, "REDIS_URL": cfg.RedisURL, "SHOPBOT_REDIS_PREFIX": cfg.RedisPrefix}
	run := func(args ...string) (int, string, string) {
		var out, errOut bytes.Buffer
		code := Main(ctx, args, env(vars), &out, &errOut)
		return code, out.String(), errOut.String()
	}
	const reason = "Sorry, the last box was damaged in the warehouse"
	if code, out, errOut := run("orders", "cancel", strings.ToLower(number), "--reason", reason); code != 0 || !strings.Contains(out, "cancelled "+number) {
		t.Fatalf("orders cancel = %d %q %q", code, out, errOut)
	}
	if after := stock(); after != before+1 {
		t.Fatalf("stock %d after the cancellation; want %d", after, before+1)
	}
	notice := s.inbox(user, reason)
	if !strings.Contains(notice.Text, "№"+number) {
		t.Fatalf("notice %q does not name the order", notice.Text)
	}

	shipped, _ := placeWebOrder(t, s, user)
	pt, err := s.app.Store.PickupPoint(ctx, o.PickupPointID)
	if err != nil {
		t.Fatal(err)
	}
	if code, out, errOut := run("pickup", "ship", "-point", pt.Code, shipped); code != 0 {
		t.Fatalf("ship = %d %q %q", code, out, errOut)
	}
	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"orders", "cancel", number, "--reason", "again"}, cmdline.ExitNotDone, "already cancelled"},
		{[]string{"orders", "cancel", shipped, "--reason", reason}, cmdline.ExitNotDone, "too late"},
		{[]string{"orders", "cancel", "ZZZZZZ", "--reason", reason}, cmdline.ExitFailure, "no order ZZZZZZ"},
		{[]string{"orders", "cancel", shipped}, cmdline.ExitUsage, `Required flag "reason"`},
		{[]string{"orders", "cancel", shipped, "--reason", " "}, cmdline.ExitUsage, "--reason"},
		{[]string{"orders", "cancel", shipped, "--reason", strings.Repeat("x", 201)}, cmdline.ExitUsage, "--reason"},
		{[]string{"orders", "cancel", "--reason", reason}, cmdline.ExitUsage, "missing the order's NUMBER"},
	} {
		if code, _, errOut := run(tc.args...); code != tc.code || !strings.Contains(errOut, tc.want) {
			t.Errorf("shopbot %q = %d, %q; want %d and %q", tc.args, code, errOut, tc.code, tc.want)
		}
	}
	if cur, _ := s.app.Store.OrderByNumber(ctx, shipped); cur.Status != "shipped" || cur.CancelReason != "" {
		t.Fatalf("the shipped order became %+v", cur)
	}
}

func TestOrdersCancelSQLite(t *testing.T) {
	t.Parallel()
	ordersCancelPath(t, sqliteConfig(t))
}

func TestOrdersCancelPostgresRedis(t *testing.T) {
	t.Parallel()
	ordersCancelPath(t, postgresRedisConfig(t))
}
