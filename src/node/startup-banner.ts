import type { Runtime } from "./runtime.js";

/**
 * What `npm start` / `npm run local` print once the bot listens: the seed counts, the local-mode warning and the
 * address. One function, so the README's start-up sample (scripts/walkthrough.ts) is these very lines.
 */
export function startupLines(rt: Pick<Runtime, "seeded" | "config" | "url" | "port" | "store">, pid: number): string[] {
  const lines: string[] = [];
  if (rt.seeded) {
    lines.push(`已加载种子数据 seeded: ${rt.seeded.plans} 个方案 plans, ${rt.seeded.tasks} 项任务 tasks, ${rt.seeded.units} 个单位 units, ${rt.seeded.indicators} 个指标 indicators, ${rt.seeded.members} 个成员 members`);
  }
  if (rt.config.mode === "local") {
    lines.push(
      "",
      "=====================================================================",
      " 本地模式 LOCAL MODE (DUBAN_LOCAL=1) — 不连接飞书开放平台，不校验身份。",
      " 切勿在反向代理之后或对外网开放时使用。Never expose it, not even via a proxy.",
      " Events are accepted unsigned from loopback only; every reply goes to",
      " the local outbox (table `outbox`) and is printed here.",
      ` Try: npm run chat -- --as 渝中区卫健委 "/我的任务"     Stop: Ctrl-C`,
      "=====================================================================",
    );
  }
  lines.push(`督办助手已启动 listening on ${rt.config.mode === "local" ? rt.url : `port ${rt.port}`} (${rt.config.mode} mode, database ${rt.store.label}, pid ${pid})`);
  return lines;
}
