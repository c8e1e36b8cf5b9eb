// Email and password accounts and sessions, driven by Better Auth's JS client (with cookies and
// with bearer tokens), plus plain HTTP checks of the exact statuses and error bodies that clients
// branch on. Every test makes its own users, so the tests are independent of each other and of
// earlier runs on the same database.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  PASSWORD,
  createBearerClient,
  createCookieClient,
  signInWithCookies,
  signUpWithCookies,
  uniqueEmail,
} from "./clients.mjs";
import { request } from "./http.mjs";
import { AUTH_URL, origin, route } from "./target.mjs";

const SESSION_COOKIE = "better-auth.session_token";
const CLEARED_COOKIES = ["better-auth.session_token", "better-auth.session_data", "better-auth.dont_remember"];
const UNTRUSTED_ORIGIN = "https://evil.example";

function assertError(response, status, body) {
  assert.equal(response.status, status, `status (body: ${response.text})`);
  assert.deepEqual(response.body, body);
}

// The session that a raw Cookie header or bearer token resolves to, or null.
async function sessionFor(headers) {
  const response = await request(route("/get-session"), { headers });
  assert.equal(response.status, 200, `get-session status (body: ${response.text})`);
  return response.body;
}

function bearer(token) {
  return { authorization: `Bearer ${token}` };
}

function clearedCookieNames(response) {
  return response.setCookies
    .filter((line) => /;\s*Max-Age=0(;|$)/i.test(line))
    .map((line) => line.slice(0, line.indexOf("=")));
}

describe("sign-up", () => {
  test("creates user and cookie session", async () => {
    const email = uniqueEmail("signup").replace("compat", "Compat");
    const { client, jar } = createCookieClient();

    const { data, error } = await client.signUp.email({ name: "Ann", email, password: PASSWORD });

    assert.equal(error, null);
    assert.match(data.token, /^[A-Za-z0-9]{32}$/);
    assert.equal(data.user.email, email.toLowerCase());
    assert.equal(data.user.name, "Ann");
    assert.equal(data.user.emailVerified, false);
    assert.equal(data.user.image, null);
    assert.ok(jar.has(SESSION_COOKIE), "sign-up sets the session cookie");

    const session = await client.getSession();
    assert.equal(session.error, null);
    assert.equal(session.data.session.token, data.token);
    assert.equal(session.data.user.id, data.user.id);
  });

  test("duplicate email", async () => {
    const { email } = await signUpWithCookies("dup");
    const response = await request(route("/sign-up/email"), {
      method: "POST",
      json: { name: "Again", email: email.toUpperCase(), password: PASSWORD },
    });
    assertError(response, 422, {
      message: "User already exists. Use another email.",
      code: "USER_ALREADY_EXISTS_USE_ANOTHER_EMAIL",
    });
    assert.deepEqual(response.setCookies, []);
  });

  test("short password", async () => {
    const response = await request(route("/sign-up/email"), {
      method: "POST",
      json: { name: "Short", email: uniqueEmail("short"), password: "short" },
    });
    assertError(response, 400, { message: "Password too short", code: "PASSWORD_TOO_SHORT" });
  });

  test("invalid email", async () => {
    const response = await request(route("/sign-up/email"), {
      method: "POST",
      json: { name: "Bad", email: "bad", password: PASSWORD },
    });
    assertError(response, 400, { message: "[body.email] Invalid email address", code: "VALIDATION_ERROR" });
  });

  test("no body", async () => {
    const response = await request(route("/sign-up/email"), { method: "POST" });
    assertError(response, 400, {
      message:
        "[body] Invalid input: expected object, received undefined; [body] Invalid input: expected record, received undefined",
      code: "VALIDATION_ERROR",
    });
  });

  test("malformed JSON", async () => {
    const response = await request(route("/sign-up/email"), {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: "{bad",
    });
    assertError(response, 400, { message: "Invalid JSON in request body", code: "BAD_REQUEST" });
  });

  test("unsupported content type", async () => {
    const response = await request(route("/sign-up/email"), {
      method: "POST",
      headers: { "content-type": "text/plain" },
      body: "hello",
    });
    assertError(response, 415, {
      message:
        'Content-Type "text/plain" is not allowed. Allowed types: application/x-www-form-urlencoded, application/json',
      code: "UNSUPPORTED_MEDIA_TYPE",
    });
  });
});

