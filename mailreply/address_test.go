package mailreply_test

import (
	"strings"
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/parleychat/parley/mailreply"
)

// TestEveryChangeRefused: changing any one character of a reply address's
// token, to any other of its alphabet, makes a forged address.
func TestEveryChangeRefused(t *testing.T) {
	a, err := mailreply.NewAddresses(mailreply.AddressConfig{Secret: secret, Domain: "reply.shop.example"})
	require.NoError(t, err)
	id := uuid.New()
	address := a.Address(id)
	local, domain, _ := strings.Cut(address, "@")
	tok := strings.TrimPrefix(local, "reply+")
	require.Len(t, tok, 42)
	for i := range tok {
		for _, c := range "abcdefghijklmnopqrstuvwxyz234567" {
			if byte(c) == tok[i] {
				continue
			}
			changed := "reply+" + tok[:i] + string(c) + tok[i+1:] + "@" + domain
			_, err := a.Conversation(changed)
			assert.ErrorIs(t, err, mailreply.ErrForgedAddress, changed)
		}
	}
	got, err := a.Conversation(address)
	require.NoError(t, err)
	assert.Equal(t, id, got)
	for _, bad := range []string{"", "reply", "reply+@reply.shop.example", "reply+" + tok + "x@reply.shop.example", "reply+" + tok[:41] + "@reply.shop.example"} {
		_, err := a.Conversation(bad)
		assert.Error(t, err, bad)
	}
	_, err = mailreply.NewAddresses(mailreply.AddressConfig{Secret: []byte("short"), Domain: "reply.shop.example"})
	assert.ErrorContains(t, err, "Secret")
	_, err = mailreply.NewAddresses(mailreply.AddressConfig{Secret: secret, Domain: "not a domain"})
	assert.ErrorContains(t, err, "Domain")
}
