/**
 * The zod schemas of the post-incident review API (issue 12; snake_case on the wire): the review
 * of one incident, its action items, the list of action items across incidents with its filters,
 * and the closing gate's setting per category. Shared so clients parse what the server accepts.
 */
import { z } from 'zod';
import { ACTION_ITEM_STATUSES, ACTION_ITEM_TYPES, CATEGORIES, LIMITS, REVIEW_LIMITS, SEVERITIES, dueDate, isoDateTime } from './incident-schema.ts';

const text = z.string().max(REVIEW_LIMITS.text);
const list = z.array(z.string().max(REVIEW_LIMITS.itemText)).max(REVIEW_LIMITS.items);

/**
 * POST /incidents/{id}/post-mortem: the review fields to create or update (each optional; a text
 * replaces the field's text, edited in place so a co-editor's typing elsewhere in it survives; a
 * list gives the live items in order, the rest are marked deleted). A body that breaks this
 * schema is 422 naming the field, and nothing is written.
 */
export const postMortemRequest = z
  .object({
    summary: text.optional(),
    impact: z.object({ what: text, who: text, duration: text, data: text, regulatory: text }).partial().strict().optional(),
    detection: z.object({ how: text, when: text, late: z.boolean().nullable(), late_why: text }).partial().strict().optional(),
    root_cause: text.optional(),
    contributing_factors: text.optional(),
    five_whys: list.optional(),
    went_well: text.optional(),
    went_wrong: text.optional(),
    lucky: text.optional(),
    decisions: list.optional(),
  })
  .strict();
export type PostMortemRequest = z.infer<typeof postMortemRequest>;

const reviewItem = z.object({ id: z.string(), text: z.string(), by: z.string().nullable(), at: z.string().nullable() });

/** A required part of the review (what the closing gate names when it refuses). */
const reviewPart = z.enum(['summary', 'impact', 'root_cause', 'sign_off']);

/** An action item as the API shows it, with its incident. */
export const actionItemOut = z.object({
  id: z.string(),
  incident_id: z.uuid(),
  incident_key: z.string().nullable(),
  incident_title: z.string(),
  title: z.string(),
  owner: z.string().nullable(),
  due: z.string().nullable(),
  type: z.enum(ACTION_ITEM_TYPES),
  status: z.enum(ACTION_ITEM_STATUSES),
  /** Due before today (UTC) and still open or in progress. */
  overdue: z.boolean(),
  created_at: z.string(),
  created_by: z.string(),
  updated_at: z.string(),
});
export type ActionItemOut = z.infer<typeof actionItemOut>;

/** GET (and POST) /incidents/{id}/post-mortem. */
export const postMortemResponse = z.object({
  incident_id: z.uuid(),
  review: z.object({
    summary: z.string(),
    impact: z.object({ what: z.string(), who: z.string(), duration: z.string(), data: z.string(), regulatory: z.string() }),
    detection: z.object({ how: z.string(), when: z.string(), late: z.boolean().nullable(), late_why: z.string() }),
    root_cause: z.string(),
    contributing_factors: z.string(),
    five_whys: z.array(reviewItem),
    went_well: z.string(),
    went_wrong: z.string(),
    lucky: z.string(),
    decisions: z.array(reviewItem),
    signed_off_by: z.string().nullable(),
    signed_off_at: isoDateTime.nullable(),
    updated_at: isoDateTime.nullable(),
    updated_by: z.string().nullable(),
  }),
  /** The required parts still empty (summary, impact, root cause, a lead's sign-off). */
  missing: z.array(reviewPart),
  /** Whether closing this incident as a true positive needs the review completed (the category's setting and its severity). */
  required_to_close: z.boolean(),
  action_items: z.array(actionItemOut),
});

/** POST /incidents/{id}/action-items. */
export const createActionItemRequest = z
  .object({
    title: z
      .string()
      .trim()
      .min(1)
      .max(LIMITS.shortText * 2),
    owner: z.string().trim().min(1).max(LIMITS.shortText).nullable().optional(),
    due: dueDate.nullable().optional(),
    type: z.enum(ACTION_ITEM_TYPES),
    status: z.enum(ACTION_ITEM_STATUSES).optional(),
  })
  .strict();

/** PATCH /action-items/{id}: at least one field; dropping an item is `status: dropped` (nothing is deleted). */
export const patchActionItemRequest = createActionItemRequest
  .partial()
  .strict()
  .refine((v) => Object.keys(v).length > 0, 'give at least one field to change');

export const actionItemParam = z.object({ id: z.uuid().transform((s) => s.toLowerCase()) });

/** GET /action-items: filters (each optional; combined with AND). */
export const actionItemsQuery = z
  .object({
    owner: z.string().min(1).max(LIMITS.shortText).optional(),
    type: z.enum(ACTION_ITEM_TYPES).optional(),
    status: z.enum(ACTION_ITEM_STATUSES).optional(),
    /** Due strictly before this day (YYYY-MM-DD). */
    due_before: dueDate.optional(),
    /** true: only overdue items (due before today and not done or dropped); false: only the others. */
    overdue: z.enum(['true', 'false']).optional(),
    incident_id: z.uuid().optional(),
    limit: z.coerce.number().int().min(1).max(500).default(100),
    offset: z.coerce.number().int().min(0).max(100_000).default(0),
  })
  .strict();
export type ActionItemsQuery = z.infer<typeof actionItemsQuery>;

export const actionItemsResponse = z.object({ items: z.array(actionItemOut), total: z.number().int() });

/** The closing gate per category: the severities whose true-positive closings need the review. */
export const reviewGateResponse = z.object({
  items: z.array(z.object({ category: z.enum(CATEGORIES), severities: z.array(z.enum(SEVERITIES)), default: z.boolean() })),
});

export const putReviewGateRequest = z.object({ severities: z.array(z.enum(SEVERITIES)).max(SEVERITIES.length) }).strict();

export const signOffResponse = z.object({ signed_off_by: z.string(), signed_off_at: isoDateTime });
