// Package jobs runs the durable background work on River: releasing expired
// reservations now, notifications and broadcasts later. Jobs are inserted in
// the same transaction as the state change that causes them.
package jobs

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver"
	"github.com/riverqueue/river/riverdriver/riverdatabasesql"
	"github.com/riverqueue/river/riverdriver/riversqlite"
	"github.com/riverqueue/river/rivermigrate"

	"shopbot/bot"
	"shopbot/commerce"
)

// Options configures the queue.
type Options struct {
	DB      *sql.DB
	Dialect string // "postgres" or "sqlite"
	Shop    *commerce.Shop
	Log     *slog.Logger
	// Sweep deletes expired sessions and dedupe keys of the embedded store; nil when Redis holds them.
	Sweep func(ctx context.Context) (int64, error)
	// PollInterval is how often workers look for due jobs; default 1 s.
	PollInterval time.Duration
	// SafetyNetInterval is how often every overdue reservation is swept, in
	// case a job was lost; default 1 min.
	SafetyNetInterval time.Duration
	Workers           int // default 10

	// Pickup, Render and Deliver enable pickup notices, reminders and
	// missed-slot release; Admins receive seller alerts ("tg:123").
	Pickup *commerce.Pickup
	Drops  *commerce.DropService // nil: no drop reservations to expire
	// Restock delivers the back-in-stock notices of ProductRestocked
	// (bot.NoticeRestocked, one job per waiting buyer).
	Restock bool
	Render  func(ctx context.Context, n bot.Notice) ([]bot.Reply, error)
	Deliver Deliverer
	// Route is where a rendered notice is delivered (bot.Router.NoticeTarget:
	// the chat the buyer's person chose or used last); nil delivers to
	// the notice's own chat.
	Route  func(ctx context.Context, n bot.Notice) (bot.Notice, error)
	Admins []string
	// Desk enables the new-order notices to the Admins (with Render and
	// Deliver); nil: sellers are not told of new orders.
	Desk *commerce.OrderDesk
	// Broadcast enables the fan-out of broadcasts (see BroadcastOptions).
	Broadcast *BroadcastOptions
	// Retention removes what the shop no longer needs to keep (web
	// identities idle 30 days that never ordered, with their state); it
	// runs every RetentionInterval (default 1 h) and at start. Nil: never.
	Retention         func(ctx context.Context) (int64, error)
	RetentionInterval time.Duration
	// Payments enables online payment's jobs (jobs/payments.go) and its
	// reconciliation every ReconcileInterval (default 1 min); nil: none.
	Payments          *commerce.Payments
	ReconcileInterval time.Duration
}

// Queue is the River client of the process.
type Queue struct {
	client *river.Client[*sql.Tx]
	driver riverdriver.Driver[*sql.Tx]
	pickup *commerce.Pickup
	admins []string
	drops  bool    // drop events become jobs
	desk   bool    // new orders become seller notices
	fanout *Fanout // nil: no broadcasts
	bstore commerce.BroadcastStore
	// restock: ProductRestocked events become notices
	restock bool
	// payments: payment events become jobs and notices
	payments bool
}

// ExpireReservationArgs releases a pending order's stock when its reservation ends.
type ExpireReservationArgs struct {
	OrderID int64 `json:"order_id"`
}

// Kind implements river.JobArgs.
func (ExpireReservationArgs) Kind() string { return "expire_reservation" }

type expireWorker struct {
	river.WorkerDefaults[ExpireReservationArgs]
	shop *commerce.Shop
}

func (w *expireWorker) Work(ctx context.Context, j *river.Job[ExpireReservationArgs]) error {
	expired, err := w.shop.ExpireOrder(ctx, j.Args.OrderID)
	if err != nil {
		if errors.Is(err, commerce.ErrNotFound) {
			return river.JobCancel(err)
		}
		return err
	}
	if expired {
		return nil
	}
	o, err := w.shop.Store().Order(ctx, j.Args.OrderID)
	if err != nil {
		return err
	}
	if o.Status == commerce.StatusPending { // not due yet (clock skew between replicas)
		return river.JobSnooze(max(o.ExpiresAt.Sub(w.shop.Now()), time.Second))
	}
	return nil
}

// SafetyNetArgs expires every overdue reservation.
type SafetyNetArgs struct{}

// Kind implements river.JobArgs.
func (SafetyNetArgs) Kind() string { return "expire_overdue" }

type safetyNetWorker struct {
	river.WorkerDefaults[SafetyNetArgs]
	shop   *commerce.Shop
	pickup *commerce.Pickup
	drops  *commerce.DropService
	sweep  func(ctx context.Context) (int64, error)
	log    *slog.Logger
}

