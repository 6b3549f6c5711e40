package jobs

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"shopbot/bot"
	"shopbot/commerce"
)

// Deliverer sends rendered replies to a chat on its platform.
type Deliverer interface {
	// Deliver sends replies to chatID on channel ("tg", "wx", "web"). It
	// returns ErrUnreachable when the user blocked the bot or cannot be
	// messaged, which is not retried.
	Deliver(ctx context.Context, channel, chatID string, replies []bot.Reply) error
}

// ErrUnreachable: the recipient cannot be messaged (blocked the bot, left).
var ErrUnreachable = errors.New("recipient unreachable")

// NoticeArgs delivers one bot.Notice.
type NoticeArgs struct {
	Notice bot.Notice `json:"notice"`
}

// Kind implements river.JobArgs.
func (NoticeArgs) Kind() string { return "notice" }

// InsertOpts: notices are retried a few times, not River's default 25.
func (NoticeArgs) InsertOpts() river.InsertOpts { return river.InsertOpts{MaxAttempts: 6} }

type noticeWorker struct {
	river.WorkerDefaults[NoticeArgs]
	render  func(ctx context.Context, n bot.Notice) ([]bot.Reply, error)
	deliver Deliverer
	route   func(ctx context.Context, n bot.Notice) (bot.Notice, error) // nil: the notice's own chat
}

func (w *noticeWorker) Work(ctx context.Context, j *river.Job[NoticeArgs]) error {
	n := j.Args.Notice
	replies, err := w.render(ctx, n)
	if err != nil {
		return fmt.Errorf("render %s notice: %w", n.Kind, err)
	}
	if len(replies) == 0 {
		return nil // nothing to say any more (booking changed, order gone)
	}
	to := n
	if w.route != nil {
		if to, err = w.route(ctx, n); err != nil {
			return fmt.Errorf("route %s notice: %w", n.Kind, err)
		}
	}
	err = w.deliver.Deliver(ctx, to.Channel, to.ChatID, replies)
	if errors.Is(err, ErrUnreachable) && (to.Channel != n.Channel || to.ChatID != n.ChatID) {
		// The person's chosen chat cannot be reached: the notice's own then.
		err = w.deliver.Deliver(ctx, n.Channel, n.ChatID, replies)
	}
	if errors.Is(err, ErrUnreachable) {
		return river.JobCancel(err)
	}
	return err
}

// ReleaseMissedArgs releases a booking whose slot ended without a pickup.
type ReleaseMissedArgs struct {
	BookingID int64 `json:"booking_id"`
}

// Kind implements river.JobArgs.
func (ReleaseMissedArgs) Kind() string { return "release_missed_booking" }

type releaseMissedWorker struct {
	river.WorkerDefaults[ReleaseMissedArgs]
	pickup *commerce.Pickup
}

func (w *releaseMissedWorker) Work(ctx context.Context, j *river.Job[ReleaseMissedArgs]) error {
	_, err := w.pickup.ReleaseMissed(ctx, j.Args.BookingID)
	if errors.Is(err, commerce.ErrNotFound) {
		return river.JobCancel(err)
	}
	return err
}

// notice builds the Notice addressed to an order's buyer.
func notice(kind string, o commerce.Order) bot.Notice {
	return bot.Notice{Kind: kind, Channel: o.Buyer.Channel, ChatID: o.ChatID, UserID: o.Buyer.UserID, Lang: o.Lang, OrderID: o.ID}
}

// adminNotices addresses a notice to every seller identity ("tg:123").
func (q *Queue) adminNotices(kind string, o commerce.Order) []bot.Notice {
	var out []bot.Notice
	for _, id := range q.admins {
		channel, user, ok := strings.Cut(id, ":")
		if !ok || user == "" {
			continue
		}
		out = append(out, bot.Notice{Kind: kind, Channel: channel, ChatID: user, UserID: user, OrderID: o.ID})
	}
	return out
}

