package h1client

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

func client(t testing.TB, raw string) *Client {
	t.Helper()
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	c, err := New(u, "test-agent")
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// countingServer is a loopback server running h that counts the
// connections it accepts; it is closed when the test ends.
func countingServer(t *testing.T, h http.HandlerFunc) (*httptest.Server, *atomic.Int32) {
	t.Helper()
	conns := new(atomic.Int32)
	srv := httptest.NewUnstartedServer(h)
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			conns.Add(1)
		}
	}
	srv.Start()
	t.Cleanup(srv.Close)
	return srv, conns
}

func soon() time.Time { return time.Now().Add(5 * time.Second) }

// TestAgainstNetHTTP: bodies of every framing net/http produces, on one
// kept-alive connection; the server sees our request line and headers.
func TestAgainstNetHTTP(t *testing.T) {
	srv, conns := countingServer(t, func(w http.ResponseWriter, r *http.Request) {
		if r.Method != "GET" || r.URL.RequestURI() != "/p?q=1" || r.UserAgent() != "test-agent" || r.Host == "" {
			http.Error(w, "bad request line", 400)
			return
		}
		fmt.Fprint(w, "Hello World!")
	})
	k := client(t, srv.URL+"/p?q=1").NewConn()
	defer k.Close()
	for i := range 50 {
		st, err := k.Get(soon())
		if err != nil || st != 200 {
			t.Fatalf("request %d: %d %v", i, st, err)
		}
	}
	if conns.Load() != 1 {
		t.Errorf("%d connections for 50 requests: keep-alive broken", conns.Load())
	}
}

// rawServer answers each request with the next of responses (raw bytes),
// and closes the connection when the list is exhausted or the response
// asks for it.
func rawServer(t *testing.T, responses ...string) (string, *atomic.Int32) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	var requests atomic.Int32
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func(c net.Conn) {
				defer c.Close()
				br := bufio.NewReader(c)
				for {
					req, err := http.ReadRequest(br)
					if err != nil {
						return
					}
					req.Body.Close()
					i := int(requests.Add(1)) - 1
					if i >= len(responses) {
						return
					}
					if _, err := io.WriteString(c, responses[i]); err != nil {
						return
					}
					if i == len(responses)-1 || strings.HasPrefix(responses[i], "HTTP/1.0") || strings.Contains(responses[i], "Connection: close") {
						return // as a real server does after such a response
					}
				}
			}(c)
		}
	}()
	return "http://" + ln.Addr().String() + "/", &requests
}

