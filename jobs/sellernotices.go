package jobs

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"

	"github.com/riverqueue/river"

	"shopbot/bot"
	"shopbot/commerce"
)

// SellerOrderNoticeArgs tells one seller ("tg:123") of a new order. One
// job per seller and order is inserted in the transaction that made the
// order new (commerce.IsNewOrder); the desk batches them (at most one
// message a minute per seller, see commerce.OrderDesk.NewOrderNotice).
type SellerOrderNoticeArgs struct {
	Seller  string `json:"seller"`
	OrderID int64  `json:"order_id"`
}

// Kind implements river.JobArgs.
func (SellerOrderNoticeArgs) Kind() string { return "seller_order_notice" }

// InsertOpts: retried a few times, like the other notices.
func (SellerOrderNoticeArgs) InsertOpts() river.InsertOpts { return river.InsertOpts{MaxAttempts: 6} }

// SellerNoticeWorker delivers new-order notices; exported so tests can
// run a job's step without a running queue.
type SellerNoticeWorker struct {
	river.WorkerDefaults[SellerOrderNoticeArgs]
	Desk    *commerce.OrderDesk
	Render  func(ctx context.Context, n bot.Notice) ([]bot.Reply, error)
	Deliver Deliverer
	Log     *slog.Logger
}

// Work asks the desk what to send: nothing (another job tells of the
// order, or it was told), wait for the end of the seller's minute
// (snoozed: a snooze is no attempt), or the orders the job claimed, which
// it renders, delivers and marks sent. A retried job resends only what it
// claimed and did not mark sent.
func (w *SellerNoticeWorker) Work(ctx context.Context, j *river.Job[SellerOrderNoticeArgs]) error {
	a := j.Args
	step, err := w.Desk.NewOrderNotice(ctx, a.Seller, a.OrderID, j.ID)
	if errors.Is(err, commerce.ErrInvalid) {
		return river.JobCancel(err)
	}
	if err != nil {
		return err
	}
	if !step.WaitUntil.IsZero() {
		return river.JobSnooze(max(step.WaitUntil.Sub(w.Desk.Now()), 0))
	}
	if len(step.Send) == 0 {
		return nil
	}
	channel, user, ok := strings.Cut(a.Seller, ":")
	if !ok || user == "" {
		return river.JobCancel(fmt.Errorf("seller %q is no identity: %w", a.Seller, commerce.ErrInvalid))
	}
	n := bot.Notice{Kind: bot.NoticeNewOrders, Channel: channel, ChatID: user, UserID: user, Orders: bot.OrderList(step.Send)}
	replies, err := w.Render(ctx, n)
	if err != nil {
		return fmt.Errorf("render new-order notice: %w", err)
	}
	if len(replies) > 0 {
		err = w.Deliver.Deliver(ctx, channel, user, replies)
	}
	if err != nil && !errors.Is(err, ErrUnreachable) {
		return err
	}
	if serr := w.Desk.NoticeSent(ctx, a.Seller, j.ID); serr != nil {
		return serr
	}
	if err != nil {
		return river.JobCancel(err) // the seller blocked the bot: nothing to retry
	}
	return nil
}

// sellerNoticeJobs are the jobs telling every seller of a new order.
func (q *Queue) sellerNoticeJobs(o commerce.Order) []river.InsertManyParams {
	var out []river.InsertManyParams
	for _, id := range q.admins {
		if channel, user, ok := strings.Cut(id, ":"); !ok || channel == "" || user == "" {
			continue
		}
		out = append(out, river.InsertManyParams{Args: SellerOrderNoticeArgs{Seller: id, OrderID: o.ID}})
	}
	return out
}
