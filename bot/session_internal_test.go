package bot

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"shopbot/commerce"
)

// A session saved in the version 1 shape (every feature's fields side by
// side, as stored before the features got parts of their own) is read into
// the parts, and saved back in the current shape.
func TestSessionReadsVersion1(t *testing.T) {
	v1 := `{"lang":"ru","step":"dco_phone","cart":{"lines":[{"p":3,"q":2}]},` +
		`"co":{"n":"abc","pt":2,"nm":"Ann"},"ln":"Ann Lee","lp":"+8613800000000",` +
		`"sd":{"n":"s1","in":"123456","pt":4},"sl":{"n":"0123456789","t":"Serum","s":5,"hs":true},` +
		`"se":{"id":9,"f":"stock","ss":12},"dco":{"n":"d1","r":77,"pt":2,"nm":"Ann"},` +
		`"dnw":{"n":"w1","p":3,"u":10},"dae":{"d":5,"f":"units"},"seen":20500,"bc":{"id":42}}`
	s, err := decodeSession([]byte(v1), 7)
	if err != nil {
		t.Fatal(err)
	}
	want := Session{
		V: sessionVersion, Lang: "ru", Step: stepDropPhone,
		Contact:   Contact{Name: "Ann Lee", Phone: "+8613800000000"},
		Checkout:  CheckoutDraft{Nonce: "abc", PointID: 2, Name: "Ann"},
		Staff:     StaffDraft{Nonce: "s1", Input: "123456", PointID: 4},
		Seller:    SellerState{Listing: ListingDraft{Nonce: "0123456789", Title: "Serum", Stock: 5, HasStock: true}, Edit: ProductEdit{ID: 9, Field: "stock", SeenStock: 12}},
		Drops:     DropState{Buy: DropCheckout{Nonce: "d1", Res: 77, PointID: 2, Name: "Ann"}, New: DropWizard{Nonce: "w1", Product: 3, Units: 10}, Edit: DropEditState{ID: 5, Field: "units"}},
		Broadcast: BroadcastState{Seen: 20500, Draft: BroadcastDraft{ID: 42}},
		version:   7,
	}
	if err := json.Unmarshal([]byte(`{"lines":[{"p":3,"q":2}]}`), &want.Cart); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(s, want) {
		t.Fatalf("decoded\n%+v\nwant\n%+v", s, want)
	}
	enc, err := s.encode()
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(string(enc), `{"v":2,`) || strings.Contains(string(enc), `"dco"`) {
		t.Fatalf("re-encoded in the old shape: %s", enc)
	}
	again, err := decodeSession(enc, 7)
	if err != nil || !reflect.DeepEqual(again, want) {
		t.Fatalf("round trip: %+v, %v", again, err)
	}
}

func TestSessionDecodeEdges(t *testing.T) {
	for _, tc := range []struct {
		name string
		data string
		ok   bool
	}{
		{"empty", ``, true},
		{"empty object", `{}`, true},
		{"current", `{"v":2,"lang":"en","cart":{"lines":null}}`, true},
		{"not json", `{"v":`, false},
		{"wrong type", `{"v":"2"}`, false},
		{"v1 wrong type", `{"co":7}`, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, err := decodeSession([]byte(tc.data), 1)
			if (err == nil) != tc.ok {
				t.Fatalf("decodeSession(%q) = %v", tc.data, err)
			}
			if err == nil && (s.V != sessionVersion || s.version != 1) {
				t.Fatalf("version %d/%d", s.V, s.version)
			}
		})
	}
}

// Every part keeps its JSON key: two parts on one key would be dropped by
// encoding/json without a word.
func TestSessionPartsHaveTheirOwnKeys(t *testing.T) {
	var s Session
	s.Cart = commerce.Cart{}
	s.Contact.Name, s.Checkout.Nonce, s.Staff.Nonce = "a", "b", "c"
	s.Seller.Listing.Nonce, s.Drops.Buy.Nonce, s.Broadcast.Seen = "d", "e", 1
	enc, err := s.encode()
	if err != nil {
		t.Fatal(err)
	}
	var keys map[string]json.RawMessage
	if err := json.Unmarshal(enc, &keys); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"v", "cart", "contact", "checkout", "staff", "seller", "drops", "broadcast"} {
		if _, ok := keys[k]; !ok {
			t.Errorf("encoded session lacks %q: %s", k, enc)
		}
	}
}
