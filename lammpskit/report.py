"""The comparison report of a campaign: tables (CSV, Markdown, HTML) and figures per potential and x.

Each case contributes what its stages produced: the anneal density (quench
``result.json``), B, G, E, nu (``elastic-<method>/result.json``) and the structural units
(``analysis/units.json``). Replicas (seeds) are averaged; the spread is their standard
deviation. Missing or failed cases are listed and left out. Experimental values come
from a reference CSV (one value per row with source and DOI); quantities without one
stay empty.
"""

from __future__ import annotations

import base64
import csv
import html
import json
from pathlib import Path

import numpy as np

from . import campaign as campaigns
from . import manifest
from .errors import RunError, UserError

REFERENCE = Path(__file__).parent / "reference" / "na4p2s7-xox.csv"


def _pn(u: dict, n: str) -> float | None:
    return u["Pn_fraction"].get(n, 0.0)


def _anion(u: dict, el: str, kind: str) -> float | None:
    a = u["anions"].get(el, {})
    total = sum(a.get(k, 0.0) for k in ("bridging", "nonbridging", "free"))
    return a.get(kind, 0.0) / total if total else None


def _per_100p(u: dict, key: str) -> float | None:
    return 100 * u[key] / u["P_atoms"] if u.get("P_atoms") else None


# key, label, unit, source file, getter
QUANTITIES = [
    ("density", "density", "g/cm³", "quench", lambda r: r["density_g_cm3"]["mean"]),
    ("B", "bulk modulus B", "GPa", "elastic", lambda r: r["B"]),
    ("G", "shear modulus G", "GPa", "elastic", lambda r: r["G"]),
    ("E", "Young's modulus E", "GPa", "elastic", lambda r: r["E"]),
    ("nu", "Poisson's ratio", "", "elastic", lambda r: r["nu"]),
    ("P0", "P0 fraction", "", "units", lambda u: _pn(u, "0")),
    ("P1", "P1 fraction", "", "units", lambda u: _pn(u, "1")),
    ("P2", "P2 fraction", "", "units", lambda u: _pn(u, "2")),
    ("BS", "bridging S fraction", "", "units", lambda u: _anion(u, "S", "bridging")),
    ("NBS", "non-bridging S fraction", "", "units", lambda u: _anion(u, "S", "nonbridging")),
    ("BO", "fraction of O bridging", "", "units", lambda u: _anion(u, "O", "bridging")),
    ("NBO", "non-bridging O fraction", "", "units", lambda u: _anion(u, "O", "nonbridging")),
    ("edge_sharing", "edge-sharing pairs per 100 P", "", "units", lambda u: _per_100p(u, "edge_sharing_pairs")),
    ("pp_bonds", "P-P bonds per 100 P", "", "units", lambda u: _per_100p(u, "pp_bonds")),
]
ARTEFACTS = ("edge_sharing", "pp_bonds")


def case_values(c: campaigns.Campaign, case: campaigns.Case) -> dict:
    """The quantities of one case (None where its stage has no result)."""
    files = {"quench": c.result_file(case, "quench"),
             "elastic": case.dir / f"elastic-{c.elastic['method']}" / manifest.RESULT,
             "units": case.dir / "analysis" / "units.json"}
    data = {k: json.loads(p.read_text()) if p.exists() else None for k, p in files.items()}
    out = {}
    for key, _label, _unit, src, get in QUANTITIES:
        try:
            out[key] = None if data[src] is None else get(data[src])
        except (KeyError, TypeError, ZeroDivisionError):
            out[key] = None
    units = data["units"]
    out["units"] = units["units"] if units else {}
    return out


