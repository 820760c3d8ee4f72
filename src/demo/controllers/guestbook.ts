/**
 * Guestbook controller: the routes that connect the form, the model and the views.
 *
 * Owns `GET /guestbook` (a page of entries and the form, its name prefilled from
 * the visitor's session) and `POST /guestbook` (check the CSRF token against the
 * session, validate, store, remember the name, redirect: Post/Redirect/Get, so a
 * reload never posts twice). Bad input re-renders the form with its errors and
 * the visitor's text kept (422; 403 for a bad CSRF token); it is never a 500.
 * Also `GET /guestbook/live`, a WebSocket feed (issue #15): every entry added
 * is sent as JSON to every open guestbook page of this process, which shows it
 * without a reload (public/guestbook-live.js). The feed only sends; what a
 * client sends is ignored.
 * Must not trust any field: the model validates, the view escapes.
 */
import type { App, Context, FormFields } from '../../app/index.js';
import { CSRF_FIELD, csrfToken, isCrossSiteRequest, isValidCsrfToken } from '../csrf.js';
import { checkLiveUpgrade } from '../live.js';
import { MAX_PAGE, validateEntry, type Entry } from '../models/guestbook.js';
import { guestbookView, type FormState } from '../views/guestbook.js';
import type { DemoDeps } from './deps.js';

/** Path of the guestbook's WebSocket feed. */
export const GUESTBOOK_FEED_PATH = '/guestbook/live';
/** Largest message the feed reads from a client: it expects none, so a small one is plenty. */
export const GUESTBOOK_FEED_MAX_MESSAGE_BYTES = 1024;

/** What the feed sends for a new entry. */
export interface EntryEvent {
  type: 'entry';
  entry: Entry;
}

/** Largest guestbook form body: the two fields at their limits fit with room to spare. */
export const GUESTBOOK_MAX_FORM_BYTES = 16 * 1024;
/** Most fields in a guestbook form body (it has three). */
export const GUESTBOOK_MAX_FORM_FIELDS = 10;
/** The session key remembering the visitor's name for the next form. */
export const GUESTBOOK_NAME_KEY = 'guestbook_name';

/** One string from a form field: the first when repeated, '' when absent. */
function field(fields: FormFields, name: string): string {
  const v = fields[name];
  return Array.isArray(v) ? (v[0] ?? '') : (v ?? '');
}

/** Parses `?page=N`: a positive integer up to MAX_PAGE, else 1. */
function pageNumber(raw: string | null): number {
  if (raw === null || !/^\d{1,9}$/.test(raw)) return 1;
  return Math.min(Math.max(1, Number(raw)), MAX_PAGE);
}

/** Registers `GET /guestbook`, `POST /guestbook` and the feed `GET /guestbook/live` (WebSocket). */
export function guestbookRoutes(app: App, deps: DemoDeps): void {
  app.ws(GUESTBOOK_FEED_PATH, {
    upgrade: (ctx) => checkLiveUpgrade(ctx, deps),
    options: { maxMessageBytes: GUESTBOOK_FEED_MAX_MESSAGE_BYTES },
    open(ws) {
      deps.liveSockets.add(ws);
      deps.guestbookFeeds.add(ws);
    },
    close(ws) {
      deps.liveSockets.delete(ws);
      deps.guestbookFeeds.delete(ws);
    },
  });

  const render = async (ctx: Context, form: FormState, status: number, page = 1, notice?: string) => {
    ctx.header('Cache-Control', 'no-store');
    const entries = await deps.guestbook.page(page);
    ctx.html(guestbookView({ entries, form, notice, dialect: deps.db.dialect }), status);
  };

  app.get('/guestbook', async (ctx) => {
    const notice = ctx.query.get('added') === '1' ? 'Thank you! Your entry is in the guestbook.' : undefined;
    const remembered = await ctx.session.get<unknown>(GUESTBOOK_NAME_KEY);
    const name = typeof remembered === 'string' ? remembered : '';
    const form: FormState = { values: { name, message: '' }, errors: {}, csrfToken: await csrfToken(ctx) };
    await render(ctx, form, 200, pageNumber(ctx.query.get('page')), notice);
  });

  app.post('/guestbook', async (ctx) => {
    // 415 for another Content-Type, 413 over the limits: mapped to error pages by the App.
    const fields = await ctx.readForm({ maxFormBytes: GUESTBOOK_MAX_FORM_BYTES, maxFormFields: GUESTBOOK_MAX_FORM_FIELDS });
    // Fetch Metadata first (a browser's word that another site sent this), then the token.
    const isTokenValid = !isCrossSiteRequest(ctx.req.header('sec-fetch-site')) && (await isValidCsrfToken(ctx, field(fields, CSRF_FIELD)));
    // A fresh token for a re-rendered form (this starts a session when the post came without one).
    const token = await csrfToken(ctx);
    const input = { name: field(fields, 'name'), message: field(fields, 'message') };
    if (!isTokenValid) {
      // Keep what was typed: an expired cookie should cost one more click, not the message.
      const form: FormState = {
        values: { name: input.name, message: input.message },
        errors: { form: 'This form has expired or was sent from another site. Please check it and send it again.' },
        csrfToken: token,
      };
      await render(ctx, form, 403);
      return;
    }
    const result = validateEntry(input);
    if (!result.ok) {
      // 422: the request was well-formed but its content is not acceptable (RFC 9110 §15.5.21).
      await render(ctx, { values: result.value, errors: result.errors, csrfToken: token }, 422);
      return;
    }
    const entry = await deps.guestbook.add(result.value, deps.now());
    // Remembered for the next form; saved with the session after this handler returns.
    await ctx.session.set(GUESTBOOK_NAME_KEY, result.value.name);
    deps.log(`guestbook: entry ${entry.id} added`);
    // Every open guestbook page of this process shows it now. Other workers' pages see it on
    // their next reload: the sockets are per process (docs/demo.md).
    const event = JSON.stringify({ type: 'entry', entry } satisfies EntryEvent);
    for (const feed of deps.guestbookFeeds) feed.send(event);
    // 303 See Other: the browser follows with a GET (RFC 9110 §15.4.4).
    ctx.redirect('/guestbook?added=1', 303);
  });
}
