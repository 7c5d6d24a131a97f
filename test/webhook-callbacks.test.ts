import { afterEach, describe, expect, it } from "vitest";
import { noticeCard } from "../cards/notice.js";
import { DubanError } from "../src/domain/errors.js";
import type { CardActionDef, CommandDef } from "../src/events/types.js";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { cardEvent, messageEvent, startTestServer, localEnv } from "./support/events.js";

// Local mode (no LARK_* variables): unsigned loopback events, replies land in the outbox table.
const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (closers.length) await closers.pop()!();
});

async function server(o: { commands?: CommandDef[]; cardActions?: CardActionDef[]; dir?: string } = {}) {
  const s = await startTestServer({ env: localEnv, seedsDir: null, commands: o.commands ?? [], cardActions: o.cardActions ?? [], ...(o.dir ? { dir: o.dir } : {}) });
  closers.push(() => s.close());
  return s;
}

const postCard = async (s: Awaited<ReturnType<typeof server>>, body: unknown) => {
  const res = await s.post(body, { headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
  expect(res.status).toBe(200);
  return (await res.json()) as { toast?: { content: string }; card?: unknown };
};

describe("card callbacks", () => {
  it("answer with the handler's toast, and a repeated delivery does not run the handler again", async () => {
    const clicks: string[] = [];
    const s = await server({
      cardActions: [{ action: "confirm", handle: async (ctx) => (clicks.push(ctx.action.operatorOpenId), { toast: { type: "success", content: "已确认" } }) }],
    });
    const ev = cardEvent({ openId: "ou_a", value: { action: "confirm" } });
    expect((await postCard(s, ev)).toast?.content).toBe("已确认");
    const again = await postCard(s, ev);
    expect(again.toast?.content).toBe("已处理过该操作");
    expect(clicks).toEqual(["ou_a"]);
  });

  it("answer 'still working' when the handler is slow, and the handler still finishes", async () => {
    let finished = false;
    const s = await server({
      cardActions: [{ action: "slow", handle: async () => (await new Promise((r) => setTimeout(r, 2800)), (finished = true), { toast: { type: "success", content: "完成" } }) }],
    });
    const answer = await postCard(s, cardEvent({ openId: "ou_a", value: { action: "slow" } }));
    expect(answer.toast?.content).toContain("正在处理");
    await new Promise((r) => setTimeout(r, 600));
    expect(finished).toBe(true);
  });

  it("keep nothing of a handler that failed half-way (one transaction per tap), record the failure, and say so", async () => {
    const s = await server({
      cardActions: [
        {
          action: "half",
          handle: async (ctx) => {
            await ctx.messenger.sendToChat("oc_lead", noticeCard("已上报", "半截"));
            throw new Error("disk on fire");
          },
        },
      ],
    });
    const ev = cardEvent({ openId: "ou_a", value: { action: "half" } });
    expect((await postCard(s, ev)).toast?.content).toContain("处理时出错了");
    expect(await s.store.db.selectFrom("outbox").select("target").execute()).toEqual([]);
    const row = await s.store.db.selectFrom("processed_events").select(["status", "error"]).where("key", "=", `event:${ev.header.event_id}`).executeTakeFirst();
    expect(row).toMatchObject({ status: "failed", error: expect.stringContaining("disk on fire") });
  });

  it("answer taps arriving together each on its own: the one that fails half-way keeps nothing, the others keep theirs", async () => {
    const s = await server({
      cardActions: [
        {
          action: "note",
          handle: async (ctx) => {
            const n = Number(ctx.action.value["n"]);
            await ctx.messenger.sendToChat(`oc_${n}`, noticeCard("已上报", `第${n}条`));
            if (n === 3) throw new Error("disk on fire");
            return { toast: { type: "success", content: `已记录${n}` } };
          },
        },
      ],
    });
    const taps = [1, 2, 3, 4, 5, 6].map((n) => cardEvent({ openId: "ou_a", value: { action: "note", n } }));
    const answers = await Promise.all(taps.map(async (ev) => (await postCard(s, ev)).toast?.content));
    expect(answers).toEqual(["已记录1", "已记录2", expect.stringContaining("处理时出错了"), "已记录4", "已记录5", "已记录6"]);
    const sent = await s.store.db.selectFrom("outbox").select("target").orderBy("target").execute();
    expect(sent.map((r) => r.target)).toEqual(["oc_1", "oc_2", "oc_4", "oc_5", "oc_6"]);
    const statuses = await s.store.db.selectFrom("processed_events").select(["key", "status"]).where("key", "in", taps.map((ev) => `event:${ev.header.event_id}`)).execute();
    expect(new Map(statuses.map((r) => [r.key, r.status]))).toEqual(new Map(taps.map((ev, i) => [`event:${ev.header.event_id}`, i === 2 ? "failed" : "done"])));
  });

  it("leave each answered tap recorded as done, a refusal and an unknown button too, so a repeat is not run again", async () => {
    const runs: string[] = [];
    const s = await server({
      cardActions: [
        { action: "ok", handle: async () => (runs.push("ok"), { toast: { type: "success", content: "已确认" } }) },
        { action: "refuse", handle: async () => (runs.push("refuse"), Promise.reject(new DubanError("not_responsible", "您不属于该单位"))) },
      ],
    });
    const taps = ["ok", "refuse", "gone"].map((action) => cardEvent({ openId: "ou_a", value: { action } }));
    const answers = [];
    for (const ev of taps) answers.push((await postCard(s, ev)).toast?.content);
    expect(answers).toEqual(["已确认", "您不属于该单位", expect.stringContaining("重新发送命令")]);
    const rows = await s.store.db.selectFrom("processed_events").select(["key", "status", "payload", "error"]).where("key", "in", taps.map((ev) => `event:${ev.header.event_id}`)).execute();
    expect(rows).toHaveLength(3);
    for (const row of rows) expect(row).toMatchObject({ status: "done", payload: null, error: null });
    for (const ev of taps) expect((await postCard(s, ev)).toast?.content).toBe("已处理过该操作");
    expect(runs).toEqual(["ok", "refuse"]);
  });

  it("tell the user to fetch a new card when the button names no known action", async () => {
    const s = await server();
    expect((await postCard(s, cardEvent({ openId: "ou_a", value: { action: "gone" } }))).toast?.content).toContain("重新发送命令");
  });
});

describe("a card's values", () => {
  it("reach the handler as the card sent them; a value or form that is not an object is refused, naming it, and runs nothing", async () => {
    const seen: unknown[] = [];
    const s = await server({ cardActions: [{ action: "look", handle: async (ctx) => (seen.push([ctx.action.value, ctx.action.formValue]), { toast: { type: "info", content: "看过了" } }) }] });
    const value = { action: "look", n: 3, nested: { a: [1, "二"] }, none: null };
    expect((await postCard(s, cardEvent({ openId: "ou_a", value, formValue: { value: "85.5", period: 2026 } }))).toast?.content).toBe("看过了");
    expect((await postCard(s, cardEvent({ openId: "ou_a", value: { action: "look" } }))).toast?.content).toBe("看过了");
    expect(seen).toEqual([[value, { value: "85.5", period: 2026 }], [{ action: "look" }, {}]]);
    for (const [field, bad] of [["value", ["look"]], ["value", "look"], ["form_value", 5], ["form_value", null]] as const) {
      const ev = cardEvent({ openId: "ou_a", value: { action: "look" } });
      (ev.event.action as Record<string, unknown>)[field] = bad;
      const res = await s.post(ev);
      expect(res.status).toBe(400);
      expect(await res.json()).toEqual({ error: `malformed card.action.trigger: event.action.${field}` });
    }
    expect(seen).toHaveLength(2);
  });
});

describe("messages that are not commands", () => {
  it("run the help command with the original text, so it can say which command is unknown", async () => {
    const seen: string[] = [];
    const help: CommandDef = { name: "帮助", summary: "帮助", handle: async (ctx) => (seen.push(ctx.args), ctx.reply(noticeCard("帮助", `未知命令：${ctx.args}`))) };
    const s = await server({ commands: [help] });
    expect((await s.post(messageEvent({ text: "/不存在的命令 abc", openId: "ou_a", group: true }))).status).toBe(200);
    await s.idle();
    expect(seen).toEqual(["/不存在的命令 abc"]);
    const rows = await s.store.db.selectFrom("outbox").select(["kind", "payload"]).execute();
    expect(rows).toHaveLength(1);
    expect(rows[0]!.payload).toContain("未知命令");
  });
});

describe("a crash after answering 200", () => {
  it("is finished at the next start-up from the event stored in the inbox", async () => {
    const ran: string[] = [];
    const cmd: CommandDef = { name: "ping", summary: "ping", handle: async (ctx) => (ran.push(ctx.message.messageId), ctx.reply(noticeCard("pong", "pong"))) };
    const dir = mkdtempSync(join(tmpdir(), "duban-crash-"));
    closers.push(async () => rmSync(dir, { recursive: true, force: true }));
    const first = await server({ commands: [cmd], dir });
    const ev = messageEvent({ text: "/ping", openId: "ou_a" });
    // What the inbox holds when the process died between the answer and the work.
    await first.store.db
      .insertInto("processed_events")
      .values({ key: `event:${ev.header.event_id}`, kind: "im.message.receive_v1", received_at: new Date(Date.now() - 60_000).toISOString(), status: "received", payload: JSON.stringify(ev), error: null })
      .execute();
    await first.store.db.deleteFrom("outbox").execute();
    closers.pop();
    await first.close();

    const second = await server({ commands: [cmd], dir });
    await second.idle();
    expect(ran).toEqual([ev.event.message.message_id]);
    const row = await second.store.db.selectFrom("processed_events").select("status").where("key", "=", `event:${ev.header.event_id}`).executeTakeFirstOrThrow();
    expect(row.status).toBe("done");
    expect(await second.store.db.selectFrom("outbox").select("id").execute()).toHaveLength(1);
    // A Lark retry of the same event after the restart is recognised as a duplicate.
    expect(await (await second.post(ev)).json()).toEqual({ msg: "duplicate" });
  });
});
