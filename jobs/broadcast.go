package jobs

import (
	"cmp"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/riverqueue/river"

	"shopbot/commerce"
)

// Broadcasts fan out as one River job per broadcast. The job leases the
// broadcast (so one worker sends at a time, across replicas), then per
// channel claims batches of recipients (pending → sending), sends them
// through that platform's sender at its rate from a few goroutines, and
// records outcomes in batches. A recipient stays "sending" until its outcome
// is recorded, so a worker that dies leaves exactly its in-flight sends to
// be sent again by the next one: it takes the expired lease, puts "sending"
// back to pending and carries on. Jobs for running broadcasts are enqueued
// again at every start (the killed process's own job would only be rescued
// by River an hour later).

// BroadcastArgs fans out one broadcast.
type BroadcastArgs struct {
	BroadcastID int64 `json:"broadcast_id"`
}

// Kind implements river.JobArgs.
func (BroadcastArgs) Kind() string { return "broadcast" }

// InsertOpts: a broadcast keeps trying (database hiccups) rather than
// being discarded after River's default attempts.
func (BroadcastArgs) InsertOpts() river.InsertOpts { return river.InsertOpts{MaxAttempts: 100} }

// ErrSkipped is returned (wrapped, see Skip) by a broadcast Send that must
// not message this recipient now, e.g. outside WeChat's customer-service
// window; the recipient is recorded as skipped.
var ErrSkipped = errors.New("recipient skipped")

type skipError struct{ reason string }

func (e skipError) Error() string   { return "recipient skipped: " + e.reason }
func (e skipError) Is(t error) bool { return t == ErrSkipped }

// Skip is ErrSkipped with a short reason code for the seller
// ("outside_window").
func Skip(reason string) error { return skipError{reason} }

// Lane is how one channel's recipients are sent.
type Lane struct {
	// Concurrency is how many sends are in flight at once; default 8.
	Concurrency int
	// Rate paces sends to at most Rate per second; 0 when Send paces
	// itself (Telegram's Sender does).
	Rate float64
	// Batch is how many recipients are claimed at once; default
	// 4 × Concurrency.
	Batch int
}

// BroadcastOptions enable broadcasts.
type BroadcastOptions struct {
	Store commerce.BroadcastStore
	// Send delivers b to one recipient. nil = sent; an error wrapping
	// ErrUnreachable = blocked; ErrSkipped (see Skip) = skipped; anything
	// else = failed (after the platform sender's own retries).
	Send func(ctx context.Context, b commerce.Broadcast, r commerce.BroadcastRecipient) error
	// Progress shows the seller where a broadcast stands: when it starts,
	// at most every ProgressEvery while counts change, and once with
	// final=true when it is done. Optional.
	Progress func(ctx context.Context, b commerce.Broadcast, final bool)
	// Lanes configures each channel ("tg", "wx", "web"); a channel without
	// one gets the defaults.
	Lanes map[string]Lane
	// Lease is how long a worker holds a broadcast without renewing it: the
	// time until another process resumes a broadcast whose worker died.
	// Default 30 s.
	Lease time.Duration
	// ProgressEvery bounds the progress updates; default 3 s.
	ProgressEvery time.Duration
	// FlushEvery bounds how long an outcome waits to be recorded; default
	// 200 ms (or 200 outcomes).
	FlushEvery time.Duration
	Clock      func() time.Time
	Log        *slog.Logger
}