func (w *safetyNetWorker) Work(ctx context.Context, _ *river.Job[SafetyNetArgs]) error {
	n, err := w.shop.ExpireDue(ctx)
	if n > 0 {
		w.log.InfoContext(ctx, "expired overdue reservations", "count", n)
	}
	if err != nil {
		return err
	}
	if w.drops != nil {
		n, err := w.drops.ExpireDue(ctx)
		if n > 0 {
			w.log.InfoContext(ctx, "expired overdue drop reservations", "count", n)
		}
		if err != nil {
			return err
		}
		if _, err := w.drops.RepairGates(ctx); err != nil {
			return err
		}
	}
	if w.pickup != nil {
		res, err := w.pickup.Sweep(ctx)
		if res.Missed > 0 || res.Overdue > 0 {
			w.log.InfoContext(ctx, "pickup sweep", "missed", res.Missed, "overdue", res.Overdue)
		}
		if err != nil {
			return err
		}
	}
	if w.sweep != nil {
		if _, err := w.sweep(ctx); err != nil {
			return err
		}
	}
	return nil
}

// RetentionArgs runs Options.Retention.
type RetentionArgs struct{}

// Kind implements river.JobArgs.
func (RetentionArgs) Kind() string { return "retention" }

type retentionWorker struct {
	river.WorkerDefaults[RetentionArgs]
	retention func(ctx context.Context) (int64, error)
	log       *slog.Logger
}

func (w *retentionWorker) Work(ctx context.Context, _ *river.Job[RetentionArgs]) error {
	n, err := w.retention(ctx)
	if n > 0 {
		w.log.InfoContext(ctx, "retention: removed idle web identities", "count", n)
	}
	return err
}

// New migrates River's tables and builds the client (not started).
func New(ctx context.Context, o Options) (*Queue, error) {
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	var driver riverdriver.Driver[*sql.Tx]
	switch o.Dialect {
	case "postgres":
		driver = riverdatabasesql.New(o.DB)
	case "sqlite":
		driver = riversqlite.New(o.DB)
	default:
		return nil, fmt.Errorf("jobs: unknown dialect %q", o.Dialect)
	}
	m, err := rivermigrate.New(driver, &rivermigrate.Config{Logger: o.Log})
	if err != nil {
		return nil, fmt.Errorf("jobs: migrator: %w", err)
	}
	if _, err := m.Migrate(ctx, rivermigrate.DirectionUp, nil); err != nil {
		return nil, fmt.Errorf("jobs: migrate: %w", err)
	}
	workers := river.NewWorkers()
	river.AddWorker(workers, &expireWorker{shop: o.Shop})
	river.AddWorker(workers, &safetyNetWorker{shop: o.Shop, pickup: o.Pickup, drops: o.Drops, sweep: o.Sweep, log: o.Log})
	if o.Drops != nil {
		river.AddWorker(workers, &expireDropWorker{drops: o.Drops})
		river.AddWorker(workers, &startDropWorker{drops: o.Drops})
		river.AddWorker(workers, &offerDropWorker{drops: o.Drops})
	}
	if o.Pickup != nil || o.Drops != nil || o.Restock || o.Payments != nil {
		// Pickup, drops, back in stock and payments tell users things through notices.
		if o.Render == nil || o.Deliver == nil {
			return nil, errors.New("jobs: Pickup, Drops, Restock and Payments need Render and Deliver")
		}
		river.AddWorker(workers, &noticeWorker{render: o.Render, deliver: o.Deliver, route: o.Route})
	}
	if o.Pickup != nil {
		river.AddWorker(workers, &releaseMissedWorker{pickup: o.Pickup})
	}
	if o.Desk != nil {
		if o.Render == nil || o.Deliver == nil {
			return nil, errors.New("jobs: Desk needs Render and Deliver")
		}
		river.AddWorker(workers, &SellerNoticeWorker{Desk: o.Desk, Render: o.Render, Deliver: o.Deliver, Log: o.Log})
	}
	var fanout *Fanout
	if o.Broadcast != nil {
		fanout = NewFanout(*o.Broadcast)
		river.AddWorker(workers, &broadcastWorker{f: fanout})
	}
	every := o.SafetyNetInterval
	if every <= 0 {
		every = time.Minute
	}
	periodic := []*river.PeriodicJob{river.NewPeriodicJob(river.PeriodicInterval(every),
		func() (river.JobArgs, *river.InsertOpts) { return SafetyNetArgs{}, nil },
		&river.PeriodicJobOpts{RunOnStart: true})}
	periodic = append(periodic, addPaymentWorkers(workers, o, cmp.Or(o.ReconcileInterval, time.Minute))...)
	if o.Retention != nil {
		river.AddWorker(workers, &retentionWorker{retention: o.Retention, log: o.Log})
		periodic = append(periodic, river.NewPeriodicJob(river.PeriodicInterval(cmp.Or(o.RetentionInterval, time.Hour)),
			func() (river.JobArgs, *river.InsertOpts) { return RetentionArgs{}, nil },
			&river.PeriodicJobOpts{RunOnStart: true}))
	}
	client, err := river.NewClient(driver, &river.Config{
		Logger:            o.Log,
		Queues:            map[string]river.QueueConfig{river.QueueDefault: {MaxWorkers: cmp.Or(o.Workers, 10)}},
		Workers:           workers,
		FetchPollInterval: o.PollInterval,
		FetchCooldown:     min(o.PollInterval, 100*time.Millisecond),
		PeriodicJobs:      periodic,
	})
	if err != nil {
		return nil, fmt.Errorf("jobs: client: %w", err)
	}
	q := &Queue{client: client, driver: driver, pickup: o.Pickup, admins: o.Admins, drops: o.Drops != nil, fanout: fanout,
		desk: o.Desk != nil, restock: o.Restock, payments: o.Payments != nil}
	if o.Broadcast != nil {
		q.bstore = o.Broadcast.Store
	}
	return q, nil
}

