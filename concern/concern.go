// Package concern holds what a concern (诉求) is: the report a resident or a grid
// worker files, its id, its status and the masking rules for personal data.
package concern

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/minyi-project/minyi/locale"
)

// Channel names where a concern came in.
const (
	ChannelTelegram = "telegram"
	ChannelConsole  = "console"
)

// Status is where a concern stands in the committee's handling.
type Status string

// The statuses a concern moves through. Received is set at intake; the others
// are set by staff.
const (
	StatusReceived    Status = "received"
	StatusAccepted    Status = "accepted"
	StatusTransferred Status = "transferred"
	StatusInProgress  Status = "in_progress"
	StatusClosed      Status = "closed"
	StatusRejected    Status = "rejected"
	StatusDuplicate   Status = "duplicate"
)

// Statuses are every status, in the order of handling.
var Statuses = []Status{StatusReceived, StatusAccepted, StatusTransferred, StatusInProgress, StatusClosed, StatusRejected, StatusDuplicate}

// Label is the status as shown to people, in zh or en.
func (s Status) Label(lang string) string { return label("status_", s, lang) }

// label words a code by the catalog's key prefix+code, or leaves it as it is.
func label[K ~string](prefix string, k K, lang string) string {
	return locale.Default().Label(lang, locale.Key(prefix+string(k)), string(k))
}

// Location is a point shared from a phone.
type Location struct {
	Lat float64 `json:"lat"`
	Lon float64 `json:"lon"`
}

// StatusChange is one step of a concern's history.
type StatusChange struct {
	At     time.Time `json:"at"`
	Status Status    `json:"status"`
	// By is who made it: a role and a name or id ("staff 3001"), ByRating, or a
	// channel. Steps written before this hold the role's Chinese label.
	By string `json:"by,omitempty"`
	// Code and Args say what it did (Hist…), worded for each reader; Note is what
	// staff wrote with it, as written.
	Code string   `json:"code,omitempty"`
	Args []string `json:"args,omitempty"`
	Note string   `json:"note,omitempty"`
	// Input names the update that made the change, so that doing it again is a no-op.
	Input string `json:"input,omitempty"`
}

// Report is one concern, as received and as it is handled.
type Report struct {
	ID         string    `json:"id"`
	DraftID    string    `json:"draft_id,omitempty"`
	ReceivedAt time.Time `json:"received_at"`
	Channel    string    `json:"channel"`
	// ExternalID is the concern's id in the channel it came from (the intake API),
	// and ReportedAt when the resident reported it there; ReceivedAt, which decides
	// its id and day, is when minyi accepted it.
	ExternalID string    `json:"external_id,omitempty"`
	ReportedAt time.Time `json:"reported_at,omitzero"`
	Lang       string    `json:"lang,omitempty"`

	// ReporterID and ReporterName stay empty when the resident chose to be anonymous.
	ReporterID   int64  `json:"reporter_id,omitempty"`
	ReporterName string `json:"reporter_name,omitempty"`
	// ReplyChat is where the resident hears back; never shown to staff.
	ReplyChat int64 `json:"reply_chat,omitempty"`
	// Phone is kept only when the resident shared their own number.
	Phone string `json:"phone,omitempty"`

	Community string    `json:"community,omitempty"`
	Grid      string    `json:"grid,omitempty"`
	Address   string    `json:"address,omitempty"`
	Location  *Location `json:"location,omitempty"`

	Text   string   `json:"text"`
	Photos []string `json:"photos,omitempty"`
	// Custom are the answers to the office's own questions (a flow's custom fields).
	Custom []CustomField `json:"custom,omitempty"`

	Sector     string  `json:"sector,omitempty"`
	Topic      string  `json:"topic,omitempty"`
	Subtopic   string  `json:"subtopic,omitempty"`
	Classifier string  `json:"classifier,omitempty"`
	Confidence float64 `json:"confidence,omitempty"`
	Reason     string  `json:"reason,omitempty"`
	// Urgent is danger to life or property now; staff are alerted at once.
	Urgent       bool   `json:"urgent,omitempty"`
	UrgentReason string `json:"urgent_reason,omitempty"`
	// Hazard is the kind of danger (classify.Hazards); UrgentByModel is set when the
	// LLM, not the rules, judged it urgent (staff are asked to confirm).
	Hazard        string `json:"hazard,omitempty"`
	UrgentByModel bool   `json:"urgent_by_model,omitempty"`
	// AdminsOnly is urgency for admins privately, never the staff group
	// (collective action announced with a time).
	AdminsOnly bool `json:"admins_only,omitempty"`
	// Ack is who acknowledged the urgent alert, when, and how long after it was
	// raised; nil while nobody has.
	Ack *Ack `json:"ack,omitempty"`
	// Sensitive concerns (officials' conduct, corruption, collective action) are handled restrictedly.
	Sensitive       bool   `json:"sensitive,omitempty"`
	SensitiveReason string `json:"sensitive_reason,omitempty"`

	// Filing on a resident's behalf: the grid worker, in what capacity, and the
	// resident's consent (required), name and phone as the worker recorded them.
	FiledBy       int64    `json:"filed_by,omitempty"`
	FiledByName   string   `json:"filed_by_name,omitempty"`
	Capacity      Capacity `json:"capacity,omitempty"`
	Consent       bool     `json:"consent,omitempty"`
	ResidentName  string   `json:"resident_name,omitempty"`
	ResidentPhone string   `json:"resident_phone,omitempty"`
	HeardWhen     string   `json:"heard_when,omitempty"`

	Status      Status         `json:"status"`
	History     []StatusChange `json:"history,omitempty"`
	Unit        string         `json:"unit,omitempty"`
	DuplicateOf string         `json:"duplicate_of,omitempty"`
	Level       Level          `json:"level,omitempty"`
	Deadline    time.Time      `json:"deadline,omitzero"`
	Rating      Rating         `json:"rating,omitempty"`
	Forgotten   bool           `json:"forgotten,omitempty"`
}

