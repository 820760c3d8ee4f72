/**
 * The /cgi-bin/ index: what each demo script does, with forms to try them.
 *
 * Owns the HTML of the CGI index page. The scripts themselves live in
 * src/demo/cgi-bin/ and are run by the CGI/1.1 gateway (src/handlers/cgi.ts).
 */
import { html, type SafeHtml } from '../../app/index.js';
import { page } from './layout.js';

/** One script on the index. */
export interface CgiScript {
  name: string;
  language: string;
  description: string;
}

/** The CGI index page. */
export function cgiIndexView(scripts: readonly CgiScript[]): SafeHtml {
  return page(
    html`<h1>CGI scripts</h1>
<p>CGI (RFC 3875) is how the first dynamic web pages were made: for each request the server
starts a program, passes the request in environment variables and standard input, and sends
back what the program prints. keel's gateway runs these scripts from <code>src/demo/cgi-bin/</code>.</p>
<ul class="scripts">
${scripts.map(
  (s) => html`<li><a href="/cgi-bin/${s.name}">${s.name}</a> (${s.language}): ${s.description}
<form method="post" action="/cgi-bin/${s.name}"><input name="message" placeholder="a message"> <button>POST to ${s.name}</button></form></li>`,
)}
</ul>`,
    { title: 'CGI', current: '/cgi-bin/' },
  );
}
