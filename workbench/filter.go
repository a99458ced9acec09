package workbench

import (
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/minyi-project/minyi/cases"
	"github.com/minyi-project/minyi/concern"
	"github.com/minyi-project/minyi/locale"
)

// filter is a list's query as the form and the URL hold it.
type filter struct {
	Status, Community, Grid, Sector, Topic, Unit, Channel string
	Q, Phone, Since, From, To, Sort                       string
	Overdue, Urgent, Unacked, Sensitive, Filed            bool
	Page                                                  int
	// Problems are what of the URL could not be read, worded for the reader; the
	// list is shown without those parts.
	Problems []string
}

// flags are the filter's check boxes, by their URL key.
func (f *filter) flags() map[string]*bool {
	return map[string]*bool{"overdue": &f.Overdue, "urgent": &f.Urgent, "unacked": &f.Unacked, "sensitive": &f.Sensitive, "filed": &f.Filed}
}

// words are the filter's text fields, by their URL key.
func (f *filter) words() map[string]*string {
	return map[string]*string{"status": &f.Status, "community": &f.Community, "grid": &f.Grid, "sector": &f.Sector, "topic": &f.Topic,
		"unit": &f.Unit, "channel": &f.Channel, "q": &f.Q, "phone": &f.Phone, "since": &f.Since, "from": &f.From, "to": &f.To, "sort": &f.Sort}
}

// filterOf reads the list's filter from the URL, and the query it makes.
func (s *Server) filterOf(r *http.Request, lang string) (filter, cases.ListQuery) {
	u := r.URL.Query()
	var f filter
	for k, p := range f.words() {
		*p = strings.TrimSpace(u.Get(k))
	}
	for k, p := range f.flags() {
		*p = u.Get(k) == "1"
	}
	f.Page, _ = strconv.Atoi(u.Get("page"))
	f.Page = min(max(f.Page, 1), 100000)
	q := cases.ListQuery{Community: f.Community, Grid: f.Grid, Sector: f.Sector, Topic: f.Topic, Unit: f.Unit, Channel: f.Channel,
		Text: f.Q, Phone: f.Phone, Overdue: f.Overdue, Urgent: f.Urgent, Unacked: f.Unacked, Sensitive: f.Sensitive, Filed: f.Filed,
		Offset: (f.Page - 1) * pageSize, Limit: pageSize}
	switch f.Status {
	case "", "running":
		f.Status = ""
	case "all":
		q.AnyStatus = true
	case "handling":
		q.Statuses = []concern.Status{concern.StatusAccepted, concern.StatusTransferred, concern.StatusInProgress}
	default:
		if st, ok := concern.ParseStatus(f.Status); ok {
			q.Statuses, f.Status = []concern.Status{st}, string(st)
		} else {
			f.Problems = append(f.Problems, s.cat.Render(lang, "web_bad_status", "status", f.Status))
			f.Status = ""
		}
	}
	switch f.Sort {
	case "old":
		q.Order = cases.Oldest
	case "due":
		q.Order = cases.SoonestDue
	default:
		f.Sort = ""
	}
	now := s.now().In(s.loc)
	if f.Since == "today" {
		q.From = time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, s.loc)
	} else {
		f.Since = ""
	}
	day := func(v *string, end bool) time.Time {
		if *v == "" {
			return time.Time{}
		}
		d, err := time.ParseInLocation("2006-01-02", *v, s.loc)
		if err != nil {
			f.Problems = append(f.Problems, s.cat.Render(lang, "web_bad_date", "date", *v))
			*v = ""
			return time.Time{}
		}
		if end {
			d = d.AddDate(0, 0, 1) // the day named is included
		}
		return d
	}
	if from := day(&f.From, false); !from.IsZero() {
		q.From = from
	}
	q.To = day(&f.To, true)
	return f, q
}

// query is the filter as URL parameters, without the page.
func (f filter) query() url.Values {
	u := url.Values{}
	for k, p := range f.words() {
		if *p != "" {
			u.Set(k, *p)
		}
	}
	for k, p := range f.flags() {
		if *p {
			u.Set(k, "1")
		}
	}
	return u
}

// link is the list's URL for f at page n.
func (f filter) link(n int) string {
	u := f.query()
	if n > 1 {
		u.Set("page", strconv.Itoa(n))
	}
	return "/staff/concerns?" + u.Encode()
}

// More reports whether a condition beyond the status, the words and the phone is set:
// the form shows them open.
func (f filter) More() bool {
	return f.Community != "" || f.Grid != "" || f.Sector != "" || f.Topic != "" || f.Unit != "" || f.Channel != "" ||
		f.From != "" || f.To != "" || f.Overdue || f.Urgent || f.Unacked || f.Sensitive || f.Filed
}

// Link is the list's URL for f, at its page.
func (f filter) Link() string { return f.link(f.Page) }

// Export is the URL of the filter's export in format (csv or xlsx).
func (f filter) Export(format string) string {
	return "/staff/export/" + format + "?" + f.query().Encode()
}

// Sorted is the list's URL for f in order sort, from its first page.
func (f filter) Sorted(sort string) string {
	f.Sort = sort
	return f.link(1)
}

// describe words the filter for the audit of an export: its conditions as key=value, by key.
func (f filter) describe() string {
	u := f.query()
	keys := slices.Sorted(maps.Keys(u))
	parts := make([]string, 0, len(keys))
	for _, k := range keys {
		parts = append(parts, k+"="+u.Get(k))
	}
	return strings.Join(parts, " ")
}

// options are what the list's form offers to choose from.
type options struct {
	Statuses                                   []concern.Status
	Communities, Grids, Sectors, Topics, Units []string
	Channels                                   []string
}

func (s *Server) options() options {
	o := options{Statuses: concern.Statuses, Sectors: s.sectors, Topics: s.topics, Units: s.units,
		Channels: append([]string{concern.ChannelTelegram, concern.ChannelConsole}, s.channels...)}
	for _, g := range s.grids {
		c, grid, _ := strings.Cut(g, "/")
		if !slices.Contains(o.Communities, c) {
			o.Communities = append(o.Communities, c)
		}
		if !slices.Contains(o.Grids, grid) {
			o.Grids = append(o.Grids, grid)
		}
	}
	return o
}

// filterKeys are the catalog messages the filter words its problems with.
var filterKeys = []locale.Key{"web_bad_status", "web_bad_date"}
