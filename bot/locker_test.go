package bot_test

import (
	"testing"

	"shopbot/bot"
	"shopbot/store/storetest"
)

func TestLocalLocker(t *testing.T) {
	t.Parallel()
	storetest.RunLocker(t, func(t *testing.T) bot.Locker { return bot.NewLocalLocker() })
}
