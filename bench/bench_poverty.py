"""Poverty classification and Alkire–Foster aggregates at national scale.

(a) A synthetic national roll, 27 million households × 13 indicators in 3,321
    communes (UInt8 indicators, Int32 incomes, Enum area, UInt16 commune),
    classified under VN-2022-2025 and aggregated by commune with the Polars
    engine (``classify_table`` + ``aggregate_by``), against a vectorised
    pandas version on the same data and a plain per-household Python loop
    calling ``classify`` (timed on a 200,000-household sample and
    extrapolated: labelled so). Peak RSS is read right after the Polars phase
    (data generation included), before pandas runs.
(b) ``alkire_foster`` on 10 million people × the 10 global-MPI indicators,
    with sampling weights and 5 groups, against the ``mpitb`` package (PyPI,
    the peer implementation) on the same data; H, A and M0 must agree to 1e-9.
(c) ``manage.py poverty_assess``'s engine on a 1,000,000-row CSV file,
    against a bare Python ``csv`` copy of the same file (no checks, no
    classification).

``KETNOI_BENCH_SCALE=0.01`` shrinks every size for a quick run; the default
is the full size.
"""

from __future__ import annotations

import csv
import gc
import os
import shutil
import tempfile
import time
import warnings
from collections import Counter
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

import benchlib  # noqa: F401 - puts src/ on the path
import numpy as np
import pandas as pd
import polars as pl
from benchlib import best_of, max_rss_bytes, report

SCALE = float(os.environ.get("KETNOI_BENCH_SCALE", "1"))
HOUSEHOLDS = max(10_000, int(27_000_000 * SCALE))
COMMUNES = 3_321
LOOP_SAMPLE = min(200_000, HOUSEHOLDS)
PEOPLE = max(10_000, int(10_000_000 * SCALE))
GROUPS = 5
CSV_ROWS = max(10_000, int(1_000_000 * SCALE))
CHUNK = 1_000_000
ROUNDS = 3
STANDARD = "VN-2022-2025"


def _setup_django(var_dir: str) -> None:
    # Messages of the CSV engine are translated strings: Django must be configured.
    for key in [k for k in os.environ if k.startswith("KETNOI_")]:
        del os.environ[key]
    os.environ.update(
        DJANGO_SETTINGS_MODULE="ketnoi.settings.base", KETNOI_VAR_DIR=var_dir, KETNOI_LOG_LEVEL="WARNING"
    )
    import django

    django.setup()


# --- (a) the national roll --------------------------------------------------------


def national_roll(seed: int = 2027) -> pl.DataFrame:
    """27M households, generated in chunks so that no float64 array of full length ever exists.

    Communes differ in size (log-normal) and in hardship (a commune factor
    scales every deprivation rate and lowers incomes); a fifth are urban
    wards. Indicator rates are 5–30% before the commune factor; incomes are
    log-normal around the area's poor line.
    """
    from ketnoi.poverty import standards

    rng = np.random.default_rng(seed)
    codes = (*standards.get("VN-2022-2025").codes, "waste_treatment")  # all 13 national indicators
    size = rng.lognormal(0.0, 0.6, COMMUNES)
    cumulative = np.cumsum(size / size.sum())
    hardship = np.clip(rng.lognormal(0.0, 0.5, COMMUNES), 0.3, 3.0)
    ward = rng.random(COMMUNES) < 0.2
    rates = rng.uniform(0.05, 0.30, len(codes))
    # Per commune and indicator, the deprivation probability × 256, compared with a random byte.
    thresholds = {
        code: np.clip(rate * hardship * 256, 0, 250).astype(np.uint8)
        for code, rate in zip(codes, rates, strict=True)
    }
    median = np.where(ward, 2_000_000, 1_500_000) * 1.4 / np.sqrt(hardship)

    commune = np.empty(HOUSEHOLDS, dtype=np.uint16)
    income = np.empty(HOUSEHOLDS, dtype=np.int32)
    flags = {code: np.empty(HOUSEHOLDS, dtype=np.uint8) for code in codes}
    for start in range(0, HOUSEHOLDS, CHUNK):
        stop = min(start + CHUNK, HOUSEHOLDS)
        c = np.searchsorted(cumulative, rng.random(stop - start, dtype=np.float32), side="right")
        c = np.minimum(c, COMMUNES - 1).astype(np.uint16)
        commune[start:stop] = c
        z = rng.standard_normal(stop - start, dtype=np.float32)
        income[start:stop] = (median[c] * np.exp(0.55 * z)).astype(np.int32)
        for code in codes:
            flags[code][start:stop] = rng.integers(0, 256, stop - start, dtype=np.uint8) < thresholds[code][c]
    area_enum = pl.Enum(["rural", "urban"])
    area = pl.Series("area", ["rural", "urban"], dtype=area_enum).gather(ward[commune].astype(np.uint32))
    frame = pl.DataFrame(
        [
            pl.Series("commune", commune),
            area,
            pl.Series("income_per_capita_vnd", income),
            *[pl.Series(code, flags[code]) for code in codes],
        ]
    )
    return frame


