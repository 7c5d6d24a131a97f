import { card, md } from "./elements.js";
import type { Card, CardActionResponse } from "./types.js";

/** A short card for answers that are only text: errors, hints, confirmations. */
export function noticeCard(title: string, text: string, color: "blue" | "red" | "orange" | "green" | "grey" = "blue"): Card {
  return card(title, [md(text)], { color });
}

export const errorCard = (text: string) => noticeCard("无法完成", text, "red");

export const toast = (type: "info" | "success" | "error" | "warning", content: string): CardActionResponse => ({
  toast: { type, content },
});
