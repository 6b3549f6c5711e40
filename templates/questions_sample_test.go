package templates

func init() {
	topicSamples["questions"] = func(n int) map[string]any {
		return map[string]any{"Query": "面霜", "N": n, "Ask": n == 1}
	}
}
