package bot

import (
	"errors"
	"strings"

	"shopbot/commerce"
	"shopbot/templates"
)

// The chat side of group posts (see groupposts.go):
//
//	/post CODE [zh-CN|en|ru]   a seller posts drop CODE into this group or
//	                           channel (in the seller's language unless named)
//	j:<drop id>                "+1" on a group post
//
// In a channel the sender of a post is the channel itself, so Telegram
// reports the channel's id as the user: a channel is allowed to /post when
// SHOPBOT_ADMINS lists it ("tg:-100…"). Only a channel's admins can post in
// it, so listing the channel means "its admins". The same holds for a
// group's anonymous admins, who post as the group.

// VerbChainTap is "+1" on a group post: "j:<drop>".
const VerbChainTap Verb = "j"

// CmdPost posts a drop into the group or channel it is sent in.
const CmdPost Command = "/post"

type postsHandler struct {
	posts *GroupPosts
}

func (h *postsHandler) routes() routes {
	return routes{
		commands: map[Command]commandFunc{CmdPost: h.postDrop},
		actions:  map[Verb]actionFunc{VerbChainTap: h.chainTap},
	}
}

func (h *postsHandler) postDrop(t *turn, arg string) ([]Reply, error) {
	if !t.isAdmin() {
		if !t.m.Group {
			return t.help("help_unknown")
		}
		return say(t.text("gp_forbidden", nil)), nil
	}
	if !t.m.Group {
		return say(t.text("gp_in_group", nil)), nil
	}
	fields := strings.Fields(arg)
	if len(fields) == 0 || len(fields) > 2 || !commerce.ValidDropCode(strings.ToLower(fields[0])) {
		return say(t.text("gp_usage", nil)), nil
	}
	lang := t.lang
	if len(fields) == 2 {
		if lang = templates.Match(fields[1]); lang == "" {
			return say(t.text("gp_usage", nil)), nil
		}
	}
	gp := h.posts
	if !gp.Supports(t.m.Channel) {
		return say(t.text("gp_unavailable", nil)), nil
	}
	code := strings.ToLower(fields[0])
	_, err := gp.Publish(t.ctx, code, t.m.Channel, t.m.ChatID, lang)
	switch {
	case errors.Is(err, commerce.ErrNotFound):
		return say(t.text("gp_not_found", map[string]any{"Code": code})), nil
	case errors.Is(err, ErrGone):
		// The bot may not post here, so no answer could arrive either.
		t.r.o.Log.WarnContext(t.ctx, "drop post refused by the chat", "chat_id", t.m.ChatID, "err", err)
		return nil, nil
	case err != nil:
		return nil, err
	}
	return nil, nil // the post is the answer
}

// chainTap is "+1" on a group post. Whatever happens, the group gets no
// message: the member gets a toast, and a private message when a unit was
// reserved for them.
func (h *postsHandler) chainTap(t *turn, a args) ([]Reply, error) {
	gp := h.posts
	id, ok := parseID(strings.Join(a, ":"))
	if !ok {
		return t.toast("gp_toast_stale", nil), nil
	}
	out, err := gp.Take(t.ctx, id, t.m.Channel, t.m.ChatID, t.m.UserID, t.m.FirstName, t.lang)
	if err != nil {
		t.r.o.Log.ErrorContext(t.ctx, "chain tap failed", "drop_id", id, "chat_id", t.m.ChatID, "err", err)
		if out.Key == "" {
			return t.toast("error_internal", nil), nil
		}
	}
	replies := t.toast(out.Key, map[string]any{"Position": out.Position})
	if out.New && out.Drop.ID != 0 && t.m.Group {
		r := Reply{Private: true, Text: t.text("gp_private_taken", map[string]any{
			"Position": out.Position, "Title": out.Title, "Price": out.Drop.Price, "Expires": out.Expires})}
		if out.FinishURL != "" {
			r.Buttons = [][]Button{{{Text: t.text("gp_btn_finish", nil), URL: out.FinishURL}}}
		}
		replies = append(replies, r)
	}
	return replies, nil
}
