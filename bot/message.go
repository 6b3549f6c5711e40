// Package bot is the platform-neutral conversation engine: messages in,
// replies out, sessions and flows in between. It talks to commerce and
// templates, never to a database or a chat API.
package bot

import "errors"

// Channels.
const (
	ChannelWeb      = "web"
	ChannelTelegram = "tg"
	ChannelWeChat   = "wx"
)

// Message is one incoming user event, already verified by its adapter.
type Message struct {
	Channel   string // "web", "tg", "wx"
	ChatID    string // where replies go
	UserID    string // who sent it
	FirstName string
	Text      string // typed text (commands included)
	Action    string // button payload; Text is ignored when set
	Lang      string // the platform's language hint (IETF tag), may be empty
	UpdateID  string // platform delivery id for de-duplication; empty = none
	Group     bool   // sent in a group chat
}

// Button is one choice offered to the user.
type Button struct {
	Text   string `json:"text"`
	Action string `json:"action,omitempty"` // ≤ 64 bytes, an action code, never trusted data
	URL    string `json:"url,omitempty"`
}

// Reply is one message to send back.
type Reply struct {
	Text    string     `json:"text"`
	Buttons [][]Button `json:"buttons,omitempty"`
	Image   string     `json:"image,omitempty"` // site-relative URL of a picture ("/img/…")
	// Edit asks platforms that can to edit the message whose button was
	// pressed instead of sending a new one (quantity steppers, paging).
	Edit bool `json:"edit,omitempty"`
}

// ErrDuplicate is returned by Router.Handle for an update seen before; the
// adapter acknowledges it and sends nothing.
var ErrDuplicate = errors.New("duplicate update")

// MaxActionLen is the longest button payload any platform accepts (Telegram's
// callback_data limit).
const MaxActionLen = 64
