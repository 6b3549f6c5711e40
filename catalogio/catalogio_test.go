package catalogio_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"reflect"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"shopbot/catalogio"
	"shopbot/commerce"
	"shopbot/demo"
	"shopbot/internal/testenv"
	"shopbot/store/sqlstore"
)

const header = "sku,category,title_en,price,origin,stock\n"

func TestFormatOf(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ path, want string }{
		{"products.csv", "csv"},
		{"/tmp/Products.CSV", "csv"},
		{"drop.json", "json"},
		{"a.b/products.JSON", "json"},
		{"products.xlsx", ""},
		{"products", ""},
		{"csv", ""},
	} {
		got, err := catalogio.FormatOf(tc.path)
		if got != tc.want || (tc.want == "") != errors.Is(err, commerce.ErrInvalid) {
			t.Errorf("FormatOf(%q) = %q, %v; want %q", tc.path, got, err, tc.want)
		}
	}
}

func parseFile(t *testing.T, path string) []catalogio.Item {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	format, err := catalogio.FormatOf(path)
	if err != nil {
		t.Fatal(err)
	}
	items, err := catalogio.Parse(f, format)
	if err != nil {
		t.Fatalf("Parse(%s): %v", path, err)
	}
	for i := range items {
		if items[i].Where == "" {
			t.Errorf("Parse(%s) item %d has no Where", path, i+1)
		}
		items[i].Where = "" // the formats name lines differently
	}
	return items
}

// The example files the README points to: the same products in both formats,
// importable into the demo catalog.
func TestExamples(t *testing.T) {
	t.Parallel()
	fromCSV := parseFile(t, "testdata/example.csv")
	fromJSON := parseFile(t, "testdata/example.json")
	if !reflect.DeepEqual(fromCSV, fromJSON) {
		t.Fatalf("example.csv and example.json differ:\n%+v\n%+v", fromCSV, fromJSON)
	}
	if len(fromCSV) != 4 {
		t.Fatalf("%d example products, want 4", len(fromCSV))
	}
	for _, it := range fromCSV {
		if err := it.Product.Validate(); err != nil {
			t.Error(err)
		}
		for _, lang := range commerce.Languages {
			if it.Product.Title[lang] == "" || it.Product.Description[lang] == "" {
				t.Errorf("%s: no %s title or description", it.Product.SKU, lang)
			}
		}
	}
	want := catalogio.Item{
		CategorySlug: "baby",
		Product: commerce.Product{
			SKU:         "BAB-101",
			Title:       commerce.Text{"en": "Silicone baby feeding set", "zh-CN": "硅胶宝宝餐具套装", "ru": "Силиконовый набор для кормления"},
			Description: fromCSV[2].Product.Description,
			Price:       commerce.CNY(8800),
			Origin:      commerce.OriginLocal,
			Stock:       15,
			Active:      true,
		},
	}
	if !reflect.DeepEqual(fromCSV[2], want) {
		t.Errorf("BAB-101 = %+v\nwant %+v", fromCSV[2], want)
	}
	if p := fromCSV[3].Product; p.Active || p.Stock != 0 || p.Price != commerce.CNY(9900) {
		t.Errorf("HLT-101 = %+v, want inactive, stock 0, 99.00 CNY", p)
	}
	if p := fromJSON[1].Product; p.Price != commerce.CNY(3990) {
		t.Errorf("SNK-101 price from a JSON number = %v, want 39.90 CNY", p.Price)
	}

	s := &failingStore{Store: testenv.SQLite(t)}
	for _, c := range demo.Categories() {
		if _, err := s.UpsertCategory(context.Background(), c); err != nil {
			t.Fatal(err)
		}
	}
	for i, want := range []catalogio.Result{{Upserted: 4, Created: 4}, {Upserted: 4, Created: 0}} {
		res, err := catalogio.Import(context.Background(), s, fromJSON)
		if err != nil || res != want {
			t.Fatalf("import %d = %+v, %v; want %+v", i+1, res, err, want)
		}
	}
}

