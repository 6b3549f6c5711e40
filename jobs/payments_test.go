package jobs

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/riverqueue/river"

	"shopbot/bot"
	"shopbot/commerce"
)

// TestPaymentJobs: each payment event becomes the jobs the contract of
// issue 14 lists, addressed to the buyer's chat or to every admin.
func TestPaymentJobs(t *testing.T) {
	q := &Queue{admins: []string{"tg:1", "wx:oSeller"}, payments: true}
	expires := time.Date(2026, 12, 8, 10, 15, 0, 0, time.UTC)
	o := commerce.Order{ID: 7, Number: "K7Q2M9", Buyer: commerce.Buyer{Channel: "web", UserID: "u1"}, ChatID: "u1", Lang: "ru",
		ExpiresAt: expires}
	att := commerce.PayAttempt{ID: 3, OrderID: 7}
	refund := func(state commerce.RefundState, method commerce.PaymentMethod, attemptID int64) commerce.Refund {
		return commerce.Refund{ID: 9, OrderID: 7, AttemptID: attemptID, OutRefundNo: "K7Q2M9R1", State: state, Method: method}
	}
	buyer := func(kind string, attemptID, refundID int64) string {
		return fmt.Sprintf("notice %s web:u1 ru order 7 attempt %d refund %d", kind, attemptID, refundID)
	}
	admins := func(attemptID, refundID int64) []string {
		return []string{
			fmt.Sprintf("notice payment_alert tg:1  order 7 attempt %d refund %d", attemptID, refundID),
			fmt.Sprintf("notice payment_alert wx:oSeller  order 7 attempt %d refund %d", attemptID, refundID),
		}
	}
	for _, tc := range []struct {
		name string
		e    commerce.Event
		want []string
	}{
		{"started", commerce.PaymentStarted{Order: o, Attempt: att}, []string{"expire_payment order 7 at 10:15"}},
		{"paid", commerce.OrderPaid{Order: o, Attempt: att}, []string{buyer(bot.NoticePaid, 3, 0)}},
		{"mismatch", commerce.PaymentMismatched{Order: o, Attempt: att}, admins(3, 0)},
		{"refund requested", commerce.RefundCreated{Order: o, Refund: refund(commerce.RefundRequested, commerce.PayWeChat, 0)},
			[]string{"send_refund K7Q2M9R1"}},
		{"late wechat payment", commerce.RefundCreated{Order: o, Late: true, Refund: refund(commerce.RefundRequested, commerce.PayWeChat, 3)},
			[]string{"send_refund K7Q2M9R1", buyer(bot.NoticeRefund, 3, 9)}},
		{"manual refund", commerce.RefundCreated{Order: o, Refund: refund(commerce.RefundManual, commerce.PayCash, 0)}, admins(0, 9)},
		{"late telegram payment", commerce.RefundCreated{Order: o, Late: true, Refund: refund(commerce.RefundManual, commerce.PayTelegram, 3)},
			admins(3, 9)},
		{"refund succeeded", commerce.RefundSettled{Order: o, Refund: refund(commerce.RefundSucceeded, commerce.PayWeChat, 0)},
			[]string{buyer(bot.NoticeRefund, 0, 9)}},
		{"refund failed", commerce.RefundSettled{Order: o, Refund: refund(commerce.RefundFailed, commerce.PayWeChat, 0)}, admins(0, 9)},
	} {
		jobs, ok := q.paymentJobs(tc.e)
		if !ok {
			t.Errorf("%s: not a payment event", tc.name)
			continue
		}
		var got []string
		for _, j := range jobs {
			got = append(got, describeJob(j))
		}
		if strings.Join(got, "\n") != strings.Join(tc.want, "\n") {
			t.Errorf("%s:\n got %q\nwant %q", tc.name, got, tc.want)
		}
	}
	if _, ok := q.paymentJobs(commerce.OrderPlaced{Order: o}); ok {
		t.Error("OrderPlaced taken for a payment event")
	}
}

func describeJob(j river.InsertManyParams) string {
	switch a := j.Args.(type) {
	case ExpirePaymentArgs:
		return fmt.Sprintf("expire_payment order %d at %s", a.OrderID, j.InsertOpts.ScheduledAt.Format("15:04"))
	case SendRefundArgs:
		return "send_refund " + a.OutRefundNo
	case NoticeArgs:
		n := a.Notice
		return fmt.Sprintf("notice %s %s:%s %s order %d attempt %d refund %d", n.Kind, n.Channel, n.ChatID, n.Lang, n.OrderID, n.AttemptID, n.RefundID)
	}
	return fmt.Sprintf("%T", j.Args)
}