def collect(c: campaigns.Campaign) -> tuple[list[dict], list[dict]]:
    """(rows per potential and x with mean/spread/n per quantity, problems: cases missing or failed and why)."""
    try:  # reasons for missing results come from SLURM when it answers
        status = {r["case"]: r for r in campaigns.status(c)}
    except (RunError, UserError):
        status = {}
    groups: dict[tuple, list[dict]] = {}
    problems = []
    for case in c.cases:
        vals = case_values(c, case)
        st = status.get(case.index)
        if all(vals[k] is None for k, *_ in QUANTITIES):
            why = _why(st) or "no results yet (not run, or every stage failed)"
            problems.append({"case": case.label, "dir": str(case.dir), "why": why})
            continue
        missing = [k for k, *_ in QUANTITIES if vals[k] is None]
        if missing and st is not None and st["state"] != "done":
            problems.append({"case": case.label, "dir": str(case.dir), "why": _why(st)})
        groups.setdefault((case.pot, case.x), []).append(vals)
    rows = []
    for (pot, x), vals in sorted(groups.items()):
        row = {"potential": pot, "x": x, "replicas": len(vals)}
        for key, *_ in QUANTITIES:
            got = [v[key] for v in vals if v[key] is not None]
            row[key] = float(np.mean(got)) if got else None
            row[key + "_spread"] = float(np.std(got, ddof=1)) if len(got) > 1 else None
        units: dict[str, list] = {}
        for v in vals:
            for u, n in v["units"].items():
                units.setdefault(u, []).append(n)
        row["units"] = {u: float(np.sum(n) / len(vals)) for u, n in sorted(units.items())}
        rows.append(row)
    return rows, problems


def _why(st: dict | None) -> str:
    if not st:
        return ""
    return "; ".join(f"{k} {s['state']}" + (f" ({s['reason']})" if s.get("reason") else "")
                     for k, s in st["stages"].items() if s["state"] != "done")


def reference(path: Path = REFERENCE) -> list[dict]:
    """Experimental values: one row per value (system, x, quantity, value, uncertainty, unit, ..., doi)."""
    with open(path, newline="") as fh:
        rows = list(csv.DictReader(fh))
    for r in rows:
        r["x"] = float(r["x"])
        r["value"] = float(r["value"])
    return rows


def scores(rows: list[dict], ref: list[dict]) -> list[dict]:
    """Per potential: mean relative deviation from experiment (where there is a value), artefacts per 100 P,
    and whether P1 disproportionates (P1 falls while P0 and P2 rise with x)."""
    out = []
    for pot in sorted({r["potential"] for r in rows}):
        mine = sorted((r for r in rows if r["potential"] == pot), key=lambda r: r["x"])
        devs = []
        for e in ref:
            match = next((r for r in mine if abs(r["x"] - e["x"]) < 1e-6 and r.get(e["quantity"]) is not None), None)
            if match and e["value"]:
                devs.append(abs(match[e["quantity"]] - e["value"]) / abs(e["value"]))
        art = [r[k] for r in mine for k in ARTEFACTS if r.get(k) is not None]
        slope = {k: _slope(mine, k) for k in ("P0", "P1", "P2")}
        dispro = None if None in slope.values() else bool(slope["P1"] < 0 < slope["P0"] and slope["P2"] > 0)
        out.append({"potential": pot, "compared_values": len(devs),
                    "mean_rel_deviation": float(np.mean(devs)) if devs else None,
                    "artefacts_per_100P": float(np.mean(art)) if art else None,
                    "P1_disproportionates": dispro, "slopes_per_x": slope})
    ranked = [s for s in out if s["mean_rel_deviation"] is not None]
    for s in out:
        s["closest"] = bool(ranked) and s is min(ranked, key=lambda t: t["mean_rel_deviation"])
    return out


def _slope(rows: list[dict], key: str) -> float | None:
    pts = [(r["x"], r[key]) for r in rows if r.get(key) is not None]
    if len(pts) < 2:
        return None
    x, y = np.array(pts).T
    return float(np.polyfit(x, y, 1)[0])


# -- writing ----------------------------------------------------------------------------------------

