package templates

import (
	"time"

	"shopbot/commerce"
)

func init() {
	topicSamples["drops"] = func(n int) map[string]any {
		cst := time.FixedZone("CST", 8*3600)
		start := time.Date(2026, 11, 27, 20, 0, 0, 0, cst)
		return map[string]any{
			"Price": commerce.CNY(12900), "Regular": commerce.CNY(19900), "HasRegular": n == 1,
			"Units": 100 * n, "Left": 23 * (n - 1), "SoldOut": n == 1, "Limit": n, "Start": start, "Zone": "Asia/Shanghai",
			"Upcoming": n == 3, "Days": n - 1, "Hours": 2, "Mins": 15, "Held": n - 1, "HeldUntil": start.Add(15 * time.Minute),
			"Subscribed": n == 3, "Waiting": n == 1, "AtLimit": n == 1, "Until": start.Add(15 * time.Minute), "Qty": n,
			"Total": commerce.CNY(12900 * int64(n)), "Currency": "CNY", "Stock": 40, "Max": 100, "MaxUnits": commerce.MaxDropUnits,
			"Minutes": 15, "Code": "7k2m9xqp", "PageURL": "https://shop.example/d/7k2m9xqp",
			"PosterURL": "https://shop.example/d/7k2m9xqp/poster.png", "BotURL": []string{"https://t.me/ShopBot?start=d_7k2m9xqp", "", ""}[n-1],
			"Sold": 60, "Reserved": 17, "Waitlisted": 4 * n, "Subscribers": 250, "Revenue": commerce.CNY(774000), "Orders": 58 + n - 1,
		}
	}
}
