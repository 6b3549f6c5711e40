package commerce

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"
	"unicode/utf16"
	"unicode/utf8"
)

// The audience is every chat user the shop may message unprompted: someone
// who wrote to the bot in a private chat. A broadcast is one message from
// the seller to (a channel's part of) the audience, fanned out by a durable
// job that records each recipient's outcome, so it resumes after a crash
// without missing anyone.

// ChatUser is one member of the audience.
type ChatUser struct {
	Channel string // "tg", "wx", "web"
	UserID  string
	ChatID  string // where a broadcast goes (the private chat)
	Lang    string
	// OptedOut: the user said "stop" to broadcasts (order and pickup
	// notices still reach them).
	OptedOut bool
	// Blocked: the platform refused the last message (Telegram 403). Cleared
	// when the user writes again.
	Blocked   bool
	FirstSeen time.Time
	LastSeen  time.Time
}

// BroadcastStatus is where a broadcast stands.
type BroadcastStatus string

// Broadcast statuses: a draft is being written (no recipients yet); running
// is fanning out; done has an outcome for every recipient; cancelled was
// stopped by the seller (recipients still pending are left so).
const (
	BroadcastDraft     BroadcastStatus = "draft"
	BroadcastRunning   BroadcastStatus = "running"
	BroadcastDone      BroadcastStatus = "done"
	BroadcastCancelled BroadcastStatus = "cancelled"
)

// RecipientStatus is one recipient's outcome.
type RecipientStatus string

// Recipient statuses. Sending is "claimed by a worker, outcome not yet
// recorded": after a crash exactly those are sent again.
const (
	RecipientPending  RecipientStatus = "pending"
	RecipientSending  RecipientStatus = "sending"
	RecipientSent     RecipientStatus = "sent"
	RecipientFailed   RecipientStatus = "failed"
	RecipientBlocked  RecipientStatus = "blocked"
	RecipientOptedOut RecipientStatus = "opted_out"
	RecipientSkipped  RecipientStatus = "skipped" // e.g. outside WeChat's customer-service window
)

// BroadcastChannels are the channels a broadcast can reach, in display order.
var BroadcastChannels = []string{"tg", "wx", "web"}

// Broadcast limits.
const (
	// MaxBroadcastText is in UTF-16 code units, as Telegram counts: the
	// text, a blank line and the longest opt-out footer fit one photo
	// caption (1024), so a broadcast is one message per recipient.
	MaxBroadcastText   = 960
	MaxBroadcastImage  = 10 << 20
	MaxButtonTextChars = 40
)

// BroadcastContent is what every recipient gets.
type BroadcastContent struct {
	Text string
	// Image is a PNG or JPEG (nil = none) as WithImage re-encoded it,
	// served to platforms that fetch pictures by URL under ImageName.
	Image []byte
	// ImageName is the picture's file name in URLs ("/b/" + ImageName):
	// random, so the pictures of broadcasts cannot be listed by counting.
	ImageName string
	// ButtonText and ButtonURL make an optional link button (a deep link
	// into the shop or a page); both or neither.
	ButtonText, ButtonURL string
}

// Validate checks content a seller typed.
func (c BroadcastContent) Validate() error {
	switch n := utf16Len(strings.TrimSpace(c.Text)); {
	case n == 0:
		return fmt.Errorf("broadcast text is empty: %w", ErrInvalid)
	case n > MaxBroadcastText:
		return fmt.Errorf("broadcast text has %d UTF-16 units, at most %d: %w", n, MaxBroadcastText, ErrInvalid)
	case !utf8.ValidString(c.Text):
		return fmt.Errorf("broadcast text is not UTF-8: %w", ErrInvalid)
	}
	if len(c.Image) > MaxBroadcastImage {
		return fmt.Errorf("broadcast image over %d bytes: %w", MaxBroadcastImage, ErrInvalid)
	}
	if len(c.Image) > 0 && ImageType(c.Image) == "" {
		return fmt.Errorf("broadcast image is neither PNG nor JPEG: %w", ErrInvalid)
	}
	if len(c.Image) > 0 && !ValidBroadcastImageName(c.ImageName) {
		return fmt.Errorf("broadcast image not prepared (BroadcastContent.WithImage): %w", ErrInvalid)
	}
	if (c.ButtonText == "") != (c.ButtonURL == "") {
		return fmt.Errorf("broadcast button needs both a label and a link: %w", ErrInvalid)
	}
	if c.ButtonURL != "" {
		u, err := url.Parse(c.ButtonURL)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http" && u.Scheme != "tg") || u.Host == "" && u.Scheme != "tg" {
			return fmt.Errorf("broadcast button link %q: %w", c.ButtonURL, ErrInvalid)
		}
		if utf8.RuneCountInString(c.ButtonText) > MaxButtonTextChars {
			return fmt.Errorf("broadcast button label too long: %w", ErrInvalid)
		}
	}
	return nil
}

