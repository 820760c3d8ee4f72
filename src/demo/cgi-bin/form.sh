#!/usr/bin/env bash
# keel demo CGI script (RFC 3875), shell: prints its environment and handles a form.
# GET shows the query string's fields; POST (urlencoded) shows the body's.
# Everything from the request is HTML-escaped. Reads at most MAX_BODY_BYTES of the body.
# Secrets are hidden as the wire inspector hides them (src/demo/redact.ts): cookie names are
# kept and their values shown as (hidden); credentials are (hidden) whole.
MAX_BODY_BYTES=65536
# The site's navigation bar, passed by the demo (controllers/files.ts); absent elsewhere.
NAV_VARIABLE=KEEL_DEMO_NAV

escape() { sed -e 's/&/\&amp;/g' -e 's/</\&lt;/g' -e 's/>/\&gt;/g' -e 's/"/\&quot;/g' -e "s/'/\&#39;/g"; }
# Percent-decoding (RFC 3986 §2.1) with "+" as space (HTML form encoding).
urldecode() { local s="${1//+/ }"; printf '%b' "${s//%/\\x}"; }
# NAME=value lines in, the same with secret values replaced by (hidden).
redact() {
  sed -e '/^HTTP_COOKIE=/{s/^HTTP_COOKIE=//;s/=[^;]*/=(hidden)/g;s/^/HTTP_COOKIE=/;}' \
      -e 's/^\(HTTP_AUTHORIZATION\|HTTP_PROXY_AUTHORIZATION\)=.*/\1=(hidden)/'
}

data="$QUERY_STRING"
if [ "$REQUEST_METHOD" = "POST" ]; then
  n="${CONTENT_LENGTH:-0}"
  case "$n" in '' | *[!0-9]*) n=0 ;; esac
  [ "$n" -gt "$MAX_BODY_BYTES" ] && n="$MAX_BODY_BYTES"
  data="$(head -c "$n")"
fi

nav="${!NAV_VARIABLE}" # HTML made by the server, printed as it is
printf 'Content-Type: text/html; charset=utf-8\r\n\r\n'
cat <<HTML
<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>form.sh · keel</title><link rel="stylesheet" href="/style.css"><link rel="icon" href="/favicon.svg" type="image/svg+xml"></head>
<body>
$nav
<main>
<h1>Hello from shell CGI</h1>
<p>$(printf '%s' "$REQUEST_METHOD" | escape) request. Form fields:</p>
<ul id="fields">
HTML
count=0
IFS='&' read -r -a pairs <<< "$data"
for pair in "${pairs[@]}"; do
  [ -z "$pair" ] && continue
  count=$((count + 1))
  name="$(urldecode "${pair%%=*}")"
  value=""
  case "$pair" in *=*) value="$(urldecode "${pair#*=}")" ;; esac
  printf '<li><code>%s</code> = %s</li>\n' "$(printf '%s' "$name" | escape)" "$(printf '%s' "$value" | escape)"
done
[ "$count" -eq 0 ] && printf '<li>(no fields)</li>\n'
script="$(printf '%s' "$SCRIPT_NAME" | escape)"
cat <<HTML
</ul>
<form method="post" action="$script"><input name="message" placeholder="a message"> <button>POST</button></form>
<form method="get" action="$script"><input name="q" placeholder="a query"> <button>GET</button></form>
<h2>Environment</h2>
<pre id="env">
$(env | grep -v "^$NAV_VARIABLE=" | LC_ALL=C sort | redact | escape)
</pre>
<p><a href="/cgi-bin/">Back to the CGI scripts</a></p>
</main></body></html>
HTML
