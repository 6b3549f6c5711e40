package jobs

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"shopbot/commerce"
	"shopbot/internal/testenv"
	"shopbot/store/sqlstore"
)

// fanoutFixture is a store with an audience on every channel and a
// running broadcast to it.
type fanoutFixture struct {
	store *sqlstore.Store
	b     commerce.Broadcast

	mu    sync.Mutex
	sends map[string]int // chat → sends
	final []commerce.Broadcast
}

func newFanoutFixture(t *testing.T, perChannel int) *fanoutFixture {
	t.Helper()
	ctx := context.Background()
	s := testenv.SQLite(t)
	for _, ch := range commerce.BroadcastChannels {
		for i := range perChannel {
			id := fmt.Sprintf("%s%d", ch, i)
			if err := s.SeeChatUser(ctx, commerce.ChatUser{Channel: ch, UserID: id, ChatID: id, Lang: "en"}); err != nil {
				t.Fatal(err)
			}
		}
	}
	b, err := s.CreateBroadcast(ctx, commerce.Broadcast{Author: "cli", Content: commerce.BroadcastContent{Text: "x"}})
	if err != nil {
		t.Fatal(err)
	}
	if b, err = s.StartBroadcast(ctx, b.ID, time.Now()); err != nil {
		t.Fatal(err)
	}
	return &fanoutFixture{store: s, b: b, sends: map[string]int{}}
}

func (f *fanoutFixture) options(send func(ctx context.Context, r commerce.BroadcastRecipient) error) BroadcastOptions {
	return BroadcastOptions{Store: f.store, Lease: 10 * time.Second, ProgressEvery: 10 * time.Millisecond, FlushEvery: 5 * time.Millisecond,
		Lanes: map[string]Lane{"tg": {Concurrency: 8, Batch: 5}, "wx": {Concurrency: 2, Rate: 2000}, "web": {Concurrency: 1}},
		Send: func(ctx context.Context, _ commerce.Broadcast, r commerce.BroadcastRecipient) error {
			err := send(ctx, r)
			if err == nil || errors.Is(err, ErrUnreachable) {
				f.mu.Lock()
				f.sends[r.ChatID]++
				f.mu.Unlock()
			}
			return err
		},
		Progress: func(_ context.Context, b commerce.Broadcast, final bool) {
			if final {
				f.mu.Lock()
				f.final = append(f.final, b)
				f.mu.Unlock()
			}
		},
	}
}

