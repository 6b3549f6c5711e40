package bot

import (
	"errors"
	"slices"
	"strings"

	"shopbot/commerce"
)

// The shop's profile in the chat, for sellers (admins, private chat):
//
//	/settings             the profile with a button per field
//	sse:<field>           ask for a field's new value (the next text)
//	ssp:<field>:<value>   pick one of the offered values
//	ssk:<field>           skip a field of the first-start setup
//	ssx                   leave the setup step
//
// The first /start of an admin while the shop is not set up (and
// Options.SetupWizard) walks through name → currency → languages → time
// zone → phone region → contact hours, then offers the next steps: a
// category, a pickup point, a product.

// Verbs of the profile tools.
const (
	VerbSetupEdit   Verb = "sse"
	VerbSetupPick   Verb = "ssp"
	VerbSetupSkip   Verb = "ssk"
	VerbSetupCancel Verb = "ssx"
	VerbSetupShow   Verb = "sss"
	VerbSetupNext   Verb = "ssn" // the next-steps offers: "product" (a hint; categories and points have their own verbs)
)

// CmdSettings shows the shop's profile to sellers.
const CmdSettings Command = "/settings"

// stepSetupValue awaits a profile field's value (SetupState.Field).
const stepSetupValue Step = "ss_value"

// Profile fields, in the wizard's order (welcome is asked only from /settings).
const (
	fieldName     = "name"
	fieldCurrency = "currency"
	fieldLangs    = "langs"
	fieldZone     = "tz"
	fieldRegion   = "region"
	fieldHours    = "hours"
	fieldWelcome  = "welcome"
)

var wizardFields = []string{fieldName, fieldCurrency, fieldLangs, fieldZone, fieldRegion, fieldHours}

var settingsFields = []string{fieldName, fieldWelcome, fieldCurrency, fieldLangs, fieldZone, fieldRegion, fieldHours}

// fieldChoices are the values offered as buttons per field (typed values work too).
var fieldChoices = map[string][]string{
	fieldCurrency: {"CNY", "RUB", "USD", "HKD", "EUR"},
	fieldLangs:    {"zh-CN.en.ru", "zh-CN", "en", "ru", "ru.en"},
	fieldZone:     {"Asia/Shanghai", "Asia/Hong_Kong", "Europe/Moscow", "Asia/Vladivostok"},
	fieldRegion:   {"CN", "HK", "RU"},
}

func (h *setupHandler) settingsRoutes() (map[Command]commandFunc, map[Verb]actionFunc, map[Step]stepFunc) {
	commands := map[Command]commandFunc{
		CmdSettings: func(t *turn, _ string) ([]Reply, error) {
			if !t.setupAdmin() {
				return t.help("help_unknown")
			}
			return h.showSettings(t, "")
		},
	}
	field := func(f func(t *turn, field string, a args) ([]Reply, error)) actionFunc {
		return h.admin(func(t *turn, a args) ([]Reply, error) {
			if !slices.Contains(settingsFields, a.str(0)) {
				return t.stale()
			}
			return f(t, a.str(0), a)
		})
	}
	actions := map[Verb]actionFunc{
		VerbSetupShow: h.admin(func(t *turn, _ args) ([]Reply, error) { return h.showSettings(t, "") }),
		VerbSetupEdit: field(func(t *turn, f string, _ args) ([]Reply, error) {
			t.s.Setup.Wizard = false
			return h.ask(t, f, "")
		}),
		VerbSetupPick: field(func(t *turn, f string, a args) ([]Reply, error) {
			if !slices.Contains(fieldChoices[f], a.str(1)) {
				return t.stale()
			}
			return h.setValue(t, f, strings.ReplaceAll(a.str(1), ".", " "))
		}),
		VerbSetupSkip: field(func(t *turn, f string, _ args) ([]Reply, error) {
			if !t.s.Setup.Wizard || t.s.Setup.Field != f || f == fieldName {
				return t.stale()
			}
			if f == fieldCurrency { // skipping keeps the default, but the shop needs one set
				return h.setValue(t, f, h.defaultCurrency(t))
			}
			return h.wizardNext(t, f, "")
		}),
		VerbSetupCancel: h.admin(func(t *turn, _ args) ([]Reply, error) {
			t.s.leaveStep(stepSetupValue, stepCategoryAdd, stepCategoryRename, stepPointName, stepPointAddress)
			wizard := t.s.Setup.Wizard
			t.s.Setup = SetupState{}
			if wizard {
				return say(t.text("setup_wizard_paused", nil), t.mainMenu()...), nil
			}
			return say(t.text("setup_cancelled", nil), t.mainMenu()...), nil
		}),
		VerbSetupNext: h.admin(func(t *turn, a args) ([]Reply, error) {
			if a.str(0) != "product" {
				return t.stale()
			}
			return say(t.text("setup_next_product", nil)), nil
		}),
	}
	return commands, actions, map[Step]stepFunc{stepSetupValue: h.valueStep}
}