func TestParseCSV(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name  string
		in    string
		check func(t *testing.T, items []catalogio.Item)
		want  []string // substrings of the error; nil = success
	}{
		{
			name: "minimal columns and defaults",
			in:   header + "A-1,snacks,Crackers,12.5,duty-paid,7\n",
			check: func(t *testing.T, items []catalogio.Item) {
				p := items[0].Product
				if items[0].CategorySlug != "snacks" || p.SKU != "A-1" || p.Price != commerce.CNY(1250) ||
					p.Origin != commerce.OriginDutyPaid || p.Stock != 7 || !p.Active || p.Image != "" ||
					!reflect.DeepEqual(p.Title, commerce.Text{"en": "Crackers"}) || len(p.Description) != 0 {
					t.Errorf("got %+v", items[0])
				}
			},
		},
		{
			name: "any column order, spaces and case in header, all columns",
			in: " Stock ,ACTIVE,image,currency,price,origin,title_ru,title_zh,title_en,description_en,description_zh,description_ru,category,sku\n" +
				"5,no,https://img.example/a.png,usd,19.99,local,Чай,茶,Tea,\"Loose leaf,\r\n100 g.\",散装,Листовой,drinks,T-9\n",
			check: func(t *testing.T, items []catalogio.Item) {
				p := items[0].Product
				if p.Price != (commerce.Money{Amount: 1999, Currency: "USD"}) || p.Active || p.Stock != 5 ||
					p.Image != "https://img.example/a.png" || p.Origin != commerce.OriginLocal ||
					p.Title["ru"] != "Чай" || p.Title["zh-CN"] != "茶" || p.Description["en"] != "Loose leaf,\n100 g." {
					t.Errorf("got %+v", items[0])
				}
			},
		},
		{
			name: "semicolons, BOM, CRLF and blank rows",
			in:   "\uFEFFsku;category;title_en;price;origin;stock\r\n;;;;;\r\nA-1;snacks;Crackers, salted;12;bonded;1\r\n\r\n  ; ; ; ; ; \r\nA-2;snacks;Chips;3;bonded;0\r\n",
			check: func(t *testing.T, items []catalogio.Item) {
				if len(items) != 2 || items[0].Product.Title["en"] != "Crackers, salted" || items[1].Product.SKU != "A-2" {
					t.Errorf("got %+v", items)
				}
			},
		},
		{
			name: "decimal comma",
			in:   "sku;category;title_en;price;origin;stock\nA-1;snacks;Crackers;12,50;bonded;1\n",
			want: []string{`line 2: price "12,50": write decimals with a dot: invalid input`},
		},
		{
			name: "tabs",
			in:   "sku\tcategory\ttitle_en\tprice\torigin\tstock\nA-1\tsnacks\tCrackers\t12\tbonded\t1\n",
			check: func(t *testing.T, items []catalogio.Item) {
				if len(items) != 1 || items[0].Product.Price != commerce.CNY(1200) {
					t.Errorf("got %+v", items)
				}
			},
		},
		{
			name: "JPY has no minor unit",
			in:   "sku,category,title_en,price,currency,origin,stock\nJ-1,snacks,Senbei,980,JPY,bonded,1\nJ-2,snacks,Mochi,980.5,JPY,bonded,1\n",
			want: []string{`line 3: price "980.5": invalid input`},
		},
		{name: "empty file", in: "", want: []string{"empty CSV file"}},
		{name: "only a BOM", in: "\uFEFF", want: []string{"empty CSV file"}},
		{name: "header only", in: header, want: []string{"no products"}},
		{name: "unknown column", in: "sku,category,title_en,price,origin,stock,colour\n", want: []string{`line 1: unknown column "colour"`}},
		{name: "empty column name", in: "sku,category,title_en,price,origin,stock,\n", want: []string{`unknown column ""`}},
		{name: "repeated column", in: "sku,category,title_en,price,origin,stock,SKU\n", want: []string{`repeated column "sku"`}},
		{name: "missing columns", in: "sku,title_en,price\n", want: []string{"line 1: missing required columns category, origin, stock"}},
		{name: "wrong cell count", in: header + "A-1,snacks,Crackers,12,bonded\n", want: []string{"line 2: wrong number of cells"}},
		{name: "bare quote", in: header + "A-1,snacks,Cra\"ckers,12,bonded,1\n", want: []string{`line 2, column 15: bare "`}},
		{name: "unterminated quote", in: header + "A-1,snacks,\"Crackers,12,bonded,1\n", want: []string{"line 2"}},
		{name: "bad price", in: header + "A-1,snacks,Crackers,12,bonded,1\n\n\n\nA-2,snacks,Chips,3,bonded,1\nA-3,snacks,Nuts,abc,bonded,1\n", want: []string{`line 7: price "abc": invalid input`}},
		{name: "too many decimals", in: header + "A-1,snacks,Crackers,12.345,bonded,1\n", want: []string{`line 2: price "12.345"`}},
		{name: "zero price", in: header + "A-1,snacks,Crackers,0.00,bonded,1\n", want: []string{`line 2: price "0.00": must be more than zero`}},
		{name: "negative price", in: header + "A-1,snacks,Crackers,-1,bonded,1\n", want: []string{`line 2: price "-1"`}},
		{name: "empty price", in: header + "A-1,snacks,Crackers, ,bonded,1\n", want: []string{"line 2: price is required"}},
		{name: "bad currency", in: "sku,category,title_en,price,currency,origin,stock\nA-1,snacks,Crackers,1,¥,bonded,1\n", want: []string{`line 2: currency "¥"`}},
		{name: "bad origin", in: header + "A-1,snacks,Crackers,1,smuggled,1\n", want: []string{`line 2: origin "smuggled": want bonded, direct_mail, duty_paid or local_stock: invalid input`}},
		{name: "empty origin", in: header + "A-1,snacks,Crackers,1,,1\n", want: []string{"line 2: origin is required"}},
		{name: "negative stock", in: header + "A-1,snacks,Crackers,1,bonded,-1\n", want: []string{`line 2: stock "-1"`}},
		{name: "fractional stock", in: header + "A-1,snacks,Crackers,1,bonded,1.5\n", want: []string{`line 2: stock "1.5"`}},
		{name: "huge stock", in: header + "A-1,snacks,Crackers,1,bonded,99999999999\n", want: []string{`line 2: stock "99999999999"`}},
		{name: "empty stock", in: header + "A-1,snacks,Crackers,1,bonded,\n", want: []string{"line 2: stock is required"}},
		{name: "empty sku", in: header + " ,snacks,Crackers,1,bonded,1\n", want: []string{"line 2: sku is required"}},
		{name: "sku with a space", in: header + "A 1,snacks,Crackers,1,bonded,1\n", want: []string{`line 2: sku "A 1"`}},
		{name: "long sku", in: header + strings.Repeat("X", 65) + ",snacks,Crackers,1,bonded,1\n", want: []string{"line 2: sku"}},
		{name: "empty category", in: header + "A-1,,Crackers,1,bonded,1\n", want: []string{"line 2: category is required"}},
		{name: "empty title", in: header + "A-1,snacks,,1,bonded,1\n", want: []string{"line 2: title_en is required"}},
		{name: "control character", in: header + "A-1,snacks,\"Crack\x07ers\",1,bonded,1\n", want: []string{`line 2: title_en "Crack\aers": control characters`}},
		{name: "long value clipped", in: header + "A-1,snacks,Crackers," + strings.Repeat("9", 50) + ",bonded,1\n", want: []string{`line 2: price "` + strings.Repeat("9", 40) + `…": invalid input`}},
		{name: "newline in title", in: header + "A-1,snacks,\"Crack\ners\",1,bonded,1\n", want: []string{"line 2: title_en", "control characters"}},
		{name: "invalid UTF-8", in: header + "A-1,snacks,Crack\xffers,1,bonded,1\n", want: []string{"line 2: title_en: not valid UTF-8"}},
		{name: "long title", in: header + "A-1,snacks," + strings.Repeat("长", catalogio.MaxTitle+1) + ",1,bonded,1\n", want: []string{"line 2: title_en: 201 characters"}},
		{name: "image with spaces", in: "sku,category,title_en,price,origin,stock,image\nA-1,snacks,Crackers,1,bonded,1,my picture.png\n", want: []string{`line 2: image "my picture.png"`}},
		{name: "bad active", in: "sku,category,title_en,price,origin,stock,active\nA-1,snacks,Crackers,1,bonded,1,maybe\n", want: []string{`line 2: active "maybe"`}},
		{name: "duplicate sku", in: header + "A-1,snacks,Crackers,1,bonded,1\nA-2,snacks,Chips,1,bonded,1\nA-1,snacks,Nuts,1,bonded,1\n", want: []string{`line 4: duplicate sku "A-1" (first at line 2)`}},
		{
			name: "all item errors are reported",
			in:   header + "A-1,snacks,Crackers,x,bonded,1\nA-2,snacks,Chips,1,bonded,1\nA-3,snacks,Nuts,1,bonded,y\n",
			want: []string{`line 2: price "x"`, `line 4: stock "y"`},
		},
		{
			name: "gives up after MaxErrors",
			in:   header + strings.Repeat("A-1,snacks,Crackers,x,bonded,1\n", 100),
			want: []string{"line 21: price", fmt.Sprintf("stopped after %d errors", catalogio.MaxErrors)},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			items, err := catalogio.Parse(strings.NewReader(tc.in), "csv")
			checkParse(t, items, err, tc.want, tc.check)
		})
	}
}

