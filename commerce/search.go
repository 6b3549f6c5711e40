package commerce

import (
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Searching the catalog: a buyer's free text is split into words, and a
// product matches when every word occurs, ignoring case, in its SKU or in
// its title or description in any language. Chinese has no spaces, so
// matching is by substring: the stores use trigram indexes (Postgres
// pg_trgm, SQLite FTS5's trigram tokenizer) for words of three characters
// or more, and scan for shorter ones (面霜 is two).

// Limits of a search.
const (
	// MaxSearchResults is how many products a search returns at most.
	MaxSearchResults = 8
	// MaxSearchWords is how many words of a query are used.
	MaxSearchWords = 5
	// MaxSearchWordLen bounds one word, in characters.
	MaxSearchWordLen = 64
	// MinTrigramWord is the shortest word a trigram index can find.
	MinTrigramWord = 3
)

// SearchTerms splits a query into the lower-case words a search matches:
// at most MaxSearchWords, each at most MaxSearchWordLen characters, without
// the characters LIKE patterns and FTS queries treat specially (% _ \ ").
// It returns nil when nothing searchable is left.
func SearchTerms(q string) []string {
	q = strings.ToLower(strings.ToValidUTF8(q, " "))
	words := strings.FieldsFunc(q, func(r rune) bool {
		return unicode.IsSpace(r) || unicode.IsControl(r) || strings.ContainsRune(`%_\"*`, r) ||
			(unicode.IsPunct(r) && r != '-' && r != '+' && r != '.')
	})
	var out []string
	for _, w := range words {
		if utf8.RuneCountInString(w) > MaxSearchWordLen {
			w = string([]rune(w)[:MaxSearchWordLen])
		}
		if !slices.Contains(out, w) {
			out = append(out, w)
		}
		if len(out) == MaxSearchWords {
			break
		}
	}
	return out
}

// SearchText is what a product is searched by: its SKU, titles and
// descriptions in every language, lower case.
func SearchText(p Product) string {
	var b strings.Builder
	b.WriteString(p.SKU)
	for _, t := range []Text{p.Title, p.Description} {
		for _, lang := range sortedKeys(t) {
			b.WriteByte(' ')
			b.WriteString(t[lang])
		}
	}
	return strings.ToLower(b.String())
}

func sortedKeys(t Text) []string {
	keys := make([]string, 0, len(t))
	for k := range t {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// RankSearch orders the candidates a store found best first and keeps at
// most limit: a product whose SKU is the query, then those whose title (in
// some language) holds every word, then the rest, each group in the
// store's order. Candidates that do not hold every word (a store's index
// is coarser than the rule) are dropped.
func RankSearch(candidates []Product, terms []string, limit int) []Product {
	if limit <= 0 || limit > MaxSearchResults {
		limit = MaxSearchResults
	}
	tier := func(p Product) int {
		if len(terms) == 1 && strings.EqualFold(p.SKU, terms[0]) {
			return 0
		}
		for _, title := range p.Title {
			if holdsAll(strings.ToLower(title), terms) {
				return 1
			}
		}
		return 2
	}
	type ranked struct {
		p    Product
		tier int
	}
	var list []ranked
	for _, p := range candidates {
		if len(terms) == 0 || !p.Active || !holdsAll(SearchText(p), terms) {
			continue
		}
		list = append(list, ranked{p, tier(p)})
	}
	slices.SortStableFunc(list, func(a, b ranked) int { return a.tier - b.tier })
	out := make([]Product, 0, min(limit, len(list)))
	for _, r := range list {
		if len(out) == limit {
			break
		}
		out = append(out, r.p)
	}
	return out
}

func holdsAll(text string, terms []string) bool {
	for _, w := range terms {
		if !strings.Contains(text, w) {
			return false
		}
	}
	return true
}
