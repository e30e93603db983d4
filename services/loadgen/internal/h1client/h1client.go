// Package h1client is a minimal HTTP/1.1 GET client for plain http:// load
// generation: one keep-alive connection per worker, driven directly by the
// worker goroutine.
//
// net/http's Transport hands every request to two goroutines per connection
// and arms a timer per request context; at tens of thousands of requests per
// second those wake-ups dominate the client's CPU. Here a request is one
// write and the reads of its response on the caller's goroutine, and the
// timeout is the connection deadline (a runtime netpoll timer, no
// allocation). It supports what a GET needs: Content-Length, chunked and
// read-until-close bodies, 1xx interim responses, Connection: close. It
// does not do TLS, proxies or redirects: use net/http for those.
package h1client

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"strconv"
	"sync"
	"time"
)

// MaxDrain bounds the body bytes read to keep a connection; a longer body
// is abandoned with its connection.
const MaxDrain = 64 << 10

// Client holds the pre-encoded request for one URL.
type Client struct {
	addr string // host:port to dial
	req  []byte
}

// New returns a client for u, which must be an http:// URL.
func New(u *url.URL, userAgent string) (*Client, error) {
	if u.Scheme != "http" {
		return nil, fmt.Errorf("h1client: scheme %q not supported (http only)", u.Scheme)
	}
	port := u.Port()
	if port == "" {
		port = "80"
	}
	var b bytes.Buffer
	fmt.Fprintf(&b, "GET %s HTTP/1.1\r\nHost: %s\r\n", u.RequestURI(), u.Host)
	if userAgent != "" {
		fmt.Fprintf(&b, "User-Agent: %s\r\n", userAgent)
	}
	if u.User != nil {
		p, _ := u.User.Password()
		fmt.Fprintf(&b, "Authorization: Basic %s\r\n", base64.StdEncoding.EncodeToString([]byte(u.User.Username()+":"+p)))
	}
	b.WriteString("\r\n")
	return &Client{addr: net.JoinHostPort(u.Hostname(), port), req: b.Bytes()}, nil
}

// Conn is one worker's connection. Get is not safe for concurrent use;
// Interrupt may be called from any goroutine.
type Conn struct {
	c  *Client
	mu sync.Mutex // guards nc against Interrupt
	nc net.Conn
	br *bufio.Reader
	// used is set once nc has carried a whole exchange: only then can a
	// failure with nothing read back be the server closing it while idle.
	// A connection warmed by Connect is new until its first response.
	used bool
	// interrupted makes every later Get fail at once.
	interrupted bool
}

// NewConn returns an unconnected Conn; it dials on first use.
func (c *Client) NewConn() *Conn { return &Conn{c: c} }

// ErrInterrupted is returned by Get after Interrupt.
var ErrInterrupted = errors.New("h1client: interrupted")

// Interrupt aborts a Get in progress (and all later ones) by expiring the
// connection's deadline.
func (k *Conn) Interrupt() {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.interrupted = true
	if k.nc != nil {
		_ = k.nc.SetDeadline(time.Unix(1, 0))
	}
}

// Close closes the connection.
func (k *Conn) Close() {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.nc != nil {
		_ = k.nc.Close()
		k.nc = nil
	}
}

// Connect dials the connection now, if it is not open, instead of on the
// first Get: a load generator warms its connections before its schedule
// starts, so the first requests are not late by a dial. It gives up at
// deadline or when ctx is done; a Conn that failed to connect dials again
// on its next Get.
func (k *Conn) Connect(ctx context.Context, deadline time.Time) error {
	if k.nc != nil {
		return nil
	}
	return k.dial(ctx, deadline)
}

