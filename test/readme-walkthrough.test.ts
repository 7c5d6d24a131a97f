import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { applyWalkthrough, excerpt, generateWalkthrough, readmeBlocks } from "../scripts/walkthrough.js";

/**
 * The README's sample outputs are what the code prints: the walkthrough is replayed on a fresh seeded store with the
 * README's fixed clock, and every marked block must equal it. A changed card fails here until
 * `npm run walkthrough -- --write` regenerates the README.
 */
describe("the README walkthrough", () => {
  it("every marked block of README.md is the current output of its commands", async () => {
    const readme = readFileSync(new URL("../README.md", import.meta.url), "utf8");
    const generated = await generateWalkthrough();
    const inReadme = readmeBlocks(readme);
    expect([...inReadme.keys()].sort()).toEqual([...generated.keys()].sort());
    for (const [name, text] of generated) expect(inReadme.get(name), `README block ${name}; run npm run walkthrough -- --write`).toBe(text);
    expect(applyWalkthrough(readme, generated)).toBe(readme);
  }, 60_000);

  it("an excerpt whose anchor lines a changed card no longer has is an error, not a silently shorter sample", () => {
    const cut = excerpt({ after: /^催办　/, keep: 1, resume: /^另有/ });
    expect(cut("表\n催办　说明\nA [催办]\nB [催办]\nC [催办]\n另有 3 个单位")).toBe("表\n催办　说明\nA [催办]\n…\n另有 3 个单位");
    expect(() => cut("表\n催办　说明\nA [催办]")).toThrow(/另有/);
    expect(() => cut("表")).toThrow(/催办/);
  });
});
