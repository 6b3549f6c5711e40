package commerce

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestParseCaption(t *testing.T) {
	t.Parallel()
	cny := func(fen int64) Money { return CNY(fen) }
	for _, tc := range []struct {
		in   string
		want Listing
	}{
		{"Hyaluronic serum 30 ml ¥129 x20 #dutypaid",
			Listing{Title: "Hyaluronic serum 30 ml", Price: cny(12900), Stock: 20, HasStock: true, Origin: OriginDutyPaid}},
		{"#保税 面霜 129元 库存20",
			Listing{Title: "面霜", Price: cny(12900), Stock: 20, HasStock: true, Origin: OriginBonded}},
		{"面霜129元20件#完税",
			Listing{Title: "面霜", Price: cny(12900), Stock: 20, HasStock: true, Origin: OriginDutyPaid}},
		{"CNY 129 Serum qty 5", Listing{Title: "Serum", Price: cny(12900), Stock: 5, HasStock: true}},
		{"Serum CNY129 qty: 5", Listing{Title: "Serum", Price: cny(12900), Stock: 5, HasStock: true}},
		{"Serum 129.00 20 pcs #local", Listing{Title: "Serum", Price: cny(12900), Stock: 20, HasStock: true, Origin: OriginLocal}},
		{"Serum $12.50 x3", Listing{Title: "Serum", Price: Money{1250, "USD"}, Stock: 3, HasStock: true}},
		{"Сыворотка 30 мл\n990 руб. · 20 шт #вналичии",
			Listing{Title: "Сыворотка 30 мл", Price: Money{99000, "RUB"}, Stock: 20, HasStock: true, Origin: OriginLocal}},
		{"Сыворотка цена 12,50 остаток 7", Listing{Title: "Сыворотка", Price: cny(1250), Stock: 7, HasStock: true}},
		{"Serum\n129\n20", Listing{Title: "Serum", Price: cny(12900), Stock: 20, HasStock: true}},
		{"Serum 30 ml\n¥1,299.00 ×2\nMade in Korea.\nShelf life 24 months. #直邮",
			Listing{Title: "Serum 30 ml", Description: "Made in Korea.\nShelf life 24 months.", Price: cny(129900), Stock: 2, HasStock: true, Origin: OriginDirectMail}},
		{"iPhone 15 case", Listing{Title: "iPhone 15 case"}},                               // a number in a title is no price
		{"Box20 serum", Listing{Title: "Box20 serum"}},                                     // nor is a letter-x-number word
		{"Gift set #sale #Bonded", Listing{Title: "Gift set #sale", Origin: OriginBonded}}, // other tags stay
		{"Serum ¥0 x0", Listing{Title: "Serum ¥0", Stock: 0, HasStock: true}},              // zero is no price, but stock may be 0
		{"Serum 100 usdt", Listing{Title: "Serum 100 usdt"}},
		{"¥129", Listing{Price: cny(12900)}},
		{"", Listing{}},
		{"  \n\t ", Listing{}},
		{"Serum price: 59 stock 3 #dutypaid #bonded", Listing{Title: "Serum", Price: cny(5900), Stock: 3, HasStock: true, Origin: OriginDutyPaid}},
		{"Serum ￥59 ¥99", Listing{Title: "Serum ¥99", Price: cny(5900)}}, // the first price counts
		{"Vitamin C 12.5% x 30", Listing{Title: "Vitamin C 12.5%", Stock: 30, HasStock: true}},
		{"Serum\u200b ¥59\x00", Listing{Title: "Serum", Price: cny(5900)}},
		{"Serum ¥129 20x", Listing{Title: "Serum", Price: cny(12900), Stock: 20, HasStock: true}},
		{"Serum ¥129 20 x", Listing{Title: "Serum", Price: cny(12900), Stock: 20, HasStock: true}},
		{"20X Serum ¥129", Listing{Title: "Serum", Price: cny(12900), Stock: 20, HasStock: true}},
		{"面霜 129元 20×", Listing{Title: "面霜", Price: cny(12900), Stock: 20, HasStock: true}},
		{"面霜20×，¥129", Listing{Title: "面霜", Price: cny(12900), Stock: 20, HasStock: true}},
		{"Serum ×20 ¥129", Listing{Title: "Serum", Price: cny(12900), Stock: 20, HasStock: true}},
		{"Serum 20x, #local", Listing{Title: "Serum", Stock: 20, HasStock: true, Origin: OriginLocal}},
		{"Poster 20x30 ¥59", Listing{Title: "Poster 20x30", Price: cny(5900)}}, // a size is no count
		{"Hoodie 2XL ¥299", Listing{Title: "Hoodie 2XL", Price: cny(29900)}},
		{"Serum 3x5", Listing{Title: "Serum 3x5"}},
		// ¥ is yuan: the sign is shared with the yen, but a shop selling in
		// yen sets its currency (the default here), so a caption's ¥ means CNY.
		{"Matcha ¥1,200", Listing{Title: "Matcha", Price: cny(120000)}},
		{"Matcha 1200¥ x3", Listing{Title: "Matcha", Price: cny(120000), Stock: 3, HasStock: true}},
	} {
		got := ParseCaption(tc.in, "CNY")
		if got != tc.want {
			t.Errorf("ParseCaption(%q)\n got %+v\nwant %+v", tc.in, got, tc.want)
		}
	}
}

