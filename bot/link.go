package bot

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"time"

	"shopbot/commerce"
)

// Linking one buyer's chats: /link in one chat gives a one-time code (and
// links that open the web chat or Telegram with it); /link CODE in another
// chat, confirmed there, makes the two chats one person, whose orders,
// drop limits, waitlists and notices they share. Seller and staff rights
// stay with each chat's own identity. /unlink (or a button) takes a chat
// out again, each order staying with the chat that placed it. The person
// chooses which chat gets notices (else the one used last). The feature is
// on with Options.Persons; LinkState is its part of the session.
//
//	/link [CODE]       this chat's links and a new code; with a code, link to its chat
//	/unlink            take this chat out of its person
//	link_<CODE>        (deep link) as /link CODE: the web chat or Telegram opened from a code
//	lk                 a new code
//	lke                type a code
//	lky:<nonce>        confirm the link offered
//	lkn                don't link
//	lku:<tag>          ask before unlinking the identity with tag
//	lkuy:<tag>         unlink it
//	lkt:<tag>          notices go to the identity with tag ("-": the chat used last)

// Verbs of linking.
const (
	VerbLinkNew       Verb = "lk"
	VerbLinkEnter     Verb = "lke"
	VerbLinkConfirm   Verb = "lky"
	VerbLinkCancel    Verb = "lkn"
	VerbUnlinkAsk     Verb = "lku"
	VerbUnlinkConfirm Verb = "lkuy"
	VerbNoticeTo      Verb = "lkt"
)

// Commands of linking.
const (
	CmdLink   Command = "/link"
	CmdUnlink Command = "/unlink"
)

// LinkLink opens the chat with a link code: link_<CODE>.
const LinkLink DeepLink = "link"

// stepLinkCode awaits a typed link code.
const stepLinkCode Step = "lk_code"

// lastUsed is the tag of "the chat used last" among the notice choices.
const lastUsed = "-"

// LinkState is linking's part of the session.
type LinkState struct {
	// Offer is a link a code offered, waiting for this chat's
	// confirmation: the identity that asked for the code.
	Offer LinkOffer `json:"o,omitzero"`
	// Seen is when (unix seconds) this chat's use was last recorded for
	// "notices go to the chat used last".
	Seen int64 `json:"s,omitzero"`
}

// LinkOffer is a redeemed code awaiting confirmation until Until (unix seconds).
type LinkOffer struct {
	With  commerce.Identity `json:"w,omitempty"`
	Nonce string            `json:"n,omitempty"`
	Until int64             `json:"u,omitempty"`
}

// LinkPages are the ways to use a link code in another chat, each "" when
// off: the web chat page and the Telegram bot opened with the code, and
// the site path of a QR code of one of them (for a phone's camera).
type LinkPages struct {
	Web, Telegram, QR string
}

// seenEvery bounds how often a chat's use is recorded: "the chat used
// last" is true to about this much.
const seenEvery = time.Minute

type linkHandler struct {
	persons *commerce.Persons
	pages   func(code string) LinkPages // nil: no pages
}

