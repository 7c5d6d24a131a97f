import { toSimplified } from "../importer/normalize.js";

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
  [/人力资源和社会保障局|人力资源社会保障局|人力社保局/, "人社局"],
  [/市场监督管理局/, "市场监管局"],
  [/医疗保障局/, "医保局"],
  [/住房和城乡建设委员会|住房城乡建设委员会|住房城乡建设委|住房城乡建委/, "住建委"],
  [/住房和城乡建设局|住房城乡建设局/, "住建局"],
  [/教育委员会/, "教委"],
  [/文化和旅游发展委员会|文化旅游委/, "文旅委"],
  [/经济和信息化委员会|经济信息委/, "经信委"],
  [/生态环境局/, "环境局"],
  [/大数据发展局|大数据应用发展管理局/, "大数据局"],
  [/机构编制委员会办公室/, "编办"],
  [/工业和信息化局|工业和信息化委员会|工业信息化局/, "工信局"],
  [/文化和旅游局|文化旅游局|文化广电旅游局/, "文旅局"],
  [/科学技术局/, "科技局"],
  [/交通运输局/, "交通局"],
  [/应急管理局/, "应急局"],
  [/退役军人事务局/, "退役军人局"],
  [/城市管理局/, "城管局"],
  [/中医药管理局/, "中医药局"],
  [/疾病预防控制中心/, "疾控中心"],
  [/妇女联合会/, "妇联"],
  [/残疾人联合会/, "残联"],
  [/科学技术协会/, "科协"],
  [/人民政府办公室/, "政府办"],
];

export function aliasKeys(printed: string): string[] {
  // A traditional-character copy (區衛健委) names the same office as a simplified one.
  const base = toSimplified(printed).replace(/\s+/g, "").replace(/[（(]/g, "(").replace(/[）)]/g, ")").replace(/〔/g, "(").replace(/〕/g, ")");
  let short = base;
  for (const [re, rep] of ABBREVIATIONS) short = short.replace(re, rep);
  return [...new Set([printed, base, short])];
}

/** 各街道, 各镇街, 各区〔市、县〕人民政府, 各县(市、区), 市直有关部门: a group of units, not one office. */
export function isGroupUnit(printed: string): boolean {
  // "市直有关部门" stands for several offices just as 各街道 does.
  return /^各/.test(printed) || /(有关|相关)(部门|单位)$/.test(printed);
}

/** The demo member of a unit in local mode: deterministic, so the walkthrough in the README stays true. */
export async function demoOpenIdForUnit(jurisdiction: string, name: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(`${jurisdiction}/${name}`));
  const hex = [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
  return `ou_demo_${hex.slice(0, 12)}`;
}
