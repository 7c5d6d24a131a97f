import { z } from "zod";

/**
 * Configuration from the environment. No LARK_* variable at all means local mode (no tenant: unsigned loopback
 * events, replies to the local outbox). A half-set configuration is an error naming what is missing, because a bot
 * that silently falls back to local mode in production would drop every reply.
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
};

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
  if (set.length === 0) return { ...base.data, adminOpenIds, lark: null, mode: "local" };
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
  return { ...base.data, adminOpenIds, lark: { ...lark.data, LARK_DOMAIN: lark.data.LARK_DOMAIN.replace(/\/+$/, "") }, mode: "lark" };
}