// WithImage returns c with a picture a seller sent: re-encoded like a
// product photo (NormalizeImage: no EXIF, so no GPS position; upright; at
// most MaxImageSide a side) and given a random name to be served under.
// ErrBadImage or ErrImageTooLarge for a file that cannot be used.
func (c BroadcastContent) WithImage(data []byte) (BroadcastContent, error) {
	img, err := NormalizeImage(data)
	if err != nil {
		return c, err
	}
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never returns an error
	ext := ".png"
	if img.ContentType == "image/jpeg" {
		ext = ".jpg"
	}
	c.Image, c.ImageName = img.Data, hex.EncodeToString(b[:])+ext
	return c, nil
}

// ValidBroadcastImageName reports whether name is shaped like a name
// WithImage gives: 32 hex digits, then ".jpg" or ".png".
func ValidBroadcastImageName(name string) bool {
	hash, ok := strings.CutSuffix(name, ".jpg")
	if !ok {
		if hash, ok = strings.CutSuffix(name, ".png"); !ok {
			return false
		}
	}
	if len(hash) != 32 {
		return false
	}
	_, err := hex.DecodeString(hash)
	return err == nil && strings.ToLower(hash) == hash
}

func utf16Len(s string) int {
	n := 0
	for _, r := range s {
		n += max(1, utf16.RuneLen(r))
	}
	return n
}

// ImageType is "image/png" or "image/jpeg" from the data's signature, else "".
func ImageType(b []byte) string {
	switch {
	case len(b) > 8 && string(b[:8]) == "\x89PNG\r\n\x1a\n":
		return "image/png"
	case len(b) > 3 && b[0] == 0xFF && b[1] == 0xD8 && b[2] == 0xFF:
		return "image/jpeg"
	}
	return ""
}

// BroadcastCounts are the recipients per outcome. Pending includes those in
// flight (Sending).
type BroadcastCounts struct {
	Total, Sent, Failed, Blocked, OptedOut, Skipped int
}

// Done is how many recipients have an outcome.
func (c BroadcastCounts) Done() int { return c.Sent + c.Failed + c.Blocked + c.OptedOut + c.Skipped }

// Pending is how many recipients still wait (or are in flight).
func (c BroadcastCounts) Pending() int { return c.Total - c.Done() }

// Broadcast is one message to the audience.
type Broadcast struct {
	ID      int64
	Content BroadcastContent
	// Channels restricts the audience; empty = every channel.
	Channels []string
	// Author is the seller ("tg:123"), AuthorChat the chat where progress
	// is shown (empty for the CLI).
	Author, AuthorChat string
	// ProgressMessage is the id of the progress message edited in place
	// (platforms with edits), once posted.
	ProgressMessage string
	Status          BroadcastStatus
	Counts          BroadcastCounts
	CreatedAt       time.Time
	StartedAt       time.Time
	FinishedAt      time.Time
}

// AuthorChannel is the channel part of Author ("tg" of "tg:123").
func (b Broadcast) AuthorChannel() string {
	ch, _, _ := strings.Cut(b.Author, ":")
	return ch
}

// NormalizeChannels checks a channel filter ("all", "tg", "telegram", …)
// and returns it as channel codes, nil for every channel.
func NormalizeChannels(names []string) ([]string, error) {
	var out []string
	for _, n := range names {
		switch strings.ToLower(strings.TrimSpace(n)) {
		case "all", "":
			return nil, nil
		case "tg", "telegram":
			n = "tg"
		case "wx", "wechat":
			n = "wx"
		case "web":
			n = "web"
		default:
			return nil, fmt.Errorf("channel %q (telegram, wechat, web or all): %w", n, ErrInvalid)
		}
		if !slices.Contains(out, n) {
			out = append(out, n)
		}
	}
	return out, nil
}

// BroadcastRecipient is one row of a broadcast's snapshot of the audience.
type BroadcastRecipient struct {
	ID          int64
	BroadcastID int64
	Channel     string
	ChatID      string
	UserID      string
	Lang        string
	Status      RecipientStatus
}

// RecipientOutcome is what happened to one claimed recipient. Reason is a
// short code for the seller ("outside_window", "http_400"), never a
// platform's error text.
type RecipientOutcome struct {
	RecipientID int64
	Status      RecipientStatus
	Reason      string
}

// BroadcastStarted: a broadcast's recipients were snapshotted and it is
// running; the fan-out job is enqueued in the same transaction.
type BroadcastStarted struct{ Broadcast Broadcast }

// EventName implements Event.
func (BroadcastStarted) EventName() string { return "broadcast_started" }

// ErrLeaseLost: another worker took over a broadcast (this one stalled past
// its lease); stop sending.
var ErrLeaseLost = errors.New("broadcast lease lost")

