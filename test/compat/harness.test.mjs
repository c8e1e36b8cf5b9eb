// Checks of the suite's own server-side helpers (target.mjs) and of the mail sink, so that a
// failure in a later suite points at the server and not at the harness.
import assert from "node:assert/strict";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import net from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, test } from "node:test";
import { signUpWithCookies, uniqueEmail } from "./clients.mjs";
import { request } from "./http.mjs";
import { startMailSink } from "./mailsink.mjs";
import { createApiKeyAsServer, makeAdmin, readOtp, route, verifyApiKeyAsServer } from "./target.mjs";

describe("target", () => {
  test("createApiKeyAsServer and verifyApiKeyAsServer", async () => {
    const { user } = await signUpWithCookies("apikey");

    const created = await createApiKeyAsServer({ userId: user.id, name: "compat", remaining: 5 });

    assert.equal(created.status, 200, `create response: ${created.text}`);
    assert.equal(typeof created.body.key, "string");
    assert.equal(created.body.remaining, 5);

    const verified = await verifyApiKeyAsServer({ key: created.body.key });
    assert.equal(verified.status, 200, `verify response: ${verified.text}`);
    assert.equal(verified.body.valid, true);
    assert.equal(verified.body.error, null);
    assert.equal(verified.body.key.id, created.body.id);
    assert.equal(verified.body.key.remaining, 4);
  });

  test("makeAdmin", async () => {
    const { user, token } = await signUpWithCookies("admin");
    const headers = { authorization: `Bearer ${token}` };
    const before = await request(route("/admin/list-users?limit=1"), { headers });
    assert.equal(before.status, 403, `list-users before makeAdmin response: ${before.text}`);

    const updated = await makeAdmin(user.id);

    assert.equal(updated.role, "admin");
    const after = await request(route("/admin/list-users?limit=1"), { headers });
    assert.equal(after.status, 200, `list-users after makeAdmin response: ${after.text}`);
  });

  test("readOtp", async () => {
    const email = uniqueEmail("otp");
    const send = await request(route("/email-otp/send-verification-otp"), {
      method: "POST",
      json: { email, type: "sign-in" },
    });
    assert.equal(send.status, 200, `send-verification-otp response: ${send.text}`);

    const otp = await readOtp(email, "sign-in");

    assert.match(otp, /^[0-9]{6}$/);
    const signIn = await request(route("/sign-in/email-otp"), { method: "POST", json: { email, otp } });
    assert.equal(signIn.status, 200, `sign-in/email-otp response: ${signIn.text}`);
    assert.equal(signIn.body.user.email, email);
  });
});

// Talks SMTP to the sink line by line and resolves with every reply received.
async function sendMail(port, lines) {
  const socket = net.connect(port, "127.0.0.1");
  socket.setEncoding("utf8");
  let buffer = "";
  const waiters = [];
  socket.on("data", (data) => {
    buffer += data;
    // A reply is complete at a line whose status code is followed by a space.
    for (;;) {
      const match = /^(?:[0-9]{3}-.*\r\n)*[0-9]{3} .*\r\n/.exec(buffer);
      if (!match) break;
      buffer = buffer.slice(match[0].length);
      waiters.shift()?.(match[0]);
    }
  });
  const reply = () => new Promise((resolve) => waiters.push(resolve));

  const replies = [await reply()];
  for (const line of lines) {
    const next = reply();
    socket.write(line + "\r\n");
    replies.push(await next);
  }
  socket.end();
  return replies;
}

describe("mail sink", () => {
  test("logs recipient, type and code", async () => {
    const folder = await mkdtemp(path.join(tmpdir(), "compat-mailsink-"));
    const logFile = path.join(folder, "mail.log");
    const sink = await startMailSink({ port: 0, logFile });
    try {
      const replies = await sendMail(sink.port, [
        "EHLO compat.test",
        "MAIL FROM:<authd@example.com>",
        "RCPT TO:<Ann@Example.com>",
        "DATA",
        [
          "From: authd <authd@example.com>",
          "To: Ann@Example.com",
          "Subject: Your sign-in code is 012345",
          "X-OTP-Type: sign-in",
          "Content-Type: text/plain; charset=utf-8",
          "",
          "Your code:",
          "012345",
          "It expires in 5 minutes.",
          ".",
        ].join("\r\n"),
        "QUIT",
      ]);
      assert.deepEqual(
        replies.map((text) => text.slice(0, 3)),
        ["220", "250", "250", "250", "354", "250", "221"],
      );

      const records = (await readFile(logFile, "utf8")).trim().split("\n").map((line) => JSON.parse(line));
      assert.equal(records.length, 1);
      assert.deepEqual(records[0].to, ["ann@example.com"]);
      assert.equal(records[0].from, "authd@example.com");
      assert.equal(records[0].type, "sign-in");
      assert.equal(records[0].code, "012345");
    } finally {
      await sink.close();
      await rm(folder, { recursive: true, force: true });
    }
  });
});
