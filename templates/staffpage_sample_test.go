package templates

func init() {
	topicSamples["staffpage"] = func(n int) map[string]any {
		return map[string]any{"At": "18:40", "Minutes": 10 * n, "Max": []int{1, 0, 500}[n-1]}
	}
}
