import JSZip from "jszip";
import { SaxesParser } from "saxes";
import type { Block, GridCell, Paragraph, SourceDocument, Table } from "../document.js";
import { ImportError } from "../errors.js";
import { Numbering, readStyles, type StyleInfo } from "./docx-numbering.js";
import { ACCEPTED } from "./limits.js";

/**
 * .docx → blocks. Word's XML is read with a streaming parser (saxes) rather than a DOM: a plan's document.xml can
 * be megabytes, and we only need paragraphs, runs' text and table structure. Merges are read as Word stores them:
 * `w:gridSpan` widens a cell over grid columns, `w:vMerge` without "restart" continues the cell above — so a lead unit
 * merged down over three measures is one cell covering three rows, not three cells with two of them empty.
 */
interface Para {
  text: string;
  numId?: string;
  ilvl?: number;
  style?: string;
}

interface Cell {
  span: number;
  vMerge: "restart" | "continue" | null;
  paras: string[];
}

interface Row {
  before: number;
  cells: Cell[];
}

interface TableCtx {
  rows: Row[];
  row: Row | null;
  cell: Cell | null;
}

export async function readDocx(bytes: Uint8Array): Promise<SourceDocument> {
  let zip: JSZip;
  try {
    zip = await JSZip.loadAsync(bytes);
  } catch {
    throw new ImportError("corrupt_file", `Word 文件已损坏，无法打开：请在 Word 或 WPS 中打开后另存为 .docx 再发送。${ACCEPTED}`);
  }
  const part = (name: string) => zip.file(name)?.async("string") ?? Promise.resolve(null);
  const [body, numberingXml, stylesXml] = await Promise.all([part("word/document.xml"), part("word/numbering.xml"), part("word/styles.xml")]);
  if (body === null) throw new ImportError("corrupt_file", `Word 文件缺少正文部分，无法读取。${ACCEPTED}`);
  try {
    return readBody(body, new Numbering(numberingXml), readStyles(stylesXml));
  } catch (e) {
    if (e instanceof ImportError) throw e;
    throw new ImportError("corrupt_file", `Word 文件内容已损坏（${(e as Error).message.slice(0, 60)}）：请另存为 .docx 后再发送。${ACCEPTED}`);
  }
}

