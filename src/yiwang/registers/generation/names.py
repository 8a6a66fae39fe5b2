"""Pools of synthetic words (Faker zh_CN plus a few lists of our own), drawn once per seed."""

from __future__ import annotations

import random
from dataclasses import dataclass

from faker import Faker
from faker.providers.company.zh_CN import Provider as CompanyProvider
from faker.providers.person.zh_CN import Provider as PersonProvider

ETHNICITIES = (
    ("汉族", 900),
    ("彝族", 30),
    ("藏族", 20),
    ("羌族", 8),
    ("回族", 10),
    ("土家族", 10),
    ("苗族", 8),
    ("满族", 5),
    ("蒙古族", 5),
    ("壮族", 4),
)
INDUSTRIES = (
    ("科技", "软件开发；信息技术咨询服务；数据处理和存储支持服务"),
    ("商贸", "日用百货销售；食品销售（仅销售预包装食品）；五金产品零售"),
    ("建筑工程", "房屋建筑和市政基础设施项目工程总承包；建筑劳务分包"),
    ("农业开发", "蔬菜种植；水果种植；农产品的生产、销售、加工、运输、贮藏"),
    ("餐饮管理", "餐饮服务；餐饮管理；食品经营"),
    ("物流", "道路货物运输（不含危险货物）；普通货物仓储服务；国内货物运输代理"),
    ("医药", "药品零售；医疗器械销售；保健食品销售"),
    ("文化传媒", "广告设计、代理；组织文化艺术交流活动；会议及展览服务"),
    ("机械制造", "通用设备制造（不含特种设备制造）；机械零件、零部件加工"),
    ("旅游开发", "旅游业务；游览景区管理；住宿服务"),
)
BANKS = (
    "中国工商银行广安分行",
    "中国农业银行广安分行",
    "中国建设银行广安分行",
    "四川农村商业银行广安支行",
    "中国银行广安分行",
    "广安农村商业银行",
)
PROVINCE_ABBREVIATIONS = {
    "11": "京",
    "12": "津",
    "13": "冀",
    "14": "晋",
    "15": "蒙",
    "21": "辽",
    "22": "吉",
    "23": "黑",
    "31": "沪",
    "32": "苏",
    "33": "浙",
    "34": "皖",
    "35": "闽",
    "36": "赣",
    "37": "鲁",
    "41": "豫",
    "42": "鄂",
    "43": "湘",
    "44": "粤",
    "45": "桂",
    "46": "琼",
    "50": "渝",
    "51": "川",
    "52": "黔",
    "53": "滇",
    "54": "藏",
    "61": "陕",
    "62": "甘",
    "63": "青",
    "64": "宁",
    "65": "新",
}


@dataclass(frozen=True)
class NamePools:
    surnames: tuple[str, ...]
    surname_weights: tuple[float, ...]
    male_given: tuple[str, ...]
    female_given: tuple[str, ...]
    streets: tuple[str, ...]
    company_prefixes: tuple[str, ...]
    ethnicities: tuple[str, ...]
    ethnicity_weights: tuple[int, ...]


def build_pools(*, seed: int) -> NamePools:
    """Every word list the generator draws from, reproducible from the seed."""
    fake = Faker("zh_CN")
    fake.seed_instance(seed)
    streets = tuple(sorted({fake.street_name() for _ in range(400)}))
    last_names = PersonProvider.last_names
    return NamePools(
        surnames=tuple(last_names),
        surname_weights=tuple(float(w) for w in last_names.values()),
        male_given=tuple(PersonProvider.first_names_male),
        female_given=tuple(PersonProvider.first_names_female),
        streets=streets,
        company_prefixes=tuple(CompanyProvider.company_prefixes),
        ethnicities=tuple(name for name, _ in ETHNICITIES),
        ethnicity_weights=tuple(w for _, w in ETHNICITIES),
    )


def pick_given_name(rng: random.Random, pool: tuple[str, ...]) -> str:
    """One or two characters, as most Chinese given names are."""
    first = rng.choice(pool)
    return first if len(first) > 1 or rng.random() < 0.35 else first + rng.choice(pool)[0]
