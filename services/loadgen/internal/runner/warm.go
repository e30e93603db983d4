package runner

import (
	"context"
	"math"
	"net"
	"net/http"
	"net/url"
	"sync"
	"time"
)

// Until the first responses come back, every request due needs a
// connection of its own. The warm-up dials connections for the requests due
// in the first warmWindow before the schedule starts, so those go out on
// time instead of each waiting for a connect while later ones come due.
const (
	warmWindow = 20 * time.Millisecond
	maxWarmUp  = time.Second // an unreachable server delays the start by at most this
	warmKeep   = time.Second // then unused ones are closed: a server may drop a connection that never carried a request
)

// warmDialer is the Transport's dialer: it hands out the warmed
// connections to the target first.
type warmDialer struct {
	net.Dialer
	addr  string // what the Transport dials for the target; "" behind a proxy (no warm-up)
	conns chan net.Conn
}

func newWarmDialer(u *url.URL, maxInFlight int) *warmDialer {
	d := &warmDialer{Dialer: net.Dialer{Timeout: connectTimeout, KeepAlive: 30 * time.Second}, conns: make(chan net.Conn, maxInFlight)}
	if proxy, err := http.ProxyFromEnvironment(&http.Request{URL: u}); err == nil && proxy == nil {
		port := u.Port()
		if port == "" {
			port = map[string]string{"http": "80", "https": "443"}[u.Scheme]
		}
		d.addr = net.JoinHostPort(u.Hostname(), port)
	}
	return d
}

func (d *warmDialer) DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	if addr == d.addr {
		select {
		case c := <-d.conns:
			return c, nil
		default:
		}
	}
	return d.Dialer.DialContext(ctx, network, addr)
}

// warm opens the connections for rate×warmWindow requests (at least one,
// at most the channel's capacity) and returns when they are open or failed.
// A failed dial is not a request: the request that needs a connection
// dials again and counts its own result.
func (d *warmDialer) warm(ctx context.Context, rate float64) {
	if d.addr == "" {
		return
	}
	ctx, cancel := context.WithTimeout(ctx, maxWarmUp)
	defer cancel()
	var wg sync.WaitGroup
	for range int(max(1, min(math.Ceil(rate*warmWindow.Seconds()), float64(cap(d.conns))))) {
		wg.Go(func() {
			if c, err := d.Dialer.DialContext(ctx, "tcp", d.addr); err == nil {
				d.conns <- c
			}
		})
	}
	wg.Wait()
	time.AfterFunc(warmKeep, func() {
		for {
			select {
			case c := <-d.conns:
				c.Close()
			default:
				return
			}
		}
	})
}