func (o BroadcastOptions) withDefaults() BroadcastOptions {
	if o.Lease <= 0 {
		o.Lease = 30 * time.Second
	}
	if o.ProgressEvery <= 0 {
		o.ProgressEvery = 3 * time.Second
	}
	if o.FlushEvery <= 0 {
		o.FlushEvery = 200 * time.Millisecond
	}
	if o.Clock == nil {
		o.Clock = time.Now
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	if o.Progress == nil {
		o.Progress = func(context.Context, commerce.Broadcast, bool) {}
	}
	return o
}

func (l Lane) withDefaults() Lane {
	l.Concurrency = cmp.Or(max(l.Concurrency, 0), 8)
	l.Batch = cmp.Or(max(l.Batch, 0), 4*l.Concurrency)
	return l
}

type broadcastWorker struct {
	river.WorkerDefaults[BroadcastArgs]
	f *Fanout
}

// Timeout: a broadcast to a large audience runs for an hour at Telegram's
// rate; the lease, not River's timeout, bounds a stuck worker.
func (w *broadcastWorker) Timeout(*river.Job[BroadcastArgs]) time.Duration { return -1 }

func (w *broadcastWorker) Work(ctx context.Context, j *river.Job[BroadcastArgs]) error {
	err := w.f.Run(ctx, j.Args.BroadcastID)
	switch {
	case errors.Is(err, errBusy):
		return river.JobSnooze(w.f.o.Lease / 2)
	case errors.Is(err, errStopping):
		return river.JobSnooze(0) // picked up again at the next start
	case errors.Is(err, commerce.ErrNotFound):
		return river.JobCancel(err)
	}
	return err
}

var (
	errBusy     = errors.New("broadcast leased by another worker")
	errStopping = errors.New("shutting down")
)

// Fanout sends broadcasts; the River job runs it. Stop makes running
// fan-outs finish their in-flight sends, record them and give their lease
// up.
type Fanout struct {
	o        BroadcastOptions
	stopping chan struct{}
	stopOnce sync.Once

	mu   sync.Mutex
	runs map[*int]context.CancelCauseFunc // each running fan-out's stopClaiming
}

// NewFanout builds the fan-out of broadcasts.
func NewFanout(o BroadcastOptions) *Fanout {
	return &Fanout{o: o.withDefaults(), stopping: make(chan struct{}), runs: map[*int]context.CancelCauseFunc{}}
}

// Stop asks running fan-outs to wind down (graceful shutdown): when it
// returns, none claims another recipient; sends already claimed finish and
// are recorded.
func (f *Fanout) Stop() {
	f.stopOnce.Do(func() { close(f.stopping) })
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, stop := range f.runs {
		stop(errStopping)
	}
}

// running registers a fan-out's stopClaiming for Stop; the returned
// function unregisters it.
func (f *Fanout) running(stopClaiming context.CancelCauseFunc) (done func()) {
	key := new(int)
	f.mu.Lock()
	f.runs[key] = stopClaiming
	f.mu.Unlock()
	return func() {
		f.mu.Lock()
		delete(f.runs, key)
		f.mu.Unlock()
	}
}

func newOwner() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// Run fans broadcast id out until every recipient has an outcome, the
// broadcast is cancelled, the lease is lost or Stop is called. It returns
// nil when there is nothing (more) to do.
func (f *Fanout) Run(ctx context.Context, id int64) error {
	o := f.o
	b, err := o.Store.Broadcast(ctx, id)
	if err != nil {
		return err
	}
	if b.Status != commerce.BroadcastRunning {
		return nil
	}
	owner := newOwner()
	now := o.Clock()
	ok, err := o.Store.AcquireBroadcast(ctx, id, owner, now, now.Add(o.Lease))
	if err != nil {
		return err
	}
	if !ok {
		return errBusy
	}
	o.Log.InfoContext(ctx, "broadcast fan-out started", "broadcast", id, "total", b.Counts.Total, "pending", b.Counts.Pending())

	sendCtx, stopSending := context.WithCancelCause(ctx)
	defer stopSending(nil)
	// claimCtx ends when no more recipients should be claimed: shutdown,
	// cancellation by the seller, a lost lease. Sends already claimed finish
	// under sendCtx and are recorded.
	claimCtx, stopClaiming := context.WithCancelCause(sendCtx)
	defer stopClaiming(nil)
	defer f.running(stopClaiming)()
	var bg sync.WaitGroup
	defer bg.Wait()
	bgDone := make(chan struct{})
	defer close(bgDone)
	bg.Go(func() { f.keepLease(sendCtx, id, owner, bgDone, stopClaiming, stopSending) })
	bg.Go(func() { f.showProgress(sendCtx, b, bgDone, stopClaiming) })

	rec := newRecorder(o, id)
	recDone := make(chan error, 1)
	go func() { recDone <- rec.run(sendCtx) }()

	channels := b.Channels
	if len(channels) == 0 {
		channels = commerce.BroadcastChannels
	}
	var lanes sync.WaitGroup
	for _, ch := range channels {
		lanes.Go(func() { f.lane(claimCtx, sendCtx, stopClaiming, b, ch, rec) })
	}
	lanes.Wait()
	close(rec.in)
	recErr := <-recDone

	cause := context.Cause(claimCtx)
	bctx := context.WithoutCancel(ctx)
	switch {
	case errors.Is(cause, commerce.ErrLeaseLost):
		return nil // the new holder carries on
	case errors.Is(cause, errCancelled):
		if final, err := o.Store.Broadcast(bctx, id); err == nil {
			o.Progress(bctx, final, true)
		}
		return nil
	case recErr != nil || cause != nil || ctx.Err() != nil:
		// Give the lease up so that the retry (or the next start) need not
		// wait for it to expire; what was in flight is sent again.
		if err := o.Store.ReleaseBroadcast(bctx, id, owner); err != nil {
			o.Log.WarnContext(ctx, "broadcast lease not released", "broadcast", id, "err", err)
		}
		return cmp.Or(recErr, cause, ctx.Err())
	}
	done, err := o.Store.FinishBroadcast(ctx, id, o.Clock())
	if err != nil {
		return err
	}
	final, err := o.Store.Broadcast(ctx, id)
	if err != nil {
		return err
	}
	if !done && final.Status == commerce.BroadcastRunning {
		return fmt.Errorf("broadcast %d: recipients left after the fan-out", id)
	}
	o.Log.InfoContext(ctx, "broadcast fan-out ended", "broadcast", id, "status", final.Status,
		"sent", final.Counts.Sent, "failed", final.Counts.Failed, "blocked", final.Counts.Blocked,
		"opted_out", final.Counts.OptedOut, "skipped", final.Counts.Skipped)
	o.Progress(bctx, final, true)
	return nil
}

var (
	errClaim     = errors.New("claiming recipients failed")
	errCancelled = errors.New("broadcast cancelled")
)

// keepLease renews the lease every third of it; losing it stops the
// fan-out (another worker took over, or the broadcast was cancelled).
func (f *Fanout) keepLease(ctx context.Context, id int64, owner string, done <-chan struct{}, stopClaiming, stopSending context.CancelCauseFunc) {
	t := time.NewTicker(f.o.Lease / 3)
	defer t.Stop()
	stopping := f.stopping
	for {
		select {
		case <-done:
			return
		case <-ctx.Done():
			return
		case <-stopping:
			stopClaiming(errStopping)
			stopping = nil // keep renewing while in-flight sends finish
		case <-t.C:
			err := f.o.Store.RenewBroadcast(ctx, id, owner, f.o.Clock().Add(f.o.Lease))
			if errors.Is(err, commerce.ErrLeaseLost) {
				stopClaiming(commerce.ErrLeaseLost)
				stopSending(commerce.ErrLeaseLost)
				return
			}
			if err != nil {
				f.o.Log.WarnContext(ctx, "broadcast lease not renewed", "broadcast", id, "err", err)
			}
		}
	}
}

// showProgress reports the counts when the fan-out starts and then at
// most every ProgressEvery while they change. It also notices a
// cancellation by the seller.
func (f *Fanout) showProgress(ctx context.Context, b commerce.Broadcast, done <-chan struct{}, stopClaiming context.CancelCauseFunc) {
	f.o.Progress(ctx, b, false)
	last := b.Counts
	t := time.NewTicker(f.o.ProgressEvery)
	defer t.Stop()
	for {
		select {
		case <-done:
			return
		case <-ctx.Done():
			return
		case <-t.C:
		}
		cur, err := f.o.Store.Broadcast(ctx, b.ID)
		if err != nil {
			continue
		}
		if cur.Status != commerce.BroadcastRunning {
			stopClaiming(errCancelled)
			return
		}
		if cur.Counts != last {
			last = cur.Counts
			f.o.Progress(ctx, cur, false)
		}
	}
}

// lane sends one channel's recipients: a feeder claims batches ahead of
// the senders, so the platform's rate is used without gaps between batches.
func (f *Fanout) lane(claimCtx, sendCtx context.Context, stopClaiming context.CancelCauseFunc, b commerce.Broadcast, channel string, rec *recorder) {
	l := f.o.Lanes[channel].withDefaults()
	queue := make(chan commerce.BroadcastRecipient, l.Batch)
	go func() {
		defer close(queue)
		for claimCtx.Err() == nil {
			rs, err := f.o.Store.ClaimRecipients(sendCtx, b.ID, channel, l.Batch)
			if err != nil {
				f.o.Log.WarnContext(sendCtx, "broadcast claim failed", "broadcast", b.ID, "channel", channel, "err", err)
				stopClaiming(errClaim)
				return
			}
			if len(rs) == 0 {
				return
			}
			for _, r := range rs {
				// A recipient claimed but never handed to a sender stays
				// "sending" and is retried by the next holder of the lease.
				select {
				case queue <- r:
				case <-claimCtx.Done():
					return
				}
			}
		}
	}()
	var pace *pacer
	if l.Rate > 0 {
		pace = &pacer{every: time.Duration(float64(time.Second) / l.Rate)}
	}
	var wg sync.WaitGroup
	for range l.Concurrency {
		wg.Go(func() {
			for r := range queue {
				if claimCtx.Err() != nil {
					continue // left in flight for the next holder
				}
				if pace != nil && pace.wait(claimCtx) != nil {
					continue
				}
				err := f.o.Send(sendCtx, b, r)
				if err != nil && sendCtx.Err() != nil {
					continue // not known whether it went out: the next holder resends
				}
				rec.in <- outcomeOf(r.ID, err)
			}
		})
	}
	wg.Wait()
}

func outcomeOf(id int64, err error) commerce.RecipientOutcome {
	out := commerce.RecipientOutcome{RecipientID: id, Status: commerce.RecipientSent}
	var skip skipError
	switch {
	case err == nil:
	case errors.As(err, &skip):
		out.Status, out.Reason = commerce.RecipientSkipped, skip.reason
	case errors.Is(err, ErrSkipped):
		out.Status, out.Reason = commerce.RecipientSkipped, "skipped"
	case errors.Is(err, ErrUnreachable):
		out.Status, out.Reason = commerce.RecipientBlocked, "unreachable"
	default:
		out.Status, out.Reason = commerce.RecipientFailed, "send_failed"
	}
	return out
}

// pacer spaces sends every apart on average.
const paceSlack = 50 * time.Millisecond

type pacer struct {
	every time.Duration
	mu    sync.Mutex
	next  time.Time
}

func (p *pacer) wait(ctx context.Context) error {
	p.mu.Lock()
	now := time.Now()
	// A sender that fell behind (all busy, a slow request) may catch up by
	// a little; more would be a burst the platform's limiter then holds.
	at := p.next
	if slack := now.Add(-min(paceSlack, p.every)); at.Before(slack) {
		at = slack
	}
	p.next = at.Add(p.every)
	p.mu.Unlock()
	if d := time.Until(at); d > 0 {
		t := time.NewTimer(d)
		defer t.Stop()
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
		}
	}
	return nil
}

