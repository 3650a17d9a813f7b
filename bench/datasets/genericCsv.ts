// Any CSV of user,item,value[,timestamp] rows, with or without a header line.
import type { InteractionData } from '../../shared/data/interactions';
import { createColumns, createIdSpace, toInteractionData } from './columns';
import { splitCsvLine } from '../../shared/data/csv';
import { datasetName } from './naming';
import { readRatings, type RatingsLayout } from './ratingsFile';

const RATINGS: RatingsLayout = {
  names: ['user', 'item', 'value', 'timestamp'],
  split: splitCsvLine,
  columnCounts: [3, 4],
  header: 'optional',
};

/** Load a generic interactions CSV (a header is recognised by a non-numeric value column on the first line). */
export async function loadCsvInteractions(file: string, name = datasetName(file)): Promise<InteractionData> {
  const space = createIdSpace();
  const cols = createColumns();
  await readRatings(file, RATINGS, space, cols);
  return toInteractionData(name, space, cols);
}