func TestParseJSON(t *testing.T) {
	t.Parallel()
	obj := func(extra string) string {
		return `{"sku":"A-1","category":"snacks","title_en":"Crackers","origin":"bonded","stock":1` + extra + `}`
	}
	for _, tc := range []struct {
		name  string
		in    string
		check func(t *testing.T, items []catalogio.Item)
		want  []string
	}{
		{
			name: "numbers, strings and nulls",
			in: `[` + obj(`,"price":129.00,"active":null,"title_zh":null`) + `,` +
				`{"sku":"A-2","category":"snacks","title_en":"Chips","price":"3","origin":"local_stock","stock":"12","active":"false","currency":"rub"}]`,
			check: func(t *testing.T, items []catalogio.Item) {
				a, b := items[0].Product, items[1].Product
				if a.Price != commerce.CNY(12900) || !a.Active || len(a.Title) != 1 ||
					b.Price != (commerce.Money{Amount: 300, Currency: "RUB"}) || b.Stock != 12 || b.Active {
					t.Errorf("got %+v", items)
				}
			},
		},
		{
			name: "BOM and whitespace",
			in:   "\uFEFF \n[\n " + obj(`,"price":1`) + "\n]\n\n",
			check: func(t *testing.T, items []catalogio.Item) {
				if len(items) != 1 {
					t.Errorf("got %+v", items)
				}
			},
		},
		{name: "empty file", in: " \n", want: []string{"empty JSON file"}},
		{name: "empty array", in: "[]", want: []string{"no products"}},
		{name: "not an array", in: obj(`,"price":1`), want: []string{"line 1: want a JSON array"}},
		{name: "null", in: "null", want: []string{"want a JSON array"}},
		{name: "item not an object", in: `[` + obj(`,"price":1`) + `, 5]`, want: []string{"item 2 (line 1): want an object"}},
		{name: "syntax error", in: "[\n" + obj(`,"price":1`) + ",\n{\"sku\": }\n]", want: []string{"line 3: invalid character '}'"}},
		{name: "truncated", in: "[" + obj(`,"price":1`), want: []string{"unexpected end"}},
		{name: "trailing data", in: "[" + obj(`,"price":1`) + "]\n[]", want: []string{"line 2: unexpected data after the array"}},
		{name: "unknown field", in: "[\n" + obj(`,"price":1,"colour":"red"`) + "]", want: []string{`item 1 (line 2): unknown field "colour"`}},
		{name: "repeated field", in: "[" + obj(`,"price":1,"PRICE":2`) + "]", want: []string{`item 1 (line 1): repeated field "PRICE"`}},
		{name: "price with too many decimals", in: "[" + obj(`,"price":129.001`) + "]", want: []string{`item 1 (line 1): price "129.001": invalid input`}},
		{name: "price with exponent", in: "[" + obj(`,"price":1e2`) + "]", want: []string{`price "1e2"`}},
		{name: "price as object", in: "[" + obj(`,"price":{"amount":1}`) + "]", want: []string{"want a string, number or boolean"}},
		{name: "missing price", in: "[" + obj(``) + "]", want: []string{"item 1 (line 1): price is required"}},
		{name: "fractional stock", in: `[{"sku":"A-1","category":"snacks","title_en":"C","origin":"bonded","price":1,"stock":1.5}]`, want: []string{`stock "1.5"`}},
		{name: "sku as a number", in: `[{"sku":12,"category":"snacks","title_en":"C","origin":"bonded","price":1,"stock":1}]`, want: []string{"sku: got a number, want a string"}},
		{name: "NUL in title", in: `[{"sku":"A-1","category":"snacks","title_en":"C\u0000","origin":"bonded","price":1,"stock":1}]`, want: []string{"title_en", "control characters"}},
		{name: "bad origin", in: "[" + strings.Replace(obj(`,"price":1`), "bonded", "air", 1) + "]", want: []string{`origin "air"`}},
		{
			name: "duplicate sku",
			in:   "[\n" + obj(`,"price":1`) + ",\n" + obj(`,"price":2`) + "\n]",
			want: []string{`item 2 (line 3): duplicate sku "A-1" (first at item 1 (line 2))`},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			items, err := catalogio.Parse(strings.NewReader(tc.in), "json")
			checkParse(t, items, err, tc.want, tc.check)
		})
	}
}