// AudienceStore keeps the audience.
type AudienceStore interface {
	// SeeChatUser records that u wrote: inserts a new user, or updates chat,
	// language and last seen and clears Blocked. OptedOut is kept.
	SeeChatUser(ctx context.Context, u ChatUser) error
	// ChatUser returns one user. ErrNotFound if absent.
	ChatUser(ctx context.Context, channel, userID string) (ChatUser, error)
	// SetOptOut sets a user's opt-out of broadcasts. ErrNotFound if absent.
	SetOptOut(ctx context.Context, channel, userID string, out bool) error
	// MarkBlocked sets Blocked of the user(s) whose chat is chatID.
	MarkBlocked(ctx context.Context, channel, chatID string, blocked bool) error
	// AudienceSize counts per channel the users a broadcast would reach now
	// (not opted out, not blocked).
	AudienceSize(ctx context.Context) (map[string]int, error)
}

// BroadcastStore keeps broadcasts and their recipients.
type BroadcastStore interface {
	// CreateBroadcast stores a draft (ID, CreatedAt and Status set here).
	CreateBroadcast(ctx context.Context, b Broadcast) (Broadcast, error)
	// Broadcast returns one broadcast with its counts (without the image
	// bytes; see BroadcastImage). ErrNotFound if absent.
	Broadcast(ctx context.Context, id int64) (Broadcast, error)
	// BroadcastImage returns the picture a broadcast carries under name
	// (BroadcastContent.ImageName). ErrNotFound if no broadcast has it.
	BroadcastImage(ctx context.Context, name string) ([]byte, error)
	// Broadcasts lists the newest broadcasts first, at most limit.
	Broadcasts(ctx context.Context, limit int) ([]Broadcast, error)
	// StartBroadcast turns a draft into a running broadcast: in one
	// transaction it snapshots the audience of its channels as recipients
	// (opted-out and blocked users recorded as such), sets the counts and
	// emits BroadcastStarted. ErrInvalidTransition unless it is a draft.
	StartBroadcast(ctx context.Context, id int64, at time.Time) (Broadcast, error)
	// CancelBroadcast stops a draft or running broadcast.
	// ErrInvalidTransition when it is already done or cancelled.
	CancelBroadcast(ctx context.Context, id int64, at time.Time) error
	// RunningBroadcasts lists the ids of running broadcasts.
	RunningBroadcasts(ctx context.Context) ([]int64, error)
	// AcquireBroadcast gives the fan-out of a running broadcast to owner
	// until `until`, when nobody else holds it at now (a lease, so a worker
	// that died is replaced once it expires). The recipients a previous
	// holder had in flight (sending) go back to pending in the same
	// transaction: they are the only ones sent twice. ok is false when
	// another live owner holds it or the broadcast is not running.
	AcquireBroadcast(ctx context.Context, id int64, owner string, now, until time.Time) (ok bool, err error)
	// RenewBroadcast extends owner's lease. ErrLeaseLost when owner no
	// longer holds it.
	RenewBroadcast(ctx context.Context, id int64, owner string, until time.Time) error
	// ReleaseBroadcast gives the lease up (shutdown).
	ReleaseBroadcast(ctx context.Context, id int64, owner string) error
	// ClaimRecipients moves up to limit pending recipients of channel to
	// sending, lowest id first, and returns them.
	ClaimRecipients(ctx context.Context, id int64, channel string, limit int) ([]BroadcastRecipient, error)
	// RecordOutcomes stores outcomes of recipients in sending state (others
	// are ignored; a recipient at most once per call), adds them to the broadcast's counts and marks blocked
	// recipients' users Blocked, in one transaction.
	RecordOutcomes(ctx context.Context, id int64, outcomes []RecipientOutcome, at time.Time) error
	// FinishBroadcast marks a running broadcast done when no recipient is
	// pending or sending; done reports whether it is (now) done.
	FinishBroadcast(ctx context.Context, id int64, at time.Time) (done bool, err error)
	// SetProgressMessage remembers the progress message's id.
	SetProgressMessage(ctx context.Context, id int64, messageID string) error
	// RecipientCounts counts a broadcast's recipients per status (checks and
	// the CLI; the counts on Broadcast are kept as outcomes are recorded).
	RecipientCounts(ctx context.Context, id int64) (map[RecipientStatus]int, error)
}

// OptOutWord reports whether text is one of the words that unsubscribe
// from broadcasts: stop, /stop, 退订, TD, стоп (any case, surrounding
// spaces and punctuation ignored).
func OptOutWord(text string) bool {
	t := strings.ToLower(strings.Trim(strings.TrimSpace(text), ".!。！ "))
	switch t {
	case "stop", "/stop", "退订", "td", "стоп", "/стоп", "unsubscribe":
		return true
	}
	return false
}
