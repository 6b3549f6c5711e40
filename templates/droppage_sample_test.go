package templates

func init() {
	topicSamples["droppage"] = func(n int) map[string]any {
		// The page renders countdown and days with "{}" for its script; a
		// sample with real numbers reads better here.
		return map[string]any{"Left": 23 * n, "Units": 100, "Countdown": "02:14:09", "Days": n}
	}
}