func (k *Conn) dial(ctx context.Context, deadline time.Time) error {
	if k.isInterrupted() {
		return ErrInterrupted // no connection to open and close at once
	}
	d := net.Dialer{Deadline: deadline}
	nc, err := d.DialContext(ctx, "tcp", k.c.addr)
	if err != nil {
		return err
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.interrupted {
		nc.Close()
		return ErrInterrupted
	}
	k.nc, k.used = nc, false
	if k.br == nil {
		k.br = bufio.NewReaderSize(nc, 4096)
	} else {
		k.br.Reset(nc)
	}
	return nil
}

// Get sends the request and reads the whole response (up to MaxDrain of
// body) before deadline, returning the status code. A request on a reused
// connection (one that has carried a response before) that the server had
// already closed (nothing read back) is retried once on a new connection,
// as net/http does: the server never saw it. On a new connection, warmed
// or not, the same failure is the server's answer and is not retried.
func (k *Conn) Get(deadline time.Time) (int, error) {
	for attempt := 0; ; attempt++ {
		if k.nc == nil {
			if err := k.dial(context.Background(), deadline); err != nil {
				return 0, err
			}
		}
		reused := k.used
		status, keep, got, err := k.roundTrip(deadline)
		if err != nil || !keep {
			k.Close()
		} else {
			k.used = true
		}
		if err != nil && reused && !got && attempt == 0 && !k.isInterrupted() && time.Now().Before(deadline) {
			continue
		}
		return status, err
	}
}

func (k *Conn) isInterrupted() bool {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.interrupted
}

var (
	errMalformed = errors.New("h1client: malformed response")
	errTooLong   = errors.New("h1client: response header line too long")
)

// roundTrip returns the status, whether the connection can be reused,
// whether any response byte arrived, and an error.
func (k *Conn) roundTrip(deadline time.Time) (status int, keep, got bool, err error) {
	if err := k.nc.SetDeadline(deadline); err != nil {
		return 0, false, false, err
	}
	if k.isInterrupted() {
		return 0, false, false, ErrInterrupted
	}
	if _, err := k.nc.Write(k.c.req); err != nil {
		return 0, false, false, err
	}
	for {
		line, err := k.readLine()
		if err != nil {
			return 0, false, len(line) > 0, err
		}
		got = true
		// "HTTP/1.1 200 OK"
		if len(line) < 12 || !bytes.HasPrefix(line, []byte("HTTP/1.")) || line[8] != ' ' {
			return 0, false, true, errMalformed
		}
		status = digits(line[9:12])
		if status < 100 {
			return 0, false, true, errMalformed
		}
		http10 := line[7] == '0'
		h, err := k.readHeaders()
		if err != nil {
			return status, false, true, err
		}
		if status >= 100 && status < 200 && status != 101 {
			continue // interim response; the real one follows
		}
		keep = !h.close && (!http10 || h.keepAlive)
		switch {
		case h.chunked:
			err = k.discardChunked()
		case h.length >= 0:
			if h.length > MaxDrain {
				return status, false, true, nil // not worth reading: drop the connection
			}
			_, err = k.br.Discard(int(h.length))
		case status == 204 || status == 304:
		default: // body delimited by the end of the connection
			_, err = io.Copy(io.Discard, io.LimitReader(k.br, MaxDrain))
			keep = false
		}
		if err != nil {
			return status, false, true, err
		}
		return status, keep, true, nil
	}
}

// readLine returns a line without its CRLF; it aliases the reader's buffer.
func (k *Conn) readLine() ([]byte, error) {
	line, err := k.br.ReadSlice('\n')
	if errors.Is(err, bufio.ErrBufferFull) {
		return line, errTooLong
	}
	if err != nil {
		return line, err
	}
	line = line[:len(line)-1]
	if n := len(line); n > 0 && line[n-1] == '\r' {
		line = line[:n-1]
	}
	return line, nil
}

// digits parses a short non-negative decimal without allocating; -1 if b
// is empty, not all digits, or longer than 9 digits.
func digits(b []byte) int {
	if len(b) == 0 || len(b) > 9 {
		return -1
	}
	n := 0
	for _, c := range b {
		if c < '0' || c > '9' {
			return -1
		}
		n = n*10 + int(c-'0')
	}
	return n
}

type header struct {
	length           int64 // -1 if absent
	chunked          bool
	close, keepAlive bool
}

func (k *Conn) readHeaders() (header, error) {
	h := header{length: -1}
	for {
		line, err := k.readLine()
		if err != nil {
			return h, err
		}
		if len(line) == 0 {
			return h, nil
		}
		name, value, ok := bytes.Cut(line, []byte(":"))
		if !ok {
			return h, errMalformed
		}
		value = bytes.TrimSpace(value)
		switch {
		case bytes.EqualFold(name, []byte("Content-Length")):
			n := digits(value)
			if n < 0 {
				return h, errMalformed
			}
			h.length = int64(n)
		case bytes.EqualFold(name, []byte("Transfer-Encoding")):
			h.chunked = bytes.EqualFold(value, []byte("chunked"))
			if !h.chunked {
				return h, errMalformed // nothing else is sent by real servers
			}
		case bytes.EqualFold(name, []byte("Connection")):
			h.close = bytes.Contains(bytes.ToLower(value), []byte("close"))
			h.keepAlive = bytes.Contains(bytes.ToLower(value), []byte("keep-alive"))
		}
	}
}

func (k *Conn) discardChunked() error {
	total := 0
	for {
		line, err := k.readLine()
		if err != nil {
			return err
		}
		if i := bytes.IndexByte(line, ';'); i >= 0 {
			line = line[:i] // chunk extensions
		}
		n, err := strconv.ParseUint(string(bytes.TrimSpace(line)), 16, 31)
		if err != nil {
			return errMalformed
		}
		if n == 0 {
			// Trailers, then the empty line.
			for {
				line, err := k.readLine()
				if err != nil {
					return err
				}
				if len(line) == 0 {
					return nil
				}
			}
		}
		if total += int(n); total > MaxDrain {
			return errors.New("h1client: chunked body longer than MaxDrain")
		}
		if _, err := k.br.Discard(int(n)); err != nil {
			return err
		}
		if line, err := k.readLine(); err != nil || len(line) != 0 {
			return errMalformed
		}
	}
}