func TestFraming(t *testing.T) {
	for _, tt := range []struct {
		name   string
		resp   string
		status int
		err    bool
	}{
		{"content-length", "HTTP/1.1 200 OK\r\nContent-Length: 12\r\n\r\nHello World!", 200, false},
		{"chunked with extension and trailer", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;x=y\r\nHello\r\n7\r\n World!\r\n0\r\nTrailer: v\r\n\r\n", 200, false},
		{"interim 100 then 503", "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\n\r\n", 503, false},
		{"no content 204", "HTTP/1.1 204 No Content\r\n\r\n", 204, false},
		{"lowercase headers LF only", "HTTP/1.1 404 Not Found\ncontent-length: 3\n\nabc", 404, false},
		{"garbage status", "HTTP/1.1 2x0 OK\r\n\r\n", 0, true},
		{"not http", "SSH-2.0-OpenSSH\r\n\r\n", 0, true},
		{"bad content-length", "HTTP/1.1 200 OK\r\nContent-Length: -4\r\n\r\n", 200, true},
		{"bad chunk size", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", 200, true},
		{"truncated body", "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nshort", 200, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			addr, _ := rawServer(t, tt.resp)
			k := client(t, addr).NewConn()
			defer k.Close()
			st, err := k.Get(soon())
			if (err != nil) != tt.err || st != tt.status {
				t.Errorf("Get = %d, %v; want %d, error %v", st, err, tt.status, tt.err)
			}
		})
	}
}

// TestCloseDelimitedAndConnectionClose: the connection is not reused when
// the response says so, and the next request dials afresh.
func TestCloseDelimitedAndConnectionClose(t *testing.T) {
	for _, resp := range []string{
		"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\nok",
		"HTTP/1.0 200 OK\r\n\r\nbody until close",
	} {
		addr, requests := rawServer(t, resp, resp)
		k := client(t, addr).NewConn()
		for i := range 2 {
			if st, err := k.Get(soon()); err != nil || st != 200 {
				t.Fatalf("%q request %d: %d %v", resp, i, st, err)
			}
			if k.nc != nil {
				t.Fatalf("%q: connection kept after a close-delimited response", resp)
			}
		}
		if requests.Load() != 2 {
			t.Errorf("server saw %d requests", requests.Load())
		}
	}
}

// TestNoRetryOnNewConnection: a request the server drops on a connection
// that has carried nothing yet, dialed by Get or warmed by Connect, is the
// server's answer: Get fails and does not send it again.
func TestNoRetryOnNewConnection(t *testing.T) {
	for _, warm := range []bool{false, true} {
		t.Run(fmt.Sprintf("warmed %v", warm), func(t *testing.T) {
			var requests atomic.Int32
			srv, _ := countingServer(t, func(w http.ResponseWriter, r *http.Request) {
				requests.Add(1)
				c, _, err := http.NewResponseController(w).Hijack()
				if err != nil {
					t.Error(err)
					return
				}
				c.Close()
			})
			k := client(t, srv.URL).NewConn()
			defer k.Close()
			if warm {
				if err := k.Connect(context.Background(), soon()); err != nil {
					t.Fatal(err)
				}
			}
			if st, err := k.Get(soon()); err == nil {
				t.Fatalf("Get = %d, want the dropped connection's error", st)
			}
			if n := requests.Load(); n != 1 {
				t.Errorf("the server saw %d requests, want 1 (no retry)", n)
			}
		})
	}
}

// TestRetryOnStaleConnection: the server closes an idle keep-alive
// connection; the next Get retries once on a new one and succeeds.
func TestRetryOnStaleConnection(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, "Hello World!")
	}))
	defer srv.Close()
	k := client(t, srv.URL).NewConn()
	defer k.Close()
	if st, err := k.Get(soon()); err != nil || st != 200 {
		t.Fatal(st, err)
	}
	srv.CloseClientConnections()
	if st, err := k.Get(soon()); err != nil || st != 200 {
		t.Fatalf("after the server closed the idle connection: %d %v", st, err)
	}
}

func TestTimeoutAndInterrupt(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer srv.Close()
	defer close(release)
	k := client(t, srv.URL).NewConn()
	_, err := k.Get(time.Now().Add(50 * time.Millisecond))
	var ne net.Error
	if !errors.As(err, &ne) || !ne.Timeout() {
		t.Fatalf("want a timeout, got %v", err)
	}
	done := make(chan error)
	go func() { _, err := k.Get(soon()); done <- err }()
	time.AfterFunc(50*time.Millisecond, k.Interrupt)
	select {
	case err := <-done:
		if err == nil {
			t.Fatal("interrupted Get succeeded")
		}
	case <-time.After(4 * time.Second):
		t.Fatal("Interrupt did not abort Get")
	}
	if _, err := k.Get(soon()); !errors.Is(err, ErrInterrupted) {
		t.Errorf("Get after Interrupt: %v", err)
	}
}

func TestNewRejectsHTTPS(t *testing.T) {
	u, _ := url.Parse("https://x/")
	if _, err := New(u, ""); err == nil || !strings.Contains(err.Error(), "http only") {
		t.Errorf("New(https) = %v", err)
	}
}

func TestRequestBytes(t *testing.T) {
	u, _ := url.Parse("http://user:pw@hellosvc/a%20b?x=1")
	c, _ := New(u, "ua")
	want := "GET /a%20b?x=1 HTTP/1.1\r\nHost: hellosvc\r\nUser-Agent: ua\r\nAuthorization: Basic dXNlcjpwdw==\r\n\r\n"
	if string(c.req) != want || c.addr != "hellosvc:80" {
		t.Errorf("request %q to %s", c.req, c.addr)
	}
}

