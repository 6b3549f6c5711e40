package chatstate_test

import (
	"testing"
	"time"

	"shopbot/chatstate"
	"shopbot/store/storetest"
)

func TestLocalLocker(t *testing.T) {
	t.Parallel()
	storetest.Run(t, storetest.Driver{Locker: func(t *testing.T) chatstate.Locker { return chatstate.NewLocalLocker() }})
}

func TestLocalWindowLimiter(t *testing.T) {
	t.Parallel()
	storetest.Run(t, storetest.Driver{WindowLimiter: func(_ *testing.T, limit int, window time.Duration, now func() time.Time) chatstate.WindowLimiter {
		return chatstate.NewLocalWindowLimiter(limit, window, now)
	}})
}
