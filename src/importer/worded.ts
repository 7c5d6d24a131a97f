/**
 * Quantities a plan writes partly in words: a bare 万/亿 scale whose unit is the noun it counts ("新增就业1.2万"), a
 * count in Chinese numerals after a verb of building ("组建一个医共体"), and several actions covered at once
 * ("A设置和B配备全覆盖").
 */

/** Units a bare 万/亿 scale can carry right after it ("5万平方米", "2万户"). */
const SCALED_BASE = /^(人次|人|名|户|个|家|例|册|件|台|套|辆|株|亩|平方米|公里|吨|元)/;
/** People counted by the name before a bare 万 ("服务人次达200万", "参保人数达到37.69万", "新增就业1.2万"). */
const PEOPLE = "人次|人|居民|群众|儿童|学生|妇女|患者|农民|职工|劳动力";
const PEOPLE_BEFORE = new RegExp(`(${PEOPLE}|人数|就业|就业岗位)$`);
/** …or by the noun phrase right after it ("为3.078万60岁以上老年人接种"), within a few characters of its clause. */
const PEOPLE_AFTER = new RegExp(`^[^，,。；;、]{0,12}?(${PEOPLE})(?![才工民])`);

/**
 * A bare 万/亿 is a scale, not a unit: the unit is what it scales, taken from the unit written after it, else from
 * the people the clause counts (in `name`, the words before it without their verbs, or after it), else the scale
 * alone. `extra` is how many characters of `after` the unit took.
 */
export function scaledUnit(scale: string, name: string, after: string): { unit: string; extra: number } {
  const base = SCALED_BASE.exec(after);
  if (base) return { unit: scale + base[1]!, extra: base[1]!.length };
  const people = PEOPLE_BEFORE.exec(name)?.[1] ?? PEOPLE_AFTER.exec(after)?.[1];
  if (people) return { unit: scale + (people === "人次" ? "人次" : "人"), extra: 0 };
  return { unit: scale, extra: 0 };
}

const DIGIT: Record<string, string> = { 一: "1", 两: "2", 二: "2", 三: "3", 四: "4", 五: "5", 六: "6", 七: "7", 八: "8", 九: "9" };
const BUILT_IN_WORDS = /(组建|建成|建设|打造|建立|新建|创建|设立|成立)([一两二三四五六七八九])(个|家|所|支|座|处)/g;

/**
 * The clause with such a numeral as a digit (one character for one, so positions hold) and where each one stands.
 * Only right after a verb of building: elsewhere 一个 is mostly a figure of speech ("一个都不能少").
 */
export function builtInWords(clause: string): { text: string; exact: Set<number> } {
  const exact = new Set<number>();
  const text = clause.replace(BUILT_IN_WORDS, (_m, verb: string, n: string, measure: string, at: number) => {
    exact.add(at + verb.length);
    return `${verb}${DIGIT[n]}${measure}`;
  });
  return { text, exact };
}

/** Actions named as nouns that a coverage target can list together ("中医馆设置和中医医师配备"). */
const ACTION_END = /(设置|配备|配置|建设|建立|签约|开通|接入|安装|落实)$/;

/**
 * What a 全覆盖 covers, one name per coordinated action: "A中医馆设置和中医医师配备" is two things to cover, each
 * reported on its own; "社区卫生服务中心和乡镇卫生院" (places, not actions) stays one.
 */
export function coveredActions(subject: string): string[] {
  const parts: string[] = [];
  let from = 0;
  for (const m of subject.matchAll(/和|及|、/g)) {
    const left = subject.slice(from, m.index);
    if (ACTION_END.test(left)) {
      parts.push(left);
      from = m.index + m[0].length;
    }
  }
  if (parts.length === 0) return [subject];
  parts.push(subject.slice(from));
  return parts.map((p) => `${p}覆盖率`);
}
