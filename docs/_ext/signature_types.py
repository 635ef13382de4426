"""Griffe extension for the docs build: each documented parameter shows its own type.

numpydoc lets parameters that share a description be listed together ("space, initial, rates").
Griffe then gives every name of such a group the signature type of the first one found, so the
API page typed all six of ``CouncilInputs``' grouped parameters as ``StateSpace``. This
extension lists each name of a group on its own with the group's description (as the page
showed it anyway), so that griffe finds each one's type and default in the signature.
"""

from __future__ import annotations

import re
from typing import Any

import griffe

_SECTION = re.compile(
    r"^(Parameters|Attributes|Other Parameters)\n-+\n(.*?)(?=^\S[^\n]*\n-+\n|\Z)", re.M | re.S
)
_GROUP = re.compile(
    r"^(?P<names>[A-Za-z_]\w*(?:, *[A-Za-z_]\w*)+)\n(?P<desc>(?:(?: {4}.*)?\n)*)", re.M
)


def _split_groups(text: str) -> str:
    def section(match: re.Match[str]) -> str:
        body = _GROUP.sub(
            lambda g: "".join(f"{n.strip()}\n{g['desc']}" for n in g["names"].split(",")),
            match.group(2),
        )
        return match.group(0).replace(match.group(2), body, 1)

    return _SECTION.sub(section, text)


class SignatureTypes(griffe.Extension):
    """Split grouped parameters before griffe parses the docstrings."""

    def on_instance(self, *, obj: griffe.Object, **kwargs: Any) -> None:
        if obj.docstring is not None:
            obj.docstring.value = _split_groups(obj.docstring.value)
