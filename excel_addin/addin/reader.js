/*
 * Read the open workbook's snapshot for the bridge's planner (core/workbook/snapshot.py describes it):
 * where docrelay's tables are, their headers, and only docrelay's key, source, status and review columns; the
 * hidden sheet's column map; Settings!A1:B1000 and the confidence_threshold name. The user's own
 * cells are never read. Four syncs, whatever the size of the workbook.
 */
(function (root, factory) {
  const api = factory(typeof module === "object" && module.exports ? require("./applier.js") : root.DocRelayApplier);
  if (typeof module === "object" && module.exports) module.exports = api;
  else root.DocRelayReader = api;
})(typeof self !== "undefined" ? self : this, function (applier) {
  "use strict";

  const DOCUMENTS = "Documents";
  const HIDDEN = "_docrelay";
  const SETTINGS = "Settings";
  const THRESHOLD_NAME = "confidence_threshold";
  // Per table: its sheet, and the docrelay columns the planner needs (by key).
  const TABLES = {
    Documents: ["doc_key", "source", "status", "review"],
    LineItems: ["doc_key"],
    Runs: ["started"],
  };

  function defaultSupport(name, version) {
    const office = typeof Office !== "undefined" ? Office : null;
    if (!office || !office.context || !office.context.requirements) return true;
    return office.context.requirements.isSetSupported(name, version);
  }

  /** The header a docrelay column has, from the hidden sheet's rows (sheet, key, header, type). */
  function headerOf(hiddenRows, sheet, key) {
    for (const row of hiddenRows) {
      if (row[0] === sheet && row[1] === key && row[2]) return String(row[2]);
    }
    return key;
  }

  async function readSnapshot(context, options) {
    options = options || {};
    const supports = options.isSetSupported || defaultSupport;
    const workbook = context.workbook;
    const sheets = workbook.worksheets;
    sheets.load("items");
    await context.sync();
    const names = sheets.items.map((sheet) => sheet.name);
    const snapshot = { sheets: names, tables: {}, hidden: [], settings: [], threshold: null };
    if (!names.includes(DOCUMENTS)) return snapshot;

    // 2: the tables, the used ranges (for a table the user turned into a range), hidden sheet, settings.
    const found = {};
    for (const name of Object.keys(TABLES)) {
      if (!names.includes(name)) continue;
      const sheet = sheets.getItem(name);
      const tables = sheet.tables;
      tables.load("items");
      const used = sheet.getUsedRange();
      used.load("rowIndex,columnIndex,rowCount,columnCount");
      found[name] = { sheet, tables, used };
    }
    let hidden = null;
    if (names.includes(HIDDEN)) {
      hidden = sheets.getItem(HIDDEN).getUsedRange();
      hidden.load("values");
    }
    let settings = null;
    if (names.includes(SETTINGS)) {
      settings = sheets.getItem(SETTINGS).getRange("A1:B1000");
      settings.load("values");
    }
    let named = null;
    if (supports("ExcelApi", "1.4")) {
      named = workbook.names.getItemOrNullObject(THRESHOLD_NAME);
      named.load("isNullObject");
    }
    await context.sync();

    // 3: each table's place and header row; the threshold's cell.
    snapshot.hidden = hidden ? hidden.values : [];
    snapshot.settings = settings ? settings.values : [];
    const places = {};
    for (const [name, parts] of Object.entries(found)) {
      const table = parts.tables.items.find((t) => t.name === name) || parts.tables.items[0];
      let range;
      if (table) {
        range = table.getRange();
      } else {
        const used = parts.used;
        range = parts.sheet.getRange(applier.area(1, 1, used.rowIndex + used.rowCount, used.columnIndex + used.columnCount));
      }
      range.load("rowIndex,columnIndex,rowCount,columnCount");
      places[name] = { range, tableName: table ? table.name : name, sheet: parts.sheet };
    }
    let thresholdRange = null;
    if (named && !named.isNullObject) {
      thresholdRange = named.getRange();
      thresholdRange.load("values");
    }
    await context.sync();

    // 4: header rows and the docrelay key columns, each only over the table's data rows.
    const headerRanges = {};
    for (const [name, place] of Object.entries(places)) {
      const r = place.range;
      headerRanges[name] = place.sheet.getRange(applier.area(r.rowIndex + 1, r.columnIndex + 1, 1, r.columnCount));
      headerRanges[name].load("values");
    }
    if (thresholdRange) {
      const value = thresholdRange.values[0][0];
      snapshot.threshold = typeof value === "number" ? value : null;
    }
    await context.sync();

    const columnRanges = {};
    for (const [name, place] of Object.entries(places)) {
      const r = place.range;
      const headers = headerRanges[name].values[0].map((h) => (h === "" ? null : h));
      const rows = Math.max(r.rowCount - 1, 0);
      snapshot.tables[name] = {
        name: place.tableName,
        header_row: r.rowIndex + 1,
        first_column: r.columnIndex + 1,
        headers: headers,
        rows: rows,
        columns: {},
      };
      columnRanges[name] = {};
      for (const key of TABLES[name]) {
        const index = headers.indexOf(headerOf(snapshot.hidden, name, key));
        if (index < 0 || rows === 0) continue;
        const range = place.sheet.getRange(applier.area(r.rowIndex + 2, r.columnIndex + 1 + index, rows, 1));
        range.load("values");
        columnRanges[name][key] = range;
      }
    }
    if (Object.values(columnRanges).some((keys) => Object.keys(keys).length)) await context.sync();
    for (const [name, keys] of Object.entries(columnRanges)) {
      for (const [key, range] of Object.entries(keys)) {
        snapshot.tables[name].columns[key] = range.values.map((line) => (line[0] === "" ? null : line[0]));
      }
    }
    return snapshot;
  }

  /** The `source` texts of the Documents rows inside the user's selection (Push selected rows). */
  async function selectedSources(context) {
    const workbook = context.workbook;
    const selection = workbook.getSelectedRange();
    selection.load("rowIndex,rowCount");
    const sheet = selection.worksheet;
    sheet.load("name");
    const snapshot = await readSnapshot(context);
    await context.sync();
    if (sheet.name !== DOCUMENTS) return [];
    const table = snapshot.tables[DOCUMENTS];
    if (!table || !table.columns.source) return [];
    const sources = [];
    const first = table.header_row; // 0-based index of the first data row is header_row (1-based header)
    for (let i = 0; i < table.rows; i++) {
      const sheetRow = first + i;
      if (sheetRow >= selection.rowIndex && sheetRow < selection.rowIndex + selection.rowCount) {
        const source = table.columns.source[i];
        if (source) sources.push(String(source));
      }
    }
    return sources;
  }

  return { readSnapshot, selectedSources, headerOf };
});
