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
	// A shared location (Telegram location, WeChat location message): the
	// reply lists the nearest pickup points. Lat and Lon are in degrees and
	// only meaningful when HasLocation is set.
	Lat, Lon    float64
	HasLocation bool
	// Photo is a picture the user sent (PNG or JPEG as downloaded by the
	// adapter, at most MaxPhotoBytes); Text then holds its caption, if
	// any. Staff send photos of a buyer's pickup QR (Options.DecodeQR);
	// everyone else is told photos are not needed.
	Photo []byte
	// ReplyTo is the platform's id of the bot's message this one replies
	// to (Telegram's reply_to_message), "" for none. A seller's reply to
	// a question the shop passed on answers that question.
	ReplyTo string
	// PreCheckout is a Telegram pre_checkout_query: the buyer is about to
	// pay an invoice the shop sent. The adapter asks
	// Router.PreCheckout and answers within 10 s; it is not handled as a
	// message.
	PreCheckout *PreCheckout
	// Paid is a Telegram successful_payment: money moved for an invoice.
	// It is handled as a message (recorded once, keyed by its charge id;
	// the buyer gets the receipt).
	Paid *ProviderPaid
}

// PreCheckout is a buyer's last step before paying an invoice.
type PreCheckout struct {
	ID       string // the query id the answer names
	Payload  string // the invoice's payload: the attempt's out_trade_no
	Currency string
	Total    int64 // in minor units
}

// ProviderPaid is a payment a platform reports (Telegram's successful_payment).
type ProviderPaid struct {
	Payload          string // the invoice's payload: the attempt's out_trade_no
	Currency         string
	Total            int64  // in minor units
	ChargeID         string // telegram_payment_charge_id: the key it is recorded once by
	ProviderChargeID string // provider_payment_charge_id: what the seller refunds at the provider
}

// Invoice is a payment request a platform shows natively (Telegram
// Payments: sendInvoice with the provider token).
type Invoice struct {
	Title       string         `json:"title"`       // 1–32 characters
	Description string         `json:"description"` // 1–255 characters
	Payload     string         `json:"payload"`     // the attempt's out_trade_no (1–128 bytes)
	Currency    string         `json:"currency"`
	Prices      []InvoicePrice `json:"prices"`
}

// InvoicePrice is one line of an invoice, in minor units.
type InvoicePrice struct {
	Label  string `json:"label"`
	Amount int64  `json:"amount"`
}

// MaxPhotoBytes is the largest Message.Photo adapters download.
const MaxPhotoBytes = 10 << 20

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
	// AskPhone asks platforms that can (Telegram's request_contact keyboard)
	// to offer sharing the user's own phone number as the answer.
	AskPhone bool `json:"ask_phone,omitempty"`
	// Toast answers a button press with a short notification instead of a
	// message (Telegram's answerCallbackQuery text, up to 200 characters).
	// A reply with a Toast and no Text sends no message. The router gives
	// toasts only to button presses in groups, which only Telegram has.
	Toast string `json:"toast,omitempty"`
	// Private sends the reply to the sender's private chat with the bot
	// instead of the group the message came from, where the platform can
	// (Telegram: only to users who started the bot; otherwise it is
	// dropped quietly). In a private chat it changes nothing.
	Private bool `json:"private,omitempty"`
	// Conversation is the buyer's question this message passes on to a
	// seller (NoticeQuestion): a platform where one replies to a message
	// (Telegram) has the id of each message sent for it remembered
	// (commerce.Questions.Remember), so that the seller's reply to it
	// answers the buyer. 0 for every other message.
	Conversation int64 `json:"conversation,omitempty"`
	// Invoice sends a native invoice (Telegram Payments) with the text
	// sent before it, where the platform has them; others ignore it.
	Invoice *Invoice `json:"invoice,omitempty"`
}

