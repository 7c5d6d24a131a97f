/**
 * Text clean-up that every document of this genre needs before parsing: web copies put `??` where a full-width
 * space was, PDFs break words with spaces, and some copies use traditional or look-alike characters.
 */
const TRADITIONAL: Record<string, string> = {
  衛: "卫", 區: "区", 縣: "县", 單: "单", 責: "责", 務: "务", 醫: "医", 療: "疗", 設: "设", 實: "实", 現: "现", 達: "达", 於: "于", 個: "个", 項: "项", 機: "机", 構: "构", 體: "体", 財: "财", 廳: "厅", 發: "发", 業: "业", 會: "会", 員: "员", 辦: "办", 鄉: "乡", 鎮: "镇", 與: "与", 為: "为", 將: "将", 長: "长", 開: "开", 關: "关", 進: "进", 這: "这", 們: "们", 標: "标", 準: "准", 級: "级", 蓋: "盖", 計: "计", 劃: "划", 議: "议", 規: "规", 範: "范", 總: "总", 點: "点", 數: "数", 產: "产", 農: "农", 護: "护", 藥: "药", 險: "险", 資: "资", 監: "监", 質: "质", 養: "养", 預: "预", 訊: "讯", 網: "网", 絡: "络", 檢: "检", 驗: "验", 職: "职", 負: "负", 協: "协", 調: "调", 導: "导", 組: "组", 織: "织", 領: "领", 層: "层", 時: "时", 間: "间", 內: "内", 較: "较", 傳: "传", 統: "统", 學: "学", 專: "专", 營: "营", 環: "环", 態: "态", 廣: "广", 東: "东", 貴: "贵", 陽: "阳", 慶: "庆", 遼: "辽", 寧: "宁", 莊: "庄", 紅: "红", 無: "无", 覽: "览", 證: "证", 據: "据", 續: "续", 後: "后", 應: "应", 當: "当", 並: "并", 從: "从", 問: "问", 題: "题",
};

/** Look-alike characters seen in damaged copies (叁 for 三 as a list ordinal). */
const ORDINAL_FIXES: [RegExp, string][] = [
  [/^叁、/, "三、"],
  [/^[(（]叁[)）]/, "(三)"],
  [/^肆、/, "四、"],
  [/^[(（]肆[)）]/, "(四)"],
  [/^贰、/, "二、"],
  [/^壹、/, "一、"],
];

export function toSimplified(s: string): string {
  let out = "";
  for (const ch of s) out += TRADITIONAL[ch] ?? ch;
  return out;
}

export interface CleanLine {
  text: string;
  /** 1-based line number in the source, for warnings. */
  line: number;
  /** The raw line started with a tab (a table cell in a tab-flattened table). */
  tab: boolean;
}

const CJK = "\\u3400-\\u9fff\\uff08\\uff09\\u3001\\uff0c\\u3002\\uff1a\\uff1b“”";

export function cleanLines(text: string, warnings: string[]): CleanLine[] {
  const raw = text.replace(/^\ufeff/, "").split(/\r\n|\r|\n/);
  let questionPrefixed = 0;
  const out: CleanLine[] = [];
  raw.forEach((l, k) => {
    const tab = l.startsWith("\t");
    let s = l.replace(/[\u00a0\u3000]/g, " ");
    if (/^\s*[?？]{2}/.test(s)) {
      questionPrefixed++;
      s = s.replace(/^\s*[?？]+/, "");
    }
    // Full-width digits, letters and ％ are the same characters to a reader; numbering and targets use them too.
    s = toSimplified(s.trim()).replace(/[０-９Ａ-Ｚａ-ｚ％．]/g, (c) => String.fromCharCode(c.charCodeAt(0) - 0xfee0));
    // PDF line breaks leave spaces inside words and numbers ("井 陉县", "8 个").
    s = s.replace(new RegExp(`(?<=[${CJK}\\d%])\\s+(?=[${CJK}\\d])`, "g"), "");
    s = s.replace(/\s+(?=[，。、；：）)])/g, "");
    for (const [re, rep] of ORDINAL_FIXES) {
      const hit = re.exec(s);
      if (hit) {
        warnings.push(`第 ${k + 1} 行的序号“${hit[0]}”用了错字，已按“${rep}”读取`);
        s = s.replace(re, rep);
      }
    }
    out.push({ text: s, line: k + 1, tab });
  });
  if (questionPrefixed > 0) warnings.push(`${questionPrefixed} 行以“??”开头（网页转存损坏），已去除前缀`);
  return out;
}
