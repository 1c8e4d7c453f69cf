/* The Office.js applier on office-addin-mock: each planner action gives the right Excel calls, under
 * the load/sync discipline, with requirement-set fallbacks and a bounded number of syncs. */
"use strict";
const test = require("node:test");
const assert = require("node:assert/strict");
const fs = require("node:fs");
const path = require("node:path");
const { applyActions } = require("../../excel_addin/addin/applier.js");
const { makeExcel } = require("./fake_excel.js");

const GOLDEN = JSON.parse(
  fs.readFileSync(path.join(__dirname, "..", "golden", "workbook_new_two_invoices.json"), "utf8"),
);

function find(calls, kind, predicate) {
  return calls.filter((c) => c[0] === kind && (!predicate || predicate(c)));
}

test("the golden plan of a new workbook gives its sheets, tables, cells and formats", async () => {
  const excel = makeExcel({ sheets: ["Sheet1"] });
  const report = await applyActions(excel.context, GOLDEN, { isSetSupported: excel.isSetSupported });
  assert.equal(report.applied, GOLDEN.length);
  assert.deepEqual(report.skipped, []);
  assert.deepEqual(
    find(excel.calls, "worksheets.add").map((c) => c[1]),
    ["Documents", "LineItems", "Runs", "Settings", "_docrelay"],
  );
  assert.deepEqual(find(excel.calls, "visibility").map((c) => c[1]), ["_docrelay"]);
  const tables = find(excel.calls, "table").map((c) => [c[1], c[2], c[3], c[4]]);
  assert.deepEqual(tables[0], ["Documents", "A1:P3", "Documents", "TableStyleMedium2"]);
  assert.equal(excel.cell("Documents", 1, 1), "source");
  assert.equal(excel.cell("Documents", 1, 2), "doc_key");
  // Text is written with the text format first, numbers with the column's format.
  assert.equal(excel.format("Documents", 2, 2), "@");
  const numeric = GOLDEN.find((a) => a.op === "setValues" && a.sheet === "Documents" && a.formats);
  const column = numeric.formats.findIndex((f) => f && f !== "@");
  const value = numeric.values[0][column];
  if (typeof value === "number") assert.equal(excel.format("Documents", numeric.row, numeric.column + column), numeric.formats[column]);
  assert.ok(find(excel.calls, "hyperlink").length >= 2);
  assert.ok(find(excel.calls, "conditionalFormat", (c) => c[3].startsWith("=AND(ISNUMBER(")).length >= 1);
  assert.deepEqual(find(excel.calls, "dataValidation")[0].slice(1), ["Documents", "C2:C1048576", "pending,done,needs_review,failed,rerun"]);
  assert.deepEqual(find(excel.calls, "freezeRows")[0], ["freezeRows", "Documents", 1]);
  assert.deepEqual(find(excel.calls, "names.add").map((c) => c[1]), ["confidence_threshold", "field_thresholds"]);
  assert.ok(find(excel.calls, "format.font.bold").length >= 4);
  assert.ok(excel.syncs <= 3, "syncs: " + excel.syncs);
});

test("a string that looks like a formula is written as text", async () => {
  const excel = makeExcel({ sheets: ["Documents"] });
  const action = {
    op: "setValues",
    sheet: "Documents",
    row: 2,
    column: 1,
    values: [['=HYPERLINK("http://evil","x")', 12.5, null, "+1", 45000]],
    formats: [null, "#,##0.00", null, null, "yyyy-mm-dd"],
  };
  await applyActions(excel.context, [action], { isSetSupported: excel.isSetSupported });
  const [, , address, formats] = find(excel.calls, "numberFormat")[0];
  assert.equal(address, "A2:E2");
  assert.deepEqual(formats, [["@", "#,##0.00", "@", "@", "yyyy-mm-dd"]].map((l) => l.map((f, i) => (i === 2 ? "General" : f))));
  const written = find(excel.calls, "values")[0][3][0];
  assert.equal(written[0], '=HYPERLINK("http://evil","x")');
  assert.equal(written[2], ""); // a cleared cell
  // The format call comes before the values call: Excel must know the cell is text when it gets "=...".
  const order = excel.calls.map((c) => c[0]);
  assert.ok(order.indexOf("numberFormat") < order.indexOf("values"));
});

