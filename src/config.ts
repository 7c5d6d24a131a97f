import { z } from "zod";
import { expandDates } from "./reminders/holidays-cn.js";
import { DEFAULT_REMINDER_SETTINGS } from "./reminders/plan.js";

/**
 * Configuration from the environment. Two modes, never guessed:
 * - lark: LARK_APP_ID, LARK_APP_SECRET, LARK_VERIFICATION_TOKEN and LARK_ENCRYPT_KEY (signature and timestamp window
 *   on every event), or LARK_ALLOW_UNSIGNED=1 instead of the key (loopback peers only, warned at every start);
 * - local: only when asked for with DUBAN_LOCAL=1 (`npm run local`): unsigned events from loopback, demo roster.
 * Nothing set is an error that says how to configure, because a server that silently ran the unauthenticated demo
 * behind a reverse proxy would let anyone act as an admin.
 */
const LARK_REQUIRED = ["LARK_APP_ID", "LARK_APP_SECRET", "LARK_VERIFICATION_TOKEN"] as const;
const LARK_ALL = [...LARK_REQUIRED, "LARK_ENCRYPT_KEY", "LARK_DOMAIN"] as const;

const baseSchema = z.object({
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  HOST: z.string().optional(),
  DATABASE_PATH: z.string().optional(),
  ADMIN_OPEN_IDS: z.string().default(""),
  DIGEST_CRON: z.string().default("0 9 * * MON"),
  DIGEST_TZ: z.string().default("Asia/Shanghai"),
  MAX_BODY_BYTES: z.coerce.number().int().positive().default(64 * 1024),
  /** Accepted distance of X-Lark-Request-Timestamp from now; wide because Lark retries for ~7 hours. */
  REPLAY_WINDOW_SECONDS: z.coerce.number().int().positive().default(8 * 3600),
  DUBAN_LOCAL: z.enum(["", "0", "1"]).default(""),
  LARK_ALLOW_UNSIGNED: z.enum(["", "0", "1"]).default(""),
  /** 督办 loop: a repeated 催办 on the same items within this many hours is refused. */
  CUIBAN_INTERVAL_HOURS: z.coerce.number().positive().default(24),
  /** From this 催办 on, Feishu's in-app urgent notification goes with it (0 = never). */
  CUIBAN_URGENT_FROM: z.coerce.number().int().min(0).default(2),
  /** The 催办 card asks for the report within this many days. */
  CUIBAN_DUE_DAYS: z.coerce.number().int().positive().default(3),
  /** After this many 催办 without a report, an item is listed under 多次催办未落实 in the supervisor digest. */
  CUIBAN_ESCALATE_AFTER: z.coerce.number().int().positive().default(2),
  /**
   * Several instances on one database: an outbox row claimed by an instance is taken over by another only after
   * this many seconds (the claimer died); longer than any one send with its retries' pacing can take.
   */
  OUTBOX_LEASE_SECONDS: z.coerce.number().positive().default(300),
  /**
   * Node: an event whose work would wait longer than this behind the events already accepted waits up to 1 s for
   * room, then is refused with 503 (Lark delivers it again 15 s, 5 min, 1 h, 6 h later), so every accepted event is
   * answered within about this.
   */
  WORK_WAIT_BUDGET_SECONDS: z.coerce.number().positive().default(10),
  /**
   * Node with SQLite: worker threads that read and build read-only commands' answers (/我的任务 …) beside the main
   * thread; 0 = none. Unset: none on 2 cores or fewer, else one per core beyond the first, up to 4 (src/node/read-pool.ts).
   */
  READ_WORKERS: z.coerce.number().int().min(0).max(16).optional(),
  /** The digest and reminder schedulers run on the one instance holding this lease; a dead holder's lapses after it. */
  SCHEDULER_LEASE_SECONDS: z.coerce.number().positive().default(60),
  /** Reminders: how often the job looks (croner, China time), and the working hours and days it may send in. */
  REMINDER_CRON: z.string().default("*/30 * * * *"),
  REMINDER_HOURS: z.string().regex(/^\d{1,2}:\d{2}-\d{1,2}:\d{2}$/).default("08:30-18:00"),
  REMINDER_WEEKDAYS: z.string().regex(/^[1-7](,[1-7])*$/).default("1,2,3,4,5"),
  /** Public holidays without reminders: dates and ranges, "2026-10-01..2026-10-08,2027-01-01". */
  /** Built-in calendar of China's public holidays and 调休 working days ("cn"), or none. */
  REMINDER_CALENDAR: z.enum(["cn", "none"]).default("cn"),
  REMINDER_HOLIDAYS: z.string().regex(/^(\d{4}-\d{2}-\d{2}(\.\.\d{4}-\d{2}-\d{2})?)?(,\d{4}-\d{2}-\d{2}(\.\.\d{4}-\d{2}-\d{2})?)*$/).default(""),
});

/** Reminder settings of a loaded configuration. */
export const reminderSettingsOf = (c: z.infer<typeof baseSchema>) => ({
  ...DEFAULT_REMINDER_SETTINGS,
  hours: c.REMINDER_HOURS,
  weekdays: c.REMINDER_WEEKDAYS.split(",").map(Number),
  holidays: expandDates(c.REMINDER_HOLIDAYS),
  calendar: c.REMINDER_CALENDAR,
});

