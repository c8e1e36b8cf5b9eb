// Command load sends a fixed number of HTTP requests to a server on this
// machine over a fixed number of connections, waits for every response,
// and prints the throughput, latency percentiles and the count of each
// status. Unlike wrk, it counts every request it sends, so its count of 200
// responses can be compared exactly with a counter on the server.
//
//	go run ./scripts/bench/load -n 100000 -c 32 -m POST \
//	    -H 'Content-Type: application/json' -body '{"key":"..."}' http://127.0.0.1:42000/api/auth/api-key/verify
//
// It refuses any address that is not a loopback address.
package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// headers collects repeated -H flags.
type headers []string

func (h *headers) String() string     { return strings.Join(*h, ", ") }
func (h *headers) Set(v string) error { *h = append(*h, v); return nil }

// result contains the latencies, statuses and errors of one connection's
// worker.
type result struct {
	latencies []time.Duration
	statuses  map[int]int
	errors    map[string]int
}

func main() {
	var (
		total       = flag.Int("n", 100000, "number of requests to send")
		connections = flag.Int("c", 32, "number of connections, each sending one request at a time")
		limit       = flag.Duration("t", 2*time.Minute, "send no new request after this time; requests in flight still finish")
		method      = flag.String("m", "GET", "HTTP method")
		body        = flag.String("body", "", "request body")
		timeout     = flag.Duration("timeout", 30*time.Second, "time limit of each request")
		hdrs        headers
	)
	flag.Var(&hdrs, "H", "request header as 'Name: value' (repeatable)")
	flag.Usage = func() {
		fmt.Fprintf(flag.CommandLine.Output(), "usage: load [flags] URL\n")
		flag.PrintDefaults()
	}
	flag.Parse()
	if flag.NArg() != 1 || *total < 1 || *connections < 1 {
		flag.Usage()
		os.Exit(2)
	}
	target := flag.Arg(0)
	if err := checkLoopback(target); err != nil {
		fmt.Fprintln(os.Stderr, "load:", err)
		os.Exit(2)
	}
	header := http.Header{}
	for _, h := range hdrs {
		name, value, ok := strings.Cut(h, ":")
		if !ok {
			fmt.Fprintf(os.Stderr, "load: header %q has no colon: write it as 'Name: value'\n", h)
			os.Exit(2)
		}
		header.Add(strings.TrimSpace(name), strings.TrimSpace(value))
	}

	client := &http.Client{
		Timeout: *timeout,
		Transport: &http.Transport{
			DialContext:         dialLoopback,
			MaxIdleConns:        *connections,
			MaxIdleConnsPerHost: *connections,
			MaxConnsPerHost:     *connections,
			DisableCompression:  true,
		},
	}
	var (
		issued   atomic.Int64
		deadline = time.Now().Add(*limit)
		results  = make([]result, *connections)
		wg       sync.WaitGroup
	)
	start := time.Now()
	for i := range results {
		wg.Add(1)
		go func(r *result) {
			defer wg.Done()
			r.statuses, r.errors = map[int]int{}, map[string]int{}
			for issued.Add(1) <= int64(*total) && time.Now().Before(deadline) {
				req, err := http.NewRequest(*method, target, bytes.NewReader([]byte(*body)))
				if err != nil {
					r.errors[err.Error()]++
					return
				}
				req.Header = header.Clone()
				began := time.Now()
				resp, err := client.Do(req)
				if err != nil {
					r.errors[err.Error()]++
					continue
				}
				// Reading the whole body lets the connection be reused.
				_, err = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if err != nil {
					r.errors["read body: "+err.Error()]++
					continue
				}
				r.latencies = append(r.latencies, time.Since(began))
				r.statuses[resp.StatusCode]++
			}
		}(&results[i])
	}
	wg.Wait()
	elapsed := time.Since(start)
	report(results, elapsed)
}

// report prints the merged results.
func report(results []result, elapsed time.Duration) {
	var all []time.Duration
	statuses, errs := map[int]int{}, map[string]int{}
	for _, r := range results {
		all = append(all, r.latencies...)
		for s, n := range r.statuses {
			statuses[s] += n
		}
		for e, n := range r.errors {
			errs[e] += n
		}
	}
	slices.Sort(all)

	failed := 0
	for _, n := range errs {
		failed += n
	}
	fmt.Printf("requests: %d completed, %d failed, in %.2fs\n", len(all), failed, elapsed.Seconds())
	fmt.Printf("throughput: %.0f requests/s\n", float64(len(all))/elapsed.Seconds())
	if len(all) > 0 {
		fmt.Printf("latency: p50 %s, p90 %s, p99 %s, max %s\n",
			percentile(all, 0.50), percentile(all, 0.90), percentile(all, 0.99), all[len(all)-1])
	}

	codes := make([]int, 0, len(statuses))
	for s := range statuses {
		codes = append(codes, s)
	}
	slices.Sort(codes)
	for _, s := range codes {
		fmt.Printf("status %d: %d\n", s, statuses[s])
	}
	for e, n := range errs {
		fmt.Printf("error: %d × %s\n", n, e)
	}
}

// percentile returns the q-quantile of sorted, rounded to 10 µs.
func percentile(sorted []time.Duration, q float64) time.Duration {
	i := int(q*float64(len(sorted))+0.5) - 1
	i = max(0, min(i, len(sorted)-1))
	return sorted[i].Round(10 * time.Microsecond)
}

// checkLoopback rejects a URL whose host is not localhost or a loopback
// address, so the tool cannot be pointed at another machine.
func checkLoopback(target string) error {
	u, err := url.Parse(target)
	if err != nil {
		return fmt.Errorf("invalid URL %q: %w", target, err)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return fmt.Errorf("URL %q: use http or https", target)
	}
	host := u.Hostname()
	if host == "localhost" {
		return nil
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsLoopback() {
		return nil
	}
	return fmt.Errorf("host %q of %q is not a loopback address: use 127.0.0.1, ::1 or localhost", host, target)
}

// dialLoopback connects only to loopback addresses, whatever a name
// resolves to: the check runs before each connection attempt.
func dialLoopback(ctx context.Context, network, addr string) (net.Conn, error) {
	d := net.Dialer{Timeout: 5 * time.Second, Control: func(_, address string, _ syscall.RawConn) error {
		host, _, err := net.SplitHostPort(address)
		if err != nil {
			return err
		}
		if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
			return fmt.Errorf("connection to %s rejected: not a loopback address", address)
		}
		return nil
	}}
	return d.DialContext(ctx, network, addr)
}
