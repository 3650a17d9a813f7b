// Enrollment policies: who may register a device, and what each promises about Sybil devices.

/**
 * `open`: anyone may register any number of keys (the demo and the tests); resistance to Sybil devices then rests only
 * on the per-address registration rate. `token`: each new device consumes one single-use token the operator issued
 * (`npm run tokens -- issue N`, e.g. one per shop account), so the devices a party controls are bounded by the
 * tokens it can obtain.
 */
export const ENROLLMENT_POLICIES = ['open', 'token'] as const;
/** One of ENROLLMENT_POLICIES. */
export type EnrollmentPolicy = (typeof ENROLLMENT_POLICIES)[number];
