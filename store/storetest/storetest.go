// Package storetest runs a Redis server for tests: a real redis-server, started in a
// temporary directory on a free port with AOF on, when one is installed; otherwise an
// embedded miniredis behind a TCP proxy, through which outages are simulated. Set
// MINYI_TEST_REDIS=miniredis to force the embedded one.
package storetest

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
)

// Server is a Redis server for one test package.
type Server struct {
	// Real is set when this is a real redis-server.
	Real bool
	addr string
	dir  string

	mu    sync.Mutex
	cmd   *exec.Cmd
	mr    *miniredis.Miniredis
	proxy *proxy
}

// Start starts a server and says on stderr which kind it is.
func Start() (*Server, error) {
	path, err := exec.LookPath("redis-server")
	if err != nil || os.Getenv("MINYI_TEST_REDIS") == "miniredis" {
		mr := miniredis.NewMiniRedis()
		mr.ClockTTL(true)
		if err := mr.Start(); err != nil {
			return nil, err
		}
		p, err := newProxy(mr.Addr())
		if err != nil {
			mr.Close()
			return nil, err
		}
		fmt.Fprintln(os.Stderr, "storetest: redis-server not found (or MINYI_TEST_REDIS=miniredis): testing against embedded miniredis")
		return &Server{mr: mr, proxy: p, addr: p.addr}, nil
	}
	dir, err := os.MkdirTemp("", "minyi-redis-")
	if err != nil {
		return nil, err
	}
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	s := &Server{Real: true, dir: dir, addr: "127.0.0.1:" + strconv.Itoa(port)}
	if err := s.start(path); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	fmt.Fprintf(os.Stderr, "storetest: testing against a real redis-server at %s (AOF on, dir %s)\n", s.addr, dir)
	return s, nil
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func (s *Server) start(path string) error {
	_, port, _ := net.SplitHostPort(s.addr)
	cmd := exec.Command(path,
		"--port", port, "--bind", "127.0.0.1", "--dir", s.dir,
		"--appendonly", "yes", "--appendfsync", "always", "--save", "",
		"--daemonize", "no", "--logfile", filepath.Join(s.dir, "redis.log"))
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start redis-server: %w", err)
	}
	s.cmd = cmd
	if err := waitPing(s.addr, 10*time.Second); err != nil {
		cmd.Process.Kill()
		cmd.Wait()
		return err
	}
	return nil
}

// ping speaks just enough RESP to see the server answer.
func ping(addr string) error {
	c, err := net.DialTimeout("tcp", addr, 200*time.Millisecond)
	if err != nil {
		return err
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(time.Second))
	if _, err := c.Write([]byte("PING\r\n")); err != nil {
		return err
	}
	line, err := bufio.NewReader(c).ReadString('\n')
	if err != nil {
		return err
	}
	if !strings.HasPrefix(line, "+PONG") {
		return fmt.Errorf("ping: %q", line)
	}
	return nil
}

// URL is the server's redis:// URL.
func (s *Server) URL() string { return "redis://" + s.addr }

// Addr is the server's host:port.
func (s *Server) Addr() string { return s.addr }

// Down stops the server, as a crash or an outage would; data written so far survives.
func (s *Server) Down() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.proxy != nil {
		s.proxy.down()
		return
	}
	if s.cmd != nil {
		s.cmd.Process.Kill()
		s.cmd.Wait()
		s.cmd = nil
	}
}

// Up starts the server again on the same address after Down.
func (s *Server) Up() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.proxy != nil {
		return s.proxy.up()
	}
	if s.cmd != nil {
		return nil
	}
	path, err := exec.LookPath("redis-server")
	if err != nil {
		return err
	}
	return s.start(path)
}

// Flush empties the server, for a test to start clean.
func (s *Server) Flush(t testing.TB) {
	t.Helper()
	if s.mr != nil {
		s.mr.FlushAll()
		return
	}
	c, err := net.DialTimeout("tcp", s.addr, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(5 * time.Second))
	c.Write([]byte("FLUSHALL\r\nSCRIPT FLUSH\r\n"))
	r := bufio.NewReader(c)
	for range 2 {
		if line, err := r.ReadString('\n'); err != nil || !strings.HasPrefix(line, "+OK") {
			t.Fatalf("flush: %q %v", line, err)
		}
	}
}

