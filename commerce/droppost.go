package commerce

import (
	"context"
	"time"
)

// DropPost is a drop's one message in a group or channel: a photo card
// edited in place as the drop's units fall, with a buy link and, once the
// drop started, a "+1" button for chain ordering (接龙). There is at most
// one post per (drop, channel, chat); posting again replaces the message
// but keeps the post and its takers.
type DropPost struct {
	ID        int64
	DropID    int64
	Channel   string // "tg"
	ChatID    string // the group or channel
	MessageID string // the platform's id of the message now showing the post
	Lang      string // the locale the post is written in
	// Shown is what the message shows now, as the poster encodes it
	// (units left, started, takers): the refresher edits the message when
	// the drop's current state encodes differently.
	Shown string
	// Gone: the message cannot be edited any more (deleted, bot removed);
	// nothing refreshes it until it is posted again.
	Gone      bool
	CreatedAt time.Time
	UpdatedAt time.Time
}

// DropPostState is a live post with what it would show now.
type DropPostState struct {
	Post   DropPost
	Drop   Drop // with its current Left
	Takers int  // takers of the post so far
}

// DropTaker is a member who tapped "+1" on a post: one unit is reserved
// for them and they finish the order in the private chat.
type DropTaker struct {
	PostID        int64
	UserID        string // platform user id (the buyer is Channel + ":" + UserID)
	Name          string // what the post lists: a first name, an initial or nothing (a setting)
	ReservationID int64
	CreatedAt     time.Time
}

// DropPostStore keeps drop posts, their takers and the per-chat edit pace.
type DropPostStore interface {
	// SaveDropPost creates the post of (p.DropID, p.Channel, p.ChatID) or,
	// when there is one, sets its MessageID, Lang and Shown and clears Gone
	// (its takers stay). It returns the stored post. ErrNotFound if the
	// drop does not exist, ErrInvalid without a channel or chat.
	SaveDropPost(ctx context.Context, p DropPost, now time.Time) (DropPost, error)
	// DropPost returns the post of a drop in a chat. ErrNotFound if none.
	DropPost(ctx context.Context, dropID int64, channel, chatID string) (DropPost, error)
	// LiveDropPosts lists the posts that are not gone and were saved at or
	// after since, with their drop and taker count, oldest update first.
	LiveDropPosts(ctx context.Context, since time.Time) ([]DropPostState, error)
	// MarkDropPostShown records that message messageID of post id now shows
	// shown. It changes nothing (ok false) when the post has been posted
	// anew since (another message id) or is gone.
	MarkDropPostShown(ctx context.Context, id int64, messageID, shown string, now time.Time) (ok bool, err error)
	// MarkDropPostGone marks the post gone if it still shows messageID.
	MarkDropPostGone(ctx context.Context, id int64, messageID string, now time.Time) (ok bool, err error)
	// ClaimDropPostEdit takes the chat's next edit slot: it succeeds (ok)
	// when no claim for the chat happened within the interval before now,
	// and then blocks other claims until now+interval, across processes.
	ClaimDropPostEdit(ctx context.Context, channel, chatID string, now time.Time, interval time.Duration) (ok bool, err error)
	// AddDropTaker appends a taker to a post once per user: added is false
	// (and nothing changes) when the user is already a taker. The returned
	// position counts from 1 in the order of taking. ErrNotFound if the post
	// does not exist.
	AddDropTaker(ctx context.Context, t DropTaker) (position int, added bool, err error)
	// DropTakers lists the first limit takers of a post in the order of
	// taking, and how many there are in all.
	DropTakers(ctx context.Context, postID int64, limit int) (takers []DropTaker, total int, err error)
}