// Capacity says how a grid worker recorded a resident's words.
type Capacity string

// The capacities of a filing.
const (
	Verbatim   Capacity = "verbatim"
	Paraphrase Capacity = "paraphrase"
)

// Level is a service level: how soon a concern must be answered.
type Level string

// The service levels, each with its own deadline.
const (
	LevelUrgent  Level = "urgent"  // danger now: first feedback within hours
	LevelUtility Level = "utility" // water, power, gas, heating
	LevelGeneral Level = "general"
	LevelComplex Level = "complex"
)

// Levels lists the service levels.
var Levels = []Level{LevelUrgent, LevelUtility, LevelGeneral, LevelComplex}

// Label is the level as shown to people.
func (l Level) Label(lang string) string { return label("level_", l, lang) }

// Rating is the reporter's verdict on how a closed concern was handled.
type Rating string

// The ratings a reporter can give.
const (
	Satisfied       Rating = "satisfied"
	FairlySatisfied Rating = "fairly_satisfied"
	Unsatisfied     Rating = "unsatisfied"
)

// Label is the rating as shown to people.
func (r Rating) Label(lang string) string { return label("rating_", r, lang) }

// Place is where a concern is, as given: its community, grid, address and shared point.
func (r *Report) Place() []string {
	var place []string
	for _, p := range []string{r.Community, r.Grid, r.Address} {
		if p != "" {
			place = append(place, p)
		}
	}
	if r.Location != nil {
		place = append(place, r.Location.String())
	}
	return place
}

// Finished reports whether a status ends the handling (no deadline runs).
func (s Status) Finished() bool {
	return s == StatusClosed || s == StatusRejected || s == StatusDuplicate
}

// Changed reports whether the update input already changed the report.
func (r *Report) Changed(input string) bool {
	for _, h := range r.History {
		if input != "" && h.Input == input {
			return true
		}
	}
	return false
}

// ParseStatus reads a status from its Chinese label or English name.
func ParseStatus(s string) (Status, bool) {
	for _, st := range Statuses {
		if s == string(st) || s == st.Label("zh") || strings.EqualFold(s, st.Label("en")) {
			return st, true
		}
	}
	return "", false
}

// Role is what a Telegram user may do.
type Role string

// The roles, from least to most.
const (
	RoleResident Role = "resident"
	RoleGrid     Role = "grid"
	RoleStaff    Role = "staff"
	RoleAdmin    Role = "admin"
)

// Roles are every role, from least to most.
var Roles = []Role{RoleResident, RoleGrid, RoleStaff, RoleAdmin}

// Label is the role as shown to people.
func (r Role) Label(lang string) string { return label("role_", r, lang) }

// MayHandle reports whether someone of role r may see and handle concern c in
// full: staff and admins may, except that a sensitive concern is for admins only.
func (r Role) MayHandle(c *Report) bool {
	switch r {
	case RoleAdmin:
		return true
	case RoleStaff:
		return !c.Sensitive
	}
	return false
}

// Member is a user's role, and for a grid worker their community and grid.
type Member struct {
	UserID    int64     `json:"user_id"`
	Role      Role      `json:"role"`
	Community string    `json:"community,omitempty"`
	Grid      string    `json:"grid,omitempty"`
	Since     time.Time `json:"since,omitzero"`
	By        int64     `json:"by,omitempty"`
}

// Ack is the acknowledgement of a concern's urgent alert.
type Ack struct {
	By int64     `json:"by"`
	At time.Time `json:"at"`
	// After is the time from the alert's raising to the acknowledgement.
	After time.Duration `json:"after"`
}

// AuditEntry is one staff or admin action.
type AuditEntry struct {
	At      time.Time `json:"at"`
	By      int64     `json:"by"`
	Role    Role      `json:"role,omitempty"`
	Action  string    `json:"action"`
	Concern string    `json:"concern,omitempty"`
	Detail  string    `json:"detail,omitempty"`
}

