import { ConfigError } from "./config.js";
import { startRuntime } from "./node/runtime.js";

/** npm start: the bot on the embedded SQLite store, seeded from seeds/. */
async function main() {
  const rt = await startRuntime({ scheduler: true });
  const log = rt.services.log;
  if (rt.seeded) {
    log.info(`已加载种子数据 seeded: ${rt.seeded.plans} 个方案 plans, ${rt.seeded.tasks} 项任务 tasks, ${rt.seeded.units} 个单位 units, ${rt.seeded.indicators} 个指标 indicators, ${rt.seeded.members} 个成员 members`);
  }
  if (rt.config.mode === "local") {
    log.info("");
    log.info("=====================================================================");
    log.info(" 本地模式 LOCAL MODE — 未设置 LARK_* 变量，不连接飞书开放平台。");
    log.info(" Events are accepted unsigned from loopback only; every reply goes to");
    log.info(" the local outbox (table `outbox`) and is printed here.");
    log.info(` Try: npm run chat -- --as 区卫健委 "/我的任务"`);
    log.info("=====================================================================");
  }
  log.info(`督办助手已启动 listening on ${rt.config.mode === "local" ? rt.url : `port ${rt.port}`} (${rt.config.mode} mode, database ${rt.store.raw.name})`);
  const stop = async () => {
    log.info("正在停止 shutting down");
    await rt.close();
    process.exit(0);
  };
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);
}

main().catch((err) => {
  console.error(err instanceof ConfigError ? err.message : err);
  process.exit(1);
});