def polars_engine(roll: pl.DataFrame) -> pl.DataFrame:
    from ketnoi.poverty import aggregate_by, classify_table

    return aggregate_by(STANDARD, classify_table(STANDARD, roll), "commune")


def pandas_version(frame: pd.DataFrame, codes: tuple[str, ...]) -> pd.DataFrame:
    """The same classification and aggregates, written the usual vectorised pandas way."""
    count = frame[list(codes)].sum(axis=1)
    urban = (frame["area"] == "urban").to_numpy()
    income = frame["income_per_capita_vnd"].to_numpy()
    below = income <= np.where(urban, 2_000_000, 1_500_000)
    middle = ~below & (income <= np.where(urban, 3_000_000, 2_250_000))
    af_poor = (count >= 3).to_numpy()
    parts = pd.DataFrame(
        {
            "commune": frame["commune"],
            "households": 1,
            "poor": below & af_poor,
            "near_poor": below & ~af_poor,
            "middle": middle,
            "af_q": af_poor,
            "af_sum": np.where(af_poor, count.to_numpy(), 0) / 12,
        }
    )
    out = parts.groupby("commune").sum()
    out["headcount_ratio"] = out["poor"] / out["households"]
    out["af_H"] = out["af_q"] / out["households"]
    out["af_A"] = (out["af_sum"] / out["af_q"]).fillna(0.0)
    out["af_M0"] = out["af_sum"] / out["households"]
    return out


def python_loop(rows: list[tuple[Any, ...]], codes: tuple[str, ...]) -> dict[int, Counter[str]]:
    """One ``classify`` call per household, counted per commune: what a plain loop would do."""
    from ketnoi.poverty import classify, standards

    chosen = standards.get(STANDARD)
    by_commune: dict[int, Counter[str]] = {}
    for commune, area, income, *flags in rows:
        result = classify(chosen, area, income, dict(zip(codes, flags, strict=True)))
        by_commune.setdefault(commune, Counter())[result.classification] += 1
    return by_commune