/** The 督办 loop settings of a loaded configuration, in the shape Services carries. */
export const loopSettingsOf = (c: z.infer<typeof baseSchema>) => ({
  cuibanIntervalHours: c.CUIBAN_INTERVAL_HOURS,
  urgentFrom: c.CUIBAN_URGENT_FROM === 0 ? Number.POSITIVE_INFINITY : c.CUIBAN_URGENT_FROM,
  cuibanDueDays: c.CUIBAN_DUE_DAYS,
  escalateAfter: c.CUIBAN_ESCALATE_AFTER,
});

const larkSchema = z.object({
  LARK_APP_ID: z.string().min(1),
  LARK_APP_SECRET: z.string().min(1),
  LARK_VERIFICATION_TOKEN: z.string().min(1),
  LARK_ENCRYPT_KEY: z.string().optional(),
  LARK_DOMAIN: z.string().url().default("https://open.feishu.cn"),
});

export type LarkConfig = z.infer<typeof larkSchema>;

export type AppConfig = z.infer<typeof baseSchema> & {
  adminOpenIds: string[];
  lark: LarkConfig | null;
  mode: "lark" | "local";
  /** Lark mode without LARK_ENCRYPT_KEY (LARK_ALLOW_UNSIGNED=1): events accepted from loopback peers only. */
  unsigned: boolean;
};

/** Printed by `npm start` when nothing is configured. */
export const HOW_TO_CONFIGURE =
  "未配置飞书应用：请设置 LARK_APP_ID、LARK_APP_SECRET、LARK_VERIFICATION_TOKEN 和 LARK_ENCRYPT_KEY；" +
  "只想本机试用请运行 npm run local（DUBAN_LOCAL=1，仅限本机回环地址）。\n" +
  "No Lark app configured: set LARK_APP_ID, LARK_APP_SECRET, LARK_VERIFICATION_TOKEN and LARK_ENCRYPT_KEY; " +
  "for the local demo run `npm run local` (DUBAN_LOCAL=1, loopback only).";

const LOOPBACK_HOST = /^(127\.\d+\.\d+\.\d+|::1|localhost)$/;

/** Local mode stays on loopback; Lark mode listens on every interface unless HOST says otherwise. */
export const listenHost = (c: Pick<AppConfig, "HOST" | "mode">): string => c.HOST ?? (c.mode === "local" ? "127.0.0.1" : "0.0.0.0");

export class ConfigError extends Error {
  override name = "ConfigError";
}

export function loadConfig(env: Record<string, string | undefined>): AppConfig {
  const base = baseSchema.safeParse(env);
  if (!base.success) {
    throw new ConfigError(`配置错误 invalid configuration: ${base.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")}`);
  }
  const set = LARK_ALL.filter((k) => (env[k] ?? "").length > 0);
  const adminOpenIds = base.data.ADMIN_OPEN_IDS.split(/[,，\s]+/).filter(Boolean);
  const local = base.data.DUBAN_LOCAL === "1";
  if (local) {
    if (set.length > 0) {
      throw new ConfigError(`DUBAN_LOCAL=1 与 ${set.join("、")} 不能同时设置：本地模式不连接飞书。\nDUBAN_LOCAL=1 cannot be combined with ${set.join(", ")}.`);
    }
    if (base.data.HOST && !LOOPBACK_HOST.test(base.data.HOST)) {
      throw new ConfigError(`本地模式只能监听本机回环地址，HOST=${base.data.HOST} 不允许。\nLocal mode listens on loopback only; HOST=${base.data.HOST} is refused.`);
    }
    return { ...base.data, adminOpenIds, lark: null, mode: "local", unsigned: true };
  }
  if (set.length === 0) throw new ConfigError(HOW_TO_CONFIGURE);
  const missing = LARK_REQUIRED.filter((k) => !(env[k] ?? "").length);
  if (missing.length > 0) {
    throw new ConfigError(
      `飞书配置不完整，缺少 ${missing.join("、")}（已设置 ${set.join("、")}）。要么全部设置，要么全部不设（本地模式）。\n` +
        `Incomplete Lark configuration: missing ${missing.join(", ")}. Set all of them, or none for local mode.`,
    );
  }
  const lark = larkSchema.safeParse(env);
  if (!lark.success) {
    throw new ConfigError(`飞书配置错误 invalid Lark configuration: ${lark.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")}`);
  }
  const unsigned = !lark.data.LARK_ENCRYPT_KEY;
  if (unsigned && base.data.LARK_ALLOW_UNSIGNED !== "1") {
    throw new ConfigError(
      "缺少 LARK_ENCRYPT_KEY：没有它就无法校验请求签名，任何人只要知道校验令牌就能冒充飞书。请在开发者后台“事件与回调 > 加密策略”设置 Encrypt Key 并配置到此变量" +
        "（仅在本机调试时可设置 LARK_ALLOW_UNSIGNED=1，此时只接受本机回环地址的请求）。\n" +
        "LARK_ENCRYPT_KEY is required: without it requests cannot be signature-checked. Set LARK_ALLOW_UNSIGNED=1 only for loopback debugging.",
    );
  }
  return { ...base.data, adminOpenIds, lark: { ...lark.data, LARK_DOMAIN: lark.data.LARK_DOMAIN.replace(/\/+$/, "") }, mode: "lark", unsigned };
}