// pickupJobs turns pickup events into jobs; ok is false for other events.
func (q *Queue) pickupJobs(e commerce.Event) (jobs []river.InsertManyParams, ok bool, err error) {
	now := func() time.Time { return q.pickup.Now() }
	add := func(n bot.Notice, at time.Time) {
		jobs = append(jobs, river.InsertManyParams{Args: NoticeArgs{Notice: n}, InsertOpts: &river.InsertOpts{ScheduledAt: at}})
	}
	switch e := e.(type) {
	case commerce.OrderArrived:
		add(notice(bot.NoticeArrived, e.Order), time.Time{})
	case commerce.SlotBooked:
		// The buyer booked in the chat and was answered there: no "booked"
		// notice, only the reminders and the missed-slot release.
		loc, lerr := time.LoadLocation(e.TimeZone)
		if lerr != nil {
			return nil, true, fmt.Errorf("slot booked at unknown zone %q: %w", e.TimeZone, lerr)
		}
		for _, r := range commerce.Reminders(e.Booking.Start, loc, now()) {
			kind := bot.NoticeReminderHour
			if r.Kind == commerce.ReminderDayBefore {
				kind = bot.NoticeReminderDay
			}
			rn := notice(kind, e.Order)
			rn.BookingID = e.Booking.ID
			add(rn, r.At)
		}
		jobs = append(jobs, river.InsertManyParams{Args: ReleaseMissedArgs{BookingID: e.Booking.ID},
			InsertOpts: &river.InsertOpts{ScheduledAt: e.Booking.End.Add(q.pickup.Grace())}})
	case commerce.BookingMissed:
		n := notice(bot.NoticeMissed, e.Order)
		n.BookingID = e.Booking.ID
		add(n, time.Time{})
	case commerce.OrderCollected:
		add(notice(bot.NoticeCollected, e.Order), time.Time{})
	case commerce.PickupCodeReissued:
		add(notice(bot.NoticeCodeReissued, e.Order), time.Time{})
	case commerce.ReturnChanged:
		// The buyer's own steps are answered in the chat; staff decisions
		// reach the buyer as a notice.
		if e.Return.Status == commerce.ReturnAccepted || e.Return.Status == commerce.ReturnRejected {
			n := notice(bot.NoticeReturn, e.Order)
			n.ReturnID = e.Return.ID
			add(n, time.Time{})
		}
	case commerce.HoldExpired:
		for _, n := range q.adminNotices(bot.NoticeHoldExpired, e.Order) {
			add(n, time.Time{})
		}
	case commerce.StaffCodeFlood:
		for _, n := range q.adminNotices(bot.NoticeStaffFlood, commerce.Order{}) {
			n.PointID = e.PointID
			add(n, time.Time{})
		}
	default:
		return nil, false, nil
	}
	return jobs, true, nil
}

func (q *Queue) insertPickupJobs(ctx context.Context, tx *sql.Tx, e commerce.Event) (bool, error) {
	if q.pickup == nil {
		return false, nil
	}
	jobs, ok, err := q.pickupJobs(e)
	if !ok || err != nil || len(jobs) == 0 {
		return ok, err
	}
	_, err = q.client.InsertManyTx(ctx, tx, jobs)
	return true, err
}

// PendingNotice is a notice waiting for its time (or for a worker).
type PendingNotice struct {
	JobID  int64
	At     time.Time
	Notice bot.Notice
}

// PendingJob is a job waiting for its time (or for a worker).
type PendingJob struct {
	ID   int64
	At   time.Time
	Args []byte // the job's JSON arguments
}

// Pending lists jobs of a kind not run yet, soonest first.
func (q *Queue) Pending(ctx context.Context, kind string) ([]PendingJob, error) {
	res, err := q.client.JobList(ctx, river.NewJobListParams().Kinds(kind).
		States(rivertype.JobStateScheduled, rivertype.JobStateAvailable, rivertype.JobStateRetryable).First(1000))
	if err != nil {
		return nil, fmt.Errorf("pending %s jobs: %w", kind, err)
	}
	out := make([]PendingJob, 0, len(res.Jobs))
	for _, j := range res.Jobs {
		out = append(out, PendingJob{ID: j.ID, At: j.ScheduledAt, Args: j.EncodedArgs})
	}
	slices.SortFunc(out, func(a, b PendingJob) int { return a.At.Compare(b.At) })
	return out, nil
}

// PendingNotices lists notices not delivered yet, soonest first: what
// reminders a buyer will get, for operators and tests.
func (q *Queue) PendingNotices(ctx context.Context) ([]PendingNotice, error) {
	jobs, err := q.Pending(ctx, NoticeArgs{}.Kind())
	if err != nil {
		return nil, err
	}
	out := make([]PendingNotice, 0, len(jobs))
	for _, j := range jobs {
		var args NoticeArgs
		if err := json.Unmarshal(j.Args, &args); err != nil {
			return nil, fmt.Errorf("pending notice %d: %w", j.ID, err)
		}
		out = append(out, PendingNotice{JobID: j.ID, At: j.At, Notice: args.Notice})
	}
	return out, nil
}

// JobState returns a job's state: "scheduled", "available", "running",
// "completed", "cancelled", "retryable" or "discarded".
func (q *Queue) JobState(ctx context.Context, jobID int64) (string, error) {
	j, err := q.client.JobGet(ctx, jobID)
	if err != nil {
		return "", fmt.Errorf("job %d: %w", jobID, err)
	}
	return string(j.State), nil
}

// RunNow makes a scheduled job due at once (an operator resending a
// reminder; tests standing in for the clock).
func (q *Queue) RunNow(ctx context.Context, jobID int64) error {
	_, err := q.client.JobRetry(ctx, jobID)
	return err
}
