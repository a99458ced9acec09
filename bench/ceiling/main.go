// Command ceiling is the smallest bot that walks a resident through the same
// report steps as minyi, keeping its state in a Go map and doing nothing else. It
// measures what go-telegram/bot itself costs (building and sending each reply as
// an HTTP call), so that the harness can give minyi's figures as ratios to it.
//
// It is a benchmark reference, not part of minyi: it has no store, no queue, no
// validation beyond the steps, and loses everything when it stops.
package main

import (
	"context"
	"fmt"
	"log"
	"os"
	"os/signal"
	"strings"
	"sync"
	"syscall"
	"unicode/utf8"

	"github.com/go-telegram/bot"
	"github.com/go-telegram/bot/models"
)

// draft is one resident's answers so far.
type draft struct {
	step      int
	text      string
	community string
	contact   string
}

type ceiling struct {
	mu     sync.Mutex
	drafts map[int64]*draft
	seq    int
}

func main() {
	token, api := os.Getenv("TELEGRAM_TOKEN"), os.Getenv("TELEGRAM_API_URL")
	if token == "" || api == "" {
		log.Fatal("set TELEGRAM_TOKEN and TELEGRAM_API_URL")
	}
	c := &ceiling{drafts: map[int64]*draft{}}
	b, err := bot.New(token, bot.WithServerURL(api), bot.WithSkipGetMe(), bot.WithDefaultHandler(c.handle))
	if err != nil {
		log.Fatal(err)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	b.Start(ctx)
}

func inline(rows ...[]models.InlineKeyboardButton) *models.InlineKeyboardMarkup {
	return &models.InlineKeyboardMarkup{InlineKeyboard: rows}
}

func (c *ceiling) handle(ctx context.Context, b *bot.Bot, u *models.Update) {
	var chat int64
	var text, data string
	switch {
	case u.Message != nil:
		chat, text = u.Message.Chat.ID, u.Message.Text
	case u.CallbackQuery != nil:
		chat, data = u.CallbackQuery.From.ID, u.CallbackQuery.Data
		b.AnswerCallbackQuery(ctx, &bot.AnswerCallbackQueryParams{CallbackQueryID: u.CallbackQuery.ID})
	default:
		return
	}
	send := func(text string, markup models.ReplyMarkup) {
		b.SendMessage(ctx, &bot.SendMessageParams{ChatID: chat, Text: text, ReplyMarkup: markup})
	}
	c.mu.Lock()
	d := c.drafts[chat]
	if text == "/report" || d == nil {
		d = &draft{}
		c.drafts[chat] = d
	}
	c.mu.Unlock()
	switch {
	case text == "/report":
		d.step = 1
		send("第1步（共4步）：请用文字描述您要反映的问题或建议。", nil)
	case d.step == 1 && utf8.RuneCountInString(text) >= 10:
		d.text, d.step = text, 2
		send("第2步（共4步）：可以发送最多3张照片，或点【跳过】。", inline([]models.InlineKeyboardButton{{Text: "跳过", CallbackData: "skip"}}))
	case d.step == 1:
		send("描述太短了，请至少写10个字。", nil)
	case d.step == 2 && data == "skip":
		d.step = 3
		send("第3步（共4步）：问题发生在哪个社区？", inline([]models.InlineKeyboardButton{{Text: "阳光社区", CallbackData: "c:阳光社区"}, {Text: "和平社区", CallbackData: "c:和平社区"}}))
	case d.step == 3 && strings.HasPrefix(data, "c:"):
		d.community, d.step = strings.TrimPrefix(data, "c:"), 4
		send("第4步（共4步）：是否留下手机号？", &models.ReplyKeyboardMarkup{ResizeKeyboard: true,
			Keyboard: [][]models.KeyboardButton{{{Text: "📱 分享我的手机号", RequestContact: true}}, {{Text: "🙈 匿名"}}}})
	case d.step == 4 && strings.HasSuffix(text, "匿名"):
		d.contact, d.step = "匿名", 5
		send(fmt.Sprintf("请核对您要提交的诉求：\n%s\n地点：%s\n联系方式：%s", d.text, d.community, d.contact),
			inline([]models.InlineKeyboardButton{{Text: "✅ 提交", CallbackData: "submit"}, {Text: "✏️ 修改", CallbackData: "edit"}}))
	case d.step == 5 && data == "submit":
		c.mu.Lock()
		c.seq++
		id := c.seq
		delete(c.drafts, chat)
		c.mu.Unlock()
		send(fmt.Sprintf("✅ 您的诉求已收到，编号 20261126-%04d。", id%10000), nil)
	default:
		send("请按提示操作。", nil)
	}
}
