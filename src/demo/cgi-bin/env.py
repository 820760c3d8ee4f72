#!/usr/bin/env python3
# keel demo CGI script (RFC 3875), Python: prints its environment and handles a form.
# GET shows the query string's fields; POST (application/x-www-form-urlencoded) shows the body's.
# Everything from the request is HTML-escaped. Reads at most MAX_BODY_BYTES of the body.
# Secrets are hidden as the wire inspector hides them (src/demo/redact.ts): cookie names are
# kept and their values shown as (hidden); credentials are (hidden) whole.
import html
import os
import re
import sys
import urllib.parse

MAX_BODY_BYTES = 64 * 1024
HIDDEN = "(hidden)"
# The site's navigation bar, passed by the demo (controllers/files.ts); absent elsewhere.
NAV_VARIABLE = "KEEL_DEMO_NAV"


def shown(name, value):
    """The value of an environment variable as this page shows it."""
    if name == "HTTP_COOKIE":
        return re.sub(r"=[^;]*", "=" + HIDDEN, value)
    if name in ("HTTP_AUTHORIZATION", "HTTP_PROXY_AUTHORIZATION"):
        return HIDDEN
    return value


method = os.environ.get("REQUEST_METHOD", "GET")
fields = urllib.parse.parse_qsl(os.environ.get("QUERY_STRING", ""), keep_blank_values=True)
if method == "POST":
    length = os.environ.get("CONTENT_LENGTH", "")
    n = int(length) if length.isdigit() else 0
    body = sys.stdin.buffer.read(min(n, MAX_BODY_BYTES)).decode("utf-8", "replace")
    if os.environ.get("CONTENT_TYPE", "").split(";")[0].strip().lower() == "application/x-www-form-urlencoded":
        fields = urllib.parse.parse_qsl(body, keep_blank_values=True)

e = html.escape
rows = "".join(
    f"<tr><th>{e(k)}</th><td>{e(shown(k, v))}</td></tr>\n" for k, v in sorted(os.environ.items()) if k != NAV_VARIABLE
)
got = "".join(f"<li><code>{e(k)}</code> = {e(v)}</li>\n" for k, v in fields) or "<li>(no fields)</li>\n"
script = e(os.environ.get("SCRIPT_NAME", ""))
nav = os.environ.get(NAV_VARIABLE, "")  # HTML made by the server, printed as it is

sys.stdout.write("Content-Type: text/html; charset=utf-8\r\n\r\n")
sys.stdout.write(f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>env.py · keel</title><link rel="stylesheet" href="/style.css"><link rel="icon" href="/favicon.svg" type="image/svg+xml"></head>
<body>
{nav}
<main>
<h1>Hello from Python CGI</h1>
<p>{e(method)} request. Form fields:</p>
<ul id="fields">
{got}</ul>
<form method="post" action="{script}"><input name="message" placeholder="a message"> <button>POST</button></form>
<form method="get" action="{script}"><input name="q" placeholder="a query"> <button>GET</button></form>
<h2>Environment</h2>
<table id="env" class="env">
{rows}</table>
<p><a href="/cgi-bin/">Back to the CGI scripts</a></p>
</main></body></html>
""")