func (f *fanoutFixture) broadcast(t *testing.T) commerce.Broadcast {
	t.Helper()
	b, err := f.store.Broadcast(context.Background(), f.b.ID)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// Every recipient is sent to once, concurrently on three lanes; each
// outcome lands in its count.
func TestFanoutOutcomes(t *testing.T) {
	t.Parallel()
	f := newFanoutFixture(t, 60)
	fan := NewFanout(f.options(func(_ context.Context, r commerce.BroadcastRecipient) error {
		switch r.ChatID {
		case "tg7", "tg8":
			return fmt.Errorf("403: %w", ErrUnreachable)
		case "wx3":
			return Skip("outside_window")
		case "web5":
			return errors.New("inbox down")
		}
		return nil
	}))
	if err := fan.Run(t.Context(), f.b.ID); err != nil {
		t.Fatal(err)
	}
	b := f.broadcast(t)
	want := commerce.BroadcastCounts{Total: 180, Sent: 176, Blocked: 2, Skipped: 1, Failed: 1}
	if b.Status != commerce.BroadcastDone || b.Counts != want {
		t.Fatalf("broadcast = %s %+v, want done %+v", b.Status, b.Counts, want)
	}
	for chat, n := range f.sends {
		if n != 1 {
			t.Fatalf("%s sent %d times", chat, n)
		}
	}
	if len(f.sends) != 178 || len(f.final) != 1 || f.final[0].Status != commerce.BroadcastDone {
		t.Fatalf("%d chats sent, final progress %v", len(f.sends), f.final)
	}
	u, _ := f.store.ChatUser(t.Context(), "tg", "tg7")
	if !u.Blocked {
		t.Fatal("an unreachable recipient's user is not marked blocked")
	}
	// A finished broadcast runs no more.
	if err := fan.Run(t.Context(), f.b.ID); err != nil {
		t.Fatal(err)
	}
}

// A live lease keeps a second worker out.
func TestFanoutLeaseHeld(t *testing.T) {
	t.Parallel()
	f := newFanoutFixture(t, 3)
	now := time.Now()
	if ok, err := f.store.AcquireBroadcast(t.Context(), f.b.ID, "other", now, now.Add(time.Hour)); !ok || err != nil {
		t.Fatal(ok, err)
	}
	fan := NewFanout(f.options(func(context.Context, commerce.BroadcastRecipient) error { return nil }))
	if err := fan.Run(t.Context(), f.b.ID); !errors.Is(err, errBusy) {
		t.Fatalf("Run under another's lease = %v, want errBusy", err)
	}
	if len(f.sends) != 0 {
		t.Fatalf("sent %v under another's lease", f.sends)
	}
}

// Stop (graceful shutdown) lets in-flight sends finish and records them,
// gives the lease up, and the next run sends the rest: exactly once each.
func TestFanoutStopAndResume(t *testing.T) {
	t.Parallel()
	f := newFanoutFixture(t, 40)
	release, blocked := make(chan struct{}), make(chan struct{})
	var started atomic.Int64
	send := func(ctx context.Context, r commerce.BroadcastRecipient) error {
		switch n := started.Add(1); {
		case n == 11:
			close(blocked)
			fallthrough
		case n > 11:
			<-release
		}
		return nil
	}
	fan := NewFanout(f.options(send))
	done := make(chan error, 1)
	go func() { done <- fan.Run(context.Background(), f.b.ID) }()
	<-blocked
	fan.Stop() // when it returns, nothing more is claimed
	close(release)
	if err := <-done; !errors.Is(err, errStopping) {
		t.Fatalf("stopped Run = %v, want errStopping", err)
	}
	if b := f.broadcast(t); b.Status != commerce.BroadcastRunning || b.Counts.Pending() == 0 || b.Counts.Sent == 0 {
		t.Fatalf("after stop: %s %+v; want running, some sent, some left", b.Status, b.Counts)
	}
	// The lease was given up: a new worker starts at once.
	if err := NewFanout(f.options(send)).Run(t.Context(), f.b.ID); err != nil {
		t.Fatal(err)
	}
	if b := f.broadcast(t); b.Status != commerce.BroadcastDone || b.Counts.Sent != 120 {
		t.Fatalf("after resume: %s %+v", b.Status, b.Counts)
	}
	for chat, n := range f.sends {
		if n != 1 {
			t.Fatalf("%s sent %d times across a graceful stop", chat, n)
		}
	}
	if len(f.sends) != 120 {
		t.Fatalf("%d chats sent, want 120", len(f.sends))
	}
}

// Cancelling a running broadcast stops the fan-out; the rest stay pending.
// Sends after the cancel wait until the fan-out has seen it (its progress
// read found the broadcast cancelled), so however slow the machine, the
// fan-out cannot have sent everything before noticing.
func TestFanoutCancel(t *testing.T) {
	t.Parallel()
	f := newFanoutFixture(t, 50)
	seen := make(chan struct{})
	var once sync.Once
	store := &watchedStore{BroadcastStore: f.store, onStatus: func(s commerce.BroadcastStatus) {
		if s == commerce.BroadcastCancelled {
			once.Do(func() { close(seen) })
		}
	}}
	var n atomic.Int64
	opts := f.options(func(ctx context.Context, _ commerce.BroadcastRecipient) error {
		switch k := n.Add(1); {
		case k == 20:
			if err := f.store.CancelBroadcast(ctx, f.b.ID, time.Now()); err != nil {
				t.Error(err)
			}
		case k > 20:
			select {
			case <-seen:
			case <-ctx.Done():
			}
		}
		return nil
	})
	opts.Store = store
	fan := NewFanout(opts)
	if err := fan.Run(t.Context(), f.b.ID); err != nil {
		t.Fatal(err)
	}
	b := f.broadcast(t)
	if b.Status != commerce.BroadcastCancelled || b.Counts.Pending() == 0 {
		t.Fatalf("after cancel: %s %+v", b.Status, b.Counts)
	}
	if len(f.final) != 1 || f.final[0].Status != commerce.BroadcastCancelled {
		t.Fatalf("final progress = %v; want the cancelled summary", f.final)
	}
}

// watchedStore reports the status of every broadcast read.
type watchedStore struct {
	commerce.BroadcastStore
	onStatus func(commerce.BroadcastStatus)
}

func (w *watchedStore) Broadcast(ctx context.Context, id int64) (commerce.Broadcast, error) {
	b, err := w.BroadcastStore.Broadcast(ctx, id)
	if err == nil {
		w.onStatus(b.Status)
	}
	return b, err
}
