package bot

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"time"

	"shopbot/commerce"
	"shopbot/templates"
)

// Broadcasts: sellers (Options.Admins, private chat) send one message to
// the audience — every user who wrote to the bot in a private chat:
//
//	/broadcast → the text (or a photo with a caption; a last line
//	"button: Label | https://link" adds a link button) → a preview with
//	the recipients per channel → Send or Cancel.
//
// The fan-out runs as a durable job (package jobs); its progress message,
// edited in place, is rendered by BroadcastProgress. Anyone can leave
// broadcasts with "stop" (/stop, 退订, TD, стоп) and come back with
// /subscribe; order and pickup notices are not affected.

// Verbs of broadcasts.
const (
	VerbBroadcastSend    Verb = "bcs"
	VerbBroadcastDiscard Verb = "bcx"
	VerbBroadcastStop    Verb = "bcc"
)

// Commands of broadcasts.
const (
	CmdBroadcast   Command = "/broadcast"
	CmdStop        Command = "/stop"
	CmdUnsubscribe Command = "/unsubscribe"
	CmdSubscribe   Command = "/subscribe"
)

// BroadcastState is the broadcasts' part of the session.
type BroadcastState struct {
	// Seen is the day (unix days) the user was last recorded in the
	// audience; Draft a seller's broadcast in the wizard.
	Seen  int64          `json:"s,omitzero"`
	Draft BroadcastDraft `json:"d,omitzero"`
}

// BroadcastDraft is the seller's broadcast in the wizard.
type BroadcastDraft struct {
	ID int64 `json:"id,omitempty"` // the draft the preview's buttons act on
}

const stepBroadcastText Step = "bc_text"

type broadcastHandler struct {
	shop     *commerce.Shop
	audience commerce.AudienceStore
	store    commerce.BroadcastStore
}

func (h *broadcastHandler) routes() routes {
	optOut := func(out bool) commandFunc {
		return func(t *turn, _ string) ([]Reply, error) { return h.optOut(t, out) }
	}
	return routes{
		commands: map[Command]commandFunc{
			CmdBroadcast:   h.broadcastStart,
			CmdStop:        optOut(true),
			CmdUnsubscribe: optOut(true),
			CmdSubscribe:   optOut(false),
		},
		steps: map[Step]stepFunc{
			stepBroadcastText: func(t *turn, text string) ([]Reply, error) { return h.broadcastDraft(t, text, nil) },
		},
		actions: map[Verb]actionFunc{
			VerbBroadcastSend:    func(t *turn, a args) ([]Reply, error) { return h.broadcastDecide(t, a, true) },
			VerbBroadcastDiscard: func(t *turn, a args) ([]Reply, error) { return h.broadcastDecide(t, a, false) },
			VerbBroadcastStop:    h.broadcastCancelRunning,
		},
		photos: []inputFunc{func(t *turn, caption string) ([]Reply, bool, error) {
			if t.s.Step != stepBroadcastText || !h.broadcaster(t) {
				return nil, false, nil
			}
			r, err := h.broadcastDraft(t, caption, t.m.Photo)
			return r, true, err
		}},
		texts: []inputFunc{func(t *turn, text string) ([]Reply, bool, error) {
			if !commerce.OptOutWord(text) || t.m.Group {
				return nil, false, nil
			}
			r, err := h.optOut(t, true)
			return r, true, err
		}},
	}
}

// broadcaster: a seller in a private chat, with broadcasts on.
func (h *broadcastHandler) broadcaster(t *turn) bool {
	return h.store != nil && h.audience != nil && !t.m.Group && t.isAdmin()
}

func (h *broadcastHandler) broadcastStart(t *turn, arg string) ([]Reply, error) {
	if !h.broadcaster(t) {
		return t.help("help_unknown")
	}
	if arg != "" {
		return h.broadcastDraft(t, arg, nil)
	}
	t.s.Step = stepBroadcastText
	return say(t.text("bc_prompt", map[string]any{"Max": commerce.MaxBroadcastText}),
		[]Button{t.btn("btn_bc_cancel", VerbBroadcastDiscard.Of(0))}), nil
}

// parseBroadcastText splits off an optional last line
// "button: Label | https://link" (also "кнопка:", "按钮:").
func parseBroadcastText(text string) commerce.BroadcastContent {
	text = strings.TrimSpace(text)
	c := commerce.BroadcastContent{Text: text}
	i := strings.LastIndexByte(text, '\n')
	last := strings.TrimSpace(text[i+1:])
	for _, p := range []string{"button:", "кнопка:", "按钮:", "按钮："} {
		if len(last) < len(p) || !strings.EqualFold(last[:len(p)], p) {
			continue
		}
		label, link, ok := strings.Cut(last[len(p):], "|")
		if !ok || strings.TrimSpace(label+link) == "" {
			return c
		}
		c.ButtonText, c.ButtonURL = strings.TrimSpace(label), strings.TrimSpace(link)
		if i < 0 {
			c.Text = ""
		} else {
			c.Text = strings.TrimSpace(text[:i])
		}
		return c
	}
	return c
}

