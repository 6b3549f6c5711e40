package commerce

import (
	"context"
	"fmt"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Questions from buyers to the sellers. A buyer's message the catalog
// search could not answer (or any, with /human) opens a conversation, or
// continues the buyer's recent one; every seller is told (QuestionAsked),
// and a seller's answer (from the chat, /reply or the console) goes back to
// the buyer's chat (QuestionAnswered). Conversations are stored with the
// buyer's identity, chat and language, and every message with its
// direction and time.

// ConversationStatus is where a conversation stands.
type ConversationStatus string

// Conversation statuses.
const (
	// ConversationOpen: the buyer's last message awaits an answer.
	ConversationOpen ConversationStatus = "open"
	// ConversationAnswered: a seller answered the buyer's last message.
	ConversationAnswered ConversationStatus = "answered"
)

// Direction says who wrote a conversation message.
type Direction string

// Directions of conversation messages.
const (
	DirectionIn  Direction = "in"  // from the buyer
	DirectionOut Direction = "out" // from a seller
)

// Limits of questions.
const (
	// MaxQuestionLen is the longest message, in characters; longer ones are cut.
	MaxQuestionLen = 1000
	// WeChatWindow is how long after the buyer's last message WeChat lets
	// the shop answer with a customer-service message.
	WeChatWindow = 48 * time.Hour
	// ConversationReuse: a buyer's question within this time of their
	// conversation's last activity continues it rather than opening another.
	ConversationReuse = 24 * time.Hour
)

// Conversation is one buyer's thread with the sellers.
type Conversation struct {
	ID          int64
	Buyer       Buyer
	ChatID      string // where answers go
	BuyerName   string // as the platform named the buyer ("" when unknown)
	Lang        string
	Status      ConversationStatus
	CreatedAt   time.Time
	UpdatedAt   time.Time
	LastBuyerAt time.Time
	// Messages, oldest first: filled by QuestionStore.Conversation only.
	Messages []ConversationMessage
}

// ConversationMessage is one message of a conversation.
type ConversationMessage struct {
	ID             int64
	ConversationID int64
	Direction      Direction
	Author         string // a seller's identity ("tg:123", "console"); "" for the buyer
	Body           string
	At             time.Time
}

// QuestionLimits bound what one buyer sends the sellers.
type QuestionLimits struct {
	// NewPerDay is how many conversations a buyer may open in 24 hours.
	NewPerDay int
	// PerHour is how many messages a buyer may send the sellers in an hour.
	PerHour int
}

// DefaultQuestionLimits are the limits when none are configured.
var DefaultQuestionLimits = QuestionLimits{NewPerDay: 5, PerHour: 20}

// Question is a buyer's message to the sellers, as the store records it.
type Question struct {
	Buyer  Buyer
	ChatID string
	Name   string
	Lang   string
	Text   string
	At     time.Time
	// Conversation, when not 0, is the conversation to continue: when it
	// is not the buyer's, a new one is opened. 0 continues the buyer's
	// latest conversation active since At − ConversationReuse, else opens
	// a new one.
	Conversation int64
	Limits       QuestionLimits
}

// Answer is a seller's answer, as the store records it.
type Answer struct {
	Conversation int64
	By           string // the seller's identity, or "console"
	Text         string
	At           time.Time
}

// ConversationRef ties a message the shop sent in a chat to a
// conversation, so that a seller's reply to that message answers it.
type ConversationRef struct {
	Channel, ChatID, MessageID string
	Conversation               int64
	At                         time.Time
}

// QuestionAsked: a buyer's message reached the sellers (emitted in the
// transaction that stored it): tell every seller.
type QuestionAsked struct {
	Conversation Conversation
	Message      ConversationMessage
	New          bool // the message opened the conversation
}

// EventName implements Event.
func (QuestionAsked) EventName() string { return "question_asked" }

// QuestionAnswered: a seller answered (emitted in the transaction that
// stored the answer): tell the buyer, in their chat.
type QuestionAnswered struct {
	Conversation Conversation
	Message      ConversationMessage
}

// EventName implements Event.
func (QuestionAnswered) EventName() string { return "question_answered" }

// QuestionStore keeps conversations between buyers and sellers.
type QuestionStore interface {
	// AskQuestion, in one transaction with the buyer's lock: refuses with
	// ErrTooManyQuestions when q.Limits would be passed (messages from
	// q.Buyer in the hour before q.At; conversations opened in the 24
	// hours before it, when a new one is needed), appends q.Text to the
	// buyer's conversation (see Question.Conversation) or opens one, marks
	// it open with the buyer's last message at q.At, and emits
	// QuestionAsked.
	AskQuestion(ctx context.Context, q Question) (Conversation, ConversationMessage, error)
	// AnswerQuestion, in one transaction: appends a seller's message to
	// the conversation, marks it answered and emits QuestionAnswered.
	// ErrNotFound for an unknown conversation.
	AnswerQuestion(ctx context.Context, a Answer) (Conversation, ConversationMessage, error)
	// Conversation returns a conversation with its messages. ErrNotFound if absent.
	Conversation(ctx context.Context, id int64) (Conversation, error)
	// Conversations lists conversations in a status ("" any), the most
	// recently active first, without their messages.
	Conversations(ctx context.Context, status ConversationStatus, limit int) ([]Conversation, error)
	// RememberConversationRef records which conversation a sent message
	// belongs to (a second record of the same message is ignored).
	RememberConversationRef(ctx context.Context, r ConversationRef) error
	// ConversationByRef returns the conversation a sent message belongs
	// to. ErrNotFound when it belongs to none.
	ConversationByRef(ctx context.Context, channel, chatID, messageID string) (int64, error)
	// TouchConversation moves the last message of the buyer b in
	// conversation id to at, when it is b's and at is later (a message of
	// the buyer outside the conversation reopens WeChat's window too).
	TouchConversation(ctx context.Context, id int64, b Buyer, at time.Time) error
}

// NormalizeQuestion trims a message, cuts it to MaxQuestionLen characters
// and refuses an empty one or one with control characters (line breaks
// and tabs allowed) with ErrInvalid.
func NormalizeQuestion(s string) (string, error) {
	s = strings.TrimSpace(strings.ToValidUTF8(s, "\uFFFD"))
	s = ClipQuestion(s)
	if s == "" {
		return "", fmt.Errorf("empty message: %w", ErrInvalid)
	}
	for _, r := range s {
		if r != '\n' && r != '\t' && !unicode.IsPrint(r) {
			return "", fmt.Errorf("message: control character: %w", ErrInvalid)
		}
	}
	return s, nil
}

// ClipQuestion cuts s to MaxQuestionLen characters.
func ClipQuestion(s string) string {
	if utf8.RuneCountInString(s) > MaxQuestionLen {
		s = strings.TrimSpace(string([]rune(s)[:MaxQuestionLen]))
	}
	return s
}

// QuestionsOptions configures Questions.
type QuestionsOptions struct {
	Store  QuestionStore
	Clock  Clock
	Limits QuestionLimits // zero fields: DefaultQuestionLimits
}

// Questions is the sellers' inbox of buyers' questions.
type Questions struct {
	store  QuestionStore
	clock  Clock
	limits QuestionLimits
}

// NewQuestions builds the service with defaults filled in.
func NewQuestions(o QuestionsOptions) *Questions {
	if o.Clock == nil {
		o.Clock = SystemClock
	}
	if o.Limits.NewPerDay <= 0 {
		o.Limits.NewPerDay = DefaultQuestionLimits.NewPerDay
	}
	if o.Limits.PerHour <= 0 {
		o.Limits.PerHour = DefaultQuestionLimits.PerHour
	}
	return &Questions{store: o.Store, clock: o.Clock, limits: o.Limits}
}

// Now is the service's clock.
func (q *Questions) Now() time.Time { return q.clock.Now() }

// Asker is the buyer asking: who, in which chat, by which name and language.
type Asker struct {
	Buyer  Buyer
	ChatID string
	Name   string
	Lang   string
}

// Ask sends a buyer's message to the sellers, continuing conversation
// conv when it is the buyer's (0: their recent one, or a new one).
// ErrInvalid for an empty message, ErrTooManyQuestions over the limits.
func (q *Questions) Ask(ctx context.Context, who Asker, text string, conv int64) (Conversation, ConversationMessage, error) {
	text, err := NormalizeQuestion(text)
	if err != nil {
		return Conversation{}, ConversationMessage{}, err
	}
	if who.Buyer.Channel == "" || who.Buyer.UserID == "" || who.ChatID == "" {
		return Conversation{}, ConversationMessage{}, fmt.Errorf("question without a buyer: %w", ErrInvalid)
	}
	name := ClipName(who.Name)
	return q.store.AskQuestion(ctx, Question{Buyer: who.Buyer, ChatID: who.ChatID, Name: name, Lang: who.Lang,
		Text: text, At: q.clock.Now(), Conversation: conv, Limits: q.limits})
}

// ClipName keeps at most 64 characters of a buyer's display name.
func ClipName(s string) string {
	s = strings.TrimSpace(strings.ToValidUTF8(s, ""))
	if utf8.RuneCountInString(s) > 64 {
		s = string([]rune(s)[:64])
	}
	return s
}

// Answer sends a seller's answer (by: "tg:123", "console") to the buyer of
// conversation id. ErrNotFound for an unknown conversation, ErrInvalid for
// an empty answer, ErrOutsideWindow for a WeChat buyer whose last message
// is WeChatWindow old or older (nothing is stored: it could not be sent).
func (q *Questions) Answer(ctx context.Context, id int64, by, text string) (Conversation, ConversationMessage, error) {
	text, err := NormalizeQuestion(text)
	if err != nil {
		return Conversation{}, ConversationMessage{}, err
	}
	c, err := q.store.Conversation(ctx, id)
	if err != nil {
		return Conversation{}, ConversationMessage{}, err
	}
	now := q.clock.Now()
	if !Deliverable(c, now) {
		return c, ConversationMessage{}, fmt.Errorf("conversation %d: buyer's last message at %s: %w", id, c.LastBuyerAt.UTC().Format(time.RFC3339), ErrOutsideWindow)
	}
	return q.store.AnswerQuestion(ctx, Answer{Conversation: id, By: by, Text: text, At: now})
}

// Deliverable reports whether an answer to c can reach its buyer at now:
// always, except on WeChat after WeChatWindow since the buyer's last
// message (LastBuyerAt: their last in the conversation, or a later one
// recorded by Touch).
func Deliverable(c Conversation, now time.Time) bool {
	return c.Buyer.Channel != "wx" || now.Sub(c.LastBuyerAt) < WeChatWindow
}

// Open lists the conversations awaiting an answer, the most recently
// active first (at most limit; 0: 50).
func (q *Questions) Open(ctx context.Context, limit int) ([]Conversation, error) {
	if limit <= 0 {
		limit = 50
	}
	return q.store.Conversations(ctx, ConversationOpen, limit)
}

// Recent lists conversations in any status, the most recently active first.
func (q *Questions) Recent(ctx context.Context, limit int) ([]Conversation, error) {
	if limit <= 0 {
		limit = 50
	}
	return q.store.Conversations(ctx, "", limit)
}

// Conversation returns a conversation with its messages. ErrNotFound if absent.
func (q *Questions) Conversation(ctx context.Context, id int64) (Conversation, error) {
	return q.store.Conversation(ctx, id)
}

// Remember records that the message messageID sent to chatID on channel
// belongs to conversation id.
func (q *Questions) Remember(ctx context.Context, channel, chatID, messageID string, id int64) error {
	return q.store.RememberConversationRef(ctx, ConversationRef{Channel: channel, ChatID: chatID, MessageID: messageID,
		Conversation: id, At: q.clock.Now()})
}

// Touch records that buyer b wrote to the shop (any message) now: answers
// in conversation id count WeChat's window from it.
func (q *Questions) Touch(ctx context.Context, id int64, b Buyer) error {
	return q.store.TouchConversation(ctx, id, b, q.clock.Now())
}

// ByRef returns the conversation a sent message belongs to. ErrNotFound when none.
func (q *Questions) ByRef(ctx context.Context, channel, chatID, messageID string) (int64, error) {
	return q.store.ConversationByRef(ctx, channel, chatID, messageID)
}