func (h *linkHandler) routes() routes {
	tagged := func(f func(t *turn, tag string) ([]Reply, error)) actionFunc {
		return func(t *turn, a args) ([]Reply, error) {
			if len(a) != 1 || a.str(0) == "" || len(a.str(0)) > 16 {
				return t.stale()
			}
			return f(t, a.str(0))
		}
	}
	return routes{
		commands: map[Command]commandFunc{
			CmdLink: func(t *turn, arg string) ([]Reply, error) {
				if arg != "" {
					return h.redeem(t, arg)
				}
				return h.show(t)
			},
			CmdUnlink: func(t *turn, _ string) ([]Reply, error) { return h.askUnlink(t, identityTag(t.identity())) },
		},
		links: map[DeepLink]linkFunc{
			LinkLink: func(t *turn, rest string) ([]Reply, bool, error) {
				r, err := h.redeem(t, rest)
				return r, true, err
			},
		},
		actions: map[Verb]actionFunc{
			VerbLinkNew: func(t *turn, _ args) ([]Reply, error) { return h.show(t) },
			VerbLinkEnter: func(t *turn, _ args) ([]Reply, error) {
				if t.m.Group {
					return t.stale()
				}
				t.s.setStep(stepLinkCode)
				return say(t.text("link_enter", nil), []Button{t.btn("btn_link_cancel", VerbLinkCancel.Of())}), nil
			},
			VerbLinkConfirm: func(t *turn, a args) ([]Reply, error) {
				if len(a) != 1 || a.str(0) == "" {
					return t.stale()
				}
				return h.confirm(t, a.str(0))
			},
			VerbLinkCancel: func(t *turn, _ args) ([]Reply, error) {
				t.s.Link.Offer = LinkOffer{}
				t.s.leaveStep(stepLinkCode)
				return say(t.text("link_cancelled", nil), t.mainMenu()...), nil
			},
			VerbUnlinkAsk:     tagged(h.askUnlink),
			VerbUnlinkConfirm: tagged(h.unlink),
			VerbNoticeTo:      tagged(h.noticeTo),
		},
		steps: map[Step]stepFunc{
			stepLinkCode: func(t *turn, text string) ([]Reply, error) {
				t.s.leaveStep(stepLinkCode)
				return h.redeem(t, text)
			},
		},
	}
}

// identityTag names an identity in a button: short, and no ":" inside.
func identityTag(id string) string {
	sum := sha256.Sum256([]byte(id))
	return hex.EncodeToString(sum[:5])
}

// label is how an identity is shown: its chat app and the end of its id.
func (h *linkHandler) label(t *turn, id commerce.Identity) string {
	b := id.Buyer()
	tail := []rune(b.UserID)
	if len(tail) > 4 {
		tail = tail[len(tail)-4:]
	}
	key := "link_channel_" + b.Channel
	if !t.r.o.Texts.Has(key) {
		key = "link_channel_other"
	}
	return t.text("link_identity", map[string]any{"Channel": t.text(key, nil), "Tail": string(tail),
		"This": id == commerce.Identity(t.identity())})
}

// show answers /link: a new code for this chat, with the chats linked
// already and where notices go.
func (h *linkHandler) show(t *turn) ([]Reply, error) {
	if t.m.Group {
		return say(t.text("link_private", nil)), nil
	}
	me := commerce.Identity(t.identity())
	c, err := h.persons.NewLinkCode(t.ctx, me)
	if err != nil {
		return nil, err
	}
	p, err := h.persons.Person(t.ctx, me)
	if err != nil {
		return nil, err
	}
	data := map[string]any{"Code": c.Display(), "Minutes": int(h.persons.CodeTTL() / time.Minute), "Linked": p.Linked()}
	var others []string
	var rows [][]Button
	if p.Linked() {
		for _, pi := range p.Identities {
			others = append(others, h.label(t, pi.Identity))
		}
		rows = append(rows, h.noticeRow(t, p)...)
		for _, pi := range p.Identities {
			rows = append(rows, []Button{{Text: t.text("btn_unlink", map[string]any{"Other": h.label(t, pi.Identity)}),
				Action: VerbUnlinkAsk.Of(identityTag(string(pi.Identity)))}})
		}
	}
	data["Chats"] = others
	reply := Reply{Text: t.text("link_code", data)}
	var open []Button
	if h.pages != nil {
		pages := h.pages(c.Code)
		if pages.Web != "" && t.m.Channel != ChannelWeb {
			open = append(open, Button{Text: t.text("btn_link_web", nil), URL: pages.Web})
		}
		if pages.Telegram != "" && t.m.Channel != ChannelTelegram {
			open = append(open, Button{Text: t.text("btn_link_telegram", nil), URL: pages.Telegram})
		}
		// A QR code is for a phone's camera: shown where a chat is read on
		// a bigger screen, the web page.
		if pages.QR != "" && t.m.Channel == ChannelWeb {
			reply.Image = pages.QR
		}
	}
	if len(open) > 0 {
		rows = append([][]Button{open}, rows...)
	}
	rows = append(rows, []Button{t.btn("btn_link_enter", VerbLinkEnter.Of()), t.btn("btn_shop", VerbCategories.Of())})
	reply.Buttons = rows
	return []Reply{reply}, nil
}