func checkParse(t *testing.T, items []catalogio.Item, err error, want []string, check func(*testing.T, []catalogio.Item)) {
	t.Helper()
	if want == nil || (err == nil && check != nil) {
		if err != nil {
			t.Fatalf("Parse: %v", err)
		}
		for _, it := range items {
			if err := it.Product.Validate(); err != nil {
				t.Errorf("invalid item: %v", err)
			}
		}
		check(t, items)
		return
	}
	if err == nil {
		t.Fatalf("Parse = %d items, want an error with %q", len(items), want)
	}
	if !errors.Is(err, commerce.ErrInvalid) {
		t.Errorf("error %q does not match commerce.ErrInvalid", err)
	}
	if items != nil {
		t.Errorf("items returned with an error: %+v", items)
	}
	for _, w := range want {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("error %q\nwant it to contain %q", err, w)
		}
	}
}

func TestParseLimits(t *testing.T) {
	t.Parallel()
	row := func(i int) string { return fmt.Sprintf("S-%d,snacks,Crackers,1,bonded,1\n", i) }
	var csv strings.Builder
	csv.WriteString(header)
	for i := range catalogio.MaxItems {
		csv.WriteString(row(i))
	}
	if items, err := catalogio.Parse(strings.NewReader(csv.String()), "csv"); err != nil || len(items) != catalogio.MaxItems {
		t.Fatalf("Parse(%d rows) = %d items, %v", catalogio.MaxItems, len(items), err)
	}
	csv.WriteString(row(catalogio.MaxItems))
	_, err := catalogio.Parse(strings.NewReader(csv.String()), "csv")
	if !errors.Is(err, commerce.ErrInvalid) || !strings.Contains(err.Error(), fmt.Sprintf("line %d: more than 10000 products", catalogio.MaxItems+2)) {
		t.Errorf("Parse(%d rows) = %v", catalogio.MaxItems+1, err)
	}

	var js strings.Builder
	js.WriteString("[")
	for i := range catalogio.MaxItems + 1 {
		if i > 0 {
			js.WriteString(",\n")
		}
		fmt.Fprintf(&js, `{"sku":"S-%d","category":"snacks","title_en":"Crackers","price":1,"origin":"bonded","stock":1}`, i)
	}
	js.WriteString("]")
	_, err = catalogio.Parse(strings.NewReader(js.String()), "json")
	if !errors.Is(err, commerce.ErrInvalid) || !strings.Contains(err.Error(), "item 10001 (line 10001): more than 10000 products") {
		t.Errorf("Parse(%d objects) = %v", catalogio.MaxItems+1, err)
	}

	big := header + row(1) + strings.Repeat(" ", catalogio.MaxBytes)
	for _, format := range []string{"csv", "json"} {
		_, err = catalogio.Parse(strings.NewReader(big), format)
		if !errors.Is(err, commerce.ErrInvalid) || !strings.Contains(err.Error(), "larger than 10 MiB") {
			t.Errorf("Parse(%s, 10 MiB + %d) = %v", format, len(header+row(1)), err)
		}
	}

	if _, err := catalogio.Parse(strings.NewReader(header+row(1)), "xlsx"); !errors.Is(err, commerce.ErrInvalid) {
		t.Errorf("Parse(xlsx) = %v, want ErrInvalid", err)
	}
	readErr := errors.New("disk on fire")
	if _, err := catalogio.Parse(failingReader{readErr}, "csv"); !errors.Is(err, readErr) {
		t.Errorf("Parse(failing reader) = %v, want the read error", err)
	}
}

