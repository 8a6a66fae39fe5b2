from __future__ import annotations

from dataclasses import dataclass

import pytest

from yiwang.catalog.models import Implementation
from yiwang.identity.tests.factories import UserFactory

from ..models import Hall, Window
from .factories import WindowFactory, at, next_working_day


@dataclass
class World:
    hall: Hall
    window: Window
    implementation: Implementation

    def slot(self, hour: int = 9, minute: int = 0):
        return at(next_working_day(), hour, minute)


@pytest.fixture
def world(db) -> World:
    window = WindowFactory()
    return World(hall=window.hall, window=window, implementation=window.implementations.get())


@pytest.fixture
def citizen(db):
    return UserFactory(level3=True)


@pytest.fixture
def other_citizen(db):
    return UserFactory(level3=True)
