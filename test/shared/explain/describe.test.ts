// The sentence shown next to a recommendation.
import { describe, expect, it } from 'vitest';
import { describeExplanation } from '../../../shared/explain/describe';
import type { Explanation } from '../../../shared/explain/decompose';

const titles = ['Alien', 'Blade Runner', 'Brazil', 'Heat', 'Ran'];
const title = (i: number): string => titles[i] ?? `item ${i}`;

function explanation(parts: [item: number, value: number, target?: number][]): Explanation {
  const contributions = parts.map(([item, value, target = 1]) => ({ item, value, target }));
  return { item: 9, offset: 0.2, score: 0.2 + contributions.reduce((s, c) => s + c.value, 0), contributions };
}

describe('describeExplanation', () => {
  // Positive total 1.0: Alien 0.41, Blade Runner 0.30, Brazil 0.20, Heat 0.09.
  const e = explanation([[1, 0.3], [0, 0.41], [2, 0.2], [3, 0.09], [4, -0.3]]);

  it('names the two largest reasons with integer percents by default', () => {
    expect(describeExplanation(e, title)).toBe('Because you liked Alien (41%) and Blade Runner (30%)');
  });

  it('names one, or three with a comma list', () => {
    expect(describeExplanation(e, title, { maxReasons: 1 })).toBe('Because you liked Alien (41%)');
    expect(describeExplanation(e, title, { maxReasons: 3 })).toBe('Because you liked Alien (41%), Blade Runner (30%) and Brazil (20%)');
    expect(describeExplanation(e, title, { maxReasons: 10 })).toBe(
      'Because you liked Alien (41%), Blade Runner (30%), Brazil (20%) and Heat (9%)',
    );
  });

  it('rounds shares to whole percents and never shows a named reason as 0%', () => {
    const tiny = explanation([[0, 0.996], [1, 0.004]]);
    expect(describeExplanation(tiny, title)).toBe('Because you liked Alien (100%) and Blade Runner (<1%)');
    const half = explanation([[0, 0.125], [1, 0.875]]);
    expect(describeExplanation(half, title)).toBe('Because you liked Blade Runner (88%) and Alien (13%)');
  });

  it('merges a repeated item before describing it', () => {
    expect(describeExplanation(explanation([[0, 0.2], [1, 0.5], [0, 0.3]]), title)).toBe(
      'Because you liked Alien (50%) and Blade Runner (50%)',
    );
  });

  it('says "disliked" when a disliked item raised the score', () => {
    const e2 = explanation([[0, 0.6, 2], [2, 0.4, -1.5]]);
    expect(describeExplanation(e2, title)).toBe('Because you liked Alien (60%) and disliked Brazil (40%)');
  });

  it('credits popularity when no history entry raised the score', () => {
    expect(describeExplanation(explanation([[0, -0.2], [1, 0]]), title)).toBe('Recommended for its overall popularity');
    expect(describeExplanation(explanation([]), title)).toBe('Recommended for its overall popularity');
  });

  it('rejects a maxReasons below one', () => {
    expect(() => describeExplanation(e, title, { maxReasons: 0 })).toThrow(/maxReasons must be a positive integer/);
  });
});
