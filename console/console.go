// Package console is a transport for trying minyi in a terminal and for scripted
// checks: each line typed (or piped in) is one message from the current user, and
// the bot's replies are printed with their buttons numbered.
package console

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/minyi-project/minyi/concern"
	"github.com/minyi-project/minyi/dispatch"
	"github.com/minyi-project/minyi/flows"
	"github.com/minyi-project/minyi/tghtml"
)

// Ingester persists inputs for processing.
type Ingester interface {
	Ingest(ctx context.Context, inputs ...flows.Input) ([]bool, error)
}

// Console is a terminal transport; it is also the dispatch.Transport that prints replies.
type Console struct {
	out         io.Writer
	interactive bool
	files       string
	wait        time.Duration
	now         func() time.Time

	mu      sync.Mutex
	user    int64
	name    string
	lang    string
	inline  []flows.Button
	reply   []flows.Button
	waiters map[string]chan struct{}
	pending map[string]*shown // by input, until its answer is all sent
	session string
	seq     int
}

// Option configures a Console.
type Option func(*Console)

// Interactive shows a prompt and help, for a person at a terminal.
func Interactive(on bool) Option { return func(c *Console) { c.interactive = on } }

// WithUser sets who speaks first (a Telegram-like user id) and their language code.
func WithUser(id int64, name, lang string) Option {
	return func(c *Console) { c.user, c.name, c.lang = id, name, lang }
}

// WithFiles saves documents the bot sends (digests) in dir.
func WithFiles(dir string) Option { return func(c *Console) { c.files = dir } }

// WithClock sets the clock that stamps each line sent (tests move it on).
func WithClock(now func() time.Time) Option { return func(c *Console) { c.now = now } }

// WithReplyTimeout sets how long to wait for the bot's reply to each line.
func WithReplyTimeout(d time.Duration) Option { return func(c *Console) { c.wait = d } }

// New makes a Console printing to out.
func New(out io.Writer, opts ...Option) *Console {
	c := &Console{
		out: out, wait: 30 * time.Second, now: time.Now,
		user: 1, name: "居民", lang: "zh",
		waiters: map[string]chan struct{}{}, pending: map[string]*shown{},
	}
	for _, o := range opts {
		o(c)
	}
	c.session = strconv.FormatInt(c.now().UnixNano(), 36)
	return c
}

// Send prints one message; its buttons are shown once the whole answer is out.
func (c *Console) Send(_ context.Context, o dispatch.Out) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	m := o.Message
	prefix := "🤖 "
	if o.ChatID != c.user {
		prefix = fmt.Sprintf("🤖 [→ %d] ", o.ChatID)
	}
	if m.HTML {
		m.Text = tghtml.StripTags(m.Text)
	}
	if m.Document != nil {
		m.Text += " " + c.save(m.Document)
	}
	if m.Toast {
		m.Text = "（提示 notice）" + m.Text // Telegram shows it on the pressed button
	}
	for i, line := range strings.Split(m.Text, "\n") {
		if i == 0 {
			fmt.Fprintf(c.out, "%s%s\n", prefix, line)
		} else {
			fmt.Fprintf(c.out, "   %s\n", line)
		}
	}
	if o.ChatID != c.user {
		return nil
	}
	p := c.pending[o.InputID]
	if p == nil {
		p = &shown{}
		c.pending[o.InputID] = p
	}
	for _, row := range m.Inline {
		p.inline = append(p.inline, row...)
	}
	if m.RemoveReply {
		c.reply = nil
	}
	if len(m.Reply) > 0 {
		p.keyboard = true
		c.reply = nil
		for _, row := range m.Reply {
			c.reply = append(c.reply, row...)
		}
	}
	return nil
}

// Answer prints what a pressed button says, when it says anything.
func (c *Console) Answer(_ context.Context, _ int64, _ string, text string) error {
	if text != "" {
		c.mu.Lock()
		defer c.mu.Unlock()
		fmt.Fprintf(c.out, "🤖 （提示 notice）%s\n", text)
	}
	return nil
}

