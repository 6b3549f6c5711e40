package jobs

import (
	"context"
	"database/sql"
	"errors"
	"log/slog"
	"time"

	"github.com/riverqueue/river"

	"shopbot/bot"
	"shopbot/commerce"
)

// Online payment's jobs (issue 14): the end of an order's payment time,
// refunds sent to WeChat Pay, the notices of payments and refunds, and a
// periodic reconciliation. Each is inserted in the transaction of the
// event that causes it.

// ExpirePaymentArgs ends an order's payment time (Payments.Expire: each
// open WeChat Pay transaction closed at the provider first, then the
// stock released); scheduled at the order's ExpiresAt.
type ExpirePaymentArgs struct {
	OrderID int64 `json:"order_id"`
}

// Kind implements river.JobArgs.
func (ExpirePaymentArgs) Kind() string { return "expire_payment" }

type expirePaymentWorker struct {
	river.WorkerDefaults[ExpirePaymentArgs]
	pay *commerce.Payments
	now func() time.Time
}

// Work expires the order when due. Not due yet (another replica's clock,
// or the payment time moved): snoozed until it is. WeChat Pay unreachable
// (ErrProvider): an error, so River tries again with its backoff — the
// stock stays held until the close at the provider succeeded.
func (w *expirePaymentWorker) Work(ctx context.Context, j *river.Job[ExpirePaymentArgs]) error {
	done, err := w.pay.Expire(ctx, j.Args.OrderID)
	if errors.Is(err, commerce.ErrNotFound) {
		return river.JobCancel(err)
	}
	if err != nil || done {
		return err
	}
	o, err := w.pay.Order(ctx, j.Args.OrderID)
	if err != nil {
		return err
	}
	if o.Status == commerce.StatusAwaitingPayment {
		return river.JobSnooze(max(o.ExpiresAt.Sub(w.now()), time.Second))
	}
	return nil // paid, or cancelled another way
}

// SendRefundArgs sends a requested WeChat Pay refund (Payments.SendRefund);
// retried until WeChat Pay accepts it. The reconciliation sends those a
// job gave up on.
type SendRefundArgs struct {
	OutRefundNo string `json:"out_refund_no"`
}

// Kind implements river.JobArgs.
func (SendRefundArgs) Kind() string { return "send_refund" }

// InsertOpts: a day of River's backoff; the reconciliation takes over after.
func (SendRefundArgs) InsertOpts() river.InsertOpts { return river.InsertOpts{MaxAttempts: 12} }

type sendRefundWorker struct {
	river.WorkerDefaults[SendRefundArgs]
	pay *commerce.Payments
}

func (w *sendRefundWorker) Work(ctx context.Context, j *river.Job[SendRefundArgs]) error {
	_, err := w.pay.SendRefund(ctx, j.Args.OutRefundNo)
	if errors.Is(err, commerce.ErrNotFound) || errors.Is(err, commerce.ErrInvalid) {
		return river.JobCancel(err)
	}
	return err
}

// ReconcilePaymentsArgs runs the payments' safety net: Payments.Reconcile
// (open attempts queried, refunds sent or queried) and Payments.ExpireDue.
type ReconcilePaymentsArgs struct{}

// Kind implements river.JobArgs.
func (ReconcilePaymentsArgs) Kind() string { return "reconcile_payments" }

type reconcileWorker struct {
	river.WorkerDefaults[ReconcilePaymentsArgs]
	pay *commerce.Payments
	log *slog.Logger
}

func (w *reconcileWorker) Work(ctx context.Context, _ *river.Job[ReconcilePaymentsArgs]) error {
	changed, rerr := w.pay.Reconcile(ctx)
	if changed > 0 {
		w.log.InfoContext(ctx, "payments reconciled", "changed", changed)
	}
	if rerr != nil {
		w.log.WarnContext(ctx, "payments reconciliation incomplete", "err", rerr)
	}
	expired, eerr := w.pay.ExpireDue(ctx)
	if expired > 0 {
		w.log.InfoContext(ctx, "expired orders past their payment time", "count", expired)
	}
	// The next run in a minute tries again; River's retries would only
	// pile up behind it.
	if eerr != nil {
		w.log.WarnContext(ctx, "payment expiry incomplete", "err", eerr)
	}
	return nil
}

