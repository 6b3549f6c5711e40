package postgres_test

import (
	"context"
	"strings"
	"testing"
)

// TestSearchUsesTrigramIndex: a word of three characters or more is looked
// up in the pg_trgm index, not by reading every product.
func TestSearchUsesTrigramIndex(t *testing.T) {
	s := open(t)
	ctx := context.Background()
	conn, err := s.DB().Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, `SET enable_seqscan = off`); err != nil {
		t.Fatal(err)
	}
	rows, err := conn.QueryContext(ctx, `EXPLAIN SELECT id FROM products
		WHERE active AND product_search_text(sku, title, description) LIKE $1`, "%serum%")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var plan []string
	for rows.Next() {
		var line string
		if err := rows.Scan(&line); err != nil {
			t.Fatal(err)
		}
		plan = append(plan, line)
	}
	if p := strings.Join(plan, "\n"); !strings.Contains(p, "products_search") {
		t.Fatalf("the search does not use the trigram index:\n%s", p)
	}
}