def figures(rows: list[dict], ref: list[dict], folder: Path) -> list[tuple[str, Path]]:
    """One PNG per quantity: value vs x, one line per potential (error bars = replica spread), experiment as points."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    out = []
    for key, label, unit, *_ in QUANTITIES:
        series = {}
        for r in rows:
            if r.get(key) is not None:
                series.setdefault(r["potential"], []).append((r["x"], r[key], r.get(key + "_spread") or 0.0))
        exp = [(e["x"], e["value"], float(e["uncertainty"] or 0)) for e in ref if e["quantity"] == key]
        if not series and not exp:
            continue
        fig, ax = plt.subplots(figsize=(5, 3.4), dpi=100)
        for pot, pts in sorted(series.items()):
            x, y, s = np.array(sorted(pts)).T
            ax.errorbar(x, y, yerr=s, marker="o", capsize=3, label=pot)
        if exp:
            x, y, s = np.array(exp).T
            ax.errorbar(x, y, yerr=s, fmt="ks", label="experiment")
        ax.set_xlabel("x in Na4P2S7-xOx")
        ax.set_ylabel(f"{label}" + (f" ({unit})" if unit else ""))
        ax.legend(fontsize=8)
        fig.tight_layout()
        path = folder / f"{key}.png"
        fig.savefig(path)
        plt.close(fig)
        out.append((label, path))
    return out


def structure_figures(c: campaigns.Campaign, folder: Path) -> list[tuple[str, Path]]:
    """Per x: neutron S(Q) and total neutron G(r), one line per potential (first replica with an analysis);
    per potential and x: an OVITO picture of the glass (P coloured by n, P-P bonded P in magenta)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from analysis import snapshot

    first: dict[tuple, campaigns.Case] = {}
    for case in c.cases:
        if (case.dir / "analysis" / "sq.csv").exists():
            first.setdefault((case.pot, case.x), case)
    out = []
    for x in sorted({x for _, x in first}):
        for name, csv_name, xcol, ycol, xlabel in (("S(Q)", "sq.csv", "Q_invA", "S_neutron", "Q (1/Å)"),
                                                   ("G(r)", "rdf.csv", "r_A", "G_neutron", "r (Å)")):
            fig, ax = plt.subplots(figsize=(5, 3.4), dpi=100)
            for (pot, xx), case in sorted(first.items()):
                if xx == x:
                    table = np.genfromtxt(case.dir / "analysis" / csv_name, delimiter=",", names=True)
                    if ycol in table.dtype.names:
                        ax.plot(table[xcol], table[ycol], label=pot)
            ax.set_xlabel(xlabel)
            ax.set_ylabel(f"neutron {name}")
            ax.set_title(f"x = {x:g}")
            ax.legend(fontsize=8)
            fig.tight_layout()
            path = folder / f"{name[0]}_x{x:g}.png"
            fig.savefig(path)
            plt.close(fig)
            out.append((f"neutron {name}, x = {x:g}", path))
    for (pot, x), case in sorted(first.items()):
        dump = case.dir / "dump.production.lammpstrj"
        if dump.exists():
            out.append((f"{pot}, x = {x:g} (P0 blue, P1 green, P2 orange, P3 red; P-P magenta)",
                        snapshot.render(dump, folder / f"glass_{pot}_x{x:g}.png")))
    return out


