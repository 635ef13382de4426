"""MkDocs hook: the inputs reference page's field table, and the JSON Schema, from the code.

``docs/inputs.md`` holds the marker ``<!-- inputs-fields -->``; it is replaced by one row per
field of ``inputs.json`` from :func:`placecast.inputs_schema`, so the page cannot drift from
what :func:`placecast.load_inputs` accepts. The schema itself is a generated file of the site,
``inputs.schema.json`` (so the page's link to it resolves).
"""

from __future__ import annotations

import json
from typing import Any

MARKER = "<!-- inputs-fields -->"


def _kind(spec: dict[str, Any]) -> str:
    if "const" in spec:
        return f"`{spec['const']}`"
    if "oneOf" in spec:
        return " or ".join(_kind(s) for s in spec["oneOf"])
    kind = spec.get("type", "")
    if isinstance(kind, list):
        return " or ".join(kind)
    if kind == "object" and isinstance(spec.get("additionalProperties"), dict):
        return f"object of {_kind(spec['additionalProperties'])}s"
    return str(kind)


def _bounds(spec: dict[str, Any]) -> str:
    parts = []
    for key, sign in (
        ("minimum", ">="),
        ("exclusiveMinimum", ">"),
        ("maximum", "<="),
        ("exclusiveMaximum", "<"),
    ):
        if key in spec:
            parts.append(f"{sign} {spec[key]:,}")
    if "pattern" in spec:
        parts.append(f"like `{spec['pattern']}`")
    if "default" in spec:
        parts.append(f"default {spec['default']}")
    return ", ".join(parts)


def fields_table(schema: dict[str, Any]) -> str:
    """One Markdown row per field (nested fields as ``section.field``)."""
    rows = ["| field | required | type | allowed | meaning |", "| --- | --- | --- | --- | --- |"]

    def walk(props: dict[str, Any], required: list[str], prefix: str) -> None:
        for name, spec in props.items():
            values = spec.get("additionalProperties")
            allowed = _bounds(spec) or (_bounds(values) if isinstance(values, dict) else "")
            meaning = str(spec.get("description", "")).replace("|", "/")
            rows.append(
                f"| `{prefix}{name}` | {'yes' if name in required else 'no'} | {_kind(spec)} "
                f"| {allowed} | {meaning} |"
            )
            if "properties" in spec:
                walk(spec["properties"], spec.get("required", []), f"{prefix}{name}.")

    walk(schema["properties"], schema["required"], "")
    return "\n".join(rows)


def on_page_markdown(markdown: str, **kwargs: Any) -> str:
    if MARKER not in markdown:
        return markdown
    from placecast.inputs import inputs_schema

    return markdown.replace(MARKER, fields_table(inputs_schema()))


def on_files(files: Any, config: Any, **kwargs: Any) -> Any:
    """The schema as a file of the site, so that links to it (from inputs.md) resolve."""
    from mkdocs.structure.files import File

    from placecast.inputs import inputs_schema

    content = json.dumps(inputs_schema(), indent=2) + "\n"
    files.append(File.generated(config, "inputs.schema.json", content=content))
    return files
