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

  it("a bare 万 scales the count its clause names: people before or after it, or the unit written after it", () => {
    expect(targets("新增城镇就业1.2万，社区食堂服务人次达到30万以上，新建绿地3万平方米。")).toEqual([
      [1.2, "万人", ">="],
      [30, "万人次", ">="],
      [3, "万平方米", ">="],
    ]);
    expect(targets("为2.5万65岁以上居民免费开展健康体检。")).toEqual([[2.5, "万人", ">="]]);
  });

  it("接种 is a target verb like other completion verbs", () => {
    expect(targets("今年重点为在校女生接种620人，为800名老年人接种肺炎疫苗。")).toEqual([
      [620, "人", ">="],
      [800, "名", ">="],
    ]);
  });

  it("a count that only defines a group (超过 N 的 + noun) is not a target; the result asked of the group is", () => {
    expect(targets("在校学生超过500人的学校配备专职校医2名。")).toEqual([[2, "名", ">="]]);
    expect(targets("培育年产值超过1000万的企业，建成10个以上的示范园区。")).toEqual([[10, "个", ">="]]);
  });
});