// addPaymentWorkers registers the payment workers and the minute's
// reconciliation.
func addPaymentWorkers(workers *river.Workers, o Options, every time.Duration) []*river.PeriodicJob {
	if o.Payments == nil {
		return nil
	}
	now := time.Now
	if o.Shop != nil {
		now = o.Shop.Now
	}
	river.AddWorker(workers, &expirePaymentWorker{pay: o.Payments, now: now})
	river.AddWorker(workers, &sendRefundWorker{pay: o.Payments})
	river.AddWorker(workers, &reconcileWorker{pay: o.Payments, log: o.Log})
	return []*river.PeriodicJob{river.NewPeriodicJob(river.PeriodicInterval(every),
		func() (river.JobArgs, *river.InsertOpts) { return ReconcilePaymentsArgs{}, nil },
		&river.PeriodicJobOpts{RunOnStart: true})}
}

// paymentJobs turns payment events into jobs; ok is false for other events.
func (q *Queue) paymentJobs(e commerce.Event) (jobs []river.InsertManyParams, ok bool) {
	add := func(args river.JobArgs, at time.Time) {
		var opts *river.InsertOpts
		if !at.IsZero() {
			opts = &river.InsertOpts{ScheduledAt: at}
		}
		jobs = append(jobs, river.InsertManyParams{Args: args, InsertOpts: opts})
	}
	alert := func(o commerce.Order, attemptID, refundID int64) {
		for _, n := range q.adminNotices(bot.NoticePaymentAlert, o) {
			n.AttemptID, n.RefundID = attemptID, refundID
			add(NoticeArgs{Notice: n}, time.Time{})
		}
	}
	buyer := func(kind string, o commerce.Order, attemptID, refundID int64) {
		n := notice(kind, o)
		n.AttemptID, n.RefundID = attemptID, refundID
		add(NoticeArgs{Notice: n}, time.Time{})
	}
	switch e := e.(type) {
	case commerce.PaymentStarted:
		add(ExpirePaymentArgs{OrderID: e.Order.ID}, e.Order.ExpiresAt)
	case commerce.OrderPaid:
		buyer(bot.NoticePaid, e.Order, e.Attempt.ID, 0)
	case commerce.PaymentMismatched:
		alert(e.Order, e.Attempt.ID, 0)
	case commerce.RefundCreated:
		r := e.Refund
		switch r.State {
		case commerce.RefundRequested:
			add(SendRefundArgs{OutRefundNo: r.OutRefundNo}, time.Time{})
		case commerce.RefundManual:
			alert(e.Order, r.AttemptID, r.ID) // the seller refunds at the provider or the counter
		}
		if e.Late && r.Method == commerce.PayWeChat {
			buyer(bot.NoticeRefund, e.Order, r.AttemptID, r.ID) // paid after the close: it comes back
		}
	case commerce.RefundSettled:
		if e.Refund.State == commerce.RefundSucceeded {
			buyer(bot.NoticeRefund, e.Order, e.Refund.AttemptID, e.Refund.ID)
		} else {
			alert(e.Order, e.Refund.AttemptID, e.Refund.ID)
		}
	default:
		return nil, false
	}
	return jobs, true
}

// insertPaymentJobs inserts paymentJobs in the event's transaction.
func (q *Queue) insertPaymentJobs(ctx context.Context, tx *sql.Tx, e commerce.Event) (bool, error) {
	if !q.payments {
		return false, nil
	}
	jobs, ok := q.paymentJobs(e)
	if !ok || len(jobs) == 0 {
		return ok, nil
	}
	_, err := q.client.InsertManyTx(ctx, tx, jobs)
	return true, err
}
