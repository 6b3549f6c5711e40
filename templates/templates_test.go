package templates

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"shopbot/commerce"
)

var update = flag.Bool("update", false, "rewrite golden files")

// sample has every field any text uses, so each renders fully.
func sample(n int) map[string]any {
	type line struct {
		Title       string
		Qty         int
		Unit, Total commerce.Money
	}
	type order struct {
		Number, Status, Date string
		Total                commerce.Money
	}
	type ret struct {
		Number, Kind, Reason string
		Booked               bool
		Start, End           time.Time
	}
	type point struct {
		Name, City, Address, Hours string
		Meters                     float64
		Returns                    []ret
		More                       int
	}
	type skipped struct{ Number, Reason string }
	type summary struct {
		PointCode, City, Point, Hours string
		SlotMinutes, SlotCapacity     int
		Holidays, Staff               []string
		Active                        bool
	}
	holidays := []string{"2026-10-01", "2026-10-02"}[:n-1]
	staff := []string{"tg:123456", "web:staff-jingan"}[:n-1]
	cst := time.FixedZone("CST", 8*3600)
	start := time.Date(2026, 11, 27, 14, 30, 0, 0, cst)
	end := start.Add(15 * time.Minute)
	return map[string]any{
		"Code": "482913", "Booked": n == 1, "Slots": n == 1, "Start": start, "End": end,
		"Expires": time.Date(2026, 12, 25, 18, 4, 0, 0, cst), "Deadline": time.Date(2026, 12, 4, 14, 40, 0, 0, cst),
		"CanReturn": n == 1, "Kind": "Exchange", "Reason": "Wrong size", "Note": "Tags removed",
		"Buyer": "Li", "Days": 7 + n, "PointCode": "SH-JINGAN", "Codes": "SH-JINGAN, SH-LUJIAZUI", "Batch": "B-1125",
		"Moved":   []string{"K7Q2M9", "P3XW8R"}[:min(n, 2)],
		"Skipped": []skipped{{"ZZZZZZ", "no such order"}, {"Q2M9K7", "status: on the way"}}[:n-1],
		"Points": []point{
			{"Jing'an counter", "Shanghai", "88 Yanping Rd", "10:00–21:00", 850, []ret{{"K7Q2M9", "Exchange", "Wrong size", true, start, end}}, n - 1},
			{"Wulin counter", "Hangzhou", "528 Yan'an Rd", "10:00–21:00", 164321, nil, 0},
		},
		"Name": "Li Wei", "Title": "Hyaluronic serum 30 ml", "Description": "Made in Korea. Shelf life 24 months.",
		"Price": commerce.CNY(12900), "Total": commerce.CNY(1234550), "Origin": "Duty paid", "Stock": 3, "Low": true,
		"SoldOut": true, "Qty": n, "Units": n, "N": n, "Max": 10, "Left": 2, "InCart": 1, "Page": 2, "Value": "Li Wei",
		"City": "Shanghai", "Point": "Jing'an counter", "Address": "88 Yanping Rd", "Hours": "10:00–21:00",
		"Phone": "•••••••••1234", "Minutes": 15, "Date": "2026-11-25 18:04", "Number": "K7Q2M9", "Status": "confirmed",
		"Pending": true, "Upcoming": true, "MaxLines": 20, "Category": "Cosmetics & skincare", "More": true,
		"Lines":       []line{{"Serum", 2, commerce.CNY(12900), commerce.CNY(25800)}, {"Formula", 1, commerce.CNY(29900), commerce.CNY(29900)}},
		"Orders":      []order{{"K7Q2M9", "confirmed", "2026-11-25 18:04", commerce.CNY(55700)}},
		"SlotMinutes": 15, "SlotCapacity": n, "Holidays": holidays, "Staff": staff, "Active": n == 1,
		"PointList": []summary{
			{"SH-JINGAN", "Shanghai", "Jing'an counter", "Mo-Fr 10:00-21:00; Sa 11:00-18:00", 15, 3, holidays, staff, true},
			{"HZ-WULIN", "Hangzhou", "Wulin counter", "", 30, 1, nil, nil, false},
		}[:n-1],
	}
}

// topicSamples adds a topic's own sample fields to sample(n); each topic's
// test file registers its function in an init, next to its texts.
var topicSamples = map[string]func(n int) map[string]any{}

func sampleFor(topic string, n int) map[string]any {
	data := sample(n)
	if f := topicSamples[topic]; f != nil {
		for k, v := range f(n) {
			data[k] = v
		}
	}
	return data
}

// TestGolden renders every key of every topic in every locale, twice (n=1
// and n=3 for plurals and optional parts), into testdata/<lang>/<topic>.golden.
func TestGolden(t *testing.T) {
	s, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	for _, lang := range Locales {
		byTopic := map[string]*strings.Builder{}
		for _, topic := range Topics() {
			byTopic[topic] = &strings.Builder{}
		}
		for _, key := range s.Keys() {
			topic := s.Topic(key)
			b := byTopic[topic]
			for _, n := range []int{1, 3} {
				got := s.Text(lang, key, sampleFor(topic, n))
				if got == key {
					t.Errorf("%s/%s does not render", lang, key)
				}
				b.WriteString("## " + key + " n=" + string(rune('0'+n)) + "\n" + got + "\n\n")
			}
		}
		for topic, b := range byTopic {
			checkGolden(t, filepath.Join("testdata", lang, topic+".golden"), b.String())
		}
	}
}

