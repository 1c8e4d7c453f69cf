/*
 * A fake Excel object model for the add-in's unit tests, built from office-addin-mock's
 * OfficeMockObject: reading a property before load() and context.sync() throws, as in Office.js.
 * Writes (range.values = ..., format.fill.color = ...) are recorded at each sync into `calls` and a
 * cell grid, so tests see which Excel calls each planner action made and how many syncs it took.
 */
"use strict";
const { OfficeMockObject } = require("office-addin-mock");

function columnIndex(letters) {
  let n = 0;
  for (const ch of letters) n = n * 26 + (ch.charCodeAt(0) - 64);
  return n;
}

/** "B2:D5" -> {row: 2, column: 2, rows: 4, columns: 3}; "3:5" whole rows; "C:C" a whole column. */
function parseArea(address) {
  const [first, last] = address.split(":");
  const cell = (text) => {
    const m = /^([A-Z]*)(\d*)$/.exec(text);
    return { column: m[1] ? columnIndex(m[1]) : null, row: m[2] ? Number(m[2]) : null };
  };
  const a = cell(first);
  const b = last ? cell(last) : a;
  return {
    row: a.row || 1,
    column: a.column || 1,
    rows: a.row && b.row ? b.row - a.row + 1 : 1048576,
    columns: a.column && b.column ? b.column - a.column + 1 : 16384,
  };
}

function isWrite(node, property) {
  const value = node[property];
  if (value === undefined || typeof value === "function") return false;
  if (typeof value === "string" && value.startsWith("Error, ")) return false;
  const inner = node._properties && node._properties.get(property);
  return !(inner && inner._loaded);
}

