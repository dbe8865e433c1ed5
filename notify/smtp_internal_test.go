package notify

import (
	"bytes"
	"net"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestIsLoopback(t *testing.T) {
	t.Parallel()
	tests := []struct {
		addr net.Addr
		want bool
	}{
		{&net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 25}, true},
		{&net.TCPAddr{IP: net.IPv4(127, 3, 2, 1), Port: 25}, true},
		{&net.TCPAddr{IP: net.IPv6loopback, Port: 25}, true},
		{&net.TCPAddr{IP: net.IPv4(192, 0, 2, 10), Port: 25}, false},
		{&net.TCPAddr{IP: net.ParseIP("2001:db8::1"), Port: 25}, false},
		{&net.UnixAddr{Name: "/tmp/smtp", Net: "unix"}, false},
		{nil, false},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, isLoopback(tt.addr), "%v", tt.addr)
	}
}

func TestWriteHeader(t *testing.T) {
	t.Parallel()
	tests := []struct {
		key, value, want string
	}{
		{"Subject", "short", "Subject: short\r\n"},
		{"Subject", "=?utf-8?q?" + strings.Repeat("a", 63) + "?=", "Subject:\r\n =?utf-8?q?" + strings.Repeat("a", 63) + "?=\r\n"},
		{"To", strings.Repeat("b", 40) + " " + strings.Repeat("c", 40), "To: " + strings.Repeat("b", 40) + "\r\n " + strings.Repeat("c", 40) + "\r\n"},
		{"X", strings.Repeat("d", 100), "X: " + strings.Repeat("d", 100) + "\r\n"},
	}
	for _, tt := range tests {
		var b bytes.Buffer
		writeHeader(&b, tt.key, tt.value)
		assert.Equal(t, tt.want, b.String())
	}
}
