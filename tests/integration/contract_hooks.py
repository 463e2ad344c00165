"""Schemathesis hooks for tests/integration/contract.test.ts.

schemathesis' own `positive_data_acceptance` counts every 400 to a schema-valid request as a
fault. Some of golive's rules cannot be said in JSON Schema: cross-field rules (`give until or
by, not both`), rules that depend on the plan (`no department X in this plan`), an IANA time
zone. golive names each of them in the 400 (`issues[].rule`), so this check accepts a 400 whose
every issue carries such a named rule, and flags any refusal by one of zod's own codes
(invalid_type, too_big, unrecognized_keys ...): that is a rule the document states wrongly.
"""

import json

import schemathesis

# zod's issue codes: a schema-valid request refused by one of these means the document is wrong.
ZOD_CODES = {
    "invalid_type", "too_big", "too_small", "invalid_format", "not_multiple_of", "unrecognized_keys",
    "invalid_union", "invalid_key", "invalid_element", "invalid_value", "custom",
}

# Refusals found by this test whose fix belongs to another change (each names its owner and why);
# (operation, rule, field). The lead removes them as those changes land.
KNOWN = {
    # Reasons are trimmed before their 3-character minimum: "  ab" is schema-valid, refused.
    ("*", "too_small", "body.reason"): "trimmed length",
    ("*", "too_small", "body.note"): "trimmed length",
    ("*", "too_small", "body.comment"): "trimmed length",
    # A record's keys (departments in evidence.training): OpenAPI 3.0 has no propertyNames to say so.
    ("*", "invalid_key", "*"): "record key",
    # zod's e-mail rule is stricter than `format: email` ("a^y@example.org"); the route is being
    # restricted to people of the directory (issue 12, c-api).
    ("POST /v1/notifications/test", "invalid_format", "body.to"): "e-mail syntax",
}

# Refusals that say "valid, but not here/now": the state of the program, a used link.
ACCEPTED_STATUSES = {401, 403, 404, 409, 410, 422, 429, 503}


def _known(operation: str, issue: dict) -> bool:
    for op in (operation, "*"):
        for path in (issue.get("path"), "*"):
            if (op, issue.get("rule"), path) in KNOWN:
                return True
    return False


@schemathesis.check
def positive_data_named_rules(ctx, response, case):
    """A request the schema calls valid is accepted, or refused for a rule the 400 names."""
    meta = case.meta
    if meta is None or not meta.generation.mode.is_positive:
        return None
    status = response.status_code
    if status < 400 or status >= 500 or status in ACCEPTED_STATUSES:
        return None
    try:
        body = json.loads(response.content or b"{}")
    except ValueError:
        body = {}
    operation = case.operation.label
    if status == 400 and isinstance(body, dict):
        # The program refused input that only the plan makes invalid (an unknown department).
        if body.get("error") == "InvalidInput":
            return None
        issues = body.get("issues") or []
        if issues and all(i.get("rule") not in ZOD_CODES or _known(operation, i) for i in issues):
            return None
    raise AssertionError(f"schema-valid request refused with {status}: {json.dumps(body)[:500]}")
