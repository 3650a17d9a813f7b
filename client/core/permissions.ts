// The person's permissions: data types, categories kept out and uses, each a switch; and the consent log entry a
// change appends (time, before, after). Pure: the store keeps them, the app and the trainer read them.
import { EVENT_TYPES, type EventType, type ShopEvent } from './events';

/** The uses a person can allow or refuse, in the order the Permissions page lists them. */
export const USES = ['personalise', 'contribute', 'serverAssisted', 'measureQuality'] as const;
export type Use = (typeof USES)[number];

/** Everything the person decides about their data. */
export interface Permissions {
  /** Data types in use (a type switched off is neither recorded nor used). */
  types: Record<EventType, boolean>;
  /** Categories kept out: their events are neither recorded nor used, and their items are not recommended. */
  excludedCategories: string[];
  uses: Record<Use, boolean>;
}

/** One entry of the consent log. */
export interface ConsentLogEntry {
  id?: number;
  time: number;
  before: Permissions;
  after: Permissions;
}

/** The permissions of a new device: every data type and category in use, personalisation on device only. */
export function defaultPermissions(): Permissions {
  return {
    types: Object.fromEntries(EVENT_TYPES.map((t) => [t, true])) as Record<EventType, boolean>,
    excludedCategories: [],
    // Training is off until the person turns it on; nothing leaves the device by default.
    uses: { personalise: true, contribute: false, serverAssisted: false, measureQuality: false },
  };
}

/** A deep copy (permissions are stored and logged by value). */
export function clonePermissions(p: Permissions): Permissions {
  return { types: { ...p.types }, excludedCategories: [...p.excludedCategories].sort(), uses: { ...p.uses } };
}

/** One switch being flipped. */
export type PermissionChange = { kind: 'type'; type: EventType; on: boolean } | { kind: 'category'; category: string; on: boolean } | { kind: 'use'; use: Use; on: boolean };

/** The permissions after a change (the input is not modified). */
export function applyChange(p: Permissions, change: PermissionChange): Permissions {
  const next = clonePermissions(p);
  if (change.kind === 'type') next.types[change.type] = change.on;
  else if (change.kind === 'use') next.uses[change.use] = change.on;
  else {
    const rest = next.excludedCategories.filter((c) => c !== change.category);
    next.excludedCategories = change.on ? rest : [...rest, change.category].sort();
  }
  return next;
}

/** Whether an event may be used under these permissions (its type in use, none of its categories kept out). */
export function eventAllowed(p: Permissions, e: Pick<ShopEvent, 'type' | 'categories'>): boolean {
  if (!p.types[e.type]) return false;
  return !e.categories.some((c) => p.excludedCategories.includes(c));
}

/** Whether an item with these categories may be recommended or used. */
export function categoriesAllowed(p: Permissions, categories: readonly string[]): boolean {
  return !categories.some((c) => p.excludedCategories.includes(c));
}
