// The Email OTP plugin driven by Better Auth's own emailOTPClient. The tests run the three flows
// that applications build on it: sign-in with a code, email verification and password reset. They
// read the codes from the mails (authd) or from the OTP log (oracle), and check the error bodies
// that clients branch on.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { createAuthClient } from "better-auth/client";
import { emailOTPClient } from "better-auth/client/plugins";
import { PASSWORD, signUpWithCookies, uniqueEmail } from "./clients.mjs";
import { CookieJar, request } from "./http.mjs";
import { BASE_URL, TARGET, origin, readOtp, route } from "./target.mjs";

const SESSION_COOKIE = "better-auth.session_token";

// A browser-like client with the Email OTP plugin: it keeps cookies and sends the trusted Origin.
function createOtpClient() {
  const jar = new CookieJar();
  const client = createAuthClient({
    baseURL: BASE_URL,
    plugins: [emailOTPClient()],
    fetchOptions: {
      onRequest(context) {
        if (jar.size > 0) context.headers.set("cookie", jar.header());
        context.headers.set("origin", origin);
      },
      onResponse(context) {
        jar.store(context.response);
      },
    },
  });
  return { client, jar };
}

// A client without cookies that keeps the bearer token from set-auth-token, as mobile apps do.
function createBearerOtpClient() {
  const state = { token: undefined };
  const client = createAuthClient({
    baseURL: BASE_URL,
    plugins: [emailOTPClient()],
    fetchOptions: {
      headers: { origin },
      auth: { type: "Bearer", token: () => state.token },
      onSuccess(context) {
        const token = context.response.headers.get("set-auth-token");
        if (token) state.token = token;
      },
    },
  });
  return { client, state };
}

function assertClientError(error, status, code) {
  assert.ok(error, `expected an error with status ${status}`);
  assert.equal(error.status, status, `status (error: ${JSON.stringify(error)})`);
  assert.equal(error.code, code);
}

describe("email OTP sign-in", () => {
  test("send then sign in creates the user", async () => {
    const email = uniqueEmail("otp-signin");
    const { client, jar } = createOtpClient();

    const sent = await client.emailOtp.sendVerificationOtp({ email, type: "sign-in" });
    assert.equal(sent.error, null);
    assert.deepEqual(sent.data, { success: true });
    const otp = await readOtp(email, "sign-in");
    assert.match(otp, /^[0-9]{6}$/);

    const { data, error } = await client.signIn.emailOtp({ email, otp, name: "Otto" });

    assert.equal(error, null);
    assert.match(data.token, /^[A-Za-z0-9]{32}$/);
    assert.equal(data.user.email, email);
    assert.equal(data.user.name, "Otto");
    assert.equal(data.user.emailVerified, true);
    assert.ok(jar.has(SESSION_COOKIE), "sign-in sets the session cookie");
    const session = await client.getSession();
    assert.equal(session.error, null);
    assert.equal(session.data.user.email, email);
    assert.equal(session.data.session.token, data.token);
  });

  test("existing user with a bearer client", async () => {
    const { email, user } = await signUpWithCookies("otp-bearer");
    const { client, state } = createBearerOtpClient();

    await client.emailOtp.sendVerificationOtp({ email: email.toUpperCase(), type: "sign-in" });
    const otp = await readOtp(email, "sign-in");
    const { data, error } = await client.signIn.emailOtp({ email, otp });

    assert.equal(error, null);
    assert.equal(data.user.id, user.id);
    assert.ok(state.token?.startsWith(`${data.token}.`), "set-auth-token carries the signed session token");
    const session = await client.getSession();
    assert.equal(session.data.user.id, user.id);
  });

  test("wrong code, lock-out and replay", async () => {
    const email = uniqueEmail("otp-lock");
    const { client } = createOtpClient();
    await client.emailOtp.sendVerificationOtp({ email, type: "sign-in" });
    const otp = await readOtp(email, "sign-in");
    const wrong = otp === "000000" ? "111111" : "000000";

    for (let i = 0; i < 3; i++) {
      const { error } = await client.signIn.emailOtp({ email, otp: wrong });
      assertClientError(error, 400, "INVALID_OTP");
    }
    const locked = await client.signIn.emailOtp({ email, otp });
    assertClientError(locked.error, 403, "TOO_MANY_ATTEMPTS");
    // Better Auth deletes a locked code, so the next attempt is INVALID_OTP;
    // authd keeps the lock until the code expires or a new one is sent.
    const after = await client.signIn.emailOtp({ email, otp });
    if (TARGET === "authd") {
      assertClientError(after.error, 403, "TOO_MANY_ATTEMPTS");
    } else {
      assertClientError(after.error, 400, "INVALID_OTP");
    }
  });

  test("a code is single-use", async () => {
    const email = uniqueEmail("otp-replay");
    const { client } = createOtpClient();
    await client.emailOtp.sendVerificationOtp({ email, type: "sign-in" });
    const otp = await readOtp(email, "sign-in");

    const first = await client.signIn.emailOtp({ email, otp });
    const second = await client.signIn.emailOtp({ email, otp });

    assert.equal(first.error, null);
    assertClientError(second.error, 400, "INVALID_OTP");
  });
});