type failingReader struct{ err error }

func (r failingReader) Read([]byte) (int, error) { return 0, r.err }

func item(sku, slug string) catalogio.Item {
	return catalogio.Item{CategorySlug: slug, Product: commerce.Product{
		SKU: sku, Title: commerce.Text{"en": sku}, Price: commerce.CNY(100),
		Origin: commerce.OriginBonded, Stock: 1, Active: true,
	}}
}

func TestImport(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := &failingStore{Store: testenv.SQLite(t)}
	for _, slug := range []string{"snacks", "baby"} {
		if _, err := s.UpsertCategory(ctx, commerce.Category{Slug: slug, Title: commerce.Text{"en": slug}}); err != nil {
			t.Fatal(err)
		}
	}

	// Unknown categories: nothing is written, all of them are named.
	_, err := catalogio.Import(ctx, s, []catalogio.Item{item("A-1", "snacks"), item("A-2", "wine"), item("A-3", "toys"), item("A-4", "wine")})
	if !errors.Is(err, commerce.ErrNotFound) || !strings.Contains(err.Error(), `unknown categories "toys", "wine" (known: snacks, baby)`) {
		t.Errorf("Import(unknown categories) = %v", err)
	}
	if n, _ := s.CountProducts(ctx); n != 0 {
		t.Errorf("%d products written despite unknown categories", n)
	}

	// Invalid and duplicate items are refused before writing too.
	bad := item("A-2", "snacks")
	bad.Product.Price = commerce.Money{}
	for _, items := range [][]catalogio.Item{
		{item("A-1", "snacks"), bad},
		{item("A-1", "snacks"), item("A-1", "baby")},
	} {
		if _, err := catalogio.Import(ctx, s, items); !errors.Is(err, commerce.ErrInvalid) {
			t.Errorf("Import(%+v) = %v, want ErrInvalid", items, err)
		}
	}
	if n, _ := s.CountProducts(ctx); n != 0 {
		t.Errorf("%d products written despite invalid items", n)
	}

	res, err := catalogio.Import(ctx, s, []catalogio.Item{item("A-1", "snacks"), item("B-1", "baby")})
	if err != nil || res != (catalogio.Result{Upserted: 2, Created: 2}) {
		t.Fatalf("Import = %+v, %v", res, err)
	}
	changed := item("A-1", "baby")
	changed.Product.Stock = 9
	changed.Product.ID = 12345 // ignored: upserts go by SKU
	res, err = catalogio.Import(ctx, s, []catalogio.Item{changed, item("C-1", "snacks")})
	if err != nil || res != (catalogio.Result{Upserted: 2, Created: 1}) {
		t.Fatalf("Import = %+v, %v", res, err)
	}
	ps, _ := s.Products(ctx, commerce.ProductFilter{WithHidden: true})
	if len(ps) != 3 || ps[0].SKU != "A-1" || ps[0].Stock != 9 || ps[0].CategoryID != 2 || ps[2].CategoryID != 1 {
		t.Errorf("products after import: %+v", ps)
	}

	// A failing store stops the import and reports what was written.
	s.failSKU = "E-2"
	res, err = catalogio.Import(ctx, s, []catalogio.Item{item("E-1", "snacks"), item("E-2", "snacks"), item("E-3", "snacks")})
	if !errors.Is(err, errStore) || !strings.Contains(err.Error(), "sku E-2") || res != (catalogio.Result{Upserted: 1, Created: 1}) {
		t.Errorf("Import(failing store) = %+v, %v", res, err)
	}

	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := catalogio.Import(cctx, s, []catalogio.Item{item("F-1", "snacks")}); !errors.Is(err, context.Canceled) {
		t.Errorf("Import(cancelled) = %v", err)
	}

	if res, err := catalogio.Import(ctx, s, nil); err != nil || res != (catalogio.Result{}) {
		t.Errorf("Import(nil) = %+v, %v", res, err)
	}
}

