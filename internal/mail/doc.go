// Package mail renders and delivers authd's one-time-code mails.
//
// A mail goes through three steps. Templates.Render turns a mail type ("sign-in",
// "email-verification", "forget-password" or "change-email") and a Data value into a Message.
// Outbox.Enqueue stores the message, encrypted, as a river job in the caller's transaction.
// The outbox's workers then send it with a Sender: SMTPSender in production, or LogSender,
// which only logs, in development.
//
// Wiring at start-up, where pool is authd's *pgxpool.Pool and secret the server secret:
//
//	if err := mail.MigrateOutbox(ctx, pool); err != nil { ... } // in authd's migrate step
//
//	cfg, configured, err := mail.LoadSMTPConfig(os.Getenv)
//	if err != nil { ... }
//	var sender mail.Sender = mail.NewLogSender(logger)
//	if configured {
//		if sender, err = mail.NewSMTPSender(cfg, logger); err != nil { ... }
//	}
//	templates, err := mail.LoadTemplates(os.Getenv(mail.EnvTemplatesDir))
//	if err != nil { ... }
//	outbox, err := mail.NewOutbox(pool, sender, mail.OutboxOptions{Secret: secret, Logger: logger})
//	if err != nil { ... }
//	registry.MustRegister(outbox.Collectors()...)
//	if err := outbox.Start(ctx); err != nil { ... }
//	defer outbox.Stop(shutdownCtx)
//
// For each code, inside the transaction that stores it:
//
//	m, err := templates.Render(mail.TypeSignIn, mail.Data{Email: email, OTP: code, ExpiresInMinutes: 5, AppName: "Acme"})
//	if err != nil { ... }
//	if err := outbox.Enqueue(ctx, tx, m); err != nil { ... }
//
// Enqueue only inserts a row, so the HTTP response never waits for the mail server, and an
// SMTP failure never reaches the caller.
//
// # Delivery
//
// A mail is sent only if the transaction that queued it commits. A mail is tried up to
// DefaultMaxAttempts (25) times with DefaultBackoff between tries (1 s, doubling up to 2 h),
// about 24 hours in all. After that the job stays in river_job for a week with state
// "discarded" and the error of each attempt.
//
// Delivery is at least once. A mail goes out twice only if a replica crashes or loses its
// database in the moment, usually a few milliseconds, between the mail server accepting the
// mail and the outbox recording that; the repeat carries the same Message-ID. A code mailed
// hours late has expired, so a long outage shows as failed sign-ins: watch
// authd_mail_send_failures_total.
//
// # Privacy
//
// The river job holds the message sealed with AES-256-GCM under a key derived from the server
// secret, so neither the code nor the recipient is readable in the database; the error that
// river stores for a failed attempt has the recipient replaced by "[recipient]". Logs name the
// recipient of a failed or sent mail but never carry the subject or body, except LogSender's,
// which exists to show the code in development.
package mail
