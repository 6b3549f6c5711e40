package app

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"shopbot/commerce"
	"shopbot/internal/testenv"
	"shopbot/store/redis"
)

// Child processes: the test binary re-runs itself with SHOPBOT_TEST_CHILD
// naming one of these, which then does its work and exits instead of
// running tests. A test kills such a child with SIGKILL to check what a
// crash leaves behind.
var testChildren = map[string]func() int{
	"rush": rushChild,
}

const testChildEnv = "SHOPBOT_TEST_CHILD"

func TestMain(m *testing.M) {
	if name := os.Getenv(testChildEnv); name != "" {
		child := testChildren[name]
		if child == nil {
			fmt.Fprintf(os.Stderr, "no test child %q\n", name)
			os.Exit(2)
		}
		os.Exit(child())
	}
	os.Exit(m.Run())
}

// rushWave is how many buyers tap at the same moment in rushChild: a
// kill then catches some of them between the gate and the database.
const rushWave = 20

// rushBuyer and rushKey name buyer i of a rush, the same in every process.
func rushBuyer(i int) commerce.Buyer {
	return commerce.Buyer{Channel: "web", UserID: "rush-" + strconv.Itoa(i)}
}

func rushKey(code string, i int) string { return "rush-" + code + "-" + strconv.Itoa(i) }

func rushPhone(i int) string { return fmt.Sprintf("+86 138 %08d", i) }

// rushChild rushes the drop RUSH_DROP with RUSH_BUYERS buyers arriving in
// waves of rushWave, one wave every RUSH_EVERY, on the stores of the
// environment, and prints one line per answer as soon as it has it: "ok KEY
// ID" for a reservation, "no KEY" for a refusal, and, for every buyer who
// got one, "order KEY ORDER_ID" once the buyer finished the order at
// pickup point RUSH_POINT. A line printed is an answer a buyer saw.
func rushChild() int {
	fail := func(err error) int { fmt.Fprintln(os.Stderr, "rush child:", err); return 1 }
	cfg, err := ConfigFromEnv(os.Getenv)
	if err != nil {
		return fail(err)
	}
	dropID, err1 := strconv.ParseInt(os.Getenv("RUSH_DROP"), 10, 64)
	buyers, err2 := strconv.Atoi(os.Getenv("RUSH_BUYERS"))
	every, err3 := time.ParseDuration(os.Getenv("RUSH_EVERY"))
	point, err4 := strconv.ParseInt(os.Getenv("RUSH_POINT"), 10, 64)
	if err := errors.Join(err1, err2, err3, err4); err != nil {
		return fail(err)
	}
	ctx := context.Background()
	a, err := Open(ctx, cfg, slog.New(slog.DiscardHandler))
	if err != nil {
		return fail(err)
	}
	d, err := a.Store.Drop(ctx, dropID)
	if err != nil {
		return fail(err)
	}
	var mu sync.Mutex
	out := bufio.NewWriter(os.Stdout)
	say := func(line string) {
		mu.Lock()
		defer mu.Unlock()
		out.WriteString(line + "\n")
		out.Flush()
	}
	var wg sync.WaitGroup
	for i := range buyers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			time.Sleep(every * time.Duration(i/rushWave))
			key := rushKey(d.Code, i)
			r, err := a.drops.Reserve(ctx, d.ID, rushBuyer(i), 1, key)
			switch {
			case err == nil:
				say(fmt.Sprintf("ok %s %d", key, r.ID))
				o, _, err := a.drops.Order(ctx, commerce.DropOrder{ReservationID: r.ID, Buyer: rushBuyer(i), ChatID: rushBuyer(i).UserID,
					Lang: "en", PickupPointID: point, ContactName: "Rush Buyer", Phone: rushPhone(i), Key: "order-" + key})
				if err != nil {
					fmt.Fprintln(os.Stderr, "rush child: order:", err)
					return
				}
				say(fmt.Sprintf("order %s %d", key, o.ID))
			case errors.Is(err, commerce.ErrSoldOut) || errors.Is(err, commerce.ErrDropLimit):
				say("no " + key)
			default:
				fmt.Fprintln(os.Stderr, "rush child: reserve:", err)
			}
		}()
	}
	wg.Wait()
	a.Close()
	return 0
}

