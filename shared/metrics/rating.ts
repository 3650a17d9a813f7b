// Rating-prediction error.

/** RMSE = sqrt(mean((predicted − actual)²)); lengths must match, be non-zero, and every value be finite. */
export function rmse(predicted: ArrayLike<number>, actual: ArrayLike<number>): number {
  if (predicted.length !== actual.length) throw new RangeError(`rmse: ${predicted.length} predictions for ${actual.length} ratings`);
  if (actual.length === 0) throw new RangeError('rmse: no ratings to compare');
  let se = 0;
  for (let j = 0; j < actual.length; j++) {
    const d = predicted[j]! - actual[j]!;
    if (!Number.isFinite(d)) throw new RangeError(`rmse: prediction or rating ${j} is not finite (${predicted[j]} vs ${actual[j]})`);
    se += d * d;
  }
  return Math.sqrt(se / actual.length);
}

/** RMSE of a predictor over every rating of a test set. */
export function evaluateRmse(options: { test: { user: Int32Array; item: Int32Array; value: Float32Array }; predict: (user: number, item: number) => number }): { RMSE: number; ratings: number } {
  const { test, predict } = options;
  const predicted = new Float64Array(test.user.length);
  for (let j = 0; j < test.user.length; j++) {
    const p = predict(test.user[j]!, test.item[j]!);
    // Named here, where the user and item are known; rmse() could only say "row j".
    if (!Number.isFinite(p)) throw new RangeError(`predict(${test.user[j]}, ${test.item[j]}) returned ${p}`);
    predicted[j] = p;
  }
  return { RMSE: rmse(predicted, test.value), ratings: test.value.length };
}
