package bot

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"time"

	"shopbot/chatstate"
	"shopbot/commerce"
	"shopbot/templates"
)

// Group posts: a drop's one post per group or channel, edited in place.
//
// A seller (Options.Admins) runs "/post CODE [lang]" in a group or channel
// (or `shopbot drop post CODE --chat ID`); GroupPosts.Publish posts the
// drop's card there — photo, title, price, and the start time before the
// start, "23 left" after it, "sold out" at the end — and keeps one post per
// (drop, chat): posting again posts a fresh message and deletes the old one,
// and the takers stay. Once the drop has started the card has a "Buy" URL
// button opening the bot's private chat at d_<code>, and "+1" (jielong):
//
//	j:<drop id>   take one unit in the chain (a callback on the group post)
//
// A tap reserves one unit for the member (DropService.Reserve, key
// "chain:<drop>:<buyer>[:<gen>]", so double taps make one reservation; gen
// counts the member's earlier "+1" units that lapsed unused, so a tap after
// one ran out or was given back reserves again), lists them once
// on the post and answers with a toast (Reply.Toast), never a group
// message; the member finishes privately (Reply.Private, and the Buy link).
//
// # Coalesced refreshes
//
// Nothing pushes a change to the posts: stock falls through private
// purchases, the web, expiries and taps alike. Instead Refresh (Run calls
// it every Tick) reads every live post with its drop's current state in one
// query and encodes what the post would show now (units left, started,
// takers, the countdown's step before the start) into a short string. A post
// whose string differs from the one stored with it (DropPost.Shown) is
// re-rendered from the current state and edited, but only after claiming
// its chat's next edit slot in the database (ClaimDropPostEdit: at most one
// edit per chat per Interval, whatever the number of replicas). So a burst
// of changes costs one edit per Interval showing the latest state, the
// refresh at the start time is the same mechanism (the string holds
// "started"), and a restart loses nothing: the stored string says what the
// message shows. An edit answered with ErrGone marks the post gone and it is
// left alone until posted again.

// Chain name settings (SHOPBOT_CHAIN_NAMES).
const (
	NamesFirst    = "first"    // first names (default)
	NamesInitials = "initials" // the first letter of the first name
	NamesNone     = "none"     // only the number of takers
)

// Group post limits.
const (
	// maxTakersListed caps the names a post lists ("+N more" after).
	maxTakersListed = 20
	// maxTakerName bounds one listed name, in characters.
	maxTakerName = 16
	// maxChainGenerations bounds the "+1" units one member may let lapse
	// in one drop (and so the keys a tap looks up).
	maxChainGenerations = 50
	// refreshWorkers edits that many chats at once.
	refreshWorkers = 8
)

// ErrPostUnsupported: the chat's platform has no Poster (WeChat has no bots
// in groups; the shareable page /d/{code} serves those).
var ErrPostUnsupported = errors.New("group posts not supported on this platform")

// DeepLinker makes links that open the bot's private chat with a start
// payload (Telegram's t.me/<bot>?start=…). A Poster that implements it gets
// Buy and Finish buttons on its posts.
type DeepLinker interface {
	DeepLink(payload string) (string, error)
}

// PostDeleter deletes a message a Poster posted. A Poster that implements it
// has the old message of a re-posted drop removed.
type PostDeleter interface {
	Delete(ctx context.Context, chatID, messageID string) error
}

// GroupPostStore is what group posts read and write.
type GroupPostStore interface {
	commerce.DropPostStore
	Drop(ctx context.Context, id int64) (commerce.Drop, error)
	DropByCode(ctx context.Context, code string) (commerce.Drop, error)
	DropReservationByKey(ctx context.Context, key string) (commerce.DropReservation, error)
	Product(ctx context.Context, id int64) (commerce.Product, error)
}

// GroupPostsOptions configures GroupPosts.
type GroupPostsOptions struct {
	Store GroupPostStore
	Drops *commerce.DropService // reserves the "+1" units
	Texts *templates.Set
	Clock commerce.Clock // default commerce.SystemClock
	// Locker serializes posting one drop into one chat (shared between
	// replicas when it is Redis); default a local locker.
	Locker chatstate.Locker
	// Interval is the least time between two edits in one chat; default
	// 5 s (12 edits a minute, inside Telegram's 20 messages a minute per
	// group with room for the bot's replies there).
	Interval time.Duration
	// Tick is how often Run looks for changes; default 1 s.
	Tick time.Duration
	// Names is how the post lists takers: NamesFirst (default),
	// NamesInitials or NamesNone.
	Names string
	// Zone is where start times are shown; default UTC.
	Zone *time.Location
	// Horizon: posts posted longer ago are no longer refreshed; default 30 days.
	Horizon time.Duration
	// ImageURL maps a product image key to the URL replies use (Router.ImageURL).
	ImageURL func(key string) string
	Log      *slog.Logger
}