function makeExcel(options) {
  options = options || {};
  const supported = options.supported || "1.18";
  const calls = [];
  const grid = {}; // sheet -> {"row,col": value}
  const formats = {}; // sheet -> {"row,col": numberFormat}
  const created = []; // [kind, sheetName, address, mock]
  let syncs = 0;

  const cellsOf = (sheet) => (grid[sheet] = grid[sheet] || {});
  const formatsOf = (sheet) => (formats[sheet] = formats[sheet] || {});
  for (const [sheet, cells] of Object.entries(options.cells || {})) {
    for (const [address, value] of Object.entries(cells)) {
      const where = parseArea(address);
      cellsOf(sheet)[where.row + "," + where.column] = value;
    }
  }
  const tables = {}; // sheet -> [{name, address}]
  for (const [sheet, listed] of Object.entries(options.tables || {})) tables[sheet] = listed.slice();
  const names = Object.assign({}, options.names || {}); // name -> "Sheet!$B$3"

  function block(sheet, where) {
    const out = [];
    for (let r = 0; r < Math.min(where.rows, 2000); r++) {
      const line = [];
      for (let c = 0; c < Math.min(where.columns, 200); c++) {
        const value = cellsOf(sheet)[where.row + r + "," + (where.column + c)];
        line.push(value === undefined ? "" : value);
      }
      out.push(line);
    }
    return out;
  }

  function makeRange(sheet, address) {
    const where = parseArea(address);
    const mock = new OfficeMockObject({
      address: sheet + "!" + address,
      worksheet: { name: sheet },
      values: block(sheet, where),
      rowIndex: where.row - 1,
      columnIndex: where.column - 1,
      rowCount: where.rows,
      columnCount: where.columns,
      numberFormat: [],
      hyperlink: {},
      format: {
        font: { bold: false },
        fill: { color: "" },
        wrapText: false,
        verticalAlignment: "",
        columnWidth: 0,
        rowHeight: 0,
      },
      dataValidation: { rule: {} },
      conditionalFormats: {
        add(type) {
          calls.push(["conditionalFormats.add", sheet, address, type]);
          const format = new OfficeMockObject({ custom: { rule: { formula: "" }, format: { fill: { color: "" } } } });
          created.push(["conditionalFormat", sheet, address, format]);
          return format;
        },
      },
      clear(what) {
        calls.push(["clear", sheet, address, what]);
      },
      delete(shift) {
        calls.push(["delete", sheet, address, shift]);
      },
    });
    created.push(["range", sheet, address, mock]);
    return mock;
  }

  function tableMock(sheet, table) {
    return new OfficeMockObject({
      name: table.name,
      style: "",
      getRange: () => makeRange(sheet, table.address),
      resize(address) {
        calls.push(["table.resize", sheet, table.name, address]);
        table.address = address;
      },
      convertToRange() {
        calls.push(["table.convertToRange", sheet, table.name]);
        tables[sheet] = tables[sheet].filter((t) => t !== table);
      },
    });
  }

  const sheetMocks = {};
  function makeSheet(name) {
    const collection = {
      // Loaded items of a collection: their scalar properties read, their methods callable.
      items: (tables[name] || []).map((t) => ({ name: t.name, getRange: () => makeRange(name, t.address) })),
      add(address, hasHeaders) {
        const table = { name: "Table" + (Object.keys(tables).length + 1), address };
        tables[name] = tables[name] || [];
        tables[name].push(table);
        calls.push(["tables.add", name, address, hasHeaders]);
        const mock = tableMock(name, table);
        created.push(["table", name, address, mock, table]);
        return mock;
      },
      getItem(tableName) {
        const table = (tables[name] || []).find((t) => t.name === tableName);
        if (!table) throw new Error("no table " + tableName);
        return tableMock(name, table);
      },
    };
    const sheet = new OfficeMockObject({
      name,
      visibility: "Visible",
      tables: collection,
      freezePanes: {
        freezeRows: (n) => calls.push(["freezeRows", name, n]),
        freezeColumns: (n) => calls.push(["freezeColumns", name, n]),
        freezeAt: (a) => calls.push(["freezeAt", name, a]),
      },
      getRange: (address) => makeRange(name, address),
      getUsedRange() {
        const keys = Object.keys(cellsOf(name)).map((k) => k.split(",").map(Number));
        const rows = Math.max(1, ...keys.map((k) => k[0]));
        const columns = Math.max(1, ...keys.map((k) => k[1]));
        return makeRange(name, "A1:" + letter(columns) + rows);
      },
    });
    sheetMocks[name] = sheet;
    return sheet;
  }
  function letter(index) {
    let s = "";
    while (index > 0) {
      s = String.fromCharCode(65 + ((index - 1) % 26)) + s;
      index = Math.floor((index - 1) / 26);
    }
    return s;
  }

  const sheetNames = (options.sheets || ["Sheet1"]).slice();
  const context = new OfficeMockObject({
    workbook: {
      worksheets: {
        items: sheetNames.map((name) => ({ name })),
        getItem(name) {
          if (!sheetNames.includes(name)) throw new Error("ItemNotFound: " + name);
          return sheetMocks[name] || makeSheet(name);
        },
        add(name) {
          calls.push(["worksheets.add", name]);
          sheetNames.push(name);
          return makeSheet(name);
        },
      },
      names: {
        items: Object.keys(names).map((name) => ({ name })),
        add(name, reference) {
          calls.push(["names.add", name, reference]);
          names[name] = reference;
        },
        getItem(name) {
          return { delete: () => calls.push(["names.delete", name]) };
        },
        getItemOrNullObject(name) {
          const reference = names[name];
          const found = new OfficeMockObject({
            isNullObject: !reference,
            getRange: () => {
              const [sheet, cell] = reference.replace(/^=/, "").replace(/\$/g, "").split("!");
              return makeRange(sheet, cell);
            },
          });
          created.push(["name", null, name, found]);
          return found;
        },
      },
      getSelectedRange: () => makeRange(options.selection ? options.selection[0] : "Documents", options.selection ? options.selection[1] : "A2"),
    },
  });

  function commit() {
    for (const [kind, sheet, address, mock, table] of created) {
      if (kind === "range") {
        const where = parseArea(address);
        if (isWrite(mock, "numberFormat")) {
          calls.push(["numberFormat", sheet, address, mock.numberFormat]);
          mock.numberFormat.forEach((line, r) =>
            line.forEach((f, c) => (formatsOf(sheet)[where.row + r + "," + (where.column + c)] = f)),
          );
          mock.numberFormat = "Error, property was not loaded";
        }
        if (isWrite(mock, "values")) {
          calls.push(["values", sheet, address, mock.values]);
          mock.values.forEach((line, r) =>
            line.forEach((v, c) => (cellsOf(sheet)[where.row + r + "," + (where.column + c)] = v)),
          );
          mock.values = "Error, property was not loaded";
        }
        if (mock.hyperlink && mock.hyperlink.address) {
          calls.push(["hyperlink", sheet, address, mock.hyperlink.address]);
          mock.hyperlink = {};
        }
        const f = mock.format;
        for (const [path, value] of [
          ["format.font.bold", f.font.bold],
          ["format.fill.color", f.fill.color],
          ["format.wrapText", f.wrapText],
          ["format.verticalAlignment", f.verticalAlignment],
          ["format.columnWidth", f.columnWidth],
          ["format.rowHeight", f.rowHeight],
        ]) {
          if (value !== undefined && !(typeof value === "string" && value.startsWith("Error, ")) && value !== false && value !== "" && value !== 0) {
            calls.push([path, sheet, address, value]);
          }
        }
        f.font.bold = f.fill.color = f.wrapText = f.verticalAlignment = f.columnWidth = f.rowHeight = undefined;
        const rule = mock.dataValidation.rule;
        if (rule && rule.list) {
          calls.push(["dataValidation", sheet, address, rule.list.source]);
          mock.dataValidation.rule = {};
        }
      } else if (kind === "conditionalFormat" && mock.custom.rule.formula && !mock._recorded) {
        calls.push(["conditionalFormat", sheet, address, mock.custom.rule.formula, mock.custom.format.fill.color]);
        mock._recorded = true;
      } else if (kind === "table" && !mock._recorded) {
        table.name = mock.name;
        calls.push(["table", sheet, address, mock.name, mock.style]);
        mock._recorded = true;
      }
    }
    for (const [name, sheet] of Object.entries(sheetMocks)) {
      if (sheet.visibility === "Hidden" && !sheet._hiddenRecorded) {
        calls.push(["visibility", name, "Hidden"]);
        sheet._hiddenRecorded = true;
      }
    }
  }

  const mockSync = context.sync.bind(context);
  context.sync = async () => {
    syncs += 1;
    commit();
    await mockSync();
    for (const entry of created) await entry[3].sync();
    for (const sheet of Object.values(sheetMocks)) {
      await sheet.sync();
      await sheet.tables.sync();
    }
  };

  const isSetSupported = (name, version) => {
    const [major, minor] = version.split(".").map(Number);
    const [smajor, sminor] = supported.split(".").map(Number);
    return major < smajor || (major === smajor && minor <= sminor);
  };

  return {
    context,
    calls,
    isSetSupported,
    get syncs() {
      return syncs;
    },
    cell: (sheet, row, column) => cellsOf(sheet)[row + "," + column],
    format: (sheet, row, column) => formatsOf(sheet)[row + "," + column],
    tables,
    names,
  };
}

module.exports = { makeExcel, parseArea };