describe("sign-in", () => {
  test("cookie client", async () => {
    const { email, user } = await signUpWithCookies("signin");
    const { client, jar } = createCookieClient();

    const { data, error } = await client.signIn.email({ email: email.toUpperCase(), password: PASSWORD });

    assert.equal(error, null);
    assert.equal(data.redirect, false);
    assert.equal("url" in data, false, "no url without a callbackURL");
    assert.match(data.token, /^[A-Za-z0-9]{32}$/);
    assert.equal(data.user.id, user.id);
    assert.ok(jar.has(SESSION_COOKIE));

    const session = await client.getSession();
    assert.equal(session.data.session.token, data.token);
  });

  test("bearer client", async () => {
    const { email, user } = await signUpWithCookies("bearer");
    const bearerClient = createBearerClient();

    const { data, error } = await bearerClient.client.signIn.email({ email, password: PASSWORD });

    assert.equal(error, null);
    // set-auth-token carries the signed form "<token>.<signature>" of the body's token.
    assert.ok(bearerClient.token?.startsWith(`${data.token}.`), "set-auth-token holds the signed token");
    const session = await bearerClient.client.getSession();
    assert.equal(session.error, null);
    assert.equal(session.data.user.id, user.id);
    assert.equal(session.data.session.token, data.token);
  });

  test("wrong password", async () => {
    const { email } = await signUpWithCookies("wrongpw");
    const response = await request(route("/sign-in/email"), {
      method: "POST",
      json: { email, password: "not-the-password" },
    });
    assertError(response, 401, { message: "Invalid email or password", code: "INVALID_EMAIL_OR_PASSWORD" });
    assert.deepEqual(response.setCookies, []);
  });

  test("invalid email", async () => {
    const response = await request(route("/sign-in/email"), {
      method: "POST",
      json: { email: "nope", password: PASSWORD },
    });
    assertError(response, 400, { message: "Invalid email", code: "INVALID_EMAIL" });
  });

  test("untrusted callbackURL", async () => {
    const { email } = await signUpWithCookies("callback");
    const response = await request(route("/sign-in/email"), {
      method: "POST",
      json: { email, password: PASSWORD, callbackURL: `${UNTRUSTED_ORIGIN}/x` },
    });
    assertError(response, 403, { message: "Invalid callbackURL", code: "INVALID_CALLBACK_URL" });
  });

  // Browsers and Node's fetch send Fetch Metadata headers. With them, sign-in needs an Origin
  // even though no cookie is sent.
  test("fetch metadata without origin", async () => {
    const { email } = await signUpWithCookies("metadata");
    const response = await request(route("/sign-in/email"), {
      method: "POST",
      headers: { "sec-fetch-mode": "cors", "sec-fetch-site": "same-origin" },
      json: { email, password: PASSWORD },
    });
    assertError(response, 403, { message: "Missing or null Origin", code: "MISSING_OR_NULL_ORIGIN" });
  });

  test("untrusted origin", async () => {
    const { email } = await signUpWithCookies("origin");
    const response = await request(route("/sign-in/email"), {
      method: "POST",
      headers: { origin: UNTRUSTED_ORIGIN },
      json: { email, password: PASSWORD },
    });
    assertError(response, 403, { message: "Invalid origin", code: "INVALID_ORIGIN" });
  });
});

describe("get-session", () => {
  test("bare and signed bearer token", async () => {
    const { user } = await signUpWithCookies("getsession");
    const bearerClient = createBearerClient();
    const { data } = await bearerClient.client.signIn.email({ email: user.email, password: PASSWORD });

    assert.equal((await sessionFor(bearer(data.token)))?.user.id, user.id);
    assert.equal((await sessionFor(bearer(bearerClient.token)))?.user.id, user.id);
  });

  test("no credentials", async () => {
    const response = await request(route("/get-session"));
    assert.equal(response.status, 200);
    assert.equal(response.text, "null");
    assert.equal(response.headers.get("cache-control"), "no-store");
    assert.deepEqual(response.setCookies, []);
  });

  test("unknown bearer token", async () => {
    const response = await request(route("/get-session"), { headers: bearer("zzz") });
    assert.equal(response.status, 200);
    assert.equal(response.text, "null");
    assert.deepEqual(clearedCookieNames(response).sort(), [...CLEARED_COOKIES].sort());
  });
});

