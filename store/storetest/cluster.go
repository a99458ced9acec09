package storetest

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// StartCluster starts a Redis Cluster of three masters (no replicas) from
// redis-server's own cluster mode, joined with redis-cli --cluster create, in a
// temporary directory, and returns its URL for store.Open. The cluster is stopped
// when the test ends. Without redis-server and redis-cli the test is skipped
// (.ci/run installs both).
func StartCluster(t testing.TB) string {
	t.Helper()
	server, err1 := exec.LookPath("redis-server")
	cli, err2 := exec.LookPath("redis-cli")
	if err1 != nil || err2 != nil {
		t.Skip("a Redis Cluster needs redis-server and redis-cli installed")
	}
	dir := t.TempDir()
	var addrs []string
	for i := range 3 {
		port, err := freePort()
		if err != nil {
			t.Fatal(err)
		}
		addr := "127.0.0.1:" + strconv.Itoa(port)
		node := filepath.Join(dir, strconv.Itoa(i))
		if err := os.Mkdir(node, 0o755); err != nil {
			t.Fatal(err)
		}
		cmd := exec.Command(server, "--port", strconv.Itoa(port), "--bind", "127.0.0.1", "--dir", node,
			"--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf", "--cluster-node-timeout", "2000",
			"--appendonly", "yes", "--appendfsync", "everysec", "--save", "", "--logfile", filepath.Join(node, "redis.log"))
		if err := cmd.Start(); err != nil {
			t.Fatalf("start redis-server in cluster mode: %v", err)
		}
		t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
		if err := waitPing(addr, 10*time.Second); err != nil {
			t.Fatal(err)
		}
		addrs = append(addrs, addr)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	args := append([]string{"--cluster", "create"}, addrs...)
	args = append(args, "--cluster-replicas", "0", "--cluster-yes")
	if out, err := exec.CommandContext(ctx, cli, args...).CombinedOutput(); err != nil {
		t.Fatalf("redis-cli --cluster create: %v\n%s", err, out)
	}
	// every node must know the whole slot map before clients are routed by it
	for _, a := range addrs {
		for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(100 * time.Millisecond) {
			info, err := clusterInfo(a)
			if err == nil && strings.Contains(info, "cluster_state:ok") && strings.Contains(info, "cluster_slots_assigned:16384") {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("cluster node %s not ready: %q %v", a, info, err)
			}
		}
	}
	fmt.Fprintf(os.Stderr, "storetest: a Redis Cluster of three masters at %s\n", strings.Join(addrs, ", "))
	return fmt.Sprintf("redis://%s?cluster=true&addr=%s&addr=%s", addrs[0], addrs[1], addrs[2])
}

func waitPing(addr string, d time.Duration) error {
	deadline := time.Now().Add(d)
	for {
		err := ping(addr)
		if err == nil {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("redis-server at %s did not answer: %w", addr, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// clusterInfo returns a node's CLUSTER INFO.
func clusterInfo(addr string) (string, error) {
	c, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		return "", err
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(2 * time.Second))
	if _, err := c.Write([]byte("*2\r\n$7\r\nCLUSTER\r\n$4\r\nINFO\r\n")); err != nil {
		return "", err
	}
	r := bufio.NewReader(c)
	head, err := r.ReadString('\n')
	if err != nil {
		return "", err
	}
	if !strings.HasPrefix(head, "$") {
		return "", fmt.Errorf("cluster info: %q", head)
	}
	n, _ := strconv.Atoi(strings.TrimSpace(head[1:]))
	buf := make([]byte, n)
	_, err = io.ReadFull(r, buf)
	return string(buf), err
}
