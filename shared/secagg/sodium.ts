// The libsodium handle every primitive takes as its first argument (the caller awaits `sodium.ready`).

/**
 * The object `import sodium from 'libsodium-wrappers'` gives. Its ESM build exposes the crypto
 * functions only on this default object (not as named exports), hence `.default`.
 */
export type Sodium = typeof import('libsodium-wrappers').default;