describe("sessions", () => {
  test("list-sessions", async () => {
    const first = await signUpWithCookies("list");
    const second = await signInWithCookies(first.email);

    const { data, error } = await first.client.listSessions();

    assert.equal(error, null);
    assert.ok(Array.isArray(data));
    const tokens = data.map((session) => session.token).sort();
    assert.deepEqual(tokens, [first.token, second.token].sort());
    for (const session of data) assert.equal(session.userId, first.user.id);
  });

  test("list-sessions without credentials", async () => {
    const response = await request(route("/list-sessions"));
    assertError(response, 401, { message: "Unauthorized", code: "UNAUTHORIZED" });
  });

  test("revoke-session", async () => {
    const first = await signUpWithCookies("revoke");
    const second = await signInWithCookies(first.email);

    const { data, error } = await first.client.revokeSession({ token: second.token });

    assert.equal(error, null);
    assert.deepEqual(data, { status: true });
    assert.equal((await second.client.getSession()).data, null);
    assert.equal((await first.client.getSession()).data?.session.token, first.token);
  });

  test("revoke-session of another user", async () => {
    const owner = await signUpWithCookies("owner");
    const stranger = await signUpWithCookies("stranger");

    const { data } = await stranger.client.revokeSession({ token: owner.token });

    assert.deepEqual(data, { status: true });
    assert.equal((await owner.client.getSession()).data?.session.token, owner.token);
  });

  test("revoke-session without body", async () => {
    const { token } = await signUpWithCookies("revokebody");
    const response = await request(route("/revoke-session"), { method: "POST", headers: bearer(token) });
    assertError(response, 400, {
      message: "[body] Invalid input: expected object, received undefined",
      code: "VALIDATION_ERROR",
    });
  });

  test("revoke-other-sessions", async () => {
    const first = await signUpWithCookies("others");
    const second = await signInWithCookies(first.email);
    const third = await signInWithCookies(first.email);

    const { data, error } = await first.client.revokeOtherSessions();

    assert.equal(error, null);
    assert.deepEqual(data, { status: true });
    assert.equal((await second.client.getSession()).data, null);
    assert.equal((await third.client.getSession()).data, null);
    assert.equal((await first.client.getSession()).data?.session.token, first.token);
  });

  test("revoke-sessions", async () => {
    const first = await signUpWithCookies("all");
    const second = await signInWithCookies(first.email);
    const cookie = first.jar.header();

    const { data, error } = await first.client.revokeSessions();

    assert.equal(error, null);
    assert.deepEqual(data, { status: true });
    assert.equal(await sessionFor({ cookie }), null);
    assert.equal((await second.client.getSession()).data, null);
  });
});

describe("update-user", () => {
  test("cookie client", async () => {
    const { client } = await signUpWithCookies("update");

    const { data, error } = await client.updateUser({ name: "Renamed", image: "https://img.example/a.png" });

    assert.equal(error, null);
    assert.deepEqual(data, { status: true });
    const session = await client.getSession();
    assert.equal(session.data.user.name, "Renamed");
    assert.equal(session.data.user.image, "https://img.example/a.png");
  });

  test("bearer client", async () => {
    const { email } = await signUpWithCookies("updatebearer");
    const bearerClient = createBearerClient();
    await bearerClient.client.signIn.email({ email, password: PASSWORD });

    const { data, error } = await bearerClient.client.updateUser({ name: "Bearer Name" });

    assert.equal(error, null);
    assert.deepEqual(data, { status: true });
    assert.equal((await bearerClient.client.getSession()).data.user.name, "Bearer Name");
  });

  test("cookie without origin", async () => {
    const { jar } = await signUpWithCookies("noorigin");
    const response = await request(route("/update-user"), {
      method: "POST",
      headers: { cookie: jar.header() },
      json: { name: "Nope" },
    });
    assertError(response, 403, { message: "Missing or null Origin", code: "MISSING_OR_NULL_ORIGIN" });
  });

  test("cookie with untrusted origin", async () => {
    const { jar } = await signUpWithCookies("badorigin");
    const response = await request(route("/update-user"), {
      method: "POST",
      headers: { cookie: jar.header(), origin: UNTRUSTED_ORIGIN },
      json: { name: "Nope" },
    });
    assertError(response, 403, { message: "Invalid origin", code: "INVALID_ORIGIN" });
  });

  test("email", async () => {
    const { jar } = await signUpWithCookies("updateemail");
    const response = await request(route("/update-user"), {
      method: "POST",
      headers: { cookie: jar.header(), origin },
      json: { email: uniqueEmail("other") },
    });
    assertError(response, 400, { message: "Email can not be updated", code: "EMAIL_CAN_NOT_BE_UPDATED" });
  });

  test("no known field", async () => {
    const { jar } = await signUpWithCookies("nofield");
    const response = await request(route("/update-user"), {
      method: "POST",
      headers: { cookie: jar.header(), origin },
      json: { foo: 1 },
    });
    // Better Auth sends this one error without a code.
    assertError(response, 400, { message: "No fields to update" });
  });
});

