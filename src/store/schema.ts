import type { Generated, Insertable, Selectable } from "kysely";

/** The typed shape of migrations/*.sql. Keep in step with the SQL; rows are derived, never written twice. */
export interface Database {
  plans: PlansTable;
  sections: SectionsTable;
  tasks: TasksTable;
  units: UnitsTable;
  unit_aliases: UnitAliasesTable;
  unit_group_members: UnitGroupMembersTable;
  task_units: TaskUnitsTable;
  indicators: IndicatorsTable;
  members: MembersTable;
  chats: ChatsTable;
  bind_requests: BindRequestsTable;
  department_units: DepartmentUnitsTable;
  reports: ReportsTable;
  report_heads: ReportHeadsTable;
  processed_events: ProcessedEventsTable;
  outbox: OutboxTable;
  chat_info: ChatInfoTable;
  pending_imports: PendingImportsTable;
  supervision_events: SupervisionEventsTable;
  supervision_deliveries: SupervisionDeliveriesTable;
  send_pacing: SendPacingTable;
  leases: LeasesTable;
}

export type Cmp = ">=" | "<=" | "=";
export type Role = "lead" | "support";
export type MemberRole = "member" | "admin" | "supervisor";
export type ReportPeriodKind = "month" | "quarter" | "year";
/** Where an indicator's due year came from; anything but "text" is shown to officials as （年份推定）. */
export type DueYearSource = "text" | "deadline" | "plan_year" | "objective_year";

export interface PlansTable {
  id: Generated<number>;
  jurisdiction: string;
  title: string;
  issuer: string | null;
  issued_on: string | null;
  source_file: string;
  source_hash: string;
  imported_at: string;
}

export interface SectionsTable {
  id: Generated<number>;
  plan_id: number;
  ordinal: number;
  code: string | null;
  title: string;
}

export interface TasksTable {
  id: Generated<number>;
  plan_id: number;
  section_id: number | null;
  code: string;
  ordinal: number;
  title: string | null;
  text: string;
  deadline: string | null;
  deadline_text: string | null;
  retired_at: string | null;
}

export interface UnitsTable {
  id: Generated<number>;
  jurisdiction: string;
  name: string;
  kind: "unit" | "group";
}

export interface UnitAliasesTable {
  jurisdiction: string;
  alias: string;
  unit_id: number;
}

export interface UnitGroupMembersTable {
  group_id: number;
  unit_id: number;
}

export interface TaskUnitsTable {
  task_id: number;
  unit_id: number;
  role: Role;
  ordinal: number;
  printed_name: string;
}

export interface IndicatorsTable {
  id: Generated<number>;
  task_id: number;
  ordinal: number;
  key: string;
  name: string;
  unit_of_measure: string | null;
  cmp: Cmp;
  target: number;
  target_year: number | null;
  baseline: number | null;
  baseline_year: number | null;
  quote: string;
  period: ReportPeriodKind;
  retired_at: string | null;
  /** The year the target must be met: target_year when stated, else an estimate (see due_year_source). */
  due_year: number | null;
  due_year_source: DueYearSource | null;
}

export interface MembersTable {
  id: Generated<number>;
  open_id: string;
  unit_id: number | null;
  role: MemberRole;
  name: string | null;
  created_at: string;
}

/** Lark department → unit, set only by an admin (migration 0003). */
export interface DepartmentUnitsTable {
  department_id: string;
  unit_id: number;
  bound_by: string;
  bound_at: string;
}

export interface ChatsTable {
  chat_id: string;
  kind: "unit" | "supervisor";
  unit_id: number | null;
  name: string | null;
  bound_by: string | null;
  bound_at: string;
}

export interface BindRequestsTable {
  id: Generated<number>;
  open_id: string;
  unit_id: number;
  chat_id: string | null;
  status: "pending" | "approved" | "rejected";
  requested_at: string;
  decided_by: string | null;
  decided_at: string | null;
}

export interface ReportsTable {
  id: Generated<number>;
  indicator_id: number;
  unit_id: number;
  period: string;
  value: number;
  reporter_open_id: string;
  reported_at: string;
  note: string | null;
  request_key: string | null;
}

