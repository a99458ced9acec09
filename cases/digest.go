package cases

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/minyi-project/minyi/digest"
	"github.com/minyi-project/minyi/flows"
	"github.com/minyi-project/minyi/period"
)

// WithDigests lets staff ask for digests, and sends the scheduled one.
func WithDigests(b *digest.Builder) Option { return func(s *Service) { s.digests = b } }

// maxDocument is the largest file sent to a chat; larger ones are left to the command line.
const maxDocument = 40 << 20

// digest builds and renders a digest: Telegram text, the HTML brief and the workbook.
func (s *Service) digest(ctx context.Context, in flows.Input, args []string, res *flows.EffectResult) error {
	if s.digests == nil {
		return refusal("digest_unavailable")
	}
	p, err := period.Parse(args[0]+".."+args[1], s.now(), s.cfg.Location)
	if err != nil {
		return refusal("digest_unavailable")
	}
	lang := "zh"
	if len(args) > 2 && args[2] == "en" {
		lang = "en"
	}
	d, err := s.digests.Build(ctx, p)
	if err != nil {
		return err
	}
	d.Late = len(args) > 3 && args[3] == "late"
	s.digests.Summarize(ctx, d)
	for _, chunk := range d.Telegram(lang, s.cfg.Location) {
		res.Messages = append(res.Messages, flows.Message{Text: chunk, HTML: true})
	}
	name := "minyi-" + p.String()
	res.Messages = append(res.Messages, flows.Message{Text: brief(lang), Document: &flows.Document{Name: name + ".html", Data: d.HTML(lang, s.cfg.Location)}})
	book, err := d.XLSX(lang, s.cfg.Location)
	if err != nil {
		return fmt.Errorf("digest workbook: %w", err)
	}
	if len(book) > maxDocument {
		res.Messages = append(res.Messages, flows.Message{Text: fmt.Sprintf("%s（%d MB）：minyi digest --from %s --to %s --format xlsx", workbookTooBig(lang), len(book)>>20, d.From, d.To)})
	} else {
		res.Messages = append(res.Messages, flows.Message{Text: workbook(lang), Document: &flows.Document{Name: name + ".xlsx", Data: book}})
	}
	if in.Kind == flows.InputEvent {
		s.metrics.DigestSent("scheduled")
	} else {
		s.metrics.DigestSent("requested")
	}
	return s.audit(ctx, in, "digest", "", p.String())
}

func brief(lang string) string {
	if lang == "en" {
		return "Printable brief (open in any browser)"
	}
	return "可打印简报（任意浏览器打开）"
}

func workbook(lang string) string {
	if lang == "en" {
		return "Every concern of the period (XLSX)"
	}
	return "本期全部诉求明细（XLSX）"
}

func workbookTooBig(lang string) string {
	if lang == "en" {
		return "The workbook is too large to send here; make it on the command line"
	}
	return "明细表过大，无法在此发送，请在命令行生成"
}

// scheduleDigest puts the previous day's digest in each digest chat once it is
// due. The event's id is the day's, so instances racing, or a restart, cannot send
// it twice; one missed (the program was down at the time) goes out late.
func (s *Service) scheduleDigest(ctx context.Context) error {
	if s.digests == nil || len(s.digestChats()) == 0 {
		return nil
	}
	now := s.now().In(s.cfg.Location)
	today := period.Day(now, s.cfg.Location)
	due := today.Add(s.cfg.DigestAt)
	if now.Before(due) {
		return nil
	}
	day := today.AddDate(0, 0, -1)
	key := period.Key(day)
	sent, err := s.st.DigestSent(ctx, key)
	if err != nil || sent {
		return err
	}
	late := now.After(due.Add(time.Hour))
	date := day.Format("2006-01-02")
	var inputs []flows.Input
	for _, chat := range s.digestChats() {
		inputs = append(inputs, s.eventInput(chat, "digest:"+key+":"+strconv.FormatInt(chat, 10),
			&flows.Event{Type: flows.EventDigest, From: date, To: date, Late: late}))
	}
	if _, err := s.notify.Ingest(ctx, inputs...); err != nil {
		return err
	}
	s.log.Info("scheduled digest queued", "day", date, "late", late, "chats", len(inputs))
	_, err = s.st.MarkDigest(ctx, key)
	return err
}

func (s *Service) digestChats() []int64 {
	if len(s.cfg.DigestChats) > 0 {
		return s.cfg.DigestChats
	}
	return s.alertChats()
}
