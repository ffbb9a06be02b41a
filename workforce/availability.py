"""Who can take a work order when: the appointment windows of a day, and
for each, the technicians with the skills, the zone, the working day, the
shift and the free time to take one more visit. Used to offer slots and,
under a lock, to book one."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.utils import timezone

from workforce.choices import AppointmentStatus
from workforce.models import Appointment, PostcodeRange, TechnicianProfile, WorkOrder, Zone

# Arrival windows offered to customers.
WINDOWS = [(time(8), time(10)), (time(10), time(12)), (time(12), time(14)),
           (time(14), time(16)), (time(16), time(18))]
WINDOW_MINUTES = 120
MAX_SEARCH_DAYS = 31


@dataclass(frozen=True)
class Slot:
    date: date
    start: datetime
    end: datetime
    technicians: int  # how many could take the order in this window

    @property
    def key(self) -> str:
        return self.start.isoformat()


def window_bounds(day: date, start: time, end: time) -> tuple[datetime, datetime]:
    zone = timezone.get_current_timezone()
    return (timezone.make_aware(datetime.combine(day, start), zone),
            timezone.make_aware(datetime.combine(day, end), zone))


def window_at(moment: datetime) -> tuple[datetime, datetime] | None:
    """The offered window that starts at `moment`, or None."""
    local = timezone.localtime(moment)
    for start, end in WINDOWS:
        if local.time() == start:
            return window_bounds(local.date(), start, end)
    return None


def postcode_number(postal_code: str) -> int | None:
    digits = "".join(character for character in postal_code or "" if character.isdigit())
    return int(digits) if digits else None


def zone_for_postcode(postal_code: str) -> Zone | None:
    number = postcode_number(postal_code)
    if number is None:
        return None
    found = (PostcodeRange.objects.filter(first__lte=number, last__gte=number,
                                          zone__is_active=True)
             .select_related("zone").order_by("last").first())
    return found.zone if found else None


def order_zone_id(order: WorkOrder) -> int | None:
    """The order's zone, or the one its postal code joined since it was made."""
    if order.zone_id is not None:
        return order.zone_id
    zone = zone_for_postcode(order.service_address.postal_code)
    return zone.pk if zone is not None else None


def skilled_technicians(order: WorkOrder) -> list[TechnicianProfile]:
    """Active technicians with every skill of the order, covering its zone."""
    zone_id = order_zone_id(order)
    if zone_id is None:
        return []
    profiles = TechnicianProfile.objects.filter(
        is_active=True, user__is_active=True, zones=zone_id
    ).select_related("user").prefetch_related("absences")
    return [profile for profile in profiles
            if set(order.required_skills) <= set(profile.skills)]


def works_on(profile: TechnicianProfile, day: date) -> bool:
    if day.weekday() not in (profile.work_days or []):
        return False
    return not any(absence.start_date <= day <= absence.end_date
                   for absence in profile.absences.all())


def in_shift(profile: TechnicianProfile, start: time, end: time) -> bool:
    return profile.shift_start <= start and end <= profile.shift_end


@dataclass
class Load:
    """What a technician already holds on a day."""

    visits: int = 0
    minutes: int = 0
    by_window: dict[datetime, int] | None = None

    def window_minutes(self, start: datetime) -> int:
        return (self.by_window or {}).get(start, 0)


def loads(profile_ids: list[int], first: date, last: date,
          exclude_order_id: int | None = None) -> dict[tuple[int, date], Load]:
    rows = (
        Appointment.objects.filter(technician_id__in=profile_ids, date__gte=first,
                                   date__lte=last, status=AppointmentStatus.BOOKED)
        .exclude(work_order_id=exclude_order_id)
        .values("technician_id", "date", "window_start", "minutes")
    )
    result: dict[tuple[int, date], Load] = defaultdict(lambda: Load(by_window={}))
    for row in rows:
        load = result[(row["technician_id"], row["date"])]
        load.visits += 1
        load.minutes += row["minutes"]
        load.by_window[row["window_start"]] = (
            load.by_window.get(row["window_start"], 0) + row["minutes"])
    return result


def can_take(profile: TechnicianProfile, load: Load, *, start: datetime, minutes: int) -> bool:
    """Room for one more visit of `minutes` arriving in the window that
    starts at `start`: a visit left under the daily capacity, the minutes
    left in the shift, the visit done by the end of the shift even if it
    begins at the window's start, and the window not already filled by
    other visits (a visit longer than a window may take an empty one)."""
    shift_start = profile.shift_start.hour * 60 + profile.shift_start.minute
    shift_end = profile.shift_end.hour * 60 + profile.shift_end.minute
    local = timezone.localtime(start)
    in_window = load.window_minutes(start)
    return (
        load.visits < profile.daily_capacity
        and load.minutes + minutes <= shift_end - shift_start
        and local.hour * 60 + local.minute + minutes <= shift_end
        and (in_window == 0 or in_window + minutes <= WINDOW_MINUTES)
    )


def free_slots(order: WorkOrder, first: date, last: date) -> list[Slot]:
    """The windows from `first` to `last` in which at least one technician
    who may do the order still has room for it; none in the past."""
    profiles = skilled_technicians(order)
    if not profiles:
        return []
    held = loads([profile.pk for profile in profiles], first, last, exclude_order_id=order.pk)
    now = timezone.now()
    slots = []
    day = first
    while day <= last:
        for start_time, end_time in WINDOWS:
            start, end = window_bounds(day, start_time, end_time)
            if start <= now:
                continue
            count = sum(
                1 for profile in profiles
                if works_on(profile, day) and in_shift(profile, start_time, end_time)
                and can_take(profile, held.get((profile.pk, day), Load(by_window={})),
                             start=start, minutes=order.estimated_minutes)
            )
            if count:
                slots.append(Slot(date=day, start=start, end=end, technicians=count))
        day += timedelta(days=1)
    return slots


def candidates_for(order: WorkOrder, start: datetime) -> list[TechnicianProfile]:
    """Technicians who may take the order in the window starting at `start`,
    least loaded first (the booking tries them in this order, under a lock)."""
    bounds = window_at(start)
    if bounds is None:
        return []
    day = timezone.localtime(bounds[0]).date()
    local_start, local_end = (timezone.localtime(bounds[0]).time(),
                              timezone.localtime(bounds[1]).time())
    profiles = [profile for profile in skilled_technicians(order)
                if works_on(profile, day) and in_shift(profile, local_start, local_end)]
    held = loads([profile.pk for profile in profiles], day, day, exclude_order_id=order.pk)
    return sorted(profiles, key=lambda profile: (held.get((profile.pk, day), Load()).minutes,
                                                 profile.pk))


def held_minutes(profile_id: int, day: date, exclude_order_id: int | None) -> Load:
    return loads([profile_id], day, day, exclude_order_id=exclude_order_id).get(
        (profile_id, day), Load(by_window={}))


