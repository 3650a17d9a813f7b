// Every request and response of the HTTP API under /v1, defined once with runtime validation: the server parses
// requests and checks its own responses with these, and the app and the device client parse responses with them.
//
// Items are named by the catalogue's integer ids (the MovieLens movieId for the vendored data) everywhere.
// Request bodies are strict (an unknown field, "__proto__" included, is refused); query strings are read by
// the `…QuerySchema`s, which take the raw strings and say which parameter was wrong.
import { z } from 'zod';

/** The most history entries a server-assisted request may carry. */
export const MAX_HISTORY = 2000;
/** The most items one list response holds. */
export const MAX_K = 100;
/** Catalogue pages hold at most this many items. */
export const MAX_PAGE = 200;

/** A catalogue item id: a non-negative safe integer. */
export const itemIdSchema = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);
const category = z.string().min(1).max(64);
const finite = z.number().refine(Number.isFinite, 'must be a finite number');
const sha256Hex = z.string().regex(/^[0-9a-f]{64}$/);

/** A query-string integer in [min, max], with a default when absent. */
const queryInt = (min: number, max: number, fallback: number) =>
  z
    .string()
    .regex(/^[0-9]{1,9}$/, 'must be a whole number')
    .transform(Number)
    .pipe(z.number().int().min(min).max(max))
    .optional()
    .transform((v) => v ?? fallback);

/** The model version an answer was computed from. */
export const modelRefSchema = z.strictObject({ version: z.number().int().min(1), sha256: sha256Hex });
export type ModelRef = z.infer<typeof modelRefSchema>;

// ---- GET /v1/catalogue ---------------------------------------------------------------------------------------

export const catalogueQuerySchema = z.strictObject({
  /** Case-insensitive words that must all appear in the title. */
  q: z.string().max(200).optional(),
  category: category.optional(),
  offset: queryInt(0, 1_000_000_000, 0),
  limit: queryInt(1, MAX_PAGE, 50),
});
export type CatalogueQuery = z.infer<typeof catalogueQuerySchema>;

export const catalogueItemSchema = z.strictObject({ id: itemIdSchema, title: z.string().max(1000), categories: z.array(category).max(64) });
export type CatalogueItem = z.infer<typeof catalogueItemSchema>;

export const catalogueResponseSchema = z.strictObject({
  items: z.array(catalogueItemSchema).max(MAX_PAGE),
  /** Items matching the query, over all pages. */
  total: z.number().int().min(0),
  offset: z.number().int().min(0),
  limit: z.number().int().min(1).max(MAX_PAGE),
  /** Every category of the catalogue, sorted (for filters). */
  categories: z.array(category),
});
export type CatalogueResponse = z.infer<typeof catalogueResponseSchema>;

// ---- GET /v1/items/:id/similar -------------------------------------------------------------------------------

export const similarQuerySchema = z.strictObject({ k: queryInt(1, MAX_K, 10) });

/** Why two items are neighbours in the model, in numbers and in words. */
export const similarityReasonSchema = z.strictObject({
  /** Cosine of the two items' vectors in the served model (shards side by side): 1 = the same direction. */
  similarity: z.number().min(-1.000001).max(1.000001),
  /** Score points the first item alone would give this one, were it someone's only history (its exact share). */
  share: finite,
  /** Catalogue categories the two have in common. */
  sharedCategories: z.array(category),
  text: z.string().max(500),
});
export type SimilarityReason = z.infer<typeof similarityReasonSchema>;

export const similarResponseSchema = z.strictObject({
  item: catalogueItemSchema,
  similar: z.array(z.strictObject({ item: catalogueItemSchema, reason: similarityReasonSchema })).max(MAX_K),
  model: modelRefSchema,
});
export type SimilarResponse = z.infer<typeof similarResponseSchema>;

// ---- GET /v1/popular -----------------------------------------------------------------------------------------

export const popularQuerySchema = z.strictObject({ k: queryInt(1, MAX_K, 10), category: category.optional() });

export const popularResponseSchema = z.strictObject({
  items: z.array(z.strictObject({ item: catalogueItemSchema, score: finite })).max(MAX_K),
  /** What "popular" was computed from, in words. */
  basis: z.string().max(500),
  model: modelRefSchema,
});
export type PopularResponse = z.infer<typeof popularResponseSchema>;

// ---- POST /v1/recommendations --------------------------------------------------------------------------------

export const recommendationRequestSchema = z.strictObject({
  /** What the person consents to send: item and strength (a rating, or an event's weight), never who they are. */
  history: z.array(z.strictObject({ item: itemIdSchema, value: finite.pipe(z.number().min(0).max(1_000_000)) })).max(MAX_HISTORY),
  /** Categories kept out of both the history used and the candidates. */
  excludeCategories: z.array(category).max(64).optional(),
  k: z.number().int().min(1).max(MAX_K).optional(),
});
export type RecommendationRequest = z.infer<typeof recommendationRequestSchema>;

