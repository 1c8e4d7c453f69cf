/*
 * DOCRELAY.FIELD, DOCRELAY.CONFIDENCE and DOCRELAY.STATUS: pull-only worksheet functions. A
 * recalculation only reads what the bridge's journal holds for a pushed document; it never sends one
 * (every push would cost). They run in the pane's shared runtime, so they reach the bridge with its token.
 */
(function (root, factory) {
  const bridge = typeof module === "object" && module.exports ? require("./bridge.js") : root.DocRelayBridge;
  const api = factory(bridge);
  if (typeof module === "object" && module.exports) module.exports = api;
  else root.DocRelayFunctions = api;
  if (typeof CustomFunctions !== "undefined" && CustomFunctions.associate) {
    CustomFunctions.associate("FIELD", api.field);
    CustomFunctions.associate("CONFIDENCE", api.confidence);
    CustomFunctions.associate("STATUS", api.status);
  }
})(typeof self !== "undefined" ? self : this, function (bridge) {
  "use strict";

  const CACHE_MS = 2000; // one lookup serves the three functions of a row during a recalculation
  const cache = new Map();

  function functionError(message) {
    if (typeof CustomFunctions !== "undefined" && CustomFunctions.Error) {
      return new CustomFunctions.Error(CustomFunctions.ErrorCode.notAvailable, message);
    }
    const error = new Error(message);
    error.code = "#N/A";
    return error;
  }

  async function lookup(key) {
    const text = String(key === undefined || key === null ? "" : key).trim();
    if (!text) throw functionError("Give a doc_key or a source.");
    const now = Date.now();
    const hit = cache.get(text);
    if (hit && now - hit.at < CACHE_MS) return hit.promise;
    const promise = bridge.lookup(text).catch((error) => {
      cache.delete(text);
      if (error.status === 404) throw functionError("Not pushed through docrelay: " + text);
      if (error.status === 0) throw functionError("The docrelay bridge is not running (docrelay-excel serve).");
      throw functionError(error.message);
    });
    cache.set(text, { at: now, promise });
    return promise;
  }

  async function fieldOf(key, name) {
    const found = await lookup(key);
    const field = found.fields[String(name)];
    if (!field) {
      const why = found.status === "done" || found.status === "needs_review" ? "no field " + name : found.status;
      throw functionError(why + (found.error ? ": " + found.error : ""));
    }
    return field;
  }

  /** @customfunction FIELD */
  async function field(key, name) {
    const found = await fieldOf(key, name);
    if (found.value === null || found.value === undefined) throw functionError("no value for " + name);
    return found.value;
  }

  /** @customfunction CONFIDENCE */
  async function confidence(key, name) {
    const found = await fieldOf(key, name);
    if (found.confidence === null || found.confidence === undefined) throw functionError("no confidence");
    return found.confidence;
  }

  /** @customfunction STATUS */
  async function status(key) {
    return (await lookup(key)).status;
  }

  return { field, confidence, status, clearCache: () => cache.clear() };
});
