package templates

import "time"

func init() {
	topicSamples["groupposts"] = func(n int) map[string]any {
		takers := []string{"Li", "Анна", "Tom", "小明"}[:n+1]
		return map[string]any{
			"Units": 100 * n, "Left": 23 * n, "Zone": "UTC+8",
			"StartsAt": time.Date(2026, 11, 11, 20, 0, 0, 0, time.FixedZone("CST", 8*3600)),
			"Days":     map[int]int{1: 0, 3: 3}[n], "Hours": map[int]int{1: 5, 3: 0}[n], "Minutes": 10 * n,
			"Takers": takers, "Joined": len(takers) + 10*(n-1), "More": 10 * (n - 1), "Position": 4 * n,
		}
	}
}
