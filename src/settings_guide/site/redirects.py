"""The small HTML page an alias URL serves: it forwards to the setting's page."""

from __future__ import annotations

import html

MARKER = "<!-- settings-guide redirect -->"


def redirect_html(target_url: str, name: str) -> str:
    url, title = html.escape(target_url, quote=True), html.escape(name)
    return f"""{MARKER}
<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>{title}</title>
<meta name="robots" content="noindex">
<link rel="canonical" href="{url}">
<meta http-equiv="refresh" content="0; url={url}">
</head>
<body>
<p>This name is an alias. Continue to <a href="{url}">{title}</a>.</p>
</body>
</html>
"""
