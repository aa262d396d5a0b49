"""The default criteria template (family ``default``): the four dimensions of the exemplary-site
standard with their items, 100 points in all. The rows are data in the deployment's language.

``ensure_default_template`` is idempotent and also runs from the data migration with historical models
(``build_default_template`` takes the model classes)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

DEFAULT_FAMILY = "default"
DEFAULT_NAME = "示范型代表联络站（点）创建标准"
DEFAULT_DESCRIPTION = "制度健全、设施完善、管理规范、注重实效四个方面，满分100分。"

# (code, name, [(title, guidance, evidence, max_points, metric, target)])
DEFAULT_DIMENSIONS: list[tuple[str, str, list[tuple[str, str, str, str, str, str | None]]]] = [
    ("rules", "制度健全", [
        ("接待日值班表、代表轮值安排上墙公示",
         "值班表、代表轮值安排和联系方式在站内显著位置公示，并及时更新。",
         "公示墙照片", "5", "", None),
        ("群众意见接待、登记、转办、反馈制度健全",
         "建立接待登记、分类转办、跟踪督办、答复反馈等制度，内容完整并上墙。",
         "制度文本、上墙照片", "8", "", None),
        ("代表进站履职制度健全",
         "有代表进站、联系群众、向选民述职等制度，责任明确。",
         "制度文本", "7", "", None),
    ]),
    ("facilities", "设施完善", [
        ("有固定活动场所并悬挂统一标牌",
         "场所固定、面积适宜、交通便利，按统一样式悬挂站（点）标牌。",
         "场所及标牌照片", "5", "", None),
        ("设有接待室（接待区）",
         "接待室（区）桌椅、茶水等配置齐全，便于群众反映意见。",
         "接待室照片", "5", "", None),
        ("设有公示栏",
         "公示栏内容包括代表信息、活动安排、意见办理情况等，定期更新。",
         "公示栏照片", "4", "", None),
        ("设有意见箱",
         "意见箱设置醒目，定期开箱并登记。",
         "意见箱照片、开箱记录", "3", "", None),
        ("设有档案柜，资料集中存放",
         "档案柜（盒）配置到位，各类资料集中存放。",
         "档案柜照片", "3", "", None),
    ]),
    ("management", "管理规范", [
        ("各类登记台账完整",
         "接待登记、活动记录、意见办理等台账齐全，填写规范。",
         "台账扫描件", "7", "", None),
        ("活动有计划、有记录",
         "有年度活动计划，每次活动有通知、签到和记录。",
         "年度计划、活动记录", "6", "", None),
        ("群众意见办理形成闭环",
         "群众意见登记、交办、督办、答复、回访各环节完整。",
         "意见办理记录", "7", "", None),
        ("档案资料规范有序",
         "档案按年度、类别整理归档，查阅方便。",
         "档案目录", "5", "", None),
    ]),
    ("effectiveness", "注重实效", [
        ("每月开展活动次数", "平台记录的已举行活动，每月平均2次得满分。", "",
         "5", "activities_per_month", "2"),
        ("接待日按计划举行", "已举行的接待日占应举行接待日的90%得满分。", "",
         "5", "reception_days_held", "0.9"),
        ("群众意见按期答复", "按期首次答复的意见占已答复意见的90%得满分。", "",
         "5", "answered_on_time", "0.9"),
        ("群众满意度", "满意和基本满意的评价占全部评价的90%得满分。", "",
         "5", "satisfaction", "0.9"),
        ("代表出勤率", "已举行活动中代表实际出席占应出席的80%得满分。", "",
         "4", "attendance", "0.8"),
        ("意见解决率", "办结意见中已解决的占70%得满分。", "",
         "4", "resolved", "0.7"),
        ("典型案例和工作成效",
         "通过站（点）解决群众急难愁盼问题的典型案例，工作经验被推广或得到媒体报道。",
         "案例材料、报道", "7", "", None),
    ]),
]


def build_default_template(template_model: Any, dimension_model: Any, criterion_model: Any) -> Any:
    """Return the newest ``default`` template, creating version 1 when the family has none."""
    existing = template_model.objects.filter(family=DEFAULT_FAMILY).order_by("-version").first()
    if existing is not None:
        return existing
    template = template_model.objects.create(family=DEFAULT_FAMILY, version=1, name=DEFAULT_NAME,
                                             description=DEFAULT_DESCRIPTION, note="初始版本")
    rows = []
    for order, (code, name, items) in enumerate(DEFAULT_DIMENSIONS, start=1):
        dimension = dimension_model.objects.create(template=template, code=code, name=name, order=order)
        for index, (title, guidance, evidence, points, metric, target) in enumerate(items, start=1):
            rows.append(criterion_model(
                dimension=dimension, order=index, title=title, guidance=guidance, evidence=evidence,
                max_points=Decimal(points), kind="automatic" if metric else "manual", metric=metric,
                target=Decimal(target) if target is not None else None))
    criterion_model.objects.bulk_create(rows)
    return template


def ensure_default_template() -> Any:
    from .models import CriteriaTemplate, Criterion, Dimension

    return build_default_template(CriteriaTemplate, Dimension, Criterion)
