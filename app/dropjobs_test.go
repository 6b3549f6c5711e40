package app

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"shopbot/commerce"
	"shopbot/internal/testenv"
	"shopbot/jobs"
)

// startJobs lists the pending start jobs of one drop.
func startJobs(t *testing.T, s *shop, dropID int64) []jobs.PendingJob {
	t.Helper()
	pending, err := s.app.queue.Pending(context.Background(), jobs.StartDropArgs{}.Kind())
	if err != nil {
		t.Fatal(err)
	}
	var out []jobs.PendingJob
	for _, p := range pending {
		var a jobs.StartDropArgs
		if json.Unmarshal(p.Args, &a) == nil && a.DropID == dropID {
			out = append(out, p)
		}
	}
	return out
}

// waitState waits for a job to reach state.
func waitState(t *testing.T, s *shop, id int64, state string) {
	t.Helper()
	got := ""
	waitFor(t, 30*time.Second, "job to be "+state, func() bool {
		var err error
		if got, err = s.app.queue.JobState(context.Background(), id); err != nil {
			t.Fatal(err)
		}
		return got == state
	})
}

// notified counts a drop's subscribers told that it started.
func notified(t *testing.T, s *shop, dropID int64) int {
	t.Helper()
	var n int
	if err := s.app.Store.DB().QueryRowContext(context.Background(),
		`SELECT COUNT(*) FROM drop_subscribers WHERE drop_id = $1 AND notified_at IS NOT NULL`, dropID).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// dropStartJobs: a start moved later leaves the first start job to snooze
// until the new start, the job scheduled for the new start tells the
// subscriber once, and a cancelled drop's start job tells nobody.
func dropStartJobs(t *testing.T, cfg Config) {
	clock := testenv.NewClock(time.Now())
	cfg.clock = clock
	s := start(t, cfg)
	ctx := context.Background()
	products, err := s.app.Store.Products(ctx, commerce.ProductFilter{Limit: 1})
	if err != nil || len(products) == 0 {
		t.Fatalf("products: %v", err)
	}
	newDrop := func() commerce.Drop {
		d, err := s.app.drops.Create(ctx, commerce.Drop{ProductID: products[0].ID, Units: 3, Price: products[0].Price,
			StartsAt: clock.Now().Add(time.Hour), PerBuyerLimit: 1, ReservationTTL: 10 * time.Minute})
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	subscribe := func(d commerce.Drop) string {
		user := testenv.UniqueName("sub")
		card := s.say(user, "text", "/drop "+d.Code)
		s.say(user, "action", action(t, card, "dsb:"))
		return user
	}

	moved, called := newDrop(), newDrop()
	ann := subscribe(moved)
	subscribe(called)
	if n := len(startJobs(t, s, moved.ID)); n != 1 {
		t.Fatalf("%d start jobs after creating the drop; want 1", n)
	}

	// The start moves an hour later: a second job, at the new start.
	later := moved.StartsAt.Add(time.Hour)
	if _, err := s.app.drops.Edit(ctx, moved.ID, commerce.DropEdit{StartsAt: &later}); err != nil {
		t.Fatal(err)
	}
	jobsNow := startJobs(t, s, moved.ID)
	if len(jobsNow) != 2 || !jobsNow[1].At.Truncate(time.Second).Equal(later.Truncate(time.Second)) {
		t.Fatalf("start jobs after the move: %+v; want the first plus one at %v", jobsNow, later)
	}

	// At the old start the first job finds the drop not started: it
	// snoozes to the new start and tells no one.
	clock.Advance(time.Hour)
	if err := s.app.queue.RunNow(ctx, jobsNow[0].ID); err != nil {
		t.Fatal(err)
	}
	// River snoozes by its own clock: the job is due again in the hour the
	// service's clock says is left, not done.
	ran := time.Now()
	waitFor(t, 30*time.Second, "the early start job to snooze", func() bool {
		for _, p := range startJobs(t, s, moved.ID) {
			if p.ID == jobsNow[0].ID && p.At.After(ran.Add(59*time.Minute)) {
				return true
			}
		}
		return false
	})
	if n := notified(t, s, moved.ID); n != 0 {
		t.Fatalf("%d subscribers told before the moved start", n)
	}

	// At the new start both jobs run: the subscriber is told once (the
	// second job finds everyone told).
	clock.Advance(time.Hour)
	both := startJobs(t, s, moved.ID)
	for _, p := range both {
		if err := s.app.queue.RunNow(ctx, p.ID); err != nil {
			t.Fatal(err)
		}
	}
	for _, p := range both {
		waitState(t, s, p.ID, "completed")
	}
	if n := notified(t, s, moved.ID); n != 1 {
		t.Fatalf("%d subscribers told after the start; want 1", n)
	}
	if got := s.inbox(ann, "It's on!"); strings.Count(got.Text, "It's on!") != 1 {
		t.Fatalf("start notice: %q", got.Text)
	}
	if _, body := s.getAs(ann, "/api/inbox"); strings.Contains(body, "It's on!") {
		t.Fatalf("a second start notice: %s", body)
	}

	// The other drop was called off before its start: its job is
	// cancelled and tells nobody.
	if _, _, err := s.app.drops.Cancel(ctx, called.ID); err != nil {
		t.Fatal(err)
	}
	clock.Advance(time.Hour)
	for _, p := range startJobs(t, s, called.ID) {
		if err := s.app.queue.RunNow(ctx, p.ID); err != nil {
			t.Fatal(err)
		}
		waitState(t, s, p.ID, "cancelled")
	}
	if n := notified(t, s, called.ID); n != 0 {
		t.Fatalf("%d subscribers of a cancelled drop told it started", n)
	}
}

func TestDropStartJobsSQLite(t *testing.T) {
	t.Parallel()
	dropStartJobs(t, sqliteConfig(t))
}

func TestDropStartJobsPostgresRedis(t *testing.T) {
	t.Parallel()
	dropStartJobs(t, postgresRedisConfig(t))
}
