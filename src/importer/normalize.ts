/**
 * Text clean-up that every document of this genre needs before parsing: web copies put `??` where a full-width
 * space was, PDFs break words with spaces, and some copies use traditional or look-alike characters.
 */
// Traditional → simplified, one character for one (so positions in a line stay the same), for the characters this
// genre uses. 著 is left out: simplified text uses it too (显著).
const TRADITIONAL_CHARS =
  "衛區縣單責務醫療設實現達於個項機構體財廳發業會員辦鄉鎮與為將長開關進這們標準級蓋計劃議規範總點數產農護藥險資監質養預訊網絡檢驗職負協調導組織領層時間內較傳統學專營環態廣東貴陽慶遼寧莊紅無覽證據續後應當並從問題牽頭強診斷極積動勞補貼稅費價購買賣銷幹權擔聯繫係黨備裝創優報彙匯況狀輔確穩鞏擴圍邊際國團隊軍車輛運輸電腦號碼線雲億萬張幾兩歲齡嬰兒婦殘殯貧難濟災殺蟲滅癥腫臟腎結愛篩測試術藝師轉換變鏈條約簽戶處屬綜託園課場館廠礦飲執認評審許記錄檔歷庫門樓採帶異細則決見籌績獎懲勵揮勢親選舉薦編製崗稱貸債銀夠識別類種眾論壇講訓練習獲頒書冊紙雜誌視頻臺頁圖閱讀寫話語詞說釋義誠譽聲響對築畫樣罰違紀潔敗貪賄賂緊鬆併軟終適檻鑑鑒歸納讚擇啟勝獨懷壽嚴輕滿遠窮豐榮興戰綱佈屆週曆節鐘錶餘額舊辭遷隨訪談癒復複簡臨礙礎鬥爭幫聽觀覺瞭熱淨廁氣溫濕爐煙獸漁貨錢償還濫齊貫徹僑鄰擊絕繼儲爲徵詢諮縮減壓漲陸盡儘該須請遞轄鋪鄭滬蘇閩贛魯粵瓊陝灣龍晉廈漢瀋鶴雞雙鴨烏蘭滄蕪馬銅黃荊賀鳳嶺讓過連遊遲遺邁郵鍵鎖鏡閉閒聞閣陣陳陰隱隸雖離靈靜韓頂順顏願顧顯風飛飯飼驅髮鬧魚鮮鳥鹽麥麼齒龜倉傷僅兌凍劑剛勁勻卻參喪嚮堅塊塵墊壞壯奪奮娛婁孫寬岡島峽嶽帥帳幣廢廟彈徑恆惡慣憂憑懇戲拋挾捨掃掛揚損搖搶撥擁擬擾攜敵斂昇晝暢暫曉朧棄棟槍樂樞橋櫃歐歡殼毀氫洶淚淺湧湯溝滾潛澤濱灑灘煉燈燒爺牆犧猶瑪畝畢痺盜盤盧睏禍禮穀窩競筆糧糾紐純紛給絲綁經維綠緒締緩縱繩纖罷羅聖聰肅脅脫腳膚臉艱莖華葉蒼蔣蕭藍蝦衝觸訂討訴註詐詳誇誤誰諸謀謂謝譯豎豬貝貢販賓賠賴賽贈贊趕趙趨跡踐蹤躍軌軒載輝輩輪迴邏醜釘針釣鈔鈴鉛銳鋼錦錯鍊鍋鍛鐵鑰閃閑閘閥闊闖闡階雛霧韌韻頑頓頗頸顆飄飢飽飾餓駐駕駛騎騙騰驕驚驟鳴鴻麗龐";
const SIMPLIFIED_CHARS =
  "卫区县单责务医疗设实现达于个项机构体财厅发业会员办乡镇与为将长开关进这们标准级盖计划议规范总点数产农护药险资监质养预讯网络检验职负协调导组织领层时间内较传统学专营环态广东贵阳庆辽宁庄红无览证据续后应当并从问题牵头强诊断极积动劳补贴税费价购买卖销干权担联系系党备装创优报汇汇况状辅确稳巩扩围边际国团队军车辆运输电脑号码线云亿万张几两岁龄婴儿妇残殡贫难济灾杀虫灭症肿脏肾结爱筛测试术艺师转换变链条约签户处属综托园课场馆厂矿饮执认评审许记录档历库门楼采带异细则决见筹绩奖惩励挥势亲选举荐编制岗称贷债银够识别类种众论坛讲训练习获颁书册纸杂志视频台页图阅读写话语词说释义诚誉声响对筑画样罚违纪洁败贪贿赂紧松并软终适槛鉴鉴归纳赞择启胜独怀寿严轻满远穷丰荣兴战纲布届周历节钟表余额旧辞迁随访谈愈复复简临碍础斗争帮听观觉了热净厕气温湿炉烟兽渔货钱偿还滥齐贯彻侨邻击绝继储为征询咨缩减压涨陆尽尽该须请递辖铺郑沪苏闽赣鲁粤琼陕湾龙晋厦汉沈鹤鸡双鸭乌兰沧芜马铜黄荆贺凤岭让过连游迟遗迈邮键锁镜闭闲闻阁阵陈阴隐隶虽离灵静韩顶顺颜愿顾显风飞饭饲驱发闹鱼鲜鸟盐麦么齿龟仓伤仅兑冻剂刚劲匀却参丧向坚块尘垫坏壮夺奋娱娄孙宽冈岛峡岳帅帐币废庙弹径恒恶惯忧凭恳戏抛挟舍扫挂扬损摇抢拨拥拟扰携敌敛升昼畅暂晓胧弃栋枪乐枢桥柜欧欢壳毁氢汹泪浅涌汤沟滚潜泽滨洒滩炼灯烧爷墙牺犹玛亩毕痹盗盘卢困祸礼谷窝竞笔粮纠纽纯纷给丝绑经维绿绪缔缓纵绳纤罢罗圣聪肃胁脱脚肤脸艰茎华叶苍蒋萧蓝虾冲触订讨诉注诈详夸误谁诸谋谓谢译竖猪贝贡贩宾赔赖赛赠赞赶赵趋迹践踪跃轨轩载辉辈轮回逻丑钉针钓钞铃铅锐钢锦错炼锅锻铁钥闪闲闸阀阔闯阐阶雏雾韧韵顽顿颇颈颗飘饥饱饰饿驻驾驶骑骗腾骄惊骤鸣鸿丽庞";
