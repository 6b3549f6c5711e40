package storetest

import (
	"context"
	"fmt"
	"sync"
	"testing"
)

// SettingsInbox is the deployment-wide settings and the web-chat inbox.
type SettingsInbox interface {
	InitSetting(ctx context.Context, key, value string) (string, error)
	Push(ctx context.Context, userKey string, payload []byte) error
	Pull(ctx context.Context, userKey string, limit int) ([][]byte, error)
}

// RunSettingsInbox checks first-writer-wins settings and the inbox queue.
func RunSettingsInbox(t *testing.T, open func(t *testing.T) SettingsInbox) {
	ctx := context.Background()
	t.Run("first setting wins", func(t *testing.T) {
		s := open(t)
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
	})
	t.Run("inbox", func(t *testing.T) {
		s := open(t)
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
	})
}
