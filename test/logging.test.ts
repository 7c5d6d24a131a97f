import { describe, expect, it } from "vitest";
import { createLogger } from "../src/log.js";

describe("logs", () => {
  it("never print the app secret, the verification token or the encrypt key", () => {
    const lines: string[] = [];
    const log = createLogger(["s3cr3t-app", "verify-tok", "enc-key-123"], (l) => lines.push(l));
    log.error("lark sdk", { detail: "request failed with app_secret=s3cr3t-app token verify-tok key enc-key-123" });
    expect(lines.join("\n")).not.toMatch(/s3cr3t-app|verify-tok|enc-key-123/);
    expect(lines[0]).toContain("***");
  });
});
