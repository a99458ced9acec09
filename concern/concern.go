// Package concern holds what a concern (诉求) is: the report a resident or a grid
// worker files, its id, its status and the masking rules for personal data.
package concern

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
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

var statusLabels = map[Status][2]string{
	StatusReceived:    {"已收到，待受理", "received, awaiting review"},
	StatusAccepted:    {"已受理", "accepted"},
	StatusTransferred: {"已转办", "referred"},
	StatusInProgress:  {"办理中", "in progress"},
	StatusClosed:      {"已办结", "closed"},
	StatusRejected:    {"不予受理", "not accepted"},
	StatusDuplicate:   {"重复", "duplicate"},
}

// Label is the status as shown to people, in zh or en.
func (s Status) Label(lang string) string {
	l, ok := statusLabels[s]
	if !ok {
		return string(s)
	}
	if lang == "en" {
		return l[1]
	}
	return l[0]
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
	By     string    `json:"by,omitempty"`
	Note   string    `json:"note,omitempty"`
}

// Report is one concern, as received and as it is handled.
type Report struct {
	ID         string    `json:"id"`
	DraftID    string    `json:"draft_id,omitempty"`
	ReceivedAt time.Time `json:"received_at"`
	Channel    string    `json:"channel"`
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

	Sector     string  `json:"sector,omitempty"`
	Topic      string  `json:"topic,omitempty"`
	Subtopic   string  `json:"subtopic,omitempty"`
	Classifier string  `json:"classifier,omitempty"`
	Confidence float64 `json:"confidence,omitempty"`
	Reason     string  `json:"reason,omitempty"`
	// Urgent is danger to life or property now; staff are alerted at once.
	Urgent       bool   `json:"urgent,omitempty"`
	UrgentReason string `json:"urgent_reason,omitempty"`
	// Sensitive concerns (officials' conduct, corruption, collective action) are handled restrictedly.
	Sensitive       bool   `json:"sensitive,omitempty"`
	SensitiveReason string `json:"sensitive_reason,omitempty"`

	Status  Status         `json:"status"`
	History []StatusChange `json:"history,omitempty"`
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
