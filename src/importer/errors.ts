/**
 * Why a file could not be imported, in words an admin can act on. The code is for logs, tests and the CLI's exit;
 * `userText` is Chinese, names the problem and says what to send instead. Nothing is stored when one is thrown.
 */
export type ImportErrorCode =
  | "empty_file"
  | "too_large"
  | "unsupported_format"
  | "corrupt_file"
  | "encrypted_file"
  | "no_text_layer"
  | "no_measures";

export class ImportError extends Error {
  constructor(
    readonly code: ImportErrorCode,
    readonly userText: string,
  ) {
    super(`${code}: ${userText}`);
    this.name = "ImportError";
  }
}

export const isImportError = (e: unknown): e is ImportError => e instanceof ImportError;
