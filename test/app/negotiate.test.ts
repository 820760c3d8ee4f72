// The one Accept negotiation (RFC 9110 §12.5.1; issue #14 item 5), used by sendError and the demo.
import { preferredType } from '../../src/app/negotiate.js';
import { table } from '../helpers/table.js';

const OFFERED = ['text/html', 'application/json'];

table<string | undefined, string | undefined>(
  'preferredType',
  [
    { name: 'missing Accept: first offer', input: undefined, want: 'text/html' },
    { name: 'empty Accept: first offer', input: '', want: 'text/html' },
    { name: 'exact JSON', input: 'application/json', want: 'application/json' },
    { name: 'case-insensitive', input: 'Application/JSON', want: 'application/json' },
    { name: 'q-values decide', input: 'text/html;q=0.2, application/json;q=0.8', want: 'application/json' },
    { name: 'equal q: server order', input: 'application/json, text/html', want: 'text/html' },
    { name: 'wildcard', input: '*/*', want: 'text/html' },
    { name: 'type wildcard', input: 'application/*', want: 'application/json' },
    { name: 'more specific range wins over wildcard', input: '*/*;q=0.9, text/html;q=0.1', want: 'application/json' },
    { name: 'q=0 refuses', input: 'text/html;q=0, application/json;q=0', want: undefined },
    { name: 'nothing acceptable', input: 'image/png', want: undefined },
    { name: 'browser default', input: 'text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,*/*;q=0.8', want: 'text/html' },
    { name: 'junk ranges ignored, none left: first offer', input: 'garbage, ;;;', want: 'text/html' },
    { name: 'invalid q ignored (treated as 1)', input: 'application/json;q=2', want: 'application/json' },
    { name: 'params besides q', input: 'application/json;charset=utf-8;q=0.9, text/html;q=0.1', want: 'application/json' },
    // Issue #14 item 5: order of appearance is no preference, the q-value is.
    { name: 'named first at a lower q loses', input: 'text/html;q=0.5, application/json', want: 'application/json' },
  ],
  (accept) => preferredType(accept, OFFERED),
);
