package awsshim

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"net/http"
	"slices"
	"strings"
	"time"
)

// newTransport returns the one transport a Shim uses for all upstream
// requests: no proxy, no transparent compression, plenty of idle conns.
func newTransport() *http.Transport {
	return &http.Transport{
		Proxy:               nil,
		DialContext:         (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		MaxIdleConns:        256,
		MaxIdleConnsPerHost: 256,
		IdleConnTimeout:     90 * time.Second,
		DisableCompression:  true,
	}
}

// forward sends the request with body to the upstream and returns its
// answer. The request is cancelled when the client goes away.
func (s *Shim) forward(r *http.Request, body []byte) (*http.Response, error) {
	u := *s.upstream
	u.Path = s.upstream.Path + r.URL.Path
	u.RawQuery = r.URL.RawQuery
	out, err := http.NewRequestWithContext(r.Context(), r.Method, u.String(), bytes.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("%w: %w", errUpstream, err)
	}
	copyHeader(out.Header, r.Header)
	resp, err := s.rt.RoundTrip(out)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", errUpstream, err)
	}
	return resp, nil
}

// copyHeader adds the end-to-end headers of src to dst.
func copyHeader(dst, src http.Header) {
	for k, vs := range src {
		if isHopHeader(k) {
			continue
		}
		dst[k] = slices.Clone(vs)
	}
}

// errUpstream wraps failures to reach the upstream.
var errUpstream = errors.New("upstream request failed")

// isHopHeader reports whether a header only concerns one connection.
func isHopHeader(k string) bool {
	switch strings.ToLower(k) {
	case "connection", "keep-alive", "proxy-connection", "proxy-authenticate",
		"proxy-authorization", "te", "trailer", "transfer-encoding", "upgrade":
		return true
	}
	return false
}
