"""The workforce back office: every model listed, searched and opened by a
back-office administrator; zones (with their postal codes), technicians'
profiles and absences edited there, the profiles and new absences through
the services; work orders, their events, equipment and appointments, and
scheduling runs only shown (they change through the services)."""

from __future__ import annotations

from datetime import date, time
from types import SimpleNamespace

import pytest
from django.urls import reverse

from sesmu.models import AuditEvent
from tests.factories import UserFactory
from tests.workforce.conftest import profile_of
from workforce import services
from workforce.models import (
    Absence,
    Appointment,
    PostcodeRange,
    ScheduleRun,
    TechnicianProfile,
    WorkOrder,
    WorkOrderEvent,
    WorkOrderItem,
    Zone,
)

pytestmark = pytest.mark.django_db

MODELS = {"zone": Zone, "postcoderange": PostcodeRange, "technicianprofile": TechnicianProfile,
          "absence": Absence, "workorder": WorkOrder, "workorderevent": WorkOrderEvent,
          "workorderitem": WorkOrderItem, "appointment": Appointment,
          "schedulerun": ScheduleRun}
READ_ONLY = ["workorder", "workorderevent", "workorderitem", "appointment", "schedulerun"]
EDITABLE = ["zone", "postcoderange", "technicianprofile", "absence"]


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def admin_user(db):
    return UserFactory(username="adrian", is_staff=True, roles=["backoffice_admin"])


@pytest.fixture
def admin_client(client, admin_user):
    client.force_login(admin_user)
    return client


@pytest.fixture
def field_work(make_order, walk, make_box, technician, dispatcher, tomorrow, png_signature,
               van_boxes):
    """One row at least in every workforce table: a completed order (signed,
    with a box installed from the van), an order with a box reserved, an
    absence, and a scheduling run."""
    done = walk(make_order(notes="Portal 3"), "on_site")
    services.work_order_complete(work_order=done, actor=technician, signature=png_signature,
                                 signed_by="Alice Liddell",
                                 installed=[van_boxes[0].serial_number])
    done.refresh_from_db()
    reserved = make_order(install_items=[make_box(serial_number="STB-ADMIN-1")])
    absence = services.absence_add(technician=profile_of(technician),
                                   start_date=date(2030, 8, 1), end_date=date(2030, 8, 15),
                                   actor=dispatcher, reason="Holidays")
    run = services.schedule_day(day=tomorrow, actor=dispatcher)
    return SimpleNamespace(done=done, reserved=reserved, absence=absence, run=run)


def change_url(model: str, pk: int) -> str:
    return reverse(f"admin:workforce_{model}_change", args=[pk])


def first_of(model: str) -> int:
    return MODELS[model].objects.order_by("pk").values_list("pk", flat=True).first()


@pytest.mark.parametrize("model", READ_ONLY + EDITABLE)
def test_it_lists_searches_and_opens_every_model(admin_client, field_work, model):
    url = reverse(f"admin:workforce_{model}_changelist")

    assert admin_client.get(url).status_code == 200
    assert admin_client.get(url, {"q": field_work.done.number}).status_code == 200
    assert admin_client.get(url, {"q": "28013"}).status_code == 200
    assert admin_client.get(url, {"q": "nothing-like-this"}).status_code == 200
    assert admin_client.get(change_url(model, first_of(model))).status_code == 200


@pytest.mark.parametrize("model", READ_ONLY)
def test_it_refuses_to_add_change_or_delete_what_services_own(admin_client, field_work, model):
    pk = first_of(model)
    before = list(MODELS[model].objects.order_by("pk").values())

    add = admin_client.get(reverse(f"admin:workforce_{model}_add"))
    change = admin_client.post(change_url(model, pk), {"state": "completed",
                                                       "action": "edited", "done": "on"})
    delete = admin_client.post(reverse(f"admin:workforce_{model}_delete", args=[pk]),
                               {"post": "yes"})

    assert (add.status_code, change.status_code, delete.status_code) == (403, 403, 403)
    assert list(MODELS[model].objects.order_by("pk").values()) == before


