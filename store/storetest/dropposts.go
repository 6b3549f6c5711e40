package storetest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"shopbot/commerce"
)

// runDropPosts runs the topic of drops posted into group chats: saving and
// reposting, live posts, paced edits and the takers' list.
func runDropPosts(t *testing.T, open OpenShop) {
	runAll(t, open, []behaviour[OpenShop]{
		{"SaveAndRepost", testPostSaveAndRepost},
		{"LiveShownGone", testPostLiveShownGone},
		{"ClaimEdit", testPostClaimEdit},
		{"Takers", testPostTakers},
	})
}

// setupDropPost opens a store with one drop of 10 units, and returns the
// drop's start.
func setupDropPost(t *testing.T, open OpenShop) (ShopStore, commerce.Drop, time.Time) {
	t.Helper()
	s := open.plain(t)
	f := newDropFixture(t, s)
	return s, f.create(t, 10, 2), f.start
}

func saveDropPost(t *testing.T, s ShopStore, p commerce.DropPost, now time.Time) commerce.DropPost {
	t.Helper()
	got, err := s.SaveDropPost(context.Background(), p, now)
	if err != nil {
		t.Fatalf("SaveDropPost: %v", err)
	}
	return got
}

func testPostSaveAndRepost(t *testing.T, open OpenShop) {
	t.Parallel()
	ctx := context.Background()
	s, d, now := setupDropPost(t, open)
	p := saveDropPost(t, s, commerce.DropPost{DropID: d.ID, Channel: "tg", ChatID: "-100", MessageID: "7", Lang: "en", Shown: "10/0/0"}, now)
	if p.ID == 0 || p.MessageID != "7" || p.Lang != "en" || p.Shown != "10/0/0" || p.Gone || !p.CreatedAt.Equal(now) {
		t.Fatalf("saved %+v", p)
	}
	if ok, err := s.MarkDropPostGone(ctx, p.ID, "7", now); err != nil || !ok {
		t.Fatalf("MarkDropPostGone = %v, %v", ok, err)
	}
	later := now.Add(time.Minute)
	again := saveDropPost(t, s, commerce.DropPost{DropID: d.ID, Channel: "tg", ChatID: "-100", MessageID: "9", Lang: "ru", Shown: "9/1/0"}, later)
	if again.ID != p.ID || again.MessageID != "9" || again.Lang != "ru" || again.Gone || !again.CreatedAt.Equal(now) || !again.UpdatedAt.Equal(later) {
		t.Fatalf("posted again: %+v; want the same post with message 9, not gone", again)
	}
	got, err := s.DropPost(ctx, d.ID, "tg", "-100")
	if err != nil || got != again {
		t.Fatalf("DropPost = %+v, %v; want %+v", got, err, again)
	}
	other := saveDropPost(t, s, commerce.DropPost{DropID: d.ID, Channel: "tg", ChatID: "-200", MessageID: "1", Lang: "en"}, now)
	if other.ID == p.ID {
		t.Fatal("another chat shares the post")
	}
	if _, err := s.DropPost(ctx, d.ID, "tg", "-300"); !errors.Is(err, commerce.ErrNotFound) {
		t.Errorf("DropPost of an unposted chat: %v; want ErrNotFound", err)
	}
	if _, err := s.SaveDropPost(ctx, commerce.DropPost{DropID: d.ID + 1000, Channel: "tg", ChatID: "-1"}, now); !errors.Is(err, commerce.ErrNotFound) {
		t.Errorf("post of a missing drop: %v; want ErrNotFound", err)
	}
	if _, err := s.SaveDropPost(ctx, commerce.DropPost{DropID: d.ID, Channel: "tg"}, now); !errors.Is(err, commerce.ErrInvalid) {
		t.Errorf("post without chat: %v; want ErrInvalid", err)
	}
}

