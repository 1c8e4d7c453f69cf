/*
 * The task pane: is the bridge there, Push (selected rows or picked files), per-row progress, Pull.
 * Pull reads the workbook's snapshot, asks the bridge for the planner's actions since this workbook's
 * cursor, and applies them (applier.js). The workbook's id and cursor live in its document settings,
 * so a pane or Excel closed mid-run loses nothing: the next Pull brings everything since the cursor.
 */
(function () {
  "use strict";
  const bridge = window.DocRelayBridge;
  const reader = window.DocRelayReader;
  const applier = window.DocRelayApplier;
  const $ = (id) => document.getElementById(id);
  const POLL_MS = 1000;
  const WORKBOOK_KEY = "docrelay.workbook";
  const CURSOR_KEY = "docrelay.cursor";
  let reachable = false;
  let onWeb = false;
  let polling = null;

  function say(text, kind) {
    const message = $("message");
    message.textContent = text;
    message.className = "message" + (kind ? " " + kind : "");
  }

  function settings() {
    return Office.context && Office.context.document && Office.context.document.settings;
  }

  function saveSettings() {
    const store = settings();
    return new Promise((resolve) => {
      if (!store || !store.saveAsync) return resolve();
      store.saveAsync(() => resolve());
    });
  }

  async function workbookId() {
    const store = settings();
    let id = store ? store.get(WORKBOOK_KEY) : null;
    if (!id) {
      const bytes = new Uint8Array(16);
      crypto.getRandomValues(bytes);
      id = Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
      if (store) {
        store.set(WORKBOOK_KEY, id);
        await saveSettings();
      }
    }
    return id;
  }

  function cursor() {
    const store = settings();
    return (store && store.get(CURSOR_KEY)) || 0;
  }

  function enable() {
    const on = reachable && !onWeb;
    for (const id of ["push", "pull", "files"]) $(id).disabled = !on;
  }

  async function checkBridge() {
    const state = $("bridge");
    if (onWeb) {
      state.className = "state web";
      state.textContent = "Excel on the web cannot reach the docrelay bridge on your computer.";
      $("notice").hidden = false;
      $("notice").textContent =
        "Open this workbook in Excel for Windows or Mac, or close it and run: docrelay-excel run BOOK.xlsx";
      reachable = false;
      return enable();
    }
    try {
      const health = await bridge.health();
      reachable = true;
      state.className = "state ok";
      state.textContent = "Bridge running (docrelay " + health.version + ")";
      $("provider").textContent = health.provider || "–";
      $("model").textContent = health.model || "the provider's default";
      $("notice").hidden = true;
    } catch (error) {
      reachable = false;
      state.className = "state down";
      state.textContent = "The docrelay bridge is not reachable.";
      $("notice").hidden = false;
      $("notice").textContent =
        error.status === 401
          ? error.message
          : "Start it with: docrelay-excel serve — or close the workbook and run: docrelay-excel run BOOK.xlsx";
    }
    enable();
  }

  function showRows(job) {
    const body = $("rows").querySelector("tbody");
    body.textContent = "";
    for (const doc of job.documents) {
      const row = document.createElement("tr");
      const name = document.createElement("td");
      name.textContent = doc.source;
      const status = document.createElement("td");
      status.className = "status s-" + doc.status;
      status.textContent = doc.status;
      if (doc.error) {
        const error = document.createElement("span");
        error.className = "error";
        error.textContent = doc.error;
        status.appendChild(error);
      }
      row.append(name, status);
      body.appendChild(row);
    }
    $("rows").hidden = job.documents.length === 0;
  }

  async function follow(jobId) {
    if (polling) clearTimeout(polling);
    const job = await bridge.job(jobId);
    showRows(job);
    if (job.state === "queued" || job.state === "running") {
      say("Working: " + summary(job.counts));
      polling = setTimeout(() => follow(jobId).catch(failed), POLL_MS);
      return;
    }
    polling = null;
    if (job.state === "error") return say(job.error, "bad");
    say("Push finished: " + summary(job.counts));
    if ($("autopull").checked) await pull();
  }

  function summary(counts) {
    return Object.entries(counts)
      .map(([status, count]) => count + " " + status)
      .join(", ");
  }

  function failed(error) {
    say(error.message || String(error), "bad");
    if (error.status === 0) checkBridge();
  }

  async function startPush(request) {
    request.workbook = await workbookId();
    request.workbook_url = (Office.context && Office.context.document && Office.context.document.url) || null;
    const job = await bridge.push(request);
    showRows(job);
    await follow(job.job);
  }

  async function pushSelected() {
    const sources = await Excel.run((context) => reader.selectedSources(context));
    if (!sources.length) return say("Select rows of the Documents table that have a source.", "bad");
    say("Pushing " + sources.length + " document(s)…");
    await startPush({ sources });
  }

  async function pushFiles(files) {
    const uploads = [];
    for (const file of files) {
      say("Uploading " + file.name + "…");
      const stored = await bridge.upload(file);
      uploads.push({ upload: stored.upload, name: stored.name });
    }
    await startPush({ uploads });
  }

  async function pull() {
    say("Pulling…");
    const id = await workbookId();
    let planned = null;
    let report = null;
    await Excel.run(async (context) => {
      const snapshot = await reader.readSnapshot(context);
      planned = await bridge.plan({ workbook: id, snapshot, cursor: cursor() });
      report = await applier.applyActions(context, planned.actions);
    });
    const store = settings();
    if (store) {
      store.set(CURSOR_KEY, planned.cursor);
      await saveSettings();
    }
    const s = planned.summary;
    let text = planned.results
      ? "Pulled " + planned.results + " result(s): " + s.rows_added + " row(s) added, " + s.rows_updated + " updated."
      : "Nothing new since the last Pull.";
    if (report.skipped.length) text += " This Excel lacks " + report.skipped.length + " feature(s) (e.g. " + report.skipped[0].why + ").";
    say(text, "good");
  }

  function guarded(task) {
    return (...args) => task(...args).catch(failed);
  }

  Office.onReady((info) => {
    const platform = (info && info.platform) || (Office.context && Office.context.platform);
    onWeb = platform === "OfficeOnline" || (Office.PlatformType && platform === Office.PlatformType.OfficeOnline);
    $("push").addEventListener("click", guarded(pushSelected));
    $("pull").addEventListener("click", guarded(pull));
    $("files").addEventListener(
      "change",
      guarded(async (event) => {
        const files = Array.from(event.target.files || []);
        event.target.value = "";
        if (files.length) await pushFiles(files);
      }),
    );
    checkBridge();
    setInterval(checkBridge, 15000);
  });
})();