const TRADITIONAL = new Map<string, string>([...TRADITIONAL_CHARS].map((c, k) => [c, SIMPLIFIED_CHARS[k]!]));

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
  for (const ch of s) out += TRADITIONAL.get(ch) ?? ch;
  return out;
}

export interface CleanLine {
  text: string;
  /** 1-based line number in the source, for warnings. */
  line: number;
  /** The raw line started with a tab (a table cell in a tab-flattened table). */
  tab: boolean;
  /** `text` before traditional characters were simplified: same length, so a slice of one is a slice of the other. */
  orig: string;
}

const CJK = "\\u3400-\\u9fff\\uff08\\uff09\\u3001\\uff0c\\u3002\\uff1a\\uff1b“”";

const INNER_SPACE = new RegExp(`(?<=[${CJK}\\d%])\\s+(?=[${CJK}\\d])`, "g");

export function cleanLines(text: string, warnings: string[]): CleanLine[] {
  const raw = text.replace(/^\ufeff/, "").split(/\r\n|\r|\n/);
  let questionPrefixed = 0;
  const out: CleanLine[] = [];
  raw.forEach((l, k) => {
    let tab = l.startsWith("\t");
    let s = l.replace(/[\u00a0\u3000]/g, " ");
    // A whole table row with tab-separated cells reads like a pipe row from here on.
    if (/[^\t]\t/.test(s.trimEnd())) {
      s = `| ${s.trimEnd().split("\t").map((c) => c.trim()).join(" | ")} |`;
      tab = false;
    }
    // Full-width pipes (｜, U+FF5C) separate cells like ASCII ones in tables typed with a Chinese input method.
    if (s.includes("｜")) s = s.replace(/｜/g, "|");
    if (/^\s*[?？]{2}/.test(s)) {
      questionPrefixed++;
      s = s.replace(/^\s*[?？]+/, "");
    }
    // Full-width digits, letters and ％ are the same characters to a reader; numbering and targets use them too.
    s = s.trim().replace(/[０-９Ａ-Ｚａ-ｚ％．]/g, (c) => String.fromCharCode(c.charCodeAt(0) - 0xfee0));
    // PDF line breaks leave spaces inside words and numbers ("井 陉县", "8 个").
    s = s.replace(INNER_SPACE, "");
    // Each run of spaces is matched whole (a lookahead after `\s+` would rescan a long run from each of its positions).
    s = s.replace(/\s+/g, (sp, at: number, all: string) => (/[，。、；：）)]/.test(all[at + sp.length] ?? "") ? "" : sp));
    // Parsing reads simplified characters; what is printed back (texts, unit names, quotes) keeps the document's own.
    const orig = s;
    s = toSimplified(s);
    for (const [re, rep] of ORDINAL_FIXES) {
      const hit = re.exec(s);
      if (hit) {
        warnings.push(`第 ${k + 1} 行的序号“${hit[0]}”用了错字，已按“${rep}”读取`);
        s = s.replace(re, rep);
      }
    }
    out.push({ text: s, line: k + 1, tab, orig });
  });
  if (questionPrefixed > 0) warnings.push(`${questionPrefixed} 行以“??”开头（网页转存损坏），已去除前缀`);
  return out;
}

/**
 * Maps strings read from the simplified text back to the document's own characters: by position when the string
 * occurs in the text as it is, else character by character as the document spelled them.
 */
export function originalSpelling(lines: CleanLine[]): (s: string) => string {
  const text = lines.map((l) => l.text).join("\n");
  const orig = lines.map((l) => l.orig).join("\n");
  if (text === orig) return (s) => s;
  const chars = new Map<string, string>();
  for (let k = 0; k < text.length; k++) if (text[k] !== orig[k] && !chars.has(text[k]!)) chars.set(text[k]!, orig[k]!);
  return (s) => {
    const at = s ? text.indexOf(s) : -1;
    if (at >= 0) return orig.slice(at, at + s.length);
    let out = "";
    for (const ch of s) out += chars.get(ch) ?? ch;
    return out;
  };
}

/**
 * Pinyin a damaged copy inserted after characters ("序號(hào)", "萬(wàn)"): a parenthesised lower-case syllable with a
 * tone mark. Removed wherever the text is classified or measured; what is printed back keeps the document's copy.
 */
const PINYIN = /\([a-zü]{0,6}[āáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜ][a-zü]{0,6}\)/g;
export function stripPinyin(s: string): string {
  return s.includes("(") ? s.replace(PINYIN, "") : s;
}
