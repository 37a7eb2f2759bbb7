"""Names client generators can use, and the examples FastAPI cannot write itself."""

from typing import Any

SCHEMAS = "#/components/schemas/"
# Components FastAPI names after Python (`Page[ClientRead]`, a form's function) renamed
# for client generators. `Page_XRead_` becomes `XPage` by rule.
RENAMES = {"Body_auth_token": "SignInForm", "Body_contacts_import": "ContactImportUpload"}


def component_name(name: str) -> str:
    """`Page_ClientRead_` → `ClientPage`; the renamed form bodies; any other as it is."""
    if name in RENAMES:
        return RENAMES[name]
    if name.startswith("Page_") and name.endswith("_"):
        item = name[len("Page_") : -1]
        return item.removesuffix("Read") + "Page"
    return name


def rename_components(document: dict[str, Any]) -> None:
    schemas: dict[str, Any] = document["components"]["schemas"]
    renamed = {old: component_name(old) for old in schemas if component_name(old) != old}
    clash = sorted(set(renamed.values()) & set(schemas))
    if clash:
        raise ValueError(f"renamed components would replace existing ones: {clash}")
    for old, new in renamed.items():
        schemas[new] = schemas.pop(old)
        schemas[new]["title"] = new
    document["components"]["schemas"] = dict(sorted(schemas.items()))
    refs = {SCHEMAS + old: SCHEMAS + new for old, new in renamed.items()}
    _replace_refs(document, refs)


def _replace_refs(node: Any, refs: dict[str, str]) -> None:
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref in refs:
            node["$ref"] = refs[ref]
        for value in node.values():
            _replace_refs(value, refs)
    elif isinstance(node, list):
        for value in node:
            _replace_refs(value, refs)


def add_page_examples(document: dict[str, Any]) -> None:
    """A page's example: its item's, on a page with a next one."""
    schemas = document["components"]["schemas"]
    for schema in schemas.values():
        properties = schema.get("properties", {})
        if "examples" in schema or set(properties) != {"data", "next_cursor"}:
            continue
        ref = properties["data"].get("items", {}).get("$ref", "")
        item = schemas.get(ref.removeprefix(SCHEMAS), {})
        if item.get("examples"):
            schema["examples"] = [
                {"data": [item["examples"][0]], "next_cursor": "WyIyMDI2LTExLTI2In0"}
            ]
