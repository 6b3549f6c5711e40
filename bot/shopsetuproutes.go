package bot

import "maps"

// routes are the setup's commands, buttons and steps.
func (h *setupHandler) routes() routes {
	commands, actions, steps := h.categoryRoutes()
	c2, a2, s2 := h.settingsRoutes()
	a3, s3 := h.pointRoutes()
	maps.Copy(commands, c2)
	maps.Copy(actions, a2)
	maps.Copy(actions, a3)
	maps.Copy(steps, s2)
	maps.Copy(steps, s3)
	return routes{commands: commands, actions: actions, steps: steps}
}
