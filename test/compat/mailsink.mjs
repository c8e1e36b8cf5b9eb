// A capture SMTP server for the suite. authd mails its one-time codes, and the sink accepts every
// message on 127.0.0.1, parses it, and appends one JSON line per message to a log file:
//
//   {"to":["ann@example.com"],"from":"authd@example.com","subject":"…","type":"sign-in"|null,
//    "code":"123456"|null,"text":"…","receivedAt":"…"}
//
// `to` lists the envelope recipients, lower-cased. `type` is the X-OTP-Type header when the
// message has one. `code` is the first group of exactly six digits in the text part.
//
// The node test runner starts a process per test file, so the sink runs as its own process for
// the whole run (run.sh starts it with `node mailsink.mjs`), and the tests read its log file the
// way they read the oracle's OTP log. startMailSink is exported for the sink's own test.
import { appendFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { SMTPServer } from "smtp-server";
import { simpleParser } from "mailparser";

const CODE_PATTERN = /(?<![0-9])[0-9]{6}(?![0-9])/;

// Turns a parsed message into the logged record.
export function describeMail(envelopeRecipients, mail) {
  const text = mail.text ?? "";
  const found = CODE_PATTERN.exec(text);
  return {
    to: envelopeRecipients.map((address) => address.toLowerCase()),
    from: mail.from?.value?.[0]?.address ?? null,
    subject: mail.subject ?? "",
    type: mail.headers.get("x-otp-type") ?? null,
    code: found ? found[0] : null,
    text,
    receivedAt: new Date().toISOString(),
  };
}

// Starts the sink and resolves once it listens. Use port 0 for a free port and read the port
// from the result. The sink speaks plain SMTP only (authd runs with AUTHD_SMTP_TLS=none), and
// accepts any AUTH credentials so that a sender configured with a login still works.
export async function startMailSink({ port, host = "127.0.0.1", logFile }) {
  if (!logFile) throw new Error("startMailSink: logFile is missing; pass the file that receives the mails");

  const server = new SMTPServer({
    disabledCommands: ["STARTTLS"],
    authOptional: true,
    allowInsecureAuth: true,
    logger: false,
    onAuth(auth, session, callback) {
      callback(null, { user: auth.username ?? "compat" });
    },
    onData(stream, session, callback) {
      const recipients = session.envelope.rcptTo.map((recipient) => recipient.address);
      simpleParser(stream)
        .then((mail) => appendFile(logFile, JSON.stringify(describeMail(recipients, mail)) + "\n"))
        .then(() => callback(), (error) => callback(error));
    },
  });

  await new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      resolve();
    });
  });

  // smtp-server emits connection errors (a client that drops the line) as 'error' events, and
  // an unhandled one would end the process.
  server.on("error", (error) => console.error(`mail sink: ${error.message}`));

  return {
    port: server.server.address().port,
    close: () => new Promise((resolve) => server.close(resolve)),
  };
}

async function main() {
  const portText = process.env.COMPAT_SMTP_PORT ?? "";
  const port = Number(portText);
  if (!/^[0-9]+$/.test(portText) || port < 1 || port > 65535) {
    throw new Error(`COMPAT_SMTP_PORT must be a TCP port number (1-65535), got ${JSON.stringify(portText)}`);
  }
  const logFile = process.env.COMPAT_MAIL_LOG;
  if (!logFile) throw new Error("COMPAT_MAIL_LOG is missing; set it to the file that receives the mails");

  const sink = await startMailSink({ port, logFile });
  console.log(`mail sink: listening on 127.0.0.1:${sink.port}, writing to ${logFile}`);
  const stop = () => sink.close().then(() => process.exit(0));
  process.once("SIGTERM", stop);
  process.once("SIGINT", stop);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  main().catch((error) => {
    console.error(`mail sink: ${error.message}`);
    process.exit(1);
  });
}
