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

  it("a count chosen or held to a floor (选取, 抓好, 至少) is a target, a rule per place included", () => {
    expect(targets("选取3家社区医院和2个乡镇开展试点，抓好4个示范点建设。")).toEqual([
      [3, "家", ">="],
      [2, "个", ">="],
      [4, "个", ">="],
    ]);
    expect(targets("每个街道至少有1个养老服务站，每季度至少召开1次推进会。")).toEqual([
      [1, "个", ">="],
      [1, "次", ">="],
    ]);
  });

  it("a count right before a verb of achievement counts those that must achieve it, unless it is already reached", () => {
    expect(targets("年底前，城东区、城西区等6个区建成智慧养老平台。")).toEqual([[6, "个", ">="]]);
    expect(targets("目前已有4个区建成智慧养老平台。")).toEqual([]);
  });

  it("a count in words after a verb of building is the exact number to build", () => {
    expect(targets("设立两个康复中心，组建一支应急队伍。")).toEqual([
      [2, "个", "="],
      [1, "支", "="],
    ]);
    expect(targets("让每个孩子一个都不能少。")).toEqual([]);
  });

  it("100% of a group reaching a standard asks for all of it, like 全覆盖; a lower share is a floor", () => {
    expect(targets("到2026年，100%的社区卫生服务站达到标准化要求，90%的村卫生室达到推荐标准。")).toEqual([
      [100, "%", "="],
      [90, "%", ">="],
    ]);
  });

  it("全覆盖 of several actions at once gives one target per action; of several places, one", () => {
    expect(targets("实现家庭医生签约和健康档案建立全覆盖。")).toEqual([
      [100, "%", "="],
      [100, "%", "="],
    ]);
    expect(targets("实现社区卫生服务中心和乡镇卫生院全覆盖。")).toEqual([[100, "%", "="]]);
  });
});
