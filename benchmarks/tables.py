"""Tables of the stored backtest runs, regenerated from their rows and settings.

Each run lives in ``benchmarks/runs/<name>/``: ``rows.csv`` (one row per council, measure and
year, as ``Backtest.rows``) and ``settings.json`` (what made them: the command, the settings,
the priors, the data). Run:

* ``python benchmarks/tables.py`` - one line per run (councils, median MASE per measure,
  coverage), the table in ``benchmarks/README.md``;
* ``python benchmarks/tables.py backtest_2017_h2`` - that run's full summary table (a
  rolling-origin run's by horizon, with and without the forecast years 2020-21, then the
  compact measure x horizon table of ``docs/published-statistics.md``, :func:`docs_table`);
* ``python benchmarks/tables.py --readme`` - rewrite the generated section of the README;
* ``python benchmarks/tables.py <rolling run> --chart docs/img/<name>.png`` - also its chart
  (median MASE by horizon against both baselines, and coverage), as in the docs;
* ``python benchmarks/tables.py <run> <run> ...`` - rolling runs over different origins pooled
  (their rows together; each run's settings are printed, and an origin in two runs is refused);
* ``python benchmarks/tables.py --partial <run>`` - a run still in progress, from its rows in
  ``runs/partial/<run>/origin_<T>.csv``: each variant's table over the origins so far, and each
  variant's paired gap to ``base`` (the quantity of the pre-registered rule);
* ``python benchmarks/tables.py --partial <run> --misses`` - each variant's misses split into the
  part all councils share in a year (the median council's) and the rest, with the 90% coverage
  the intervals would have had if the shared part had been known (:func:`miss_table`);
* ``python benchmarks/tables.py <rolling run> --ship`` - write its table by horizon into the
  package (``src/placecast/report/fit_accuracy.json``), which every report of a forecast from a
  published-statistics fit shows (:mod:`placecast.report.accuracy`);
* ``python benchmarks/tables.py --partial <run> --fit-checks`` - how many of the run's fits
  would pass placecast's fit check on R-hat and divergences, by origin and council size
  (:func:`fit_check_table`).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
import pandas as pd

from placecast.evaluation import COVID_YEARS, MEASURES, Backtest, BacktestSettings
from placecast.fit.quality import DIVERGENCES_MAX, R_HAT_MAX

RUNS = Path(__file__).parent / "runs"
#: Measure names short enough for the coverage panel's legend and the docs' table.
SHORT_NAMES = {"residential_semi_independent": "residential + semi-indep."}
README = Path(__file__).parent / "README.md"
BEGIN, END = (
    "<!-- runs table: begin (python benchmarks/tables.py --readme) -->",
    "<!-- runs table: end -->",
)


def load_run(name: str) -> tuple[Backtest, dict]:
    """A stored run as a :class:`Backtest`, and its settings record."""
    folder = RUNS / name
    meta = json.loads((folder / "settings.json").read_text())
    rows = pd.read_csv(folder / "rows.csv")
    failed = rows["error"].notna() if "error" in rows else pd.Series(False, index=rows.index)
    known = {k: v for k, v in meta["settings"].items() if v is not None}
    return Backtest(rows[~failed], BacktestSettings(**known)), meta


def pooled_runs(names: list[str]) -> tuple[Backtest, dict]:
    """Rolling runs over different origins as one :class:`Backtest` (rows concatenated; the
    settings of the first, the commands of all)."""
    runs = [load_run(n) for n in names]
    origins = [set(bt.rows["origin"]) for bt, _ in runs]
    for i, a in enumerate(origins):
        for b in origins[i + 1 :]:
            if a & b:
                raise SystemExit(f"origins {sorted(a & b)} are in more than one of {names}")
    rows = pd.concat([bt.rows for bt, _ in runs], ignore_index=True)
    meta = {
        "command": "\n".join(f"{n}: {m['command']}" for n, (_, m) in zip(names, runs, strict=True))
    }
    return Backtest(rows, runs[0][0].settings), meta


def partial_run(name: str, origins: list[int] | None = None) -> tuple[dict[str, Backtest], dict]:
    """A run still in progress (``bench_rolling.py`` checkpoint rows) as one :class:`Backtest`
    per variant, over the origins (all, or ``origins``) and councils done so far, and its
    ``run.json``. Councils that could not be fitted (no stock at the origin: councils formed
    later) are left out and counted."""
    folder = RUNS / "partial" / name
    meta = json.loads((folder / "run.json").read_text())
    files = sorted(
        f for f in folder.glob("origin_*.csv") if not origins or int(f.stem[7:]) in origins
    )
    if not files:
        raise SystemExit(f"{folder} holds no origin_<T>.csv rows yet")
    rows = pd.concat(
        [pd.read_csv(f).assign(origin=int(f.stem.split("_")[1])) for f in files],
        ignore_index=True,
    )
    if "error" in rows:
        failed = rows[rows["error"].notna()].groupby("origin")["council"].nunique()
        meta["failed"] = failed.to_dict()
        rows = rows[rows["error"].isna()]
    if "variant" not in rows:
        rows = rows.assign(variant="base")
    known = {k: v for k, v in meta["settings"].items() if v is not None}
    runs = {
        str(v): Backtest(part.drop(columns="variant"), BacktestSettings(**known))
        for v, part in rows.groupby("variant")
    }
    return runs, meta


def variant_run(name: str, variant: str, partial: bool) -> Backtest:
    """One forecast variant of a run: from a run in progress (``partial``), or stored, where
    a variant scored on the same fits is the run ``<name>_<variant>``."""
    if partial:
        runs = partial_run(name)[0]
        if variant not in runs:
            raise SystemExit(f"{name}: no rows of variant {variant!r} yet")
        return runs[variant]
    return load_run(name if variant == "base" else f"{name}_{variant}")[0]


def partial_report(name: str, origins: list[int] | None = None) -> str:
    """Markdown: what a partial run holds, each variant's table, and its paired gap to base."""
    from compare_variants import paired_council_gap

    runs, meta = partial_run(name, origins)
    base = runs["base"].rows
    done = base.groupby("origin")["council"].nunique()
    out = [
        f"{name} (in progress): councils scored by origin "
        + ", ".join(f"{o}: {n}" for o, n in done.items())
        + "; not fitted (no stock then): "
        + ", ".join(f"{o}: {n}" for o, n in meta.get("failed", {}).items()),
        f"settings: {json.dumps(meta['settings'], sort_keys=True)}",
    ]
    for variant, bt in runs.items():
        out += [f"\n### {variant} {meta.get('variants', {}).get(variant, {})}\n", horizon_table(bt)]
        out += ["\nWithout the forecast years 2020-21:\n", horizon_table(bt, COVID_YEARS)]
    for excluded in ((), COVID_YEARS):
        for variant, bt in runs.items():
            if variant != "base":
                # on the forecasts both hold (a variant added later has fewer)
                gap, low, high, both = paired_council_gap(bt, runs["base"], excluded)
                out.append(
                    f"\npaired gap {variant} - base{' without 2020-21' if excluded else ''}: "
                    f"{gap:+.3f} ({low:+.3f} to {high:+.3f}), {both} councils"
                )
    return "\n".join(out)


