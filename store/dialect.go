package store

import (
	"strconv"
	"strings"
	"sync"
)

// dialect holds what differs between the SQL of SQLite and PostgreSQL.
type dialect struct {
	name       string
	dollarArgs bool     // PostgreSQL numbers its placeholders: $1, $2, ...
	cache      sync.Map // query with "?" → rebound query
	// skipLocked ends a claim's row selection (PostgreSQL: skip rows
	// other instances are claiming).
	skipLocked string
	// isUniqueViolation reports whether err is a unique-constraint violation.
	isUniqueViolation func(err error) bool
	// jsonDoc turns an expression holding a JSON document as TEXT into one
	// the operators -> and ->> take (PostgreSQL wants jsonb; SQLite reads
	// the text as it is).
	jsonDoc func(expr string) string
}

var sqliteDialect = &dialect{
	name: EngineSQLite,
	isUniqueViolation: func(err error) bool {
		return err != nil && strings.Contains(err.Error(), "UNIQUE constraint failed")
	},
	jsonDoc: func(expr string) string { return expr },
}

var postgresDialect = &dialect{
	name:       EnginePostgres,
	dollarArgs: true,
	skipLocked: " FOR UPDATE SKIP LOCKED",
	isUniqueViolation: func(err error) bool {
		return err != nil && strings.Contains(err.Error(), "SQLSTATE 23505")
	},
	jsonDoc: func(expr string) string { return "CAST(" + expr + " AS jsonb)" },
}

// rebind turns "?" placeholders into "$N" for PostgreSQL. Queries in this
// package contain no "?" inside string literals.
func (d *dialect) rebind(query string) string {
	if !d.dollarArgs {
		return query
	}
	if q, ok := d.cache.Load(query); ok {
		return q.(string)
	}
	var b strings.Builder
	n := 0
	for i := 0; i < len(query); i++ {
		if query[i] == '?' {
			n++
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(n))
			continue
		}
		b.WriteByte(query[i])
	}
	d.cache.Store(query, b.String())
	return b.String()
}
