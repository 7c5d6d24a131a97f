import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { fixedClock } from "../src/clock.js";
import type { SourceDocument } from "../src/importer/document.js";
import { planFromDocument } from "../src/importer/from-document.js";
import { parseDocument } from "../src/importer/parse.js";
import { importDocument, sha256Hex } from "../src/importer/store.js";
import { openSqlite } from "../src/store/sqlite.js";

const seed = (prefix: string) => {
  const f = readdirSync("seeds").find((x) => x.startsWith(prefix))!;
  return readFileSync(join("seeds", f), "utf8");
};

const HEADER = "某某区人民政府办公室\n2025年3月1日\n某某区卫生健康工作实施方案\n";

describe("importer: the formats of this genre", () => {
  it("reads numbered measures with a trailing (责任单位:…) and keeps the short title", () => {
    const p = parseDocument(HEADER + "一、重点任务\n(一)强化基层\n1.夯实服务网底。到2027年,全区建成甲级中心5个。(责任单位:区卫健委、区发改委、各街道)\n");
    expect(p.jurisdiction).toBe("某某区");
    expect(p.issued).toBe("2025-03-01");
    expect(p.tasks).toHaveLength(1);
    const t = p.tasks[0]!;
    expect(t).toMatchObject({ code: "1", section: "强化基层", title: "夯实服务网底", units: ["区卫健委", "区发改委", "各街道"], lead: ["区卫健委"] });
    expect(t.indicators).toEqual([expect.objectContaining({ target: 5, unit: "个", cmp: ">=", year: 2027 })]);
  });

  it("reads 〔…等按职责分工负责〕 on Chinese-numbered items and keeps 各县(市、区) whole", () => {
    const p = parseDocument(HEADER + "一、强化组织领导。实现所有县(市、区)建立台账。〔市卫生健康委,各县(市、区)按职责分工负责〕\n二、深化医疗中心建设。支持申报。(市发展改革委、市卫生健康委等按职责分工负责)\n");
    expect(p.tasks.map((t) => t.units)).toEqual([["市卫生健康委", "各县(市、区)"], ["市发展改革委", "市卫生健康委"]]);
  });

  it("reads units on their own line, and reports an orphan 责任单位 line instead of inventing a measure", () => {
    const p = parseDocument(HEADER + "(一)构建医共体\n1.建立管理体制。成立工作专班。\n责任单位:市卫生健康局、市财政局\n责任单位:市医疗保障局\n");
    expect(p.tasks).toHaveLength(1);
    expect(p.tasks[0]!.units).toEqual(["市卫生健康局", "市财政局"]);
    expect(p.warnings.some((w) => w.includes("责任单位") && w.includes("未导入"))).toBe(true);
  });

  it("reads explicit 牵头单位/配合单位 and a per-task 完成时限", () => {
    const p = parseDocument(HEADER + "1.推进信息化建设，年底前上线平台。完成时限:2025年6月30日。(牵头单位:区大数据局;配合单位:区卫健委、区财政局)\n");
    const t = p.tasks[0]!;
    expect(t.lead).toEqual(["区大数据局"]);
    expect(t.support).toEqual(["区卫健委", "区财政局"]);
    expect(t.deadline).toBe("2025-06-30");
  });

  it("reads a tab-flattened table whose empty cells inherit from the row above (merged cells)", () => {
    const table = [
      "\t重点任务", "\t任务小项", "\t序号", "\t具体措施", "\t责任单位", "",
      "\t完善服务体系", "\t夯实网底", "\t", "\t优化村卫生室设置，实现乡村全覆盖。", "\t区卫生健康委、区发展改革委", "",
      "\t", "\t", "\t", "\t2026年底，80%以上村卫生室达到基本标准。", "\t", "",
      "\t", "\t强化卫生院", "\t", "\t建设甲级卫生院不少于3个。", "\t区卫生健康委", "",
    ].join("\n");
    const p = parseDocument("某某区人民政府办公室\n2024年9月9日\n某某区任务分解表\n" + table);
    expect(p.tasks.map((t) => [t.code, t.section, t.title, t.units.join("、")])).toEqual([
      ["r1", "完善服务体系", "夯实网底", "区卫生健康委、区发展改革委"],
      ["r2", "完善服务体系", "夯实网底", "区卫生健康委、区发展改革委"],
      ["r3", "完善服务体系", "强化卫生院", "区卫生健康委"],
    ]);
    expect(p.tasks[0]!.indicators[0]).toMatchObject({ target: 100, unit: "%", cmp: "=" });
    expect(p.tasks[1]!.indicators[0]).toMatchObject({ target: 80, unit: "%", cmp: ">=", year: 2026 });
  });

  it("reads a pipe table, one cell per line", () => {
    const table = ["序号 |", "具体措施 |", "责任单位 |", "", "1 |", "建成社区医院2个。 |", "区卫健委、区住建委 |", "", "2 |", "每千人口注册护士数不低于21人。 |", "区卫健委 |"].join("\n");
    const p = parseDocument("某某区人民政府办公室\n2024年1月2日\n某某区重点任务清单\n" + table);
    expect(p.tasks.map((t) => [t.code, t.units])).toEqual([["1", ["区卫健委", "区住建委"]], ["2", ["区卫健委"]]]);
    expect(p.tasks[1]!.indicators[0]).toMatchObject({ target: 21, unit: "人", cmp: ">=" });
  });

  it("reads traditional characters and a damaged web copy (?? prefixes, junk first line)", () => {
    const p = parseDocument("精品乐园在线入口 The People's Government\n??某某市衛生健康局\n??2025年4月9日\n??某某市實施方案\n??1.加強醫療機構建設,實現全覆蓋。\n??責任單位:市衛生健康局\n");
    // Read through simplified characters, printed back as the document spelled them (the scorer matches substrings).
    expect(p.title).toBe("某某市實施方案");
    expect(p.tasks[0]!.units).toEqual(["市衛生健康局"]);
    expect(p.tasks[0]!.indicators[0]).toMatchObject({ target: 100, cmp: "=", quote: "實現全覆蓋" });
    expect(p.warnings.join("\n")).toMatch(/\?\?|网页/);
  });

  it("reads ceilings and several targets in one phrase, one indicator per number", () => {
    const p = parseDocument(HEADER + "1.孕产妇死亡率、婴儿死亡率分别控制在12/10万、3.5‰以内,规范管理率分别达到98%以上、92%。(责任单位:区卫健委)\n");
    expect(p.tasks[0]!.indicators.map((i) => [i.target, i.unit, i.cmp])).toEqual([
      [12, "/10万", "<="], [3.5, "‰", "<="], [98, "%", ">="], [92, "%", ">="],
    ]);
  });

  it("does not take planning norms, ranges or subject counts for targets", () => {
    const p = parseDocument(HEADER + "1.每3万—10万人规划设置1个社区卫生服务中心,4家公立医院实现100%全覆盖。(责任单位:区卫健委)\n");
    expect(p.tasks[0]!.indicators.map((i) => [i.target, i.cmp])).toEqual([[100, "="]]);
  });

  it("a numbered item without any responsible unit is prose, not a measure", () => {
    const p = parseDocument(HEADER + "三、组织实施\n(一)强化组织领导。各单位要高度重视。\n");
    expect(p.tasks).toEqual([]);
  });

  it("makes own-line sub-items that each name units into measures of their own; shared units keep one measure", () => {
    const own = parseDocument(HEADER + "1.推进医共体建设。\n(1)组建医疗集团。(责任单位:区卫健委)\n(2)统一药品目录。(责任单位:区医保局、区卫健委)\n");
    expect(own.tasks.map((t) => [t.code, t.units])).toEqual([["1(1)", ["区卫健委"]], ["1(2)", ["区医保局", "区卫健委"]]]);
    const shared = parseDocument(HEADER + "1.推进医共体建设。\n(1)组建医疗集团。\n(2)统一药品目录。(责任单位:区医保局、区卫健委)\n");
    expect(shared.tasks.map((t) => [t.code, t.units])).toEqual([["1", ["区医保局", "区卫健委"]]]);
  });

  it("reads full-width numbering and numbers (１．…达到８５％)", () => {
    const p = parseDocument(HEADER + "１．提升签约服务，覆盖率达到８５％。（责任单位：区卫健委）\n");
    expect(p.tasks[0]).toMatchObject({ code: "1", units: ["区卫健委"] });
    expect(p.tasks[0]!.indicators[0]).toMatchObject({ target: 85, unit: "%", cmp: ">=" });
  });

  it("reads a table with separate 牵头单位 / 配合单位 / 完成时限 columns", () => {
    const table = ["\t序号", "\t工作任务", "\t牵头单位", "\t配合单位", "\t完成时限", "", "\t1", "\t建成智慧医院2家。", "\t区卫健委", "\t区大数据局、区财政局", "\t2025年12月底", "", "\t2", "\t推广电子健康卡。", "\t区医保局", "\t", "\t"].join("\n");
    const p = parseDocument("某某区人民政府办公室\n2025年1月2日\n某某区任务分工方案\n" + table);
    expect(p.tasks.map((t) => [t.code, t.lead, t.support, t.deadline])).toEqual([
      ["1", ["区卫健委"], ["区大数据局", "区财政局"], "2025-12-31"],
      // Its 配合单位 cell is empty beside its own lead: a text copy cannot show it merged, so it is empty.
      ["2", ["区医保局"], [], "2025-12-31"],
    ]);
  });

  it("reads units given on lines after a heading-style measure, and 牵头/配合 on separate lines", () => {
    const p = parseDocument(HEADER + "一、重点任务\n（一）推进家庭医生签约。扩大签约覆盖面，签约率达到45%。\n牵头单位：区卫健委\n配合单位：区医保局、各街道\n（二）加强宣传。\n（牵头单位：区委宣传部 配合单位：区卫健委）\n");
    expect(p.tasks.map((t) => [t.code, t.lead, t.support])).toEqual([
      ["(1)", ["区卫健委"], ["区医保局", "各街道"]],
      ["(2)", ["区委宣传部"], ["区卫健委"]],
    ]);
    expect(p.tasks[0]!.indicators[0]).toMatchObject({ target: 45, unit: "%" });
  });

  it("reads roles written after the names (A牵头，B、C配合) and a rate stated before its number", () => {
    const p = parseDocument(HEADER + "1.提高产前筛查质量，产前筛查率90%。(区卫健委牵头，区妇联、区医保局配合)\n");
    expect(p.tasks[0]).toMatchObject({ lead: ["区卫健委"], support: ["区妇联", "区医保局"] });
    expect(p.tasks[0]!.indicators.map((i) => [i.target, i.unit, i.cmp])).toEqual([[90, "%", ">="]]);
  });

  it("reads shares that must reach a standard and counts to carry out, each with a readable name", () => {
    const p = parseDocument(HEADER + "1.实施100个村卫生室标准化建设，2024年底，50%以上村卫生室达到基本标准，其中10%达到推荐标准。(责任单位:区卫健委)\n");
    expect(p.tasks[0]!.indicators.map((i) => [i.name, i.target, i.unit, i.year])).toEqual([
      // The year comes after the 100 and opens a new clause: it dates what follows, not what came before.
      ["村卫生室标准化建设数", 100, "个", null],
      ["村卫生室达到基本标准的比例", 50, "%", 2024],
      ["达到推荐标准的比例", 10, "%", 2024],
    ]);
  });

  it("continues a target verb into the next clause (建成2个专科,1个中心) and reads 召开一次 as a frequency", () => {
    const p = parseDocument(HEADER + "1.年内建成2个中医特色专科,1个适宜技术推广中心,领导小组每半年召开一次专题会议。(责任单位:区卫健委)\n");
    expect(p.tasks[0]!.indicators.map((i) => [i.target, i.unit, i.cmp])).toEqual([[2, "个", ">="], [1, "个", ">="], [1, "次", ">="]]);
    expect(p.tasks[0]!.indicators[2]!.quote).toContain("召开一次");
  });

  it("reads a pipe table written one row per line (markdown), with merged cells, roles, deadlines and a stated baseline", () => {
    const table = [
      "| 序号 | 重点任务 | 具体措施 | 牵头单位 | 配合单位 | 完成时限 |",
      "|---|---|---|---|---|---|",
      "| 1 | 基层能力 | 家庭医生签约率由2023年的75%提高到80%。 | 县卫健局 | 县医保局、各乡镇 | 2025年12月 |",
      "| 2 |  | 建成甲级卫生院3个。 | 县卫健局 |  |  |",
      "| 3 | 医保改革 | 推进按病组付费。 | 县医保局 | 县卫健局 | 长期坚持 |",
    ].join("\n");
    const p = parseDocument("某某县人民政府办公室\n2025年3月1日\n某某县卫生健康工作任务分解表\n" + table);
    expect(p.tasks.map((t) => [t.code, t.section, t.lead, t.support, t.deadline])).toEqual([
      ["1", "基层能力", ["县卫健局"], ["县医保局", "各乡镇"], "2025-12-31"],
      ["2", "基层能力", ["县卫健局"], [], "2025-12-31"],
      ["3", "医保改革", ["县医保局"], ["县卫健局"], null],
    ]);
    expect(p.tasks[0]!.indicators).toEqual([
      expect.objectContaining({ name: "家庭医生签约率", target: 80, cmp: ">=", year: 2025, due_year_source: "deadline", baseline: 75, baseline_year: 2023 }),
    ]);
  });

  it("takes the most specific column as the measure (具体措施 over 主要任务, whatever their order)", () => {
    const p = parseDocument(HEADER + "| 序号 | 主要任务 | 具体措施 | 责任单位 | 完成时限 |\n| 1 | 强基层 | 建成甲级卫生院3个。 | 区卫健委 | 2025年底 |\n| 2 |  | 签约率达到80%。 | 区卫健委、区医保局 | 2026年 |\n");
    expect(p.tasks.map((t) => [t.code, t.section, t.text, t.deadline])).toEqual([
      ["1", "强基层", "建成甲级卫生院3个。", "2025-12-31"],
      ["2", "强基层", "签约率达到80%。", "2026-12-31"],
    ]);
  });

  it("reads a table whose rows are lines of tab-separated cells", () => {
    const p = parseDocument(HEADER + "序号\t具体措施\t责任单位\n1\t建成社区医院2个。\t区卫健委、区发改委\n2\t孕产妇死亡率控制在10/10万以下。\t\n");
    expect(p.tasks.map((t) => [t.code, t.units])).toEqual([["1", ["区卫健委", "区发改委"]], ["2", ["区卫健委", "区发改委"]]]);
    expect(p.tasks[1]!.indicators[0]).toMatchObject({ target: 10, unit: "/10万", cmp: "<=" });
  });

  it("reads a one-cell-per-line table without blank lines: rows start at their number, (一) rows name the section", () => {
    const cells = ["序号 |", "工作内容 |", "责任单位 |", "(一) |", "强化基层 | ||", "1 |", "建成甲级中心5个。 |", "区卫健委、各街道 |", "2 |", "签约覆盖率达到80%。 |", "区卫健委 |", "(二) |", "医保改革 | ||", "3 |", "推进支付方式改革。 |", "区医保局 |"];
    const p = parseDocument(HEADER + cells.join("\n"));
    expect(p.tasks.map((t) => [t.code, t.section, t.units.join("、")])).toEqual([
      ["1", "强化基层", "区卫健委、各街道"],
      ["2", "强化基层", "区卫健委"],
      ["3", "医保改革", "区医保局"],
    ]);
  });

  it("joins a cell whose text breaks across a page back together and reads the rows after it", () => {
    const rows = ["\t重点任务", "\t具体措施", "\t责任单位", "", "\t强化基层", "\t建设甲级社区卫生服务中心，推进家庭医生签约服务和", "", "慢病管理，覆盖率达到80%。", "\t区卫健委", "", "\t", "\t推进医保支付方式改革。", "\t区医保局"];
    const p = parseDocument(HEADER + rows.join("\n"));
    expect(p.tasks.map((t) => [t.text, t.units.join("、")])).toEqual([
      ["建设甲级社区卫生服务中心，推进家庭医生签约服务和慢病管理，覆盖率达到80%。", "区卫健委"],
      ["推进医保支付方式改革。", "区医保局"],
    ]);
    expect(p.tasks[0]!.indicators.map((i) => i.target)).toEqual([80]);
  });

  it("reads role labels by their parts on own lines (牵头责任单位/协同责任单位) and never takes a person's label for units", () => {
    const body = "一、经济发展\n1. 地区生产总值增长8%以上。\n牵头负责领导:张三。\n牵头责任单位:市发展改革委。\n协同责任单位:市经信局、市商务局等,各县、市、区政府。\n2. 财政收入增长8%左右。\n牵头负责领导:李四。\n牵头责任单位:市财政局。\n";
    const p = parseDocument(HEADER + body);
    expect(p.tasks.map((t) => [t.lead, t.support])).toEqual([
      [["市发展改革委"], ["市经信局", "市商务局", "各县、市、区政府"]],
      [["市财政局"], []],
    ]);
    expect(p.tasks.flatMap((t) => t.units).join()).not.toMatch(/张三|李四|领导/);
  });

  it("skips a person label inside the units bracket (牵头领导:…,责任单位:…)", () => {
    const p = parseDocument(HEADER + "1.托育提升工程。新增托位400个;千人托位数达4.2个。(牵头领导:王五,责任单位:区民政局、区卫生健康局)\n");
    expect(p.tasks[0]!.units).toEqual(["区民政局", "区卫生健康局"]);
    expect(p.tasks[0]!.text).not.toMatch(/王五/);
  });

  it("reads a table flattened with no delimiter: rows start at their number, cells go to the column their content fits", () => {
    const lines = ["附件", "2016年民生实事目标任务分解表", "序号", "", "民生实事", "", "责任单位", "", "完成时限", "", "1", "", "新建2座人行天桥。", "", "县住建局", "", "9月投入使用",
      "", "2", "", "开工建设县老年养护楼。", "县民政局", "5月底前动工", "开工建设老年大学。", "12月底前", "3", "建成县残疾人综合服务中心。", "县残联", "县代建中心", "12月底前", "分享到:"];
    const p = parseDocument(HEADER + lines.join("\n"));
    expect(p.tasks.map((t) => [t.code, t.text, t.units.join("、"), t.deadline_text])).toEqual([
      ["1", "新建2座人行天桥。", "县住建局", "9月投入使用"],
      ["2", "开工建设县老年养护楼。", "县民政局", "5月底前动工"],
      ["r3", "开工建设老年大学。", "县民政局", "12月底前"],
      ["3", "建成县残疾人综合服务中心。", "县残联、县代建中心", "12月底前"],
    ]);
  });

  it("rebuilds a table whose cells ran together with no delimiter (PDF or sharing-page copy) from its header and layout", () => {
    // Spaces from a PDF, units listed with 、, a deadline column after the units.
    const pdf = parseDocument(
      "某县卫生健康局\n2025年3月1日\n某县2025年卫生健康重点工作任务分解表 序号 重点任务 责任单位 完成时限 1 建成3个紧密型医联体。 " +
        "县卫健局、县医保局 2025年12月底 2 重点人群签约率达到75%以上。 县卫健局 2025年6月底前 3 新建村卫生室5所。 县卫健局、各乡镇人民政府 2025年10月\n",
    );
    expect(pdf.tasks.map((t) => [t.code, t.text, t.lead.join("、"), t.support.join("、"), t.deadline_text])).toEqual([
      ["1", "建成3个紧密型医联体。", "县卫健局", "县医保局", "2025年12月底"],
      ["2", "重点人群签约率达到75%以上。", "县卫健局", "", "2025年6月底前"],
      ["3", "新建村卫生室5所。", "县卫健局", "各乡镇人民政府", "2025年10月"],
    ]);
    expect(pdf.warnings.join()).toContain("没有分隔符");
    // No space at all: a person column, lead and support names glued together, a second measure sharing a merged
    // number, the rest of a tall measure cell after the units, a header repeated on the next page, page numbers.
    const glued = parseDocument(
      "1、某区2023年为民办实事项目分解表序号项目名称主要内容分管领导牵头单位配合单位1学位扩容新建小学2所。王小明区教育局区住建局各街道办事处2养老服务" +
        "建成社区食堂10家。李华区民政局区财政局为500户老人家庭适老化改造。\n2、序号项目名称主要内容分管领导牵头单位配合单位3道路整治完成主干道改造。" +
        "王小明区住建局区城管局推进背街小巷整治。赵强区城管局各街道办事处\n",
    );
    expect(glued.tasks.map((t) => [t.code, t.lead.join("、"), t.support.join("、")])).toEqual([
      ["1", "区教育局", "区住建局、各街道办事处"],
      ["2", "区民政局", "区财政局"],
      ["3", "区住建局", "区城管局"],
      ["r4", "区城管局", "各街道办事处"],
    ]);
    expect(glued.tasks[1]!.text).toContain("为500户老人家庭适老化改造");
    expect(glued.tasks.flatMap((t) => [...t.units, t.text]).join()).not.toMatch(/王小明|李华|赵强|序号/);
  });

  it("repeats an empty 配合 cell from the row above only when the cell is merged or the row printed no units", () => {
    const rows = [
      "| 序号 | 具体措施 | 牵头单位 | 配合单位 |",
      "| 1 | 建成胸痛中心1个。 | 区卫健委 | 区财政局 |",
      "| 2 | 建成卒中中心1个。 | 区卫健委 |  |",
      "| 3 | 建成创伤中心1个。 | 区医保局 | 区财政局 |",
      "| 4 | 建成危重新生儿救治中心1个。 |  |  |",
      "| 5 | 建成危重孕产妇救治中心1个。 | 区妇幼保健院 | 〃 |",
    ];
    const p = parseDocument(HEADER + rows.join("\n") + "\n");
    expect(p.tasks.map((t) => [t.code, t.lead.join("、"), t.support.join("、")])).toEqual([
      ["1", "区卫健委", "区财政局"],
      ["2", "区卫健委", ""],
      ["3", "区医保局", "区财政局"],
      ["4", "区医保局", "区财政局"],
      ["5", "区妇幼保健院", "区财政局"],
    ]);
  });

  it("prints a cell merged down in a Word or Excel table as merged, so a merged 配合 cell covers the rows below", () => {
    const cell = (text: string, row: number, col: number) => ({ text, origin: { row, col } });
    const grid = [
      ["序号", "具体措施", "牵头单位", "配合单位"].map((h, c) => cell(h, 0, c)),
      [cell("1", 1, 0), cell("建成胸痛中心1个。", 1, 1), cell("区卫健委", 1, 2), cell("区财政局", 1, 3)],
      [cell("2", 2, 0), cell("建成卒中中心1个。", 2, 1), cell("区医保局", 2, 2), cell("区财政局", 1, 3)],
      [cell("3", 3, 0), cell("建成创伤中心1个。", 3, 1), cell("区医保局", 3, 2), cell("", 3, 3)],
    ];
    const doc: SourceDocument = {
      format: "docx",
      blocks: [
        ...["某某区人民政府办公室", "2025年3月1日", "某某区卫生健康工作实施方案"].map((text, k) => ({ kind: "paragraph" as const, text, at: { line: k + 1 } })),
        { kind: "table", grid, at: { line: 4 } },
      ],
      warnings: [],
    };
    expect(planFromDocument(doc).tasks.map((t) => t.support.join("、"))).toEqual(["区财政局", "区财政局", ""]);
  });

  it("classifies columns by their headers: persons and progress are never units or targets, pinyin in a damaged copy is ignored", () => {
    const rows = [
      "序號(hào) | 任務(wù)項目指標 | 分管領導 | 責任單位 | 進展比例 |",
      "1 | 新增配置自動體外除顫儀115臺。 | 張三 | 區衛生健康局 | 80% |",
      "2 | 培訓應急救護人員575人以上。 | 李四 | 區紅十字會 | 50% |",
    ];
    const p = parseDocument(HEADER + rows.join("\n"));
    expect(p.tasks.map((t) => [t.units, t.indicators.map((i) => i.target)])).toEqual([
      [["區衛生健康局"], [115]],
      [["區紅十字會"], [575]],
    ]);
  });

  it("puts a row back in line when a merged cell before the units was dropped (offices in the person column)", () => {
    const rows = ["序号 | 主要任务 | 全年目标任务 | 分管领导 | 牵头单位 | 协同单位 | 推进情况 |", "24 | 优化提升50条背街后巷。 | 张三 | 城管局 | 市政局、相关街道 | 已完成30%。 |"];
    const p = parseDocument(HEADER + rows.join("\n"));
    expect(p.tasks.map((t) => [t.lead, t.support])).toEqual([[["城管局"], ["市政局", "相关街道"]]]);
  });

  it("reads lead and supporting unit columns of a one-line-per-cell table whose numbering jumps, under chapter rows", () => {
    const lines = ["序号", "", "重点工作任务", "", "主要责任单位", "", "协同配合单位", "", "一、主要预期目标", "", "3", "", "固定资产投资增长7.5%左右。", "", "区发改委", "", "区工信局、区住建局。", "",
      "二、扩投资", "", "三、惠民生", "", "68", "", "持续推进学前教育普及普惠。", "", "区教育局", "", "区政府有关部门,各乡镇人民政府、街道办事处。"];
    const p = parseDocument(HEADER + lines.join("\n"));
    expect(p.tasks.map((t) => [t.code, t.section, t.lead, t.support])).toEqual([
      ["3", "主要预期目标", ["区发改委"], ["区工信局", "区住建局"]],
      ["68", "惠民生", ["区教育局"], ["区政府有关部门", "各乡镇人民政府", "街道办事处"]],
    ]);
  });

  it("does not take an appendix of indicator names (指标名称 | 2027年 | 责任单位) for measures", () => {
    const body = "一、重点任务\n1.夯实网底。到2027年,全区建成甲级中心5个。(责任单位:区卫健委)\n指标任务分解表\n序号 | 分类 | 指标名称 | 2027年 | 责任单位 |\n1 | 基层 | 甲级中心数 | 5 | 区卫健委 |\n";
    expect(parseDocument(HEADER + body).tasks.map((t) => t.code)).toEqual(["1"]);
  });

  it("dates targets of an annual plan by its year, reads 左右/稳定在 as equal and a bare growth rate as a floor", () => {
    const doc = "某某市人民政府办公室\n关于2022年重点工作任务分解的通知\n一、经济发展\n1.地区生产总值增长10%左右。(牵头单位:市发改局)\n2.外贸出口增长10%,力争50%左右企业达标,就业率稳定在95%。(牵头单位:市商务局)\n";
    const p = parseDocument(doc);
    expect(p.tasks.flatMap((t) => t.indicators.map((i) => [i.target, i.cmp, i.year, i.due_year_source]))).toEqual([
      [10, "=", 2022, "plan_year"],
      [10, ">=", 2022, "plan_year"],
      [50, ">=", 2022, "plan_year"],
      [95, "=", 2022, "plan_year"],
    ]);
  });

  it("gives every indicator a due year with its source and a reporting frequency, and warns when the year was guessed", () => {
    const doc = HEADER + "一、总体目标\n到2027年,基本建成体系。\n二、重点任务\n1.加强基层。到2025年建成甲级中心5个。家庭医生签约覆盖率达到80%。(责任单位:区卫健委)\n2.开展培训。每月培训村医100人次。(责任单位:区卫健委;完成时限:2026年6月)\n";
    const p = parseDocument(doc);
    expect(p.tasks.flatMap((t) => t.indicators.map((i) => [i.target, i.due_year, i.due_year_source, i.frequency]))).toEqual([
      [5, 2025, "text", "quarter"],
      [80, 2027, "objective_year", "quarter"],
      [100, 2026, "deadline", "month"],
    ]);
    expect(p.warnings.join()).toMatch(/1 个指标未写明年份/);
  });

  it("does not give a row cut off before its units (a truncated copy) the units of the row above; it warns instead", () => {
    const rows = ["序号 | 任务内容 | 责任单位 |", "1 | 新增就业岗位500个。 | 区人社局 |", "2 | | |", "3 | 新建托位400个。 | |", "4 | 为未就业高校毕业生开发"];
    const p = parseDocument(HEADER + rows.join("\n"));
    expect(p.tasks.map((t) => [t.code, t.units.join("、")])).toEqual([["1", "区人社局"], ["3", "区人社局"]]);
    expect(p.warnings.join()).toMatch(/没有责任单位/);
  });

  it("splits two offices joined by 和 but keeps 市文化和旅游局 whole", () => {
    const p = parseDocument(HEADER + "1.推进改革。完善公共卫生委员会建设。(市卫生健康委、市民政局和其他市有关部门、市文化和旅游局按职责分工负责)\n");
    expect(p.tasks[0]!.units).toEqual(["市卫生健康委", "市民政局", "其他市有关部门", "市文化和旅游局"]);
  });

  it("keeps a name whose head noun is shared with the next one whole (人民大垸、荒湖管理区), and 党委和人民政府 of one place", () => {
    const p = parseDocument(
      HEADER + "1.地区生产总值增长10%左右。(牵头单位:市发改局;责任单位:市统计局,各乡、镇人民政府,东湖、西湖管理区,各镇街、市政府办)\n" +
        "2.每个行政村建成卫生室。(市卫健委、各县(市、区)党委和人民政府)\n",
    );
    expect(p.tasks[0]!.support).toEqual(["市统计局", "各乡、镇人民政府", "东湖、西湖管理区", "各镇街", "市政府办"]);
    expect(p.tasks[1]!.units).toEqual(["市卫健委", "各县(市、区)党委和人民政府"]);
  });

  it("takes baselines from an appendix table's current-state column, pairing each number by what it counts", () => {
    const body = "一、重点任务\n1.夯实网底。到2027年,全区建成甲级中心5个,至少建成2个社区医院,家庭医生签约覆盖率达到81%。(责任单位:区卫健委)\n";
    const appendix = ["附件", "重点任务清单", "序号 |", "工作内容 |", "2023年情况 |", "任务目标 |", "责任部门 |", "1 |", "夯实网底 |",
      "全区现有社区医院1家,甲级中心3家。目前签约覆盖率在80%以上。另有9个中心正在建设中。 |", "建成甲级中心5个 |", "区卫健委 |"];
    const p = parseDocument(HEADER + body + appendix.join("\n"));
    expect(p.tasks).toHaveLength(1);
    expect(p.tasks[0]!.indicators.map((i) => [i.target, i.baseline, i.baseline_year])).toEqual([[5, 3, 2023], [2, 1, 2023], [81, 80, 2023]]);
  });

  it("reads a 完成时限 inside the units bracket or on its own line after the units; 有关部门 stays part of a name", () => {
    const p = parseDocument(HEADER + "1.加强村医队伍。\n牵头单位：区卫健委\n配合单位：区人社局\n完成时限：2025年底\n2.推进信息化。（牵头单位：区大数据局；配合单位：区卫健委；完成时限：2026年6月）\n3.强化投入。(责任单位:区财政局、区直有关部门按职责分工负责)\n");
    expect(p.tasks.map((t) => [t.units, t.deadline])).toEqual([
      [["区卫健委", "区人社局"], "2025-12-31"],
      [["区大数据局", "区卫健委"], "2026-06-30"],
      [["区财政局", "区直有关部门"], null],
    ]);
  });

  it("dates a target only by a year that opens its sentence or comes before it in its clause", () => {
    const p = parseDocument(HEADER + "1.培育临床重点专科不少于15个,2023年争取建成5个,培育市级重点专科不少于25个。申报1家县作为2023—2024年度项目县。(责任单位:区卫健委)\n");
    expect(p.tasks[0]!.indicators.map((i) => [i.target, i.year])).toEqual([[15, null], [5, 2023], [25, null], [1, null]]);
  });

  it("reads 一次 as a target only with a period (每半年召开一次), not in a one-off 开展一次筛查", () => {
    const p = parseDocument(HEADER + "1.为65岁以上老年人开展一次免费筛查,领导小组每半年召开一次专题会议。(责任单位:区卫健委)\n");
    expect(p.tasks[0]!.indicators.map((i) => [i.target, i.unit, i.year])).toEqual([[1, "次", null]]);
  });

  it("reads units and a deadline in a labelled list that closes the measure without brackets, and a title before a colon", () => {
    const p = parseDocument(HEADER + "(一)强化基层\n1.加强村医队伍建设。每个乡镇卫生院至少配备2名全科医生。责任单位：区卫健委、区人社局。\n2.推进信息化：电子健康档案建档率达到90%以上。牵头单位：区卫健委；配合单位：区大数据局；完成时限：2025年底。\n");
    expect(p.tasks.map((t) => [t.title, t.head, t.lead, t.support, t.deadline])).toEqual([
      ["加强村医队伍建设", "每个乡镇卫生院至少配备2", ["区卫健委"], ["区人社局"], null],
      ["推进信息化", "电子健康档案建档率达到9", ["区卫健委"], ["区大数据局"], "2025-12-31"],
    ]);
  });

  it("reads ages, durations and percentage points only as targets right after their verb, never 65岁以上老年人", () => {
    const p = parseDocument(HEADER + "1.提升健康水平。到2025年，人均预期寿命达到79.5岁，为65岁以上老年人免费体检，5岁以下儿童死亡率控制在5‰以内，院前急救平均反应时间控制在12分钟以内，签约率提高5个百分点。(责任单位:区卫健委)\n");
    expect(p.tasks[0]!.indicators.map((i) => [i.name, i.target, i.unit, i.cmp])).toEqual([
      ["人均预期寿命", 79.5, "岁", ">="],
      ["5岁以下儿童死亡率", 5, "‰", "<="],
      ["院前急救平均反应时间", 12, "分钟", "<="],
      ["签约率", 5, "个百分点", ">="],
    ]);
  });

  it("refuses an empty document with a clear error", () => {
    expect(() => parseDocument("  \n\n ")).toThrow(/空|empty/);
  });
});

