/**
 * @airlock/audit: policy-as-code for GitHub Actions workflows and action metadata. Pure: files in, findings out; the
 * online checks take their HTTP client as an argument.
 */
export { type FixPlan, planFixes } from './autofix.ts';
export {
  type AuditConfig,
  DEFAULT_CONFIG,
  globToRegExp,
  type IgnoreEntry,
  parseConfig,
  type RuleSetting,
} from './config.ts';
export {
  type AuditInput,
  type AuditOptions,
  type AuditResult,
  auditPaths,
  auditRaw,
  auditTexts,
  type DiscoveredFile,
  discover,
  type FileKind,
  finishAudit,
  MAX_FILE_BYTES,
  parseDocumentFile,
  readInputs,
  withFindings,
  workflowContext,
} from './engine.ts';
export { AuditError, type AuditErrorCode } from './errors.ts';
export { evaluate, flows, references, referenceText, truthiness } from './expressions/analysis.ts';
export type { Expr } from './expressions/ast.ts';
export { ExpressionSyntaxError, parseExpression } from './expressions/parser.ts';
export { parseCondition, scanTemplate } from './expressions/template.ts';
export { compareFindings, type Finding, type FindingJson, type Fix, findingJson, type TextEdit } from './finding.ts';
export { applyEdits, fixFile, unifiedDiff } from './fixes.ts';
export {
  describePermissions,
  groupInventory,
  type Inventory,
  inventory,
  inventoryJobs,
  inventoryOf,
  type JobIdentities,
} from './inventory.ts';
export { ACTIONS, lookupAction } from './knowledge/index.ts';
export type { Document, Job, Step, Workflow } from './model/types.ts';
export {
  AUDIT_WORKER,
  auditChunk,
  auditTextsLean,
  auditTextsParallel,
  type ParallelOptions,
  serveAuditWorker,
  type WorkerLike,
} from './parallel.ts';
export { type FindingRecord, findingRecords } from './report/json.ts';
export { type SarifOptions, toSarif } from './report/sarif.ts';
export { writeSummary } from './report/summary.ts';
export { countBySeverity, findingsText, inventoryText } from './report/text.ts';
export { RULE_IDS, RULES, type Rule, ruleById } from './rules/index.ts';
export {
  CONFIDENCES,
  type Confidence,
  FAIL_ON,
  type FailOn,
  highest,
  reaches,
  SEVERITIES,
  type Severity,
  severityRank,
} from './severity.ts';
export { lazySource, parseSource, type SourceFile } from './source/yaml.ts';
