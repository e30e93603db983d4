package main

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"strconv"
	"time"

	"fortio.org/fortio/fhttp"
	"fortio.org/fortio/periodic"
)

// The servers run in rounds; each round starts every server afresh, in an
// order rotated by one each round, so slow moments of a shared machine fall
// on each in turn.
const (
	rounds      = 5
	loadFor     = 4 * time.Second
	connections = 16
)

// server is one of the servers compared, and its figures, a value a round.
// Each listens on $PORT and answers every GET, /readyz too, with 200.
type server struct {
	name         string
	argv         []string
	readyMS, rps []float64 // exec to the first /readyz 200; 200 responses a second
	peak         int64     // the highest peak RSS of any round
}

func (b *bench) serverRows() ([]row, error) {
	hello := &server{name: "helloserver", argv: []string{b.path("helloserver")}}
	bare := &server{name: "nethttp", argv: []string{b.path("nethttp")}}
	py := &server{name: "python", argv: []string{"python3", filepath.Join(b.repo, "tools/bench/server.py")}}
	servers := []*server{hello, bare, py}
	for r := range rounds {
		for i := range servers {
			s := servers[(i+r)%len(servers)]
			if err := b.serveRound(s); err != nil {
				return nil, fmt.Errorf("%s: %w", s.name, err)
			}
		}
	}
	return []row{
		{fmt.Sprintf("helloserver peak RSS after load, worst of %d rounds (bare net/http beside)", rounds),
			fmt.Sprintf("%.1f MB (bare %.1f MB)", float64(hello.peak)/1e6, float64(bare.peak)/1e6), "< 20 MB", judged(hello.peak < 20e6)},
		{fmt.Sprintf("helloserver exec to first /readyz 200, median of %d (bare net/http beside)", rounds),
			fmt.Sprintf("%.1f ms (bare %.1f ms)", median(hello.readyMS), median(bare.readyMS)), "< 100 ms", judged(median(hello.readyMS) < 100)},
		{fmt.Sprintf("helloserver req/s / the tutorial's Python server's, medians of %d (fortio, %d connections)", rounds, connections),
			fmt.Sprintf("%.1fx (%.0f / %.0f)", median(hello.rps)/median(py.rps), median(hello.rps), median(py.rps)),
			">= 8x", judged(median(hello.rps) >= 8*median(py.rps))},
		{"helloserver req/s / bare net/http's, same rounds",
			fmt.Sprintf("%.2f (%.0f / %.0f)", median(hello.rps)/median(bare.rps), median(hello.rps), median(bare.rps)), "reported", "-"},
	}, nil
}

func (b *bench) serveRound(s *server) error {
	port, err := freePort()
	if err != nil {
		return err
	}
	url := "http://127.0.0.1:" + port + "/"
	t0 := time.Now()
	p, err := b.start(time.Minute, []string{"PORT=" + port}, s.argv...)
	if err != nil {
		return err
	}
	defer p.stop()
	if err := waitReady(url+"readyz", t0); err != nil {
		return err
	}
	s.readyMS = append(s.readyMS, float64(time.Since(t0).Microseconds())/1000)

	res, err := b.fortio(url, -1, connections, loadFor)
	if err != nil {
		return err
	}
	if res.RetCodes[http.StatusOK] == 0 {
		return fmt.Errorf("%s answered no request of fortio's with 200", url)
	}
	rps := float64(res.RetCodes[http.StatusOK]) / res.ActualDuration.Seconds()
	_, peak, err := readProc(p.Process.Pid)
	if err != nil {
		return err
	}
	s.rps, s.peak = append(s.rps, rps), max(s.peak, peak)
	return nil
}

func waitReady(url string, t0 time.Time) error {
	client := &http.Client{Timeout: time.Second}
	for time.Since(t0) < 5*time.Second {
		if resp, err := client.Get(url); err == nil {
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		time.Sleep(time.Millisecond)
	}
	return fmt.Errorf("%s did not answer 200 within 5s", url)
}

// fortio runs fortio's load inside the harness through its library, as
// `fortio load -uniform -qps qps -c conns -t dur url` does; a qps below 0 is
// its highest rate, -qps 0 on its command line.
func (b *bench) fortio(url string, qps float64, conns int, dur time.Duration) (*fhttp.HTTPRunnerResults, error) {
	b.record(nil, []string{"fortio", "load", "-uniform", "-qps", fmtRate(max(qps, 0)), "-c", strconv.Itoa(conns), "-t", dur.String(), url})
	o := &fhttp.HTTPRunnerOptions{RunnerOptions: periodic.RunnerOptions{
		QPS: qps, NumThreads: conns, Duration: dur, Uniform: true, Out: io.Discard,
	}}
	o.URL = url
	return fhttp.RunHTTPTest(o)
}

func freePort() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return strconv.Itoa(ln.Addr().(*net.TCPAddr).Port), nil
}