// rushKill: a process rushing a drop is killed with SIGKILL in the middle;
// a new process, whose buyers all tap again with the same keys, finishes
// the rush. Exactly the drop's units are sold, to distinct buyers; every
// reservation a buyer was told of before the kill stands, with the same id,
// and its buyer's new tap returns it; with Redis, the gate is repaired to
// agree with the database.
func rushKill(t *testing.T, cfg Config, env map[string]string) {
	const buyers, units, killAfter, killAfterOrders = 2000, 100, 15, 5
	ctx := context.Background()
	clock := testenv.NewClock(time.Now())
	cfg.clock = clock
	cfg.SeedDemo = false
	setup, err := Open(ctx, cfg, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	product, err := rushProduct(ctx, setup)
	if err != nil {
		t.Fatal(err)
	}
	point, err := setup.Store.UpsertPickupPoint(ctx, commerce.PickupPoint{Code: "RUSH", City: commerce.Text{"en": "Shanghai"},
		Name: commerce.Text{"en": "Rush counter"}, Address: commerce.Text{"en": "1 Rush Rd"}, Hours: "10:00-21:00",
		TimeZone: "Asia/Shanghai", Active: true})
	if err != nil {
		t.Fatal(err)
	}
	d, err := setup.drops.Create(ctx, commerce.Drop{ProductID: product.ID, Units: units, Price: product.Price,
		StartsAt: clock.Now().Add(-time.Minute), PerBuyerLimit: 1, ReservationTTL: 15 * time.Minute})
	setup.Close()
	if err != nil {
		t.Fatal(err)
	}

	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), testChildEnv+"=rush", "RUSH_DROP="+strconv.FormatInt(d.ID, 10),
		"RUSH_BUYERS="+strconv.Itoa(buyers), "RUSH_EVERY=600ms", "RUSH_POINT="+strconv.FormatInt(point.ID, 10), "SHOPBOT_SEED_DEMO=false")
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	told := map[string]int64{}    // key → reservation id the buyer was told of
	ordered := map[string]int64{} // key → order id the buyer was told of
	refused := 0
	killed := false
	sc := bufio.NewScanner(stdout)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		switch {
		case len(f) == 3 && f[0] == "ok":
			id, _ := strconv.ParseInt(f[2], 10, 64)
			told[f[1]] = id
		case len(f) == 3 && f[0] == "order":
			id, _ := strconv.ParseInt(f[2], 10, 64)
			ordered[f[1]] = id
		case len(f) == 2 && f[0] == "no":
			refused++
		default:
			t.Fatalf("child said %q", sc.Text())
		}
		if !killed && len(told) >= killAfter && len(ordered) >= killAfterOrders {
			if err := cmd.Process.Kill(); err != nil { // SIGKILL
				t.Fatal(err)
			}
			killed = true
		}
	}
	_, _ = io.Copy(io.Discard, stdout)
	werr := cmd.Wait()
	if !killed {
		t.Fatalf("the rush ended before the kill (%d reserved); stderr:\n%s", len(told), stderr.String())
	}
	var exit *exec.ExitError
	if !errors.As(werr, &exit) || exit.ExitCode() != -1 {
		t.Fatalf("child ended with %v, not by the kill; stderr:\n%s", werr, stderr.String())
	}
	if len(told) >= units {
		t.Fatalf("the kill came after the sale ended (%d reserved)", len(told))
	}
	t.Logf("killed after %d reservations, %d orders and %d refusals were answered", len(told), len(ordered), refused)

	a, err := Open(ctx, cfg, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	// Nothing a buyer was told is lost, and the units add up.
	for key, id := range told {
		r, err := a.Store.DropReservationByKey(ctx, key)
		if err != nil || r.ID != id || r.Status != commerce.DropReserved && r.Status != commerce.DropOrdered {
			t.Fatalf("reservation %s told to a buyer as %d: %+v, %v", key, id, r, err)
		}
	}
	if len(ordered) == 0 {
		t.Fatalf("no order was finished before the kill")
	}
	for key, id := range ordered {
		o, err := a.Store.Order(ctx, id)
		if err != nil || o.Status != commerce.StatusConfirmed || o.Total.Amount != d.Price.Amount {
			t.Fatalf("order %d (%s) told to a buyer: %+v, %v", id, key, o, err)
		}
		if r, _ := a.Store.DropReservationByKey(ctx, key); r.Status != commerce.DropOrdered {
			t.Fatalf("reservation %s of order %d is %q; want ordered", key, id, r.Status)
		}
	}
	checkRushBooks(t, a, d, -1)

	if a.redis != nil {
		gate := redis.NewGate(a.redis, cfg.RedisPrefix)
		// Admissions in flight at the kill never reached the database: the
		// safety net gives them back once they have looked stale for 30 s.
		// Whether the kill caught one is up to timing, so when the gate
		// still has units, one more is made here for sure: a tap the gate
		// admitted whose process died at once.
		got, err := a.Store.Drop(ctx, d.ID)
		if err != nil {
			t.Fatal(err)
		}
		left, _, err := gate.Left(ctx, d.Code)
		if err != nil {
			t.Fatal(err)
		}
		lost := got.Left - left // admitted by the gate, never reserved
		if left > 0 {
			if ok, err := gate.Try(ctx, d.Code, "web:lost-in-the-crash", 1, 1); !ok || err != nil {
				t.Fatalf("gate.Try = %v, %v", ok, err)
			}
			lost++
		}
		if _, err := a.drops.RepairGates(ctx); err != nil {
			t.Fatal(err)
		}
		clock.Advance(31 * time.Second)
		n, err := a.drops.RepairGates(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if n != lost {
			t.Fatalf("gate repair gave back %d units; %d were admitted and never reserved", n, lost)
		}
		t.Logf("gate repair gave back %d units admitted but never reserved", n)
		checkGate(t, a, gate, d)
	}

	// Everyone taps again with the same key, all at once.
	var wg sync.WaitGroup
	var mu sync.Mutex
	again := map[string]commerce.DropReservation{}
	for i := range buyers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			key := rushKey(d.Code, i)
			r, err := a.drops.Reserve(ctx, d.ID, rushBuyer(i), 1, key)
			if err != nil && !errors.Is(err, commerce.ErrSoldOut) && !errors.Is(err, commerce.ErrDropLimit) {
				t.Errorf("reserve %s: %v", key, err)
			}
			if err == nil {
				mu.Lock()
				again[key] = r
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	for key, id := range told {
		if r, ok := again[key]; !ok || r.ID != id {
			t.Errorf("buyer told of reservation %d (%s) tapped again and got %+v", id, key, r)
		}
	}
	if len(again) != units {
		t.Errorf("%d buyers hold a unit after the rush; want %d", len(again), units)
	}
	checkRushBooks(t, a, d, 0)
	if a.redis != nil {
		checkGate(t, a, redis.NewGate(a.redis, cfg.RedisPrefix), d)
	}
}

// checkRushBooks checks the database's books of a rushed drop: units left
// plus units reserved make the drop's units, one reservation per buyer, no
// buyer over the limit, buyer counts matching reservations; wantLeft ≥ 0
// also checks the units left.
func checkRushBooks(t *testing.T, a *App, d commerce.Drop, wantLeft int) {
	t.Helper()
	ctx := context.Background()
	db := a.Store.DB()
	var reserved, rows, buyers, left, counted int
	if err := db.QueryRowContext(ctx, `SELECT COALESCE(SUM(qty), 0), COUNT(*), COUNT(DISTINCT buyer) FROM drop_reservations
		WHERE drop_id = $1 AND status IN ('reserved', 'ordered')`, d.ID).Scan(&reserved, &rows, &buyers); err != nil {
		t.Fatal(err)
	}
	if err := db.QueryRowContext(ctx, `SELECT units_left FROM drops WHERE id = $1`, d.ID).Scan(&left); err != nil {
		t.Fatal(err)
	}
	if err := db.QueryRowContext(ctx, `SELECT COALESCE(SUM(taken), 0) FROM drop_buyers WHERE drop_id = $1`, d.ID).Scan(&counted); err != nil {
		t.Fatal(err)
	}
	if reserved+left != d.Units || rows != buyers || counted != reserved || reserved > d.Units {
		t.Fatalf("books: %d reserved in %d rows for %d buyers, %d counted, %d left, of %d units", reserved, rows, buyers, counted, left, d.Units)
	}
	if wantLeft >= 0 && left != wantLeft {
		t.Fatalf("%d units left; want %d", left, wantLeft)
	}
}

// checkGate checks that the gate agrees with the database: its counter is
// the units left and it counts each buyer what the buyer holds.
func checkGate(t *testing.T, a *App, gate *redis.Gate, d commerce.Drop) {
	t.Helper()
	ctx := context.Background()
	got, err := a.Store.Drop(ctx, d.ID)
	if err != nil {
		t.Fatal(err)
	}
	left, ok, err := gate.Left(ctx, d.Code)
	if err != nil || !ok || left != got.Left {
		t.Errorf("gate counter %d (ok %v, %v); the database has %d left", left, ok, err, got.Left)
	}
	admitted, err := gate.Admitted(ctx, d.Code)
	if err != nil {
		t.Fatal(err)
	}
	held, err := a.Store.DropBuyerCounts(ctx, d.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(admitted) != len(held) {
		t.Errorf("gate counts %d buyers; the database %d", len(admitted), len(held))
	}
	for b, n := range held {
		if admitted[b] != n {
			t.Errorf("gate counts %s for %d units; the database %d", b, admitted[b], n)
		}
	}
}

func TestRushKilledMidwaySQLite(t *testing.T) {
	t.Parallel()
	cfg := sqliteConfig(t)
	rushKill(t, cfg, map[string]string{"DATABASE_URL": cfg.DatabaseURL, "REDIS_URL": ""})
}

func TestRushKilledMidwayPostgresRedis(t *testing.T) {
	t.Parallel()
	cfg := postgresRedisConfig(t)
	rushKill(t, cfg, map[string]string{"DATABASE_URL": cfg.DatabaseURL, "REDIS_URL": cfg.RedisURL,
		"SHOPBOT_REDIS_PREFIX": cfg.RedisPrefix, "SHOPBOT_DB_MAX_CONNS": "8"})
}