var errStore = errors.New("store is down")

// failingStore is the real embedded store, except that upserting failSKU
// fails with errStore.
type failingStore struct {
	*sqlstore.Store
	failSKU string
}

func (s *failingStore) UpsertProduct(ctx context.Context, p commerce.Product) (commerce.Product, error) {
	if p.SKU == s.failSKU {
		return p, errStore
	}
	return s.Store.UpsertProduct(ctx, p)
}

// checkFuzzed holds Parse's promises on any input: errors match
// commerce.ErrInvalid, successes are non-empty, bounded, unique by SKU and
// valid.
func checkFuzzed(t *testing.T, data []byte, format string) {
	items, err := catalogio.Parse(bytes.NewReader(data), format)
	if err != nil {
		if !errors.Is(err, commerce.ErrInvalid) {
			t.Fatalf("error %q does not match commerce.ErrInvalid", err)
		}
		if items != nil {
			t.Fatalf("items returned with error %q", err)
		}
		return
	}
	if len(items) == 0 || len(items) > catalogio.MaxItems {
		t.Fatalf("%d items", len(items))
	}
	seen := make(map[string]bool)
	for _, it := range items {
		p := it.Product
		if err := p.Validate(); err != nil {
			t.Fatalf("invalid item %+v: %v", it, err)
		}
		if seen[p.SKU] {
			t.Fatalf("duplicate SKU %q", p.SKU)
		}
		seen[p.SKU] = true
		if it.CategorySlug == "" || p.Title["en"] == "" || p.Price.Amount <= 0 || p.Stock < 0 {
			t.Fatalf("incomplete item %+v", it)
		}
		for _, s := range []string{p.SKU, it.CategorySlug, p.Title["en"], p.Title["zh-CN"], p.Title["ru"], p.Image} {
			if !utf8.ValidString(s) || strings.ContainsFunc(s, unicode.IsControl) {
				t.Fatalf("invalid UTF-8 or control character in %q", s)
			}
		}
	}
}

func FuzzParseCSV(f *testing.F) {
	example, err := os.ReadFile("testdata/example.csv")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(example)
	f.Add([]byte(header + "A-1,snacks,Crackers,12.50,bonded,7\n"))
	f.Add([]byte("sku;category;title_en;price;origin;stock;active;currency\nA-1;snacks;\"Cr\"\"ack\r\ners\";980;local;0;no;JPY\n"))
	f.Add([]byte(header + "A-1,snacks,Crackers,x,bonded,-1\nA-1,snacks,Crackers,1,bonded,1\n"))
	f.Fuzz(func(t *testing.T, data []byte) { checkFuzzed(t, data, "csv") })
}

func FuzzParseJSON(f *testing.F) {
	example, err := os.ReadFile("testdata/example.json")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(example)
	f.Add([]byte(`[{"sku":"A-1","category":"snacks","title_en":"C","price":1.5,"origin":"bonded","stock":"2","active":null}]`))
	f.Add([]byte(`[{"sku":"A-1","SKU":"A-2","category":"snacks","title_en":"C\u0007","price":{},"origin":"x","stock":-1}, 3, "x"] []`))
	f.Fuzz(func(t *testing.T, data []byte) { checkFuzzed(t, data, "json") })
}
