import { mkdirSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { startRuntime, type Runtime } from "../node/runtime.js";
import { defaultDatabasePath, openSqlite } from "../store/sqlite.js";
import { click, resolveSpeaker, say, type ChatTarget, type Delivered } from "./chat-client.js";
import { renderCallbackResponse, renderCard } from "./render.js";

/**
 * npm run chat -- --as <open_id | 单位名> "/我的任务"
 * npm run chat -- --as 渝中区区卫健委 --click 上报 --field 数值=85 --field 周期=2026Q4
 * Talks to the bot running on 127.0.0.1:$PORT, or starts it in-process on the same database when none answers.
 */
async function main() {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      as: { type: "string" },
      click: { type: "string" },
      field: { type: "string", multiple: true, default: [] },
      chat: { type: "string" },
      group: { type: "boolean", default: false },
    },
  });
  if (!values.as || (!values.click && positionals.length === 0)) {
    console.error('用法: npm run chat -- --as <open_id|单位名> "/我的任务"\n      npm run chat -- --as <…> --click 上报 --field 数值=85 --field 周期=2026Q4');
    return 2;
  }
  const port = Number(process.env["PORT"] ?? 3000);
  let rt: Runtime | null = null;
  let target: ChatTarget;
  const running = await fetch(`http://127.0.0.1:${port}/healthz`).then((r) => r.ok, () => false);
  if (running) {
    const store = openSqlite({ path: process.env["DATABASE_PATH"] ?? defaultDatabasePath() });
    target = { url: `http://127.0.0.1:${port}`, db: store.db };
  } else {
    const quiet = { info: () => {}, warn: () => {}, error: (m: string, f?: Record<string, unknown>) => console.error(m, f ?? "") };
    // No LARK_* variables: the in-process bot is in local mode whatever the shell has set.
    const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("LARK_")));
    rt = await startRuntime({ env, port: 0, log: quiet });
    target = { url: rt.url, db: rt.store.db, idle: rt.idle };
  }
  try {
    const speaker = await resolveSpeaker(target.db, values.as);
    console.log(`（以 ${speaker.label} 身份${running ? "发送到运行中的机器人" : "在进程内运行机器人"}）\n`);
    if (values.click) {
      const fields = Object.fromEntries(values.field.map((f) => {
        const i = f.indexOf("=");
        if (i < 0) throw new Error(`--field 写成 名称=值，例如 --field 数值=85（收到 “${f}”）`);
        return [f.slice(0, i), f.slice(i + 1)];
      }));
      const { response, sent } = await click(target, speaker, values.click, fields);
      console.log(renderCallbackResponse(response));
      for (const s of sent) console.log(`\n→ 同时发给 ${s.target}\n${renderCard(s.card)}${saveFile(s)}`);
    } else {
      const answers = await say(target, speaker, positionals.join(" "), { chatId: values.chat, group: values.group });
      if (answers.length === 0) console.log("（机器人没有回复）");
      for (const a of answers) {
        const note = a.kind === "ephemeral" ? "（仅你可见）\n" : a.kind === "send_user" || a.kind === "send_chat" ? `→ 同时发给 ${a.target}\n` : "";
        console.log(`${note}${renderCard(a.card)}${saveFile(a)}\n`);
      }
    }
  } finally {
    await rt?.close();
  }
  return 0;
}

/** A file the bot sent is saved under data/received/, as the Lark client would download it. */
function saveFile(d: Delivered): string {
  if (!d.file) return "";
  const dir = resolve(process.env["DATABASE_PATH"] ? join(process.env["DATABASE_PATH"], "..") : "data", "received");
  mkdirSync(dir, { recursive: true });
  const path = join(dir, d.file.name);
  writeFileSync(path, d.file.bytes);
  return `\n已保存到 saved to ${path}`;
}

main().then(
  (code) => (process.exitCode = code),
  (err) => {
    console.error(err instanceof Error ? err.message : String(err));
    process.exitCode = 1;
  },
);
