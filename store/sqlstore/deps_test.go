package sqlstore_test

import (
	"os/exec"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestEachPackageCompilesOneDriver asks the go tool what each store
// package compiles: sqlstore no database driver, and each database's
// package its own driver and no other, so a shop on PostgreSQL does not
// compile SQLite.
func TestEachPackageCompilesOneDriver(t *testing.T) {
	gotool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("the go tool is not on PATH")
	}
	drivers := map[string]string{ // package of the driver, by the store package that brings it
		"sqlite":   "modernc.org/sqlite",
		"postgres": "github.com/jackc/pgx/v5",
		"mysql":    "github.com/go-sql-driver/mysql",
	}
	for _, pkg := range []string{"sqlstore", "sqlite", "postgres", "mysql"} {
		t.Run(pkg, func(t *testing.T) {
			t.Parallel()
			out, err := exec.CommandContext(t.Context(), gotool, "list", "-deps", "github.com/parleychat/parley/store/"+pkg).Output()
			require.NoError(t, err, "go list -deps")
			deps := strings.Fields(string(out))
			require.Contains(t, deps, "github.com/parleychat/parley/store/sqlstore")
			for owner, driver := range drivers {
				compiles := slices.ContainsFunc(deps, func(dep string) bool { return dep == driver || strings.HasPrefix(dep, driver+"/") })
				assert.Equal(t, owner == pkg, compiles, "store/%s compiles %s: %t", pkg, driver, compiles)
			}
		})
	}
}
