"""The planner's data: technicians, bays, jobs, plans; who is eligible for a job; time arithmetic over breaks."""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from dataclasses import dataclass, field

# Reason codes of an unassigned job, in the order they are checked.
NO_SKILL = "no_skill"
LEVEL_TOO_LOW = "level_too_low"
NOT_WORKING = "not_working"
NO_BAY = "no_bay"
NO_TIME = "no_time"
REASONS = (NO_SKILL, LEVEL_TOO_LOW, NOT_WORKING, NO_BAY, NO_TIME)


@dataclass(slots=True)
class Tech:
    id: int  # employee id
    skills: dict[str, int]  # category -> level 1..5
    shift: tuple[int, int] | None  # (start, end) minutes; None = day off / not working
    breaks: list[tuple[int, int]] = field(default_factory=list)  # inside the shift; not worked
    busy: list[tuple[int, int]] = field(default_factory=list)  # kept jobs, in-progress remainder
    load: int = 0  # minutes already on them today (for ties / suggestions)


@dataclass(slots=True)
class Bay:
    id: int
    kinds: frozenset[str]  # kinds of work it allows, e.g. {"举升", "钣金"}
    busy: list[tuple[int, int]] = field(default_factory=list)


@dataclass(slots=True)
class Job:
    id: int  # line id
    order: int  # order id: jobs of one order never overlap in time (one car)
    skill: str  # required category; "" = no skill needed, every working technician is eligible
    min_level: int  # 1..5
    minutes: int  # standard hours × 60, rounded up, at least 1
    bay_kind: str = ""  # "" = needs no bay
    due: int | None = None  # the order's promised time in minutes, None = no promise


@dataclass(slots=True)
class Assignment:
    job: int
    tech: int
    bay: int | None
    start: int
    end: int  # includes any break the job spans


@dataclass(slots=True)
class Plan:
    assignments: list[Assignment]
    unassigned: list[tuple[int, str]]  # (job id, reason code)


# -- eligibility -----------------------------------------------------------------------------------------------------


def works_today(tech: Tech) -> bool:
    """The technician has a shift today with some time in it."""
    return tech.shift is not None and tech.shift[1] > tech.shift[0]


def eligible(job: Job, tech: Tech) -> bool:
    """The technician works today and has the job's skill at its minimum level or above (any working technician
    when the job needs no skill). Says nothing about free time or bays."""
    if not works_today(tech):
        return False
    if job.skill == "":
        return True
    return tech.skills.get(job.skill, 0) >= job.min_level


def ineligibility(job: Job, techs: list[Tech], bays: list[Bay]) -> str | None:
    """Why no technician can ever do the job today, or None when someone could (time aside).

    Checked in this order: "no_skill" (nobody, working or not, has the skill), "level_too_low" (some have it, none
    at the minimum level), "not_working" (those qualified are all off today), "no_bay" (no bay allows the job's bay
    kind). A job that needs no skill is "not_working" when nobody works today. Free time is not considered: a job
    someone could do but nobody has room for is "no_time", which only `plan_day` decides.
    """
    if job.skill:
        holders = [tech for tech in techs if tech.skills.get(job.skill, 0) > 0]
        if not holders:
            return NO_SKILL
        qualified = [tech for tech in holders if tech.skills[job.skill] >= job.min_level]
        if not qualified:
            return LEVEL_TOO_LOW
    else:
        qualified = techs
    if not any(works_today(tech) for tech in qualified):
        return NOT_WORKING
    if job.bay_kind and not any(job.bay_kind in bay.kinds for bay in bays):
        return NO_BAY
    return None


# -- time arithmetic -------------------------------------------------------------------------------------------------


def work_minutes(job: Job) -> int:
    """The minutes of work the job takes (at least 1)."""
    return max(1, job.minutes)


def _merged(intervals) -> list[tuple[int, int]]:
    """Sorted, non-empty, non-overlapping intervals covering the same minutes (touching ones joined)."""
    result: list[tuple[int, int]] = []
    for start, end in sorted((s, e) for s, e in intervals if e > s):
        if result and start <= result[-1][1]:
            if end > result[-1][1]:
                result[-1] = (result[-1][0], end)
        else:
            result.append((start, end))
    return result


def finish_time(start: int, minutes: int, breaks: list[tuple[int, int]]) -> int:
    """When `minutes` of work begun at `start` end, pausing over the breaks (sorted, merged) it meets. A job whose
    work ends exactly when a break begins ends then, not after the break."""
    current, remaining = start, minutes
    for break_start, break_end in breaks:
        if break_end <= current:
            continue
        if break_start >= current + remaining:
            break
        if break_start > current:
            remaining -= break_start - current
        current = break_end
    return current + remaining


def _break_containing(t: int, breaks: list[tuple[int, int]]) -> int | None:
    """The end of the break `t` falls in, or None."""
    for break_start, break_end in breaks:
        if break_start <= t < break_end:
            return break_end
        if break_start > t:
            return None
    return None


class _Timeline:
    """Sorted, non-overlapping occupied intervals with O(log n) overlap queries."""

    __slots__ = ("ends", "starts")

    def __init__(self, intervals=()):
        merged = _merged(intervals)
        self.starts = [start for start, _ in merged]
        self.ends = [end for _, end in merged]

    def copy(self) -> _Timeline:
        clone = _Timeline()
        clone.starts = self.starts[:]
        clone.ends = self.ends[:]
        return clone

    def blocked_until(self, start: int, end: int) -> int | None:
        """None when `[start, end)` is free; otherwise the latest end among the intervals it overlaps (no start
        before that can be free, since a later start never ends sooner)."""
        i = bisect_right(self.ends, start)
        if i == len(self.starts) or self.starts[i] >= end:
            return None
        return self.ends[bisect_left(self.starts, end) - 1]

    def add(self, start: int, end: int) -> None:
        """Occupy `[start, end)`, which must be free; joined with the intervals it touches (fewer steps later)."""
        starts, ends = self.starts, self.ends
        i = bisect_left(starts, start)
        joins_before = i > 0 and ends[i - 1] == start
        joins_after = i < len(starts) and starts[i] == end
        if joins_before and joins_after:
            ends[i - 1] = ends[i]
            del starts[i], ends[i]
        elif joins_before:
            ends[i - 1] = end
        elif joins_after:
            starts[i] = start
        else:
            starts.insert(i, start)
            ends.insert(i, end)
