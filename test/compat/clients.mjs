// Better Auth's own JS client, set up the two ways applications use it outside a browser: with
// cookies (as a browser would keep them) and with a bearer token (as mobile apps and backends
// do with the Bearer plugin).
import { randomBytes } from "node:crypto";
import { createAuthClient } from "better-auth/client";
import { CookieJar } from "./http.mjs";
import { BASE_URL, origin } from "./target.mjs";

// Every address of one run shares this suffix, so the suite can run again on the same database.
const RUN_ID = randomBytes(4).toString("hex");
let emailCount = 0;

// Returns a new address for each user a test creates. `label` only makes the database easier to read.
export function uniqueEmail(label = "user") {
  emailCount += 1;
  return `compat-${label}-${RUN_ID}-${emailCount}@example.com`;
}

export const PASSWORD = "correct-horse-battery-1";

// Creates a client that behaves like a browser page on the trusted origin. It keeps the cookies
// it receives and sends them back with an Origin header, which Better Auth requires on every
// cookie-bearing request other than GET, HEAD and OPTIONS.
export function createCookieClient() {
  const jar = new CookieJar();
  const client = createAuthClient({
    baseURL: BASE_URL,
    fetchOptions: {
      onRequest(context) {
        if (jar.size > 0) context.headers.set("cookie", jar.header());
        context.headers.set("origin", origin);
      },
      // onResponse runs for errors too, so cookies cleared by a failed request are dropped.
      onResponse(context) {
        jar.store(context.response);
      },
    },
  });
  return { client, jar };
}

// Creates a client that keeps no cookies and authenticates with the token that the Bearer
// plugin returns in the set-auth-token header, as Better Auth documents for non-browser clients.
// It still sends the trusted Origin, because Node's fetch marks every request with
// Sec-Fetch-Mode: cors. Better Auth 1.7.5 then requires an Origin on sign-in and sign-up even
// without cookies.
export function createBearerClient() {
  const state = { token: undefined };
  const client = createAuthClient({
    baseURL: BASE_URL,
    fetchOptions: {
      headers: { origin },
      auth: { type: "Bearer", token: () => state.token },
      onSuccess(context) {
        const token = context.response.headers.get("set-auth-token");
        if (token) state.token = token;
      },
    },
  });
  return {
    client,
    get token() {
      return state.token;
    },
    set token(value) {
      state.token = value;
    },
  };
}

// Signs a new user up through a cookie client and returns the client with the user.
export async function signUpWithCookies(label, { name = "Compat User", password = PASSWORD } = {}) {
  const email = uniqueEmail(label);
  const { client, jar } = createCookieClient();
  const { data, error } = await client.signUp.email({ name, email, password });
  if (error) throw new Error(`sign-up of ${email} failed: ${error.status} ${error.code ?? ""} ${error.message ?? ""}`);
  return { client, jar, email, password, user: data.user, token: data.token };
}

// Signs an existing user in through a new cookie client, which gets a session of its own.
export async function signInWithCookies(email, password = PASSWORD) {
  const { client, jar } = createCookieClient();
  const { data, error } = await client.signIn.email({ email, password });
  if (error) throw new Error(`sign-in of ${email} failed: ${error.status} ${error.code ?? ""} ${error.message ?? ""}`);
  return { client, jar, user: data.user, token: data.token };
}