// Delivered shows the buttons of an answer all sent, and wakes the line waiting for it.
func (c *Console) Delivered(d dispatch.Delivery, _ error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if p := c.pending[d.InputID]; p != nil {
		delete(c.pending, d.InputID)
		if len(p.inline) > 0 || p.keyboard {
			c.inline = p.inline
			c.printButtons()
		}
	}
	if ch, ok := c.waiters[d.InputID]; ok {
		close(ch)
		delete(c.waiters, d.InputID)
	}
}

// shown is what an answer being sent has put on screen: its buttons, and
// whether it brought a keyboard.
type shown struct {
	inline   []flows.Button
	keyboard bool
}

// save writes a document where the console keeps files, and says where.
func (c *Console) save(doc *flows.Document) string {
	dir := c.files
	if dir == "" {
		dir = filepath.Join(os.TempDir(), "minyi-console")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Sprintf("[%s: %v]", doc.Name, err)
	}
	path := filepath.Join(dir, filepath.Base(doc.Name))
	if err := os.WriteFile(path, doc.Data, 0o644); err != nil {
		return fmt.Sprintf("[%s: %v]", doc.Name, err)
	}
	return fmt.Sprintf("[%s, %d KB → %s]", doc.Name, (len(doc.Data)+1023)/1024, path)
}

func (c *Console) printButtons() {
	n := 0
	line := func(mark string, buttons []flows.Button) {
		if len(buttons) == 0 {
			return
		}
		var cells []string
		for _, b := range buttons {
			n++
			cells = append(cells, fmt.Sprintf("[%d] %s", n, b.Label))
		}
		fmt.Fprintf(c.out, "   %s%s\n", mark, strings.Join(cells, "  "))
	}
	line("", c.inline)
	line("⌨ ", c.reply)
}

// Run reads lines from r until it ends or :quit, sending each as a message and
// waiting for its replies before the next.
func (c *Console) Run(ctx context.Context, r io.Reader, ing Ingester) error {
	if c.interactive {
		fmt.Fprintln(c.out, "minyi console — 输入文字与机器人对话；按钮可输入编号或名称。:help 查看控制台命令，:quit 退出。")
	}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	for {
		if c.interactive {
			fmt.Fprintf(c.out, "[%d]> ", c.currentUser())
		}
		if !sc.Scan() {
			return sc.Err()
		}
		line := strings.TrimSpace(sc.Text())
		if line == "" || (!c.interactive && strings.HasPrefix(line, "#")) {
			continue
		}
		if !c.interactive {
			fmt.Fprintf(c.out, "> %s\n", line)
		}
		in, quit, err := c.parse(line)
		if quit {
			return nil
		}
		if err != nil {
			fmt.Fprintf(c.out, "   (%v)\n", err)
			continue
		}
		if in == nil {
			continue
		}
		if err := c.send(ctx, ing, *in); err != nil {
			fmt.Fprintf(c.out, "   (%v)\n", err)
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
	}
}

func (c *Console) currentUser() int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.user
}

func (c *Console) send(ctx context.Context, ing Ingester, in flows.Input) error {
	done := make(chan struct{})
	c.mu.Lock()
	c.waiters[in.ID] = done
	c.mu.Unlock()
	if _, err := ing.Ingest(ctx, in); err != nil {
		c.mu.Lock()
		delete(c.waiters, in.ID)
		c.mu.Unlock()
		return fmt.Errorf("the store did not take the message, try again in a minute: %w", err)
	}
	t := time.NewTimer(c.wait)
	defer t.Stop()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return fmt.Errorf("no reply within %v; the message is kept and will be answered when the bot catches up", c.wait)
	}
}

// parse turns a typed line into an input; console commands start with ':'.
func (c *Console) parse(line string) (in *flows.Input, quit bool, err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.seq++
	base := flows.Input{
		ID: fmt.Sprintf("con:%s:%d", c.session, c.seq), Time: c.now(), Channel: concern.ChannelConsole,
		ChatID: c.user, UserID: c.user, UserName: c.name, LangCode: c.lang,
	}
	if strings.HasPrefix(line, ":") {
		return c.command(base, line)
	}
	if n, err := strconv.Atoi(line); err == nil && len(line) <= 3 {
		return c.pressNumber(base, n)
	}
	for _, b := range c.inline {
		if flows.SameLabel(line, b.Label) {
			base.Kind, base.Data = flows.InputButton, b.Data
			return &base, false, nil
		}
	}
	base.Kind, base.Text = flows.InputText, line
	return &base, false, nil
}