// GroupPosts posts drops into groups and channels and keeps the posts
// current. Its methods are safe for concurrent use.
type GroupPosts struct {
	o       GroupPostsOptions
	mu      sync.RWMutex
	posters map[string]Poster // by channel
}

// NewGroupPosts returns GroupPosts with defaults filled in. Posting needs a
// Poster (SetPoster) for the chat's channel.
func NewGroupPosts(o GroupPostsOptions) *GroupPosts {
	if o.Clock == nil {
		o.Clock = commerce.SystemClock
	}
	if o.Locker == nil {
		o.Locker = chatstate.NewLocalLocker()
	}
	if o.Interval <= 0 {
		o.Interval = 5 * time.Second
	}
	if o.Tick <= 0 {
		o.Tick = time.Second
	}
	switch o.Names {
	case NamesFirst, NamesInitials, NamesNone:
	default:
		o.Names = NamesFirst
	}
	if o.Zone == nil {
		o.Zone = time.UTC
	}
	if o.Horizon <= 0 {
		o.Horizon = 30 * 24 * time.Hour
	}
	if o.ImageURL == nil {
		o.ImageURL = func(key string) string { return "/img/" + key + ".png" }
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	return &GroupPosts{o: o, posters: map[string]Poster{}}
}

// SetPoster makes posts in chats of channel go through p (the Telegram
// adapter, created after the router).
func (g *GroupPosts) SetPoster(channel string, p Poster) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.posters[channel] = p
}

func (g *GroupPosts) poster(channel string) Poster {
	g.mu.RLock()
	defer g.mu.RUnlock()
	return g.posters[channel]
}

// Supports reports whether posts can go to chats of channel.
func (g *GroupPosts) Supports(channel string) bool { return g.poster(channel) != nil }

// Interval is the least time between two edits in one chat.
func (g *GroupPosts) Interval() time.Duration { return g.o.Interval }

// Publish posts the drop with code into chatID (a group or channel of
// channel), in lang, and records it as the drop's post there; a post the
// drop already had in that chat is replaced (the old message deleted when
// the Poster can). Errors: ErrNotFound (no such drop), ErrPostUnsupported,
// ErrGone (the bot cannot post there), or the Poster's.
func (g *GroupPosts) Publish(ctx context.Context, code, channel, chatID, lang string) (commerce.DropPost, error) {
	p := g.poster(channel)
	if p == nil {
		return commerce.DropPost{}, fmt.Errorf("post drop %s to %s:%s: %w", code, channel, chatID, ErrPostUnsupported)
	}
	if !commerce.ValidDropCode(code) {
		return commerce.DropPost{}, fmt.Errorf("drop %q: %w", code, commerce.ErrNotFound)
	}
	d, err := g.o.Store.DropByCode(ctx, code)
	if err != nil {
		return commerce.DropPost{}, err
	}
	if templates.Match(lang) == "" {
		lang = templates.Default
	}
	unlock, err := g.o.Locker.Lock(ctx, "lock:droppost:"+channel+":"+chatID+":"+strconv.FormatInt(d.ID, 10), 30*time.Second)
	if err != nil {
		return commerce.DropPost{}, fmt.Errorf("lock drop post: %w", err)
	}
	defer unlock()
	prev, err := g.o.Store.DropPost(ctx, d.ID, channel, chatID)
	switch {
	case errors.Is(err, commerce.ErrNotFound):
		prev = commerce.DropPost{DropID: d.ID, Channel: channel, ChatID: chatID}
	case err != nil:
		return commerce.DropPost{}, err
	}
	post := prev
	post.Lang = templates.Match(lang)
	now := g.o.Clock.Now()
	reply, shown, err := g.render(ctx, post, d, now)
	if err != nil {
		return commerce.DropPost{}, err
	}
	msgID, err := p.Post(ctx, chatID, reply)
	if err != nil {
		return commerce.DropPost{}, fmt.Errorf("post drop %s to %s:%s: %w", code, channel, chatID, err)
	}
	post.MessageID, post.Shown = msgID, shown
	saved, err := g.o.Store.SaveDropPost(ctx, post, now)
	if err != nil {
		return commerce.DropPost{}, err
	}
	if del, ok := p.(PostDeleter); ok && prev.MessageID != "" && prev.MessageID != msgID {
		if err := del.Delete(ctx, chatID, prev.MessageID); err != nil {
			// Too old to delete, or deleted already: it stays as it is.
			g.o.Log.DebugContext(ctx, "old drop post not deleted", "drop", code, "chat_id", chatID, "err", err)
		}
	}
	return saved, nil
}

