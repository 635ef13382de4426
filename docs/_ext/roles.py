"""MkDocs hook: Sphinx cross-reference roles in docstrings read as code, not as ":func:".

The docstrings name other objects the Sphinx way (":func:`placecast.simulate`"), which
mkdocstrings renders literally as ":func:" followed by the name in code. The page keeps the
name, as code, and drops the role (a leading "~", Sphinx's "last part only", is honoured).
"""

from __future__ import annotations

import re
from typing import Any

_ROLE = re.compile(r":(?:func|class|meth|data|mod|attr|obj|exc):<code>(~?)([^<]*)</code>")


def _name(match: re.Match[str]) -> str:
    short, name = match.group(1), match.group(2)
    return f"<code>{name.rsplit('.', 1)[-1] if short else name}</code>"


def on_page_content(html: str, **kwargs: Any) -> str:
    return _ROLE.sub(_name, html)