func testPostLiveShownGone(t *testing.T, open OpenShop) {
	t.Parallel()
	ctx := context.Background()
	s, d, now := setupDropPost(t, open)
	a := saveDropPost(t, s, commerce.DropPost{DropID: d.ID, Channel: "tg", ChatID: "-1", MessageID: "5", Lang: "en", Shown: "x"}, now)
	b := saveDropPost(t, s, commerce.DropPost{DropID: d.ID, Channel: "tg", ChatID: "-2", MessageID: "6", Lang: "en"}, now.Add(time.Second))
	saveDropPost(t, s, commerce.DropPost{DropID: d.ID, Channel: "tg", ChatID: "-3", MessageID: "", Lang: "en"}, now) // never posted
	old := saveDropPost(t, s, commerce.DropPost{DropID: d.ID, Channel: "tg", ChatID: "-4", MessageID: "1", Lang: "en"}, now.Add(-48*time.Hour))
	if _, err := s.Reserve(ctx, d.ID, webBuyer(1), 2, "k1", now, commerce.PersonLimits{}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.AddDropTaker(ctx, commerce.DropTaker{PostID: a.ID, UserID: "u1", Name: "Li", ReservationID: 1, CreatedAt: now}); err != nil {
		t.Fatal(err)
	}
	live, err := s.LiveDropPosts(ctx, now.Add(-time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	var ids []int64
	for _, st := range live {
		ids = append(ids, st.Post.ID)
		if st.Drop.ID != d.ID || st.Drop.Left != 8 || st.Drop.Code != d.Code || !st.Drop.StartsAt.Equal(d.StartsAt) || st.Drop.Price != d.Price {
			t.Errorf("live post %d has drop %+v; want %s with 8 left", st.Post.ID, st.Drop, d.Code)
		}
		if want := map[int64]int{a.ID: 1}[st.Post.ID]; st.Takers != want {
			t.Errorf("post %d takers %d; want %d", st.Post.ID, st.Takers, want)
		}
	}
	if !slices.Equal(ids, []int64{a.ID, b.ID}) {
		t.Fatalf("live posts %v; want %v (not the unposted one, not the one posted before since)", ids, []int64{a.ID, b.ID})
	}
	if old.ID == 0 {
		t.Fatal("old post not saved")
	}

	if ok, err := s.MarkDropPostShown(ctx, a.ID, "4", "y", now); err != nil || ok {
		t.Errorf("shown on another message id = %v, %v; want false", ok, err)
	}
	if ok, err := s.MarkDropPostShown(ctx, a.ID, "5", "y", now.Add(time.Minute)); err != nil || !ok {
		t.Errorf("MarkDropPostShown = %v, %v", ok, err)
	}
	if ok, err := s.MarkDropPostGone(ctx, b.ID, "99", now); err != nil || ok {
		t.Errorf("gone on another message id = %v, %v; want false", ok, err)
	}
	if ok, err := s.MarkDropPostGone(ctx, b.ID, "6", now); err != nil || !ok {
		t.Errorf("MarkDropPostGone = %v, %v", ok, err)
	}
	if ok, err := s.MarkDropPostShown(ctx, b.ID, "6", "z", now); err != nil || ok {
		t.Errorf("shown on a gone post = %v, %v; want false", ok, err)
	}
	live, err = s.LiveDropPosts(ctx, now.Add(-time.Hour))
	if err != nil || len(live) != 1 || live[0].Post.ID != a.ID || live[0].Post.Shown != "y" {
		t.Fatalf("live after gone = %+v, %v; want only post %d showing y", live, err, a.ID)
	}
}

func testPostClaimEdit(t *testing.T, open OpenShop) {
	t.Parallel()
	ctx := context.Background()
	s, _, now := setupDropPost(t, open)
	claim := func(chat string, at time.Time) bool {
		t.Helper()
		ok, err := s.ClaimDropPostEdit(ctx, "tg", chat, at, 5*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		return ok
	}
	for _, step := range []struct {
		chat string
		at   time.Duration
		want bool
	}{
		{"-1", 0, true},
		{"-1", time.Second, false},
		{"-2", time.Second, true}, // chats are paced apart
		{"-1", 4999 * time.Millisecond, false},
		{"-1", 5 * time.Second, true},
		{"-1", 9 * time.Second, false},
		{"-1", time.Minute, true},
	} {
		if got := claim(step.chat, now.Add(step.at)); got != step.want {
			t.Errorf("claim %s at +%s = %v; want %v", step.chat, step.at, got, step.want)
		}
	}
	// Replicas claiming the same slot at once: one wins.
	var wg sync.WaitGroup
	var mu sync.Mutex
	wins := 0
	at := now.Add(time.Hour)
	for range 8 {
		wg.Go(func() {
			ok, err := s.ClaimDropPostEdit(ctx, "tg", "-1", at, 5*time.Second)
			if err != nil {
				t.Error(err)
			}
			if ok {
				mu.Lock()
				wins++
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if wins != 1 {
		t.Fatalf("%d concurrent claims won; want 1", wins)
	}
}

func testPostTakers(t *testing.T, open OpenShop) {
	t.Parallel()
	ctx := context.Background()
	s, d, now := setupDropPost(t, open)
	p := saveDropPost(t, s, commerce.DropPost{DropID: d.ID, Channel: "tg", ChatID: "-1", MessageID: "5", Lang: "en"}, now)
	if _, _, err := s.AddDropTaker(ctx, commerce.DropTaker{PostID: p.ID + 1000, UserID: "u"}); !errors.Is(err, commerce.ErrNotFound) {
		t.Errorf("taker of a missing post: %v; want ErrNotFound", err)
	}
	// Concurrent taps of different members: each gets its own place.
	const n = 12
	pos := make([]int, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			got, added, err := s.AddDropTaker(ctx, commerce.DropTaker{PostID: p.ID, UserID: fmt.Sprint("u", i),
				Name: fmt.Sprint("N", i), ReservationID: int64(i + 1), CreatedAt: now})
			if err != nil || !added {
				t.Errorf("AddDropTaker %d = %v, %v", i, added, err)
			}
			pos[i] = got
		})
	}
	wg.Wait()
	sorted := slices.Sorted(slices.Values(pos))
	for i, v := range sorted {
		if v != i+1 {
			t.Fatalf("positions %v; want 1..%d once each", sorted, n)
		}
	}
	// A second tap changes nothing and gives the same place.
	got, added, err := s.AddDropTaker(ctx, commerce.DropTaker{PostID: p.ID, UserID: "u3", Name: "other", ReservationID: 99, CreatedAt: now})
	if err != nil || added || got != pos[3] {
		t.Fatalf("repeated taker = %d, %v, %v; want %d, false", got, added, err, pos[3])
	}
	takers, total, err := s.DropTakers(ctx, p.ID, 5)
	if err != nil || total != n || len(takers) != 5 {
		t.Fatalf("DropTakers = %d listed, %d total, %v; want 5 of %d", len(takers), total, err, n)
	}
	for i, tk := range takers {
		if pos[indexOf(tk.UserID)] != i+1 || tk.PostID != p.ID || !tk.CreatedAt.Equal(now) {
			t.Errorf("taker %d = %+v at position %d", i, tk, pos[indexOf(tk.UserID)])
		}
	}
	if tk := takers[0]; tk.Name != "N"+tk.UserID[1:] {
		t.Errorf("taker name %q of %s changed", tk.Name, tk.UserID)
	}
	if _, total, err := s.DropTakers(ctx, p.ID+1000, 5); err != nil || total != 0 {
		t.Errorf("takers of a missing post = %d, %v; want none", total, err)
	}
}

func indexOf(userID string) int {
	var i int
	_, _ = fmt.Sscanf(userID, "u%d", &i)
	return i
}