def test_it_shows_an_order_read_only_with_its_timeline_and_signature(admin_client, field_work):
    response = admin_client.get(change_url("workorder", field_work.done.pk))

    page = response.content.decode()
    assert response.status_code == 200
    for action in ("generated", "scheduled", "assigned", "dispatch", "en_route", "on_site",
                   "completed"):
        assert f"<p>{action}</p>" in page or f">{action}<" in page, action
    assert 'src="data:image/png;base64,' in page
    assert "Alice Liddell" in page
    assert 'name="_save"' not in page


def test_it_finds_orders_by_number_customer_and_what_hangs_from_them(admin_client, field_work,
                                                                     alice_customer):
    def found(model: str, term: str) -> list[int]:
        response = admin_client.get(reverse(f"admin:workforce_{model}_changelist"),
                                    {"q": term})
        return sorted(row.pk for row in response.context["cl"].result_list)

    done, reserved = field_work.done, field_work.reserved
    assert found("workorder", done.number.lower()) == [done.pk]
    assert found("workorder", alice_customer.number) == sorted([done.pk, reserved.pk])
    assert found("workorder", "W99999999") == []
    assert found("workorderevent", done.number) == sorted(done.events.values_list("pk",
                                                                                  flat=True))
    assert found("workorderitem", "stb-admin-1") == list(
        reserved.equipment.values_list("pk", flat=True))
    assert found("appointment", done.number) == list(done.appointments.values_list("pk",
                                                                                   flat=True))
    assert found("schedulerun", field_work.run.date.strftime("%d/%m/%Y")) == [field_work.run.pk]
    assert found("schedulerun", "01/01/2001") == []


def test_it_finds_zones_and_ranges_by_a_postal_code(admin_client, zone, other_zone):
    zones = admin_client.get(reverse("admin:workforce_zone_changelist"), {"q": "28013"})
    ranges = admin_client.get(reverse("admin:workforce_postcoderange_changelist"),
                              {"q": "08010"})
    by_name = admin_client.get(reverse("admin:workforce_zone_changelist"), {"q": "barcel"})

    assert [row.code for row in zones.context["cl"].result_list] == ["mad-centro"]
    assert [row.zone.code for row in ranges.context["cl"].result_list] == ["bcn"]
    assert [row.code for row in by_name.context["cl"].result_list] == ["bcn"]


def test_it_adds_a_zone_with_its_postal_codes(admin_client):
    response = admin_client.post(reverse("admin:workforce_zone_add"), {
        "code": "sevilla", "name": "Sevilla", "x_km": "-198", "y_km": "-336",
        "is_active": "on",
        "postcode_ranges-TOTAL_FORMS": "2", "postcode_ranges-INITIAL_FORMS": "0",
        "postcode_ranges-0-first": "41001", "postcode_ranges-0-last": "41020",
        "postcode_ranges-1-first": "41900", "postcode_ranges-1-last": "41800",
    })

    assert response.status_code == 200  # the second range is backwards
    assert not Zone.objects.exists()

    response = admin_client.post(reverse("admin:workforce_zone_add"), {
        "code": "sevilla", "name": "Sevilla", "x_km": "-198", "y_km": "-336",
        "is_active": "on",
        "postcode_ranges-TOTAL_FORMS": "1", "postcode_ranges-INITIAL_FORMS": "0",
        "postcode_ranges-0-first": "41001", "postcode_ranges-0-last": "41020",
    })

    assert response.status_code == 302, response.content.decode()[:3000]
    zone = Zone.objects.get(code="sevilla")
    assert list(zone.postcode_ranges.values_list("first", "last")) == [(41001, 41020)]


def profile_form(**overrides) -> dict:
    data = {"skills": ["cable_install", "cable_repair"], "work_days": ["0", "1", "2"],
            "shift_start": "08:00", "shift_end": "15:00", "daily_capacity": "6",
            "is_active": "on", "absences-TOTAL_FORMS": "0", "absences-INITIAL_FORMS": "0"}
    data.update(overrides)
    return data