def write(c: campaigns.Campaign, folder: Path, ref_path: Path = REFERENCE) -> dict:
    """Write report.csv, report.md, report.html (images embedded) and the PNGs into ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    rows, problems = collect(c)
    ref = reference(ref_path)
    score = scores(rows, ref)
    figs = figures(rows, ref, folder) + structure_figures(c, folder)
    cols = ["potential", "x", "replicas"] + [k for key, *_ in QUANTITIES for k in (key, key + "_spread")]
    tmp = folder / "report.csv.tmp"
    with open(tmp, "w", newline="") as fh:
        w = csv.DictWriter(fh, cols, extrasaction="ignore")
        w.writeheader()
        for r in rows:
            w.writerow({k: ("" if r.get(k) is None else r[k]) for k in cols})
    tmp.replace(folder / "report.csv")
    (folder / "report.md").write_text(_markdown(c, rows, problems, score, ref, figs))
    (folder / "report.html").write_text(_html(c, rows, problems, score, ref, figs))
    return {"folder": str(folder), "rows": len(rows), "problems": problems, "figures": [str(p) for _, p in figs],
            "scores": score}


def _fmt(v, spread=None) -> str:
    if v is None:
        return "–"
    text = f"{v:.3g}"
    return text + (f" ± {spread:.2g}" if spread else "")


def _table(rows: list[dict]) -> tuple[list[str], list[list[str]]]:
    head = ["potential", "x", "n"] + [f"{label}" + (f" ({unit})" if unit else "") for _, label, unit, *_ in QUANTITIES]
    body = [[r["potential"], f"{r['x']:g}", str(r["replicas"])] + [_fmt(r[k], r.get(k + "_spread"))
                                                                    for k, *_ in QUANTITIES] for r in rows]
    return head, body


def _markdown(c, rows, problems, score, ref, figs) -> str:
    head, body = _table(rows)
    lines = [f"# Campaign {c.name}: potentials compared", "", f"{len(c.cases)} cases in {c.root}.", ""]
    lines += ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    lines += ["| " + " | ".join(b) + " |" for b in body]
    lines += ["", "## Scores", ""]
    for s in score:
        lines.append(f"- **{s['potential']}**: mean relative deviation from experiment "
                     f"{_fmt(s['mean_rel_deviation'])} over {s['compared_values']} value(s); artefacts "
                     f"{_fmt(s['artefacts_per_100P'])} per 100 P; P1 -> P0 + P2 with x: {s['P1_disproportionates']}"
                     + (" (closest to experiment)" if s["closest"] else ""))
    lines += ["", "## Missing or failed cases", ""]
    lines += [f"- {p['case']}: {p['why']}" for p in problems] or ["- none"]
    lines += ["", "## Experimental reference values", ""]
    lines += [f"- x = {e['x']:g}: {e['quantity']} = {e['value']:g} {e['unit']} ({e['source']}, doi:{e['doi']})"
              for e in ref] or ["- none"]
    lines += ["", "## Figures", ""] + [f"![{label}]({p.name})" for label, p in figs]
    return "\n".join(lines) + "\n"


def _html(c, rows, problems, score, ref, figs) -> str:
    esc = html.escape
    head, body = _table(rows)
    parts = ["<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>",
             f"<title>lammpskit report: {esc(c.name)}</title>",
             "<style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse;font-size:13px}"
             "td,th{border:1px solid #bbb;padding:3px 6px;text-align:right}th{background:#eee}"
             "img{max-width:480px;margin:6px;border:1px solid #ddd}.bad{color:#a00}</style></head><body>",
             f"<h1>Campaign {esc(c.name)}: potentials compared</h1>",
             f"<p>{len(c.cases)} cases in {esc(str(c.root))}; replicas averaged (± standard deviation).</p>",
             "<table><tr>" + "".join(f"<th>{esc(h)}</th>" for h in head) + "</tr>"]
    parts += ["<tr>" + "".join(f"<td>{esc(v)}</td>" for v in b) + "</tr>" for b in body]
    parts += ["</table><h2>Scores</h2><ul>"]
    for s in score:
        parts.append(f"<li><b>{esc(s['potential'])}</b>: mean relative deviation from experiment "
                     f"{esc(_fmt(s['mean_rel_deviation']))} ({s['compared_values']} values); artefacts "
                     f"{esc(_fmt(s['artefacts_per_100P']))} per 100 P; P1 disproportionates: "
                     f"{esc(str(s['P1_disproportionates']))}{' — closest to experiment' if s['closest'] else ''}</li>")
    parts += ["</ul><h2>Missing or failed cases</h2><ul>"]
    parts += [f"<li class='bad'>{esc(p['case'])}: {esc(p['why'])}</li>" for p in problems] or ["<li>none</li>"]
    parts += ["</ul><h2>Experimental reference values</h2><ul>"]
    parts += [f"<li>x = {e['x']:g}: {esc(e['quantity'])} = {e['value']:g} {esc(e['unit'])} "
              f"({esc(e['source'])}, doi:{esc(e['doi'])})</li>" for e in ref] or ["<li>none</li>"]
    parts += ["</ul><h2>Figures</h2><div>"]
    for label, p in figs:
        data = base64.b64encode(p.read_bytes()).decode()
        parts.append(f"<img alt='{esc(label)}' src='data:image/png;base64,{data}'>")
    parts += ["</div></body></html>"]
    return "\n".join(parts) + "\n"
