// Package docs_test checks the documentation against the code: a field
// added to a Config without its row in configuration.md fails the build's
// tests.
package docs_test

import (
	"os"
	"reflect"
	"strings"
	"testing"

	"github.com/parleychat/parley/broker/natsbroker"
	"github.com/parleychat/parley/broker/pgnotify"
	"github.com/parleychat/parley/broker/redisbroker"
	"github.com/parleychat/parley/chat"
	"github.com/parleychat/parley/mailreply"
	"github.com/parleychat/parley/store/sqlstore"
	"github.com/parleychat/parley/transport"
	"github.com/parleychat/parley/webhook"
)

// TestConfigurationListsEveryField: configuration.md promises every option
// with its default, so each exported field of every Config has a row
// naming it.
func TestConfigurationListsEveryField(t *testing.T) {
	doc, err := os.ReadFile("configuration.md")
	if err != nil {
		t.Fatal(err)
	}
	var names strings.Builder // the first cells of the tables' rows
	for line := range strings.Lines(string(doc)) {
		if cells := strings.Split(line, "|"); len(cells) > 2 && cells[0] == "" {
			names.WriteString(cells[1])
		}
	}
	for _, cfg := range []any{chat.Config{}, transport.Config{}, sqlstore.Config{},
		redisbroker.Config{}, natsbroker.Config{}, pgnotify.Config{}, webhook.Config{},
		mailreply.AddressConfig{}, mailreply.Config{}} {
		typ := reflect.TypeOf(cfg)
		for f := range typ.Fields() {
			if f.IsExported() && !strings.Contains(names.String(), "`"+f.Name+"`") {
				t.Errorf("configuration.md has no row for %s.%s", typ, f.Name)
			}
		}
	}
}
