// Plain HTTP helpers for the checks that the Better Auth client cannot make: exact status codes,
// headers and bodies, requests without a body, malformed JSON, other methods. Nothing here
// depends on the server under test, because target.mjs supplies the URLs.
import http from "node:http";

// Sends one request with exactly the headers given and reads the whole response. It uses
// node:http rather than fetch, because Node's fetch adds browser headers of its own
// (Sec-Fetch-Mode: cors among them) that change how Better Auth checks the origin.
// `json` is serialised with an application/json content type; `body` is sent as given, so a
// test can send malformed input. The result's `body` is the parsed JSON, or undefined when the
// text is empty or not JSON; `headers` is a fetch Headers object.
export function request(url, { method = "GET", headers = {}, json, body } = {}) {
  const sent = { ...headers };
  let payload = body;
  if (json !== undefined) {
    payload = JSON.stringify(json);
    if (!Object.keys(sent).some((name) => name.toLowerCase() === "content-type")) {
      sent["content-type"] = "application/json";
    }
  }
  if (payload !== undefined) sent["content-length"] = Buffer.byteLength(payload);

  return new Promise((resolve, reject) => {
    // agent: false opens one connection per request and closes it, so no idle socket keeps
    // the test process alive.
    const outgoing = http.request(url, { method, headers: sent, agent: false }, (response) => {
      const chunks = [];
      response.on("data", (chunk) => chunks.push(chunk));
      response.on("error", reject);
      response.on("end", () => resolve(readResult(response, Buffer.concat(chunks).toString("utf8"))));
    });
    outgoing.on("error", (error) => reject(new Error(`${method} ${url} failed: ${error.message}`)));
    outgoing.end(payload);
  });
}

function readResult(response, text) {
  const headers = new Headers();
  for (let i = 0; i < response.rawHeaders.length; i += 2) {
    headers.append(response.rawHeaders[i], response.rawHeaders[i + 1]);
  }
  let parsed;
  if (text !== "") {
    try {
      parsed = JSON.parse(text);
    } catch {
      parsed = undefined;
    }
  }
  return {
    status: response.statusCode,
    headers,
    setCookies: headers.getSetCookie(),
    text,
    body: parsed,
  };
}

// Like request, but throws with the status and body when the status is not 2xx. It is meant
// for calls that set up a test rather than check a result.
export async function requestOK(url, options) {
  const result = await request(url, options);
  if (result.status < 200 || result.status > 299) {
    const method = options?.method ?? "GET";
    throw new Error(`${method} ${url} failed with status ${result.status}: ${result.text || "(empty body)"}`);
  }
  return result;
}

// A cookie store for one simulated browser. Node's fetch keeps no cookies, so the tests replay
// Set-Cookie themselves. Only name and value matter here, because every cookie in this protocol
// has Path=/ and the tests call one host. A cookie is removed when it is set to an empty value
// or with a Max-Age of zero or less, which is how the server clears the session cookies.
export class CookieJar {
  #cookies = new Map();

  // Applies every Set-Cookie header of a fetch Response.
  store(response) {
    for (const line of response.headers.getSetCookie()) this.storeLine(line);
  }

  storeLine(line) {
    const [pair, ...attributes] = line.split(";");
    const equals = pair.indexOf("=");
    if (equals <= 0) return;
    const name = pair.slice(0, equals).trim();
    const value = pair.slice(equals + 1).trim();
    const expired = attributes.some((attribute) => {
      const [key, setting] = attribute.split("=");
      return key.trim().toLowerCase() === "max-age" && Number(setting) <= 0;
    });
    if (value === "" || expired) this.#cookies.delete(name);
    else this.#cookies.set(name, value);
  }

  get(name) {
    return this.#cookies.get(name);
  }

  has(name) {
    return this.#cookies.has(name);
  }

  get size() {
    return this.#cookies.size;
  }

  // The value of a Cookie request header, or "" when the jar is empty.
  header() {
    return [...this.#cookies].map(([name, value]) => `${name}=${value}`).join("; ");
  }
}