describe("change-password", () => {
  test("keeps sessions", async () => {
    const first = await signUpWithCookies("changepw");
    const second = await signInWithCookies(first.email);
    const newPassword = "a-brand-new-password-2";

    const { data, error } = await first.client.changePassword({ currentPassword: PASSWORD, newPassword });

    assert.equal(error, null);
    assert.equal(data.token, null);
    assert.equal(data.user.id, first.user.id);
    assert.equal((await first.client.getSession()).data?.session.token, first.token);
    assert.equal((await second.client.getSession()).data?.session.token, second.token);

    const old = await request(route("/sign-in/email"), {
      method: "POST",
      json: { email: first.email, password: PASSWORD },
    });
    assert.equal(old.status, 401);
    await signInWithCookies(first.email, newPassword);
  });

  test("revokeOtherSessions", async () => {
    const first = await signUpWithCookies("changepwrevoke");
    const second = await signInWithCookies(first.email);
    const newPassword = "a-brand-new-password-3";

    const { data, error } = await first.client.changePassword({
      currentPassword: PASSWORD,
      newPassword,
      revokeOtherSessions: true,
    });

    assert.equal(error, null);
    assert.match(data.token, /^[A-Za-z0-9]{32}$/);
    assert.notEqual(data.token, first.token);
    // The caller's own session is replaced too: the old token is gone, the new cookie works.
    assert.equal(await sessionFor(bearer(first.token)), null);
    assert.equal((await first.client.getSession()).data?.session.token, data.token);
    assert.equal((await second.client.getSession()).data, null);
    await signInWithCookies(first.email, newPassword);
  });

  test("wrong current password", async () => {
    const { token } = await signUpWithCookies("changepwwrong");
    const response = await request(route("/change-password"), {
      method: "POST",
      headers: bearer(token),
      json: { currentPassword: "not-the-password", newPassword: "another-password-4" },
    });
    assertError(response, 400, { message: "Invalid password", code: "INVALID_PASSWORD" });
  });
});

describe("sign-out", () => {
  test("cookie client", async () => {
    const { client, jar } = await signUpWithCookies("signout");
    const cookie = jar.header();

    const { data, error } = await client.signOut();

    assert.equal(error, null);
    assert.deepEqual(data, { success: true });
    assert.equal(jar.has(SESSION_COOKIE), false, "sign-out clears the session cookie");
    assert.equal((await client.getSession()).data, null);
    assert.equal(await sessionFor({ cookie }), null, "the old cookie no longer works");
  });

  test("bearer client", async () => {
    const { email } = await signUpWithCookies("signoutbearer");
    const bearerClient = createBearerClient();
    await bearerClient.client.signIn.email({ email, password: PASSWORD });
    const token = bearerClient.token;

    const { data, error } = await bearerClient.client.signOut();

    assert.equal(error, null);
    assert.deepEqual(data, { success: true });
    assert.equal(await sessionFor(bearer(token)), null, "sign-out deletes the session");
  });
});

describe("routing", () => {
  test("ok", async () => {
    const response = await request(route("/ok"));
    assert.equal(response.status, 200);
    assert.deepEqual(response.body, { ok: true });
  });

  // Better Auth returns a bare 404 for every unknown route, wrong method, trailing slash or
  // empty segment. A plain OPTIONS without Origin is not a CORS preflight, so it gets the same.
  const notFound = [
    ["GET", "/nope"],
    ["GET", "/sign-in/email"],
    ["GET", "/ok/"],
    ["GET", "//ok"],
    ["OPTIONS", "/sign-in/email"],
    ["HEAD", "/ok"],
  ];
  for (const [method, path] of notFound) {
    test(`${method} ${path} not found`, async () => {
      const response = await request(AUTH_URL + path, { method });
      assert.equal(response.status, 404);
      assert.equal(response.text, "");
      assert.equal(response.headers.get("content-type"), null);
    });
  }
});
