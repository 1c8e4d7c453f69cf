/*
 * Injected by Playwright before the task pane loads (tests/test_excel_pane_browser.py): a fake `Office`
 * and `Excel` good enough for the pane's applier and reader, holding the workbook in
 * window.__workbook (sheet -> {"row,col": value}) so that the test can read what Pull wrote.
 */
(function () {
  "use strict";
  const book = { sheets: ["Sheet1"], cells: { Sheet1: {} }, formats: {}, tables: {}, names: {}, links: {}, hidden: {} };
  window.__workbook = book;
  const settings = {};

  function columnIndex(letters) {
    let n = 0;
    for (const ch of letters) n = n * 26 + (ch.charCodeAt(0) - 64);
    return n;
  }
  function area(address) {
    const [a, b] = address.split(":");
    const cell = (t) => {
      const m = /^([A-Z]*)(\d*)$/.exec(t);
      return { c: m[1] ? columnIndex(m[1]) : 1, r: m[2] ? Number(m[2]) : 1, wholeRows: !m[1], wholeColumns: !m[2] };
    };
    const x = cell(a);
    const y = b ? cell(b) : x;
    return { row: x.r, column: x.c, rows: x.wholeColumns ? 1048576 : y.r - x.r + 1, columns: x.wholeRows ? 16384 : y.c - x.c + 1 };
  }
  function cellsOf(sheet) {
    return (book.cells[sheet] = book.cells[sheet] || {});
  }
  function range(sheet, address) {
    const w = area(address);
    const grid = cellsOf(sheet);
    const read = () => {
      const out = [];
      for (let r = 0; r < Math.min(w.rows, 5000); r++) {
        const line = [];
        for (let c = 0; c < Math.min(w.columns, 300); c++) {
          const v = grid[w.row + r + "," + (w.column + c)];
          line.push(v === undefined ? "" : v);
        }
        out.push(line);
      }
      return out;
    };
    return {
      load() { return this; },
      get values() { return read(); },
      set values(v) {
        v.forEach((line, r) => line.forEach((x, c) => { grid[w.row + r + "," + (w.column + c)] = x; }));
      },
      set numberFormat(v) {
        const formats = (book.formats[sheet] = book.formats[sheet] || {});
        v.forEach((line, r) => line.forEach((x, c) => { formats[w.row + r + "," + (w.column + c)] = x; }));
      },
      set hyperlink(v) { book.links[sheet + "!" + address] = v.address; },
      worksheet: { name: sheet, load() { return this; } },
      rowIndex: w.row - 1, columnIndex: w.column - 1, rowCount: w.rows, columnCount: w.columns,
      format: { font: {}, fill: {} },
      dataValidation: {},
      conditionalFormats: { add: () => ({ custom: { rule: {}, format: { fill: {} } } }) },
      clear() {},
      delete() {},
    };
  }
  function sheetOf(name) {
    const tables = () => (book.tables[name] = book.tables[name] || []);
    return {
      name,
      load() { return this; },
      set visibility(v) { book.hidden[name] = v; },
      getRange: (address) => range(name, address),
      getUsedRange() {
        const keys = Object.keys(cellsOf(name)).map((k) => k.split(",").map(Number));
        const rows = Math.max(1, ...keys.map((k) => k[0]));
        const cols = Math.max(1, ...keys.map((k) => k[1]));
        let letters = "";
        let n = cols;
        while (n > 0) { letters = String.fromCharCode(65 + ((n - 1) % 26)) + letters; n = Math.floor((n - 1) / 26); }
        return range(name, "A1:" + letters + rows);
      },
      freezePanes: { freezeRows() {}, freezeColumns() {}, freezeAt() {} },
      tables: {
        load() { return this; },
        get items() { return tables().map((t) => ({ name: t.name, getRange: () => range(name, t.ref) })); },
        add(ref) { const t = { name: "Table", ref }; tables().push(t); return { set name(v) { t.name = v; }, set style(v) {} }; },
        getItem(tableName) {
          const t = tables().find((x) => x.name === tableName);
          return { resize(ref) { t.ref = ref; }, convertToRange() {} };
        },
      },
    };
  }
  const context = {
    workbook: {
      worksheets: {
        load() { return this; },
        get items() { return book.sheets.map((name) => ({ name })); },
        getItem: (name) => sheetOf(name),
        add(name) { book.sheets.push(name); cellsOf(name); return sheetOf(name); },
      },
      names: {
        load() { return this; },
        get items() { return Object.keys(book.names).map((name) => ({ name })); },
        add(name, ref) { book.names[name] = ref; },
        getItem: (name) => ({ delete() { delete book.names[name]; } }),
        getItemOrNullObject(name) {
          const ref = book.names[name];
          return {
            load() { return this; },
            isNullObject: !ref,
            getRange() { const [s, c] = ref.replace(/^=/, "").replace(/\$/g, "").split("!"); return range(s, c); },
          };
        },
      },
      getSelectedRange: () => range("Documents", "A2"),
    },
    sync: async () => { window.__syncs = (window.__syncs || 0) + 1; },
  };
  window.Office = {
    onReady(callback) {
      setTimeout(() => callback({ host: null, platform: null }), 0);
      return Promise.resolve({ host: null, platform: null });
    },
    context: {
      document: {
        url: null,
        settings: { get: (k) => (k in settings ? settings[k] : null), set: (k, v) => { settings[k] = v; }, saveAsync: (cb) => cb && cb({ status: "succeeded" }) },
      },
      requirements: { isSetSupported: () => true },
    },
  };
  window.Excel = { run: (fn) => fn(context) };
})();