func (h *setupHandler) defaultCurrency(t *turn) string {
	p, _ := t.profile()
	return p.Currency
}

// settingsData is what the profile texts show.
func (h *setupHandler) settingsData(t *turn, p commerce.ShopProfile) map[string]any {
	var langs []string
	for _, l := range p.Languages {
		langs = append(langs, t.r.o.Texts.Text(l, "lang_name", nil))
	}
	return map[string]any{"Shop": p.Name, "Currency": p.Currency, "Languages": strings.Join(langs, ", "),
		"DefaultLang": t.r.o.Texts.Text(p.DefaultLang, "lang_name", nil), "TimeZone": p.TimeZone, "Region": p.Region,
		"ContactHours": p.ContactHours, "Welcome": p.WelcomeIn(t.lang) != ""}
}

// showSettings shows the profile with a button per field.
func (h *setupHandler) showSettings(t *turn, note string) ([]Reply, error) {
	p, _, err := h.setup.Profile(t.ctx)
	if err != nil {
		return nil, err
	}
	text := t.text("setup_settings", h.settingsData(t, p))
	if note != "" {
		text = note + "\n\n" + text
	}
	var rows [][]Button
	for i, f := range settingsFields {
		b := t.btn("setup_btn_"+f, VerbSetupEdit.Of(f))
		if i%2 == 0 {
			rows = append(rows, []Button{b})
		} else {
			rows[len(rows)-1] = append(rows[len(rows)-1], b)
		}
	}
	rows = append(rows, []Button{t.btn("setup_btn_categories", VerbCategoryList.Of())})
	if h.staff != nil {
		rows[len(rows)-1] = append(rows[len(rows)-1], t.btn("setup_btn_point_new", VerbPointNew.Of()))
	}
	return say(text, rows...), nil
}

// ask asks for a field's value; note (a refusal) leads the text.
func (h *setupHandler) ask(t *turn, field, note string) ([]Reply, error) {
	p, _ := t.profile()
	t.s.Setup.Field = field
	t.s.setStep(stepSetupValue)
	data := h.settingsData(t, p)
	data["Step"], data["Steps"] = 0, len(wizardFields)
	if t.s.Setup.Wizard {
		data["Step"], data["Steps"] = slices.Index(wizardFields, field)+1, len(wizardFields)
	}
	text := t.text("setup_ask_"+field, data)
	if note != "" {
		text = note + "\n\n" + text
	}
	var rows [][]Button
	for _, v := range fieldChoices[field] {
		rows = append(rows, []Button{{Text: h.choiceLabel(t, field, v), Action: VerbSetupPick.Of(field, v)}})
	}
	switch {
	case t.s.Setup.Wizard && field != fieldName:
		rows = append(rows, []Button{t.btn("setup_btn_skip", VerbSetupSkip.Of(field)), t.btn("setup_btn_later", VerbSetupCancel.Of())})
	case t.s.Setup.Wizard:
		rows = append(rows, []Button{t.btn("setup_btn_later", VerbSetupCancel.Of())})
	default:
		rows = append(rows, t.cancelSetupRow())
	}
	return say(text, rows...), nil
}

// choiceLabel is an offered value as its button shows it.
func (h *setupHandler) choiceLabel(t *turn, field, v string) string {
	if field != fieldLangs {
		return v
	}
	var names []string
	for _, l := range strings.Split(v, ".") {
		names = append(names, t.r.o.Texts.Text(l, "lang_name", nil))
	}
	return strings.Join(names, " + ")
}