// OnEvent turns domain events into durable jobs inside the transaction that
// caused them (the store's event hook).
func (q *Queue) OnEvent(ctx context.Context, tx *sql.Tx, e commerce.Event) error {
	if o, ok := commerce.IsNewOrder(e); ok && q.desk {
		if params := q.sellerNoticeJobs(o); len(params) > 0 {
			if _, err := q.client.InsertManyTx(ctx, tx, params); err != nil {
				return err
			}
		}
	}
	switch e := e.(type) {
	case commerce.OrderPlaced:
		_, err := q.client.InsertTx(ctx, tx, ExpireReservationArgs{OrderID: e.Order.ID}, &river.InsertOpts{ScheduledAt: e.Order.ExpiresAt})
		return err
	case commerce.OrderNoteAdded:
		// The buyer reads the seller's note in the chat they ordered from.
		n := notice(bot.NoticeOrderNote, e.Order)
		n.NoteID = e.Note.ID
		_, err := q.client.InsertTx(ctx, tx, NoticeArgs{Notice: n}, nil)
		return err
	case commerce.SellerCancelledOrder:
		// The buyer hears of it in the chat they ordered from.
		_, err := q.client.InsertTx(ctx, tx, NoticeArgs{Notice: notice(bot.NoticeOrderCancelled, e.Order)}, nil)
		return err
	case commerce.BroadcastStarted:
		if q.fanout == nil {
			return errors.New("jobs: a broadcast started but broadcasts are not enabled")
		}
		_, err := q.client.InsertTx(ctx, tx, BroadcastArgs{BroadcastID: e.Broadcast.ID}, nil)
		return err
	case commerce.DropReservationsMade:
		if len(e.Reservations) == 0 {
			return nil
		}
		params := make([]river.InsertManyParams, len(e.Reservations))
		for i, r := range e.Reservations {
			params[i] = river.InsertManyParams{Args: ExpireDropArgs{ReservationID: r.ID},
				InsertOpts: &river.InsertOpts{ScheduledAt: r.ExpiresAt}}
		}
		_, err := q.client.InsertManyTx(ctx, tx, params)
		return err
	}
	if ok, err := q.insertPaymentJobs(ctx, tx, e); ok || err != nil {
		return err
	}
	if ok, err := q.insertQuestionJobs(ctx, tx, e); ok || err != nil {
		return err
	}
	if e, ok := e.(commerce.ProductRestocked); ok {
		return q.insertRestockJobs(ctx, tx, e)
	}
	if ok, err := q.insertDropJobs(ctx, tx, e); ok || err != nil {
		return err
	}
	_, err := q.insertPickupJobs(ctx, tx, e)
	return err
}

// Start begins working jobs, and resumes running broadcasts.
func (q *Queue) Start(ctx context.Context) error {
	if err := q.client.Start(ctx); err != nil {
		return err
	}
	if q.fanout != nil {
		return q.resumeBroadcasts(ctx, q.bstore)
	}
	return nil
}

// Stop finishes jobs in progress (until ctx ends) and stops. Broadcasts
// finish their in-flight sends and are resumed at the next start.
func (q *Queue) Stop(ctx context.Context) error {
	if q.fanout != nil {
		q.fanout.Stop()
	}
	return q.client.Stop(ctx)
}

// ExpireDropArgs returns a drop reservation's units when it was not turned
// into an order in time.
type ExpireDropArgs struct {
	ReservationID int64 `json:"reservation_id"`
}

// Kind implements river.JobArgs.
func (ExpireDropArgs) Kind() string { return "expire_drop_reservation" }

type expireDropWorker struct {
	river.WorkerDefaults[ExpireDropArgs]
	drops *commerce.DropService
}

func (w *expireDropWorker) Work(ctx context.Context, j *river.Job[ExpireDropArgs]) error {
	_, err := w.drops.Expire(ctx, j.Args.ReservationID)
	if errors.Is(err, commerce.ErrNotFound) {
		return river.JobCancel(err)
	}
	return err
}
