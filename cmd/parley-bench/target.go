package main

import (
	"flag"
	"fmt"
	"net"
	"net/url"
	"strings"
)

// target is where the server is: its base URL and the paths of the
// handlers' WebSocket endpoints.
type target struct {
	base, agentBase        string
	visitorPath, agentPath string
	sources                int
	fs                     *flag.FlagSet
}

func (t *target) flags(fs *flag.FlagSet, agents bool, sources int) {
	t.fs = fs
	fs.StringVar(&t.base, "url", "http://127.0.0.1:8080", "the shop's base `URL` (http or https)")
	fs.StringVar(&t.visitorPath, "visitor-path", "/chat/ws", "`path` of the visitors' WebSocket endpoint under the base URL")
	if agents {
		fs.StringVar(&t.agentPath, "agent-path", "/staff/chat/ws", "`path` of the agents' WebSocket endpoint under the base URL")
		fs.StringVar(&t.agentBase, "agent-url", "", "the agents' base `URL` when they connect to another instance than the visitors (empty: -url)")
	}
	fs.IntVar(&t.sources, "sources", sources, "connect from this many loopback source addresses, 127.0.0.2 and up (about 28,000 connections each); 0 lets the system choose. Only for a server on loopback: to another host the system always chooses")
}

// wsURL turns the base URL and path into a ws or wss URL.
func (t *target) wsURL(path string) (string, error) { return wsURL(t.base, path) }

// agentWSURL is wsURL for the agents, on -agent-url when it is set.
func (t *target) agentWSURL() (string, error) {
	if t.agentBase != "" {
		return wsURL(t.agentBase, t.agentPath)
	}
	return wsURL(t.base, t.agentPath)
}

// wsURL turns a base URL and path into a ws or wss URL.
func wsURL(base, path string) (string, error) {
	u, err := url.Parse(base)
	if err != nil {
		return "", usageError(fmt.Sprintf("-url: %v", err))
	}
	switch u.Scheme {
	case "http", "ws":
		u.Scheme = "ws"
	case "https", "wss":
		u.Scheme = "wss"
	default:
		return "", usageError(fmt.Sprintf("-url %q: the scheme must be http or https", base))
	}
	u.Path = strings.TrimSuffix(u.Path, "/") + path
	return u.String(), nil
}

// sourceAddrs lists the source addresses. They route only to a server on
// loopback: to another host, -sources set on the command line is an
// error, and its default is left out.
func (t *target) sourceAddrs() ([]string, error) {
	if t.sources <= 0 {
		return nil, nil
	}
	if t.sources > 250 {
		return nil, usageError("-sources: at most 250")
	}
	u, err := url.Parse(t.base)
	if err != nil {
		return nil, usageError(fmt.Sprintf("-url: %v", err))
	}
	host := u.Hostname()
	if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() || ip.To4() == nil {
		if host != "localhost" {
			set := false
			t.fs.Visit(func(f *flag.Flag) { set = set || f.Name == "sources" })
			if !set {
				return nil, nil
			}
			return nil, usageError(fmt.Sprintf("-sources: loopback source addresses reach only a server on 127.0.0.1, not %q; set -sources 0", host))
		}
	}
	addrs := make([]string, t.sources)
	for i := range addrs {
		addrs[i] = fmt.Sprintf("127.0.0.%d", i+2)
	}
	return addrs, nil
}

// headers is a repeatable flag.
type headers []string

func (h *headers) String() string     { return strings.Join(*h, ", ") }
func (h *headers) Set(v string) error { *h = append(*h, v); return nil }
