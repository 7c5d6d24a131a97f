/**
 * Unit names as printed differ between documents of one government (区卫健委 / 区卫生健康委 / 区卫生健康委员会).
 * aliasKeys() gives the spellings that name the same office, by expanding the usual abbreviations, so units match
 * inside one jurisdiction without a per-document list.
 */
const ABBREVIATIONS: [RegExp, string][] = [
  [/卫生健康委员会|卫生健康委|卫生和计划生育委员会|卫计委/, "卫健委"],
  [/卫生健康局/, "卫健局"],
  [/发展和改革委员会|发展改革委员会|发展改革委/, "发改委"],
  [/发展和改革局|发展改革局/, "发改局"],
  [/规划和自然资源局|规划自然资源局/, "规自局"],
  [/人力资源和社会保障局|人力资源社会保障局/, "人社局"],
  [/市场监督管理局/, "市场监管局"],
  [/医疗保障局/, "医保局"],
  [/住房和城乡建设委员会|住房城乡建设委员会|住房城乡建设委/, "住建委"],
  [/住房和城乡建设局|住房城乡建设局/, "住建局"],
  [/教育委员会/, "教委"],
  [/文化和旅游发展委员会|文化旅游委/, "文旅委"],
  [/经济和信息化委员会|经济信息委/, "经信委"],
  [/生态环境局/, "环境局"],
  [/大数据发展局|大数据应用发展管理局/, "大数据局"],
  [/机构编制委员会办公室/, "编办"],
  [/财政局/, "财政局"],
];

export function aliasKeys(printed: string): string[] {
  const base = printed.replace(/\s+/g, "").replace(/[（(]/g, "(").replace(/[）)]/g, ")").replace(/〔/g, "(").replace(/〕/g, ")");
  let short = base;
  for (const [re, rep] of ABBREVIATIONS) short = short.replace(re, rep);
  return [...new Set([printed, base, short])];
}

/** 各街道, 各镇街, 各区〔市、县〕人民政府, 各县(市、区): a group of units, not one office. */
export function isGroupUnit(printed: string): boolean {
  return /^各/.test(printed) || /^(有关|相关)(部门|单位)$/.test(printed);
}

/** The demo member of a unit in local mode: deterministic, so the walkthrough in the README stays true. */
export async function demoOpenIdForUnit(jurisdiction: string, name: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(`${jurisdiction}/${name}`));
  const hex = [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
  return `ou_demo_${hex.slice(0, 12)}`;
}
