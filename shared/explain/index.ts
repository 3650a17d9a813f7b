// Public API of faithful explanations: exact score decomposition, reasons, and their text.
export { explainScore, explainItems } from './decompose';
export type { Contribution, Explanation } from './decompose';
export { allReasons, topReasons, reasonsByCategory, dominantCategory, UNCATEGORISED } from './reasons';
export type { Reason, CategoryReason } from './reasons';
export { describeExplanation } from './describe';
export type { DescribeOptions } from './describe';
