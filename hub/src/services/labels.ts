import type { LabelRecord } from '../store/types.js';

/** Whether a node or cluster carries `label`. */
export const hasLabel = (r: { readonly labels: readonly LabelRecord[] }, label: string): boolean => r.labels.some((l) => l.label === label);
