"""Where the contract.fit spec (tests/specs/contractfit-openapi.yaml) is adjusted when loaded.

The file itself is never edited. Each change follows something the spec states elsewhere, or its
older version (APIs-guru/openapi-directory @ 16bb67e, 2021), and is listed in tests/specs/SOURCES.md.
"""

from __future__ import annotations

from typing import Any

# Operations the emulator serves, as (path, method).
EMULATED = (
    ("/auth", "post"),
    ("/documents/", "post"),
    ("/documents/{inbox_id}", "post"),
    ("/documents/{document_id}", "get"),
    ("/documents/{document_id}/reprocess", "post"),
    ("/documents/{document_id}", "delete"),
    ("/documents/{document_id}/feedback", "post"),
    ("/documents/{document_id}/status_data", "post"),
    ("/documents/{document_id}/last_version", "get"),
    ("/inboxes", "get"),
    ("/inboxes/{inbox_id}", "get"),
)
_MULTIPART_FLAGS = ("sync", "key_value_flag", "experimental")
# How a boolean travels in a multipart form: as text, which flask-restx's `inputs.boolean` reads.
# (Not `anyOf: [boolean, string]`: openapi-core then hands the validator the part's raw bytes.)
FORM_BOOLEAN = {"type": "string", "enum": ["true", "false", "True", "False", "1", "0"]}
X_FIELDS = {
    "description": "An optional fields mask",
    "in": "header",
    "name": "X-Fields",
    "schema": {"format": "mask", "type": "string"},
}


def patch_contractfit_spec(document: dict[str, Any]) -> None:
    components = document.setdefault("components", {})
    paths = document["paths"]

    # 1. API keys: `POST /auth/api-key` says a key "can be passed in the X-API-Key HTTP Header" (or the
    #    query string, which docrelay never uses), but no security scheme declares it.
    components.setdefault("securitySchemes", {})["apiKey"] = {
        "type": "apiKey",
        "in": "header",
        "name": "X-API-Key",
    }
    document["security"] = [*document.get("security", []), {"apiKey": []}]

    # 2. Logging in cannot require being logged in: `POST /auth` takes the username and password.
    paths["/auth"]["post"]["security"] = []

    # 3. Multipart form fields are text: `sync=false` arrives as the string "false".
    for template in ("/documents/", "/documents/{inbox_id}"):
        schema = paths[template]["post"]["requestBody"]["content"]["multipart/form-data"]["schema"]
        for name in _MULTIPART_FLAGS:
            if name in schema["properties"]:
                described = {k: v for k, v in schema["properties"][name].items() if k != "type"}
                if isinstance(described.get("default"), bool):  # openapi-core fills in defaults
                    described["default"] = "true" if described["default"] else "false"
                schema["properties"][name] = {**described, **FORM_BOOLEAN}

    # 4. `GET /documents/{document_id}` documents only a 403 here; the 2021 spec had a 200 with
    #    DocumentModelGet and the X-Fields mask header, as every other document read still has.
    read = paths["/documents/{document_id}"]["get"]
    read.setdefault("parameters", []).append(X_FIELDS)
    read["responses"]["200"] = {
        "description": "Success",
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/DocumentModelGet"}}},
    }

    # 4b. `GET /documents/{document_id}/last_version` documents only a 403: a version is one entry of
    #     `DocumentModelGet.versions` (an object) with its values; the emulator's shape is an inference
    #     modelled on `VersionPost` (annotations, lines). Feedback and deletion answer 200 without a schema.
    versions = paths["/documents/{document_id}/last_version"]["get"]["responses"]
    versions["200"] = {
        "description": "Success",
        "content": {"application/json": {"schema": {"type": "object"}}},
    }

    # 5. `components.responses` names handlers that apply to every operation (`Exception`: "Return JSON
    #    instead of HTML for HTTP errors", `ParseError` / `MaskError` for a bad X-Fields mask) but no
    #    operation lists them: allow 400 and 404 on the operations the emulator serves.
    for template, method in EMULATED:
        responses = paths[template][method]["responses"]
        responses.setdefault("400", {"description": "Bad request or mask error"})
        responses.setdefault("404", {"description": "Not Found"})
