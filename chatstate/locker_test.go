package chatstate_test

import (
	"testing"

	"shopbot/chatstate"
	"shopbot/store/storetest"
)

func TestLocalLocker(t *testing.T) {
	t.Parallel()
	storetest.Run(t, storetest.Driver{Locker: func(t *testing.T) chatstate.Locker { return chatstate.NewLocalLocker() }})
}
