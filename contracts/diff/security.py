"""Security requirements per operation and the security schemes they name.

A requirement is a list of alternatives, each a set of schemes with their scopes. An old
client satisfies one old alternative; it still gets in when some new alternative asks for no
more than that (a subset of its schemes, a subset of each scheme's scopes).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from contracts.diff.findings import Finding
from contracts.diff.refs import as_dict, names
from contracts.diff.rules import fixed

Alternative = dict[str, frozenset[str]]


def requirements(op: dict[str, Any], doc: dict[str, Any]) -> list[Alternative]:
    raw = op["security"] if "security" in op else doc.get("security")
    alternatives = [
        {str(k): frozenset(names(v)) for k, v in alt.items()}
        for alt in (raw if isinstance(raw, list) else [])
        if isinstance(alt, dict)
    ]
    return alternatives or [{}]  # none at all: public


def _admits(new: Alternative, old: Alternative) -> bool:
    return all(name in old and scopes <= old[name] for name, scopes in new.items())


def _show(alt: Alternative) -> str:
    if not alt:
        return "no authentication"
    return " + ".join(f"{k}[{' '.join(sorted(v))}]" if v else k for k, v in sorted(alt.items()))


def compare(where: str, old: list[Alternative], new: list[Alternative]) -> Iterator[Finding]:
    for alt in old:
        if any(_admits(n, alt) for n in new):
            continue
        same_schemes = [n for n in new if set(n) == set(alt)]
        if same_schemes:
            extra = sorted(set().union(*(same_schemes[0][k] - alt[k] for k in alt)))
            yield fixed("security-scope-added", where, f"now also needs scopes {' '.join(extra)}")
        else:
            shown = " or ".join(_show(n) for n in new)
            yield fixed(
                "security-requirement-added", where, f"{_show(alt)} no longer enough: needs {shown}"
            )
    for alt in new:
        if not any(_admits(o, alt) for o in old):  # some client it lets in was refused before
            yield fixed("security-relaxed", where, f"now also accepts {_show(alt)}")


def _schemes(doc: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {
        str(k): as_dict(v)
        for k, v in as_dict(as_dict(doc.get("components")).get("securitySchemes")).items()
    }


def schemes(old_doc: dict[str, Any], new_doc: dict[str, Any]) -> Iterator[Finding]:
    old, new = _schemes(old_doc), _schemes(new_doc)
    for name, a in old.items():
        where = f"securitySchemes/{name}"
        b = new.get(name)
        if b is None:
            yield fixed("security-scheme-removed", where, "security scheme removed")
            continue
        for word in ("type", "in", "name", "scheme"):
            if a.get(word) != b.get(word):
                yield fixed(
                    "security-scheme-changed", where, f"{word} {a.get(word)} -> {b.get(word)}"
                )
        flows_b = as_dict(b.get("flows"))
        for flow, spec in as_dict(a.get("flows")).items():
            lost = set(as_dict(as_dict(spec).get("scopes"))) - set(
                as_dict(as_dict(flows_b.get(flow)).get("scopes"))
            )
            for scope in sorted(lost):
                yield fixed("security-scope-removed", f"{where}/{flow}", f"scope {scope} removed")
