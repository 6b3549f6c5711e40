package bot

import (
	"context"
	"errors"
)

// Poster puts a message into a chat and later edits that same message in
// place: a drop's post in a group or channel as its stock falls, a
// broadcast's progress line in the seller's chat. Platforms without edits
// (WeChat) have no Poster.
type Poster interface {
	// Post sends r as one new message to chatID and returns the message's
	// id, for Edit.
	Post(ctx context.Context, chatID string, r Reply) (messageID string, err error)
	// Edit replaces the text (or caption) and buttons of a message Post
	// returned. An edit to the same content succeeds. ErrGone when the
	// message can no longer be edited (deleted, too old): post anew.
	Edit(ctx context.Context, chatID, messageID string, r Reply) error
}

// ErrGone is returned by Poster.Edit for a message that cannot be edited any
// more, and by senders for a chat the bot cannot reach (blocked by the
// user, removed from the group).
var ErrGone = errors.New("bot: message or chat gone")