def bench_roll() -> tuple[dict[str, Any], list[str]]:
    from ketnoi.poverty import standards

    codes = standards.get(STANDARD).codes
    start = time.perf_counter()
    roll = national_roll()
    generated_s = time.perf_counter() - start

    (t_polars,) = best_of(ROUNDS, partial(polars_engine, roll))
    result = polars_engine(roll)
    rss_after_polars = max_rss_bytes()

    # The per-household loop, on a sample (the whole roll would take most of an hour).
    sample = roll.head(LOOP_SAMPLE)
    rows = list(
        zip(*[sample[c].to_list() for c in ("commune", "area", "income_per_capita_vnd", *codes)], strict=True)
    )
    (t_loop_sample,) = best_of(1, partial(python_loop, rows, codes))
    loop_counts = python_loop(rows, codes)
    sample_result = polars_engine(sample)
    for row in sample_result.iter_rows(named=True):  # the loop and the engine agree
        counted = loop_counts[row["commune"]]
        assert (row["poor"], row["near_poor"], row["middle"]) == (
            counted["poor"],
            counted["near_poor"],
            counted["middle"],
        )
    t_loop_extrapolated = t_loop_sample * HOUSEHOLDS / LOOP_SAMPLE
    del rows

    frame = roll.to_pandas(use_pyarrow_extension_array=False) if _has_pyarrow() else _to_pandas(roll)
    del roll
    gc.collect()
    (t_pandas,) = best_of(1, partial(pandas_version, frame, codes))
    by_pandas = pandas_version(frame, codes)
    assert by_pandas["poor"].to_list() == result["poor"].to_list()
    assert np.allclose(by_pandas["af_M0"].to_numpy(), result["af_M0"].to_numpy(), rtol=0, atol=1e-12)
    del frame, by_pandas
    gc.collect()

    figures = {
        "roll_households": HOUSEHOLDS,
        "roll_communes": COMMUNES,
        "roll_indicators": len(codes) + 1,
        "roll_generate_s": generated_s,
        "polars_classify_aggregate_s": t_polars,
        "polars_households_per_s": HOUSEHOLDS / t_polars,
        "pandas_households_per_s": HOUSEHOLDS / t_pandas,
        "polars_vs_pandas_speedup": t_pandas / t_polars,
        "python_loop_households_per_s_extrapolated_from_200k": LOOP_SAMPLE / t_loop_sample,
        "polars_vs_python_loop_speedup_extrapolated": t_loop_extrapolated / t_polars,
        "classify_us_per_household_python_loop": t_loop_sample / LOOP_SAMPLE * 1e6,
        "classify_share_of_1ms_budget": t_loop_sample / LOOP_SAMPLE / 1e-3,
        "polars_share_of_5s_budget": t_polars / 5.0,
        "roll_peak_rss_bytes_generation_and_polars": rss_after_polars,
        "roll_peak_rss_share_of_4GB": rss_after_polars / 4e9,
    }
    notes = [
        f"(a) Polars: best of {ROUNDS}, validation included (check=True); pandas: one run on the same "
        f"{HOUSEHOLDS:,} households; the Python loop ran on {LOOP_SAMPLE:,} households and is extrapolated.",
        f"(a) roll generated in {generated_s:.1f} s; peak RSS read after the Polars phase, before pandas.",
    ]
    return figures, notes


def _has_pyarrow() -> bool:
    try:
        import pyarrow  # noqa: F401
    except ImportError:
        return False
    return True


def _to_pandas(roll: pl.DataFrame) -> pd.DataFrame:
    # Without pyarrow: numpy columns one by one (area as plain strings, as pandas users keep it).
    columns: dict[str, Any] = {}
    for name in roll.columns:
        series = roll[name]
        columns[name] = series.cast(pl.String).to_numpy() if name == "area" else series.to_numpy()
    return pd.DataFrame(columns, copy=False)


# --- (b) Alkire–Foster against mpitb -------------------------------------------------


def people(seed: int = 2018) -> tuple[pl.DataFrame, dict[str, float]]:
    from ketnoi.poverty import standards

    mpi = standards.get("GLOBAL-MPI")
    rng = np.random.default_rng(seed)
    hardship = rng.lognormal(0.0, 0.4, PEOPLE).astype(np.float32)
    columns: dict[str, Any] = {}
    for indicator in mpi.indicators:
        rate = rng.uniform(0.05, 0.30)
        columns[indicator.code] = (rng.random(PEOPLE, dtype=np.float32) < rate * hardship).astype(np.uint8)
    columns["region"] = rng.integers(0, GROUPS, PEOPLE).astype(np.uint8)
    columns["weight"] = rng.uniform(0.5, 2.0, PEOPLE)
    return pl.DataFrame(columns), dict(mpi.weights)


