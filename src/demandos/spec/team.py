"""``team.yaml``: people, roles and what each is responsible for."""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import AfterValidator, Field

from demandos.spec.fields import Id, SpecModel, Text, spec_error


def _check_email(value: str) -> str:
    if not re.fullmatch(r"[^@\s]+@[^@\s]+\.[A-Za-z]{2,}", value):
        raise spec_error(f"{value!r} is not an email address", "write it as name@company.com")
    return value


Email = Annotated[str, AfterValidator(_check_email)]


class Role(SpecModel):
    """A role people hold."""

    id: Id = Field(description="role id, referenced by people")
    name: Text = Field(description="role name")
    description: str = Field("", description="what the role is accountable for")


class Person(SpecModel):
    """Someone who owns metrics, rituals, workflows or tools."""

    id: Id = Field(description="person id, used wherever an owner is named")
    name: Text = Field(description="full name")
    email: Email | None = Field(None, description="work email, for calendar invites")
    role: Id = Field(description="role id from roles")
    responsibilities: tuple[Text, ...] = Field(
        (), description="what this person is responsible for"
    )
    reports_to: Id | None = Field(None, description="person id of their manager")


class TeamSpec(SpecModel):
    """``team.yaml``: one owner per metric needs people to own them."""

    people: tuple[Person, ...] = Field(min_length=1, description="the people on the team")
    roles: tuple[Role, ...] = Field(min_length=1, description="the roles people hold")
