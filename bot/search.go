package bot

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"shopbot/commerce"
)

// Searching the catalog: free text from a buyer in a private chat that no
// command, awaited step or earlier feature took (staff codes, opt-out
// words, …: the order of featureRoutes) is a search in every language.
// The products found come as buttons that open their cards (VerbProduct);
// with none, the buyer may ask the sellers instead (questions.go), the
// text kept in QuestionsState.Draft for the "Ask the seller" button.

// maxSearchText is the longest text taken as a search; longer text is a
// question rather than a product name, and goes straight to "nothing found".
const maxSearchText = 200

// search answers free text with the products it finds. Groups are not
// searched (their chatter is not addressed to the shop), nor text without
// a letter.
func (h *questionsHandler) search(t *turn, text string) ([]Reply, bool, error) {
	if t.m.Group || !strings.ContainsFunc(text, unicode.IsLetter) {
		// Digits and signs alone (a phone number, a pickup code typed out
		// of turn) name no product: "didn't understand" fits them better.
		return nil, false, nil
	}
	var found []commerce.Product
	if utf8.RuneCountInString(text) <= maxSearchText {
		var err error
		if found, err = h.shop.Store().Search(t.ctx, text, commerce.MaxSearchResults); err != nil {
			return nil, true, err
		}
	}
	if len(found) == 0 {
		return h.nothingFound(t, text), true, nil
	}
	rows := make([][]Button, 0, len(found)+2)
	for _, p := range found {
		label := t.text("product_button", map[string]any{"Title": p.Title.In(t.lang), "Price": p.Price, "SoldOut": p.Stock == 0})
		rows = append(rows, []Button{{Text: label, Action: VerbProduct.Of(p.ID)}})
	}
	if h.questions != nil {
		t.s.Questions.Draft = commerce.ClipQuestion(text)
		rows = append(rows, []Button{t.btn("btn_ask_seller", VerbAskSeller.Of())})
	}
	rows = append(rows, t.menuRow()...)
	return say(t.text("search_results", map[string]any{"N": len(found)}), rows...), true, nil
}

// nothingFound says so, and offers to send the text to the sellers.
func (h *questionsHandler) nothingFound(t *turn, text string) []Reply {
	var rows [][]Button
	if h.questions != nil {
		t.s.Questions.Draft = commerce.ClipQuestion(text)
		rows = append(rows, []Button{t.btn("btn_ask_seller", VerbAskSeller.Of())})
	}
	rows = append(rows, t.menuRow()...)
	return say(t.text("search_none", map[string]any{"Ask": h.questions != nil}), rows...)
}