def miss_table(bt: Backtest, *, pooled: bool = False) -> pd.DataFrame:
    """Misses split into the part every council shares and the council's own, by measure,
    horizon and origin (or pooled over origins).

    A council's miss is ``log(actual / median forecast)``. ``shared`` is the median council's
    miss at that origin and year (what a national change the councils' own data could not
    foresee would give; pooled: the root mean square over origins); ``own_spread`` the median
    absolute miss left after taking it out. ``coverage_90`` is the share of published values
    inside the 90% interval; ``coverage_90_shared_known`` the same with each interval moved by
    the shared miss (as a forecast that knew the national change would place it): where it is
    near 90% and ``coverage_90`` is not, the intervals leave out a change common to all
    councils; where both fall short, they are too narrow for the councils' own changes too.
    """
    rows = bt.rows.dropna(subset=["actual", "q50"])
    rows = rows[(rows["actual"] > 0) & (rows["q50"] > 0)].copy()
    rows["miss"] = np.log(rows["actual"] / rows["q50"])
    keys = ["measure", "horizon", "origin"]
    rows["shared"] = rows.groupby(keys)["miss"].transform("median")
    shift = np.exp(rows["shared"])
    rows["inside"] = rows["actual"].between(rows["q05"], rows["q95"])
    rows["inside_known"] = (rows["actual"] >= rows["q05"] * shift) & (
        rows["actual"] <= rows["q95"] * shift
    )
    rows["own"] = (rows["miss"] - rows["shared"]).abs()
    rows["shared_squared"] = rows["shared"] ** 2
    table = rows.groupby(keys[:2] if pooled else keys).agg(
        councils=("council", "nunique"),
        shared=("shared_squared", "mean") if pooled else ("shared", "first"),
        own_spread=("own", "median"),
        coverage_90=("inside", "mean"),
        coverage_90_shared_known=("inside_known", "mean"),
    )
    if pooled:  # rows weigh the origins by their councils, as the pooled coverage does
        table["shared"] = np.sqrt(table["shared"])
    return table