// broadcastDraft stores what the seller typed as a draft and previews it.
func (h *broadcastHandler) broadcastDraft(t *turn, text string, photo []byte) ([]Reply, error) {
	if !h.broadcaster(t) {
		t.s.Step = ""
		return t.help("help_unknown")
	}
	c := parseBroadcastText(text)
	if photo != nil && strings.TrimSpace(c.Text) == "" {
		return say(t.text("bc_caption_needed", nil), []Button{t.btn("btn_bc_cancel", VerbBroadcastDiscard.Of(0))}), nil
	}
	if photo != nil {
		// Re-encoded like a product photo: the seller's EXIF (GPS
		// included) never reaches the buyers.
		var err error
		if c, err = c.WithImage(photo); err != nil {
			ue, ok := ErrorText(err, InChat)
			if !ok {
				return nil, err
			}
			return say(t.text(ue.Key, map[string]any{"Max": commerce.MaxImagePixels / 1_000_000}),
				[]Button{t.btn("btn_bc_cancel", VerbBroadcastDiscard.Of(0))}), nil
		}
	}
	if err := c.Validate(); err != nil {
		return say(t.text("bc_invalid", map[string]any{"Max": commerce.MaxBroadcastText}),
			[]Button{t.btn("btn_bc_cancel", VerbBroadcastDiscard.Of(0))}), nil
	}
	b, err := h.store.CreateBroadcast(t.ctx, commerce.Broadcast{Content: c, Author: t.identity(),
		AuthorChat: t.m.ChatID, CreatedAt: h.shop.Now()})
	if err != nil {
		return nil, err
	}
	size, err := h.audience.AudienceSize(t.ctx)
	if err != nil {
		return nil, err
	}
	t.s.Step, t.s.Broadcast.Draft = "", BroadcastDraft{ID: b.ID}
	total := 0
	for _, n := range size {
		total += n
	}
	preview := t.r.BroadcastMessage(b, t.lang, "")
	replies := []Reply{preview}
	if len(photo) > 0 {
		replies[0].Image = "" // the seller has the photo already; the preview shows the words
	}
	data := map[string]any{"Telegram": t.num(size["tg"]), "WeChat": t.num(size["wx"]), "Web": t.num(size["web"]),
		"Total": t.num(total), "N": total, "Image": len(photo) > 0}
	if total == 0 {
		return append(replies, say(t.text("bc_no_audience", data), []Button{t.btn("btn_bc_cancel", VerbBroadcastDiscard.Of(b.ID))})...), nil
	}
	return append(replies, say(t.text("bc_preview", data),
		[]Button{t.btn("btn_bc_send", VerbBroadcastSend.Of(b.ID)), t.btn("btn_bc_cancel", VerbBroadcastDiscard.Of(b.ID))})...), nil
}

// broadcastDecide sends or drops the draft the preview showed.
func (h *broadcastHandler) broadcastDecide(t *turn, a args, send bool) ([]Reply, error) {
	id, ok := a.id(0)
	if !h.broadcaster(t) {
		return t.stale()
	}
	if !send && (a.str(0) == "0" || !ok) { // cancel before a draft exists
		t.s.Step, t.s.Broadcast.Draft = "", BroadcastDraft{}
		return say(t.text("bc_cancelled", nil)), nil
	}
	if !ok || id != t.s.Broadcast.Draft.ID {
		return t.stale()
	}
	t.s.Step, t.s.Broadcast.Draft = "", BroadcastDraft{}
	now := h.shop.Now()
	if !send {
		if err := h.store.CancelBroadcast(t.ctx, id, now); err != nil && !errors.Is(err, commerce.ErrInvalidTransition) {
			return nil, err
		}
		return say(t.text("bc_cancelled", nil)), nil
	}
	b, err := h.store.StartBroadcast(t.ctx, id, now)
	if errors.Is(err, commerce.ErrInvalidTransition) {
		return t.stale()
	}
	if err != nil {
		return nil, err
	}
	return say(t.text("bc_started", map[string]any{"ID": b.ID, "Total": t.num(b.Counts.Total), "N": b.Counts.Total})), nil
}

// broadcastCancelRunning stops a running broadcast from its progress message.
func (h *broadcastHandler) broadcastCancelRunning(t *turn, a args) ([]Reply, error) {
	id, ok := a.id(0)
	if !ok || len(a) != 1 || !h.broadcaster(t) {
		return t.stale()
	}
	err := h.store.CancelBroadcast(t.ctx, id, h.shop.Now())
	switch {
	case errors.Is(err, commerce.ErrInvalidTransition), errors.Is(err, commerce.ErrNotFound):
		return t.stale()
	case err != nil:
		return nil, err
	}
	return say(t.text("bc_cancelled", nil)), nil
}

