// Package migrations embeds authd's SQL migrations so the binary can apply
// them without files on disk.
//
// The core tables keep Better Auth's names, columns and types, and every
// statement is written to succeed on a database that Better Auth 1.7 already
// created (IF NOT EXISTS throughout), so authd can take over such a database.
// authd's own tables carry the authd_ prefix.
package migrations

import "embed"

// FS contains the numbered *.up.sql and *.down.sql files.
//
//go:embed *.sql
var FS embed.FS
