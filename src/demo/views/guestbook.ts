/**
 * The guestbook's views: the list of entries with pagination, and the form
 * with its error messages.
 *
 * Owns the guestbook's HTML. Every visitor-supplied string goes through the
 * `html` template, which escapes it; nothing here uses `raw()`.
 */
import { html, type SafeHtml } from '../../app/index.js';
import { MAX_MESSAGE_CHARS, MAX_NAME_CHARS, type EntryPage } from '../models/guestbook.js';
import { CSRF_FIELD } from '../csrf.js';
import { page } from './layout.js';

/** The form's state: what was typed and what is wrong with it. */
export interface FormState {
  values: { name: string; message: string };
  errors: Partial<Record<'name' | 'message' | 'form', string>>;
  /** The CSRF token bound to the visitor's session. */
  csrfToken: string;
}

/** Everything the guestbook page shows. */
export interface GuestbookProps {
  entries: EntryPage;
  form: FormState;
  /** A one-line notice after a successful post. */
  notice?: string | undefined;
  /** 'sqlite' or 'postgres'. */
  dialect: string;
}

function pager(p: EntryPage): SafeHtml {
  if (p.pages <= 1) return html``;
  return html`<nav class="pager" aria-label="pages">
${p.page > 1 ? html`<a rel="prev" href="/guestbook?page=${p.page - 1}">&larr; newer</a>` : ''}
<span>page ${p.page} of ${p.pages}</span>
${p.page < p.pages ? html`<a rel="next" href="/guestbook?page=${p.page + 1}">older &rarr;</a>` : ''}
</nav>`;
}

/** The guestbook page: form first, then one page of entries. */
export function guestbookView(props: GuestbookProps): SafeHtml {
  const { entries, form } = props;
  const err = (field: 'name' | 'message') =>
    form.errors[field] === undefined ? '' : html`<span class="error" id="${field}-error">${form.errors[field]}</span>`;
  return page(
    html`<h1>Guestbook</h1>
<p>The tutorial's "LAMP" step done as MVC: a model on ${props.dialect === 'postgres' ? 'PostgreSQL' : 'SQLite'}
(<code>src/demo/models/</code>), views from <code>html</code> templates and controllers that are routes.</p>
${props.notice === undefined ? '' : html`<p class="notice" role="status">${props.notice}</p>`}
<form method="post" action="/guestbook" class="entry-form" novalidate>
${form.errors.form === undefined ? '' : html`<p class="error" role="alert">${form.errors.form}</p>`}
<input type="hidden" name="${CSRF_FIELD}" value="${form.csrfToken}">
<label>Name <input name="name" maxlength="${MAX_NAME_CHARS}" value="${form.values.name}" autocomplete="nickname"></label>
${err('name')}
<label>Message <textarea name="message" rows="4" maxlength="${MAX_MESSAGE_CHARS}">${form.values.message}</textarea></label>
${err('message')}
<button type="submit">Sign the guestbook</button>
</form>
<h2>${entries.total} ${entries.total === 1 ? 'entry' : 'entries'}</h2>
<p id="live-status" class="live-status" data-page="${entries.page}" data-count="${entries.total}">New entries appear here as they are posted, without a reload, once the
page's WebSocket is open (<code>/guestbook/live</code>; with <code>--workers</code>, only entries stored by the
same worker process do).</p>
<ol class="entries">
${entries.entries.map(
  (e) => html`<li class="entry" id="entry-${e.id}"><p class="meta"><strong>${e.name}</strong> wrote on
<time datetime="${new Date(e.createdMs).toISOString()}">${new Date(e.createdMs).toISOString().slice(0, 16).replace('T', ' ')} UTC</time>:</p>
<p class="message">${e.message}</p></li>`,
)}
</ol>
${pager(entries)}`,
    { title: 'Guestbook', current: '/guestbook', scripts: ['/guestbook-live.js'] },
  );
}
