import type { CardActionDef, CommandDef } from "../src/events/types.js";
import { approveBind, bind, bindChat, bindDepartment, bindPick, rejectBind } from "./bind.js";
import { exportLedgerCommand } from "./export.js";
import { helpCommand } from "./help.js";
import { cancelImport, confirmImport, exportParseAction, importPlan, reviseImport } from "./import.js";
import { indicators } from "./indicators.js";
import { myTasks, pageAction } from "./my-tasks.js";
import { progress, taskProgressAction } from "./progress.js";
import { confirmReportAction, openReportForm, report, submitReportAction } from "./report.js";
import { cuibanAction, cuibanReportAction, record, tongbao, tongbaoCancel, tongbaoConfirm } from "./supervise.js";
import { weeklyDigest } from "./weekly-digest.js";
import { welcomeGroup } from "./welcome.js";

/** Every chat command, in the order /帮助 lists them. */
export const commands: CommandDef[] = [];
commands.push(myTasks, report, progress, indicators, weeklyDigest, exportLedgerCommand, importPlan, record, tongbao, bind, bindChat, bindDepartment, helpCommand(() => commands));

/** Card buttons, matched on the button's `value.action`. */
export const cardActions: CardActionDef[] = [openReportForm, submitReportAction, confirmReportAction, pageAction, approveBind, rejectBind, bindPick, taskProgressAction, confirmImport, cancelImport, exportParseAction, reviseImport, cuibanAction, cuibanReportAction, tongbaoConfirm, tongbaoCancel];

/** What the bot does when it is added to a group (event im.chat.member.bot.added_v1). */
export const botAdded = welcomeGroup;