// optOut sets the user's opt-out of broadcasts and confirms it.
func (h *broadcastHandler) optOut(t *turn, out bool) ([]Reply, error) {
	a := h.audience
	if a == nil || t.m.Group || t.m.UserID == "" {
		return t.help("help_unknown")
	}
	err := a.SetOptOut(t.ctx, t.m.Channel, t.m.UserID, out)
	if errors.Is(err, commerce.ErrNotFound) { // wrote before the audience was recorded
		if err = a.SeeChatUser(t.ctx, h.chatUser(t)); err == nil {
			err = a.SetOptOut(t.ctx, t.m.Channel, t.m.UserID, out)
		}
	}
	if err != nil {
		return nil, err
	}
	if out {
		return say(t.text("bc_opted_out", nil)), nil
	}
	return say(t.text("bc_subscribed", nil), t.menuRow()...), nil
}

func (h *broadcastHandler) chatUser(t *turn) commerce.ChatUser {
	return commerce.ChatUser{Channel: t.m.Channel, UserID: t.m.UserID, ChatID: t.m.ChatID, Lang: t.lang, LastSeen: h.shop.Now()}
}

// seen records the sender in the audience on the first message of a day
// (and on /start), so the hot path pays one upsert per user per day at
// most. A failure is logged, never shown: the message itself is handled.
func (r *Router) seen(ctx context.Context, s *Session, m Message) {
	if r.o.Audience == nil || m.Group || m.UserID == "" || m.ChatID == "" {
		return
	}
	now := r.o.Shop.Now()
	day := now.Unix() / 86400
	if s.Broadcast.Seen == day && !strings.HasPrefix(strings.TrimSpace(m.Text), "/start") {
		return
	}
	lang := s.Lang
	if lang == "" {
		lang = templates.Match(m.Lang)
	}
	u := commerce.ChatUser{Channel: m.Channel, UserID: m.UserID, ChatID: m.ChatID, Lang: lang, LastSeen: now}
	if err := r.o.Audience.SeeChatUser(ctx, u); err != nil {
		r.o.Log.WarnContext(ctx, "audience not recorded", "channel", m.Channel, "err", err)
		return
	}
	s.Broadcast.Seen = day
}

func formatCount(lang string, n int) string {
	s := strconv.Itoa(n)
	if n < 0 || len(s) <= 3 {
		return s
	}
	sep := ","
	if lang == "ru" {
		sep = "\u00a0"
	}
	var b strings.Builder
	for i, r := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteString(sep)
		}
		b.WriteRune(r)
	}
	return b.String()
}

// BroadcastMessage is b as a recipient whose language is lang sees it: the
// text, the opt-out footer, the link button, and image (a URL the
// platforms fetch; "" for none).
func (r *Router) BroadcastMessage(b commerce.Broadcast, lang, image string) Reply {
	lang = r.lang(lang)
	out := Reply{Text: strings.TrimSpace(b.Content.Text) + "\n\n" + r.o.Texts.Text(lang, "bc_footer", nil), Image: image}
	if b.Content.ButtonURL != "" {
		out.Buttons = [][]Button{{{Text: b.Content.ButtonText, URL: b.Content.ButtonURL}}}
	}
	return out
}

// BroadcastProgress is the seller's progress message for b in lang: one
// line of counts while it runs (with a button to stop it), a summary when
// final.
func (r *Router) BroadcastProgress(b commerce.Broadcast, lang string, final bool) Reply {
	lang = r.lang(lang)
	c := b.Counts
	data := map[string]any{"ID": b.ID, "Done": formatCount(lang, c.Done()), "Sent": formatCount(lang, c.Sent),
		"Total": formatCount(lang, c.Total), "Blocked": c.Blocked, "OptedOut": c.OptedOut, "Skipped": c.Skipped,
		"Failed": c.Failed, "Cancelled": b.Status == commerce.BroadcastCancelled, "Took": ""}
	if !final {
		return Reply{Text: r.o.Texts.Text(lang, "bc_progress", data),
			Buttons: [][]Button{{{Text: r.o.Texts.Text(lang, "btn_bc_stop", nil), Action: VerbBroadcastStop.Of(b.ID)}}}}
	}
	if !b.StartedAt.IsZero() && b.FinishedAt.After(b.StartedAt) {
		data["Took"] = b.FinishedAt.Sub(b.StartedAt).Round(time.Second).String()
	}
	return Reply{Text: r.o.Texts.Text(lang, "bc_done", data)}
}

// lang is a supported locale for a hint, else the default.
func (r *Router) lang(hint string) string {
	if l := templates.Match(hint); l != "" {
		return l
	}
	return templates.Default
}