// ActionLabel words an audited action for the reader (the catalog's action_ labels).
func ActionLabel(lang, action string) string {
	return locale.Default().Label(lang, locale.Key("action_"+action), action)
}

// DetailText words an audit entry's detail for the reader: a status change
// names its status by code (or, written before, by its Chinese label), a level
// change its level, a rating and a filing's capacity theirs; the rest is as
// written.
func (e AuditEntry) DetailText(lang string) string {
	switch e.Action {
	case "status":
		word, note, _ := strings.Cut(e.Detail, " ")
		if st, ok := ParseStatus(word); ok {
			return strings.TrimSpace(st.Label(lang) + " " + note)
		}
	case "level":
		return Level(e.Detail).Label(lang)
	case "file":
		cp := Capacity(e.Detail)
		switch e.Detail { // written before, as the Chinese label
		case "居民原话":
			cp = Verbatim
		case "网格员转述":
			cp = Paraphrase
		}
		if cp == Verbatim || cp == Paraphrase {
			return label("capacity_", cp, lang)
		}
	case "rate":
		return Rating(e.Detail).Label(lang)
	}
	return e.Detail
}

// Summary is the short line a resident sees for one of their own concerns.
type Summary struct {
	ID      string    `json:"id"`
	At      time.Time `json:"at"`
	Excerpt string    `json:"excerpt"`
	Status  Status    `json:"status,omitempty"`
	Topic   string    `json:"topic,omitempty"`
	Sector  string    `json:"sector,omitempty"`
}

// FormatID makes the human-typable id of the n-th concern of a day, like 20261126-0007.
func FormatID(day time.Time, n int64) string {
	return fmt.Sprintf("%s-%04d", day.Format("20060102"), n)
}

var idPattern = regexp.MustCompile(`^\d{8}-\d{4,}$`)

// ValidID reports whether s has the shape of a concern id.
func ValidID(s string) bool { return idPattern.MatchString(s) }

// Excerpt cuts text to at most n characters (runes), adding … when cut, on one line.
func Excerpt(text string, n int) string {
	text = strings.Join(strings.Fields(text), " ")
	r := []rune(text)
	if len(r) <= n {
		return text
	}
	return string(r[:n]) + "…"
}

// MaskPhone hides the middle of a phone number, keeping the first 3 and last 4
// digits of the national number (+86 is dropped from mainland mobiles).
func MaskPhone(phone string) string {
	digits := strings.Map(func(r rune) rune {
		if r >= '0' && r <= '9' {
			return r
		}
		return -1
	}, phone)
	if len(digits) == 13 && strings.HasPrefix(digits, "86") {
		digits = digits[2:]
	}
	if len(digits) <= 7 {
		return strings.Repeat("*", len(digits))
	}
	return digits[:3] + strings.Repeat("*", len(digits)-7) + digits[len(digits)-4:]
}

// String renders a point for people to read.
func (l Location) String() string {
	return strconv.FormatFloat(l.Lat, 'f', 5, 64) + ", " + strconv.FormatFloat(l.Lon, 'f', 5, 64)
}

// transitions is where staff may take a concern from each status with /status
// (docs/RELIABILITY.md has the table). Handling moves forward; the ways back are
// a closed concern reopened, a rejection reconsidered and a duplicate unlinked.
// /assign and /dup have their own rule: any unfinished concern.
var transitions = map[Status][]Status{
	StatusReceived:    {StatusAccepted, StatusTransferred, StatusInProgress, StatusClosed, StatusRejected},
	StatusAccepted:    {StatusTransferred, StatusInProgress, StatusClosed, StatusRejected},
	StatusTransferred: {StatusInProgress, StatusClosed, StatusRejected},
	StatusInProgress:  {StatusTransferred, StatusClosed, StatusRejected},
	StatusClosed:      {StatusInProgress},
	StatusRejected:    {StatusAccepted},
	StatusDuplicate:   {StatusAccepted},
}

// Next lists the statuses staff may set a concern in status s to.
func (s Status) Next() []Status { return transitions[s] }

// CanBecome reports whether staff may set a concern in status s to t.
func (s Status) CanBecome(t Status) bool {
	for _, n := range transitions[s] {
		if n == t {
			return true
		}
	}
	return false
}

// NeedsNote reports whether setting this status needs a note for the resident:
// what was done (closed) or why not (rejected).
func (s Status) NeedsNote() bool { return s == StatusClosed || s == StatusRejected }

// CustomField is the answer to a question of the office's own (a flow's
// custom field, 楼栋号…), kept with its label so that it shows wherever the
// concern does, whatever became of the flow.
type CustomField struct {
	Name  string      `json:"name"`
	Label locale.Text `json:"label"`
	Value string      `json:"value"`
}

// CustomText is the custom fields as one line, 楼栋号：3栋；…, in lang.
func (r *Report) CustomText(lang string) string {
	var parts []string
	for _, f := range r.Custom {
		if f.Value != "" {
			parts = append(parts, f.Label.In(lang)+"："+f.Value)
		}
	}
	return strings.Join(parts, "；")
}
