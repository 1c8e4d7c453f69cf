/*
 * Calls to the bridge's JSON API, from the page it served (same origin). The token is written into the
 * page by the bridge and sent in a header, never in a URL.
 */
(function (root, factory) {
  const api = factory();
  if (typeof module === "object" && module.exports) module.exports = api;
  else root.DocRelayBridge = api;
})(typeof self !== "undefined" ? self : this, function () {
  "use strict";

  class BridgeError extends Error {
    constructor(message, status, type) {
      super(message);
      this.status = status;
      this.type = type;
    }
  }

  function pageToken() {
    if (typeof document === "undefined") return "";
    const meta = document.querySelector('meta[name="docrelay-token"]');
    return meta ? meta.getAttribute("content") : "";
  }

  async function call(method, path, options) {
    options = options || {};
    const headers = { "X-DocRelay-Token": options.token || pageToken() };
    let body;
    if (options.json !== undefined) {
      headers["Content-Type"] = "application/json";
      body = JSON.stringify(options.json);
    } else if (options.body !== undefined) {
      headers["Content-Type"] = "application/octet-stream";
      body = options.body;
    }
    let response;
    try {
      response = await fetch(path, { method, headers, body, credentials: "same-origin", cache: "no-store" });
    } catch (error) {
      throw new BridgeError("The docrelay bridge is not reachable.", 0, "unreachable");
    }
    let data = null;
    try {
      data = await response.json();
    } catch (error) {
      data = null;
    }
    if (!response.ok) {
      const found = data && data.error ? data.error : { message: "HTTP " + response.status, type: "http" };
      throw new BridgeError(found.message, response.status, found.type);
    }
    return data;
  }

  return {
    BridgeError,
    health: () => call("GET", "/api/health"),
    push: (request) => call("POST", "/api/push", { json: request }),
    upload: (file) => call("PUT", "/api/uploads?name=" + encodeURIComponent(file.name), { body: file }),
    job: (id) => call("GET", "/api/jobs/" + encodeURIComponent(id)),
    plan: (request) => call("POST", "/api/plan", { json: request }),
    lookup: (key) => call("GET", "/api/lookup?key=" + encodeURIComponent(key)),
    call,
  };
});