/**
 * Per (indicator, reporting unit): its newest report and its newest report of the period before (migrations/0017).
 * Kept by triggers on reports and never written by the code: read it, do not insert into it.
 */
export interface ReportHeadsTable {
  indicator_id: number;
  unit_id: number;
  latest_id: number;
  latest_value: number;
  latest_period: string;
  latest_reported_at: string;
  previous_id: number | null;
  previous_value: number | null;
  previous_period: string | null;
  previous_reported_at: string | null;
}

export interface ProcessedEventsTable {
  key: string;
  kind: string;
  received_at: string;
  status: "received" | "done" | "failed" | "duplicate";
  payload: string | null;
  error: string | null;
}

export interface OutboxTable {
  id: Generated<number>;
  dedupe_key: string | null;
  kind: "reply" | "send_chat" | "send_user" | "ephemeral" | "patch" | "card_update" | "send_file" | "urgent_app";
  target: string;
  payload: string;
  status: "pending" | "sending" | "sent" | "failed";
  attempts: number;
  next_attempt_at: string;
  last_error: string | null;
  created_at: string;
  sent_at: string | null;
  result_message_id: string | null;
  /** 1 interactive (sent first), 0 bulk (digests, reminders). */
  priority: Generated<number>;
  /** When an instance claimed the row for sending; a claim past the lease is taken over by another instance. */
  claimed_at: string | null;
}

/** One send counted against one of Lark's limits, shared by all instances (migrations/0010). */
export interface SendPacingTable {
  id: Generated<number>;
  /** 'app' or 't:<chat or user>'. */
  key: string;
  /** Milliseconds since the epoch. */
  at: number;
}

/** A job that runs on one instance at a time: who holds it and until when (ms since the epoch). */
export interface LeasesTable {
  name: string;
  holder: string;
  expires_at: number;
}

/** Cached chat mode from GET /im/v1/chats/:chat_id (migration 0005). */
export interface ChatInfoTable {
  chat_id: string;
  /** "group", "topic" or "p2p". */
  chat_mode: string;
  /** "chat" or "thread" (a group whose messages are topics); null when Lark did not say. */
  group_message_type: string | null;
  fetched_at: string;
}

/** A plan file's parse between the preview and 确认导入 (migrations/0004_pending_imports.sql). */
export interface PendingImportsTable {
  id: Generated<number>;
  nonce: string;
  open_id: string;
  chat_id: string;
  file_name: string;
  file_hash: string;
  parsed: string;
  status: "pending" | "confirmed" | "cancelled";
  created_at: string;
  decided_by: string | null;
  decided_at: string | null;
  plan_id: number | null;
}

export type SupervisionKind = "reminder" | "cuiban" | "urgent" | "tongbao" | "report";

/** Append-only (migrations/0006): rows are inserted, never updated or deleted. */
export interface SupervisionEventsTable {
  id: Generated<number>;
  kind: SupervisionKind;
  actor_open_id: string | null;
  unit_id: number | null;
  recipients: string;
  items: string;
  items_key: string;
  detail: string | null;
  ref_event_id: number | null;
  created_at: string;
}

/** Append-only: one row per finished delivery of a send that a supervision event made. */
export interface SupervisionDeliveriesTable {
  id: Generated<number>;
  event_id: number;
  outbox_id: number;
  target: string;
  result: "sent" | "failed";
  message_id: string | null;
  error: string | null;
  at: string;
}

export type Plan = Selectable<PlansTable>;
export type Task = Selectable<TasksTable>;
export type Unit = Selectable<UnitsTable>;
export type Indicator = Selectable<IndicatorsTable>;
export type Member = Selectable<MembersTable>;
export type Chat = Selectable<ChatsTable>;
export type Report = Selectable<ReportsTable>;
export type NewReport = Insertable<ReportsTable>;
export type OutboxRow = Selectable<OutboxTable>;
export type SupervisionEvent = Selectable<SupervisionEventsTable>;
