import { describe, expect, it } from "vitest";
import { renderCard } from "../src/local/render.js";

// The terminal chat client shows cards as text; a digest chart must read as labelled bars, whichever axis holds the numbers.
describe("the terminal rendering of a chart", () => {
  const chart = (xField: string, yField: string) => ({
    schema: "2.0",
    body: { elements: [{ tag: "chart", chart_spec: { type: "bar", direction: "horizontal", xField, yField, data: { values: [{ unit: "区卫健委（渝中）", completeness: 4 }, { unit: "市卫生健康局（贵阳）", completeness: 0 }] } } }] },
  });

  it("draws horizontal bars (number on x) with the unit as the label", () => {
    const text = renderCard(chart("completeness", "unit"));
    expect(text).toMatch(/区卫健委（渝中）\s+█{20} 4/);
    expect(text).toMatch(/市卫生健康局（贵阳） +0/);
    expect(text).not.toContain("NaN");
  });

  it("draws vertical bars (number on y) the same way", () => {
    expect(renderCard(chart("unit", "completeness"))).toMatch(/区卫健委（渝中）\s+█{20} 4/);
  });
});
