// The Admin plugin driven by Better Auth's JS client with adminClient(), as an admin console in a
// browser uses it: create, list, ban and unban users, impersonate one and stop. Each test makes
// its own users, so the file runs against a database that other suites also use.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { createAuthClient } from "better-auth/client";
import { adminClient } from "better-auth/client/plugins";
import { PASSWORD, signInWithCookies, signUpWithCookies, uniqueEmail } from "./clients.mjs";
import { CookieJar } from "./http.mjs";
import { BASE_URL, makeAdmin, origin } from "./target.mjs";

// A browser-like client with the admin plugin: it keeps cookies and sends the trusted Origin.
function createAdminClient() {
  const jar = new CookieJar();
  const client = createAuthClient({
    baseURL: BASE_URL,
    plugins: [adminClient()],
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

// Signs a new user up and makes it an admin. The role applies from the next request on.
async function signUpAdmin() {
  const { user, email } = await signUpWithCookies("admin");
  await makeAdmin(user.id);
  const { client, jar } = createAdminClient();
  const { error } = await client.signIn.email({ email, password: PASSWORD });
  assert.equal(error, null, `admin sign-in failed: ${JSON.stringify(error)}`);
  return { client, jar, user, email };
}

function ok(result, what) {
  assert.equal(result.error, null, `${what} failed: ${JSON.stringify(result.error)}`);
  return result.data;
}

describe("admin", () => {
  test("createUser and listUsers", async () => {
    const admin = await signUpAdmin();
    const email = uniqueEmail("created");

    const created = ok(await admin.client.admin.createUser({ email, name: "Created", password: PASSWORD, role: "user" }), "createUser");
    assert.equal(created.user.email, email);
    assert.equal(created.user.role, "user");
    assert.equal(created.user.banned, false);

    const listed = ok(
      await admin.client.admin.listUsers({ query: { searchField: "email", searchValue: email, limit: 10 } }),
      "listUsers",
    );
    assert.equal(listed.total, 1);
    assert.equal(listed.limit, 10);
    assert.equal(listed.users[0].id, created.user.id);

    const filtered = ok(
      await admin.client.admin.listUsers({
        query: { searchField: "email", searchValue: email, filterField: "role", filterValue: "admin" },
      }),
      "listUsers with a filter",
    );
    assert.equal(filtered.total, 0);

    const fetched = ok(await admin.client.admin.getUser({ query: { id: created.user.id } }), "getUser");
    assert.equal(fetched.email, email);

    const signIn = await signInWithCookies(email);
    assert.equal(signIn.user.id, created.user.id);
  });

  test("a plain user is rejected", async () => {
    const { client } = createAdminClient();
    const email = uniqueEmail("plain");
    ok(await client.signUp.email({ name: "Plain", email, password: PASSWORD }), "sign-up");

    const { error } = await client.admin.listUsers({ query: {} });
    assert.equal(error.status, 403);
    assert.equal(error.code, "YOU_ARE_NOT_ALLOWED_TO_LIST_USERS");

    const permission = ok(await client.admin.hasPermission({ permissions: { user: ["list"] } }), "hasPermission");
    assert.deepEqual(permission, { error: null, success: false });
  });

  test("banUser and unbanUser", async () => {
    const admin = await signUpAdmin();
    const target = await signUpWithCookies("banned");

    const banned = ok(
      await admin.client.admin.banUser({ userId: target.user.id, banReason: "spam", banExpiresIn: 3600 }),
      "banUser",
    );
    assert.equal(banned.user.banned, true);
    assert.equal(banned.user.banReason, "spam");
    assert.ok(Date.parse(banned.user.banExpires) > Date.now() + 3500 * 1000);

    // The ban deleted the target's sessions, so its cookie no longer works.
    const session = await target.client.getSession();
    assert.equal(session.data, null);

    const { client } = createAdminClient();
    const { error } = await client.signIn.email({ email: target.email, password: PASSWORD });
    assert.equal(error.status, 403);
    assert.equal(error.code, "BANNED_USER");

    const sessions = ok(await admin.client.admin.listUserSessions({ userId: target.user.id }), "listUserSessions");
    assert.deepEqual(sessions.sessions, []);

    const unbanned = ok(await admin.client.admin.unbanUser({ userId: target.user.id }), "unbanUser");
    assert.equal(unbanned.user.banned, false);
    assert.equal(unbanned.user.banReason, null);
    assert.equal(unbanned.user.banExpires, null);
    await signInWithCookies(target.email);
  });

  test("impersonateUser and stopImpersonating", async () => {
    const admin = await signUpAdmin();
    const target = await signUpWithCookies("impersonated");

    const started = ok(await admin.client.admin.impersonateUser({ userId: target.user.id }), "impersonateUser");
    assert.equal(started.session.userId, target.user.id);
    assert.equal(started.session.impersonatedBy, admin.user.id);
    assert.equal(started.user.id, target.user.id);
    assert.ok(admin.jar.has("better-auth.admin_session"));

    const during = ok(await admin.client.getSession(), "getSession while impersonating");
    assert.equal(during.user.id, target.user.id);
    assert.equal(during.session.impersonatedBy, admin.user.id);

    // The impersonated user's own listing hides the impersonation session.
    const own = ok(await target.client.listSessions(), "listSessions of the impersonated user");
    assert.ok(own.every((s) => s.id !== started.session.id));

    const stopped = ok(await admin.client.admin.stopImpersonating(), "stopImpersonating");
    assert.equal(stopped.session.userId, admin.user.id);
    assert.equal(stopped.user.id, admin.user.id);
    assert.ok(!admin.jar.has("better-auth.admin_session"));

    const after = ok(await admin.client.getSession(), "getSession after stopping");
    assert.equal(after.user.id, admin.user.id);
    const sessions = ok(await admin.client.admin.listUserSessions({ userId: target.user.id }), "listUserSessions");
    assert.ok(sessions.sessions.every((s) => s.id !== started.session.id));
  });

  test("setRole, setUserPassword and removeUser", async () => {
    const admin = await signUpAdmin();
    const target = await signUpWithCookies("managed");

    const promoted = ok(await admin.client.admin.setRole({ userId: target.user.id, role: ["user", "admin"] }), "setRole");
    assert.equal(promoted.user.role, "user,admin");

    ok(await admin.client.admin.setUserPassword({ userId: target.user.id, newPassword: "another-password-2" }), "setUserPassword");
    await signInWithCookies(target.email, "another-password-2");

    ok(await admin.client.admin.revokeUserSessions({ userId: target.user.id }), "revokeUserSessions");
    const removed = ok(await admin.client.admin.removeUser({ userId: target.user.id }), "removeUser");
    assert.deepEqual(removed, { success: true });
    const { error } = await admin.client.admin.getUser({ query: { id: target.user.id } });
    assert.equal(error.status, 404);
    assert.equal(error.code, "USER_NOT_FOUND");
  });
});
