package concern

import (
	"strings"

	"github.com/minyi-project/minyi/locale"
)

// What a step of a concern's history did, kept as a code and its arguments so
// that each reader reads it in their own language (HistoryStep.Words). Steps
// written before codes hold the same as a Chinese sentence in Note; Words reads
// those too.
const (
	HistAssigned  = "assigned"  // Args: the unit it went to
	HistDuplicate = "duplicate" // Args: the concern it repeats
	HistLevel     = "level"     // Args: the new level
	HistReopened  = "reopened"  // the reporter was not satisfied
	HistNote      = "note"      // an internal note, in Note: staff's only, never sent
	HistReplied   = "replied"   // staff answered the reporter in their chat, in Note
	HistInfo      = "info"      // Args: year, number and outcome of the 社情民意信息 it went into
)

// ByRating is who made a step the reporter's rating made.
const ByRating = "rating"

// Sentences a step was written as before steps had codes (the stored format,
// whatever the catalog's wording is now).
const (
	legacyReopened = "群众不满意，重新办理"
	legacyRating   = "居民评价"
)

// Words are what the step did, in lang, and the note written with it (as
// written: staff's own words are not translated).
func (h StatusChange) Words(lang string) (did, note string) {
	code, args, note := h.Code, h.Args, h.Note
	if code == "" {
		code, args, note = legacyStep(h.Note)
	}
	if code == "" {
		return "", note
	}
	cat, key := locale.Default(), locale.Key("hist_"+code)
	if !cat.Has(key) {
		return "", note
	}
	if code == HistLevel && len(args) == 1 {
		args = []string{Level(args[0]).Label(lang)}
	}
	if code == HistInfo && len(args) == 3 {
		return cat.Render(lang, "hist_info", "year", args[0], "n", args[1],
			"outcome", cat.Label(lang, locale.Key("info_state_"+args[2]), args[2])), note
	}
	w := cat.Render(lang, key, "arg", strings.Join(args, " "))
	if strings.Contains(cat[key].In(lang), "{arg}") && len(args) == 0 {
		return "", note
	}
	return w, note
}

// Internal reports whether a step is the office's own (an internal note): its
// words are never shown outside staff — not in Open311, the intake API's
// read-back or a masked export.
func (h StatusChange) Internal() bool { return h.Code == HistNote }

// Personal reports whether a step's words were for the reporter alone (a
// reply): they are not published.
func (h StatusChange) Personal() bool { return h.Code == HistReplied }

// Text is what the step did and its note, in one line.
func (h StatusChange) Text(lang string) string {
	did, note := h.Words(lang)
	switch {
	case did == "":
		return note
	case note == "":
		return did
	}
	return did + locale.Default().Render(lang, "hist_note_sep") + note
}

// ByLabel is who made the step, in lang: a role and a name or user id, the
// reporter's rating, or the channel a concern came in by.
func (h StatusChange) ByLabel(lang string) string {
	if h.By == ByRating || h.By == legacyRating {
		return locale.Default().Render(lang, "hist_"+ByRating)
	}
	head, rest, ok := strings.Cut(h.By, " ")
	if !ok {
		return h.By
	}
	for _, r := range Roles {
		if head == string(r) || head == r.Label("zh") {
			return r.Label(lang) + " " + rest
		}
	}
	return h.By
}

// legacyStep reads a step written as a Chinese sentence before steps had codes.
func legacyStep(note string) (code string, args []string, rest string) {
	switch {
	case note == legacyReopened:
		return HistReopened, nil, ""
	case strings.HasPrefix(note, "转交 "):
		return HistAssigned, []string{strings.TrimPrefix(note, "转交 ")}, ""
	case strings.HasPrefix(note, "与 ") && strings.HasSuffix(note, " 重复"):
		return HistDuplicate, []string{strings.TrimSuffix(strings.TrimPrefix(note, "与 "), " 重复")}, ""
	case strings.HasPrefix(note, "时限调整为"):
		label := strings.TrimPrefix(note, "时限调整为")
		for _, l := range Levels {
			if l.Label("zh") == label {
				return HistLevel, []string{string(l)}, ""
			}
		}
	}
	return "", nil, note
}
