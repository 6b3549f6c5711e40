package telegram

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"sync"
	"time"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"
)

// Long polling: getUpdates in a loop, each batch dispatched per chat and
// confirmed only once what it started is done, so a burst waits at
// Telegram rather than in memory and a shutdown loses nothing unstarted.

// Poll receives updates by long polling until ctx ends, then returns nil
// (an error only when Telegram rejects the token). It deletes the webhook
// first.
//
// Each getUpdates batch (at most 100 updates) is processed to the end —
// every reply sent, however long the rate limiter makes it wait — before
// the next offset confirms it, so a burst is answered at the pace the
// limits allow while the rest of it waits at Telegram, not in memory.
//
// A typed message is routed only once its chat could take a message at
// once (see admit): a chat whose earlier replies still wait for the rate
// limiter (a busy group: 20 a minute) holds its next message back before
// the router sees it. When ctx ends, no more updates are started; those
// being processed get ProcessTimeout more to send their replies, which
// their chats were ready for. The offset confirmed at exit stops before
// the first update not started, so Telegram hands it (and anything after
// it) over again after a restart; an update after it that had been
// processed comes back too, and the router drops it as seen.
func (a *Adapter) Poll(ctx context.Context) error {
	if _, err := a.sender.Call(ctx, "deleteWebhook", tgbotapi.Params{}); err != nil {
		if ctx.Err() != nil {
			return nil
		}
		return err
	}
	work, stop := a.afterGrace(ctx)
	defer stop()
	offset, confirmed := 0, 0
	wait := time.Second
	for ctx.Err() == nil {
		updates, err := a.getUpdates(ctx, offset, max(1, int(a.o.PollTimeout/time.Second)))
		if err != nil {
			if ctx.Err() != nil {
				break
			}
			if code, _ := classify(err); code == 401 || code == 404 {
				return fmt.Errorf("telegram getUpdates: %w", err)
			}
			a.log.WarnContext(ctx, "telegram getUpdates failed", "err", err, "retry_in", wait)
			if a.o.Sleep(ctx, wait) != nil {
				break
			}
			wait = min(2*wait, 30*time.Second)
			continue
		}
		confirmed = offset // Telegram saw it: everything below is confirmed
		var again bool
		offset, again = a.dispatch(ctx, work, updates, offset)
		if again {
			// A payment not recorded comes back with the next batch: not
			// at once, the database is failing.
			if a.o.Sleep(ctx, wait) != nil {
				break
			}
			wait = min(2*wait, 30*time.Second)
			continue
		}
		wait = time.Second
	}
	if offset != confirmed {
		// Confirm what was processed so a restart does not fetch it again.
		cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		_, _ = a.getUpdates(cctx, offset, 0)
		cancel()
	}
	return nil
}

func (a *Adapter) getUpdates(ctx context.Context, offset, timeout int) ([]tgbotapi.Update, error) {
	rctx, cancel := context.WithTimeout(ctx, time.Duration(timeout)*time.Second+a.o.RequestTimeout)
	defer cancel()
	allowed, _ := json.Marshal(AllowedUpdates)
	params := tgbotapi.Params{"timeout": strconv.Itoa(timeout), "allowed_updates": string(allowed)}
	if offset != 0 {
		params["offset"] = strconv.Itoa(offset)
	}
	resp, err := a.api(rctx).MakeRequest("getUpdates", params)
	if err != nil {
		return nil, tokenScrubber(a.o.Token).scrub(err)
	}
	var updates []tgbotapi.Update
	if err := json.Unmarshal(resp.Result, &updates); err != nil {
		return nil, fmt.Errorf("getUpdates result: %w", err)
	}
	return updates, nil
}

// afterGrace is a context that ends ProcessTimeout after ctx does (or when
// stop is called): the time updates being processed at shutdown get to
// send their replies.
func (a *Adapter) afterGrace(ctx context.Context) (work context.Context, stop func()) {
	work, cancel := context.WithCancel(context.WithoutCancel(ctx))
	unregister := context.AfterFunc(ctx, func() {
		_ = a.o.Sleep(work, a.o.ProcessTimeout)
		cancel()
	})
	return work, func() {
		unregister()
		cancel()
	}
}

// dispatch processes a batch under ctx — each chat's updates in order,
// chats in parallel, each update once admitted (admit) — and returns the
// offset that confirms it: past its last update, or, when gate ends before
// every update was started, the first update not started (see Poll). A
// successful payment the router could not record counts as not started
// (again is true then), and its chat's later updates wait with it.
func (a *Adapter) dispatch(gate, ctx context.Context, updates []tgbotapi.Update, offset int) (next int, again bool) {
	byChat := map[int64][]*tgbotapi.Update{}
	var order []int64
	next = offset
	for i := range updates {
		k := chatOf(&updates[i])
		if _, ok := byChat[k]; !ok {
			order = append(order, k)
		}
		byChat[k] = append(byChat[k], &updates[i])
		next = max(next, updates[i].UpdateID+1)
	}
	var (
		wg         sync.WaitGroup
		mu         sync.Mutex
		notStarted = next
	)
	for _, k := range order {
		wg.Go(func() {
			for _, u := range byChat[k] {
				if a.admit(gate, u) != nil {
					mu.Lock()
					notStarted = min(notStarted, u.UpdateID)
					mu.Unlock()
					return
				}
				if a.process(ctx, u) {
					mu.Lock()
					notStarted, again = min(notStarted, u.UpdateID), true
					mu.Unlock()
					return
				}
			}
		})
	}
	wg.Wait()
	return notStarted, again
}

// admit waits until u may be routed: a typed message (or channel post)
// once its chat could take a reply at once (Sender.ready). A pressed
// button goes at once — its answer is not rate limited, Telegram wants it
// within seconds, and in groups it is mostly a toast — and so do updates
// that are answered with nothing. The error is ctx's.
func (a *Adapter) admit(ctx context.Context, u *tgbotapi.Update) error {
	if u.Message == nil && u.ChannelPost == nil {
		return ctx.Err()
	}
	return a.sender.ready(ctx, chatOf(u))
}

func chatOf(u *tgbotapi.Update) int64 {
	switch {
	case u.Message != nil && u.Message.Chat != nil:
		return u.Message.Chat.ID
	case u.ChannelPost != nil && u.ChannelPost.Chat != nil:
		return u.ChannelPost.Chat.ID
	case u.CallbackQuery != nil && u.CallbackQuery.Message != nil && u.CallbackQuery.Message.Chat != nil:
		return u.CallbackQuery.Message.Chat.ID
	case u.MyChatMember != nil:
		return u.MyChatMember.Chat.ID
	case u.PreCheckoutQuery != nil && u.PreCheckoutQuery.From != nil:
		return u.PreCheckoutQuery.From.ID // the buyer's private chat
	}
	return 0
}
