"""The JSON results document, as is."""
import json

FORMAT = "json"
BINARY = False


def render(doc: dict, **_options) -> str:
    return json.dumps(doc, indent=2, sort_keys=False, ensure_ascii=False) + "\n"
