"""Where "/" and a fresh login lead."""

import pytest

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_it_sends_a_field_technician_to_their_day(client):
    client.force_login(UserFactory(username="tomas", roles=["field_technician"]))
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"] == "/field/today/"


@pytest.mark.parametrize("roles", [["cc_operator"], ["dispatcher"],
                                   ["field_technician", "dispatcher"]])
def test_it_sends_everyone_else_to_the_desk(client, roles):
    client.force_login(UserFactory(username="someone", roles=roles))
    response = client.get("/")
    assert response["Location"] == "/desk/"


def test_it_sends_an_anonymous_visitor_to_the_login_page(client):
    response = client.get("/")
    assert response["Location"].startswith("/login/")


def test_it_opens_a_technicians_day_after_login(client):
    client.force_login(UserFactory(username="tomas", roles=["field_technician"]))
    response = client.get("/desk/")
    assert response["Location"] == "/field/today/"
