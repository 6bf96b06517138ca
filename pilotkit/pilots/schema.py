"""The scenario format's JSON Schema, and a YAML loader whose errors name the file, the line and the problem.

`load_document(path)` parses YAML (safe loader, no timestamps: dates stay strings; duplicate keys are errors),
remembers where every value sits, validates the document against `SCENARIO_SCHEMA` and raises `ScenarioError`
listing every problem as `file:line: where: what`. `scenario.py` turns the validated document into dataclasses.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import yaml

from pilotkit.pilots import ScenarioError

FORMAT_VERSION = 1
Path_ = tuple[str | int, ...]

RISK_AREAS = (
    "privileges_and_immunities",
    "data_protection",
    "confidentiality",
    "cybersecurity",
    "system_integrity",
    "reputation",
)
QUESTIONS = (
    "needs_shared_state",
    "multiple_writers",
    "trusted_online_party_suffices",
    "writers_known",
    "writers_trusted",
    "public_verifiability",
)
MISUSE_ATTEMPTS = (
    "double_claim",
    "claim_after_window",
    "replayed_signature",
    "forged_signature",
    "unauthorised_role",
    "pay_suspended",
    "claim_suspended",
    "self_approval",
    "spend_unapproved_merchant",
    "overspend_voucher",
    "paused_payment",
    "transfer_retired",
    "overlapping_serials",
    "unaccredited_issuer",
    "verify_revoked",
    "thief_cancels_recovery",
    "issuer_squats_batch",
)

_DURATION = {
    "description": "seconds, or a number with a unit: 90s, 30m, 12h, 7d, 2w",
    "oneOf": [
        {"type": "integer", "minimum": 0},
        {"type": "string", "pattern": r"^\s*\d+\s*[smhdw]\s*$"},
    ],
}
_AMOUNT = {
    "description": "token units (e.g. 25 or 12.5 for the 6-decimal settlement token)",
    "oneOf": [
        {"type": "number", "exclusiveMinimum": 0},
        {"type": "string", "pattern": r"^\s*\d+(\.\d{1,6})?\s*$"},
    ],
}
_SHARE = {"type": "number", "minimum": 0, "maximum": 1, "description": "a fraction between 0 and 1"}
_COUNT_OR_ALL = {"oneOf": [{"type": "integer", "minimum": 1}, {"const": "all"}]}
_INDEXES = {"type": "array", "items": {"type": "integer", "minimum": 1}, "minItems": 1}
_TEXT = {"type": "string", "minLength": 1}
_COMMON = {"do": {"type": "string"}, "label": {"type": "string", "pattern": r"^[A-Za-z][A-Za-z0-9_-]*$"},
           "note": {"type": "string"}}


def _step(required: list[str] | None = None, **properties: Any) -> dict[str, Any]:
    return {"type": "object", "properties": {**_COMMON, **properties}, "required": ["do", *(required or [])],
            "additionalProperties": False}


STEP_SCHEMAS: dict[str, dict[str, Any]] = {
    "deploy": _step(["contracts"], contracts={"type": "array", "minItems": 1, "uniqueItems": True,
                                              "items": {"enum": ["cash", "credits", "certs"]}}),
    "enrol": _step(count=_COUNT_OR_ALL, batch={"type": "integer", "minimum": 1, "maximum": 150}),
    "fund": _step(amount=_AMOUNT, per_beneficiary=_AMOUNT),
    "round": _step(
        ["kind", "amount"],
        kind={"enum": ["push", "list", "claim"]},
        amount=_AMOUNT,
        window=_DURATION,
        recipients={"oneOf": [{"const": "all"}, {"type": "integer", "minimum": 1}]},
        batch={"type": "integer", "minimum": 1, "maximum": 250},
        claim_share=_SHARE,
        relayed_share=_SHARE,
        cap={"type": "integer", "enum": [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024]},
        sweep={"type": "boolean"},
    ),
    "sweep": _step(round={"type": "string"}),
    "advance": _step(["by"], by=_DURATION),
    "suspend": _step(["beneficiaries"], beneficiaries=_INDEXES, reason={"type": "integer", "minimum": 0}),
    "reinstate": _step(["beneficiaries"], beneficiaries=_INDEXES),
    "remove": _step(["beneficiaries"], beneficiaries=_INDEXES, reason={"type": "integer", "minimum": 0}),
    "approve_merchants": _step(count=_COUNT_OR_ALL),
    "spend": _step(["amount"], amount=_AMOUNT, share=_SHARE, relayed_share=_SHARE),
    "redeem": _step(share=_SHARE),
    "wallet_recovery": _step(["beneficiary"], beneficiary={"type": "integer", "minimum": 1},
                             stolen={"type": "boolean"}),
    "pause": _step(contract={"enum": ["cash", "credits", "certs"]}),
    "unpause": _step(contract={"enum": ["cash", "credits", "certs"]}),
    "register_project": _step(["registry", "external_id", "methodology", "country"], registry=_TEXT,
                              external_id=_TEXT, methodology=_TEXT,
                              country={"type": "string", "pattern": "^[A-Z]{2}$"}),
    "issue_credits": _step(["serials"], serials={"type": "integer", "minimum": 1},
                           serial_start={"type": "integer", "minimum": 1},
                           vintage={"type": "array", "items": {"type": "integer", "minimum": 1990, "maximum": 2100},
                                    "minItems": 2, "maxItems": 2}),
    "transfer_credits": _step(["amount"], amount={"type": "integer", "minimum": 1},
                              to={"type": "integer", "minimum": 1}, batch={"type": "integer", "minimum": 1}),
    "retire_credits": _step(["amount"], amount={"type": "integer", "minimum": 1},
                            by={"oneOf": [{"const": "holder"}, {"type": "integer", "minimum": 1}]},
                            batch={"type": "integer", "minimum": 1}, reason=_TEXT, beneficiary=_TEXT),
    "freeze_credits": _step(batch={"type": "integer", "minimum": 1}, reason={"type": "integer", "minimum": 0}),
    "accredit_issuer": _step(["name"], name=_TEXT),
    "issue_certificates": _step(["count"], count={"type": "integer", "minimum": 1}, valid_for=_DURATION,
                                relayed_share=_SHARE),
    "issue_certificate_batch": _step(["documents"], documents={"type": "integer", "minimum": 1},
                                     valid_for=_DURATION),
    "verify_certificates": _step(sample={"type": "integer", "minimum": 1}),
    "revoke_certificate": _step(["certificate"], certificate={"type": "integer", "minimum": 1},
                                reason={"type": "integer", "minimum": 0}),
    "suspend_certificate": _step(["certificate"], certificate={"type": "integer", "minimum": 1},
                                 reason={"type": "integer", "minimum": 0}),
    "reinstate_certificate": _step(["certificate"], certificate={"type": "integer", "minimum": 1}),
    "supersede_certificate": _step(["certificate"], certificate={"type": "integer", "minimum": 1}),
    "revoke_batch_document": _step(["document"], document={"type": "integer", "minimum": 1},
                                   reason={"type": "integer", "minimum": 0}),
    "misuse": _step(
        ["attempt", "expect"],
        attempt={"enum": list(MISUSE_ATTEMPTS)},
        expect={"type": "object", "minProperties": 1, "maxProperties": 1, "additionalProperties": False,
                "properties": {"error": {"type": "string", "pattern": "^[A-Za-z_][A-Za-z0-9_]*$"},
                               "status": {"enum": ["Unknown", "Valid", "Expired", "Suspended", "Revoked",
                                                   "Superseded"]},
                               "skipped": {"enum": ["NotActive", "AlreadyPaid"]}}},
        round={"type": "string"}, beneficiary={"type": "integer", "minimum": 1},
        certificate={"type": "integer", "minimum": 1},
    ),
}

_PRESET = {
    "type": "object",
    "required": ["name", "gas_price_gwei", "token_price_usd"],
    "additionalProperties": False,
    "properties": {
        "name": _TEXT,
        "kind": {"enum": ["public L1", "L2", "sidechain", "permissioned"]},
        "gas_price_gwei": {"type": "number", "minimum": 0},
        "token": {"type": "string"},
        "token_price_usd": {"type": "number", "minimum": 0},
        "note": {"type": "string"},
    },
}

SCENARIO_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": "pilotkit pilot scenario",
    "type": "object",
    "required": ["scenario", "name", "title", "metadata", "assessment", "actors", "steps"],
    "additionalProperties": False,
    "properties": {
        "scenario": {"const": FORMAT_VERSION, "description": "format version"},
        "name": {"type": "string", "pattern": r"^[a-z0-9][a-z0-9-]*$"},
        "title": _TEXT,
        "seed": {"type": "integer", "minimum": 0},
        "metadata": {
            "type": "object",
            "required": ["region", "agency_type", "use_case", "modelled_on"],
            "additionalProperties": False,
            "properties": {
                "region": _TEXT,
                "agency_type": _TEXT,
                "use_case": _TEXT,
                "summary": {"type": "string"},
                "modelled_on": {
                    "type": "object",
                    "required": ["pilot", "reference"],
                    "additionalProperties": False,
                    "properties": {"pilot": _TEXT, "reference": _TEXT, "what_is_modelled": {"type": "string"}},
                },
                "synthetic_data": {"const": True, "description": "scenarios only ever hold synthetic people"},
            },
        },
        "assessment": {
            "type": "object",
            "required": ["questions", "risks"],
            "additionalProperties": False,
            "properties": {
                "questions": {
                    "type": "object",
                    "required": list(QUESTIONS),
                    "additionalProperties": False,
                    "properties": {q: {"type": "boolean"} for q in QUESTIONS},
                },
                "risks": {
                    "type": "object",
                    "required": list(RISK_AREAS),
                    "additionalProperties": False,
                    "properties": {
                        area: {
                            "type": "object",
                            "required": ["likelihood", "impact", "mitigation"],
                            "additionalProperties": False,
                            "properties": {
                                "likelihood": {"type": "integer", "minimum": 1, "maximum": 5},
                                "impact": {"type": "integer", "minimum": 1, "maximum": 5},
                                "mitigation": _TEXT,
                            },
                        }
                        for area in RISK_AREAS
                    },
                },
                "notes": {"type": "string"},
            },
        },
        "chain": {
            "type": "object",
            "additionalProperties": False,
            "properties": {
                "network": _TEXT,
                "genesis_time": {
                    "description": "UNIX seconds or a UTC date: 2026-01-05 or 2026-01-05T08:00:00Z",
                    "oneOf": [{"type": "integer", "minimum": 1},
                              {"type": "string", "pattern": r"^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2})?Z?)?$"}],
                },
                "block_time": {"type": "integer", "minimum": 1, "maximum": 3600},
                "presets": {"type": "array", "items": _TEXT, "uniqueItems": True},
                "custom_presets": {"type": "array", "items": _PRESET},
            },
        },
        "programme": {
            "type": "object",
            "additionalProperties": False,
            "properties": {
                "currency": {"type": "string", "pattern": "^[A-Za-z]{2,8}$"},
                "voucher_mode": {"type": "boolean"},
                "recovery_delay": _DURATION,
                "period": _DURATION,
                "period_cap": _AMOUNT,
            },
        },
        "actors": {
            "type": "object",
            "required": ["beneficiaries"],
            "additionalProperties": False,
            "properties": {
                "beneficiaries": {"type": "integer", "minimum": 0, "maximum": 1_000_000},
                "merchants": {"type": "integer", "minimum": 0, "maximum": 1000},
                "credit_buyers": {"type": "integer", "minimum": 0, "maximum": 1000},
                "full": {
                    "type": "object",
                    "description": "the real pilot's size, replayed with --full",
                    "additionalProperties": False,
                    "properties": {
                        "beneficiaries": {"type": "integer", "minimum": 0, "maximum": 1_000_000},
                        "merchants": {"type": "integer", "minimum": 0, "maximum": 1000},
                        "credit_buyers": {"type": "integer", "minimum": 0, "maximum": 1000},
                    },
                },
            },
        },
        "steps": {
            "type": "array",
            "minItems": 1,
            "items": {
                "type": "object",
                "required": ["do"],
                "properties": {"do": {"enum": list(STEP_SCHEMAS)}},
                "allOf": [
                    {"if": {"properties": {"do": {"const": kind}}, "required": ["do"]}, "then": schema}
                    for kind, schema in STEP_SCHEMAS.items()
                ],
            },
        },
        "expect": {
            "type": "object",
            "additionalProperties": False,
            "properties": {
                "final": {
                    "type": "object",
                    "propertyNames": {"pattern": r"^(cash|credits|certs)\.[a-z_]+$"},
                    "additionalProperties": {"type": ["number", "string", "boolean"]},
                },
            },
        },
    },
}


class _Loader(yaml.SafeLoader):
    """SafeLoader without the implicit timestamp type (dates stay strings, as JSON Schema expects)."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


