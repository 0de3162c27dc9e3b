#!/usr/bin/env python3
"""Checks the chart's Grafana dashboard against the code: every panel has a
whole-number position and size on Grafana's 24-column grid, no two panels
overlap, ids are unique, and every metric a query names is one the server
registers (a metric renamed in C++ would otherwise leave an empty panel)."""
import json
import pathlib
import re
import sys


def main() -> int:
    root = pathlib.Path(sys.argv[1])
    board = json.loads(
        (root / "helm/availability/dashboards/availability-server.json").read_text())
    sources = "\n".join(p.read_text(errors="replace")
                        for d in ("server", "base", "cache")
                        for p in (root / d).glob("*.cc"))
    registered = set(re.findall(r'"((?:availability|grpc)_[a-z0-9_]+)"', sources))
    problems = []
    ids = set()
    cells = {}
    for panel in board["panels"]:
        title = panel.get("title", "?")
        if panel.get("id") in ids:
            problems.append(f"{title}: id {panel.get('id')} used twice")
        ids.add(panel.get("id"))
        pos = panel.get("gridPos", {})
        if not all(isinstance(pos.get(k), int) for k in ("x", "y", "w", "h")):
            problems.append(f"{title}: gridPos {pos} is not four integers")
            continue
        if pos["x"] < 0 or pos["w"] < 1 or pos["x"] + pos["w"] > 24:
            problems.append(f"{title}: gridPos {pos} leaves the 24 columns")
        for x in range(pos["x"], pos["x"] + pos["w"]):
            for y in range(pos["y"], pos["y"] + pos["h"]):
                if (x, y) in cells:
                    problems.append(f"{title}: overlaps {cells[(x, y)]}")
                    break
                cells[(x, y)] = title
            else:
                continue
            break
        for target in panel.get("targets", []):
            for name in re.findall(r"\b((?:availability|grpc)_[a-z0-9_]+)", target["expr"]):
                base = re.sub(r"_(bucket|sum|count)$", "", name)
                if name not in registered and base not in registered:
                    problems.append(f"{title}: {name} is not registered by the server")
    for p in problems:
        print(p)
    print(f"{len(board['panels'])} panels, {len(problems)} problems")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
