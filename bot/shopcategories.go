package bot

import (
	"errors"
	"strings"

	"shopbot/commerce"
)

// Sellers (Options.Admins, private chat) manage categories:
//
//	/categories          every category with buttons to rename, move and hide it
//	sca[:l:<nonce>]      add a category (for the listing <nonce> waiting for one)
//	scr:<id>             rename a category: the next text is its title in the
//	                     language it is written in (Han → zh-CN, Cyrillic → ru, Latin → en)
//	scu:<id> scd:<id>    move it up or down
//	sch:<id>:<0|1>       show or hide it
//
// Everything goes through commerce.ShopSetup; a refused title is answered
// with what is wrong and the step stays.

// Verbs of the category tools.
const (
	VerbCategoryAdd    Verb = "sca"
	VerbCategoryRename Verb = "scr"
	VerbCategoryUp     Verb = "scu"
	VerbCategoryDown   Verb = "scd"
	VerbCategoryHide   Verb = "sch"
	VerbCategoryList   Verb = "scl"
)

// CmdCategories lists the categories for sellers.
const CmdCategories Command = "/categories"

// Steps of the category tools.
const (
	stepCategoryAdd    Step = "sc_add"
	stepCategoryRename Step = "sc_rename"
)

// SetupState is the shop setup's part of the session.
type SetupState struct {
	Category int64      `json:"c,omitempty"` // the category being renamed
	Listing  string     `json:"l,omitempty"` // the listing (nonce) waiting for the category being added
	Field    string     `json:"f,omitempty"` // the profile field being asked for
	Wizard   bool       `json:"w,omitempty"` // in the first-start setup
	Point    PointDraft `json:"p,omitzero"`  // a pickup point being created
}

// setupHandler is the seller's setup of the shop: the profile (/settings
// and the first-start wizard), categories, and creating pickup points.
type setupHandler struct {
	setup  *commerce.ShopSetup
	seller *sellerHandler // nil with the catalog tools off
	staff  *staffHandler  // nil with pickup off
	wizard bool           // Options.SetupWizard
}

// setupAdmin: an admin in a private chat.
func (t *turn) setupAdmin() bool { return t.isAdmin() && !t.m.Group }

// admin guards a setup button: an admin in a private chat.
func (h *setupHandler) admin(f actionFunc) actionFunc {
	return func(t *turn, a args) ([]Reply, error) {
		if !t.setupAdmin() {
			return t.stale()
		}
		return f(t, a)
	}
}

func (h *setupHandler) categoryRoutes() (map[Command]commandFunc, map[Verb]actionFunc, map[Step]stepFunc) {
	commands := map[Command]commandFunc{
		CmdCategories: func(t *turn, _ string) ([]Reply, error) {
			if !t.setupAdmin() {
				return t.help("help_unknown")
			}
			return h.categoryList(t, "")
		},
	}
	move := func(delta int) actionFunc {
		return h.admin(func(t *turn, a args) ([]Reply, error) {
			id, ok := a.id(0)
			if !ok {
				return t.stale()
			}
			if _, err := h.setup.MoveCategory(t.ctx, id, delta); err != nil {
				return t.fail(err)
			}
			return h.categoryList(t, "")
		})
	}
	actions := map[Verb]actionFunc{
		VerbCategoryList: h.admin(func(t *turn, _ args) ([]Reply, error) { return h.categoryList(t, "") }),
		VerbCategoryAdd: h.admin(func(t *turn, a args) ([]Reply, error) {
			t.s.Setup.Listing = ""
			if a.str(0) == "l" && validNonce(a.str(1)) {
				t.s.Setup.Listing = a.str(1)
			}
			t.s.setStep(stepCategoryAdd)
			return say(t.text("setup_category_ask_add", nil), t.cancelSetupRow()), nil
		}),
		VerbCategoryRename: h.admin(func(t *turn, a args) ([]Reply, error) {
			id, ok := a.id(0)
			if !ok {
				return t.stale()
			}
			t.s.Setup.Category = id
			t.s.setStep(stepCategoryRename)
			return say(t.text("setup_category_ask_rename", nil), t.cancelSetupRow()), nil
		}),
		VerbCategoryUp:   move(-1),
		VerbCategoryDown: move(+1),
		VerbCategoryHide: h.admin(func(t *turn, a args) ([]Reply, error) {
			id, ok := a.id(0)
			if !ok || a.str(1) != "0" && a.str(1) != "1" {
				return t.stale()
			}
			if _, err := h.setup.SetCategoryHidden(t.ctx, id, a.str(1) == "1"); err != nil {
				return t.fail(err)
			}
			return h.categoryList(t, "")
		}),
	}
	steps := map[Step]stepFunc{
		stepCategoryAdd:    h.categoryAddStep,
		stepCategoryRename: h.categoryRenameStep,
	}
	return commands, actions, steps
}