class Document:
    """A parsed YAML document plus the 1-based line of every value (by its path from the root)."""

    def __init__(self, file: str, data: Any, lines: dict[Path_, int], key_lines: dict[Path_, int]) -> None:
        self.file = file
        self.data = data
        self.lines = lines
        self.key_lines = key_lines

    def line(self, path: Path_) -> int | None:
        """The line of the value at `path`, or of its nearest ancestor that has one."""
        path = tuple(path)
        while path:
            if path in self.lines:
                return self.lines[path]
            path = path[:-1]
        return self.lines.get((), None)

    def error(self, path: Path_, problem: str) -> ScenarioError:
        return ScenarioError([(self.file, self.line(path), f"{show_path(path)}: {problem}" if path else problem)])


def show_path(path: Path_) -> str:
    """`steps[3].amount` for ("steps", 3, "amount"); steps are numbered from 1 as people count them."""
    text = ""
    for index, part in enumerate(path):
        if isinstance(part, int):
            shown = part + 1 if index > 0 and path[index - 1] == "steps" else part
            text += f"[{shown}]"
        else:
            text += f".{part}" if text else str(part)
    return text


def parse_yaml(text: str, file: str) -> Document:
    """Parse one YAML document, keeping each value's line; duplicate keys and non-string keys are errors."""
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problem = " ".join(str(p) for p in (exc.context, exc.problem) if p)
        raise ScenarioError([(file, mark.line + 1 if mark else None, f"not valid YAML: {problem}")]) from None
    except yaml.YAMLError as exc:
        raise ScenarioError([(file, None, f"not valid YAML: {exc}")]) from None
    finally:
        loader.dispose()
    if node is None:
        raise ScenarioError([(file, None, "the file is empty")])
    lines: dict[Path_, int] = {}
    key_lines: dict[Path_, int] = {}
    problems: list[tuple[str, int | None, str]] = []

    def build(current: yaml.Node, path: Path_) -> Any:
        lines[path] = current.start_mark.line + 1
        if isinstance(current, yaml.MappingNode):
            result: dict[str, Any] = {}
            for key_node, value_node in current.value:
                key = loader.construct_object(key_node, deep=True)
                if not isinstance(key, str):
                    problems.append((file, key_node.start_mark.line + 1,
                                     f"{show_path(path) or 'document'}: keys must be strings, not {key!r}"))
                    continue
                if key in result:
                    problems.append((file, key_node.start_mark.line + 1,
                                     f"{show_path((*path, key))}: duplicate key (first given on line "
                                     f"{key_lines[(*path, key)]})"))
                    continue
                key_lines[(*path, key)] = key_node.start_mark.line + 1
                result[key] = build(value_node, (*path, key))
            return result
        if isinstance(current, yaml.SequenceNode):
            return [build(item, (*path, i)) for i, item in enumerate(current.value)]
        return loader.construct_object(current, deep=True)

    data = build(node, ())
    if problems:
        raise ScenarioError(problems)
    return Document(file, data, lines, key_lines)


