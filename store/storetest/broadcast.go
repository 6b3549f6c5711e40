package storetest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	pngenc "image/png"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"shopbot/commerce"
)

// runBroadcasts runs the topic of the audience and broadcasts: who may be
// written to, a broadcast's life from draft to done, cancelling, and
// recipients claimed by concurrent workers.
func runBroadcasts(t *testing.T, open OpenShop) {
	runAll(t, open, []behaviour[OpenShop]{
		{"Audience", testBroadcastAudience},
		{"Lifecycle", testBroadcastLifecycle},
		{"Cancel", testBroadcastCancel},
		{"ConcurrentClaims", testBroadcastConcurrentClaims},
	})
}

// broadcastT0 is when the audience was last seen.
var broadcastT0 = time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC)

func seeChatUser(t *testing.T, s ShopStore, ch, user, lang string) {
	t.Helper()
	if err := s.SeeChatUser(context.Background(), commerce.ChatUser{Channel: ch, UserID: user, ChatID: user, Lang: lang, LastSeen: broadcastT0}); err != nil {
		t.Fatalf("SeeChatUser: %v", err)
	}
}

func testBroadcastAudience(t *testing.T, open OpenShop) {
	t.Parallel()
	ctx := context.Background()
	s := open(t, noHook)
	seeChatUser(t, s, "tg", "1", "en")
	seeChatUser(t, s, "tg", "2", "ru")
	seeChatUser(t, s, "wx", "oA", "zh-CN")
	if _, err := s.ChatUser(ctx, "tg", "9"); !errors.Is(err, commerce.ErrNotFound) {
		t.Fatalf("unknown user: %v, want ErrNotFound", err)
	}
	if err := s.SetOptOut(ctx, "tg", "9", true); !errors.Is(err, commerce.ErrNotFound) {
		t.Fatalf("opt-out of unknown user: %v, want ErrNotFound", err)
	}
	if err := s.SetOptOut(ctx, "tg", "2", true); err != nil {
		t.Fatal(err)
	}
	if err := s.MarkBlocked(ctx, "wx", "oA", true); err != nil {
		t.Fatal(err)
	}
	size, err := s.AudienceSize(ctx)
	if err != nil || size["tg"] != 1 || size["wx"] != 0 {
		t.Fatalf("AudienceSize = %v, %v; want tg 1, wx 0", size, err)
	}
	// Writing again clears blocked, keeps the opt-out, updates the language.
	if err := s.SeeChatUser(ctx, commerce.ChatUser{Channel: "wx", UserID: "oA", ChatID: "oA", LastSeen: broadcastT0.Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	seeChatUser(t, s, "tg", "2", "en")
	u, err := s.ChatUser(ctx, "wx", "oA")
	if err != nil || u.Blocked || u.Lang != "zh-CN" || !u.LastSeen.Equal(broadcastT0.Add(time.Hour)) || !u.FirstSeen.Equal(broadcastT0) {
		t.Fatalf("after writing again: %+v, %v", u, err)
	}
	u, _ = s.ChatUser(ctx, "tg", "2")
	if !u.OptedOut || u.Lang != "en" {
		t.Fatalf("opt-out lost or language kept: %+v", u)
	}
}

// testBroadcastLifecycle follows one broadcast from draft to done, in steps
// that share its store: the audience, the draft, the start, a worker's
// lease and its take-over, and the finish.
func testBroadcastLifecycle(t *testing.T, open OpenShop) {
	t.Parallel()
	log := &eventLog{}
	s := open(t, log.hook)
	lifecycleAudience(t, s)
	b := lifecycleDraft(t, s, log)
	lifecycleStart(t, s, log, b)
	lifecycleLease(t, s, b)
	lifecycleFinish(t, s, b)
}

// lifecycleAudience: 10 Telegram users (one opted out, one blocked), one
// web and one WeChat user.
func lifecycleAudience(t *testing.T, s ShopStore) {
	t.Helper()
	ctx := context.Background()
	for i := range 10 {
		seeChatUser(t, s, "tg", fmt.Sprint(100+i), "en")
	}
	seeChatUser(t, s, "web", "alice", "ru")
	seeChatUser(t, s, "wx", "oB", "zh-CN")
	if err := s.SetOptOut(ctx, "tg", "100", true); err != nil {
		t.Fatal(err)
	}
	if err := s.MarkBlocked(ctx, "tg", "101", true); err != nil {
		t.Fatal(err)
	}
}

// lifecycleDraft creates a draft for Telegram and the web chat, with a
// picture and a button.
func lifecycleDraft(t *testing.T, s ShopStore, log *eventLog) commerce.Broadcast {
	t.Helper()
	ctx := context.Background()
	if _, err := s.CreateBroadcast(ctx, commerce.Broadcast{Author: "tg:1", Content: commerce.BroadcastContent{Text: " "}}); !errors.Is(err, commerce.ErrInvalid) {
		t.Fatalf("empty text: %v, want ErrInvalid", err)
	}
	var png bytes.Buffer
	_ = pngenc.Encode(&png, image.NewRGBA(image.Rect(0, 0, 2, 2)))
	unnamed := commerce.BroadcastContent{Text: "Sale!", Image: png.Bytes()}
	if _, err := s.CreateBroadcast(ctx, commerce.Broadcast{Author: "tg:1", Content: unnamed}); !errors.Is(err, commerce.ErrInvalid) {
		t.Fatalf("a picture not prepared (no name): %v, want ErrInvalid", err)
	}
	content, err := commerce.BroadcastContent{Text: "Sale!", ButtonText: "Shop", ButtonURL: "https://t.me/bot?start=c_1"}.WithImage(png.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	b, err := s.CreateBroadcast(ctx, commerce.Broadcast{Author: "tg:1", AuthorChat: "1", Channels: []string{"tg", "web"},
		Content: content, CreatedAt: broadcastT0})
	if err != nil || b.ID == 0 || b.Status != commerce.BroadcastDraft {
		t.Fatalf("CreateBroadcast = %+v, %v", b, err)
	}
	got, err := s.Broadcast(ctx, b.ID)
	if err != nil || got.Content.Text != "Sale!" || got.Content.Image == nil || got.Content.ImageName != content.ImageName ||
		got.Content.ButtonURL == "" || len(got.Channels) != 2 {
		t.Fatalf("Broadcast = %+v, %v", got, err)
	}
	if data, err := s.BroadcastImage(ctx, content.ImageName); err != nil || !bytes.Equal(data, content.Image) {
		t.Fatalf("BroadcastImage(%s) = %d bytes, %v", content.ImageName, len(data), err)
	}
	// The picture is found by its name only: not by the broadcast's id,
	// not by another name.
	for _, name := range []string{strconv.FormatInt(b.ID, 10), strings.Repeat("0", 32) + ".png", "../" + content.ImageName} {
		if _, err := s.BroadcastImage(ctx, name); !errors.Is(err, commerce.ErrNotFound) {
			t.Fatalf("BroadcastImage(%q) = %v; want ErrNotFound", name, err)
		}
	}
	if events := log.all(); len(events) != 0 {
		t.Fatalf("a draft emitted %v", events)
	}
	return b
}

// lifecycleStart starts the draft: its counts are taken once, and it
// emits BroadcastStarted once.
func lifecycleStart(t *testing.T, s ShopStore, log *eventLog, draft commerce.Broadcast) {
	t.Helper()
	ctx := context.Background()
	b, err := s.StartBroadcast(ctx, draft.ID, broadcastT0.Add(time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	want := commerce.BroadcastCounts{Total: 11, OptedOut: 1, Blocked: 1}
	if b.Status != commerce.BroadcastRunning || b.Counts != want {
		t.Fatalf("started: %v %+v, want running %+v", b.Status, b.Counts, want)
	}
	if events := log.all(); len(events) != 1 || events[0].(commerce.BroadcastStarted).Broadcast.ID != b.ID {
		t.Fatalf("events = %v, want one BroadcastStarted", events)
	}
	if _, err := s.StartBroadcast(ctx, b.ID, broadcastT0); !errors.Is(err, commerce.ErrInvalidTransition) {
		t.Fatalf("second start: %v, want ErrInvalidTransition", err)
	}
	ids, err := s.RunningBroadcasts(ctx)
	if err != nil || len(ids) != 1 || ids[0] != b.ID {
		t.Fatalf("RunningBroadcasts = %v, %v", ids, err)
	}
}

// lifecycleLease: a worker leases the broadcast, claims recipients in
// order, records three outcomes and dies; after the lease ends another
// takes over and gets the in-flight recipients back.
func lifecycleLease(t *testing.T, s ShopStore, b commerce.Broadcast) {
	t.Helper()
	ctx := context.Background()
	ok, err := s.AcquireBroadcast(ctx, b.ID, "w1", broadcastT0, broadcastT0.Add(time.Minute))
	if err != nil || !ok {
		t.Fatalf("acquire: %v %v", ok, err)
	}
	if ok, _ := s.AcquireBroadcast(ctx, b.ID, "w2", broadcastT0.Add(30*time.Second), broadcastT0.Add(2*time.Minute)); ok {
		t.Fatal("a second worker acquired a live lease")
	}
	batch, err := s.ClaimRecipients(ctx, b.ID, "tg", 5)
	if err != nil || len(batch) != 5 {
		t.Fatalf("claim = %d, %v", len(batch), err)
	}
	for i := 1; i < len(batch); i++ {
		if batch[i].ID <= batch[i-1].ID || batch[i].Channel != "tg" || batch[i].Lang != "en" {
			t.Fatalf("claimed batch out of order or wrong: %+v", batch)
		}
	}
	rest, err := s.ClaimRecipients(ctx, b.ID, "tg", 100)
	if err != nil || len(rest) != 3 {
		t.Fatalf("second claim = %d, %v; want the 3 left (8 tg pending)", len(rest), err)
	}
	if err := s.RecordOutcomes(ctx, b.ID, []commerce.RecipientOutcome{
		{RecipientID: batch[0].ID, Status: commerce.RecipientSent},
		{RecipientID: batch[1].ID, Status: commerce.RecipientBlocked, Reason: "http_403"},
		{RecipientID: batch[2].ID, Status: commerce.RecipientFailed, Reason: "http_400"},
	}, broadcastT0); err != nil {
		t.Fatal(err)
	}
	// A recipient no longer in flight keeps its outcome.
	if err := s.RecordOutcomes(ctx, b.ID, []commerce.RecipientOutcome{{RecipientID: batch[2].ID, Status: commerce.RecipientSent}}, broadcastT0); err != nil {
		t.Fatal(err)
	}
	if err := s.RenewBroadcast(ctx, b.ID, "w2", broadcastT0.Add(time.Hour)); !errors.Is(err, commerce.ErrLeaseLost) {
		t.Fatalf("renew by a non-owner: %v, want ErrLeaseLost", err)
	}
	ok, err = s.AcquireBroadcast(ctx, b.ID, "w2", broadcastT0.Add(2*time.Minute), broadcastT0.Add(3*time.Minute))
	if err != nil || !ok {
		t.Fatalf("take over after expiry: %v %v", ok, err)
	}
	if err := s.RenewBroadcast(ctx, b.ID, "w1", broadcastT0.Add(time.Hour)); !errors.Is(err, commerce.ErrLeaseLost) {
		t.Fatalf("renew by the old owner: %v, want ErrLeaseLost", err)
	}
	counts, err := s.RecipientCounts(ctx, b.ID)
	if err != nil || counts[commerce.RecipientSending] != 0 || counts[commerce.RecipientPending] != 6 {
		t.Fatalf("after take-over: %v, %v; want 6 pending (5 tg + 1 web), none sending", counts, err)
	}
	u, _ := s.ChatUser(ctx, "tg", batch[1].UserID)
	if !u.Blocked {
		t.Fatalf("a blocked outcome did not mark the user: %+v", u)
	}
}

// lifecycleFinish sends to everyone left and finishes the broadcast.
func lifecycleFinish(t *testing.T, s ShopStore, b commerce.Broadcast) {
	t.Helper()
	ctx := context.Background()
	if done, err := s.FinishBroadcast(ctx, b.ID, broadcastT0); err != nil || done {
		t.Fatalf("finish with pending recipients: %v %v", done, err)
	}
	for _, ch := range []string{"tg", "web", "wx"} {
		rs, err := s.ClaimRecipients(ctx, b.ID, ch, 100)
		if err != nil {
			t.Fatal(err)
		}
		if ch == "wx" && len(rs) != 0 {
			t.Fatalf("wx recipients in a tg+web broadcast: %+v", rs)
		}
		var out []commerce.RecipientOutcome
		for _, r := range rs {
			out = append(out, commerce.RecipientOutcome{RecipientID: r.ID, Status: commerce.RecipientSent})
		}
		if err := s.RecordOutcomes(ctx, b.ID, out, broadcastT0); err != nil {
			t.Fatal(err)
		}
	}
	if done, err := s.FinishBroadcast(ctx, b.ID, broadcastT0.Add(time.Hour)); err != nil || !done {
		t.Fatalf("finish: %v %v", done, err)
	}
	b, _ = s.Broadcast(ctx, b.ID)
	want := commerce.BroadcastCounts{Total: 11, Sent: 7, Failed: 1, Blocked: 2, OptedOut: 1}
	if b.Status != commerce.BroadcastDone || b.Counts != want || b.Counts.Pending() != 0 {
		t.Fatalf("done: %v %+v, want %+v", b.Status, b.Counts, want)
	}
	if ok, _ := s.AcquireBroadcast(ctx, b.ID, "w3", broadcastT0.Add(time.Hour), broadcastT0.Add(2*time.Hour)); ok {
		t.Fatal("acquired a finished broadcast")
	}
	if err := s.CancelBroadcast(ctx, b.ID, broadcastT0); !errors.Is(err, commerce.ErrInvalidTransition) {
		t.Fatalf("cancel a done broadcast: %v", err)
	}
	list, err := s.Broadcasts(ctx, 10)
	if err != nil || len(list) != 1 || list[0].ID != b.ID {
		t.Fatalf("Broadcasts = %+v, %v", list, err)
	}
	if err := s.SetProgressMessage(ctx, b.ID, "77"); err != nil {
		t.Fatal(err)
	}
	if b, _ := s.Broadcast(ctx, b.ID); b.ProgressMessage != "77" {
		t.Fatalf("progress message = %q", b.ProgressMessage)
	}
}

func testBroadcastCancel(t *testing.T, open OpenShop) {
	t.Parallel()
	ctx := context.Background()
	s := open(t, noHook)
	seeChatUser(t, s, "tg", "1", "en")
	b, err := s.CreateBroadcast(ctx, commerce.Broadcast{Author: "cli", Content: commerce.BroadcastContent{Text: "x"}})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.CancelBroadcast(ctx, b.ID, broadcastT0); err != nil {
		t.Fatal(err)
	}
	if _, err := s.StartBroadcast(ctx, b.ID, broadcastT0); !errors.Is(err, commerce.ErrInvalidTransition) {
		t.Fatalf("start a cancelled draft: %v", err)
	}
	if _, err := s.StartBroadcast(ctx, 999999, broadcastT0); !errors.Is(err, commerce.ErrNotFound) {
		t.Fatalf("start a missing broadcast: %v", err)
	}
}

// Concurrent claims never hand one recipient to two workers.
func testBroadcastConcurrentClaims(t *testing.T, open OpenShop) {
	t.Parallel()
	ctx := context.Background()
	s := open(t, noHook)
	const users = 300
	for i := range users {
		seeChatUser(t, s, "tg", fmt.Sprint(1000+i), "en")
	}
	b, err := s.CreateBroadcast(ctx, commerce.Broadcast{Author: "cli", Content: commerce.BroadcastContent{Text: "x"}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.StartBroadcast(ctx, b.ID, broadcastT0); err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	seen := map[int64]int{}
	var wg sync.WaitGroup
	for range 6 {
		wg.Go(func() {
			for {
				rs, err := s.ClaimRecipients(ctx, b.ID, "tg", 7)
				if err != nil {
					t.Error(err)
					return
				}
				if len(rs) == 0 {
					return
				}
				mu.Lock()
				for _, r := range rs {
					seen[r.ID]++
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if len(seen) != users {
		t.Fatalf("claimed %d distinct recipients, want %d", len(seen), users)
	}
	for id, n := range seen {
		if n != 1 {
			t.Fatalf("recipient %d claimed %d times", id, n)
		}
	}
}