// recorder writes outcomes in batches: every 200 outcomes or FlushEvery.
type recorder struct {
	o  BroadcastOptions
	id int64
	in chan commerce.RecipientOutcome
}

const flushSize = 200

func newRecorder(o BroadcastOptions, id int64) *recorder {
	return &recorder{o: o, id: id, in: make(chan commerce.RecipientOutcome, flushSize)}
}

func (r *recorder) run(ctx context.Context) error {
	var batch []commerce.RecipientOutcome
	var failed error
	flush := func() {
		if len(batch) == 0 || failed != nil {
			batch = batch[:0]
			return
		}
		// Recorded even while shutting down: these were sent.
		if err := r.o.Store.RecordOutcomes(context.WithoutCancel(ctx), r.id, batch, r.o.Clock()); err != nil {
			r.o.Log.ErrorContext(ctx, "broadcast outcomes not recorded; they will be sent again", "broadcast", r.id, "n", len(batch), "err", err)
			failed = err
		}
		batch = batch[:0]
	}
	t := time.NewTicker(r.o.FlushEvery)
	defer t.Stop()
	for {
		select {
		case out, ok := <-r.in:
			if !ok {
				flush()
				return failed
			}
			batch = append(batch, out)
			if len(batch) >= flushSize {
				flush()
			}
		case <-t.C:
			flush()
		}
	}
}

// resumeBroadcasts enqueues a job for every running broadcast (at start).
func (q *Queue) resumeBroadcasts(ctx context.Context, store commerce.BroadcastStore) error {
	ids, err := store.RunningBroadcasts(ctx)
	if err != nil {
		return err
	}
	for _, id := range slices.Compact(ids) {
		if _, err := q.client.Insert(ctx, BroadcastArgs{BroadcastID: id}, nil); err != nil {
			return fmt.Errorf("resume broadcast %d: %w", id, err)
		}
	}
	return nil
}