def bench_alkire_foster() -> tuple[dict[str, Any], list[str]]:
    from mpitb.core import MPIToolbox

    from ketnoi.poverty import alkire_foster, standards

    table, weights = people()
    codes = list(weights)
    mpi = standards.get("GLOBAL-MPI")
    frame = pd.DataFrame({c: table[c].to_numpy() for c in table.columns}, copy=False)
    toolbox = MPIToolbox()
    dims = [([i.code for i in mpi.indicators if i.dimension == d.code], d.code) for d in mpi.dimensions]
    toolbox.set(name="global", dimensions=dims)
    toolbox.svyset(weight="weight")

    def ours() -> Any:
        return alkire_foster(table, weights, 1 / 3, weight_column="weight", by="region")

    def theirs() -> list[dict[str, Any]]:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # mpitb writes into slices of the frame (pandas warns)
            # mpitb's cut-off is a percentage: 33 means c ≥ 0.33, the same people as c ≥ 1/3 with
            # weights in eighteenths (no score lies between 0.33 and 1/3). Uncensored headcounts
            # (aux="hd") are skipped: we do not compute them.
            return toolbox.est(
                frame, "global", klist=[33], weights=weights, over=["region"], aux=[], svy=True
            )

    t_ours, t_theirs = best_of(2, ours, theirs)
    mine, peer = ours(), theirs()
    worst = 0.0
    for record in peer:
        if record.get("measure") not in ("H", "A", "M0"):
            continue
        result = mine if record["loa"] == "nat" else mine.by_group[record["subg"]]
        worst = max(worst, abs(getattr(result, record["measure"]) - record["b"]))
    assert worst < 1e-9, worst
    figures = {
        "af_people": PEOPLE,
        "af_indicators": len(codes),
        "af_groups": GROUPS,
        "af_seconds": t_ours,
        "mpitb_seconds": t_theirs,
        "af_vs_mpitb_speedup": t_theirs / t_ours,
        "af_people_per_s": PEOPLE / t_ours,
        "af_max_abs_difference_vs_mpitb_H_A_M0": worst,
    }
    notes = [
        f"(b) both on the same {PEOPLE:,} people, with sampling weights and {GROUPS} groups; best of 2 "
        "interleaved. mpitb's cut-off is 33 (%): the same people as k = 1/3 with these weights. mpitb also "
        "computes standard errors in the same call; its uncensored headcounts (aux) are switched off.",
    ]
    return figures, notes


# --- (c) the CSV engine -------------------------------------------------------------------


def bench_csv(directory: Path) -> tuple[dict[str, Any], list[str]]:
    from ketnoi.poverty.batch import csv_assess

    roll = national_roll(seed=7).head(CSV_ROWS).drop("waste_treatment")
    source = directory / "roll.csv"
    roll.with_row_index("household_id").drop("commune").write_csv(source)
    out_ours, out_copy = directory / "ours.csv", directory / "copy.csv"

    def ours() -> Any:
        return csv_assess(source, out_ours, standard=STANDARD)

    def bare_copy() -> None:
        with (
            source.open(newline="", encoding="utf-8") as f,
            out_copy.open("w", newline="", encoding="utf-8") as g,
        ):
            writer = csv.writer(g)
            for row in csv.reader(f):
                writer.writerow(row[:3])

    t_ours, t_copy = best_of(2, ours, bare_copy)
    report_ = ours()
    assert report_.assessed == CSV_ROWS and not report_.rejected
    figures = {
        "csv_rows": CSV_ROWS,
        "csv_assess_seconds": t_ours,
        "csv_assess_rows_per_s": CSV_ROWS / t_ours,
        "csv_assess_vs_bare_python_csv_copy_speedup": t_copy / t_ours,
    }
    return figures, ["(c) the bare copy reads every row with csv.reader and writes 3 columns, nothing else."]


def main() -> None:
    directory = Path(tempfile.mkdtemp(prefix="ketnoi-bench-poverty-"))
    try:
        _setup_django(str(directory))
        figures: dict[str, Any] = {"scale": SCALE, "polars_threads": pl.thread_pool_size()}
        notes: list[str] = []
        run: Callable[[], tuple[dict[str, Any], list[str]]]
        for run in (bench_roll, bench_alkire_foster, lambda: bench_csv(directory)):
            start = time.perf_counter()
            part, part_notes = run()
            figures |= part
            notes += part_notes
            print(f"  … {time.perf_counter() - start:.1f} s", flush=True)
            gc.collect()
        notes.append("ratios > 1 mean ours is faster than the baseline; RSS figures include the data.")
        report("poverty", figures, notes)
    finally:
        shutil.rmtree(directory, ignore_errors=True)


if __name__ == "__main__":
    main()