describe("email OTP verification", () => {
  test("send then verify the email", async () => {
    const { client: signedUp, email, user } = await signUpWithCookies("otp-verify");
    assert.equal(user.emailVerified, false);
    const { client } = createOtpClient();

    const sent = await client.emailOtp.sendVerificationOtp({ email, type: "email-verification" });
    assert.equal(sent.error, null);
    const otp = await readOtp(email, "email-verification");
    const { data, error } = await client.emailOtp.verifyEmail({ email, otp });

    assert.equal(error, null);
    assert.equal(data.status, true);
    assert.equal(data.token, null);
    assert.equal(data.user.id, user.id);
    assert.equal(data.user.emailVerified, true);
    const session = await signedUp.getSession();
    assert.equal(session.data.user.emailVerified, true);
  });

  test("check does not use up the code", async () => {
    const { email } = await signUpWithCookies("otp-check");
    const { client } = createOtpClient();
    await client.emailOtp.sendVerificationOtp({ email, type: "email-verification" });
    const otp = await readOtp(email, "email-verification");

    const checked = await client.emailOtp.checkVerificationOtp({ email, type: "email-verification", otp });
    const verified = await client.emailOtp.verifyEmail({ email, otp });

    assert.equal(checked.error, null);
    assert.deepEqual(checked.data, { success: true });
    assert.equal(verified.error, null);
  });

  test("unknown address gets the same answer and no code", async () => {
    const email = uniqueEmail("otp-ghost");
    const { client } = createOtpClient();

    const sent = await client.emailOtp.sendVerificationOtp({ email, type: "email-verification" });
    const verified = await client.emailOtp.verifyEmail({ email, otp: "000000" });

    assert.deepEqual(sent.data, { success: true });
    assertClientError(verified.error, 400, "INVALID_OTP");
  });
});

describe("email OTP password reset", () => {
  test("request a reset then set a new password", async () => {
    const { email } = await signUpWithCookies("otp-reset");
    const { client } = createOtpClient();
    const newPassword = "a-new-password-2";

    const requested = await client.emailOtp.requestPasswordReset({ email });
    assert.equal(requested.error, null);
    assert.deepEqual(requested.data, { success: true });
    const otp = await readOtp(email, "forget-password");
    const { data, error } = await client.emailOtp.resetPassword({ email, otp, password: newPassword });

    assert.equal(error, null);
    assert.deepEqual(data, { success: true });
    const withNew = await client.signIn.email({ email, password: newPassword });
    assert.equal(withNew.error, null);
    const withOld = await client.signIn.email({ email, password: PASSWORD });
    assertClientError(withOld.error, 401, "INVALID_EMAIL_OR_PASSWORD");
  });

  test("too short a password keeps the code", async () => {
    const { email } = await signUpWithCookies("otp-short");
    const { client } = createOtpClient();
    await client.emailOtp.requestPasswordReset({ email });
    const otp = await readOtp(email, "forget-password");

    const short = await client.emailOtp.resetPassword({ email, otp, password: "short12" });
    const ok = await client.emailOtp.resetPassword({ email, otp, password: "long-enough-1" });

    assertClientError(short.error, 400, "PASSWORD_TOO_SHORT");
    assert.equal(ok.error, null);
  });

  test("unknown address gets the same answer", async () => {
    const response = await request(route("/email-otp/request-password-reset"), {
      method: "POST",
      json: { email: uniqueEmail("otp-nobody") },
    });

    assert.equal(response.status, 200);
    assert.deepEqual(response.body, { success: true });
  });
});

describe("email OTP wire details", () => {
  test("error bodies", async () => {
    const cases = [
      [{ email: "not-an-email", type: "sign-in" }, 400, { message: "Invalid email", code: "INVALID_EMAIL" }],
      [{ email: uniqueEmail("otp-type"), type: "change-email" }, 400, { message: "Invalid OTP type" }],
    ];
    for (const [json, status, body] of cases) {
      const response = await request(route("/email-otp/send-verification-otp"), { method: "POST", json });
      assert.equal(response.status, status, `status for ${JSON.stringify(json)} (body: ${response.text})`);
      assert.deepEqual(response.body, body);
    }
    const invalid = await request(route("/email-otp/send-verification-otp"), {
      method: "POST",
      json: { email: uniqueEmail("otp-enum"), type: "Sign-In" },
    });
    assert.equal(invalid.status, 400);
    assert.equal(invalid.body.code, "VALIDATION_ERROR");
  });

  test("untrusted origin on send", async () => {
    const response = await request(route("/email-otp/send-verification-otp"), {
      method: "POST",
      headers: { origin: "https://evil.example" },
      json: { email: uniqueEmail("otp-origin"), type: "sign-in" },
    });

    assert.equal(response.status, 403);
    assert.deepEqual(response.body, { message: "Invalid origin", code: "INVALID_ORIGIN" });
  });

  test("server-only routes are not served", async () => {
    const response = await request(route("/email-otp/get-verification-otp?email=a@b.co&type=sign-in"));

    assert.equal(response.status, 404);
    assert.equal(response.text, "");
  });
});
