"""Where a fit's gradient time goes, and whether many councils at once would amortise it.

Run: ``python benchmarks/bench_gradient.py [--council E06000001] [--origin 2019]
[--batches 1 10 50 150]`` on an otherwise idle machine.

One council's model, built as a backtest fit builds it (England's priors to the origin, the
backtest's settings), has its log density and gradient jitted with ``jax.value_and_grad`` as
nutpie calls them (``gradient_backend="jax"``). Timed, best of three loops:

* ``part`` rows: the whole log density, then the sum of a named quantity (the first year's
  rates; the expected counts, which run the cohort dynamics) and each observed series' log
  likelihood alone, each with its gradient: what each part costs on its own (the dynamics
  are inside every expected count and likelihood);
* ``batch`` rows: the whole gradient vectorised with ``jax.vmap`` over n copies of the
  parameters (the shapes a joint model of n councils would have), per council.

Writes ``benchmarks/runs/gradient_<council>_<origin>/`` (rows and settings) and prints them.
"""

from __future__ import annotations

import argparse
import time
import warnings
from typing import Any

import pandas as pd
from runs_store import write_run

from placecast.data.dfe import published_counts
from placecast.data.published import published_tables
from placecast.evaluation import BacktestSettings
from placecast.evaluation.backtesting import backtest_priors
from placecast.fit.aggregate import AggregateModel

LOOPS = 3
#: Named quantities whose sum (with its gradient) is timed on its own.
PARTS = (
    "exit_rate_per_year",
    "move_rate_per_year",
    "log_exit_level",
    "expected_starts",
    "expected_children_in_care",
    "expected_ceases",
)


def _best_ms(fn: Any, args: list[Any], calls: int) -> float:
    import jax

    jax.block_until_ready(fn(*args))  # compile
    best = float("inf")
    for _ in range(LOOPS):
        start = time.perf_counter()
        for _ in range(calls):
            out = fn(*args)
        jax.block_until_ready(out)
        best = min(best, (time.perf_counter() - start) / calls * 1000)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--council", default="E06000001")
    parser.add_argument("--origin", type=int, default=2019)
    parser.add_argument("--batches", type=int, nargs="+", default=[1, 10, 50, 150])
    args = parser.parse_args()
    warnings.simplefilter("ignore")
    import jax
    import jax.numpy as jnp
    import pytensor.tensor as pt
    from pymc.model.transform.optimization import freeze_dims_and_data
    from pymc.sampling.jax import get_jaxified_graph

    tidy = published_tables()
    settings = BacktestSettings(last_fit_year=args.origin, horizon=3)
    counts = published_counts(tidy, args.council).upto(args.origin)
    model = AggregateModel(backtest_priors(tidy, settings), settings).build(counts)
    model = freeze_dims_and_data(model)  # static shapes, as JAX needs
    point = model.initial_point()
    values = [jnp.asarray(point[v.name]) for v in model.value_vars]
    every = tuple(range(len(values)))

    def value_and_grad(quantity: Any) -> Any:
        [graph] = model.replace_rvs_by_values([quantity])
        fn = get_jaxified_graph(inputs=model.value_vars, outputs=[graph])
        return jax.value_and_grad(lambda *xs: fn(*xs)[0], argnums=every)

    rows = [
        {
            "kind": "part",
            "what": "log density",
            "ms": _best_ms(jax.jit(value_and_grad(model.logp())), values, 200),
        }
    ]
    for name in PARTS:
        fn = jax.jit(value_and_grad(pt.sum(model[name])))
        rows.append({"kind": "part", "what": name, "ms": _best_ms(fn, values, 200)})
    for rv in model.observed_RVs:
        fn = jax.jit(value_and_grad(pt.sum(model.logp(vars=[rv]))))
        rows.append(
            {"kind": "part", "what": f"likelihood {rv.name}", "ms": _best_ms(fn, values, 200)}
        )
    whole = value_and_grad(model.logp())
    for n in args.batches:
        batched = [jnp.broadcast_to(v, (n, *v.shape)) + 0.0 for v in values]
        ms = _best_ms(jax.jit(jax.vmap(whole)), batched, max(5, 400 // n))
        rows.append({"kind": "batch", "what": f"{n} councils", "ms": ms, "ms_a_council": ms / n})
    table = pd.DataFrame(rows)
    write_run(
        f"gradient_{args.council}_{args.origin}",
        table,
        {
            "council": args.council,
            "origin": args.origin,
            "loops": LOOPS,
            "jax": jax.__version__,
            "free_dimensions": int(sum(v.size for v in values)),
        },
    )
    print(table.round(3).to_string(index=False))


if __name__ == "__main__":
    main()
