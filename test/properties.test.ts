import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { DubanError } from "../src/domain/errors.js";
import { parsePeriod } from "../src/domain/period.js";
import { indicatorStatus } from "../src/domain/status.js";
import { readNumber } from "../src/domain/number-input.js";
import { formValueSchema, validateValue } from "../src/domain/report.js";
import { parseCommand } from "../src/events/parse-command.js";
import type { CommandDef } from "../src/events/types.js";
import { isImportError } from "../src/importer/errors.js";
import { parseDocument } from "../src/importer/parse.js";
import { readFileSync } from "node:fs";

/** Bad input never crashes the parsers; what they accept obeys the rules a user relies on. */
const cmds: CommandDef[] = [
  { name: "我的任务", aliases: ["mytasks"], summary: "", handle: async () => {} },
  { name: "上报", aliases: ["report"], summary: "", handle: async () => {} },
];

describe("command parser", () => {
  it("never throws, and finds a command only when the text names one", () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 200 }), (text) => {
        const p = parseCommand(text, cmds);
        if (p.command) expect([p.command.name, ...(p.command.aliases ?? [])].map((x) => x.toLowerCase())).toContain(p.word.toLowerCase());
      }),
      { numRuns: 2000 },
    );
  });

  it("reads a command whatever mentions, full-width slash, spaces and case surround it", () => {
    fc.assert(
      fc.property(fc.constantFrom("/", "／"), fc.constantFrom("", "@_user_1 ", "@_user_2  "), fc.constantFrom("我的任务", "MyTasks", "mytasks"), fc.string({ maxLength: 20 }).map((s) => s.replace(/\s+/g, "x")), (slash, mention, word, arg) => {
        const p = parseCommand(`${mention}${slash}${word}   ${arg}`, cmds);
        expect(p.command?.name).toBe("我的任务");
        expect(p.args).toBe(arg.trim());
      }),
    );
  });
});

describe("card-callback validation", () => {
  it("a value is either refused with a Chinese message naming 数值, or a finite number within the unit's range", () => {
    fc.assert(
      fc.property(fc.oneof(fc.string({ maxLength: 30 }), fc.double().map(String), fc.integer().map((n) => `${n}%`)), fc.constantFrom("%", "个", null), (raw, unit) => {
        try {
          const v = validateValue(raw, unit);
          expect(Number.isFinite(v)).toBe(true);
          expect(v).toBeGreaterThanOrEqual(0);
          if (unit === "%") expect(v).toBeLessThanOrEqual(100);
          expect(readNumber(raw, unit)).toEqual({ ok: true, value: v });
        } catch (e) {
          expect(e).toBeInstanceOf(DubanError);
          expect((e as DubanError).userText).toMatch(/^数值：/);
        }
      }),
      { numRuns: 3000 },
    );
  });

  it("any form_value object is parsed or refused, never crashes", () => {
    fc.assert(
      fc.property(fc.dictionary(fc.constantFrom("indicator", "value", "period", "note", "x"), fc.oneof(fc.string(), fc.integer(), fc.constant(null), fc.boolean())), (form) => {
        const r = formValueSchema.safeParse(form);
        if (r.success) expect(/^\d+$/.test(r.data.indicator)).toBe(true);
      }),
    );
  });

  it("periods are normalised or refused with the expected spelling", () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 15 }), fc.constantFrom("month" as const, "quarter" as const, "year" as const), (raw, kind) => {
        const r = parsePeriod(raw, kind);
        if (r.ok) expect(r.period).toMatch(kind === "month" ? /^\d{4}-(0[1-9]|1[0-2])$/ : kind === "quarter" ? /^\d{4}Q[1-4]$/ : /^\d{4}$/);
        else expect(r.message).toMatch(/请写成|之间/);
      }),
      { numRuns: 2000 },
    );
  });
});

