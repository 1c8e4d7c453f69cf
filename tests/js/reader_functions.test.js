/* The snapshot reader (only docrelay's cells, a fixed number of syncs) and the pull-only functions. */
"use strict";
const test = require("node:test");
const assert = require("node:assert/strict");
const { readSnapshot, selectedSources } = require("../../excel_addin/addin/reader.js");
const { makeExcel } = require("./fake_excel.js");

function docrelayWorkbook(extra) {
  return makeExcel(
    Object.assign(
      {
        sheets: ["Documents", "LineItems", "Runs", "Settings", "_docrelay", "Notes"],
        tables: {
          Documents: [{ name: "Documents", address: "B3:F5" }],
          LineItems: [{ name: "LineItems", address: "A1:B2" }],
        },
        cells: {
          Documents: {
            B3: "source", C3: "my notes", D3: "doc_key", E3: "state", F3: "status",
            B4: "a.pdf", C4: "secret user text", D4: "k1", E4: "x", F4: "done",
            B5: "b.pdf", F5: "rerun",
          },
          LineItems: { A1: "doc_key", B1: "line", A2: "k1", B2: 1 },
          Settings: { A3: "confidence_threshold", B3: 0.7, A4: "provider", B4: "local", A9: "total", B9: 0.9 },
          _docrelay: {
            A1: "schema_version", B1: 1,
            A2: "sheet", B2: "key", C2: "header", D2: "type",
            A3: "Documents", B3: "status", C3: "status", D3: "status",
          },
        },
        names: { confidence_threshold: "Settings!$B$3" },
      },
      extra || {},
    ),
  );
}

test("the snapshot holds docrelay's tables, key columns and settings, never the user's cells", async () => {
  const excel = docrelayWorkbook();
  const snapshot = await readSnapshot(excel.context, { isSetSupported: excel.isSetSupported });
  assert.deepEqual(snapshot.sheets, ["Documents", "LineItems", "Runs", "Settings", "_docrelay", "Notes"]);
  const documents = snapshot.tables.Documents;
  assert.equal(documents.header_row, 3);
  assert.equal(documents.first_column, 2);
  assert.equal(documents.rows, 2);
  assert.deepEqual(documents.headers, ["source", "my notes", "doc_key", "state", "status"]);
  assert.deepEqual(documents.columns, { doc_key: ["k1", null], source: ["a.pdf", "b.pdf"], status: ["done", "rerun"] });
  assert.ok(!JSON.stringify(snapshot).includes("secret user text"));
  assert.deepEqual(snapshot.tables.LineItems.columns, { doc_key: ["k1"] });
  assert.equal(snapshot.tables.Runs.rows, 0); // no table on Runs: its used range stands in
  assert.equal(snapshot.threshold, 0.7);
  assert.equal(snapshot.settings[8][0], "total");
  assert.ok(excel.syncs <= 5, "syncs: " + excel.syncs);
});

test("a workbook without docrelay's sheets is read in one sync", async () => {
  const excel = makeExcel({ sheets: ["Sheet1"] });
  const snapshot = await readSnapshot(excel.context, { isSetSupported: excel.isSetSupported });
  assert.deepEqual(snapshot, { sheets: ["Sheet1"], tables: {}, hidden: [], settings: [], threshold: null });
  assert.equal(excel.syncs, 1);
});

test("Excel without ExcelApi 1.4 reads no named threshold", async () => {
  const excel = docrelayWorkbook({ supported: "1.3" });
  const snapshot = await readSnapshot(excel.context, { isSetSupported: excel.isSetSupported });
  assert.equal(snapshot.threshold, null);
});

test("Push sends the sources of the selected Documents rows", async () => {
  const excel = docrelayWorkbook({ selection: ["Documents", "A5:H5"] });
  const sources = await selectedSources(excel.context);
  assert.deepEqual(sources, ["b.pdf"]);
  const elsewhere = docrelayWorkbook({ selection: ["Notes", "A5:H5"] });
  assert.deepEqual(await selectedSources(elsewhere.context), []); // rows of another sheet push nothing
});

test("the custom functions only read: FIELD, CONFIDENCE, STATUS and their errors", async () => {
  const bridgePath = require.resolve("../../excel_addin/addin/bridge.js");
  const bridge = require(bridgePath);
  const asked = [];
  bridge.lookup = async (key) => {
    asked.push(key);
    if (key === "missing.pdf") {
      const error = new Error("No document");
      error.status = 404;
      throw error;
    }
    return {
      doc_key: "k1",
      status: "needs_review",
      error: null,
      fields: { total_amount: { value: 5160.0, confidence: 0.95 }, iban: { value: null, confidence: null } },
    };
  };
  const original = bridge.call;
  bridge.call = () => {
    throw new Error("a function must never call the API beyond a lookup");
  };
  const functions = require("../../excel_addin/addin/functions.js");
  functions.clearCache();
  assert.equal(await functions.field("a.pdf", "total_amount"), 5160.0);
  assert.equal(await functions.confidence("a.pdf", "total_amount"), 0.95);
  assert.equal(await functions.status("a.pdf"), "needs_review");
  assert.deepEqual(asked, ["a.pdf"]); // one lookup served the three calls
  await assert.rejects(functions.field("a.pdf", "nope"), /no field nope/);
  await assert.rejects(functions.field("a.pdf", "iban"), /no value for iban/);
  await assert.rejects(functions.status("missing.pdf"), /Not pushed through docrelay/);
  await assert.rejects(functions.status(""), /Give a doc_key/);
  bridge.call = original;
});
