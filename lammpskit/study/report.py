"""The comparison report of a campaign: tables (CSV, Markdown, HTML) and figures per potential and x.

Each case contributes what its stages produced: the anneal density (quench
``result.json``), B, G, E, nu (``elastic-<method>/result.json``), the structural units
(``analysis/units.json``: P^n, PS(4-m)Om units, bridging anions, artefacts) and Na
transport over the production stage (``analysis/result.json``: D, Nernst-Einstein
sigma). Replicas (seeds) are averaged; the spread is their standard deviation.
Missing or failed cases are listed and left out. Experimental values come
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

from lammpskit._util import validate
from lammpskit.errors import RunError, UserError
from lammpskit.run import manifest
from lammpskit.study import campaign as campaigns

REFERENCE = Path(__file__).parent / "reference" / "na4p2s7-xox.csv"


def _pn(u: dict, n: str) -> float | None:
    return u["Pn_fraction"].get(n, 0.0)


def _anion(u: dict, el: str, kind: str) -> float | None:
    a = u["anions"].get(el, {})
    total = sum(a.get(k, 0.0) for k in ("bridging", "nonbridging", "free"))
    return a.get(kind, 0.0) / total if total else None


def _per_100p(u: dict, key: str) -> float | None:
    return 100 * u[key] / u["P_atoms"] if u.get("P_atoms") else None


def _na(r: dict, key: str) -> float | None:
    return r["transport"][key]["Na"]


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
    ("D_Na", "Na diffusion coefficient (production T)", "cm²/s", "analysis", lambda r: _na(r, "D_cm2_s")),
    ("sigma_Na", "Na Nernst-Einstein conductivity (production T)", "S/cm", "analysis",
     lambda r: _na(r, "conductivity_S_cm")),
]
ARTEFACTS = ("edge_sharing", "pp_bonds")


def case_values(c: campaigns.Campaign, case: campaigns.Case) -> dict:
    """The quantities of one case (None where its stage has no result)."""
    files = {"quench": c.result_file(case, "quench"),
             "elastic": case.dir / f"elastic-{c.elastic['method']}" / manifest.RESULT,
             "units": case.dir / "analysis" / "units.json",
             "analysis": case.dir / "analysis" / manifest.RESULT}
    data = {k: json.loads(p.read_text()) if p.exists() else None for k, p in files.items()}
    out = {}
    for key, _label, _unit, src, get in QUANTITIES:
        try:
            out[key] = None if data[src] is None else get(data[src])
        except (KeyError, TypeError, ZeroDivisionError):
            out[key] = None
    el = data["elastic"] or {}
    out["unstable"] = min(el["eigenvalues_GPa"]) if el.get("mechanically_stable") is False else None
    u = data["units"]
    out["units"] = {k: n / u["P_atoms"] for k, n in u["units"].items()} if u and u.get("P_atoms") else {}
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
        elif vals["unstable"] is not None:
            problems.append({"case": case.label, "dir": str(case.dir),
                             "why": f"elastic: mechanically unstable C (lowest eigenvalue {vals['unstable']:.3g} GPa; "
                                    "relax longer: [elastic] maxiter, ftol): no moduli"})
        groups.setdefault((case.pot, case.x), []).append(vals)
    rows = []
    for (pot, x), vals in sorted(groups.items()):
        row = {"potential": pot, "x": x, "replicas": len(vals)}
        for key, *_ in QUANTITIES:
            got = [v[key] for v in vals if v[key] is not None]
            row[key] = float(np.mean(got)) if got else None
            row[key + "_spread"] = float(np.std(got, ddof=1)) if len(got) > 1 else None
        have = [v["units"] for v in vals if v["units"]]
        names = sorted({u for h in have for u in h}, key=unit_order)
        row["units"] = {u: float(np.mean([h.get(u, 0.0) for h in have])) for u in names}
        row["units_spread"] = {u: float(np.std([h.get(u, 0.0) for h in have], ddof=1)) if len(have) > 1 else None
                               for u in names}
        rows.append(row)
    return rows, problems


def unit_order(name: str) -> tuple:
    """Sort key: PS4, PS3O, PS2O2, PSO3, PO4 first, then other coordinations; each group by falling S count."""
    import re

    n = {el: int(k or 1) for el, k in re.findall(r"([SO])(\d*)", name)}
    return (sum(n.values()) != 4, -n.get("S", 0), name)


def _why(st: dict | None) -> str:
    if not st:
        return ""
    return "; ".join(f"{k} {s['state']}" + (f" ({s['reason']})" if s.get("reason") else "")
                     for k, s in st["stages"].items() if s["state"] != "done")


REF_COLUMNS = ("system", "x", "quantity", "value", "uncertainty", "unit", "method", "source", "doi", "note")


def reference(path: Path = REFERENCE) -> list[dict]:
    """Experimental values with a number: one row per value (REF_COLUMNS). Rows whose value is empty (unknown)
    are allowed and left out; every row needs x in [0, 7], a quantity, a source and a DOI."""
    try:
        with open(path, newline="") as fh:
            table = csv.DictReader(fh)
            missing = [k for k in REF_COLUMNS if k not in (table.fieldnames or [])]
            if missing:
                raise UserError(f"{path}: missing columns {missing} (expected {', '.join(REF_COLUMNS)})")
            rows = list(table)
    except (OSError, UnicodeDecodeError, csv.Error) as e:
        raise UserError(f"cannot read the reference values {path}: {e}") from None
    out = []
    for line, r in enumerate(rows, start=2):
        where = f"{path}, line {line}"
        if not (r["quantity"] or "").strip() or not (r["source"] or "").strip() or not (r["doi"] or "").strip():
            raise UserError(f"{where}: quantity, source and doi are required")
        r["x"] = validate.number(r["x"], f"{where}: x", 0, 7)
        if (r["value"] or "").strip():
            r["value"] = validate.number(r["value"], f"{where}: value")
            r["uncertainty"] = validate.number(r["uncertainty"], f"{where}: uncertainty", 0) if r["uncertainty"] else ""
            out.append(r)
    return out


def scores(rows: list[dict], ref: list[dict]) -> list[dict]:
    """Per potential: relative deviation |sim - exp| / |exp| per quantity (mean over the x with a value) and
    their mean over quantities, artefacts per 100 P, and whether P1 disproportionates (P1 falls while P0 and
    P2 rise with x). ``closest``: the smallest mean deviation among potentials compared at all."""
    out = []
    for pot in sorted({r["potential"] for r in rows}):
        mine = sorted((r for r in rows if r["potential"] == pot), key=lambda r: r["x"])
        devs: dict[str, list[float]] = {}
        for e in ref:
            match = next((r for r in mine if abs(r["x"] - e["x"]) < 1e-6 and r.get(e["quantity"]) is not None), None)
            if match and e["value"]:
                devs.setdefault(e["quantity"], []).append(abs(match[e["quantity"]] - e["value"]) / abs(e["value"]))
        per_q = {q: float(np.mean(d)) for q, d in devs.items()}
        art = [r[k] for r in mine for k in ARTEFACTS if r.get(k) is not None]
        slope = {k: _slope(mine, k) for k in ("P0", "P1", "P2")}
        dispro = None if None in slope.values() else bool(slope["P1"] < 0 < slope["P0"] and slope["P2"] > 0)
        out.append({"potential": pot, "compared_values": sum(map(len, devs.values())),
                    "rel_deviation": per_q, "mean_rel_deviation": float(np.mean(list(per_q.values()))) if per_q else None,
                    "artefacts_per_100P": float(np.mean(art)) if art else None,
                    "P1_disproportionates": dispro, "slopes_per_x": slope})
    ranked = [s for s in out if s["mean_rel_deviation"] is not None]
    for s in out:
        s["closest"] = bool(ranked) and s is min(ranked, key=lambda t: t["mean_rel_deviation"])
    return out


DISPRO = {True: "yes", False: "no", None: "needs two or more x"}


def summary(score: list[dict]) -> list[str]:
    """Plain sentences: the potential closest to experiment overall and the one with the fewest artefacts."""
    lines = []
    best = next((s for s in score if s["closest"]), None)
    lines.append(f"closest to experiment overall: {best['potential']} (mean relative deviation "
                 f"{best['mean_rel_deviation']:.1%} over {len(best['rel_deviation'])} quantities, "
                 f"{best['compared_values']} values)" if best else
                 "no potential could be compared with experiment: the reference has no value at these x")
    clean = [s for s in score if s["artefacts_per_100P"] is not None]
    if clean:
        low = min(clean, key=lambda s: s["artefacts_per_100P"])
        lines.append(f"fewest artefacts: {low['potential']} ({low['artefacts_per_100P']:.3g} edge-sharing pairs "
                     "and P-P bonds per 100 P, averaged over x)")
    return lines


def _slope(rows: list[dict], key: str) -> float | None:
    pts = [(r["x"], r[key]) for r in rows if r.get(key) is not None]
    if len(pts) < 2:
        return None
    x, y = np.array(pts).T
    return float(np.polyfit(x, y, 1)[0])


# -- writing ----------------------------------------------------------------------------------------

def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _save(fig, path: Path) -> Path:
    fig.tight_layout()
    fig.savefig(path)
    _pyplot().close(fig)
    return path


def _table_csv(path: Path) -> np.ndarray:
    """A CSV written by the analysis (rdf.csv, sq.csv) as a structured array; names kept as written (g_P-S)."""
    return np.genfromtxt(path, delimiter=",", names=True, deletechars="")


def figures(rows: list[dict], ref: list[dict], folder: Path) -> list[tuple[str, Path]]:
    """One PNG per quantity: value vs x, one line per potential (error bars = replica spread), experiment as points."""
    plt = _pyplot()
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
        out.append((label, _save(fig, folder / f"{key}.png")))
    return out


def units_figure(rows: list[dict], names: list[str], folder: Path) -> list[tuple[str, Path]]:
    """PS(4-m)Om unit fractions of P vs x: one panel per potential, one line per unit (error bars = spread)."""
    pots = sorted({r["potential"] for r in rows if r["units"]})
    if not pots:
        return []
    plt = _pyplot()
    fig, axes = plt.subplots(1, len(pots), figsize=(4 * len(pots), 3.4), dpi=100, squeeze=False, sharey=True)
    for ax, pot in zip(axes[0], pots):
        mine = sorted((r for r in rows if r["potential"] == pot and r["units"]), key=lambda r: r["x"])
        x = [r["x"] for r in mine]
        for unit in names:
            y = [r["units"].get(unit, 0.0) for r in mine]
            err = [r["units_spread"].get(unit) or 0.0 for r in mine]
            ax.errorbar(x, y, yerr=err, marker="o", capsize=3, label=unit)
        ax.set_title(pot)
        ax.set_xlabel("x in Na4P2S7-xOx")
    axes[0][0].set_ylabel("fraction of P")
    axes[0][-1].legend(fontsize=7)
    return [("PS(4-m)Om units", _save(fig, folder / "units.png"))]


PARTIALS = ("P-S", "P-O", "P-P", "Na-S", "Na-O", "S-S")


def partial_figure(tables: dict[str, np.ndarray], title: str, path: Path) -> Path:
    """Partial g(r) of the P and Na pairs (PARTIALS), one panel per pair, one line per potential (rdf.csv tables)."""
    fig, axes = _pyplot().subplots(2, 3, figsize=(10, 5.6), dpi=100, sharex=True)
    for ax, pair in zip(axes.flat, PARTIALS):
        a, b = pair.split("-")
        for pot, t in tables.items():
            col = next((k for k in (f"g_{a}-{b}", f"g_{b}-{a}") if k in t.dtype.names), None)
            if col is not None:
                ax.plot(t["r_A"], t[col], label=pot)
        ax.set_title(pair, fontsize=9)
        ax.set_xlabel("r (Å)")
    axes[0, 0].set_ylabel("g(r)")
    axes[1, 0].set_ylabel("g(r)")
    axes[0, 0].legend(fontsize=7)
    fig.suptitle(f"partial g(r), {title}")
    return _save(fig, path)


def structure_figures(c: campaigns.Campaign, folder: Path) -> list[tuple[str, Path]]:
    """Per x: neutron S(Q), total neutron G(r) and partial g(r), one line per potential (first replica with an
    analysis); per potential and x: an OVITO picture of the glass (P coloured by n, artefacts highlighted)."""
    from lammpskit.figures import snapshot

    plt = _pyplot()
    first: dict[tuple, campaigns.Case] = {}
    for case in c.cases:
        if (case.dir / "analysis" / "sq.csv").exists():
            first.setdefault((case.pot, case.x), case)
    out = []
    for x in sorted({x for _, x in first}):
        tables = {pot: {name: _table_csv(case.dir / "analysis" / name) for name in ("sq.csv", "rdf.csv")}
                  for (pot, xx), case in sorted(first.items()) if xx == x}
        for name, csv_name, xcol, ycol, xlabel in (("S(Q)", "sq.csv", "Q_invA", "S_neutron", "Q (1/Å)"),
                                                   ("G(r)", "rdf.csv", "r_A", "G_neutron", "r (Å)")):
            fig, ax = plt.subplots(figsize=(5, 3.4), dpi=100)
            for pot, t in tables.items():
                if ycol in t[csv_name].dtype.names:
                    ax.plot(t[csv_name][xcol], t[csv_name][ycol], label=pot)
            ax.set_xlabel(xlabel)
            ax.set_ylabel(f"neutron {name}")
            ax.set_title(f"x = {x:g}")
            ax.legend(fontsize=8)
            out.append((f"neutron {name}, x = {x:g}", _save(fig, folder / f"{name[0]}_x{x:g}.png")))
        out.append((f"partial g(r), x = {x:g}", partial_figure({pot: t["rdf.csv"] for pot, t in tables.items()},
                                                               f"x = {x:g}", folder / f"partials_x{x:g}.png")))
    for (pot, x), case in sorted(first.items()):
        dump = case.dir / "dump.production.lammpstrj"
        if dump.exists():
            out.append((f"{pot}, x = {x:g} (P0 blue, P1 green, P2 orange, P3 red; P-P magenta, edge-sharing cyan)",
                        snapshot.render(dump, folder / f"glass_{pot}_x{x:g}.png")))
    return out


def write(c: campaigns.Campaign, folder: Path, ref_path: Path = REFERENCE) -> dict:
    """Write report.csv, units.csv, report.md, report.html (images embedded) and the PNGs into ``folder``."""
    ref = reference(ref_path)
    folder.mkdir(parents=True, exist_ok=True)
    rows, problems = collect(c)
    score = scores(rows, ref)
    names = sorted({u for r in rows for u in r["units"]}, key=unit_order)
    figs = figures(rows, ref, folder) + units_figure(rows, names, folder) + structure_figures(c, folder)
    flat = [{**r, **r["units"], **{k + "_spread": v for k, v in r["units_spread"].items()}} for r in rows]
    for name, keys in (("report.csv", [q[0] for q in QUANTITIES]), ("units.csv", names)):
        _write_csv(folder / name, ["potential", "x", "replicas"] + [k for key in keys for k in (key, key + "_spread")],
                   flat)
    tables = [("Per potential and x", *_table(rows)),
              ("PS(4-m)Om units (fraction of P)", *_units_table(rows, names))]
    text = _document(c, tables, problems, score, ref)
    (folder / "report.md").write_text(_markdown(text, figs))
    (folder / "report.html").write_text(_html(text, figs))
    return {"folder": str(folder), "rows": len(rows), "problems": problems, "figures": [str(p) for _, p in figs],
            "scores": score}


def _write_csv(path: Path, cols: list[str], rows: list[dict]) -> None:
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "w", newline="") as fh:
        w = csv.DictWriter(fh, cols, extrasaction="ignore")
        w.writeheader()
        for r in rows:
            w.writerow({k: ("" if r.get(k) is None else r[k]) for k in cols})
    tmp.replace(path)


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


def _units_table(rows: list[dict], names: list[str]) -> tuple[list[str], list[list[str]]]:
    body = [[r["potential"], f"{r['x']:g}", str(r["replicas"])]
            + [_fmt(r["units"].get(u, 0.0) if r["units"] else None, r["units_spread"].get(u)) for u in names]
            for r in rows]
    return ["potential", "x", "n"] + names, body


def _document(c, tables, problems, score, ref) -> dict:
    """The report's text, shared by Markdown and HTML: title, intro, tables, and titled lists of lines."""
    lines = {"Scores": [f"{s['potential']}: mean relative deviation from experiment {_fmt(s['mean_rel_deviation'])} "
                        f"over {s['compared_values']} value(s)"
                        + "".join(f"; {q} {d:.1%}" for q, d in s["rel_deviation"].items())
                        + f"; artefacts {_fmt(s['artefacts_per_100P'])} per 100 P; "
                        f"P1 -> P0 + P2 with x: {DISPRO[s['P1_disproportionates']]}"
                        + (" (closest to experiment)" if s["closest"] else "") for s in score],
             "Missing or failed cases": [f"{p['case']}: {p['why']}" for p in problems] or ["none"],
             "Experimental reference values": [f"x = {e['x']:g}: {e['quantity']} = {e['value']:g} {e['unit']} "
                                               f"({e['source']}, doi:{e['doi']})" for e in ref] or ["none"]}
    return {"title": f"Campaign {c.name}: potentials compared",
            "intro": f"{len(c.cases)} case(s) in {c.root}; replicas averaged (± standard deviation). D and sigma "
                     "are from the production stage at its temperature (MSD fit, Haven ratio 1).",
            "summary": summary(score), "tables": tables, "lists": lines, "bad": "Missing or failed cases"}


