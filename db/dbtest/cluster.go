package dbtest

import (
	"bytes"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
)

// Cluster is a private PostgreSQL server for outage tests, started in a temporary directory on a
// free loopback port. It can be frozen (SIGSTOP of the postmaster and its backends, which looks
// like a network partition to clients), thawed, stopped and started again; it never touches any
// other server. NewCluster skips the test when the PostgreSQL server binaries are not installed.
type Cluster struct {
	t      testing.TB
	bin    string   // directory holding initdb, pg_ctl and postgres
	asUser []string // command prefix running the binaries as a non-root user (they refuse root)
	dir    string   // data directory
	port   int
	frozen []int // processes stopped by Freeze, resumed by Thaw
}

// ClusterBinEnv names a variable pointing at the PostgreSQL server binaries (the directory of
// initdb and pg_ctl); without it they are looked up on PATH and under /usr/lib/postgresql.
const ClusterBinEnv = "CUSTREG_TEST_PG_BIN"

// NewCluster initialises and starts a private server; it is stopped and removed when the test ends.
func NewCluster(t testing.TB) *Cluster {
	t.Helper()
	bin := findServerBinaries()
	if bin == "" {
		t.Skipf("private PostgreSQL cluster tests skipped: no initdb/pg_ctl found (set %s)", ClusterBinEnv)
	}
	c := &Cluster{t: t, bin: bin}
	base, err := os.MkdirTemp("", "custreg-pg-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(base) })
	if os.Geteuid() == 0 {
		u, err := user.Lookup("postgres")
		runuser, lerr := exec.LookPath("runuser")
		if err != nil || lerr != nil {
			t.Skip("private PostgreSQL cluster tests skipped: running as root without a postgres user and runuser")
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		if err := os.Chown(base, uid, gid); err != nil {
			t.Fatal(err)
		}
		c.asUser = []string{runuser, "-u", "postgres", "--"}
	}
	c.dir = filepath.Join(base, "data")
	c.port = freePort(t)
	c.run("initdb", "-D", c.dir, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync")
	conf := fmt.Sprintf("\nport = %d\nlisten_addresses = '127.0.0.1'\nunix_socket_directories = '%s'\n"+
		"fsync = off\nfull_page_writes = off\nshared_buffers = 16MB\nmax_connections = 40\n", c.port, base)
	f, err := os.OpenFile(filepath.Join(c.dir, "postgresql.conf"), os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteString(conf); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	c.Start()
	t.Cleanup(func() {
		c.Thaw()
		_ = c.pgCtl("stop", "-m", "immediate")
	})
	return c
}

// DSN names the cluster's postgres database as its superuser.
func (c *Cluster) DSN() string {
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable", c.port)
}

// Addr is the cluster's host:port, for checking that logs do not name it.
func (c *Cluster) Addr() string { return "127.0.0.1:" + strconv.Itoa(c.port) }

// Start starts the server and waits until it accepts connections.
func (c *Cluster) Start() {
	c.t.Helper()
	if err := c.pgCtl("start", "-w", "-t", "60", "-l", filepath.Join(filepath.Dir(c.dir), "server.log")); err != nil {
		c.t.Fatalf("start private cluster: %v", err)
	}
}

// Stop stops the server with pg_ctl stop -m mode: "fast" ends every session with admin_shutdown
// (57P01); "immediate" kills the backends, so clients see their connections drop. New
// connections are refused until Start.
func (c *Cluster) Stop(mode string) {
	c.t.Helper()
	if err := c.pgCtl("stop", "-m", mode, "-w", "-t", "60"); err != nil {
		c.t.Fatalf("stop private cluster: %v", err)
	}
}

// Freeze stops the postmaster and every backend with SIGSTOP: connections stay open but nothing
// answers, as in a network partition.
func (c *Cluster) Freeze() {
	c.t.Helper()
	pid := c.postmasterPID()
	pids := append([]int{pid}, childrenOf(pid)...)
	for _, p := range pids {
		if err := syscall.Kill(p, syscall.SIGSTOP); err == nil {
			c.frozen = append(c.frozen, p)
		}
	}
}

// Thaw resumes the processes Freeze stopped.
func (c *Cluster) Thaw() {
	for _, p := range c.frozen {
		_ = syscall.Kill(p, syscall.SIGCONT)
	}
	c.frozen = nil
}

func (c *Cluster) postmasterPID() int {
	c.t.Helper()
	data, err := os.ReadFile(filepath.Join(c.dir, "postmaster.pid"))
	if err != nil {
		c.t.Fatalf("private cluster is not running: %v", err)
	}
	first, _, _ := strings.Cut(string(data), "\n")
	pid, err := strconv.Atoi(strings.TrimSpace(first))
	if err != nil || pid <= 1 {
		c.t.Fatalf("postmaster.pid: %q", first)
	}
	return pid
}

func (c *Cluster) pgCtl(args ...string) error {
	return c.exec("pg_ctl", append([]string{"-D", c.dir}, args...)...)
}

func (c *Cluster) run(name string, args ...string) {
	c.t.Helper()
	if err := c.exec(name, args...); err != nil {
		c.t.Fatalf("%s: %v", name, err)
	}
}

func (c *Cluster) exec(name string, args ...string) error {
	argv := append(append(append([]string{}, c.asUser...), filepath.Join(c.bin, name)), args...)
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Dir = os.TempDir()
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("%w: %s", err, strings.TrimSpace(out.String()))
	}
	return nil
}

// childrenOf lists the processes whose parent is pid (the backends of a postmaster).
func childrenOf(pid int) []int {
	entries, _ := os.ReadDir("/proc")
	var out []int
	for _, e := range entries {
		p, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		stat, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		if err != nil {
			continue
		}
		// pid (comm) state ppid …; comm may contain spaces, so read after the last ')'.
		i := bytes.LastIndexByte(stat, ')')
		if i < 0 {
			continue
		}
		fields := strings.Fields(string(stat[i+1:]))
		if len(fields) > 1 && fields[1] == strconv.Itoa(pid) {
			out = append(out, p)
		}
	}
	return out
}

func findServerBinaries() string {
	if dir := os.Getenv(ClusterBinEnv); dir != "" {
		return dir
	}
	if p, err := exec.LookPath("initdb"); err == nil {
		if _, err := os.Stat(filepath.Join(filepath.Dir(p), "pg_ctl")); err == nil {
			return filepath.Dir(p)
		}
	}
	matches, _ := filepath.Glob("/usr/lib/postgresql/*/bin/initdb")
	if len(matches) == 0 {
		return ""
	}
	return filepath.Dir(matches[len(matches)-1])
}

func freePort(t testing.TB) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}
