// The Rényi order lists of Opacus, TF-Privacy and Google's dp_accounting, and the default list.

const range = (from: number, to: number): number[] => Array.from({ length: to - from + 1 }, (_, k) => from + k);
/** 1 + x/10 for x = 1..99 (1.1, 1.2, …, 10.9), computed as Python's `1 + x / 10.0` so the values match bit for bit. */
const tenths = (): number[] => range(1, 99).map((x) => 1 + x / 10);

/** Opacus `DEFAULT_ALPHAS`: [1 + x/10 for x in 1..99] + [12..63]. */
export const OPACUS_ORDERS: readonly number[] = Object.freeze([...tenths(), ...range(12, 63)]);

/** TF-Privacy `compute_dp_sgd_privacy`: [1.25, 1.5, 1.75, 2, 2.25, 2.5, 3, 3.5, 4, 4.5] + [5..63] + [128, 256, 512]. */
export const TF_PRIVACY_ORDERS: readonly number[] = Object.freeze([
  1.25, 1.5, 1.75, 2, 2.25, 2.5, 3, 3.5, 4, 4.5, ...range(5, 63), 128, 256, 512,
]);

/** Google dp_accounting `DEFAULT_RDP_ORDERS`: [1 + x/10 for x in 1..99] + [11..63] + [128, 256, 512, 1024]. */
export const DP_ACCOUNTING_ORDERS: readonly number[] = Object.freeze([...tenths(), ...range(11, 63), 128, 256, 512, 1024]);

/** The default list: dp_accounting's (fine below 11 where small-ε optima live, reaching 1024 for large ε). */
export const DEFAULT_ORDERS: readonly number[] = DP_ACCOUNTING_ORDERS;

/** The lists by the names the reference cases use. */
export const ORDER_LISTS = Object.freeze({
  opacus: OPACUS_ORDERS,
  tfPrivacy: TF_PRIVACY_ORDERS,
  dpAccounting: DP_ACCOUNTING_ORDERS,
}) satisfies Readonly<Record<string, readonly number[]>>;

export type OrderListName = keyof typeof ORDER_LISTS;