// Notice is something the shop tells a user unprompted: an order arrived, a
// pickup reminder, a missed slot. Jobs build it from domain events;
// Router.RenderNotice turns it into replies in the user's language, and the
// channel's sender delivers them to ChatID.
type Notice struct {
	Kind      string `json:"kind"` // one of the Notice… constants
	Channel   string `json:"channel"`
	ChatID    string `json:"chat_id"`
	UserID    string `json:"user_id"`
	Lang      string `json:"lang,omitempty"`
	OrderID   int64  `json:"order_id,omitempty"`
	BookingID int64  `json:"booking_id,omitempty"`
	ReturnID  int64  `json:"return_id,omitempty"`
	// Drop notices (NoticeDrop…) name the drop and, for an offer, the
	// reservation held for the buyer.
	DropID        int64 `json:"drop_id,omitempty"`
	ReservationID int64 `json:"reservation_id,omitempty"`
	// PointID names the pickup point of a NoticeStaffFlood.
	PointID int64 `json:"point_id,omitempty"`
	// ConversationID and MessageID name a buyer's question and one of its
	// messages (NoticeQuestion, NoticeAnswer).
	ConversationID int64 `json:"conversation_id,omitempty"`
	MessageID      int64 `json:"message_id,omitempty"`
	// Orders are the ids of the orders of a NoticeNewOrders, oldest
	// first, separated by commas (OrderList; a string keeps Notice
	// comparable).
	Orders string `json:"orders,omitempty"`
	// NoteID names the seller's note of a NoticeOrderNote.
	NoteID int64 `json:"note_id,omitempty"`
	// ProductID names the product of a NoticeRestocked.
	ProductID int64 `json:"product_id,omitempty"`
	// AttemptID and RefundID name the payment attempt and the refund of
	// the payment notices (NoticePaid, NoticeRefund, NoticePaymentAlert),
	// which name their OrderID too (the attempt or refund is looked up
	// among the order's).
	AttemptID int64 `json:"attempt_id,omitempty"`
	RefundID  int64 `json:"refund_id,omitempty"`
}

// Notice kinds.
const (
	NoticeArrived      = "arrived"       // order ready for pickup: book a slot
	NoticeBooked       = "booked"        // slot booked or moved: time, address, code
	NoticeReminderDay  = "reminder_day"  // the day before the slot
	NoticeReminderHour = "reminder_hour" // an hour before the slot
	NoticeMissed       = "missed"        // slot missed and released: rebook
	NoticeCollected    = "collected"     // handed over: thanks, how to return
	NoticeCodeReissued = "code_reissued" // a new pickup code
	NoticeReturn       = "return"        // a return/exchange/repair changed status
	NoticeHoldExpired  = "hold_expired"  // to the seller: not collected within the hold period
	NoticeStaffFlood   = "staff_flood"   // to the seller: many wrong pickup codes at a point
	NoticeDropStarted  = "drop_started"  // to a subscriber: the drop is on sale
	NoticeDropOffer    = "drop_offer"    // to a waitlisted buyer: a unit is held for them
	// NoticeOrderCancelled tells a buyer that a seller cancelled their
	// order, with the seller's reason.
	NoticeOrderCancelled = "order_cancelled"
	// NoticeQuestion passes a buyer's message on to a seller; NoticeAnswer
	// brings a seller's answer to the buyer, in the chat they asked from.
	NoticeQuestion = "question"
	NoticeAnswer   = "answer"
	// NoticeNewOrders tells a seller of new orders: one (the order) or
	// several placed within a minute (a summary).
	NoticeNewOrders = "new_orders"
	// NoticeOrderNote gives a buyer a seller's note about their order.
	NoticeOrderNote = "order_note"
	// NoticePaid is the buyer's receipt of an order paid online (items,
	// amounts, method, the last digits of the transaction id).
	NoticePaid = "paid"
	// NoticeRefund tells a buyer about a refund: made, or (a late
	// payment) on its way back.
	NoticeRefund = "refund"
	// NoticePaymentAlert tells a seller what needs a person: a payment of
	// the wrong amount, a Telegram payment for a cancelled order (refund
	// it at the provider), a refund the provider refused, a manual refund
	// to make.
	NoticePaymentAlert = "payment_alert"
)

// ErrDuplicate is returned by Router.Handle for an update seen before; the
// adapter acknowledges it and sends nothing.
var ErrDuplicate = errors.New("duplicate update")

// ErrSlowDown is returned by Router.Handle for a message over its sender's
// limit (Options.Limiter): it was not handled. The replies are the "slow
// down" answer for the first such message of a flood, and none for the
// others; the adapter sends them and acknowledges the update (a flood is
// not redelivered).
var ErrSlowDown = errors.New("over the message limit")

// MaxActionLen is the longest button payload any platform accepts (Telegram's
// callback_data limit).
const MaxActionLen = 64
