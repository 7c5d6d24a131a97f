/**
 * Coded errors with the text an official sees. The code is for logs and tests; `userText` is Chinese and says how
 * to fix it (Bolt/Probot style).
 */
export type DubanErrorCode =
  | "unbound_user"
  | "not_responsible"
  | "invalid_value"
  | "invalid_period"
  | "invalid_note"
  | "stale_card"
  | "unknown_indicator"
  | "ambiguous_unit"
  | "unknown_unit"
  | "not_admin"
  | "bad_request"
  | "file_too_large"
  | "file_unavailable";

export class DubanError extends Error {
  constructor(
    readonly code: DubanErrorCode,
    readonly userText: string,
    /** The form field the error is about, so the toast can name it. */
    readonly field?: string,
  ) {
    super(`${code}: ${userText}`);
    this.name = "DubanError";
  }
}

export const isDubanError = (e: unknown): e is DubanError => e instanceof DubanError;
