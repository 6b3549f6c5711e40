package jobs

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"shopbot/bot"
	"shopbot/commerce"
	"shopbot/internal/testenv"
)

// recordingDeliverer keeps what it delivered; fail makes the next
// deliveries fail with that error.
type recordingDeliverer struct {
	mu   sync.Mutex
	sent []string // "channel:chat orders"
	fail error
}

func (d *recordingDeliverer) Deliver(_ context.Context, channel, chatID string, replies []bot.Reply) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.fail != nil {
		return d.fail
	}
	d.sent = append(d.sent, channel+":"+chatID+" "+replies[0].Text)
	return nil
}

func (d *recordingDeliverer) take() []string {
	d.mu.Lock()
	defer d.mu.Unlock()
	out := d.sent
	d.sent = nil
	return out
}

// The worker sends what the desk gives it, once: a retried job after a
// send sends nothing, a failed send is retried with the same orders, an
// order within the seller's minute snoozes to its end, and a seller who
// blocked the bot cancels the job without a retry.
func TestSellerNoticeWorker(t *testing.T) {
	ctx := context.Background()
	st := testenv.DemoSQLite(t)
	clock := testenv.NewClock(time.Date(2030, 5, 1, 10, 0, 0, 0, time.UTC))
	desk := commerce.NewOrderDesk(commerce.OrderDeskOptions{Store: st, Clock: clock})
	prods, err := st.Products(ctx, commerce.ProductFilter{Limit: 1})
	if err != nil || len(prods) == 0 {
		t.Fatalf("products: %v", err)
	}
	pts, err := st.PickupPoints(ctx)
	if err != nil || len(pts) == 0 {
		t.Fatalf("points: %v", err)
	}
	n := 0
	place := func() commerce.Order {
		n++
		p := prods[0]
		now := clock.Now()
		o, _, err := st.PlaceOrder(ctx, commerce.Order{Number: commerce.NewOrderNumber(), Buyer: commerce.Buyer{Channel: "web", UserID: fmt.Sprint("b", n)},
			ChatID: "c", Lang: "en", Status: commerce.StatusConfirmed, PickupPointID: pts[0].ID, ContactName: "Li", Phone: "+8613800000000",
			IdempotencyKey: fmt.Sprint("k", n), CreatedAt: now, UpdatedAt: now, ExpiresAt: now.Add(time.Hour),
			Lines: []commerce.OrderLine{{ProductID: p.ID, SKU: p.SKU, Title: p.Title, UnitPrice: p.Price, Qty: 1}}, Total: p.Price}, commerce.PersonLimits{})
		if err != nil {
			t.Fatal(err)
		}
		return o
	}
	d := &recordingDeliverer{}
	w := &SellerNoticeWorker{Desk: desk, Deliver: d,
		Render: func(_ context.Context, n bot.Notice) ([]bot.Reply, error) { return []bot.Reply{{Text: n.Orders}}, nil }}
	work := func(jobID int64, o commerce.Order) error {
		return w.Work(ctx, &river.Job[SellerOrderNoticeArgs]{JobRow: &rivertype.JobRow{ID: jobID}, Args: SellerOrderNoticeArgs{Seller: "tg:42", OrderID: o.ID}})
	}
	o1 := place()
	if err := work(1, o1); err != nil {
		t.Fatal(err)
	}
	if got := d.take(); len(got) != 1 || got[0] != fmt.Sprintf("tg:42 %d", o1.ID) {
		t.Fatalf("first notice: %v", got)
	}
	if err := work(1, o1); err != nil || len(d.take()) != 0 {
		t.Fatalf("a retried job after its send: %v", err)
	}

	// Within the minute: snoozed until its end.
	clock.Advance(20 * time.Second)
	o2 := place()
	var snooze *river.JobSnoozeError
	if err := work(2, o2); !errors.As(err, &snooze) || snooze.Duration != 40*time.Second {
		t.Fatalf("an order within the minute: %v", err)
	}
	// At its end the send fails: retried with the same order, once.
	clock.Advance(40 * time.Second)
	d.fail = errors.New("telegram down")
	if err := work(2, o2); err == nil {
		t.Fatal("a failed send was not retried")
	}
	d.fail = nil
	if err := work(2, o2); err != nil {
		t.Fatal(err)
	}
	if got := d.take(); len(got) != 1 || got[0] != fmt.Sprintf("tg:42 %d", o2.ID) {
		t.Fatalf("the retried send: %v", got)
	}
	if err := work(2, o2); err != nil || len(d.take()) != 0 {
		t.Fatalf("the retry after its send: %v", err)
	}

	// A seller who blocked the bot: the job is cancelled, not retried.
	clock.Advance(time.Minute)
	d.fail = fmt.Errorf("blocked: %w", ErrUnreachable)
	var cancel *river.JobCancelError
	if err := work(3, place()); !errors.As(err, &cancel) {
		t.Fatalf("unreachable seller: %v", err)
	}
	// A malformed seller identity: cancelled too.
	d.fail = nil
	clock.Advance(time.Minute)
	err = w.Work(ctx, &river.Job[SellerOrderNoticeArgs]{JobRow: &rivertype.JobRow{ID: 4}, Args: SellerOrderNoticeArgs{Seller: "", OrderID: o1.ID}})
	if !errors.As(err, &cancel) {
		t.Fatalf("no seller: %v", err)
	}
}
