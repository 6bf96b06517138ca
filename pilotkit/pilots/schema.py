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

from pilotkit.pilots import ScenarioError, registry
from pilotkit.pilots.fragments import AMOUNT as _AMOUNT
from pilotkit.pilots.fragments import DURATION as _DURATION
from pilotkit.pilots.fragments import TEXT as _TEXT
from pilotkit.pilots.fragments import step as _step
from pilotkit.pilots.misuse import ATTEMPTS
from pilotkit.pilots.model import SIZES

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
MISUSE_ATTEMPTS = tuple(ATTEMPTS)


def _core_steps() -> dict[str, dict[str, Any]]:
    """The core's steps; the misuse step's keys and expectations are completed by the kinds' attempts."""
    kind_names = [k.name for k in registry.KINDS]
    misuse_params = {key: schema for k in registry.KINDS for key, schema in k.misuse_params.items()}
    statuses = [status for k in registry.KINDS for status in k.misuse_statuses]
    skips = [reason for k in registry.KINDS for reason in k.misuse_skips]
    return {
        "deploy": _step(["contracts"], contracts={"type": "array", "minItems": 1, "uniqueItems": True,
                                                  "items": {"enum": kind_names}}),
        "advance": _step(["by"], by=_DURATION),
        "pause": _step(contract={"enum": kind_names}),
        "unpause": _step(contract={"enum": kind_names}),
        "misuse": _step(
            ["attempt", "expect"],
            attempt={"enum": list(MISUSE_ATTEMPTS)},
            expect={"type": "object", "minProperties": 1, "maxProperties": 1, "additionalProperties": False,
                    "properties": {"error": {"type": "string", "pattern": "^[A-Za-z_][A-Za-z0-9_]*$"},
                                   "status": {"enum": statuses},
                                   "skipped": {"enum": skips}}},
            **misuse_params,
        ),
    }


def _step_schemas() -> dict[str, dict[str, Any]]:
    """Every step kind's schema: the core's and each registered kind's fragment, in the listed order."""
    table = _core_steps()
    for kind in registry.KINDS:
        for name, schema in kind.step_schemas.items():
            if name in table:
                raise ValueError(f"the step '{name}' of the {kind.name} kind is registered twice")
            table[name] = schema
    return {name: table[name] for name in registry.step_order(table)}


STEP_SCHEMAS: dict[str, dict[str, Any]] = _step_schemas()

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
                    "propertyNames": {"pattern": rf"^({'|'.join(k.name for k in registry.KINDS)})\.[a-z_]+$"},
                    "additionalProperties": {
                        "description": "a value at every size (300), a formula of the actor counts "
                                       "(\"= beneficiaries - 1\") or one value per size ({small: 300, full: 10000})",
                        "oneOf": [
                        {"type": ["number", "string", "boolean"],
                         "description": "a value at every size, or a formula: \"= beneficiaries - 1\""},
                        {"type": "object", "minProperties": 1, "additionalProperties": False,
                         "description": "one value per size: {small: 300, full: 10000}",
                         "properties": {size: {"type": ["number", "string", "boolean"]} for size in SIZES}},
                    ]},
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
