"""The capacity-aware cohort engine over (path, placement, age month).

One month of the model, for every simulated path of a batch (compiled with numba, path by path,
in :mod:`placecast.engine.kernels`; the random numbers are keyed per cell, whatever the counts):

1. **Moves and exits.** Each child in (placement p, age band b) stays, moves to placement q or
   leaves for exit reason r with the probabilities ``expm(Q_b / 12)`` of :mod:`placecast.rates`.
   The number leaving each cell is binomial; each leaver's destination is then drawn from the
   conditional probabilities. Together this is an exact multinomial draw per cell.
2. **Entries.** A Poisson number of children enter care, with an age band drawn from the entry
   age distribution, an age month uniform within the band, and an initial placement from the
   placement mix of that band.
3. **In-house capacity.** Children already in in-house placements keep them while places allow.
   Free places go to arrivals (entries and moves into in-house fostering) youngest first; a child
   who needs an in-house place when none is free goes to the overflow placement (IFA) at the same
   age. If capacity falls below the children already placed (carers deregister), the oldest are
   displaced to IFA. When places free up later, children already in IFA are *not* moved back
   (that would be a placement move made for cost alone); the freed places go to later arrivals.
4. **Ageing.** Every child ages one month; those reaching 18 leave care (``aged_18``).

Children are conserved exactly: ``children[t] = children[t-1] + entries[t] - exits[t]`` per path,
per month. The same step run on expected values instead of random draws gives the mean-field
(deterministic) cohort model, :func:`expected`.

Path ``i`` uses rate draw ``i % n_draws`` (posterior draws drive the engine one per path). Every
uniform is keyed by (seed, month, path, cell, leaver) rather than drawn from a stream, so results
depend only on (inputs, seed), not on ``batch_paths`` or the number of worker threads, and a
scenario on the same seed sees the same uniform for the same child slot (common random numbers).
"""

from placecast.engine.drivers import Drivers
from placecast.engine.run import Branch, expected, simulate, simulate_with_branches
from placecast.engine.size import MAX_MONTHS, RunSize, run_size

__all__ = [
    "MAX_MONTHS",
    "Branch",
    "Drivers",
    "RunSize",
    "expected",
    "run_size",
    "simulate",
    "simulate_with_branches",
]
