/**
 * The migration list, one source for both stores: the `.sql` files in migrations/ (wrangler's D1 format).
 * Node reads them from disk; the Workers bundle imports them as text (wrangler.toml [[rules]] type "Text").
 */
export interface Migration {
  name: string;
  sql: string;
}

/**
 * Splits a migration into statements: `;` at a line end ends a statement. A trigger is therefore written on one
 * line (`… BEGIN SELECT RAISE(ABORT, '…'); END;`), so the `;` inside its body does not end a line.
 */
export function splitStatements(sql: string): string[] {
  return sql
    .split(/;\s*(?:\r?\n|$)/)
    .map((s) => s.replace(/^\s*--.*$/gm, "").trim())
    .filter((s) => s.length > 0);
}