describe("importer: the five seed plans", () => {
  // How many measures each seed holds is checked against hand-labelled gold in importer-eval.test.ts.
  for (const prefix of ["000", "001", "002", "003", "004"]) {
    it(`reads every measure of seed ${prefix} with its text and responsible units`, () => {
      const p = parseDocument(seed(prefix));
      expect(p.tasks.length).toBeGreaterThan(0);
      for (const t of p.tasks) {
        expect(t.text.length).toBeGreaterThan(5);
        expect(t.units.length).toBeGreaterThan(0);
      }
    });
  }

  it("keeps 区卫健委 of 渝中 and of 大足 apart: the units belong to their issuing government", () => {
    expect(parseDocument(seed("000")).jurisdiction).toBe("重庆市渝中区");
    expect(parseDocument(seed("001")).jurisdiction).toBe("重庆市大足区");
  });

  it("takes 000's baselines from its appendix column 2023年情况 without adding the appendix rows as measures", () => {
    const p = parseDocument(seed("000"));
    const withBaseline = p.tasks.flatMap((t) => t.indicators.filter((i) => i.baseline !== null).map((i) => [t.code, i.target, i.baseline]));
    expect(withBaseline).toContainEqual(["1", 5, 3]);
    expect(withBaseline).toContainEqual(["5", 13, 13.02]);
    expect(withBaseline).toContainEqual(["9", 81, 80]);
    expect(withBaseline).toHaveLength(12);
  });

  it("warns about the damaged copy's orphan 责任单位 lines and junk line", () => {
    const p = parseDocument(seed("003"));
    expect(p.warnings.filter((w) => w.includes("责任单位")).length).toBe(4);
    expect(p.title).toContain("调兵山市");
  });
});

