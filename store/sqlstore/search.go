package sqlstore

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"shopbot/commerce"
)

// searchCandidates is how many matches a search reads before ranking
// (commerce.RankSearch keeps the best MaxSearchResults).
const searchCandidates = 50

// Search implements commerce.CatalogStore; products of hidden categories
// are left out with the hidden products. Words of three characters or
// more are found through the trigram index (Postgres pg_trgm on
// product_search_text, SQLite FTS5 product_search); shorter ones (two
// Chinese characters make a word) by a scan of the matches, or of the
// catalog when every word is short.
func (s *Store) Search(ctx context.Context, query string, limit int) ([]commerce.Product, error) {
	terms := commerce.SearchTerms(query)
	if len(terms) == 0 {
		return nil, nil
	}
	var q string
	var params []any
	if s.d.Name == "sqlite" {
		q, params = sqliteSearch(terms)
	} else {
		q, params = postgresSearch(terms)
	}
	rows, err := s.db.QueryContext(ctx, q, params...)
	if err != nil {
		return nil, fmt.Errorf("search: %w", err)
	}
	defer rows.Close()
	var found []commerce.Product
	for rows.Next() {
		p, err := scanProduct(rows)
		if err != nil {
			return nil, fmt.Errorf("search: %w", err)
		}
		found = append(found, p)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("search: %w", err)
	}
	return commerce.RankSearch(found, terms, limit), nil
}

// postgresSearch: every word a LIKE on the indexed expression (pg_trgm
// serves the patterns of words of three characters or more), the closest
// first.
func postgresSearch(terms []string) (string, []any) {
	const text = `product_search_text(sku, title, description)`
	var where []string
	params := make([]any, 0, len(terms)+1)
	for _, w := range terms {
		params = append(params, "%"+w+"%")
		where = append(where, text+` LIKE $`+strconv.Itoa(len(params)))
	}
	params = append(params, strings.Join(terms, " "))
	return `SELECT ` + productCols + ` FROM products WHERE active AND ` + strings.Join(where, " AND ") +
		` AND NOT EXISTS (SELECT 1 FROM categories c WHERE c.id = products.category_id AND c.hidden)` +
		` ORDER BY public.word_similarity($` + strconv.Itoa(len(params)) + `, ` + text + `) DESC, id
		LIMIT ` + strconv.Itoa(searchCandidates), params
}

// sqliteSearch: words of three characters or more as one FTS5 MATCH
// (each a quoted string: all must occur), shorter ones with instr on the
// row's text; the best bm25 rank first.
func sqliteSearch(terms []string) (string, []any) {
	var match []string
	var short []string
	var params []any
	for _, w := range terms {
		if utf8.RuneCountInString(w) >= commerce.MinTrigramWord {
			match = append(match, `"`+w+`"`)
		} else {
			short = append(short, w)
		}
	}
	where := []string{"p.active", "NOT EXISTS (SELECT 1 FROM categories c WHERE c.id = p.category_id AND c.hidden)"}
	order := "p.id"
	if len(match) > 0 {
		params = append(params, strings.Join(match, " "))
		where = append(where, "product_search MATCH ?")
		order = "product_search.rank, p.id"
	}
	for _, w := range short {
		params = append(params, w)
		where = append(where, "instr(lower(product_search.body), ?) > 0")
	}
	cols := "p." + strings.ReplaceAll(productCols, ", ", ", p.")
	return `SELECT ` + cols + ` FROM product_search JOIN products p ON p.id = product_search.rowid
		WHERE ` + strings.Join(where, " AND ") + ` ORDER BY ` + order + ` LIMIT ` + strconv.Itoa(searchCandidates), params
}
