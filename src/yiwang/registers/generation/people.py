"""Synthetic households for the population register: consistent families with valid ID numbers."""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field

from yiwang.core.identifiers import resident_id_check_digit

from ..constants import Gender, HouseholdRelation, MaritalStatus
from .names import NamePools, pick_given_name

PERSON_COLUMNS = (
    "id_number",
    "name",
    "surname",
    "given_name",
    "gender",
    "birth_date",
    "ethnicity",
    "household_address",
    "region_id",
    "phone",
    "marital_status",
    "household_number",
    "household_relation",
    "is_deceased",
)
_PHONE_PREFIXES = (
    "130",
    "131",
    "132",
    "133",
    "135",
    "136",
    "137",
    "138",
    "139",
    "150",
    "151",
    "152",
    "155",
    "156",
    "157",
    "158",
    "159",
    "166",
    "177",
    "180",
    "181",
    "182",
    "183",
    "186",
    "187",
    "188",
    "189",
    "191",
    "198",
    "199",
)


@dataclass
class Town:
    code: str
    full_name: str


@dataclass
class GeneratedPerson:
    id_number: str
    name: str
    surname: str
    given_name: str
    is_male: bool
    birth_date: dt.date
    relation: str
    phone: str = ""
    married: bool = False

    def age(self, today: dt.date) -> int:
        return (
            today.year
            - self.birth_date.year
            - ((today.month, today.day) < (self.birth_date.month, self.birth_date.day))
        )


@dataclass
class Household:
    number: str
    town: Town
    address: str
    members: list[GeneratedPerson] = field(default_factory=list)


class IdNumberMint:
    """Hands out unique ID numbers: county code, birth date, sequence with the sex parity, check digit."""

    def __init__(self) -> None:
        self._next: dict[str, int] = {}

    def issue(self, *, county: str, birth_date: dt.date, is_male: bool) -> str:
        key = county + birth_date.strftime("%Y%m%d")
        counter = self._next.get(key, 0)
        self._next[key] = counter + 1
        sequence = counter * 2 + (1 if is_male else 2)  # odd for men, even for women, never 000
        if sequence > 999:
            raise OverflowError(f"too many people born on {birth_date} in {county}")
        body = f"{key}{sequence:03d}"
        return body + resident_id_check_digit(body)


class HouseholdFactory:
    """Draws households: a head, usually a spouse, children younger than the parents, sometimes a parent."""

    def __init__(self, *, rng: random.Random, pools: NamePools, mint: IdNumberMint, today: dt.date) -> None:
        self.rng, self.pools, self.mint, self.today = rng, pools, mint, today

    def _birth_date(self, age: int) -> dt.date:
        day_of_year = self.rng.randrange(365)
        born = dt.date(self.today.year - age - 1, 1, 1) + dt.timedelta(days=day_of_year)
        return born if born <= self.today else self.today

    def _phone(self) -> str:
        return self.rng.choice(_PHONE_PREFIXES) + f"{self.rng.randrange(10**8):08d}"

    def _person(
        self, *, county: str, surname: str, is_male: bool, age: int, relation: str
    ) -> GeneratedPerson:
        pool = self.pools.male_given if is_male else self.pools.female_given
        given = pick_given_name(self.rng, pool)
        birth = self._birth_date(max(age, 0))
        return GeneratedPerson(
            id_number=self.mint.issue(county=county, birth_date=birth, is_male=is_male),
            name=surname + given,
            surname=surname,
            given_name=given,
            is_male=is_male,
            birth_date=birth,
            relation=relation,
            phone=self._phone() if age >= 16 else "",
        )

    def _surname(self) -> str:
        return self.rng.choices(self.pools.surnames, weights=self.pools.surname_weights)[0]

    def make(self, *, number: str, county: str, town: Town) -> Household:
        rng = self.rng
        address = f"{town.full_name}{rng.choice(self.pools.streets)}{rng.randrange(1, 300)}号"
        household = Household(number=number, town=town, address=address)
        surname = self._surname()
        head_age = rng.randint(22, 82)
        head = self._person(
            county=county,
            surname=surname,
            is_male=rng.random() < 0.8,
            age=head_age,
            relation=HouseholdRelation.HEAD,
        )
        household.members.append(head)
        if rng.random() < 0.78:
            spouse_age = max(20, head_age + rng.randint(-5, 5))
            spouse = self._person(
                county=county,
                surname=self._surname(),
                is_male=not head.is_male,
                age=spouse_age,
                relation=HouseholdRelation.SPOUSE,
            )
            head.married = spouse.married = True
            household.members.append(spouse)
            for _ in range(rng.choice((0, 1, 1, 2, 2, 3)) if head_age < 60 else rng.choice((0, 1))):
                child_age = rng.randint(0, max(0, head_age - 22))
                father_surname = head.surname if head.is_male else spouse.surname
                household.members.append(
                    self._person(
                        county=county,
                        surname=father_surname,
                        is_male=rng.random() < 0.51,
                        age=child_age,
                        relation=HouseholdRelation.CHILD,
                    )
                )
        if head_age < 50 and rng.random() < 0.15:
            household.members.append(
                self._person(
                    county=county,
                    surname=self._surname(),
                    is_male=False,
                    age=min(100, head_age + rng.randint(22, 32)),
                    relation=HouseholdRelation.PARENT,
                )
            )
        return household

    def rows(self, household: Household) -> list[tuple]:
        """Population-register rows for every member, in PERSON_COLUMNS order."""
        rows = []
        ethnicity = self.rng.choices(self.pools.ethnicities, weights=self.pools.ethnicity_weights)[0]
        for person in household.members:
            age = person.age(self.today)
            if person.married:
                marital = MaritalStatus.MARRIED
            elif person.relation == HouseholdRelation.PARENT:
                marital = MaritalStatus.WIDOWED
            elif age >= 22 and self.rng.random() < 0.3:
                marital = MaritalStatus.DIVORCED
            else:
                marital = MaritalStatus.UNMARRIED
            rows.append(
                (
                    person.id_number,
                    person.name,
                    person.surname,
                    person.given_name,
                    Gender.MALE if person.is_male else Gender.FEMALE,
                    person.birth_date,
                    ethnicity,
                    household.address,
                    household.town.code,
                    person.phone,
                    marital,
                    household.number,
                    person.relation,
                    False,
                )
            )
        return rows
