package bot

// Features beyond the core shop (seller tools, drops, broadcasts, group
// posts) plug into the turn through these tables, each from an init in its
// own file, so a feature lives in files of its own and the dispatch in
// flows.go stays short. Keys are unique: registering one twice panics at
// start, which every test run catches.

// commandFunc handles "/cmd arg" (arg trimmed, possibly empty).
type commandFunc func(t *turn, arg string) ([]Reply, error)

// actionFunc handles a button payload "verb:rest"; args is rest split on ":".
type actionFunc func(t *turn, rest string, args []string) ([]Reply, error)

// deepLinkFunc handles a start payload "kind_rest"; ok=false when rest is
// not one of its links (the welcome is shown instead).
type deepLinkFunc func(t *turn, rest string) (r []Reply, ok bool, err error)

// stepFunc handles typed text while Session.Step names it.
type stepFunc func(t *turn, text string) ([]Reply, error)

// inputFunc looks at a message the core flows did not claim (a photo, or
// text that is not a command and not awaited by a step); ok=false passes
// it on.
type inputFunc func(t *turn, text string) (r []Reply, ok bool, err error)

var (
	extCommands  = map[string]commandFunc{}
	extActions   = map[string]actionFunc{}
	extDeepLinks = map[string]deepLinkFunc{}
	extSteps     = map[string]stepFunc{}
	extPhotos    []inputFunc // tried in order before the staff's QR photo handling
	extTexts     []inputFunc // tried in order before "sorry, I didn't understand"
)

func register[F any](m map[string]F, key string, f F) {
	if _, dup := m[key]; dup {
		panic("bot: " + key + " registered twice")
	}
	m[key] = f
}

// registerCommand adds "/name" (lower case, with the slash).
func registerCommand(name string, f commandFunc) { register(extCommands, name, f) }

// registerAction adds a button verb (the part before the first ":"). Keep
// verbs short: Telegram callback data is at most 64 bytes.
func registerAction(verb string, f actionFunc) { register(extActions, verb, f) }

// registerDeepLink adds a start payload kind (the part before the first "_").
func registerDeepLink(kind string, f deepLinkFunc) { register(extDeepLinks, kind, f) }

// registerStep adds an awaited-input step name.
func registerStep(step string, f stepFunc) { register(extSteps, step, f) }

// registerPhoto adds a photo handler.
func registerPhoto(f inputFunc) { extPhotos = append(extPhotos, f) }

// registerText adds a free-text handler.
func registerText(f inputFunc) { extTexts = append(extTexts, f) }