func (c *Console) pressNumber(base flows.Input, n int) (*flows.Input, bool, error) {
	buttons := append(append([]flows.Button(nil), c.inline...), c.reply...)
	if n < 1 || n > len(buttons) {
		// not a button on screen: a number typed as an answer (a phone number, a count)
		base.Kind, base.Text = flows.InputText, strconv.Itoa(n)
		return &base, false, nil
	}
	b := buttons[n-1]
	switch {
	case b.Request == "contact":
		return nil, false, fmt.Errorf("the console cannot read your phone: type :contact 13800001234 to share a number")
	case b.Request == "location":
		return nil, false, fmt.Errorf("the console cannot read your location: type :location 31.2304 121.4737 to share one")
	case b.Data != "":
		base.Kind, base.Data = flows.InputButton, b.Data
	default:
		base.Kind, base.Text = flows.InputText, b.Label
	}
	return &base, false, nil
}

const consoleHelp = `console commands:
  :as USER_ID [NAME]   speak as another user (each user has their own chat)
  :lang CODE           the client's language code (zh, en)
  :photo [FILE_ID]     send a photo
  :location LAT LON    share a location
  :contact PHONE       share your own phone number
  :sticker | :voice | :file   send something the bot does not read
  :quit                leave`

func (c *Console) command(base flows.Input, line string) (*flows.Input, bool, error) {
	fields := strings.Fields(line)
	cmd, args := fields[0], fields[1:]
	switch cmd {
	case ":quit", ":q", ":exit":
		return nil, true, nil
	case ":help":
		fmt.Fprintln(c.out, consoleHelp)
		return nil, false, nil
	case ":as":
		if len(args) == 0 {
			return nil, false, fmt.Errorf("usage: :as USER_ID [NAME]")
		}
		id, err := strconv.ParseInt(args[0], 10, 64)
		if err != nil || id <= 0 {
			return nil, false, fmt.Errorf("user id must be a positive number, not %q", args[0])
		}
		c.user, c.inline, c.reply = id, nil, nil
		c.name = "用户" + args[0]
		if len(args) > 1 {
			c.name = strings.Join(args[1:], " ")
		}
		fmt.Fprintf(c.out, "   (now speaking as user %d, %s)\n", c.user, c.name)
		return nil, false, nil
	case ":lang":
		if len(args) != 1 {
			return nil, false, fmt.Errorf("usage: :lang zh|en")
		}
		c.lang = args[0]
		return nil, false, nil
	case ":photo":
		base.Kind, base.Photo = flows.InputPhoto, fmt.Sprintf("console-photo-%d", base.Time.UnixNano())
		if len(args) > 0 {
			base.Photo = args[0]
		}
	case ":location":
		if len(args) != 2 {
			return nil, false, fmt.Errorf("usage: :location LAT LON")
		}
		lat, err1 := strconv.ParseFloat(args[0], 64)
		lon, err2 := strconv.ParseFloat(args[1], 64)
		if err1 != nil || err2 != nil || lat < -90 || lat > 90 || lon < -180 || lon > 180 {
			return nil, false, fmt.Errorf("latitude must be -90..90 and longitude -180..180")
		}
		base.Kind, base.Location = flows.InputLocation, &concern.Location{Lat: lat, Lon: lon}
	case ":contact":
		if len(args) != 1 {
			return nil, false, fmt.Errorf("usage: :contact PHONE")
		}
		base.Kind, base.Contact = flows.InputContact, &flows.Contact{Phone: args[0], Name: c.name, UserID: c.user}
	case ":sticker", ":voice", ":file":
		kinds := map[string]string{":sticker": "sticker", ":voice": "voice", ":file": "document"}
		base.Kind, base.Other = flows.InputOther, kinds[cmd]
	default:
		return nil, false, fmt.Errorf("unknown console command %s; :help lists them", cmd)
	}
	return &base, false, nil
}
