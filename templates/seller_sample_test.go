package templates

func init() {
	topicSamples["seller"] = func(n int) map[string]any {
		desc := "Made in Korea. Shelf life 24 months."
		if n > 1 {
			desc = "" // no description yet in that language
		}
		return map[string]any{"SKU": "S-3F9A01C2B7", "Hidden": n == 1, "Currency": "CNY", "Lang": "English", "Description": desc}
	}
}
