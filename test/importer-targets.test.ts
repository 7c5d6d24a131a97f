import { describe, expect, it } from "vitest";
import { extractIndicators } from "../src/importer/indicators.js";

const targets = (text: string) => extractIndicators(text, { year: null, planYear: 2021 }).map((i) => [i.target, i.unit, i.cmp]);

describe("counts an official reports as targets", () => {
  it("a breakdown after 其中, and a following bare 'name N unit' clause, keeps the target's direction", () => {
    expect(targets("新增学位5000个，其中高中300个、职校200个，特教学校20个。")).toEqual([
      [5000, "个", ">="],
      [300, "个", ">="],
      [200, "个", ">="],
      [20, "个", ">="],
    ]);
  });

  it("a count after 为/对 names whom the work serves; a count that is only a subject stays out", () => {
    expect(targets("为全市1200名残疾人提供康复服务。")).toEqual([[1200, "名", ">="]]);
    expect(targets("对45户低保家庭进行危房改造。")).toEqual([[45, "户", ">="]]);
    expect(targets("5家医院参加培训。")).toEqual([]);
  });

  it("completion and support verbs (竣工, 支持, 再就业, 创成) and 万名 counts are targets", () => {
    expect(targets("计划竣工8个，支持返乡创业600人，失业人员再就业900人，创成示范社区2个，开展3万名儿童视力筛查。")).toEqual([
      [8, "个", ">="],
      [600, "人", ">="],
      [900, "人", ">="],
      [2, "个", ">="],
      [3, "万名", ">="],
    ]);
  });
});
