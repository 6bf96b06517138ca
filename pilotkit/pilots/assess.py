"""The fit assessment: should this pilot use a blockchain at all, and which kind?

The decision matrix follows Wüst & Gervais ("Do you need a blockchain?", 2018), the gate the UN Joint
Inspection Unit asks agencies to pass before choosing blockchain (JIU/REP/2020/7), and it can say no:

1. No shared state to keep → no blockchain.
2. Only one writer → no blockchain (that writer's own database).
3. One always-online party everybody trusts could keep it → a shared database run by that party.
4. Writers not known in advance → a public chain (or an L2).
5. Writers known and all trusted → a shared (replicated) database.
6. Writers known but not all trusted: public verifiability needed → a public chain or L2 (with permissioned
   roles in the contracts); otherwise → a permissioned chain.

The risk register covers the JIU review's six areas, each scored likelihood × impact (1-5 each): 1-4 low,
5-9 medium, 10-16 high, 20-25 critical. A critical risk in privileges and immunities or data protection moves
a public-chain recommendation to a permissioned chain; any critical risk is a condition before going live.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

from pilotkit.pilots.scenario import AssessmentInput, Risk
from pilotkit.pilots.schema import QUESTIONS, RISK_AREAS

NO_BLOCKCHAIN = "no_blockchain"
SHARED_DATABASE = "shared_database"
PERMISSIONED_CHAIN = "permissioned_chain"
PUBLIC_CHAIN = "public_chain_or_l2"
LABELS = {
    NO_BLOCKCHAIN: "No blockchain",
    SHARED_DATABASE: "A shared database",
    PERMISSIONED_CHAIN: "A permissioned chain",
    PUBLIC_CHAIN: "A public chain or L2",
}
QUESTION_TEXT = {
    "needs_shared_state": "Does the pilot need to store shared state (a ledger, a registry) at all?",
    "multiple_writers": "Are there several parties that write to that state?",
    "trusted_online_party_suffices": "Could one always-online party that every writer trusts keep the state instead?",
    "writers_known": "Are all writers known in advance (identified organisations)?",
    "writers_trusted": "Do all writers trust each other (no need to verify each other's writes)?",
    "public_verifiability": "Must the public (or outside auditors, donors) be able to verify the state themselves?",
}
AREA_TEXT = {
    "privileges_and_immunities": "Privileges and immunities (UN data and systems outside the organisation's control)",
    "data_protection": "Data protection (personal data of beneficiaries, erasure, consent)",
    "confidentiality": "Confidentiality (amounts, locations, programme data visible to others)",
    "cybersecurity": "Cybersecurity (keys, nodes, smart-contract flaws)",
    "system_integrity": "System integrity (double payment, fraud, errors that cannot be undone)",
    "reputation": "Reputation (public failure, hype, association with speculative tokens)",
}


def risk_level(score: int) -> str:
    if score >= 20:
        return "critical"
    if score >= 10:
        return "high"
    if score >= 5:
        return "medium"
    return "low"


@dataclass
class RiskResult:
    area: str
    likelihood: int
    impact: int
    score: int
    level: str
    mitigation: str


@dataclass
class Assessment:
    """The recommendation with its reasons, the question trail and the scored risk register."""

    recommendation: str
    label: str
    reasons: list[str]
    trail: list[dict[str, Any]]
    risks: list[RiskResult]
    overall_risk: str
    conditions: list[str] = field(default_factory=list)
    matrix_recommendation: str = ""

    @property
    def uses_blockchain(self) -> bool:
        return self.recommendation in (PERMISSIONED_CHAIN, PUBLIC_CHAIN)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self) | {"uses_blockchain": self.uses_blockchain}

    def text(self) -> str:
        lines = [f"Recommendation: {self.label}", ""]
        lines += ["Why:"] + [f"  - {r}" for r in self.reasons]
        lines += ["", "Answers:"] + [f"  {'yes' if t['answer'] else 'no ':3}  {t['question']}" for t in self.trail]
        lines += ["", f"Risk register (overall: {self.overall_risk}):"]
        for r in self.risks:
            lines.append(f"  {r.area:26} L{r.likelihood} x I{r.impact} = {r.score:2} {r.level:8}  {r.mitigation}")
        if self.conditions:
            lines += ["", "Conditions:"] + [f"  - {c}" for c in self.conditions]
        return "\n".join(lines)


def _matrix(q: dict[str, bool]) -> tuple[str, list[str]]:
    if not q["needs_shared_state"]:
        return NO_BLOCKCHAIN, ["there is no shared state to keep: a blockchain would only add cost and risk"]
    if not q["multiple_writers"]:
        return NO_BLOCKCHAIN, ["only one party writes: its own database (with an audit log) does the job"]
    if q["trusted_online_party_suffices"]:
        return SHARED_DATABASE, ["an always-online party that every writer trusts can keep the state: "
                                 "a shared database it runs is simpler, cheaper and easier to correct"]
    if not q["writers_known"]:
        return PUBLIC_CHAIN, ["writers are not known in advance, so write access cannot be permissioned: "
                              "only a public chain (or an L2) lets unknown parties write under one rule set"]
    if q["writers_trusted"]:
        return SHARED_DATABASE, ["all writers are known and trust each other: a replicated shared database "
                                 "gives them the same state without consensus overhead"]
    if q["public_verifiability"]:
        return PUBLIC_CHAIN, ["several known writers that do not fully trust each other, and the public (donors, "
                              "auditors) must verify the state themselves: a public chain or L2, with the "
                              "writers' roles enforced by the contracts"]
    return PERMISSIONED_CHAIN, ["several known writers that do not fully trust each other and no need for public "
                                "verification: a permissioned chain run by the parties"]


def assess(answers: AssessmentInput) -> Assessment:
    """Apply the matrix and the risk register to a set of answers."""
    q = answers.questions
    recommendation, reasons = _matrix(q)
    matrix = recommendation
    trail = [{"key": key, "question": QUESTION_TEXT[key], "answer": bool(q[key])} for key in QUESTIONS]
    risks = [RiskResult(r.area, r.likelihood, r.impact, r.score, risk_level(r.score), r.mitigation)
             for r in (answers.risks[a] for a in RISK_AREAS)]
    order = ["low", "medium", "high", "critical"]
    overall = max((r.level for r in risks), key=order.index, default="low")
    by_area = {r.area: r for r in risks}
    conditions: list[str] = []
    if recommendation == PUBLIC_CHAIN:
        blocking = [a for a in ("privileges_and_immunities", "data_protection") if by_area[a].level == "critical"]
        if blocking:
            recommendation = PERMISSIONED_CHAIN
            reasons.append(f"but the {' and '.join(a.replace('_', ' ') for a in blocking)} risk is critical: "
                           "keep the ledger on nodes the agencies control (a permissioned chain), and publish "
                           "verifiable summaries instead")
        if by_area["data_protection"].level in ("high", "critical"):
            conditions.append("nothing personal on chain: keyed-hash ids only, the key held off chain by the agency")
    if recommendation in (PERMISSIONED_CHAIN, PUBLIC_CHAIN):
        for r in risks:
            if r.level == "critical":
                conditions.append(f"{r.area.replace('_', ' ')} risk is critical ({r.score}/25): mitigate it below "
                                  "critical before going live")
    elif overall in ("high", "critical"):
        reasons.append(f"the risk register's highest level is {overall}: a blockchain would not lower these risks")
    return Assessment(recommendation, LABELS[recommendation], reasons, trail, risks, overall, conditions, matrix)


def interview(ask: Callable[[str], str] = input, say: Callable[[str], None] = print) -> AssessmentInput:
    """Ask the questions and the risk register on a terminal (`ask` defaults to input())."""

    def yes_no(text: str) -> bool:
        while True:
            answer = ask(f"{text} [y/n] ").strip().lower()
            if answer in ("y", "yes"):
                return True
            if answer in ("n", "no"):
                return False
            say("  please answer y or n")

    def one_to_five(text: str) -> int:
        while True:
            answer = ask(f"  {text} (1-5) ").strip()
            if answer.isdigit() and 1 <= int(answer) <= 5:
                return int(answer)
            say("  please give a whole number from 1 (lowest) to 5 (highest)")

    say("Decision-making matrix (Wüst & Gervais 2018, as the UN JIU review recommends)")
    questions = {key: yes_no(QUESTION_TEXT[key]) for key in QUESTIONS}
    say("\nRisk register: for each area, likelihood and impact from 1 to 5, and the mitigation")
    risks = {}
    for area in RISK_AREAS:
        say(AREA_TEXT[area])
        likelihood = one_to_five("likelihood")
        impact = one_to_five("impact")
        mitigation = ask("  mitigation: ").strip() or "none stated"
        risks[area] = Risk(area, likelihood, impact, mitigation)
    return AssessmentInput(questions, risks)


def answers_yaml(answers: AssessmentInput) -> str:
    """The answers as the `assessment:` block of a scenario (or a stand-alone assess file)."""
    import yaml

    data = {
        "questions": dict(answers.questions),
        "risks": {a: {"likelihood": r.likelihood, "impact": r.impact, "mitigation": r.mitigation}
                  for a, r in answers.risks.items()},
    }
    return str(yaml.safe_dump({"assessment": data}, sort_keys=False, allow_unicode=True))


def load_answers(path: str) -> AssessmentInput:
    """Answers from a scenario file (its `assessment:`) or a stand-alone file holding only `assessment:`."""
    from pilotkit.pilots import ScenarioError
    from pilotkit.pilots.scenario import assessment_from
    from pilotkit.pilots.schema import SCENARIO_SCHEMA, Document, parse_yaml, validate

    try:
        with open(path, encoding="utf-8") as handle:
            text = handle.read()
    except OSError as exc:
        raise ScenarioError([(path, None, f"cannot read the file: {exc.strerror or exc}")]) from None
    document = parse_yaml(text, path)
    if isinstance(document.data, dict) and "scenario" in document.data:
        validate(document)
    else:
        schema = {"type": "object", "required": ["assessment"], "additionalProperties": False,
                  "properties": {"assessment": SCENARIO_SCHEMA["properties"]["assessment"]}}
        validate(Document(document.file, document.data, document.lines, document.key_lines), schema)
    return assessment_from(document.data["assessment"])