def _markdown(doc: dict, figs) -> str:
    out = [f"# {doc['title']}", "", doc["intro"], ""] + [f"**{t}**  " for t in doc["summary"]] + [""]
    for title, head, body in doc["tables"]:
        out += [f"## {title}", "", "| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
        out += ["| " + " | ".join(b) + " |" for b in body] + [""]
    for title, items in doc["lists"].items():
        out += [f"## {title}", ""] + [f"- {t}" for t in items] + [""]
    out += ["## Figures", ""] + [f"![{label}]({p.name})" for label, p in figs]
    return "\n".join(out) + "\n"


def _html(doc: dict, figs) -> str:
    esc = html.escape
    parts = ["<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>",
             f"<title>lammpskit report: {esc(doc['title'])}</title>",
             "<style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse;font-size:13px}"
             "td,th{border:1px solid #bbb;padding:3px 6px;text-align:right}th{background:#eee}"
             "img{max-width:480px;margin:6px;border:1px solid #ddd}.bad{color:#a00}</style></head><body>",
             f"<h1>{esc(doc['title'])}</h1>", f"<p>{esc(doc['intro'])}</p>"]
    parts += [f"<p><b>{esc(t)}</b></p>" for t in doc["summary"]]
    for title, head, body in doc["tables"]:
        parts += [f"<h2>{esc(title)}</h2><table><tr>" + "".join(f"<th>{esc(h)}</th>" for h in head) + "</tr>"]
        parts += ["<tr>" + "".join(f"<td>{esc(v)}</td>" for v in b) + "</tr>" for b in body] + ["</table>"]
    for title, items in doc["lists"].items():
        cls = " class='bad'" if title == doc["bad"] and items != ["none"] else ""
        parts += [f"<h2>{esc(title)}</h2><ul>"] + [f"<li{cls}>{esc(t)}</li>" for t in items] + ["</ul>"]
    parts += ["<h2>Figures</h2><div>"]
    for label, p in figs:
        data = base64.b64encode(p.read_bytes()).decode()
        parts.append(f"<figure style='display:inline-block'><img alt='{esc(label)}' src='data:image/png;base64,{data}'>"
                     f"<figcaption>{esc(label)}</figcaption></figure>")
    parts += ["</div></body></html>"]
    return "\n".join(parts) + "\n"