def fit_check_table(bt: Backtest, max_r_hat: float = R_HAT_MAX) -> pd.DataFrame:
    """The run's fits against the fit check's R-hat and divergence limits, by origin and by
    council size (quarters of children in care at the origin), and in all.

    Columns: ``fits``, and the shares with R-hat above ``max_r_hat`` (as rounded in the rows),
    with divergences, and with either (what ``placecast fit-published`` would refuse; the
    check's ESS and fitted-stock limits are not in the rows, so this is a lower bound).
    """
    rows = bt.rows
    fits = rows.groupby(["origin", "council"]).agg(
        r_hat=("max_r_hat", "first"), divergences=("divergences", "first")
    )
    size = rows[rows["horizon"] == 1].groupby(["origin", "council"])["last_value"].first()
    fits["size"] = pd.qcut(size.reindex(fits.index), 4, precision=0)
    fits["r_hat_over"] = fits["r_hat"].round(2) > max_r_hat
    fits["divergent"] = fits["divergences"] > DIVERGENCES_MAX
    fits["refused"] = fits["r_hat_over"] | fits["divergent"]
    shares = ["r_hat_over", "divergent", "refused"]
    parts = [
        fits.groupby(level="origin")[shares]
        .mean()
        .assign(fits=fits.groupby(level="origin").size()),
        fits.groupby("size", observed=True)[shares]
        .mean()
        .assign(fits=fits.groupby("size", observed=True).size()),
        fits[shares].mean().to_frame("all").T.assign(fits=len(fits)),
    ]
    table = pd.concat([p.rename(index=str) for p in parts])
    return table[["fits", *shares]]


def runs_table() -> str:
    """One Markdown row per stored run."""
    lines = [
        "| run | what | councils | MASE: in care / fostering / resid. / starts / ceases "
        "| 90% coverage (same order) |",
        "| --- | --- | --- | --- | --- |",
    ]
    for folder in sorted(RUNS.iterdir()):
        record = folder / "settings.json"
        if not record.is_file() or "settings" not in json.loads(record.read_text()):
            continue  # not a run (partial/) or not a backtest (the named councils' fit times)
        header = pd.read_csv(folder / "rows.csv", nrows=0).columns
        if not {"actual", "q50", "scale"} <= set(header):
            continue  # a diagnostic with fit settings but no forecasts scored (ceases_...)
        bt, meta = load_run(folder.name)
        t = bt.summary()
        measures = [
            m
            for m in (
                "children_in_care",
                "fostering",
                "residential_semi_independent",
                "starts",
                "ceases",
            )
            if m in t.index
        ]
        mase = " / ".join(f"{t.loc[m, 'median_mase_placecast']:.2f}" for m in measures)
        cover = " / ".join(f"{t.loc[m, 'coverage_90']:.0%}" for m in measures)
        lines.append(
            f"| `{folder.name}` | {meta['description']} | {int(t.loc['all', 'councils'])} "
            f"| {mase} | {cover} |"
        )
    return "\n".join(lines)