_UNEXPECTED = re.compile(r"\('([^']+)' (?:was|were) unexpected")


def validate(document: Document, schema: dict[str, Any] | None = None) -> None:
    """Check a document against the scenario schema; every problem is reported with its line."""
    import jsonschema_rs

    validator = jsonschema_rs.validator_for(schema or SCENARIO_SCHEMA)
    problems: list[tuple[int, str, str]] = []
    seen: set[tuple[int | None, str]] = set()
    for error in validator.iter_errors(document.data):
        path: Path_ = tuple(error.instance_path)
        message = _friendly(error.message, path, list(error.schema_path), _value_at(document.data, path))
        line = document.line(path)
        unexpected = _UNEXPECTED.search(error.message)
        if unexpected and (*path, unexpected.group(1)) in document.key_lines:
            line = document.key_lines[(*path, unexpected.group(1))]
            message = f"unknown key '{unexpected.group(1)}'" + _allowed_keys(path, document)
            path = (*path, unexpected.group(1))
        text = f"{show_path(path)}: {message}" if path else message
        if (line, text) not in seen:
            seen.add((line, text))
            problems.append((line or 0, text, ""))
    if problems:
        problems.sort(key=lambda p: p[0])
        raise ScenarioError([(document.file, line or None, text) for line, text, _ in problems])


