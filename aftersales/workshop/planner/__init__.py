"""The day planner: which technician does which job, on which bay, from when to when. Pure Python, no Django.

Times are integer minutes from midnight of the planned day (a due time may exceed 1440 for a later day, or be
negative for an overdue order). Intervals are half-open, `[start, end)`.

The rules a plan keeps (`check_plan` verifies every one of them):

- a job goes to one technician who is `eligible` for it and, when it needs a bay kind, to one bay whose kinds
  contain it, over one interval `[start, end)`;
- `start >= max(not_before, shift start)`, `end <= shift end`, and the job does not start inside a break; the
  technician works `minutes` inside the interval and pauses over any break it spans, so `end = start + minutes +
  the break minutes it spans` (a 3 h job from 11:00 over a 12:00–13:00 break ends at 15:00);
- the interval overlaps none of the technician's `busy` intervals (kept jobs) nor their other jobs in the plan; the
  bay is occupied for the whole interval, breaks included (the car stays on it), and overlaps none of the bay's
  `busy` intervals nor its other jobs;
- the jobs of one order (one car) never overlap each other nor the order's `order_busy` intervals.

`plan_day` looks for a plan that, in this order: has the fewest orders finishing after their promised time (an
order finishes at its last planned job's end; a promised order with a job left unplanned is late), leaves the fewest
jobs (then minutes) unassigned, finishes earliest (makespan), and spreads the minutes most evenly over the
technicians. It is a list scheduler: each job in turn goes to its earliest finishing (technician, bay, start), gaps
between busy intervals included; a technician who also has a busier trade than the job's is used only when that
finishes `RESERVE_MINUTES` sooner; among equal finishes, the technician with the lowest sufficient level (experts
stay free), then the lower load, then the lower id. The orderings tried: longest job first; least latest start
first (an order must start by min(due, a target finish) − its work, for four targets around the longest-first
plan's finish), re-run with late orders' dues brought forward; longest first, fewest eligible technicians first and
earliest due first, each re-run with its late orders moved to the front.

Then forward-backward passes (`_tighten`): the day is played backwards from a finishing time a minute before the best
plan's, where each promise becomes a release time — a list scheduler keeps release times by construction, while it
can only chase deadlines. A backward plan that fits is played forwards and left-justified (same technicians and bays,
every job as early as it can go: no job ends later) and offered as it is and as the ordering of a forward pass; while
that gives a better plan, again a minute earlier. Between two rounds of these, a bounded local search on the ordering
(late or last-finishing orders moved earlier, jobs swapped). A second search packs the day with the promises left
out; the promise-keeping search then aims at its finish (`AIM_STEPS`), and its plan wins when it keeps the promises
too. The passes are bounded (`PASS_BUDGET`, `BACKWARD_BUDGET`; about 0.6 s of CPU for 300 jobs on the benchmark
machine) and the search stops early at the issue's lower bound. Everything is deterministic: the same input gives the
same plan, whatever the order of the lists (ties are broken by ids; the local searches draw from a fixed seed; no
clock).
"""

from .model import (
    LEVEL_TOO_LOW,
    NO_BAY,
    NO_SKILL,
    NO_TIME,
    NOT_WORKING,
    REASONS,
    Assignment,
    Bay,
    Job,
    Plan,
    Tech,
    eligible,
    finish_time,
    ineligibility,
    work_minutes,
    works_today,
)
from .objectives import check_plan, late_orders, lower_bound, makespan, order_dues, order_finishes
from .plan import plan_day

__all__ = [
    "LEVEL_TOO_LOW",
    "NOT_WORKING",
    "NO_BAY",
    "NO_SKILL",
    "NO_TIME",
    "REASONS",
    "Assignment",
    "Bay",
    "Job",
    "Plan",
    "Tech",
    "check_plan",
    "eligible",
    "finish_time",
    "ineligibility",
    "late_orders",
    "lower_bound",
    "makespan",
    "order_dues",
    "order_finishes",
    "plan_day",
    "work_minutes",
    "works_today",
]
