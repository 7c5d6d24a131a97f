import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { fixedClock } from "../src/clock.js";
import { seedStore } from "../src/node/seed.js";
import { openSqlite } from "../src/store/sqlite.js";
import { demoOpenIdForUnit, findUnits, groupMembers, groupsContaining, unitLabel } from "../src/store/units.js";

const run = promisify(execFile);

describe("seeding and unit look-ups", () => {
  it("seeds the five plans once, gives every unit a demo account, and finds units by alias or place prefix", async () => {
    const { db, close } = openSqlite({ path: ":memory:" });
    const clock = fixedClock("2025-01-06T01:00:00Z");
    const first = await seedStore(db, "seeds", clock, { demoRoster: true });
    expect(first.plans).toBe(5);
    expect(first.imported).toHaveLength(5);
    const again = await seedStore(db, "seeds", clock, { demoRoster: true });
    expect(again.imported).toHaveLength(0);
    expect({ ...again, imported: [], roster: null }).toEqual({ ...first, imported: [], roster: null });
    // The roster's 11 streets of 各街道 and 10 district governments of Guiyang are created once, not again.
    expect(first.roster).toMatchObject({ groupMembers: 21, skipped: [] });
    expect(again.roster).toMatchObject({ members: 0, chats: 0, groupMembers: 0, unitsCreated: [] });

    const yz = await findUnits(db, "区卫生健康委员会", { jurisdiction: "重庆市渝中区" });
    expect(yz.map(unitLabel)).toEqual(["区卫健委（重庆市渝中区）"]);
    expect((await findUnits(db, "渝中区卫健委")).map((u) => u.jurisdiction)).toEqual(["重庆市渝中区"]);
    // Abbreviations are expanded by rule, not by a list per document: 大足 prints 区人力社保局 and 区住房城乡建委.
    expect((await findUnits(db, "区人力资源和社会保障局", { jurisdiction: "重庆市大足区" })).map((u) => u.name)).toEqual(["区人力社保局"]);
    expect((await findUnits(db, "区住建委", { jurisdiction: "重庆市大足区" })).map((u) => u.name)).toEqual(["区住房城乡建委"]);
    // The same printed name in two districts is ambiguous until the caller says which.
    expect((await findUnits(db, "区卫健委")).length).toBeGreaterThan(1);

    const member = await db.selectFrom("members").select("unit_id").where("open_id", "=", await demoOpenIdForUnit("重庆市渝中区", "区卫健委")).executeTakeFirst();
    expect(member?.unit_id).toBe(yz[0]!.id);
    const admin = await db.selectFrom("members").select("role").where("open_id", "=", "ou_demo_admin").executeTakeFirst();
    expect(admin?.role).toBe("admin");

    const [streets] = await findUnits(db, "各街道", { jurisdiction: "重庆市渝中区" });
    expect(streets?.kind).toBe("group");
    const [street] = await findUnits(db, "解放碑街道", { jurisdiction: "重庆市渝中区" });
    expect((await groupMembers(db, streets!.id)).map((u) => u.name)).toHaveLength(11);
    expect((await groupMembers(db, streets!.id)).map((u) => u.name)).toContain("解放碑街道");
    expect((await groupsContaining(db, street!.id)).map((u) => u.name)).toEqual(["各街道"]);
    close();
  });

  it("the CLI prints a dry-run parse as JSON and refuses an empty or missing file with a non-zero exit", async () => {
    const dir = mkdtempSync(join(tmpdir(), "duban-import-"));
    const doc = join(dir, "plan.txt");
    writeFileSync(doc, "某某区人民政府办公室\n2025年3月1日\n某某区健康行动实施方案\n(一)提升能力\n1.加强基层建设。到2025年,建成甲级中心5个。(责任单位:区卫健委、各街道)\n");
    const empty = join(dir, "empty.txt");
    writeFileSync(empty, "");
    const cli = ["tsx", "src/importer/cli.ts"];
    const { stdout } = await run("npx", [...cli, "--dry-run", "--json", doc], { env: { ...process.env, DATABASE_PATH: join(dir, "never.sqlite") } });
    const parsed = JSON.parse(stdout);
    expect(existsSync(join(dir, "never.sqlite"))).toBe(false);
    expect(parsed.tasks[0].units).toEqual(["区卫健委", "各街道"]);
    expect(parsed.tasks[0].indicators[0]).toMatchObject({ target: 5, cmp: ">=", year: 2025 });
    const failure = await run("npx", [...cli, empty, join(dir, "missing.txt")]).then(() => null, (e: { code: number; stderr: string }) => e);
    expect(failure?.code).not.toBe(0);
    expect(failure?.stderr).toMatch(/无法导入 empty\.txt：文件是空的/);
    expect(failure?.stderr).toMatch(/无法读取文件.*missing\.txt.*ENOENT/);
  }, 180_000);
});