def _allowed_keys(path: Path_, document: Document) -> str:
    """`(allowed: a, b, c)` for the object at `path` (steps: the keys of its kind)."""
    properties: dict[str, Any] | None = None
    if len(path) == 2 and path[0] == "steps":
        step = document.data["steps"][path[1]]
        kind = step.get("do") if isinstance(step, dict) else None
        if kind in STEP_SCHEMAS:
            properties = STEP_SCHEMAS[kind]["properties"]
    else:
        node: Any = SCENARIO_SCHEMA
        for part in path:
            if not isinstance(node, dict):
                node = None
                break
            if isinstance(part, int):
                node = node.get("items")
            else:
                props = node.get("properties", {})
                node = props.get(part) if part in props else node.get("additionalProperties")
        if isinstance(node, dict):
            properties = node.get("properties")
    return f" (allowed here: {', '.join(properties)})" if properties else ""


def _schema_at(schema_path: list[Any]) -> Any:
    node: Any = SCENARIO_SCHEMA
    for part in schema_path:
        try:
            node = node[part]
        except (KeyError, IndexError, TypeError):
            return None
    return node


def _friendly(message: str, path: Path_, schema_path: list[Any], value: Any) -> str:
    """jsonschema messages, made plainer where they are cryptic (oneOf, enums of step kinds, the version)."""
    import difflib

    last = schema_path[-1] if schema_path else None
    if last == "enum" and len(path) == 3 and path[0] == "steps" and path[2] == "do":
        close = difflib.get_close_matches(str(value), list(STEP_SCHEMAS), n=1)
        hint = f"did you mean '{close[0]}'? " if close else ""
        return f"{value!r} is not a step kind; {hint}kinds: {', '.join(STEP_SCHEMAS)}"
    if last == "enum":
        allowed = _schema_at(schema_path)
        if isinstance(allowed, list):
            close = difflib.get_close_matches(str(value), [str(a) for a in allowed], n=1)
            hint = f"did you mean '{close[0]}'? " if close else ""
            return f"{value!r} is not allowed here; {hint}use one of: {', '.join(str(a) for a in allowed)}"
    if last == "oneOf":
        parent = _schema_at(schema_path[:-1])
        description = parent.get("description") if isinstance(parent, dict) else None
        return f"{value!r} has the wrong form" + (f": expected {description}" if description else "")
    if last == "const" and path == ("scenario",):
        return f"format version must be {FORMAT_VERSION}"
    return message


def _value_at(data: Any, path: Path_) -> Any:
    for part in path:
        try:
            data = data[part]
        except (KeyError, IndexError, TypeError):
            return None
    return data


def load_document(path: str | Path) -> Document:
    """Read, parse and validate a scenario file."""
    file = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise ScenarioError([(file, None, f"cannot read the file: {exc.strerror or exc}")]) from None
    document = parse_yaml(text, file)
    if not isinstance(document.data, dict):
        raise ScenarioError([(file, 1, "a scenario is a mapping (key: value) at the top level")])
    validate(document)
    return document


def schema_json() -> str:
    """The schema as JSON text (for editors and docs)."""
    return json.dumps(SCENARIO_SCHEMA, indent=2)
