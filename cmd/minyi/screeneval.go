package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"slices"
	"strings"

	"github.com/minyi-project/minyi/classify"
	"github.com/minyi-project/minyi/concern"
	"github.com/minyi-project/minyi/config"
)

// screener is the screening under evaluation (classify.Screener).
type screener interface {
	Screen(text string) classify.Flags
}

// readScreenItems reads a file of labelled lines.
func readScreenItems(path string) ([]classify.ScreenItem, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	items, err := classify.ReadScreenItems(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return items, nil
}

// screenFigures count one slice of the data: emergencies found and missed,
// ordinary reports flagged (false alarms) and left alone.
type screenFigures struct {
	TP int `json:"found"`
	FN int `json:"missed"`
	FP int `json:"false_alarms"`
	TN int `json:"ordinary_left"`
	// HazardRight counts the emergencies found with the right hazard.
	HazardRight int `json:"hazard_right"`
	// Recall is found / emergencies; Precision found / flagged; FalseAlarmRate
	// false alarms / ordinary reports: nil when there is nothing to divide by.
	Recall         *float64 `json:"recall"`
	Precision      *float64 `json:"precision"`
	FalseAlarmRate *float64 `json:"false_alarm_rate"`
}

func (f *screenFigures) add(urgent, flagged bool) {
	switch {
	case urgent && flagged:
		f.TP++
	case urgent:
		f.FN++
	case flagged:
		f.FP++
	default:
		f.TN++
	}
}

func share(n, of int) *float64 {
	if of == 0 {
		return nil
	}
	v := float64(n) / float64(of)
	return &v
}

func (f *screenFigures) rates() {
	f.Recall, f.Precision, f.FalseAlarmRate = share(f.TP, f.TP+f.FN), share(f.TP, f.TP+f.FP), share(f.FP, f.FP+f.TN)
}

// hazardFigures are one hazard's: its emergencies found (recall), what was flagged
// as it (precision: those that are emergencies of that hazard), and the ordinary
// reports speaking of it flagged anyway.
type hazardFigures struct {
	Hazard      string   `json:"hazard"`
	Urgent      int      `json:"urgent"`
	Found       int      `json:"found"`
	HazardRight int      `json:"hazard_right"`
	Recall      *float64 `json:"recall"`
	Flagged     int      `json:"flagged"`
	FlaggedOK   int      `json:"flagged_right"`
	Precision   *float64 `json:"precision"`
	Ordinary    int      `json:"ordinary"`
	FalseAlarms int      `json:"false_alarms"`
}

// screenMiss is an item the screening got wrong, with what it said.
type screenMiss struct {
	Kind       string   `json:"kind"` // missed, false_alarm, hazard
	ID         string   `json:"id"`
	Lang       string   `json:"lang"`
	Want       string   `json:"want_hazard,omitempty"`
	Got        string   `json:"got_hazard,omitempty"`
	Text       string   `json:"text"`
	Reason     string   `json:"reason,omitempty"`
	Now        []string `json:"now,omitempty"`
	Discounted []string `json:"discounted,omitempty"`
}

// screenReport is the evaluation of a screening over labelled items.
type screenReport struct {
	File     string                   `json:"file"`
	N        int                      `json:"n"`
	Overall  screenFigures            `json:"overall"`
	ByHazard []hazardFigures          `json:"by_hazard"`
	ByLang   map[string]screenFigures `json:"by_lang"`
	Misses   []screenMiss             `json:"misses"`
}

// flaggedHazard is the hazard a screening decision names; collective action may
// come as AdminsOnly alone.
func flaggedHazard(f classify.Flags) string {
	if f.Hazard == "" && f.AdminsOnly {
		return string(classify.HazardCollective)
	}
	return string(f.Hazard)
}

// evaluateScreen runs the screening over items and counts what it found and missed.
func evaluateScreen(s screener, items []classify.ScreenItem) *screenReport {
	rep := &screenReport{N: len(items), ByLang: map[string]screenFigures{}}
	by := map[string]*hazardFigures{}
	order := []string{}
	hazard := func(h string) *hazardFigures {
		if by[h] == nil { // a hazard the screening names beyond classify.Hazards is shown too
			by[h] = &hazardFigures{Hazard: h}
			order = append(order, h)
		}
		return by[h]
	}
	for _, h := range classify.Hazards {
		hazard(string(h))
	}
	hazard("")
	for _, it := range items {
		f := s.Screen(it.Text)
		flagged := f.Urgent || f.AdminsOnly
		got := ""
		if flagged {
			got = flaggedHazard(f)
		}
		rep.Overall.add(it.Urgent, flagged)
		lf := rep.ByLang[it.Lang]
		lf.add(it.Urgent, flagged)
		right := it.Urgent && flagged && got == it.Hazard
		if right {
			rep.Overall.HazardRight++
			lf.HazardRight++
		}
		rep.ByLang[it.Lang] = lf
		h := hazard(it.Hazard)
		if it.Urgent {
			h.Urgent++
			if flagged {
				h.Found++
			}
			if right {
				h.HazardRight++
			}
		} else {
			h.Ordinary++
			if flagged {
				h.FalseAlarms++
			}
		}
		if flagged {
			hazard(got).Flagged++
			if right {
				hazard(got).FlaggedOK++
			}
		}
		miss := screenMiss{ID: it.ID, Lang: it.Lang, Want: it.Hazard, Got: got, Text: concern.Excerpt(it.Text, 60),
			Reason: f.UrgentReason, Now: f.Now, Discounted: f.Discounted}
		switch {
		case it.Urgent && !flagged:
			miss.Kind = "missed"
		case !it.Urgent && flagged:
			miss.Kind = "false_alarm"
		case it.Urgent && !right:
			miss.Kind = "hazard"
		default:
			continue
		}
		rep.Misses = append(rep.Misses, miss)
	}
	rep.Overall.rates()
	for lang, lf := range rep.ByLang {
		lf.rates()
		rep.ByLang[lang] = lf
	}
	for _, h := range order {
		hf := by[h]
		hf.Recall, hf.Precision = share(hf.Found, hf.Urgent), share(hf.FlaggedOK, hf.Flagged)
		if h == "" {
			hf.Precision = nil // flagged without a hazard: counted, but nothing to be right about
		}
		if hf.Urgent+hf.Ordinary+hf.Flagged > 0 {
			rep.ByHazard = append(rep.ByHazard, *hf)
		}
	}
	// misses first, then false alarms, then wrong hazards, each in the data's order
	kinds := map[string]int{"missed": 0, "false_alarm": 1, "hazard": 2}
	slices.SortStableFunc(rep.Misses, func(a, b screenMiss) int { return kinds[a.Kind] - kinds[b.Kind] })
	return rep
}

func fig(v *float64) string {
	if v == nil {
		return "—"
	}
	return fmt.Sprintf("%.2f", *v)
}

func pctOf(v *float64) string {
	if v == nil {
		return "—"
	}
	return fmt.Sprintf("%.1f%%", *v*100)
}

// print writes the report for people: the overall figures, a table by hazard,
// the figures by language, then every item the screening got wrong.
func (r *screenReport) print(w io.Writer) {
	o := r.Overall
	fmt.Fprintf(w, "screening of %d items from %s: %d emergencies, %d ordinary reports\n\n", r.N, r.File, o.TP+o.FN, o.FP+o.TN)
	fmt.Fprintf(w, "overall   recall %s (%d/%d)   precision %s (%d/%d)   false alarms %s (%d/%d)   hazard right %d/%d\n\n",
		fig(o.Recall), o.TP, o.TP+o.FN, fig(o.Precision), o.TP, o.TP+o.FP, pctOf(o.FalseAlarmRate), o.FP, o.FP+o.TN, o.HazardRight, o.TP)
	fmt.Fprintf(w, "%-12s %7s %6s %7s %6s %8s %10s %9s %13s\n", "hazard", "urgent", "found", "recall", "right", "flagged", "precision", "ordinary", "false alarms")
	for _, h := range r.ByHazard {
		name := h.Hazard
		if name == "" {
			name = "(none)"
		}
		fmt.Fprintf(w, "%-12s %7d %6d %7s %6d %8d %10s %9d %13d\n", name, h.Urgent, h.Found, fig(h.Recall), h.HazardRight, h.Flagged, fig(h.Precision), h.Ordinary, h.FalseAlarms)
	}
	langs := make([]string, 0, len(r.ByLang))
	for l := range r.ByLang {
		langs = append(langs, l)
	}
	slices.Sort(langs)
	fmt.Fprintln(w)
	for _, l := range langs {
		f := r.ByLang[l]
		fmt.Fprintf(w, "%-4s recall %s (%d/%d)   precision %s   false alarms %s (%d/%d)   hazard right %d/%d\n",
			l, fig(f.Recall), f.TP, f.TP+f.FN, fig(f.Precision), pctOf(f.FalseAlarmRate), f.FP, f.FP+f.TN, f.HazardRight, f.TP)
	}
	if len(r.Misses) == 0 {
		fmt.Fprintln(w, "\nno misses")
		return
	}
	fmt.Fprintf(w, "\n%d items got wrong:\n", len(r.Misses))
	for _, m := range r.Misses {
		var what string
		switch m.Kind {
		case "missed":
			what = fmt.Sprintf("MISSED      %s [%s %s]", m.ID, m.Lang, orNone(m.Want))
		case "false_alarm":
			what = fmt.Sprintf("FALSE ALARM %s [%s %s → %s]", m.ID, m.Lang, orNone(m.Want), orNone(m.Got))
		default:
			what = fmt.Sprintf("HAZARD      %s [%s %s → %s]", m.ID, m.Lang, orNone(m.Want), orNone(m.Got))
		}
		fmt.Fprintf(w, "%s %s\n", what, m.Text)
		var why []string
		if m.Reason != "" {
			why = append(why, m.Reason)
		}
		if len(m.Now) > 0 {
			why = append(why, "now: "+strings.Join(m.Now, "、"))
		}
		if len(m.Discounted) > 0 {
			why = append(why, "discounted: "+strings.Join(m.Discounted, "、"))
		}
		if len(why) == 0 {
			why = append(why, "the screening gave no reason")
		}
		fmt.Fprintf(w, "            ↳ %s\n", strings.Join(why, "; "))
	}
}

func orNone(h string) string {
	if h == "" {
		return "-"
	}
	return h
}

func classifyScreenEval(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("classify screen-eval", flag.ContinueOnError)
	fs.SetOutput(stderr)
	data := fs.String("data", "", "labelled .jsonl file: {\"id\",\"text\",\"urgent\",\"hazard\",\"lang\"} a line")
	asJSON := fs.Bool("json", false, "end with one JSON line of the figures and misses")
	path := fs.String("config", "", "YAML configuration file")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *data == "" {
		return errors.New("--data names no file")
	}
	items, err := readScreenItems(*data)
	if err != nil {
		return err
	}
	cfg, err := config.Load(config.OS, *path)
	if err != nil {
		return err
	}
	cs, err := loadClassifiers(cfg, slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelError})))
	if err != nil {
		return err
	}
	rep := evaluateScreen(cs.screen, items)
	rep.File = *data
	rep.print(stdout)
	if *asJSON {
		return json.NewEncoder(stdout).Encode(rep)
	}
	return nil
}