def horizon_table(bt: Backtest, exclude_years: tuple[int, ...] = ()) -> str:
    """Rolling-origin accuracy by measure and horizon as Markdown (see Backtest.by_horizon)."""
    t = bt.by_horizon(exclude_years=exclude_years)
    paths = "coverage_90_paths" in t  # the paths' own intervals, as a report shows them
    lines = [
        "| measure | horizon | councils | MASE placecast / last value / trend "
        "| placecast - last value (90% interval) | placecast - trend (90% interval) "
        "| coverage 50% / 90% |" + (" coverage of the paths alone |" if paths else ""),
        "| --- | --- | --- | --- | --- | --- | --- |" + (" --- |" if paths else ""),
    ]
    for (measure, horizon), r in t.iterrows():
        own = f" {r['coverage_50_paths']:.0%} / {r['coverage_90_paths']:.0%} |" if paths else ""
        lines.append(
            f"| {str(measure).replace('_', ' ')} | {horizon} | {int(r['councils'])} "
            f"| {r['median_mase_placecast']:.2f} / {r['median_mase_last_value']:.2f} / "
            f"{r['median_mase_linear_trend']:.2f} "
            f"| {r['gap_last_value']:+.2f} ({r['gap_last_value_q05']:+.2f}, "
            f"{r['gap_last_value_q95']:+.2f}) "
            f"| {r['gap_linear_trend']:+.2f} ({r['gap_linear_trend_q05']:+.2f}, "
            f"{r['gap_linear_trend_q95']:+.2f}) "
            f"| {r['coverage_50']:.0%} / {r['coverage_90']:.0%} |{own}"
        )
    return "\n".join(lines)


#: How far pooled coverage may stray from nominal (points of a fraction).
COVERAGE_TOLERANCE = 0.05


def target_cells(by_horizon: pd.DataFrame) -> pd.DataFrame:
    """Each (measure, horizon) cell of a table by horizon against the target.

    Parameters
    ----------
    by_horizon
        :meth:`Backtest.by_horizon`'s table (index measure, horizon; median MASE of each
        method, the gaps' bootstrap intervals, pooled coverage).

    Returns
    -------
    pandas.DataFrame
        The same index; boolean columns ``below_last_value``, ``below_trend``,
        ``coverage_50_ok``, ``coverage_90_ok`` (each condition of the target), ``met`` (all
        four), and ``beyond_noise_last_value`` / ``beyond_noise_trend``: ``"better"`` or
        ``"worse"`` where the gap's 90% interval excludes zero, ``""`` inside it.
    """
    t = by_horizon
    out = pd.DataFrame(index=t.index)
    out["below_last_value"] = t["median_mase_placecast"] < t["median_mase_last_value"]
    out["below_trend"] = t["median_mase_placecast"] < t["median_mase_linear_trend"]
    out["coverage_50_ok"] = (t["coverage_50"] - 0.5).abs() <= COVERAGE_TOLERANCE + 1e-12
    out["coverage_90_ok"] = (t["coverage_90"] - 0.9).abs() <= COVERAGE_TOLERANCE + 1e-12
    out["met"] = out[["below_last_value", "below_trend", "coverage_50_ok", "coverage_90_ok"]].all(
        axis=1
    )
    for method in ("last_value", "linear_trend"):
        low, high = t[f"gap_{method}_q05"], t[f"gap_{method}_q95"]
        name = "trend" if method == "linear_trend" else method
        out[f"beyond_noise_{name}"] = [
            "better" if h < 0 else "worse" if lo > 0 else ""
            for lo, h in zip(low, high, strict=True)
        ]
    return out