/** One recommendation: score = bias + Σ shares exactly (up to floating-point rounding). */
export const recommendedItemSchema = z.strictObject({
  id: itemIdSchema,
  score: finite,
  bias: finite,
  shares: z.array(z.strictObject({ item: itemIdSchema, share: finite })).max(MAX_HISTORY),
});
export type RecommendedItem = z.infer<typeof recommendedItemSchema>;

export const recommendationResponseSchema = z.strictObject({ items: z.array(recommendedItemSchema).max(MAX_K), model: modelRefSchema });
export type RecommendationResponse = z.infer<typeof recommendationResponseSchema>;

// ---- GET /v1/keys --------------------------------------------------------------------------------------------

export const publicKeySchema = z.strictObject({
  /** Short id: the first 16 hex characters of the fingerprint. */
  id: z.string().regex(/^[0-9a-f]{16}$/),
  algorithm: z.literal('Ed25519'),
  /** The 32-byte public key, base64url without padding. */
  publicKey: z.string().regex(/^[A-Za-z0-9_-]{43}$/),
  /** SHA-256 of the public key bytes, hex. */
  fingerprint: sha256Hex,
  use: z.enum(['receipts', 'device-authentication']).array().min(1),
  status: z.enum(['active', 'retired']),
  createdAt: z.number().int().min(0),
});
export type PublicKey = z.infer<typeof publicKeySchema>;

export const keysResponseSchema = z.strictObject({ keys: z.array(publicKeySchema).min(1) });
export type KeysResponse = z.infer<typeof keysResponseSchema>;

// ---- GET /v1/transparency ------------------------------------------------------------------------------------

export const transparencyVersionSchema = z.strictObject({
  version: z.number().int().min(1),
  createdAt: z.number().int().min(0),
  sha256: sha256Hex,
  cause: z.enum(['initial', 'round', 'rollback']),
  shard: z.number().int().min(0).nullable(),
  /** The round that made it (the id in GET /v1/rounds), or null. */
  round: z.number().int().min(1).nullable(),
  cohortSize: z.number().int().min(0),
  survivors: z.number().int().min(0),
  clippedUpdates: z.number().int().min(0),
  /** The weakest ε over the shards at this version (null: some shard has no DP guarantee). */
  epsilon: z.number().min(0).nullable(),
});

/** The model card as data: what the model is, how it was trained, what it cost in privacy, and who signs receipts. */
export const transparencyResponseSchema = z.strictObject({
  model: z.strictObject({
    kind: z.string(),
    description: z.string(),
    howScoresWork: z.string(),
    version: z.number().int().min(1),
    sha256: sha256Hex,
    createdAt: z.number().int().min(0),
    items: z.number().int().min(1),
    dim: z.number().int().min(1),
    shards: z.number().int().min(1),
  }),
  training: z.strictObject({
    description: z.string(),
    samplingRate: z.number(),
    clipNorm: z.number(),
    secureAggregation: z.string(),
    serverLearningRate: z.number(),
    averaging: z.number(),
    minCohort: z.number().int(),
    /** γ: the fraction of a round's devices the secure aggregation stays safe against if the server controls them. */
    corruptFraction: z.number().min(0).max(0.5).optional(),
    /** The fraction of a round's devices it expects to drop and still completes with. */
    expectedDropout: z.number().min(0).max(1).optional(),
  }),
  privacy: z.strictObject({
    description: z.string(),
    mode: z.enum(['off', 'central', 'distributed']),
    noiseMultiplier: z.number().nullable(),
    delta: z.number().nullable(),
    epsilonBudget: z.number().nullable(),
    /** ε spent per shard at δ: the accountant's figure, never refunded; null = no guarantee (rounds without noise). */
    shards: z.array(z.strictObject({ shard: z.number().int().min(0), epsilon: z.number().min(0).nullable(), rounds: z.number().int().min(0) })),
  }),
  rounds: z.strictObject({ completed: z.number().int().min(0), aborted: z.number().int().min(0) }),
  versions: z.array(transparencyVersionSchema),
  deletions: z.strictObject({ honoured: z.number().int().min(0), pending: z.number().int().min(0) }),
  /** Set when simulated demo devices train the model beside real ones. */
  demo: z.strictObject({ devices: z.number().int().min(1), note: z.string() }).nullable(),
  receiptKey: publicKeySchema,
});
export type TransparencyResponse = z.infer<typeof transparencyResponseSchema>;

/** The first problem of a failed parse as "path: message" (for problem details). */
export function describeIssue(error: z.ZodError): { path: string; message: string } {
  const issue = error.issues[0]!;
  return { path: issue.path.map(String).join('.'), message: issue.message };
}