test("older Excel: each missing requirement set is skipped or done another way", async () => {
  const excel = makeExcel({ sheets: ["Documents"], tables: { Documents: [{ name: "Documents", address: "A1:H2" }] }, supported: "1.2" });
  const actions = [
    { op: "setHyperlink", sheet: "Documents", row: 2, column: 1, target: "a.pdf" },
    { op: "defineName", name: "confidence_threshold", ref: "Settings!$B$3" },
    { op: "addListValidation", sheet: "Documents", ref: "C2:C9", values: ["done"] },
    { op: "addHighlightRule", sheet: "Documents", ref: "I2:I9", formula: "TRUE", fill: "FFC7CE" },
    { op: "freezePanes", sheet: "Documents", cell: "A2" },
    { op: "resizeTable", sheet: "Documents", table: "Documents", ref: "A1:J5" },
  ];
  const report = await applyActions(excel.context, actions, { isSetSupported: excel.isSetSupported });
  assert.deepEqual(report.skipped.map((s) => s.op), ["setHyperlink", "defineName", "addListValidation", "addHighlightRule", "freezePanes"]);
  assert.ok(report.skipped.every((s) => /ExcelApi 1\.\d+/.test(s.why)));
  assert.equal(find(excel.calls, "table.convertToRange").length, 1);
  assert.deepEqual(find(excel.calls, "tables.add")[0].slice(1, 3), ["Documents", "A1:J5"]);
  assert.equal(find(excel.calls, "hyperlink").length, 0);

  const modern = makeExcel({ sheets: ["Documents"], tables: { Documents: [{ name: "Documents", address: "A1:H2" }] } });
  await applyActions(modern.context, actions.slice(5), { isSetSupported: modern.isSetSupported });
  assert.deepEqual(find(modern.calls, "table.resize")[0].slice(1), ["Documents", "Documents", "A1:J5"]);
});

test("deleting line items, existing names and sheets", async () => {
  const excel = makeExcel({ sheets: ["LineItems", "Settings"], names: { confidence_threshold: "Settings!$B$3" } });
  await applyActions(
    excel.context,
    [
      { op: "addSheet", sheet: "Settings", hidden: false },
      { op: "deleteRows", sheet: "LineItems", row: 5, count: 3 },
      { op: "defineName", name: "confidence_threshold", ref: "Settings!$B$4" },
      { op: "setColumnWidth", sheet: "LineItems", column: 3, width: 16 },
    ],
    { isSetSupported: excel.isSetSupported },
  );
  assert.equal(find(excel.calls, "worksheets.add").length, 0);
  assert.deepEqual(find(excel.calls, "delete")[0].slice(1), ["LineItems", "5:7", "Up"]);
  assert.deepEqual(find(excel.calls, "names.delete")[0], ["names.delete", "confidence_threshold"]);
  assert.deepEqual(find(excel.calls, "names.add")[0], ["names.add", "confidence_threshold", "=Settings!$B$4"]);
  assert.deepEqual(find(excel.calls, "format.columnWidth")[0].slice(1), ["LineItems", "C:C", 87.75]);
});

test("an unknown action stops with a clear error", async () => {
  const excel = makeExcel();
  await assert.rejects(applyActions(excel.context, [{ op: "formatDisk" }], { isSetSupported: excel.isSetSupported }), /unknown workbook action "formatDisk"/);
});

test("reading before load() and sync() fails in the mock: the applier keeps the discipline", async () => {
  const excel = makeExcel();
  assert.throws(() => excel.context.workbook.worksheets.items.map((s) => s.name));
  await applyActions(excel.context, [], { isSetSupported: excel.isSetSupported });
  assert.equal(excel.syncs, 1); // the one sync that loads the sheet and name lists
});

test("a thousand documents: a handful of syncs, never one per row", async () => {
  const rows = [];
  for (let i = 0; i < 1000; i++) {
    const line = ["doc-" + i + ".pdf", "key" + i, "done", null];
    for (let f = 0; f < 20; f++) line.push("v" + f, 0.9);
    rows.push(line);
  }
  const excel = makeExcel({ sheets: ["Documents"] });
  const actions = [{ op: "setValues", sheet: "Documents", row: 2, column: 1, values: rows, formats: null }];
  for (let i = 0; i < 1000; i++) actions.push({ op: "setHyperlink", sheet: "Documents", row: i + 2, column: 1, target: rows[i][0] });
  const report = await applyActions(excel.context, actions, { isSetSupported: excel.isSetSupported });
  assert.ok(report.syncs <= 10, "syncs: " + report.syncs);
  assert.equal(excel.cell("Documents", 1001, 1), "doc-999.pdf");
});