describe("importer", () => {
  const seed = readFileSync("seeds/000_yuzhong-medical-service-system.txt", "utf8");
  const lines = seed.split("\n");

  it("random text never crashes it and never yields a measure without text or units", () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1, maxLength: 400 }).filter((s) => s.trim().length > 0), (text) => {
        let p: ReturnType<typeof parseDocument>;
        try {
          p = parseDocument(text);
        } catch (e) {
          // Text that holds nothing readable ("??", what a broken encoding leaves) is refused with the coded error
          // an admin is shown; anything else thrown is a crash.
          expect(isImportError(e) && e.code).toBe("empty_file");
          return;
        }
        for (const t of p.tasks) {
          expect(t.text.trim().length).toBeGreaterThan(0);
          expect(t.units.length).toBeGreaterThan(0);
        }
      }),
      { numRuns: 300 },
    );
  });

  it("mutated real documents (lines dropped, duplicated, shuffled, characters damaged) never crash it", () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ op: fc.constantFrom("drop", "dup", "damage", "swap"), at: fc.nat(lines.length - 1), ch: fc.constantFrom("?", "(", "〕", "\t", "|", "责任单位:", "") }), { maxLength: 30 }),
        (edits) => {
          const doc = [...lines];
          for (const e of edits) {
            const k = e.at % doc.length;
            if (e.op === "drop") doc.splice(k, 1);
            else if (e.op === "dup") doc.splice(k, 0, doc[k]!);
            else if (e.op === "swap") [doc[k], doc[(k + 7) % doc.length]] = [doc[(k + 7) % doc.length]!, doc[k]!];
            else doc[k] = `${e.ch}${doc[k]!.slice(0, 20)}${e.ch}${doc[k]!.slice(20)}`;
          }
          const text = doc.join("\n");
          if (!text.trim()) return;
          const p = parseDocument(text);
          for (const t of p.tasks) expect(t.text.trim().length).toBeGreaterThan(0);
        },
      ),
      { numRuns: 150 },
    );
  });
});

describe("indicator status (src/domain/status.ts)", () => {
  const indicator = fc.record({
    cmp: fc.constantFrom(">=" as const, "<=" as const, "=" as const),
    target: fc.double({ min: 0, max: 1e6, noNaN: true }),
    target_year: fc.option(fc.integer({ min: 2015, max: 2035 })),
    baseline: fc.option(fc.double({ min: 0, max: 1e6, noNaN: true })),
    baseline_year: fc.option(fc.integer({ min: 2010, max: 2035 })),
  });
  const when = fc.date({ min: new Date("2015-01-01T00:00:00Z"), max: new Date("2036-12-31T00:00:00Z"), noInvalidDate: true });
  const misses = (cmp: string, v: number, t: number) => (cmp === ">=" ? v < t - 1e-6 : cmp === "<=" ? v > t + 1e-6 : Math.abs(v - t) > 1e-6 * Math.max(1, t));

  it("is never 已达标 when the latest value misses the target in the target's direction", () => {
    fc.assert(
      fc.property(indicator, fc.double({ min: 0, max: 1e6, noNaN: true }), when, (ind, value, now) => {
        const r = indicatorStatus(ind, value, now);
        if (misses(ind.cmp, value, ind.target)) expect(r.status).not.toBe("achieved");
        // …and it is 已达标 as soon as the target is met, whatever the year or the baseline.
        const met = ind.cmp === ">=" ? ind.target + value : ind.cmp === "<=" ? ind.target * (value / 1e6) : ind.target;
        expect(indicatorStatus(ind, met, now).status).toBe("achieved");
      }),
      { numRuns: 3000 },
    );
  });

  it("is never 已逾期 before the target year has ended (in China time)", () => {
    fc.assert(
      fc.property(indicator, fc.option(fc.double({ min: 0, max: 1e6, noNaN: true })), when, (ind, value, now) => {
        const r = indicatorStatus(ind, value, now);
        const year = Number(new Intl.DateTimeFormat("en-CA", { timeZone: "Asia/Shanghai", year: "numeric" }).format(now));
        if (ind.target_year === null || year <= ind.target_year) expect(r.status).not.toBe("overdue");
      }),
      { numRuns: 3000 },
    );
  });
});
