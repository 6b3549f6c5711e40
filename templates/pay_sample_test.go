package templates

import "shopbot/commerce"

func init() {
	topicSamples["pay"] = func(n int) map[string]any {
		return map[string]any{
			"Note":   []string{"This order contains cross-border goods.", "", ""}[n-1],
			"Amount": commerce.CNY(55700), "Paid": commerce.CNY(55600), "Left": commerce.CNY(25800),
			"Expected": commerce.CNY(55700), "Method": "WeChat Pay", "Tail": []string{"8123AB", "", ""}[n-1],
			"State": "done", "No": "K7Q2M9R1", "Late": n == 3, "Mismatch": n == 2, "Charge": []string{"", "", "ch_3PzX9q2eZvKYlo2C"}[n-1],
			"Line": []string{"", "", "Hyaluronic serum 30 ml"}[n-1], "Qty": n, "Max": 3,
			"Items":   "Hyaluronic serum 30 ml × 2, Formula × 1",
			"Minutes": 15 * n,
		}
	}
}