// cancelSetupRow is the button that leaves a setup step.
func (t *turn) cancelSetupRow() []Button {
	return []Button{t.btn("setup_btn_cancel", VerbSetupCancel.Of())}
}

// categoryList shows every category with its buttons; note leads the text.
func (h *setupHandler) categoryList(t *turn, note string) ([]Reply, error) {
	cats, err := h.setup.Categories(t.ctx)
	if err != nil {
		return nil, err
	}
	type item struct {
		Title  string
		Hidden bool
	}
	var list []item
	var rows [][]Button
	for _, c := range cats {
		title := t.tr(c.Title)
		list = append(list, item{Title: title, Hidden: c.Hidden})
		hide := Button{Text: t.text("setup_btn_category_hide", nil), Action: VerbCategoryHide.Of(c.ID, "1")}
		if c.Hidden {
			hide = Button{Text: t.text("setup_btn_category_show", nil), Action: VerbCategoryHide.Of(c.ID, "0")}
		}
		rows = append(rows, []Button{{Text: "✏️ " + title, Action: VerbCategoryRename.Of(c.ID)},
			{Text: "⬆", Action: VerbCategoryUp.Of(c.ID)}, {Text: "⬇", Action: VerbCategoryDown.Of(c.ID)}, hide})
	}
	rows = append(rows, []Button{t.btn("setup_btn_category_add", VerbCategoryAdd.Of())})
	text := t.text("setup_categories", map[string]any{"Categories": list, "N": len(list)})
	if note != "" {
		text = note + "\n\n" + text
	}
	return say(text, rows...), nil
}

func (h *setupHandler) categoryAddStep(t *turn, text string) ([]Reply, error) {
	if !t.setupAdmin() {
		t.s.leaveStep(stepCategoryAdd)
		return t.stale()
	}
	c, err := h.setup.AddCategory(t.ctx, commerce.CategoryInput{Title: text})
	if r, refused := h.categoryRefused(t, err); refused {
		return r, nil
	}
	if err != nil {
		return nil, err
	}
	t.s.leaveStep(stepCategoryAdd)
	note := t.text("setup_category_added", map[string]any{"Title": t.tr(c.Title)})
	if nonce := t.s.Setup.Listing; nonce != "" {
		t.s.Setup.Listing = ""
		if h.seller != nil && t.s.Seller.Listing.Nonce == nonce && t.s.Seller.Listing.CategoryID == 0 {
			t.s.Seller.Listing.CategoryID = c.ID
			return h.seller.listingNext(t, note)
		}
	}

	return h.categoryList(t, note)
}

func (h *setupHandler) categoryRenameStep(t *turn, text string) ([]Reply, error) {
	id := t.s.Setup.Category
	if !t.setupAdmin() || id == 0 {
		t.s.leaveStep(stepCategoryRename)
		return t.stale()
	}
	c, err := h.setup.RenameCategory(t.ctx, id, "", text)
	if r, refused := h.categoryRefused(t, err); refused {
		return r, nil
	}
	if err != nil {
		return nil, err
	}
	t.s.leaveStep(stepCategoryRename)
	t.s.Setup.Category = 0
	return h.categoryList(t, t.text("setup_category_renamed", map[string]any{"Title": t.tr(c.Title),
		"Lang": t.r.o.Texts.Text(commerce.TextLanguage(text, t.lang), "lang_name", nil)}))
}

// categoryRefused answers a title the setup refused, keeping the step.
func (h *setupHandler) categoryRefused(t *turn, err error) ([]Reply, bool) {
	switch {
	case errors.Is(err, commerce.ErrInvalid):
		return say(t.text("setup_category_bad_title", map[string]any{"Max": commerce.MaxCategoryRunes}), t.cancelSetupRow()), true
	case errors.Is(err, commerce.ErrConflict):
		return say(t.text("setup_category_taken", nil), t.cancelSetupRow()), true
	case errors.Is(err, commerce.ErrNotFound):
		t.s.Step, t.s.Setup.Category = "", 0
		r, _ := t.fail(err)
		return r, true
	}
	return nil, false
}

// noCategoriesOffer is what a listing without categories to choose from
// answers: an offer to add one, after which the listing goes on.
func (h *setupHandler) noCategoriesOffer(t *turn, nonce, lead string, cancel []Button) []Reply {
	text := t.text("setup_listing_no_categories", nil)
	if lead != "" {
		text = lead + "\n\n" + text
	}
	return say(strings.TrimSpace(text), []Button{t.btn("setup_btn_category_add", VerbCategoryAdd.Of("l", nonce))}, cancel)
}