def docs_table(bt: Backtest, exclude_years: tuple[int, ...] = ()) -> str:
    """The docs' table of a rolling run: one row per measure, one column per horizon, each cell
    ``MASE placecast / last value, gap (90% interval), pooled 90% coverage``; the MASE and gap in
    bold where the gap's interval excludes zero, the coverage where it is more than 5 points
    from 90%."""
    t = bt.by_horizon(exclude_years=exclude_years)
    judged = target_cells(t)
    horizons = sorted({int(h) for h in t.index.get_level_values("horizon")})
    lines = [
        "| measure | " + " | ".join(f"{h} year{'s' if h > 1 else ''}" for h in horizons) + " |",
        "| --- |" + " --- |" * len(horizons),
    ]
    for measure in MEASURES:
        cells = []
        for h in horizons:
            r, verdict = t.loc[(measure, h)], judged.loc[(measure, h)]
            mase = (
                f"{r['median_mase_placecast']:.2f} / {r['median_mase_last_value']:.2f}, "
                f"{r['gap_last_value']:+.2f} ({r['gap_last_value_q05']:+.2f}, "
                f"{r['gap_last_value_q95']:+.2f})"
            )
            coverage = f"{r['coverage_90']:.0%}"
            cells.append(
                (f"**{mase}**" if verdict["beyond_noise_last_value"] else mase)
                + ", "
                + (coverage if verdict["coverage_90_ok"] else f"**{coverage}**")
            )
        name = SHORT_NAMES.get(measure, measure.replace("_", " "))
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def horizon_chart(bt: Backtest, path: Path, title: str) -> Path:
    """Median MASE by horizon for placecast and both baselines, one panel per measure, and the
    pooled coverage of placecast's 50% and 90% intervals (PNG at ``path``)."""
    from matplotlib.figure import Figure

    t = bt.by_horizon(resamples=1000)
    measures = list(dict.fromkeys(t.index.get_level_values("measure")))
    fig = Figure(figsize=(3.0 * (len(measures) + 1), 3.4), layout="constrained")
    axes = fig.subplots(1, len(measures) + 1)
    styles = {
        "placecast": ("median_mase_placecast", "C0", "o"),
        "last value": ("median_mase_last_value", "C1", "s"),
        "linear trend": ("median_mase_linear_trend", "C2", "^"),
    }
    for ax, measure in zip(axes, measures, strict=False):
        part = t.loc[measure]
        for label, (col, colour, marker) in styles.items():
            ax.plot(part.index, part[col], color=colour, marker=marker, label=label)
        ax.fill_between(
            part.index,
            part["median_mase_last_value"] + part["gap_last_value_q05"],
            part["median_mase_last_value"] + part["gap_last_value_q95"],
            color="C0",
            alpha=0.15,
            label="placecast, 90% interval of its gap to last value",
        )
        ax.set_title(str(measure).replace("_", " "), fontsize=10)
        ax.set_xlabel("horizon (years)")
        ax.set_xticks(list(part.index))
        ax.set_ylim(bottom=0)
    axes[0].set_ylabel("median MASE over councils")
    cover = axes[-1]
    palette = ["#1b9e77", "#d95f02", "#7570b3", "#e7298a", "#66a61e"]
    for q, style in ((50, "--"), (90, "-")):
        for k, measure in enumerate(measures):
            part = t.loc[measure]
            cover.plot(
                part.index,
                100 * part[f"coverage_{q}"],
                style,
                marker=".",
                color=palette[k % len(palette)],
                label=SHORT_NAMES.get(str(measure), str(measure).replace("_", " "))
                if q == 90
                else None,
            )
        cover.axhline(q, color="black", linewidth=0.8)
    cover.set_xticks(sorted(set(t.index.get_level_values("horizon"))))
    cover.legend(fontsize=7, loc="lower left")
    cover.set_title("coverage: 50% (dashed), 90% (solid)", fontsize=10)
    cover.set_xlabel("horizon (years)")
    cover.set_ylabel("% of published values inside")
    cover.set_ylim(0, 100)
    handles, labels = axes[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside lower center", ncols=4, fontsize=8)
    fig.suptitle(title, fontsize=11)
    fig.savefig(path, dpi=120)
    return path


def _trend_words(name: str, damping: float) -> str:
    if damping >= 1:
        return f"the {name} trend carried on"
    if damping <= 0.01:  # 1% of a year's step, then next to nothing
        return f"the {name} trend dropped"
    return f"the {name} trend damped by {damping:g} a year"


#: Each ``forecast_shocks`` choice in words.
_SHOCK_WORDS = {
    "once": "one shock held for every year",
    "yearly": "a fresh shock each year",
    "passing": "a fresh shock each year, not carried into the next",
}


def forecast_words(settings: dict) -> str:
    """A run's forecast settings in words, for readers of a report: what was done with the
    fitted entry and exit trends and the yearly shocks."""
    entry = float(settings.get("trend_damping", 1.0))
    exit_damping = settings.get("exit_trend_damping")
    exit_ = entry if exit_damping is None else float(exit_damping)
    shocks = settings.get("forecast_shocks", "once")
    kept = settings.get("trend_uncertainty") == "kept" and min(entry, exit_) < 1
    return (
        f"{_trend_words('entry', entry)}, {_trend_words('exit', exit_)}"
        + (" (the trends' uncertainty kept)" if kept else "")
        + " and "
        + _SHOCK_WORDS[shocks]
    )


def ship_evidence(name: str) -> Path:
    """Write run ``name``'s table by horizon (all forecast years) as the evidence the reports
    show (:mod:`placecast.report.accuracy`), with what the run was. The table is scored from
    the run's rows by today's :meth:`Backtest.by_horizon` (the run's ``by_horizon.csv``
    figures, and any columns added since, such as which way the misses fell)."""
    meta = json.loads((RUNS / name / "settings.json").read_text())
    rows = pd.read_csv(RUNS / name / "rows.csv")
    table = load_run(name)[0].by_horizon().reset_index()
    fits = len(rows.drop_duplicates(["council", "origin"]))
    origins = sorted(int(o) for o in rows["origin"].unique())
    evidence = {
        "run": name,
        "recorded": meta.get("recorded", "not recorded"),
        "command": f"python benchmarks/tables.py {name} --ship",
        "source": (
            f"Rolling backtest of every council fitted to DfE's published tables: "
            f"{rows['council'].nunique()} councils fitted to 31 March of each year "
            f"{origins[0]}-{origins[-1]} ({fits} fits, one sampling attempt each), each "
            f"forecast with {forecast_words(meta['settings'])} and scored on what DfE "
            f"published later, to {int(rows['year'].max())}"
        ),
        "rows": table.to_dict("records"),
    }
    out = Path(__file__).parents[1] / "src" / "placecast" / "report" / "fit_accuracy.json"
    out.write_text(json.dumps(evidence, indent=1) + "\n")
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "run", nargs="*", help="a run's name, or rolling runs to pool (default: all runs)"
    )
    parser.add_argument("--readme", action="store_true", help="rewrite the README's runs table")
    parser.add_argument("--chart", type=Path, help="with a rolling run: write its chart here")
    parser.add_argument("--partial", help="a run in progress, by its folder in runs/partial/")
    parser.add_argument(
        "--origins", type=int, nargs="+", help="with --partial: only these origins' rows"
    )
    parser.add_argument(
        "--misses", action="store_true", help="with --partial: the shared and own misses"
    )
    parser.add_argument(
        "--fit-checks", action="store_true", help="with --partial: fits that pass the check"
    )
    parser.add_argument(
        "--ship", action="store_true", help="with one rolling run: write the reports' evidence"
    )
    args = parser.parse_args()
    if args.ship:
        if len(args.run) != 1:
            parser.error("--ship: name one rolling run")
        print(f"wrote {ship_evidence(args.run[0])}")
        return
    if args.partial and args.fit_checks:
        base = partial_run(args.partial, args.origins)[0]["base"]
        print(fit_check_table(base).round(3).to_string())
        return
    if args.partial and args.misses:
        for variant, bt in partial_run(args.partial, args.origins)[0].items():
            print(f"\n### {variant}: misses, log(published / median forecast)\n")
            print(miss_table(bt).round(3).to_string())
            print(f"\n### {variant}: pooled over origins (shared: root mean square)\n")
            print(miss_table(bt, pooled=True).round(3).to_string())
        return
    if args.partial:
        print(partial_report(args.partial, args.origins))
        return
    if args.run:
        bt, meta = load_run(args.run[0]) if len(args.run) == 1 else pooled_runs(args.run)
        name = " + ".join(args.run)
        if args.chart:
            title = f"{name}: {bt.rows['council'].nunique()} councils, origins " + ", ".join(
                str(o) for o in sorted(bt.rows["origin"].unique())
            )
            print(f"wrote {horizon_chart(bt, args.chart, title)}")
        print(f"{name}: {meta['command']}\n")
        if "origin" in bt.rows:  # a rolling-origin run: by horizon, with and without COVID
            print(horizon_table(bt))
            print("\nWithout the forecast years 2020-21:\n")
            print(horizon_table(bt, exclude_years=COVID_YEARS))
            print("\nAs in docs/published-statistics.md:\n")
            print(docs_table(bt))
        else:
            print(bt.markdown())
        return
    table = runs_table()
    if args.readme:
        text = README.read_text()
        start, stop = text.index(BEGIN) + len(BEGIN), text.index(END)
        README.write_text(text[:start] + "\n" + table + "\n" + text[stop:])
    print(table)


if __name__ == "__main__":
    main()
