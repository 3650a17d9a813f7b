// One-sentence text for an explanation: "Because you liked Alien (41%) and Blade Runner (30%)".
import type { Explanation } from './decompose';
import { topReasons } from './reasons';
import type { Reason } from './reasons';

/** Options for describeExplanation. */
export interface DescribeOptions {
  /** How many history items to name (default 2). */
  maxReasons?: number;
}

/** Integer percent; a positive share that rounds to 0 reads "<1%" so a named reason never claims nothing. */
function percent(share: number): string {
  const p = Math.round(share * 100);
  return p === 0 && share > 0 ? '<1%' : `${p}%`;
}

/** "a", "a and b", "a, b and c". */
function joinList(parts: string[]): string {
  if (parts.length <= 1) return parts.join('');
  return `${parts.slice(0, -1).join(', ')} and ${parts[parts.length - 1]}`;
}

function verb(reason: Reason): string {
  // A positive term from a disliked item is real (it is unlike this one); calling it "liked" would be false.
  return reason.target >= 0 ? 'liked' : 'disliked';
}

/**
 * Describe why an item is recommended, naming its largest positive reasons with their shares. With no
 * positive reason the score is all offset (item bias), so the sentence credits overall popularity instead.
 */
export function describeExplanation(
  explanation: Explanation,
  titles: (item: number) => string,
  { maxReasons = 2 }: DescribeOptions = {},
): string {
  if (!Number.isInteger(maxReasons) || maxReasons < 1) {
    throw new RangeError(`maxReasons must be a positive integer, got ${maxReasons}`);
  }
  const reasons = topReasons(explanation, maxReasons);
  if (reasons.length === 0) return 'Recommended for its overall popularity';
  let previous = '';
  const parts = reasons.map((r) => {
    // Repeat the verb only when it changes: "liked A (41%) and B (30%)", "liked A (41%) and disliked C (20%)".
    const v = verb(r);
    const text = `${v === previous ? '' : `${v} `}${titles(r.item)} (${percent(r.share)})`;
    previous = v;
    return text;
  });
  return `Because you ${joinList(parts)}`;
}
