package telegram

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"time"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"
)

// ErrBlocked is returned for a chat that cannot be reached any more: the user
// blocked the bot, or the bot was removed from the group (HTTP 403). Such a
// send is not retried.
var ErrBlocked = errors.New("telegram: chat unreachable (bot blocked or removed)")

// Sender is the one way out to the Bot API, shared by replies and background
// jobs. Messages (sends and edits) wait for a slot of the rate limiter;
// every request is retried on 429 (after retry_after), 5xx and network
// errors (exponential backoff, bounded); 403 marks the chat unreachable.
// Final failures are logged without the token and counted. A Sender is safe
// for concurrent use.
type Sender struct {
	api     func(ctx context.Context) *tgbotapi.BotAPI
	lim     *limiter
	cfg     SendLimits
	now     func() time.Time
	sleep   func(ctx context.Context, d time.Duration) error
	log     *slog.Logger
	event   func(string)
	reach   func(ctx context.Context, chatID int64, reachable bool)
	scrub   func(error) error
	timeout time.Duration
	// logChat names a chat in logs (Adapter.logChat); nil: by its id.
	logChat func(int64) string
}

// chat is how logs name chatID (no user ids in logs).
func (s *Sender) chat(chatID int64) string {
	if s.logChat == nil {
		return "#?"
	}
	return s.logChat(chatID)
}

// call is one request as the Sender runs it.
type call struct {
	method string
	chatID int64
	// limited: a message to chatID that takes a rate-limiter slot.
	limited bool
	// tolerant: the caller handles 400 Bad Request itself (edit and photo
	// fallbacks), so it is neither logged nor counted as a failure here.
	tolerant bool
	do       func(api *tgbotapi.BotAPI) (*tgbotapi.APIResponse, error)
}

// Send sends a message (or edits one) in chatID and returns it. It waits for
// the rate limiter and retries as described on Sender. A blocked chat gives
// an error wrapping ErrBlocked.
func (s *Sender) Send(ctx context.Context, chatID int64, c tgbotapi.Chattable) (tgbotapi.Message, error) {
	resp, err := s.run(ctx, call{method: methodName(c), chatID: chatID, limited: true,
		do: func(api *tgbotapi.BotAPI) (*tgbotapi.APIResponse, error) { return api.Request(c) }})
	return decodeMessage(resp, err)
}

// Call makes any Bot API request with raw params (no rate limit slot, same
// retries). Use it for methods the library lacks fields for.
func (s *Sender) Call(ctx context.Context, method string, params tgbotapi.Params) (*tgbotapi.APIResponse, error) {
	return s.run(ctx, call{method: method,
		do: func(api *tgbotapi.BotAPI) (*tgbotapi.APIResponse, error) { return api.MakeRequest(method, params) }})
}

func decodeMessage(resp *tgbotapi.APIResponse, err error) (tgbotapi.Message, error) {
	var m tgbotapi.Message
	if err != nil {
		return m, err
	}
	// Edits of inline messages return true instead of a message; fine.
	_ = json.Unmarshal(resp.Result, &m)
	return m, nil
}

// methodName is the Bot API method of the configs we send (for logs).
func methodName(c tgbotapi.Chattable) string {
	switch c.(type) {
	case tgbotapi.MessageConfig:
		return "sendMessage"
	case tgbotapi.PhotoConfig:
		return "sendPhoto"
	case tgbotapi.EditMessageTextConfig:
		return "editMessageText"
	case tgbotapi.EditMessageCaptionConfig:
		return "editMessageCaption"
	case tgbotapi.CallbackConfig:
		return "answerCallbackQuery"
	}
	return fmt.Sprintf("%T", c)
}