function readBody(xml: string, numbering: Numbering, styles: Map<string, StyleInfo>): SourceDocument {
  const blocks: Block[] = [];
  const tables: TableCtx[] = [];
  const paras: Para[] = [];
  let ordinal = 0;
  let inText = false;
  let runDepth = 0;
  // mc:Fallback repeats what mc:Choice holds (text boxes, shapes); reading both would double the text.
  let skipDepth = 0;

  const p = new SaxesParser();
  p.on("opentag", (t) => {
    if (skipDepth > 0) {
      if (!t.isSelfClosing) skipDepth++;
      return;
    }
    const a = t.attributes as Record<string, string>;
    const val = a["w:val"];
    const para = paras[paras.length - 1];
    const table = tables[tables.length - 1];
    switch (t.name) {
      case "mc:Fallback":
        if (!t.isSelfClosing) skipDepth = 1;
        break;
      case "w:p":
        paras.push({ text: "" });
        break;
      case "w:pStyle":
        if (para && val) para.style = val;
        break;
      case "w:numId":
        if (para && val) para.numId = val;
        break;
      case "w:ilvl":
        if (para && val) para.ilvl = Number(val);
        break;
      case "w:r":
        runDepth++;
        break;
      case "w:t":
        inText = true;
        break;
      case "w:tab":
        if (runDepth > 0 && para) para.text += " ";
        break;
      case "w:br":
      case "w:cr":
        if (runDepth > 0 && para && a["w:type"] !== "page") para.text += "\n";
        break;
      case "w:noBreakHyphen":
        if (para) para.text += "-";
        break;
      case "w:tbl":
        tables.push({ rows: [], row: null, cell: null });
        break;
      case "w:tr":
        if (table) table.row = { before: 0, cells: [] };
        break;
      case "w:gridBefore":
        if (table?.row && val) table.row.before = Number(val) || 0;
        break;
      case "w:tc":
        if (table) table.cell = { span: 1, vMerge: null, paras: [] };
        break;
      case "w:gridSpan":
        if (table?.cell && val) table.cell.span = Math.max(1, Number(val) || 1);
        break;
      case "w:vMerge":
        if (table?.cell) table.cell.vMerge = val === "restart" ? "restart" : "continue";
        break;
    }
  });
  p.on("text", (s) => {
    if (inText && skipDepth === 0) {
      const para = paras[paras.length - 1];
      if (para) para.text += s;
    }
  });
  p.on("closetag", (t) => {
    if (skipDepth > 0) {
      if (!t.isSelfClosing) skipDepth--;
      return;
    }
    const table = tables[tables.length - 1];
    switch (t.name) {
      case "w:t":
        inText = false;
        break;
      case "w:r":
        runDepth = Math.max(0, runDepth - 1);
        break;
      case "w:p": {
        const para = paras.pop();
        if (!para) break;
        const style = para.style ? styles.get(para.style) : undefined;
        const numId = para.numId ?? style?.numId;
        const ilvl = para.ilvl ?? style?.ilvl ?? 0;
        const label = numId && numId !== "0" ? numbering.next(numId, ilvl) : "";
        if (table?.cell) {
          table.cell.paras.push(label + para.text);
        } else {
          ordinal++;
          const block: Paragraph = { kind: "paragraph", text: para.text, at: { line: ordinal } };
          if (label) block.label = label;
          const level = numId && numId !== "0" ? ilvl : style?.outline;
          if (level !== undefined) block.level = level;
          blocks.push(block);
        }
        break;
      }
      case "w:tc":
        if (table?.row && table.cell) table.row.cells.push(table.cell);
        if (table) table.cell = null;
        break;
      case "w:tr":
        if (table?.row) table.rows.push(table.row);
        if (table) table.row = null;
        break;
      case "w:tbl": {
        const done = tables.pop();
        if (!done) break;
        const grid = buildGrid(done.rows);
        const outer = tables[tables.length - 1];
        if (outer?.cell) {
          // A table inside a cell is that cell's content: keep its text, one row per line.
          outer.cell.paras.push(...grid.map((r) => r.filter((c, k) => k === 0 || c.origin !== r[k - 1]!.origin).map((c) => c.text).join(" ")));
        } else if (grid.length > 0) {
          ordinal++;
          blocks.push({ kind: "table", grid, at: { line: ordinal } } satisfies Table);
        }
        break;
      }
    }
  });
  p.write(xml).close();
  return { format: "docx", blocks, warnings: [] };
}

/** Word rows (cells with spans and vertical-merge marks) → a rectangular grid whose slots know their origin. */
function buildGrid(rows: Row[]): GridCell[][] {
  const grid: GridCell[][] = [];
  rows.forEach((row, r) => {
    const out: GridCell[] = [];
    for (let k = 0; k < row.before; k++) out.push({ text: "", origin: { row: r, col: out.length } });
    for (const cell of row.cells) {
      const col = out.length;
      const above = r > 0 ? grid[r - 1]![col] : undefined;
      let slot: GridCell;
      if (cell.vMerge === "continue" && above) {
        slot = { text: above.text, origin: above.origin };
      } else {
        slot = { text: cell.paras.join("\n").trim(), origin: { row: r, col } };
      }
      for (let k = 0; k < cell.span; k++) out.push(k === 0 ? slot : { text: slot.text, origin: slot.origin });
    }
    grid.push(out);
  });
  const width = Math.max(0, ...grid.map((r) => r.length));
  grid.forEach((r, row) => {
    while (r.length < width) r.push({ text: "", origin: { row, col: r.length } });
  });
  return grid;
}
