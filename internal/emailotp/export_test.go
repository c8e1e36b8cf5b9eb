package emailotp

import (
	"time"

	"github.com/authd/authd/internal/mail"
)

// SetOutboxOptions changes the options of every outbox built afterwards.
func SetOutboxOptions(fn func(*mail.OutboxOptions)) { outboxOptions = fn }

// SetComparedHook observes each code comparison, with the identifier.
func SetComparedHook(fn func(ident string)) { testHookCompared = fn }

// Identifier is the verification row key of a code.
func Identifier(kind, email string) string { return identifier(kind, email) }

// SetSweepInterval changes how often plugins started afterwards sweep.
func SetSweepInterval(d time.Duration) { sweepInterval = d }
