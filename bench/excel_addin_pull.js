/* Applies a planner's actions (JSON file from bench/excel_addin_pull.py) with the add-in's Office.js
 * applier on office-addin-mock's Excel, and prints the number of context.sync() calls and the time. */
"use strict";
const fs = require("node:fs");
const { applyActions } = require("../excel_addin/addin/applier.js");
const { makeExcel } = require("../tests/js/fake_excel.js");

async function main() {
  const actions = JSON.parse(fs.readFileSync(process.argv[2], "utf8"));
  const runs = Number(process.argv[3] || 5);
  const times = [];
  let report = null;
  for (let i = 0; i < runs; i++) {
    const excel = makeExcel({ sheets: ["Sheet1"] });
    const started = process.hrtime.bigint();
    report = await applyActions(excel.context, actions, { isSetSupported: excel.isSetSupported });
    times.push(Number(process.hrtime.bigint() - started) / 1e6);
  }
  times.sort((a, b) => a - b);
  console.log(JSON.stringify({ actions: actions.length, syncs: report.syncs, median_ms: times[Math.floor(times.length / 2)], max_ms: times[times.length - 1], runs }));
}
main().catch((error) => {
  console.error(error);
  process.exit(1);
});