// Run refreshes the posts every Tick until ctx ends. Every replica may run
// it: the per-chat edit slot is claimed in the database.
func (g *GroupPosts) Run(ctx context.Context) {
	t := time.NewTicker(g.o.Tick)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if _, err := g.Refresh(ctx); err != nil && ctx.Err() == nil {
				g.o.Log.WarnContext(ctx, "drop posts refresh failed", "err", err)
			}
		}
	}
}

// Refresh makes one pass over the live posts: in each chat whose edit slot
// is free, the oldest post showing an outdated state is edited to the
// current one. It returns the number of edits made.
func (g *GroupPosts) Refresh(ctx context.Context) (int, error) {
	g.mu.RLock()
	none := len(g.posters) == 0
	g.mu.RUnlock()
	if none {
		return 0, nil // no platform to post on (Telegram off): nothing to read either
	}
	now := g.o.Clock.Now()
	live, err := g.o.Store.LiveDropPosts(ctx, now.Add(-g.o.Horizon))
	if err != nil {
		return 0, err
	}
	// One candidate per chat: the store lists the least recently updated
	// first, so several changed posts in one chat take turns.
	seen := map[string]bool{}
	var due []commerce.DropPostState
	for _, st := range live {
		chat := st.Post.Channel + ":" + st.Post.ChatID
		if seen[chat] || g.poster(st.Post.Channel) == nil || g.stateOf(st, now) == st.Post.Shown {
			continue
		}
		seen[chat] = true
		due = append(due, st)
	}
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		edits int
		errs  []error
	)
	sem := make(chan struct{}, refreshWorkers)
	for _, st := range due {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			edited, err := g.refreshOne(ctx, st, now)
			mu.Lock()
			defer mu.Unlock()
			if edited {
				edits++
			}
			if err != nil {
				errs = append(errs, err)
			}
		})
	}
	wg.Wait()
	return edits, errors.Join(errs...)
}

func (g *GroupPosts) refreshOne(ctx context.Context, st commerce.DropPostState, now time.Time) (bool, error) {
	p := st.Post
	ok, err := g.o.Store.ClaimDropPostEdit(ctx, p.Channel, p.ChatID, now, g.o.Interval)
	if err != nil || !ok {
		return false, err
	}
	reply, shown, err := g.render(ctx, p, st.Drop, now)
	if err != nil {
		return false, err
	}
	err = g.poster(p.Channel).Edit(ctx, p.ChatID, p.MessageID, reply)
	switch {
	case errors.Is(err, ErrGone):
		g.o.Log.InfoContext(ctx, "drop post gone; no more updates", "drop", st.Drop.Code, "chat_id", p.ChatID, "message_id", p.MessageID)
		_, err = g.o.Store.MarkDropPostGone(ctx, p.ID, p.MessageID, now)
		return false, err
	case err != nil:
		// Tried again once the chat's next slot comes.
		return false, fmt.Errorf("edit drop post %d: %w", p.ID, err)
	}
	_, err = g.o.Store.MarkDropPostShown(ctx, p.ID, p.MessageID, shown, now)
	return true, err
}

// countdown is the time until a drop starts in the coarse steps the post
// shows: whole days beyond two days, hours beyond 90 minutes, then
// 10-minute steps (rounded up), so a post is edited a few times an hour at
// most while counting down.
type countdown struct{ Days, Hours, Minutes int }

func countdownTo(start, now time.Time) countdown {
	d := start.Sub(now)
	up := func(unit time.Duration) int { return int((d + unit - 1) / unit) }
	switch {
	case d > 48*time.Hour:
		return countdown{Days: up(24 * time.Hour)}
	case d > 90*time.Minute:
		return countdown{Hours: up(time.Hour)}
	}
	return countdown{Minutes: 10 * up(10*time.Minute)}
}

func (c countdown) String() string {
	switch {
	case c.Days > 0:
		return strconv.Itoa(c.Days) + "d"
	case c.Hours > 0:
		return strconv.Itoa(c.Hours) + "h"
	}
	return strconv.Itoa(c.Minutes) + "m"
}

// stateOf encodes what a post shows at now; a post is edited when it changes.
func (g *GroupPosts) stateOf(st commerce.DropPostState, now time.Time) string {
	return encodeShown(st.Drop, st.Takers, now)
}

