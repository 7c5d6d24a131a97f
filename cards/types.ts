/** A Lark card in JSON 2.0 (schema "2.0", elements under body). Builders in cards/ are pure functions returning one. */
export interface Card {
  schema: "2.0";
  config?: Record<string, unknown>;
  header?: Record<string, unknown>;
  body: { elements: unknown[]; [k: string]: unknown };
  [k: string]: unknown;
}

/** What a card callback answers within 3 s: a toast and/or a replacement card. */
export interface CardActionResponse {
  toast?: { type: "info" | "success" | "error" | "warning"; content: string };
  card?: { type: "raw"; data: Card };
}
