"""Demo data of the duty record: declared items (approved, rejected, pending) and the scores of past years.

Called by the demo command after the activities exist, so the scores are computed from them.
"""

from __future__ import annotations

import datetime
import random
import time
from typing import Any

from django.db.models import Min

from lianxin.core import clock

from .models import DECLARED_KINDS, DeclaredItem, RecomputeRun
from .scoring import current_rules, run_recompute

TITLES = {
    "meeting": ["出席区人大常委会会议", "列席街道议政会", "参加代表小组学习会"],
    "suggestion": ["提交关于老旧小区加装电梯的建议", "提交关于背街小巷照明的建议", "提交关于学校周边交通的建议"],
    "voter_visit": ["走访社区困难群众", "入户走访选民听取意见", "走访辖区企业了解诉求"],
    "other": ["参加人大代表专题调研", "参与执法检查", "参加代表培训班"],
}
REJECT_REASONS = ["证明材料不足，请补充会议通知或签到表", "该事项已由平台记录，不能重复申报"]


def build_demo(stdout: Any = None, seed: int = 5, share: float = 0.15) -> dict[str, Any]:
    """Declare items for a share of the deputies, decide most of them, and compute every year's scores."""
    from lianxin.accounts.models import Role, User
    from lianxin.activities.models import Activity
    from lianxin.deputies.models import Deputy

    started = time.perf_counter()
    rng = random.Random(seed)
    today = clock.today()
    reviewer = User.objects.filter(role=Role.DISTRICT_ADMIN).order_by("pk").first() or \
        User.objects.filter(role=Role.CITY_ADMIN).order_by("pk").first()
    first = Activity.objects.aggregate(first=Min("starts_at"))["first"]
    first_year = clock.now().year if first is None else first.year
    years = list(range(max(first_year, today.year - 4), today.year + 1))
    deputy_ids = list(Deputy.objects.filter(active=True).order_by("pk").values_list("pk", flat=True))
    chosen = rng.sample(deputy_ids, k=int(len(deputy_ids) * share)) if deputy_ids else []
    now = clock.now()
    items: list[DeclaredItem] = []
    for deputy_id in chosen:
        for _ in range(rng.randint(1, 4)):
            year = rng.choice(years)
            last = today if year == today.year else datetime.date(year, 12, 31)
            done_on = datetime.date(year, 1, 1) + datetime.timedelta(days=rng.randint(0, (last - datetime.date(year, 1, 1)).days))
            kind = str(rng.choice(DECLARED_KINDS))
            roll = rng.random()
            status = (DeclaredItem.Status.PENDING if done_on > today - datetime.timedelta(days=20) or roll < 0.1
                      else DeclaredItem.Status.REJECTED if roll < 0.2 else DeclaredItem.Status.APPROVED)
            decided = status != DeclaredItem.Status.PENDING
            items.append(DeclaredItem(
                deputy_id=deputy_id, kind=kind, done_on=done_on, title=rng.choice(TITLES[kind]),
                evidence_text=f"{done_on:%Y年%m月%d日}，有会议通知和签到表。", status=status,
                reason=rng.choice(REJECT_REASONS) if status == DeclaredItem.Status.REJECTED else "",
                decided_by=reviewer if decided else None, decided_at=now if decided else None,
                created_at=now))
    DeclaredItem.objects.bulk_create(items, batch_size=2000)
    rules = current_rules()
    run = RecomputeRun.objects.create(years=years)
    run_recompute(run.pk)
    run.refresh_from_db()
    counts = {status: sum(1 for i in items if i.status == status) for status in DeclaredItem.Status.values}
    result = {"declared": len(items), **{f"declared_{k}": v for k, v in counts.items()}, "years": years,
              "rule_version": rules.version, "scored_deputies": len(deputy_ids),
              "seconds": round(time.perf_counter() - started, 1), "run_status": run.status}
    if stdout is not None:
        stdout.write(f"performance: {result}\n")
    return result