func encodeShown(d commerce.Drop, takers int, now time.Time) string {
	if !d.CancelledAt.IsZero() {
		return "off/" + strconv.Itoa(takers)
	}
	if now.Before(d.StartsAt) {
		return "soon/" + countdownTo(d.StartsAt, now).String() + "/" + strconv.Itoa(takers)
	}
	return "on/" + strconv.Itoa(d.Left) + "/" + strconv.Itoa(takers)
}

// postView is the data of the gp_post_* and gp_state_* texts.
type postView struct {
	Title    string
	Price    commerce.Money
	Units    int
	Left     int
	Started  bool
	SoldOut  bool
	Off      bool      // the seller cancelled the drop
	StartsAt time.Time // in the shop's zone
	Zone     string    // "UTC+8"
	countdown
	Names  bool     // the setting lists names
	Takers []string // the first maxTakersListed, in order
	Joined int      // takers in all
	More   int      // takers not listed
}

// zoneLabel names t's offset from UTC: "UTC+8", "UTC-3:30", "UTC".
func zoneLabel(t time.Time) string {
	_, off := t.Zone()
	if off == 0 {
		return "UTC"
	}
	sign := "+"
	if off < 0 {
		sign, off = "-", -off
	}
	label := "UTC" + sign + strconv.Itoa(off/3600)
	if m := off % 3600 / 60; m != 0 {
		label += fmt.Sprintf(":%02d", m)
	}
	return label
}

// postText joins the parts of a post: head, state, how to join, takers.
func (g *GroupPosts) postText(lang string, v postView) string {
	text := func(key string) string { return g.o.Texts.Text(lang, key, v) }
	parts := []string{text("gp_post_head")}
	switch {
	case v.Off:
		parts = append(parts, text("gp_state_cancelled"))
	case !v.Started:
		parts = append(parts, text("gp_state_soon"))
	case v.SoldOut:
		parts = append(parts, text("gp_state_sold_out"))
	default:
		parts = append(parts, text("gp_state_left"), text("gp_howto"))
	}
	switch {
	case v.Joined == 0:
	case v.Names:
		parts = append(parts, text("gp_takers"))
	default:
		parts = append(parts, text("gp_takers_count"))
	}
	return strings.Join(parts, "\n\n")
}

// render builds the post of drop d at now and the state it shows.
func (g *GroupPosts) render(ctx context.Context, p commerce.DropPost, d commerce.Drop, now time.Time) (Reply, string, error) {
	prod, err := g.o.Store.Product(ctx, d.ProductID)
	if err != nil {
		return Reply{}, "", fmt.Errorf("drop %s product: %w", d.Code, err)
	}
	var takers []commerce.DropTaker
	total := 0
	if p.ID != 0 {
		if takers, total, err = g.o.Store.DropTakers(ctx, p.ID, maxTakersListed); err != nil {
			return Reply{}, "", err
		}
	}
	lang := p.Lang
	if lang == "" {
		lang = templates.Default
	}
	v := postView{Title: prod.Title.In(lang), Price: d.Price, Units: d.Units, Left: d.Left,
		Started: !now.Before(d.StartsAt), StartsAt: d.StartsAt.In(g.o.Zone), Names: g.o.Names != NamesNone, Joined: total}
	v.Zone = zoneLabel(v.StartsAt)
	v.SoldOut = v.Started && d.Left == 0
	v.Off = !d.CancelledAt.IsZero()
	if !v.Started && !v.Off {
		v.countdown = countdownTo(d.StartsAt, now)
	}
	if v.Names {
		for _, t := range takers {
			v.Takers = append(v.Takers, t.Name)
		}
	}
	v.More = total - len(v.Takers)
	r := Reply{Text: g.postText(lang, v)}
	if prod.Image != "" {
		r.Image = g.o.ImageURL(prod.Image)
	}
	if v.Started && !v.Off {
		var row []Button
		if link := g.deepLink(p.Channel, "d_"+d.Code); link != "" {
			key := "gp_btn_buy"
			if v.SoldOut {
				key = "gp_btn_my_order"
			}
			row = append(row, Button{Text: g.o.Texts.Text(lang, key, nil), URL: link})
		}
		if !v.SoldOut {
			row = append(row, Button{Text: g.o.Texts.Text(lang, "gp_btn_plus_one", nil), Action: VerbChainTap.Of(d.ID)})
		}
		r.Buttons = [][]Button{row}
	}
	return r, encodeShown(d, total, now), nil
}

func (g *GroupPosts) deepLink(channel, payload string) string {
	dl, ok := g.poster(channel).(DeepLinker)
	if !ok {
		return ""
	}
	link, err := dl.DeepLink(payload)
	if err != nil {
		return ""
	}
	return link
}