// noticeRow offers where the person's notices go: each identity, or the
// chat used last; the current choice is marked.
func (h *linkHandler) noticeRow(t *turn, p commerce.Person) [][]Button {
	var rows [][]Button
	choose := func(label, tag string, chosen bool) {
		rows = append(rows, []Button{{Text: t.text("btn_notice_to", map[string]any{"Other": label, "Chosen": chosen}),
			Action: VerbNoticeTo.Of(tag)}})
	}
	choose(t.text("link_last_used", nil), lastUsed, p.NoticeTo == "")
	for _, pi := range p.Identities {
		choose(h.label(t, pi.Identity), identityTag(string(pi.Identity)), p.NoticeTo == pi.Identity)
	}
	return rows
}

// redeem takes a code typed here (or opened from a link) and asks this
// chat to confirm the link with the chat that asked for it.
func (h *linkHandler) redeem(t *turn, input string) ([]Reply, error) {
	if t.m.Group {
		return say(t.text("link_private", nil)), nil
	}
	me := commerce.Identity(t.identity())
	other, err := h.persons.RedeemLinkCode(t.ctx, me, input)
	switch {
	case errors.Is(err, commerce.ErrRateLimited):
		return say(t.text("link_rate_limited", nil), t.mainMenu()...), nil
	case errors.Is(err, commerce.ErrCodeExpired):
		return say(t.text("link_code_expired", nil), []Button{t.btn("btn_link_new", VerbLinkNew.Of())}), nil
	case errors.Is(err, commerce.ErrWrongCode):
		return say(t.text("link_wrong_code", nil), []Button{t.btn("btn_link_enter", VerbLinkEnter.Of()), t.btn("btn_shop", VerbCategories.Of())}), nil
	case errors.Is(err, commerce.ErrInvalid):
		return say(t.text("link_own_code", nil), t.mainMenu()...), nil
	case err != nil:
		return nil, err
	}
	if same, err := h.persons.SamePerson(t.ctx, me, other); err != nil {
		return nil, err
	} else if same {
		return say(t.text("link_already", map[string]any{"Other": h.label(t, other)}), t.mainMenu()...), nil
	}
	t.s.Link.Offer = LinkOffer{With: other, Nonce: newNonce(), Until: h.persons.Now().Add(h.persons.CodeTTL()).Unix()}
	return say(t.text("link_confirm", map[string]any{"Other": h.label(t, other)}),
		[]Button{t.btn("btn_link_confirm", VerbLinkConfirm.Of(t.s.Link.Offer.Nonce)), t.btn("btn_link_cancel", VerbLinkCancel.Of())}), nil
}

// confirm links this chat with the one whose code it took.
func (h *linkHandler) confirm(t *turn, nonce string) ([]Reply, error) {
	offer := t.s.Link.Offer
	if offer.With == "" || offer.Nonce != nonce || h.persons.Now().Unix() > offer.Until {
		t.s.Link.Offer = LinkOffer{}
		return t.stale()
	}
	t.s.Link.Offer = LinkOffer{}
	p, err := h.persons.Link(t.ctx, offer.With, commerce.Identity(t.identity()))
	if errors.Is(err, commerce.ErrPersonFull) {
		return t.fail(err)
	}
	if err != nil {
		return nil, err
	}
	var chats []string
	for _, pi := range p.Identities {
		chats = append(chats, h.label(t, pi.Identity))
	}
	return say(t.text("link_done", map[string]any{"Other": h.label(t, offer.With), "Chats": chats}),
		[]Button{t.btn("btn_orders", VerbOrders.Of()), t.btn("btn_link_settings", VerbLinkNew.Of())}), nil
}

// member finds the identity of this chat's person with tag.
func (h *linkHandler) member(t *turn, tag string) (commerce.Person, commerce.Identity, error) {
	p, err := h.persons.Person(t.ctx, commerce.Identity(t.identity()))
	if err != nil {
		return p, "", err
	}
	for _, pi := range p.Identities {
		if identityTag(string(pi.Identity)) == tag {
			return p, pi.Identity, nil
		}
	}
	return p, "", nil
}

