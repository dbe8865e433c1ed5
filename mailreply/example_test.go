package mailreply_test

import (
	"errors"
	"fmt"
	"strings"

	"github.com/google/uuid"

	"github.com/parleychat/parley/mailreply"
)

// Each conversation has a reply address of its own; only the shop's
// secret makes them, and a changed one is refused.
func ExampleAddresses() {
	addresses, err := mailreply.NewAddresses(mailreply.AddressConfig{
		Secret: []byte("32 random bytes, kept like a pwd"),
		Domain: "reply.shop.example",
	})
	if err != nil {
		panic(err)
	}
	conversation := uuid.MustParse("01935f0e-5d20-7c3a-8e51-b2a4f6c8d901")
	address := addresses.Address(conversation)
	fmt.Println(strings.HasPrefix(address, "reply+"), len(address))

	id, err := addresses.Conversation(strings.ToUpper(address)) // mail systems may change the case
	fmt.Println(id == conversation, err)

	forged := strings.Replace(address, "reply+a", "reply+b", 1)
	if forged == address {
		forged = strings.Replace(address, "reply+", "reply+a", 1)
	}
	_, err = addresses.Conversation(forged)
	fmt.Println(errors.Is(err, mailreply.ErrForgedAddress))

	_, err = addresses.Conversation("orders@reply.shop.example")
	fmt.Println(errors.Is(err, mailreply.ErrNoReplyAddress))
	// Output:
	// true 67
	// true <nil>
	// true
	// true
}
