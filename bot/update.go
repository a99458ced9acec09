package bot

import (
	"strconv"
	"strings"
	"time"

	"github.com/go-telegram/bot/models"

	"github.com/minyi-project/minyi/concern"
	"github.com/minyi-project/minyi/flows"
)

// allowedUpdates are the update types the bot asks Telegram for.
var allowedUpdates = []string{models.AllowedUpdateMessage, models.AllowedUpdateCallbackQuery}

// toInput turns an update into a flow input. It reports false for updates the bot
// does not act on: chats other than private ones and the staff chat, edits, bots,
// and other types.
func toInput(u *models.Update, at time.Time, staffChat int64) (flows.Input, bool) {
	in := flows.Input{ID: "tg:" + strconv.FormatInt(u.ID, 10), Time: at, Channel: concern.ChannelTelegram}
	switch {
	case u.Message != nil:
		m := u.Message
		if m.From == nil || m.From.IsBot || m.From.ID == 0 || m.Chat.ID == 0 ||
			(m.Chat.Type != models.ChatTypePrivate && (staffChat == 0 || m.Chat.ID != staffChat)) {
			return in, false
		}
		setUser(&in, m.From, m.Chat.ID)
		in.Group = m.Chat.Type != models.ChatTypePrivate
		switch {
		case m.Text != "":
			in.Kind, in.Text = flows.InputText, m.Text
		case len(m.Photo) > 0:
			// Telegram lists sizes smallest first; keep the largest
			in.Kind, in.Photo = flows.InputPhoto, m.Photo[len(m.Photo)-1].FileID
		case m.Location != nil:
			in.Kind, in.Location = flows.InputLocation, &concern.Location{Lat: m.Location.Latitude, Lon: m.Location.Longitude}
		case m.Venue != nil:
			in.Kind, in.Location = flows.InputLocation, &concern.Location{Lat: m.Venue.Location.Latitude, Lon: m.Venue.Location.Longitude}
		case m.Contact != nil:
			in.Kind = flows.InputContact
			in.Contact = &flows.Contact{
				Phone:  m.Contact.PhoneNumber,
				Name:   strings.TrimSpace(m.Contact.FirstName + " " + m.Contact.LastName),
				UserID: m.Contact.UserID,
			}
		default:
			in.Kind, in.Other = flows.InputOther, otherKind(m)
		}
		return in, true
	case u.CallbackQuery != nil:
		q := u.CallbackQuery
		if q.From.IsBot || q.From.ID == 0 || q.Data == "" {
			return in, false // a game's button, or not a real query
		}
		chat := q.From.ID
		group := false
		if m := q.Message.Message; m != nil {
			if m.Chat.ID == 0 || (m.Chat.Type != models.ChatTypePrivate && (staffChat == 0 || m.Chat.ID != staffChat)) {
				return in, false
			}
			chat, group = m.Chat.ID, m.Chat.Type != models.ChatTypePrivate
			in.MessageID = m.ID
		}
		setUser(&in, &q.From, chat)
		in.Group = group
		in.Kind, in.Data, in.CallbackID = flows.InputButton, q.Data, q.ID
		return in, true
	}
	return in, false
}

func setUser(in *flows.Input, u *models.User, chat int64) {
	in.ChatID, in.UserID = chat, u.ID
	in.UserName = strings.TrimSpace(u.FirstName + " " + u.LastName)
	in.LangCode = u.LanguageCode
}

func otherKind(m *models.Message) string {
	switch {
	case m.Sticker != nil:
		return "sticker"
	case m.Voice != nil:
		return "voice"
	case m.Document != nil:
		return "document"
	case m.Video != nil:
		return "video"
	case m.VideoNote != nil:
		return "video_note"
	case m.Audio != nil:
		return "audio"
	case m.Animation != nil:
		return "animation"
	}
	return "other"
}
