/*
 * Carry out the planner's actions (core/workbook/actions.py) in the open workbook with Office.js.
 * The planner decides everything; this file only maps each action to Excel calls.
 *
 * - Writes are queued and sent with one context.sync() per chunk of cells, never per cell or row.
 * - Text stays text: a string cell gets the number format "@" before its value is written, so an
 *   extracted "=HYPERLINK(...)" is never a formula. Dates arrive as Excel serial numbers with a format.
 * - Requirement sets are checked with Office.context.requirements.isSetSupported: a call an older
 *   Excel lacks is skipped (or done another way) and reported in `skipped`.
 */
(function (root, factory) {
  const api = factory();
  if (typeof module === "object" && module.exports) module.exports = api;
  else root.DocRelayApplier = api;
})(typeof self !== "undefined" ? self : this, function () {
  "use strict";

  const CHUNK_CELLS = 40000; // cells queued before a sync: a few syncs for a thousand documents
  const TABLE_STYLE = "TableStyleMedium2";
  const HEADER_FILL = "#DDEBF7";
  const HEADER_HEIGHT = 30;

  function columnLetter(index) {
    let letters = "";
    while (index > 0) {
      const rest = (index - 1) % 26;
      letters = String.fromCharCode(65 + rest) + letters;
      index = Math.floor((index - 1) / 26);
    }
    return letters;
  }

  function area(row, column, rows, columns) {
    const first = columnLetter(column) + row;
    if (rows === 1 && columns === 1) return first;
    return first + ":" + columnLetter(column + columns - 1) + (row + rows - 1);
  }

  /** Excel's column width is in points; the planner's (as openpyxl's) in characters. */
  function widthInPoints(characters) {
    return Math.round((characters * 7 + 5) * 0.75 * 100) / 100;
  }

  function defaultSupport(name, version) {
    const office = typeof Office !== "undefined" ? Office : null;
    if (!office || !office.context || !office.context.requirements) return true; // outside Office: a fake
    return office.context.requirements.isSetSupported(name, version);
  }

  /** Per-cell number formats for a block of values: "@" for text, else the column's format. */
  function formatsFor(values, formats) {
    return values.map((line) =>
      line.map((value, c) => {
        if (typeof value === "string") return "@";
        return (formats && formats[c]) || "General";
      }),
    );
  }

  function cellsOf(action) {
    if (action.op === "setValues") return action.values.length * (action.values[0] || []).length;
    return 1;
  }

  async function applyActions(context, actions, options) {
    options = options || {};
    const supports = options.isSetSupported || defaultSupport;
    const chunk = options.chunkCells || CHUNK_CELLS;
    const workbook = context.workbook;
    const report = { syncs: 0, applied: 0, skipped: [] };
    const sync = async () => {
      await context.sync();
      report.syncs += 1;
    };

    const sheets = workbook.worksheets;
    sheets.load("items");
    const canName = supports("ExcelApi", "1.4");
    const names = canName ? workbook.names : null;
    if (names) names.load("items");
    await sync();
    const existing = new Set(sheets.items.map((sheet) => sheet.name));
    const definedNames = new Set(names ? names.items.map((item) => item.name) : []);
    const sheetCache = new Map();
    const sheet = (name) => {
      if (!sheetCache.has(name)) sheetCache.set(name, sheets.getItem(name));
      return sheetCache.get(name);
    };
    const skip = (action, why) => report.skipped.push({ op: action.op, sheet: action.sheet, why: why });

    const handlers = {
      addSheet(action) {
        if (existing.has(action.sheet)) return;
        const added = sheets.add(action.sheet);
        existing.add(action.sheet);
        sheetCache.set(action.sheet, added);
        if (action.hidden) added.visibility = "Hidden";
      },
      setValues(action) {
        const rows = action.values.length;
        const columns = rows ? action.values[0].length : 0;
        if (!rows || !columns) return;
        const range = sheet(action.sheet).getRange(area(action.row, action.column, rows, columns));
        range.numberFormat = formatsFor(action.values, action.formats); // before the values: "@" first
        range.values = action.values.map((line) => line.map((value) => (value === null ? "" : value)));
      },
      setHyperlink(action) {
        if (!supports("ExcelApi", "1.7")) return skip(action, "hyperlinks need ExcelApi 1.7");
        const range = sheet(action.sheet).getRange(area(action.row, action.column, 1, 1));
        range.hyperlink = { address: action.target };
      },
      clearHyperlink(action) {
        if (!supports("ExcelApi", "1.7")) return skip(action, "hyperlinks need ExcelApi 1.7");
        sheet(action.sheet).getRange(area(action.row, action.column, 1, 1)).clear("Hyperlinks");
      },
      addTable(action) {
        const table = sheet(action.sheet).tables.add(action.ref, true);
        table.name = action.table;
        table.style = TABLE_STYLE;
      },
      resizeTable(action) {
        const tables = sheet(action.sheet).tables;
        if (supports("ExcelApi", "1.13")) {
          tables.getItem(action.table).resize(action.ref);
        } else if (supports("ExcelApi", "1.2")) {
          // Older Excel cannot resize a table: turn it into a range and lay a table over the new area.
          tables.getItem(action.table).convertToRange();
          const table = tables.add(action.ref, true);
          table.name = action.table;
          table.style = TABLE_STYLE;
        } else {
          skip(action, "resizing a table needs ExcelApi 1.2");
        }
      },
      deleteRows(action) {
        const last = action.row + action.count - 1;
        sheet(action.sheet).getRange(action.row + ":" + last).delete("Up");
      },
      defineName(action) {
        if (!names) return skip(action, "names need ExcelApi 1.4");
        if (definedNames.has(action.name)) names.getItem(action.name).delete();
        names.add(action.name, "=" + action.ref);
        definedNames.add(action.name);
      },
      addListValidation(action) {
        if (!supports("ExcelApi", "1.8")) return skip(action, "drop-down lists need ExcelApi 1.8");
        const range = sheet(action.sheet).getRange(action.ref);
        range.dataValidation.rule = { list: { inCellDropDown: true, source: action.values.join(",") } };
      },
      addHighlightRule(action) {
        if (!supports("ExcelApi", "1.6")) return skip(action, "conditional formats need ExcelApi 1.6");
        const format = sheet(action.sheet).getRange(action.ref).conditionalFormats.add("Custom");
        format.custom.rule.formula = "=" + action.formula;
        format.custom.format.fill.color = "#" + action.fill;
      },
      setColumnWidth(action) {
        if (!supports("ExcelApi", "1.2")) return skip(action, "column widths need ExcelApi 1.2");
        const letter = columnLetter(action.column);
        sheet(action.sheet).getRange(letter + ":" + letter).format.columnWidth = widthInPoints(action.width);
      },
      freezePanes(action) {
        if (!supports("ExcelApi", "1.7")) return skip(action, "freezing panes needs ExcelApi 1.7");
        const match = /^([A-Z]+)(\d+)$/.exec(action.cell);
        if (!match) return skip(action, "not a cell reference");
        let column = 0;
        for (const ch of match[1]) column = column * 26 + (ch.charCodeAt(0) - 64);
        const rows = Number(match[2]) - 1;
        const columns = column - 1;
        const panes = sheet(action.sheet).freezePanes;
        if (rows > 0 && columns > 0) panes.freezeAt(area(1, 1, rows, columns));
        else if (rows > 0) panes.freezeRows(rows);
        else if (columns > 0) panes.freezeColumns(columns);
      },
      styleHeader(action) {
        const range = sheet(action.sheet).getRange(area(action.row, action.column, 1, action.count));
        range.format.font.bold = true;
        range.format.fill.color = HEADER_FILL;
        range.format.wrapText = true;
        range.format.verticalAlignment = "Top";
        if (supports("ExcelApi", "1.2")) range.format.rowHeight = HEADER_HEIGHT;
      },
    };

    let queued = 0;
    for (const action of actions) {
      const handler = handlers[action.op];
      if (!handler) throw new Error("unknown workbook action " + JSON.stringify(action.op));
      handler(action);
      report.applied += 1;
      queued += cellsOf(action);
      if (queued >= chunk) {
        await sync();
        queued = 0;
      }
    }
    if (queued > 0) await sync();
    return report;
  }

  return { applyActions, columnLetter, area, formatsFor, widthInPoints, CHUNK_CELLS };
});
