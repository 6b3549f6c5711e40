package jobs

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"time"

	"github.com/riverqueue/river"

	"shopbot/bot"
	"shopbot/commerce"
)

// StartDropArgs tells a drop's subscribers it started; scheduled at its
// start in the drop's own transaction.
type StartDropArgs struct {
	DropID int64 `json:"drop_id"`
}

// Kind implements river.JobArgs.
func (StartDropArgs) Kind() string { return "start_drop" }

type startDropWorker struct {
	river.WorkerDefaults[StartDropArgs]
	drops *commerce.DropService
}

func (w *startDropWorker) Work(ctx context.Context, j *river.Job[StartDropArgs]) error {
	_, err := w.drops.Start(ctx, j.Args.DropID)
	switch {
	case errors.Is(err, commerce.ErrNotFound), errors.Is(err, commerce.ErrDropCancelled):
		return river.JobCancel(err)
	case errors.Is(err, commerce.ErrDropNotStarted):
		// The start moved later (an edit), or this replica's clock is
		// behind the one that scheduled the job: wait for the start read
		// now. A start moved earlier has a job of its own (DropRescheduled);
		// of two jobs that both run, the second notifies no one.
		d, derr := w.drops.Get(ctx, j.Args.DropID)
		if derr != nil {
			return derr
		}
		return river.JobSnooze(max(d.StartsAt.Sub(w.drops.Now()), time.Second))
	}
	return err
}

// OfferDropArgs offers units that came back to a drop to its waitlist
// (and gives them back to the gate when the gate was not told yet).
type OfferDropArgs struct {
	DropID int64  `json:"drop_id"`
	Buyer  string `json:"buyer,omitempty"` // "tg:123", whose units came back
	Qty    int    `json:"qty,omitempty"`
	Gate   bool   `json:"gate,omitempty"`
}

// Kind implements river.JobArgs.
func (OfferDropArgs) Kind() string { return "offer_drop_waitlist" }

type offerDropWorker struct {
	river.WorkerDefaults[OfferDropArgs]
	drops *commerce.DropService
}

func (w *offerDropWorker) Work(ctx context.Context, j *river.Job[OfferDropArgs]) error {
	a := j.Args
	ch, user, _ := strings.Cut(a.Buyer, ":")
	_, err := w.drops.UnitsFreed(ctx, commerce.DropUnitsFreed{DropID: a.DropID,
		Buyer: commerce.Buyer{Channel: ch, UserID: user}, Qty: a.Qty, Gate: a.Gate})
	if errors.Is(err, commerce.ErrNotFound) {
		return river.JobCancel(err)
	}
	return err
}

// dropNotice addresses a drop notice to a follower.
func dropNotice(kind string, dropID int64, f commerce.DropFollower) bot.Notice {
	return bot.Notice{Kind: kind, Channel: f.Buyer.Channel, ChatID: f.ChatID, UserID: f.Buyer.UserID, Lang: f.Lang, DropID: dropID}
}

// insertDropJobs turns drop events into jobs in the event's transaction;
// ok is false for other events.
func (q *Queue) insertDropJobs(ctx context.Context, tx *sql.Tx, e commerce.Event) (bool, error) {
	if !q.drops {
		return false, nil
	}
	var jobs []river.InsertManyParams
	switch e := e.(type) {
	case commerce.DropCreated:
		jobs = append(jobs, river.InsertManyParams{Args: StartDropArgs{DropID: e.Drop.ID},
			InsertOpts: &river.InsertOpts{ScheduledAt: e.Drop.StartsAt}})
	case commerce.DropRescheduled:
		jobs = append(jobs, river.InsertManyParams{Args: StartDropArgs{DropID: e.Drop.ID},
			InsertOpts: &river.InsertOpts{ScheduledAt: e.Drop.StartsAt}})
	case commerce.DropStarted:
		// One notice job per subscriber: each platform's sender keeps its rate.
		for _, f := range e.Subscribers {
			jobs = append(jobs, river.InsertManyParams{Args: NoticeArgs{Notice: dropNotice(bot.NoticeDropStarted, e.Drop.ID, f)}})
		}
	case commerce.DropUnitsFreed:
		jobs = append(jobs, river.InsertManyParams{Args: OfferDropArgs{DropID: e.DropID, Buyer: e.Buyer.Key(), Qty: e.Qty, Gate: e.Gate}})
	case commerce.DropOfferMade:
		n := dropNotice(bot.NoticeDropOffer, e.Waiter.DropID, e.Waiter.DropFollower)
		n.ReservationID = e.Reservation.ID
		jobs = append(jobs, river.InsertManyParams{Args: NoticeArgs{Notice: n}})
	default:
		return false, nil
	}
	if len(jobs) == 0 {
		return true, nil
	}
	_, err := q.client.InsertManyTx(ctx, tx, jobs)
	return true, err
}
