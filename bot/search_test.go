package bot_test

import (
	"slices"
	"strings"
	"testing"
	"unicode"

	"shopbot/bot"
)

// nothingFound is the answer to free text that names no product.
func (c *chat) nothingFound() string {
	return c.tx("search_none", map[string]any{"Ask": c.h.questions != nil})
}

// unmatched is the answer to free text no feature takes: a search that
// finds nothing, or for text without a letter "didn't understand".
func (c *chat) unmatched(text string) string {
	if strings.ContainsFunc(text, unicode.IsLetter) {
		return c.nothingFound()
	}
	return c.tx("help_unknown", nil)
}

// productActions lists the product buttons of a reply, in order.
func productActions(r bot.Reply) []string {
	var out []string
	for _, row := range r.Buttons {
		for _, b := range row {
			if len(b.Action) > 2 && b.Action[:2] == "p:" {
				out = append(out, b.Action)
			}
		}
	}
	return out
}

func TestSearchFreeText(t *testing.T) {
	h := newHarness(t)
	serum, cream := bot.VerbProduct.Of(h.id("COS-001")), bot.VerbProduct.Of(h.id("COS-004"))
	for _, tc := range []struct {
		lang, text string
		want       []string
	}{
		{"en", "serum", []string{serum}},
		{"en", "SERUM", []string{serum}},
		{"zh-CN", "精华液", []string{serum}},              // inside 玻尿酸精华液
		{"zh-CN", "晚霜", []string{cream}},               // inside 视黄醇晚霜
		{"ru", "сыворотка", []string{serum}},           // Russian text
		{"en", "cos-004", []string{cream}},             // a SKU
		{"en", "unobtainium", nil},                     // nothing
		{"en", "hyaluronic serum 30", []string{serum}}, // every word
	} {
		u := h.user(t, "s-"+tc.text, tc.lang)
		r := u.send(tc.text)
		if tc.want == nil {
			wantText(t, r, 0, u.nothingFound())
			continue
		}
		if got := productActions(r[0]); !slices.Equal(got, tc.want) {
			t.Fatalf("%q: products %v; want %v", tc.text, got, tc.want)
		}
		wantText(t, r, 0, u.tx("search_results", map[string]any{"N": len(tc.want)}))
		// The buttons open the cards.
		card := u.press(tc.want[0])
		if len(card) == 0 || card[0].Text == "" {
			t.Errorf("%q: the product button opens nothing", tc.text)
		}
	}
}

// TestSearchLeavesOthersTheirInput: awaited steps, staff codes and groups
// keep their text; digits alone are not searched.
func TestSearchLeavesOthersTheirInput(t *testing.T) {
	h := newHarness(t, harnessOptions{persons: true})
	u := h.user(t, "buyer", "en")
	wantText(t, u.send("13800000000"), 0, u.tx("help_unknown", nil))
	wantText(t, u.inGroup("g1").send("serum"), 0, u.tx("help_unknown", nil))
	// An awaited step takes the text first: a link code.
	u.press(bot.VerbLinkEnter.Of())
	r := u.send("serum")
	if len(productActions(r[0])) > 0 || r[0].Text == u.nothingFound() {
		t.Fatalf("the awaited link code was searched: %+v", r)
	}
}

// TestSearchLeavesOptOutWords: opt-out words unsubscribe, in or out of a
// question, and are never searched nor sent to the sellers.
func TestSearchLeavesOptOutWords(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOptions{broadcasts: true, questions: true})
	u := h.user(t, "optout", "zh-CN")
	u.send("/start")
	wantText(t, u.send("退订"), 0, u.tx("bc_opted_out", nil))
	u.send("/subscribe")
	u.send("/human 有现货吗")
	wantText(t, u.send("TD"), 0, u.tx("bc_opted_out", nil))
	all, err := h.questions.Recent(h.ctx, 5)
	if err != nil || len(all) != 1 {
		t.Fatalf("conversations %v, %v", all, err)
	}
	if c, _ := h.questions.Conversation(h.ctx, all[0].ID); len(c.Messages) != 1 {
		t.Fatalf("the opt-out word went to the sellers: %+v", c.Messages)
	}
}