func checkGolden(t *testing.T, path, got string) {
	t.Helper()
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./templates -update)", err)
	}
	if got != string(want) {
		t.Errorf("texts differ from %s; run go test ./templates -update and review the diff", path)
	}
}

func TestMissingKeyRendersKeyNotError(t *testing.T) {
	s := MustLoad()
	if got := s.Text("en", "no_such_key", nil); got != "no_such_key" {
		t.Fatalf("missing key = %q", got)
	}
	// A template lacking its data must not leak a Go error string.
	if got := s.Text("en", "added", map[string]any{}); got != "added" {
		t.Fatalf("render with missing data = %q", got)
	}
	if got := s.Text("xx", "lang_name", nil); got != "中文" {
		t.Fatalf("unknown locale falls back to default: %q", got)
	}
}

func TestMatch(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"en", "en"}, {"en-US", "en"}, {"zh", "zh-CN"}, {"zh-Hans-CN", "zh-CN"}, {"zh-TW", "zh-CN"},
		{"ru-RU", "ru"}, {"uk", ""}, {"", ""}, {"fr-FR,ru;q=0.8", "ru"}, {"!!", ""}, {strings.Repeat("a", 300), ""},
	} {
		if got := Match(tc.in); got != tc.want {
			t.Errorf("Match(%q) = %q; want %q", tc.in, got, tc.want)
		}
	}
}

func TestFormatMoney(t *testing.T) {
	for _, tc := range []struct {
		lang string
		m    commerce.Money
		want string
	}{
		{"en", commerce.CNY(129900), "¥1,299.00"},
		{"zh-CN", commerce.CNY(5), "¥0.05"},
		{"ru", commerce.CNY(123456789), "1\u00a0234\u00a0567,89\u00a0¥"},
		{"en", commerce.Money{Amount: 1500, Currency: "JPY"}, "¥1,500"},
		{"en", commerce.Money{Amount: -250, Currency: "USD"}, "-$2.50"},
		{"en", commerce.Money{Amount: 100, Currency: "CHF"}, "1.00 CHF"},
	} {
		if got := FormatMoney(tc.lang, tc.m); got != tc.want {
			t.Errorf("FormatMoney(%s, %v) = %q; want %q", tc.lang, tc.m, got, tc.want)
		}
	}
}

func TestPluralRussian(t *testing.T) {
	for n, want := range map[int]string{1: "товар", 2: "товара", 5: "товаров", 11: "товаров", 21: "товар", 22: "товара", 112: "товаров"} {
		if got := plural("ru", n, "товар", "товара", "товаров"); got != want {
			t.Errorf("plural(%d) = %q; want %q", n, got, want)
		}
	}
}

func TestParseRejectsBrokenFiles(t *testing.T) {
	for name, in := range map[string]string{
		"duplicate key":     "## a\nx\n## a\ny\n",
		"text before a key": "hello\n## a\nx\n",
	} {
		if _, err := parse([]byte(in)); err == nil {
			t.Errorf("%s: parse accepted %q", name, in)
		}
	}
}

func TestFormatSlot(t *testing.T) {
	cst := time.FixedZone("CST", 8*3600)
	at := time.Date(2026, 11, 26, 14, 30, 0, 0, cst) // a Thursday
	for _, tc := range []struct{ lang, slot, day string }{
		{"en", "Thu 26 Nov 14:30", "Thu 26 Nov"},
		{"zh-CN", "11月26日 周四 14:30", "11月26日 周四"},
		{"ru", "чт, 26 нояб. 14:30", "чт, 26 нояб."},
		{"xx", "11月26日 周四 14:30", "11月26日 周四"},
	} {
		if got := FormatSlot(tc.lang, at); got != tc.slot {
			t.Errorf("FormatSlot(%s) = %q; want %q", tc.lang, got, tc.slot)
		}
		if got := FormatDay(tc.lang, at); got != tc.day {
			t.Errorf("FormatDay(%s) = %q; want %q", tc.lang, got, tc.day)
		}
	}
	// The time is shown in its own location: the caller converts to the point's zone.
	if got := FormatSlot("en", at.UTC()); got != "Thu 26 Nov 06:30" {
		t.Errorf("FormatSlot(UTC) = %q", got)
	}
	if got := FormatSlot("ru", time.Date(2027, 5, 1, 9, 5, 0, 0, cst)); got != "сб, 1 мая 09:05" {
		t.Errorf("FormatSlot(ru, May) = %q", got)
	}
}

func TestFormatDistance(t *testing.T) {
	for _, tc := range []struct {
		lang   string
		meters float64
		want   string
	}{
		{"en", 0, "0\u00a0m"}, {"en", 847, "850\u00a0m"}, {"en", 996, "1\u00a0km"}, {"en", 1234, "1.2\u00a0km"},
		{"ru", 1234, "1,2\u00a0км"}, {"zh-CN", 1234, "1.2\u00a0公里"}, {"zh-CN", 420, "420\u00a0米"},
		{"en", 15499, "15\u00a0km"}, {"en", -5, "0\u00a0m"},
	} {
		if got := FormatDistance(tc.lang, tc.meters); got != tc.want {
			t.Errorf("FormatDistance(%s, %v) = %q; want %q", tc.lang, tc.meters, got, tc.want)
		}
	}
}