func (s *Sender) run(ctx context.Context, c call) (*tgbotapi.APIResponse, error) {
	var attempts, floods int
	for {
		if c.limited {
			if err := s.wait(ctx, c.chatID); err != nil {
				return nil, s.fail(ctx, c, attempts, err)
			}
		}
		attempts++
		actx, cancel := context.WithTimeout(ctx, s.timeout)
		resp, err := c.do(s.api(actx))
		cancel()
		withCode(err, resp)
		if err == nil {
			s.event(EventSendOK)
			return resp, nil
		}
		// Classified before scrubbing: a scrubbed error (one that quoted
		// a token) no longer unwraps to Telegram's answer.
		code, retryAfter := classify(err)
		err = s.scrub(err)
		if ctx.Err() != nil {
			return nil, s.fail(ctx, c, attempts, ctx.Err())
		}
		switch {
		case code == 429:
			floods++
			s.event(EventRetry429)
			wait := max(time.Duration(retryAfter)*time.Second, time.Second)
			if floods > s.cfg.Max429 || wait > s.cfg.MaxRetryAfter {
				return nil, s.fail(ctx, c, attempts, err)
			}
			if c.chatID != 0 {
				s.lim.penalize(c.chatID, s.now().Add(wait))
			}
			if err := s.sleep(ctx, wait); err != nil {
				return nil, s.fail(ctx, c, attempts, err)
			}
			attempts-- // a flood wait is not a failed attempt
		case code == 403:
			s.event(EventBlocked)
			s.log.InfoContext(ctx, "telegram chat unreachable", "method", c.method, "chat", s.chat(c.chatID), "err", err)
			if c.chatID != 0 && s.reach != nil {
				s.reach(ctx, c.chatID, false)
			}
			return nil, fmt.Errorf("%w: %s: %v", ErrBlocked, c.method, err)
		case code >= 500 || code == 0: // 5xx, network error, unreadable answer
			if attempts >= s.cfg.MaxAttempts {
				return nil, s.fail(ctx, c, attempts, err)
			}
			s.event(EventRetry)
			if err := s.sleep(ctx, backoff(s.cfg.Backoff, attempts)); err != nil {
				return nil, s.fail(ctx, c, attempts, err)
			}
		case code == 400 && c.tolerant:
			return nil, fmt.Errorf("telegram %s: %w", c.method, err)
		default: // 400, 401, 404, …: retrying cannot help
			return nil, s.fail(ctx, c, attempts, err)
		}
	}
}

func backoff(base time.Duration, attempt int) time.Duration {
	d := base << (attempt - 1)
	if d > 30*time.Second || d <= 0 {
		d = 30 * time.Second
	}
	return d
}

// wait blocks until the limiter's slot for a message to chat. When ctx
// ends first the slot is given back: a waiter that gives up must not keep
// the schedule booked for the messages after it.
func (s *Sender) wait(ctx context.Context, chat int64) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	now := s.now()
	at := s.lim.reserve(now, chat)
	err := ctx.Err()
	if d := at.Sub(now); d > 0 && err == nil {
		err = s.sleep(ctx, d)
	}
	if err != nil {
		s.lim.release(chat, at)
	}
	return err
}

// ready waits until a message to chat could go out at once — its chat's
// and the global window have room — without booking anything, or until ctx
// ends (its error is returned then). An update is routed only when its
// chat is ready, so the wait for a busy chat happens while the update can
// still be handed over again (see Poll), not after the router took it.
func (s *Sender) ready(ctx context.Context, chat int64) error {
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		now := s.now()
		d := s.lim.next(now, chat).Sub(now)
		if d <= 0 {
			return nil
		}
		if err := s.sleep(ctx, d); err != nil {
			return err
		}
	}
}

func (s *Sender) fail(ctx context.Context, c call, attempts int, err error) error {
	s.event(EventSendFailed)
	s.log.WarnContext(ctx, "telegram request failed", "method", c.method, "chat", s.chat(c.chatID), "attempts", attempts, "err", err)
	return fmt.Errorf("telegram %s: %w", c.method, err)
}

// classify returns the HTTP-like code of a failed request (0 for network and
// decoding errors) and Telegram's retry_after in seconds.
func classify(err error) (code, retryAfter int) {
	var pe *tgbotapi.Error
	if errors.As(err, &pe) {
		return pe.Code, pe.RetryAfter
	}
	var ve tgbotapi.Error
	if errors.As(err, &ve) {
		return ve.Code, ve.RetryAfter
	}
	var se *statusError
	if errors.As(err, &se) {
		return se.Code, 0
	}
	return 0, 0
}

// withCode puts the answer's error_code into err when the library left it
// out (its multipart uploads do), so that classify sees a 400 or 429.
func withCode(err error, resp *tgbotapi.APIResponse) {
	var pe *tgbotapi.Error
	if err != nil && resp != nil && errors.As(err, &pe) && pe.Code == 0 {
		pe.Code = resp.ErrorCode
	}
}

// apiDescription is Telegram's description of a failed request, or "".
func apiDescription(err error) string {
	var pe *tgbotapi.Error
	if errors.As(err, &pe) {
		return pe.Message
	}
	var ve tgbotapi.Error
	if errors.As(err, &ve) {
		return ve.Message
	}
	return ""
}

// sleepCtx sleeps for d or until ctx ends.
func sleepCtx(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
