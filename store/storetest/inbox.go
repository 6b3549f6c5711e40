package storetest

import (
	"context"
	"fmt"
	"sync"
	"testing"
)

// runSettingsInbox checks first-writer-wins settings and the inbox queue.
func runSettingsInbox(t *testing.T, open OpenShop) {
	t.Run("first setting wins", func(t *testing.T) { testFirstSettingWins(t, open.plain(t)) })
	t.Run("setting replaced", func(t *testing.T) { testSetSetting(t, open.plain(t)) })
	t.Run("inbox", func(t *testing.T) { testInbox(t, open.plain(t)) })
}

func testFirstSettingWins(t *testing.T, s ShopStore) {
	ctx := context.Background()
	var wg sync.WaitGroup
	got := make([]string, 10)
	for i := range got {
		wg.Add(1)
		go func() {
			defer wg.Done()
			v, err := s.InitSetting(ctx, "secret", fmt.Sprintf("v%d", i))
			if err != nil {
				t.Error(err)
			}
			got[i] = v
		}()
	}
	wg.Wait()
	for _, v := range got {
		if v != got[0] || v == "" {
			t.Fatalf("replicas disagree on the setting: %v", got)
		}
	}
}

// testSetSetting: a rotated key replaces the row; other rows stay.
func testSetSetting(t *testing.T, s ShopStore) {
	ctx := context.Background()
	for _, kv := range [][2]string{{"staff_key", "old"}, {"pickup_secret", "pass"}} {
		if _, err := s.InitSetting(ctx, kv[0], kv[1]); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.SetSetting(ctx, "staff_key", "new"); err != nil {
		t.Fatal(err)
	}
	if err := s.SetSetting(ctx, "fresh", "v"); err != nil {
		t.Fatal(err)
	}
	for k, want := range map[string]string{"staff_key": "new", "pickup_secret": "pass", "fresh": "v"} {
		if v, err := s.InitSetting(ctx, k, "ignored"); err != nil || v != want {
			t.Errorf("setting %s = %q, %v; want %q", k, v, err, want)
		}
	}
}

func testInbox(t *testing.T, s ShopStore) {
	ctx := context.Background()
	for i := range 5 {
		if err := s.Push(ctx, "web:a", []byte(fmt.Sprintf("m%d", i))); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Push(ctx, "web:b", []byte("other")); err != nil {
		t.Fatal(err)
	}
	first, err := s.Pull(ctx, "web:a", 3)
	if err != nil || len(first) != 3 || string(first[0]) != "m0" || string(first[2]) != "m2" {
		t.Fatalf("Pull = %q, %v", first, err)
	}
	rest, err := s.Pull(ctx, "web:a", 10)
	if err != nil || len(rest) != 2 || string(rest[1]) != "m4" {
		t.Fatalf("second Pull = %q, %v", rest, err)
	}
	if none, _ := s.Pull(ctx, "web:a", 10); len(none) != 0 {
		t.Fatalf("pulled twice: %q", none)
	}
	if b, _ := s.Pull(ctx, "web:b", 10); len(b) != 1 {
		t.Fatalf("other user's inbox = %q", b)
	}
}
