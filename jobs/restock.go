package jobs

import (
	"context"
	"database/sql"

	"github.com/riverqueue/river"

	"shopbot/bot"
	"shopbot/commerce"
)

// insertRestockJobs queues one bot.NoticeRestocked per buyer a stock change
// notified, in the change's transaction: the store marked those
// subscriptions notified in it, so a buyer gets one job however many
// restocks race, and a notice job is retried only when its delivery failed.
func (q *Queue) insertRestockJobs(ctx context.Context, tx *sql.Tx, e commerce.ProductRestocked) error {
	if !q.restock || len(e.Subscribers) == 0 {
		return nil // off: the subscriptions are spent, as the store decided
	}
	jobs := make([]river.InsertManyParams, 0, len(e.Subscribers))
	for _, s := range e.Subscribers {
		n := bot.Notice{Kind: bot.NoticeRestocked, Channel: s.Buyer.Channel, ChatID: s.ChatID, UserID: s.Buyer.UserID,
			Lang: s.Lang, ProductID: e.ProductID}
		jobs = append(jobs, river.InsertManyParams{Args: NoticeArgs{Notice: n}})
	}
	_, err := q.client.InsertManyTx(ctx, tx, jobs)
	return err
}