func (h *setupHandler) valueStep(t *turn, text string) ([]Reply, error) {
	if !t.setupAdmin() || !slices.Contains(settingsFields, t.s.Setup.Field) {
		t.s.leaveStep(stepSetupValue)
		t.s.Setup.Field = ""
		return t.stale()
	}
	return h.setValue(t, t.s.Setup.Field, text)
}

// setValue saves a field's value; a refused one is asked for again with
// the reason.
func (h *setupHandler) setValue(t *turn, field, value string) ([]Reply, error) {
	var err error
	ctx, s := t.ctx, h.setup
	switch field {
	case fieldName:
		_, err = s.SetName(ctx, value)
	case fieldWelcome:
		_, err = s.SetWelcome(ctx, commerce.TextLanguage(value, t.lang), value)
	case fieldCurrency:
		_, err = s.SetCurrency(ctx, value)
	case fieldLangs:
		var langs []string
		var def string
		if langs, def, err = commerce.ParseLanguages(value); err == nil {
			_, err = s.SetLanguages(ctx, langs, def)
		}
	case fieldZone:
		_, err = s.SetTimeZone(ctx, value)
	case fieldRegion:
		_, err = s.SetRegion(ctx, value)
	case fieldHours:
		_, err = s.SetContactHours(ctx, value)
	}
	switch {
	case errors.Is(err, commerce.ErrInvalid):
		return h.ask(t, field, t.text("setup_bad_"+field, map[string]any{"Value": echo(value)}))
	case errors.Is(err, commerce.ErrCurrencyLocked):
		return h.ask(t, field, t.text("setup_currency_locked", nil))
	case err != nil:
		return nil, err
	}
	if t.s.Setup.Wizard {
		return h.wizardNext(t, field, t.text("setup_saved", nil))
	}
	t.s.leaveStep(stepSetupValue)
	t.s.Setup.Field = ""
	return h.showSettings(t, t.text("setup_saved", nil))
}

// firstStart starts the wizard for an admin's /start while the shop is
// not set up; ok is false otherwise (the ordinary welcome follows).
func (h *setupHandler) firstStart(t *turn) ([]Reply, bool, error) {
	if !h.wizard || !t.setupAdmin() {
		return nil, false, nil
	}
	p, configured := t.profile()
	if configured {
		return nil, false, nil
	}
	t.s.Setup = SetupState{Wizard: true}
	first := fieldName
	if p.Name != "" { // a wizard left after the name: go on from the currency
		first = fieldCurrency
	}
	r, err := h.ask(t, first, t.text("setup_wizard_intro", nil))
	return r, true, err
}

// wizardNext asks for the field after done, or ends the wizard.
func (h *setupHandler) wizardNext(t *turn, done, note string) ([]Reply, error) {
	i := slices.Index(wizardFields, done)
	if i >= 0 && i+1 < len(wizardFields) {
		return h.ask(t, wizardFields[i+1], note)
	}
	return h.wizardDone(t, note)
}

// wizardDone ends the wizard with the profile and the next steps.
func (h *setupHandler) wizardDone(t *turn, note string) ([]Reply, error) {
	t.s.leaveStep(stepSetupValue)
	t.s.Setup = SetupState{}
	p, _, err := h.setup.Profile(t.ctx)
	if err != nil {
		return nil, err
	}
	text := t.text("setup_wizard_done", h.settingsData(t, p))
	if note != "" {
		text = note + "\n\n" + text
	}
	rows := [][]Button{{t.btn("setup_btn_category_add", VerbCategoryAdd.Of())}}
	if h.staff != nil {
		rows = append(rows, []Button{t.btn("setup_btn_point_new", VerbPointNew.Of())})
	}
	if h.seller != nil {
		rows = append(rows, []Button{t.btn("setup_btn_product", VerbSetupNext.Of("product"))})
	}
	rows = append(rows, []Button{t.btn("setup_btn_settings", VerbSetupShow.Of())})
	return say(text, rows...), nil
}
