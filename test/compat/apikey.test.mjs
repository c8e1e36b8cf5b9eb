// The API Key plugin, driven by Better Auth's own client (`apiKeyClient`) the way a browser page
// uses it, plus the server side that an application backend calls (create with server-only
// fields, verify) and sessions from the x-api-key header. Every test makes its own user.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { apiKeyClient } from "@better-auth/api-key/client";
import { createAuthClient } from "better-auth/client";
import { PASSWORD, uniqueEmail } from "./clients.mjs";
import { CookieJar, request } from "./http.mjs";
import { BASE_URL, createApiKeyAsServer, origin, route, verifyApiKeyAsServer } from "./target.mjs";

const KEY_PATTERN = /^[A-Za-z]{64}$/;

// Signs a new user up and returns an auth client with the API Key plugin that keeps the user's
// session cookie, like a browser page on the trusted origin.
async function signUpWithApiKeyClient(label) {
  const jar = new CookieJar();
  const client = createAuthClient({
    baseURL: BASE_URL,
    plugins: [apiKeyClient()],
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
  const email = uniqueEmail(label);
  const { data, error } = await client.signUp.email({ name: "Key Owner", email, password: PASSWORD });
  if (error) throw new Error(`sign-up of ${email} failed: ${error.status} ${error.code ?? ""} ${error.message ?? ""}`);
  return { client, user: data.user };
}

function assertNoPlaintext(key) {
  assert.equal("key" in key, false, "only create returns the plaintext key");
}

describe("api key client", () => {
  test("create", async () => {
    const { client, user } = await signUpWithApiKeyClient("ak-create");

    const { data, error } = await client.apiKey.create({ name: "ci", prefix: "proj_" });

    assert.equal(error, null);
    assert.match(data.key, /^proj_[A-Za-z]{64}$/);
    assert.equal(data.start, data.key.slice(0, 6));
    assert.equal(data.name, "ci");
    assert.equal(data.prefix, "proj_");
    assert.equal(data.referenceId, user.id);
    assert.equal(data.enabled, true);
    assert.equal(data.remaining, null);
    assert.equal(data.requestCount, 0);
    assert.ok(data.createdAt instanceof Date, "the client revives dates");
    assert.equal(data.expiresAt, null);
  });

  test("get", async () => {
    const { client } = await signUpWithApiKeyClient("ak-get");
    const created = (await client.apiKey.create({ name: "read-me" })).data;

    const { data, error } = await client.apiKey.get({ query: { id: created.id } });

    assert.equal(error, null);
    assertNoPlaintext(data);
    assert.equal(data.id, created.id);
    assert.equal(data.name, "read-me");
    assert.equal(data.start, created.start);
    assert.equal(data.createdAt.getTime(), created.createdAt.getTime());
  });

  test("update", async () => {
    const { client } = await signUpWithApiKeyClient("ak-update");
    const created = (await client.apiKey.create({ name: "before" })).data;

    const { data, error } = await client.apiKey.update({ keyId: created.id, name: "after", enabled: false });

    assert.equal(error, null);
    assertNoPlaintext(data);
    assert.equal(data.name, "after");
    assert.equal(data.enabled, false);
  });

  test("list", async () => {
    const { client } = await signUpWithApiKeyClient("ak-list");
    await client.apiKey.create({ name: "first" });
    await client.apiKey.create({ name: "second" });
    await client.apiKey.create({ name: "third" });

    const all = await client.apiKey.list();
    assert.equal(all.error, null);
    assert.equal(all.data.total, 3);
    assert.equal(all.data.apiKeys.length, 3);
    all.data.apiKeys.forEach(assertNoPlaintext);
    assert.deepEqual(all.data.apiKeys.map((k) => k.name).sort(), ["first", "second", "third"]);

    const page = await client.apiKey.list({ query: { limit: 1, offset: 1, sortBy: "name", sortDirection: "asc" } });
    assert.equal(page.error, null);
    assert.equal(page.data.total, 3);
    assert.equal(page.data.limit, 1);
    assert.equal(page.data.offset, 1);
    assert.deepEqual(page.data.apiKeys.map((k) => k.name), ["second"]);
  });

  test("delete", async () => {
    const { client } = await signUpWithApiKeyClient("ak-delete");
    const created = (await client.apiKey.create({})).data;

    const { data, error } = await client.apiKey.delete({ keyId: created.id });
    assert.equal(error, null);
    assert.deepEqual(data, { success: true });

    const gone = await client.apiKey.get({ query: { id: created.id } });
    assert.equal(gone.data, null);
    assert.equal(gone.error.status, 404);
    assert.equal(gone.error.code, "KEY_NOT_FOUND");
  });

  test("server-only field", async () => {
    const { client } = await signUpWithApiKeyClient("ak-serveronly");
    const { data, error } = await client.apiKey.create({ remaining: 5 });
    assert.equal(data, null);
    assert.equal(error.status, 400);
    assert.equal(error.code, "SERVER_ONLY_PROPERTY");
  });

  test("other user's key", async () => {
    const owner = await signUpWithApiKeyClient("ak-owner");
    const stranger = await signUpWithApiKeyClient("ak-stranger");
    const created = (await owner.client.apiKey.create({})).data;

    const { error } = await stranger.client.apiKey.get({ query: { id: created.id } });
    assert.equal(error.status, 404);
    assert.equal(error.code, "KEY_NOT_FOUND");
    const deleted = await stranger.client.apiKey.delete({ keyId: created.id });
    assert.equal(deleted.error.status, 404);
  });
});

describe("api key server side", () => {
  test("create and verify", async () => {
    const { user } = await signUpWithApiKeyClient("ak-server");
    const response = await createApiKeyAsServer({ userId: user.id, remaining: 2, permissions: { files: ["read"] } });
    assert.equal(response.status, 200, response.text);
    const key = response.body;
    assert.match(key.key, KEY_PATTERN);
    assert.equal(key.remaining, 2);
    assert.deepEqual(key.permissions, { files: ["read"] });

    const first = await verifyApiKeyAsServer({ key: key.key, permissions: { files: ["read"] } });
    assert.equal(first.status, 200);
    assert.equal(first.body.valid, true);
    assert.equal(first.body.error, null);
    assert.equal(first.body.key.remaining, 1);
    assert.equal("key" in first.body.key, false);

    const denied = await verifyApiKeyAsServer({ key: key.key, permissions: { files: ["write"] } });
    assert.deepEqual(denied.body, { valid: false, error: { message: "API Key not found", code: "KEY_NOT_FOUND" }, key: null });

    await verifyApiKeyAsServer({ key: key.key });
    const exhausted = await verifyApiKeyAsServer({ key: key.key });
    assert.deepEqual(exhausted.body.error, { message: "API Key has reached its usage limit", code: "USAGE_EXCEEDED" });
  });

  test("unknown key", async () => {
    const response = await verifyApiKeyAsServer({ key: "not-a-key" });
    assert.equal(response.status, 200);
    assert.deepEqual(response.body, { valid: false, error: { message: "Invalid API key.", code: "INVALID_API_KEY" }, key: null });
  });
});

describe("api key session", () => {
  test("get-session with x-api-key", async () => {
    const { user } = await signUpWithApiKeyClient("ak-session");
    const key = (await createApiKeyAsServer({ userId: user.id })).body;

    const response = await request(route("/get-session"), { headers: { "x-api-key": key.key } });

    assert.equal(response.status, 200, response.text);
    assert.equal(response.body.user.id, user.id);
    assert.equal(response.body.session.id, key.id);
    assert.equal(response.body.session.token, key.key);
    assert.equal(response.body.session.userId, user.id);
  });

  test("invalid keys", async () => {
    const short = await request(route("/get-session"), { headers: { "x-api-key": "abc" } });
    assert.equal(short.status, 403);
    assert.deepEqual(short.body, { message: "Invalid API key.", code: "INVALID_API_KEY" });

    const unknown = await request(route("/get-session"), { headers: { "x-api-key": "a".repeat(64) } });
    assert.equal(unknown.status, 401);
    assert.deepEqual(unknown.body, { message: "Invalid API key.", code: "INVALID_API_KEY" });
  });

  test("rate limited", async () => {
    const { user } = await signUpWithApiKeyClient("ak-ratelimit");
    const key = (await createApiKeyAsServer({ userId: user.id, rateLimitMax: 1, rateLimitTimeWindow: 60000 })).body;

    const first = await request(route("/get-session"), { headers: { "x-api-key": key.key } });
    assert.equal(first.status, 200, first.text);
    const second = await request(route("/get-session"), { headers: { "x-api-key": key.key } });
    assert.equal(second.status, 429, second.text);
    assert.equal(second.body.code, "RATE_LIMITED");
    assert.equal(second.body.message, "Rate limit exceeded.");
    assert.ok(second.body.details.tryAgainIn > 0 && second.body.details.tryAgainIn <= 60000, second.text);
  });
});

describe("api key routing", () => {
  test("unknown method", async () => {
    const response = await request(route("/api-key/create"));
    assert.equal(response.status, 404);
    assert.equal(response.text, "");
  });
});