func (h *linkHandler) askUnlink(t *turn, tag string) ([]Reply, error) {
	p, id, err := h.member(t, tag)
	if err != nil {
		return nil, err
	}
	if !p.Linked() {
		return say(t.text("link_not_linked", nil), []Button{t.btn("btn_link_new", VerbLinkNew.Of())}), nil
	}
	if id == "" {
		return t.stale()
	}
	return say(t.text("link_unlink_ask", map[string]any{"Other": h.label(t, id)}),
		[]Button{t.btn("btn_unlink_yes", VerbUnlinkConfirm.Of(tag)), t.btn("btn_unlink_no", VerbLinkNew.Of())}), nil
}

func (h *linkHandler) unlink(t *turn, tag string) ([]Reply, error) {
	_, id, err := h.member(t, tag)
	if err != nil {
		return nil, err
	}
	if id == "" {
		return t.stale()
	}
	if err := h.persons.Unlink(t.ctx, id); errors.Is(err, commerce.ErrNotFound) {
		return t.stale()
	} else if err != nil {
		return nil, err
	}
	return say(t.text("link_unlinked", map[string]any{"Other": h.label(t, id)}), t.mainMenu()...), nil
}

func (h *linkHandler) noticeTo(t *turn, tag string) ([]Reply, error) {
	me := commerce.Identity(t.identity())
	var to commerce.Identity
	if tag != lastUsed {
		_, id, err := h.member(t, tag)
		if err != nil {
			return nil, err
		}
		if id == "" {
			return t.stale()
		}
		to = id
	}
	if err := h.persons.SetNoticeIdentity(t.ctx, me, to); errors.Is(err, commerce.ErrNotFound) {
		return t.stale()
	} else if err != nil {
		return nil, err
	}
	label := t.text("link_last_used", nil)
	if to != "" {
		label = h.label(t, to)
	}
	return say(t.text("link_notice_set", map[string]any{"Other": label, "Last": to == ""}),
		[]Button{t.btn("btn_link_settings", VerbLinkNew.Of()), t.btn("btn_shop", VerbCategories.Of())}), nil
}

// seenPerson records, at most every seenEvery, that this private chat was
// used, so notices can follow the person to the chat used last. A failure
// is logged, never shown.
func (r *Router) seenPerson(ctx context.Context, s *Session, m Message) {
	if r.o.Persons == nil || m.Group || m.UserID == "" {
		return
	}
	now := r.o.Persons.Now()
	if now.Unix()-s.Link.Seen < int64(seenEvery/time.Second) && s.Link.Seen <= now.Unix() {
		return
	}
	if err := r.o.Persons.See(ctx, commerce.Identity(m.Channel+":"+m.UserID)); err != nil {
		r.o.Log.WarnContext(ctx, "chat use not recorded", "channel", m.Channel, "err", err)
		return
	}
	s.Link.Seen = now.Unix()
}

// NoticeTarget is where a notice is delivered: for a buyer's notice, the
// chat the buyer's person chose for notices, else the one it used last,
// else the notice's own chat. A seller's notice stays with the seller's
// identity (rights, and what comes with them, are not shared by linking).
// It changes Channel and ChatID only: the notice is still rendered for the
// identity it names.
func (r *Router) NoticeTarget(ctx context.Context, n Notice) (Notice, error) {
	if r.o.Persons == nil || n.Kind == NoticeHoldExpired || n.Kind == NoticePaymentAlert || n.Kind == NoticeQuestion || n.Kind == NoticeAnswer || n.Channel == "" || n.UserID == "" {
		return n, nil
	}
	to, err := r.o.Persons.NoticeTarget(ctx, commerce.Identity(n.Channel+":"+n.UserID))
	if err != nil {
		return n, err
	}
	if b := to.Buyer(); to != commerce.Identity(n.Channel+":"+n.UserID) {
		// A private chat's id is its user's id on every channel.
		n.Channel, n.ChatID = b.Channel, b.UserID
	}
	return n, nil
}