func BenchmarkGet(b *testing.B) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write([]byte("Hello World!"))
	}))
	defer srv.Close()
	c := client(b, srv.URL)
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		k := c.NewConn()
		defer k.Close()
		for pb.Next() {
			if _, err := k.Get(time.Now().Add(5 * time.Second)); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

// FuzzResponse feeds arbitrary server bytes to the response parser: it must
// return a status or an error, never panic or hang past the deadline.
func FuzzResponse(f *testing.F) {
	for _, s := range []string{
		"HTTP/1.1 200 OK\r\nContent-Length: 12\r\n\r\nHello World!",
		"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nHello\r\n0\r\n\r\n",
		"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.0 404 x\r\n\r\nbody",
		"HTTP/1.1 200 OK\r\nContent-Length: 999999999\r\n\r\n",
		"HTTP/1.1 200\r\n\r\n", "", "\r\n\r\n",
	} {
		f.Add([]byte(s))
	}
	// A retry after an empty answer redials this: loopback, nothing listening.
	u, _ := url.Parse("http://127.0.0.1:1/")
	c, _ := New(u, "")
	f.Fuzz(func(t *testing.T, resp []byte) {
		client, server := net.Pipe()
		go func() {
			defer server.Close()
			_ = server.SetDeadline(time.Now().Add(time.Second))
			if _, err := server.Read(make([]byte, len(c.req))); err != nil {
				return
			}
			_, _ = server.Write(resp)
		}()
		k := c.NewConn()
		k.nc, k.br = client, bufio.NewReader(client)
		defer k.Close()
		st, err := k.Get(time.Now().Add(time.Second))
		if err == nil && (st < 100 || st > 999) {
			t.Fatalf("status %d without error from %q", st, resp)
		}
	})
}

// TestConnect: Connect opens the connection before any request, Get then
// uses it, and a Connect that failed leaves Get to dial again.
func TestConnect(t *testing.T) {
	type result struct{ conns, requests int32 }
	tests := []struct {
		name       string
		prepare    func(t *testing.T, k *Conn) (context.Context, string) // addr override ("" = the server)
		connects   int
		wantErr    string
		before     result // what the server saw after Connect, before any Get
		gets       int
		wantGetErr string
		after      result
	}{
		{name: "dials before the first request", connects: 1, before: result{1, 0}, gets: 3, after: result{1, 3}},
		{name: "a second Connect keeps the connection", connects: 2, before: result{1, 0}, gets: 2, after: result{1, 2}},
		{name: "refused, then Get dials again", connects: 1,
			prepare: func(t *testing.T, k *Conn) (context.Context, string) {
				ln, err := net.Listen("tcp", "127.0.0.1:0")
				if err != nil {
					t.Fatal(err)
				}
				addr := ln.Addr().String()
				ln.Close()
				return context.Background(), addr
			},
			wantErr: "refused", gets: 1, wantGetErr: "refused"},
		{name: "cancelled context", connects: 1,
			prepare: func(t *testing.T, k *Conn) (context.Context, string) {
				ctx, cancel := context.WithCancel(context.Background())
				cancel()
				return ctx, ""
			},
			wantErr: "canceled", before: result{0, 0}, gets: 1, after: result{1, 1}},
		{name: "after Interrupt", connects: 1,
			prepare: func(t *testing.T, k *Conn) (context.Context, string) {
				k.Interrupt()
				return context.Background(), ""
			},
			wantErr: ErrInterrupted.Error(), before: result{0, 0}, gets: 1, wantGetErr: ErrInterrupted.Error(), after: result{0, 0}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var requests atomic.Int32
			srv, conns := countingServer(t, func(w http.ResponseWriter, r *http.Request) {
				requests.Add(1)
				fmt.Fprint(w, "Hello World!")
			})
			c := client(t, srv.URL)
			k := c.NewConn()
			defer k.Close()
			ctx := context.Background()
			if tt.prepare != nil {
				var addr string
				if ctx, addr = tt.prepare(t, k); addr != "" {
					c.addr = addr
				}
			}
			var err error
			for range tt.connects {
				err = k.Connect(ctx, soon())
			}
			if tt.wantErr == "" && err != nil || tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)) {
				t.Fatalf("Connect: %v, want error %q", err, tt.wantErr)
			}
			// The server counts a connection once it has accepted it.
			waitFor(t, func() bool { return conns.Load() == tt.before.conns })
			if got := (result{conns.Load(), requests.Load()}); got != tt.before {
				t.Errorf("after Connect the server saw %+v, want %+v", got, tt.before)
			}
			for i := range tt.gets {
				_, err = k.Get(soon())
				if tt.wantGetErr == "" && err != nil || tt.wantGetErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantGetErr)) {
					t.Fatalf("Get %d: %v, want error %q", i, err, tt.wantGetErr)
				}
			}
			if tt.wantGetErr == "" {
				if got := (result{conns.Load(), requests.Load()}); got != tt.after {
					t.Errorf("after %d Gets the server saw %+v, want %+v", tt.gets, got, tt.after)
				}
			}
		})
	}
}

// waitFor polls cond for up to 5 s.
func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); !cond() && time.Now().Before(deadline); {
		time.Sleep(time.Millisecond)
	}
}