// Do sends one command, as tests do to put the store in a state the program
// would not (a corrupt entry), and returns the reply's first line.
func (s *Server) Do(t testing.TB, args ...string) string {
	t.Helper()
	c, err := net.DialTimeout("tcp", s.addr, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(5 * time.Second))
	var b strings.Builder
	fmt.Fprintf(&b, "*%d\r\n", len(args))
	for _, a := range args {
		fmt.Fprintf(&b, "$%d\r\n%s\r\n", len(a), a)
	}
	if _, err := c.Write([]byte(b.String())); err != nil {
		t.Fatal(err)
	}
	rd := bufio.NewReader(c)
	line, err := rd.ReadString('\n')
	if err != nil {
		t.Fatal(err)
	}
	if strings.HasPrefix(line, "-") {
		t.Fatalf("%v: %s", args, line)
	}
	line = strings.TrimRight(line, "\r\n")
	// a bulk string's value follows its length
	if n, err := strconv.Atoi(strings.TrimPrefix(line, "$")); strings.HasPrefix(line, "$") && err == nil && n >= 0 {
		buf := make([]byte, n+2)
		if _, err := io.ReadFull(rd, buf); err != nil {
			t.Fatal(err)
		}
		return string(buf[:n])
	}
	return line
}

// Stop stops the server and removes its files.
func (s *Server) Stop() {
	s.Down()
	if s.mr != nil {
		s.mr.Close()
	}
	if s.dir != "" {
		os.RemoveAll(s.dir)
	}
}

// Main runs a test package's tests with a server in *srv, for use in TestMain.
func Main(m *testing.M, srv **Server) int {
	s, err := Start()
	if err != nil {
		fmt.Fprintln(os.Stderr, "storetest:", err)
		return 1
	}
	*srv = s
	defer s.Stop()
	return m.Run()
}

// proxy stands between tests and miniredis, so that an outage can be simulated:
// down drops every connection and refuses new ones, up accepts them again. (A
// restarted miniredis does not wake blocked readers, so it cannot play the part.)
type proxy struct {
	addr, target string

	mu    sync.Mutex
	ln    net.Listener
	conns map[net.Conn]bool
}

func newProxy(target string) (*proxy, error) {
	p := &proxy{target: target, conns: map[net.Conn]bool{}}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	p.addr = ln.Addr().String()
	p.serve(ln)
	return p, nil
}

func (p *proxy) up() error {
	p.mu.Lock()
	running := p.ln != nil
	p.mu.Unlock()
	if running {
		return nil
	}
	ln, err := net.Listen("tcp", p.addr)
	if err != nil {
		return err
	}
	p.serve(ln)
	return nil
}

func (p *proxy) serve(ln net.Listener) {
	p.mu.Lock()
	p.ln = ln
	p.mu.Unlock()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go p.pipe(c)
		}
	}()
}

func (p *proxy) pipe(c net.Conn) {
	t, err := net.Dial("tcp", p.target)
	if err != nil {
		c.Close()
		return
	}
	p.mu.Lock()
	if p.ln == nil { // went down meanwhile
		p.mu.Unlock()
		c.Close()
		t.Close()
		return
	}
	p.conns[c], p.conns[t] = true, true
	p.mu.Unlock()
	done := make(chan struct{}, 2)
	go func() { io.Copy(t, c); done <- struct{}{} }()
	go func() { io.Copy(c, t); done <- struct{}{} }()
	<-done
	c.Close()
	t.Close()
	p.mu.Lock()
	delete(p.conns, c)
	delete(p.conns, t)
	p.mu.Unlock()
}

func (p *proxy) down() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.ln != nil {
		p.ln.Close()
		p.ln = nil
	}
	for c := range p.conns {
		c.Close()
	}
}
