// The one module that depends on which server is under test. Tests call both servers the same
// way over Better Auth's public routes. Only what an application backend does in-process differs
// (create and verify API keys, make the first admin, read the one-time codes that a user would
// get by mail), and that lives here.
//
// Environment:
//   COMPAT_TARGET         "oracle" (the real Better Auth server) or "authd"
//   COMPAT_BASE_URL       the server's origin, for example http://127.0.0.1:3100
//   COMPAT_ORIGIN         the trusted origin that browser-like requests send (default: the
//                         origin of COMPAT_BASE_URL)
//   COMPAT_SERVICE_KEY    authd only: service key for the server-only routes
//   COMPAT_ADMIN_EMAIL, COMPAT_ADMIN_PASSWORD
//                         authd only: an admin account that the runner created
//   COMPAT_MAIL_LOG       authd only: the log file of the mail sink (see mailsink.mjs)
import { readFile } from "node:fs/promises";
import { request, requestOK } from "./http.mjs";

function readTarget() {
  const value = process.env.COMPAT_TARGET;
  if (value !== "oracle" && value !== "authd") {
    throw new Error(`COMPAT_TARGET must be "oracle" or "authd", got ${JSON.stringify(value)}. Run the suite through run.sh.`);
  }
  return value;
}

function readBaseURL() {
  const value = process.env.COMPAT_BASE_URL;
  let url;
  try {
    url = new URL(value);
  } catch {
    throw new Error(`COMPAT_BASE_URL must be an http URL such as http://127.0.0.1:3100, got ${JSON.stringify(value)}`);
  }
  // A trailing slash is dropped because AUTH_URL appends the fixed base path.
  return url.href.replace(/\/+$/, "");
}

function requireEnv(name, purpose) {
  const value = process.env[name];
  if (!value) {
    throw new Error(`${name} is missing, but it is needed to ${purpose} on authd. run.sh sets it once authd is up, so see its output.`);
  }
  return value;
}

export const TARGET = readTarget();
export const BASE_URL = readBaseURL();
export const BASE_PATH = "/api/auth";
export const AUTH_URL = BASE_URL + BASE_PATH;
export const origin = process.env.COMPAT_ORIGIN || new URL(BASE_URL).origin;

// The full URL of a route under the base path, e.g. route("/sign-in/email").
export function route(path) {
  return AUTH_URL + path;
}

function serviceHeaders() {
  return { authorization: `Bearer ${requireEnv("COMPAT_SERVICE_KEY", "call server-only routes")}` };
}

// Creates an API key the way an application backend does, so `userId` is required and the
// server-only fields (remaining, refill*, rateLimit*, permissions) are allowed. Returns the
// result of request(). On success its `body` is the new key, including the plain `key`.
export function createApiKeyAsServer(body) {
  if (TARGET === "oracle") {
    return request(`${BASE_URL}/__oracle/api-key/create`, { method: "POST", json: body });
  }
  return request(route("/api-key/create"), { method: "POST", headers: serviceHeaders(), json: body });
}

// Verifies an API key as a backend does. The server returns 200 with {valid, error, key} for
// {key, permissions?, configId?}, also for an invalid key. A verify counts as a use of the key.
export function verifyApiKeyAsServer(body) {
  if (TARGET === "oracle") {
    return request(`${BASE_URL}/__oracle/api-key/verify`, { method: "POST", json: body });
  }
  return request(route("/api-key/verify"), { method: "POST", headers: serviceHeaders(), json: body });
}

let adminToken;

// The oracle has an out-of-band route that sets a role without a session. authd has no
// anonymous way to do that, so there the admin account that run.sh prepared signs in (once
// per test process) and calls the Admin plugin's set-role like any admin client.
export async function makeAdmin(userId) {
  if (TARGET === "oracle") {
    const response = await requestOK(`${BASE_URL}/__oracle/admin/set-role`, {
      method: "POST",
      json: { userId, role: "admin" },
    });
    return response.body.user;
  }

  if (!adminToken) {
    const signIn = await requestOK(route("/sign-in/email"), {
      method: "POST",
      json: {
        email: requireEnv("COMPAT_ADMIN_EMAIL", "make a user an admin"),
        password: requireEnv("COMPAT_ADMIN_PASSWORD", "make a user an admin"),
      },
    });
    adminToken = signIn.body.token;
  }
  const response = await requestOK(route("/admin/set-role"), {
    method: "POST",
    headers: { authorization: `Bearer ${adminToken}` },
    json: { userId, role: "admin" },
  });
  return response.body.user;
}

let oracleOtpLog;

async function otpRecords() {
  if (TARGET === "oracle") {
    if (!oracleOtpLog) {
      const health = await requestOK(`${BASE_URL}/__oracle/health`);
      oracleOtpLog = health.body.otpLog;
    }
    // The oracle writes {"email","otp","type"} per code.
    return (await readLines(oracleOtpLog)).map((record) => ({
      to: [record.email],
      type: record.type,
      code: record.otp,
    }));
  }
  return readLines(requireEnv("COMPAT_MAIL_LOG", "read one-time codes from the mail sink"));
}

async function readLines(file) {
  let text;
  try {
    text = await readFile(file, "utf8");
  } catch (error) {
    if (error.code === "ENOENT") return [];
    throw error;
  }
  return text
    .split("\n")
    .filter((line) => line.trim() !== "")
    .map((line) => JSON.parse(line));
}

// Returns the newest one-time code sent to `email` for `type` ("sign-in",
// "email-verification", "forget-password", "change-email"). Codes may be sent after the HTTP
// response, so it waits up to timeoutMs for the count-th such code to arrive. Pass the number of
// codes that the test has requested so far, so that an older code is not taken for a new one.
// On authd a mail without an X-OTP-Type header matches any type.
export async function readOtp(email, type, { count = 1, timeoutMs = 5000 } = {}) {
  const address = email.toLowerCase();
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const matching = (await otpRecords()).filter(
      (record) => record.to.includes(address) && (record.type === null || record.type === type),
    );
    if (matching.length >= count) {
      const code = matching.at(-1).code;
      if (!code) throw new Error(`the newest ${type} mail to ${address} contains no 6-digit code`);
      return code;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${type} code number ${count} for ${address} (found ${matching.length})`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