func TestParseAmountAndStock(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		in   string
		want Money
		ok   bool
	}{
		{"129", CNY(12900), true}, {"129.5", CNY(12950), true}, {"12,50", CNY(1250), true}, {"1,299.00", CNY(129900), true},
		{"¥129", CNY(12900), true}, {"129元", CNY(12900), true}, {"CNY 129", CNY(12900), true}, {"$12.50", Money{1250, "USD"}, true},
		{"990 руб", Money{99000, "RUB"}, true}, {"price 59", CNY(5900), true},
		{"0", Money{}, false}, {"-5", Money{}, false}, {"abc", Money{}, false}, {"129 x20", Money{}, false},
		{"12.345", Money{}, false}, {"99999999999999", Money{}, false}, {"", Money{}, false},
	} {
		got, ok := ParseAmount(tc.in, "CNY")
		if got != tc.want || ok != tc.ok {
			t.Errorf("ParseAmount(%q) = %v, %v; want %v, %v", tc.in, got, ok, tc.want, tc.ok)
		}
	}
	for _, tc := range []struct {
		in   string
		want int
		ok   bool
	}{
		{"20", 20, true}, {"0", 0, true}, {"20 pcs", 20, true}, {"x20", 20, true}, {"库存20", 20, true}, {"20件", 20, true},
		{"20 шт", 20, true}, {"20x", 20, true}, {"20 x", 20, true}, {"20×", 20, true}, {"×20", 20, true}, {"20X", 20, true},
		{"20x30", 0, false}, {"20 x 30", 0, false}, {"x", 0, false}, {"-1", 0, false}, {"2.5", 0, false}, {"1000001", 0, false}, {"twenty", 0, false}, {"", 0, false},
	} {
		got, ok := ParseStock(tc.in)
		if got != tc.want || ok != tc.ok {
			t.Errorf("ParseStock(%q) = %d, %v; want %d, %v", tc.in, got, ok, tc.want, tc.ok)
		}
	}
}

func FuzzParseCaption(f *testing.F) {
	for _, s := range []string{"Serum ¥129 x20 #dutypaid", "面霜129元20件#完税", "Сыворотка\n990 руб. · 20 шт", "1,299.00", "x", "#",
		"¥1,2,3", "12,5,0元", "qty:9999999", "20x", "20 x 30", "面霜20×，¥129", "2XL", "\xff\xfe¥9", strings.Repeat("¥1 ", 400)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		l := ParseCaption(s, "CNY")
		if !utf8.ValidString(l.Title) || !utf8.ValidString(l.Description) {
			t.Fatalf("invalid UTF-8 out of %q: %+v", s, l)
		}
		if strings.ContainsAny(l.Title, "\n\r\t") || l.Title != strings.TrimSpace(l.Title) {
			t.Fatalf("title %q is not one tidy line", l.Title)
		}
		if l.Price.Amount < 0 || l.Price.Amount > MaxPrice || l.Price.Amount > 0 && len(l.Price.Currency) != 3 {
			t.Fatalf("price %v out of %q", l.Price, s)
		}
		if l.Stock < 0 || l.Stock > MaxStock || !l.HasStock && l.Stock != 0 {
			t.Fatalf("stock %d/%v out of %q", l.Stock, l.HasStock, s)
		}
		if l.Origin != "" && !l.Origin.Valid() {
			t.Fatalf("origin %q out of %q", l.Origin, s)
		}
		if len(l.Title)+len(l.Description) > len(s)+8 {
			t.Fatalf("output longer than the input: %q → %+v", s, l)
		}
		if m, ok := ParseAmount(s, "CNY"); ok && (m.Amount <= 0 || m.Amount > MaxPrice) {
			t.Fatalf("ParseAmount(%q) = %v", s, m)
		}
		if n, ok := ParseStock(s); ok && (n < 0 || n > MaxStock) {
			t.Fatalf("ParseStock(%q) = %d", s, n)
		}
	})
}
