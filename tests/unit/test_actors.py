"""Who acts is resolved once, from the users table: no name, an unknown name or a reserved one is refused and
nothing is written; the system is an object, never a name, and no one may take its name. No database."""

from __future__ import annotations

import pytest
from fake_world import FakeWorld, fake_world, run_to

from states.errors import InvalidInput
from workflow import documents
from workflow import usecases as uc
from workflow.actors import SYSTEM, Actor, is_reserved, resolve
from workflow.errors import NotPermitted
from workflow.ports import User


@pytest.fixture
def w() -> FakeWorld:
    return fake_world()


def test_a_known_name_resolves_to_the_person_with_role_and_institution(w: FakeWorld) -> None:
    with w.svc.uow(readonly=True) as uow:
        sh = resolve(uow, "sh")
        x1 = resolve(uow, "x1")
    assert sh == Actor("sh", "liaison", "SH", email="sh@example.org", display_name="")
    assert not sh.is_system
    assert (x1.role, x1.expert_id) == ("expert", w.experts[0])


@pytest.mark.parametrize(("name", "key"), [(None, "actor_missing"), ("", "actor_missing"),
                                           ("nobody", "user_unknown"), ("system", "user_unknown"),
                                           ("SYSTEM", "user_unknown"), ("系统", "user_unknown")])
def test_no_name_an_unknown_or_a_reserved_name_is_not_permitted(w: FakeWorld, name: str | None, key: str) -> None:
    with w.svc.uow(readonly=True) as uow, pytest.raises(NotPermitted) as refused:
        resolve(uow, name)
    assert refused.value.key == key
    assert "HUIZHEN_" not in refused.value.message and "huizhen " not in refused.value.message


@pytest.mark.parametrize("name", ["system", "System", "SYSTEM", "ｓｙｓｔｅｍ", "系统"])
def test_users_add_refuses_the_reserved_names(w: FakeWorld, name: str) -> None:
    assert is_reserved(name)
    before = w.store.commits
    with pytest.raises(InvalidInput) as refused:
        uc.add_user(w.svc, "admin", name, "admin")
    assert (refused.value.key, refused.value.field) == ("name_reserved", "name")
    assert w.store.commits == before
    assert not any(is_reserved(stored) for stored in w.store.data.users)


def test_a_stored_user_called_system_still_acts_as_nobody(w: FakeWorld) -> None:
    """A database from before the rule may hold such a row: the name is still refused, never the system."""
    w.store.data.users["system"] = (User("system", "admin"), None)
    n = run_to(w, "preliminary_review")
    with pytest.raises(NotPermitted):
        uc.show_case(w.svc, "system", n)
    with pytest.raises(NotPermitted):
        documents.form_context(w.svc, "system", n)


def test_the_system_name_gets_no_expert_form_and_no_minutes(w: FakeWorld) -> None:
    n = run_to(w, "minutes")
    before = (w.store.commits, len(w.store.data.events[n]))
    for name in ("system", "System", "系统"):
        with pytest.raises(NotPermitted):
            documents.form_context(w.svc, name, n, w.experts[0])
        with pytest.raises(NotPermitted):
            documents.minutes_context(w.svc, name, n)
    assert (w.store.commits, len(w.store.data.events[n])) == before
    # The system's own rendering goes through the object, not a name.
    assert documents.system_minutes_context(w.svc, n)["case_number"] == n
    assert documents.minutes_context(w.svc, SYSTEM, n)["draft"] is False


def test_people_see_forms_as_the_case_allows(w: FakeWorld) -> None:
    n = run_to(w, "decided")
    assert documents.form_context(w.svc, "x1", n, w.experts[0])["expert"]["id"] == w.experts[0]
    with pytest.raises(NotPermitted):
        documents.form_context(w.svc, "nobody", n, w.experts[0])


def test_deliveries_are_the_system_s_and_written_once(w: FakeWorld) -> None:
    n = run_to(w, "minutes")
    uc.record_delivery(w.svc, n, "minutes", "zj", "email", "minutes:zj")
    uc.record_delivery(w.svc, n, "minutes", "zj", "email", "minutes:zj")  # a retried send
    delivered = [s.event for s in w.store.data.events[n] if s.event.type == "DeliveryRecorded"]
    assert len(delivered) == 1 and delivered[0].actor == "system"


def test_every_command_names_the_person_in_its_event(w: FakeWorld) -> None:
    n = run_to(w, "archived")
    actors = {s.event.actor for s in w.store.data.events[n]}
    assert actors == {"sh", "js", "x1", "x2", "x3"}