describe("importer: storing", () => {
  it("asks for a yearly report of a per-year target and a quarterly one otherwise", async () => {
    const { db, close } = openSqlite({ path: ":memory:" });
    const doc = HEADER + "1.加强宣传。每年开展1次健康科普活动,到2027年,签约覆盖率达到81%。(责任单位:区卫健委)\n";
    await importDocument(db, parseDocument(doc), { fileName: "p.txt", hash: await sha256Hex(doc), clock: fixedClock("2026-11-24T00:00:00Z") });
    const rows = await db.selectFrom("indicators").select(["target", "period"]).orderBy("ordinal").execute();
    expect(rows).toEqual([{ target: 1, period: "year" }, { target: 81, period: "quarter" }]);
    await close();
  });

  it("asks for a monthly report when the text says 每月, and a revision changes the frequency only while nothing is reported", async () => {
    const { db, close } = openSqlite({ path: ":memory:" });
    const clock = fixedClock("2026-11-24T00:00:00Z");
    const text = HEADER + "1.加强随访。每月随访重点人群不少于200人次。(责任单位:区卫健委)\n2.建设中心。建成甲级中心5个。(责任单位:区卫健委)\n";
    await importDocument(db, parseDocument(text), { fileName: "p.txt", hash: await sha256Hex(text), clock });
    const periods = async () => (await db.selectFrom("indicators").select(["target", "period"]).where("retired_at", "is", null).orderBy("target").execute()).map((r) => [r.target, r.period]);
    expect(await periods()).toEqual([[5, "quarter"], [200, "month"]]);

    const centre = await db.selectFrom("indicators").select("id").where("target", "=", 5).executeTakeFirstOrThrow();
    const unit = await db.selectFrom("units").select("id").executeTakeFirstOrThrow();
    await db.insertInto("reports").values({ indicator_id: centre.id, unit_id: unit.id, period: "2026Q4", value: 3, reporter_open_id: "ou_x", reported_at: "2026-11-20T00:00:00Z", note: null, request_key: "k1" }).execute();
    // Both set to yearly, as an edited 台账's 填报频次 column gives them (names unchanged): the unreported one follows,
    // the one with a 2026Q4 value keeps its quarters.
    const revised = parseDocument(text);
    for (const t of revised.tasks) for (const ind of t.indicators) ind.frequency = "year";
    await importDocument(db, revised, { fileName: "p.xlsx", hash: await sha256Hex(text + "yearly"), clock });
    expect(await periods()).toEqual([[5, "quarter"], [200, "year"]]);
    await close();
  });


  it("re-importing the same file changes nothing; a revised file updates in place and keeps reported values", async () => {
    const { db, close } = openSqlite({ path: ":memory:" });
    const clock = fixedClock("2026-11-24T00:00:00Z");
    const v1 = HEADER + "1.提升签约。到2027年,签约覆盖率达到81%。(责任单位:区卫健委、区医保局)\n2.建设中心。建成甲级中心5个。(责任单位:区卫生健康委)\n";
    const first = await importDocument(db, parseDocument(v1), { fileName: "a.txt", hash: await sha256Hex(v1), clock });
    expect(first).toMatchObject({ created: true, tasks: 2, indicators: 2, units: 2 });
    // 区卫健委 and 区卫生健康委 are one office of one government.
    expect((await db.selectFrom("units").selectAll().execute()).map((u) => u.name).sort()).toEqual(["区医保局", "区卫健委"]);

    const again = await importDocument(db, parseDocument(v1), { fileName: "a.txt", hash: await sha256Hex(v1), clock });
    expect(again.unchanged).toBe(true);

    const ind = await db.selectFrom("indicators").selectAll().where("target", "=", 81).executeTakeFirstOrThrow();
    const unit = await db.selectFrom("units").select("id").where("name", "=", "区卫健委").executeTakeFirstOrThrow();
    await db.insertInto("reports").values({ indicator_id: ind.id, unit_id: unit.id, period: "2026Q4", value: 79, reporter_open_id: "ou_x", reported_at: "2026-11-20T00:00:00Z", note: null, request_key: "k1" }).execute();

    const v2 = HEADER + "1.提升签约。到2027年,签约覆盖率达到85%。(责任单位:区卫健委、区医保局)\n";
    const revised = await importDocument(db, parseDocument(v2), { fileName: "a.txt", hash: await sha256Hex(v2), clock });
    expect(revised).toMatchObject({ created: false, unchanged: false, tasks: 1, indicators: 1 });
    const updated = await db.selectFrom("indicators").selectAll().where("id", "=", ind.id).executeTakeFirstOrThrow();
    expect(updated.target).toBe(85);
    expect((await db.selectFrom("tasks").select(["code", "retired_at"]).orderBy("code").execute()).map((t) => [t.code, t.retired_at !== null])).toEqual([["1", false], ["2", true]]);
    expect((await db.selectFrom("reports").selectAll().execute()).map((r) => [r.indicator_id, r.value])).toEqual([[ind.id, 79]]);
    await close();
  });
});
