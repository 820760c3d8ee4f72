#!/usr/bin/env bash
# keel demo CGI script (RFC 3875), shell: prints its environment and handles a form.
# GET shows the query string's fields; POST (urlencoded) shows the body's.
# Everything from the request is HTML-escaped. Reads at most MAX_BODY_BYTES of the body.
MAX_BODY_BYTES=65536

escape() { sed -e 's/&/\&amp;/g' -e 's/</\&lt;/g' -e 's/>/\&gt;/g' -e 's/"/\&quot;/g' -e "s/'/\&#39;/g"; }
# Percent-decoding (RFC 3986 §2.1) with "+" as space (HTML form encoding).
urldecode() { local s="${1//+/ }"; printf '%b' "${s//%/\\x}"; }

data="$QUERY_STRING"
if [ "$REQUEST_METHOD" = "POST" ]; then
  n="${CONTENT_LENGTH:-0}"
  case "$n" in '' | *[!0-9]*) n=0 ;; esac
  [ "$n" -gt "$MAX_BODY_BYTES" ] && n="$MAX_BODY_BYTES"
  data="$(head -c "$n")"
fi

printf 'Content-Type: text/html; charset=utf-8\r\n\r\n'
cat <<HTML
<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>form.sh</title><link rel="stylesheet" href="/style.css"></head>
<body><main>
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
$(env | LC_ALL=C sort | escape)
</pre>
<p><a href="/cgi-bin/">Back to the CGI scripts</a></p>
</main></body></html>
HTML
