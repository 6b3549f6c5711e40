package templates

import (
	"time"

	"shopbot/commerce"
)

func init() {
	topicSamples["dropadmin"] = func(n int) map[string]any {
		cst := time.FixedZone("CST", 8*3600)
		start := time.Date(2026, 11, 27, 20, 0, 0, 0, cst)
		return map[string]any{
			"Title": "Air Max 97", "Code": "7k2m9xqp", "Price": commerce.CNY(12900), "Currency": "CNY",
			"Units": 100 * n, "Left": 23 * n, "Limit": n, "Minutes": 15, "Start": start, "Zone": "Asia/Shanghai",
			"Started": n == 3, "Max": 100, "MaxUnits": commerce.MaxDropUnits,
			"Orders": n - 1, "Reserved": 17 * (n - 1), "Sold": 2 * (n - 1), "At": start.Add(-2 * time.Hour),
		}
	}
}