def test_it_creates_a_profile_through_the_service_with_a_van(admin_client, admin_user, zone):
    newcomer = UserFactory(username="nuria", roles=["field_technician"])
    UserFactory(username="not-a-technician", roles=["cc_operator"])
    add_url = reverse("admin:workforce_technicianprofile_add")

    page = admin_client.get(add_url).content.decode()
    response = admin_client.post(add_url, profile_form(
        user=str(newcomer.pk), zones=[str(zone.pk)], home_zone=str(zone.pk)))

    assert "nuria" in page and "not-a-technician" not in page
    assert response.status_code == 302, response.content.decode()[:3000]
    profile = TechnicianProfile.objects.get(user=newcomer)
    assert (profile.skills, profile.work_days, profile.shift_end, profile.daily_capacity) == (
        ["cable_install", "cable_repair"], [0, 1, 2], time(15), 6)
    assert list(profile.zones.all()) == [zone]
    assert profile.van.technician == newcomer
    assert AuditEvent.objects.filter(object_type="workforce.technicianprofile",
                                     object_id=str(profile.pk), action="create",
                                     actor=admin_user).exists()


def test_it_changes_a_profile_and_adds_an_absence_through_the_services(
        admin_client, admin_user, technician, zone, other_zone):
    profile = profile_of(technician)
    van = profile.van

    response = admin_client.post(change_url("technicianprofile", profile.pk), profile_form(
        zones=[str(zone.pk), str(other_zone.pk)], home_zone=str(zone.pk),
        **{"absences-TOTAL_FORMS": "1", "absences-0-start_date": "01/08/2030",
           "absences-0-end_date": "15/08/2030", "absences-0-reason": "Holidays"}))

    assert response.status_code == 302, response.content.decode()[:3000]
    profile.refresh_from_db()
    assert (profile.shift_end, profile.daily_capacity, profile.van) == (time(15), 6, van)
    assert sorted(zone.code for zone in profile.zones.all()) == ["bcn", "mad-centro"]
    absence = profile.absences.get()
    assert (absence.start_date, absence.end_date, absence.reason) == (
        date(2030, 8, 1), date(2030, 8, 15), "Holidays")
    audited = AuditEvent.objects.filter(actor=admin_user).values_list("object_type", "action")
    assert sorted(audited) == [("workforce.absence", "create"),
                               ("workforce.technicianprofile", "update")]


def test_it_refuses_a_profile_with_a_backwards_shift_or_a_foreign_home(admin_client,
                                                                       technician, zone,
                                                                       other_zone):
    profile = profile_of(technician)
    url = change_url("technicianprofile", profile.pk)

    backwards = admin_client.post(url, profile_form(zones=[str(zone.pk)],
                                                    home_zone=str(zone.pk),
                                                    shift_start="16:00", shift_end="09:00"))
    foreign = admin_client.post(url, profile_form(zones=[str(zone.pk)],
                                                  home_zone=str(other_zone.pk)))

    assert (backwards.status_code, foreign.status_code) == (200, 200)
    assert "The shift must end after it starts." in backwards.content.decode()
    assert "Choose one of the zones the technician covers." in foreign.content.decode()
    profile.refresh_from_db()
    assert (profile.shift_start, profile.shift_end, profile.home_zone) == (time(8), time(17),
                                                                          zone)


def test_it_adds_an_absence_through_the_service(admin_client, admin_user, technician):
    profile = profile_of(technician)

    response = admin_client.post(reverse("admin:workforce_absence_add"), {
        "technician": str(profile.pk), "start_date": "02/03/2030", "end_date": "06/03/2030",
        "reason": "Training"})

    assert response.status_code == 302, response.content.decode()[:3000]
    absence = Absence.objects.get()
    assert (absence.technician, absence.start_date, absence.reason) == (
        profile, date(2030, 3, 2), "Training")
    assert AuditEvent.objects.filter(object_type="workforce.absence", action="create",
                                     actor=admin_user).count() == 1


def test_it_deletes_no_zone_and_no_profile(admin_client, technician, zone):
    profile = profile_of(technician)

    zone_delete = admin_client.post(reverse("admin:workforce_zone_delete", args=[zone.pk]),
                                    {"post": "yes"})
    profile_delete = admin_client.post(
        reverse("admin:workforce_technicianprofile_delete", args=[profile.pk]),
        {"post": "yes"})

    assert (zone_delete.status_code, profile_delete.status_code) == (403, 403)
    assert Zone.objects.filter(pk=zone.pk).exists()
    assert TechnicianProfile.objects.filter(pk=profile.pk).exists()
