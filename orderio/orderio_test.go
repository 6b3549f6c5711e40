package orderio_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"shopbot/commerce"
	"shopbot/orderio"
)

func TestWriteCSV(t *testing.T) {
	shanghai, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		t.Fatal(err)
	}
	created := time.Date(2026, 11, 25, 10, 4, 0, 0, time.UTC)
	paid := commerce.Order{ID: 1, Number: "K7Q2M9", CreatedAt: created, Status: commerce.StatusPickedUp, Buyer: commerce.Buyer{Channel: "web", UserID: "u"},
		ContactName: "王芳", Phone: "+8613900139000", PickupPointID: 1, Total: commerce.CNY(47700),
		Paid: commerce.Payment{At: created.Add(48 * time.Hour), Method: commerce.PayCash, Amount: commerce.CNY(47700), By: "tg:1"},
		Lines: []commerce.OrderLine{
			{SKU: "COS-001", Title: commerce.Text{"zh-CN": "保湿面霜", "en": "Moisturizing cream"}, UnitPrice: commerce.CNY(15900), Qty: 2},
			{SKU: "SNK-002", Title: commerce.Text{"en": "Seaweed"}, UnitPrice: commerce.CNY(15900), Qty: 1},
		}}
	unpaid := commerce.Order{ID: 2, Number: "P3XW8R", CreatedAt: created, Status: commerce.StatusCancelled, Buyer: commerce.Buyer{Channel: "tg", UserID: "1"},
		ContactName: "=HYPERLINK(\"x\")", Phone: "+79001234567", PickupPointID: 9, Total: commerce.Money{Amount: 150000, Currency: "RUB"},
		CancelReason: "-out of stock"}
	var b bytes.Buffer
	err = orderio.WriteCSV(&b, []commerce.Order{paid, unpaid}, orderio.Options{Zone: shanghai, Lang: "zh-CN",
		Points: map[int64]commerce.PickupPoint{1: {Code: "SH-JINGAN", Name: commerce.Text{"zh-CN": "静安寺自提点"}}},
		Refunds: map[int64][]commerce.Refund{paid.ID: {
			{Amount: commerce.CNY(15900), State: commerce.RefundSucceeded},
			{Amount: commerce.CNY(10000), State: commerce.RefundManual},
			{Amount: commerce.CNY(5000), State: commerce.RefundProcessing},
			{Amount: commerce.CNY(99), State: commerce.RefundFailed},
		}}})
	if err != nil {
		t.Fatal(err)
	}
	out := b.String()
	if !strings.HasPrefix(out, "\uFEFForder,created,") {
		t.Fatalf("no byte-order mark and header: %q", out[:min(len(out), 40)])
	}
	rows, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(out, "\uFEFF"))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	want := [][]string{
		orderio.Header,
		{"K7Q2M9", "2026-11-25 18:04", "picked_up", "web", "王芳", "+8613900139000", "SH-JINGAN", "静安寺自提点", "477.00", "CNY",
			"paid", "2026-11-27 18:04", "cash", "477.00", "", "1", "COS-001", "保湿面霜", "2", "159.00", "318.00", "159.00", "150.00"},
		{"K7Q2M9", "2026-11-25 18:04", "picked_up", "web", "王芳", "+8613900139000", "SH-JINGAN", "静安寺自提点", "477.00", "CNY",
			"paid", "2026-11-27 18:04", "cash", "477.00", "", "2", "SNK-002", "Seaweed", "1", "159.00", "159.00", "159.00", "150.00"},
		{"P3XW8R", "2026-11-25 18:04", "cancelled", "tg", "'=HYPERLINK(\"x\")", "+79001234567", "9", "", "1500.00", "RUB",
			"unpaid", "", "", "", "'-out of stock", "", "", "", "", "", "", "", ""},
	}
	if len(rows) != len(want) {
		t.Fatalf("%d rows; want %d:\n%s", len(rows), len(want), out)
	}
	for i := range want {
		if strings.Join(rows[i], "|") != strings.Join(want[i], "|") {
			t.Errorf("row %d:\n got %q\nwant %q", i, rows[i], want[i])
		}
	}
	if got := orderio.Filename(created); got != "orders-20261125.csv" {
		t.Errorf("Filename = %q", got)
	}
}

func TestCollectRefunds(t *testing.T) {
	paid := commerce.Payment{At: time.Date(2026, 11, 25, 10, 4, 0, 0, time.UTC), Method: commerce.PayWeChat, Amount: commerce.CNY(100)}
	orders := []commerce.Order{{ID: 1, Paid: paid}, {ID: 2}, {ID: 3, Paid: paid}}
	var asked []int64
	got, err := orderio.CollectRefunds(context.Background(), orders, func(_ context.Context, id int64) ([]commerce.Refund, error) {
		asked = append(asked, id)
		if id == 1 {
			return []commerce.Refund{{ID: 7}}, nil
		}
		return nil, nil
	})
	if err != nil || len(got) != 1 || len(got[1]) != 1 || got[1][0].ID != 7 || fmt.Sprint(asked) != "[1 3]" {
		t.Fatalf("CollectRefunds = %v, %v (asked %v); want order 1's refund, only paid orders asked", got, err, asked)
	}
	boom := errors.New("boom")
	if _, err := orderio.CollectRefunds(context.Background(), orders, func(context.Context, int64) ([]commerce.Refund, error) { return nil, boom }); !errors.Is(err, boom) {
		t.Fatalf("err = %v; want boom", err)
	}
}
