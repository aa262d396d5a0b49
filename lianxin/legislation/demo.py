"""Demo data: one open consultation on a draft regulation, with comments online and from site sessions.

Deterministic (a seeded ``random.Random``). Comments at site sessions link to existing demo activities
of kind ``legislation`` at those sites when there are any; no activity is created here (the demo's count
of held activities is fixed).
"""

from __future__ import annotations

import datetime
import random
import time
from collections.abc import Callable

from lianxin.accounts.models import User
from lianxin.core import clock
from lianxin.regions.models import Region
from lianxin.stations.models import Station

from . import splitter
from .models import Comment, Consultation, DraftArticle

Progress = Callable[[str, int, float], None]

DEMO_TITLE = "太原市物业管理条例（草案）"
SITE_COUNT = 12
COMMENT_COUNT = 150

DRAFT = """# 太原市物业管理条例（草案）

（征求意见稿）

为了广泛听取社会各界意见，提高立法质量，现将《太原市物业管理条例（草案）》全文公布，欢迎各位市民通过代表联络站或者网上提出意见和建议。

## 第一章 总则

第一条　为了规范物业管理活动，维护业主、物业使用人和物业服务人的合法权益，营造安全、文明、和谐的居住环境，根据《中华人民共和国民法典》、国务院《物业管理条例》等法律、行政法规，结合本市实际，制定本条例。

第二条　本市行政区域内的物业管理、物业服务及其监督管理活动，适用本条例。

第三条　物业管理应当坚持党的领导，坚持政府引导、业主自治、多方参与、协商共建的原则，构建共建共治共享的物业管理格局。

第四条　市住房和城乡建设主管部门负责全市物业管理活动的监督管理工作。县（市、区）住房和城乡建设主管部门负责本行政区域内物业管理活动的监督管理工作。
街道办事处、乡镇人民政府负责组织、指导和协调本辖区内业主大会成立和业主委员会选举，监督业主大会和业主委员会依法履行职责。

第五条　居（村）民委员会应当协助街道办事处、乡镇人民政府做好物业管理相关工作，指导和监督业主委员会依法履行职责，调解物业管理纠纷。

第六条　物业服务行业协会应当加强行业自律管理，制定行业服务规范，开展从业人员培训，推动物业服务质量提升。

## 第二章 业主、业主大会和业主委员会

第七条　房屋的所有权人为业主。业主依法享有建筑物专有部分的所有权，对专有部分以外的共有部分享有共有和共同管理的权利。

第八条　一个物业管理区域成立一个业主大会。物业管理区域内已交付的专有部分面积达到建筑物总面积百分之五十以上的，街道办事处、乡镇人民政府应当在六十日内组织成立首次业主大会会议筹备组。

第九条　业主大会会议可以采用集体讨论的形式，也可以采用书面征求意见或者电子投票的形式。采用电子投票的，应当使用市住房和城乡建设主管部门建立的电子投票系统。

第十条　业主委员会委员应当由热心公益事业、责任心强、具有一定组织能力的业主担任。鼓励符合条件的中国共产党党员、人大代表通过法定程序成为业主委员会委员。

第十一条　业主委员会应当每半年向全体业主公布下列事项：
（一）业主大会、业主委员会的决定；
（二）业主委员会工作经费收支情况；
（三）专项维修资金的筹集、使用情况；
（四）利用共有部分经营的收益及使用情况。

第十二条　业主委员会任期届满前三个月，应当向街道办事处、乡镇人民政府报告，并组织召开业主大会会议进行换届选举。逾期未换届的，街道办事处、乡镇人民政府可以指导居（村）民委员会组织换届。

第十三条　未成立业主大会或者业主大会未选举产生业主委员会的，可以由居（村）民委员会在街道办事处、乡镇人民政府指导下组织业主成立物业管理委员会，临时代行业主委员会的职责。

## 第三章 物业服务

第十四条　业主大会可以通过公开招标或者协议方式选聘物业服务人。选聘物业服务人应当签订书面物业服务合同，合同内容应当包括服务事项、服务标准、收费标准、维修资金使用、服务期限和违约责任等。

第十五条　物业服务人应当按照合同约定和有关标准提供服务，在物业管理区域内显著位置公示服务内容、服务标准、收费项目、收费标准和投诉电话，并及时更新。

第十六条　物业服务人应当履行下列义务：
（一）对共用部位、共用设施设备进行日常维修、养护和管理；
（二）做好物业管理区域内的环境卫生、绿化养护和秩序维护；
（三）及时制止违反治安、环保、消防等法律法规的行为，并向有关部门报告；
（四）每年向业主公布物业服务资金年度预决算和收支情况。

第十七条　物业服务收费实行政府指导价和市场调节价。普通住宅前期物业服务收费实行政府指导价，具体标准由市发展和改革主管部门会同住房和城乡建设主管部门制定并向社会公布。

第十八条　业主应当按照物业服务合同约定按时交纳物业服务费用。物业服务人不得采取停止供水、供电、供气、供热等方式催交物业服务费用。

第十九条　物业服务合同终止的，原物业服务人应当在约定期限或者合理期限内退出物业管理区域，移交物业服务用房、相关设施和资料，配合新物业服务人做好交接工作。

第二十条　物业管理区域内按照规划建设的停车位、车库，应当首先满足业主的需要。占用业主共有道路或者其他场地用于停放汽车的车位，属于业主共有，其收益在扣除合理成本后归全体业主所有。

## 第四章 监督管理与法律责任

第二十一条　市住房和城乡建设主管部门应当建立物业服务人信用管理制度，将物业服务人的信用信息纳入公共信用信息平台，并向社会公开。

第二十二条　住房和城乡建设主管部门应当建立物业管理投诉处理机制，公布投诉电话，接到投诉后应当在五个工作日内处理并答复投诉人。

第二十三条　物业服务人违反本条例第十五条规定，未公示服务内容、收费项目等事项的，由住房和城乡建设主管部门责令限期改正；逾期不改正的，处一千元以上一万元以下罚款。

第二十四条　物业服务人违反本条例第十八条规定，采取停止供水、供电、供气、供热等方式催交物业服务费用的，由住房和城乡建设主管部门责令改正，处一万元以上五万元以下罚款。

第二十五条　本条例自　　年　　月　　日起施行。
"""

COMMENTS = {
    None: ["建议在总则中明确物业服务要“质价相符”，让业主交得明白。", "整部条例对老旧小区没有专门规定，建议增加一章。",
           "希望条例通过后多到社区宣传，很多居民不知道自己有哪些权利。"],
    1: ["立法目的中建议增加“保障房屋安全使用”。"],
    3: ["“多方参与”要具体，建议写明社区党组织的作用。", "建议写上人大代表参与物业管理监督。"],
    4: ["街道办事处的职责写得比较原则，建议明确时限。", "区里住建部门人手少，监管能不能落实？"],
    8: ["六十日太长了，建议改为三十日内组织成立筹备组。", "百分之五十的门槛对新建小区偏高，建议降低。",
        "筹备组成员中应当有业主代表，比例不低于一半。"],
    9: ["支持电子投票，老人不会用手机的要保留书面投票。", "电子投票系统要保证一户一票，防止刷票。",
        "建议规定电子投票结果当场公示。"],
    10: ["业委会委员应当公开个人承诺，接受业主监督。", "建议规定业委会委员不得在本小区物业公司任职。"],
    11: ["公布频率太低，建议每季度公布一次。", "公共收益要细到每一笔，比如广告费、停车费。", "要求在小区公告栏和手机上同时公布。"],
    12: ["换届拖着不办的情况很多，建议写明逾期的法律后果。", "建议明确换届期间的印章和资料由谁保管。"],
    13: ["物业管理委员会的任期应当有上限，比如不超过两年。"],
    14: ["选聘物业公司应当公开招标，协议方式要严格限制。", "合同范本建议由市住建局统一发布。"],
    15: ["公示内容还应当包括物业公司的营业执照和项目经理电话。", "建议增加在手机上公示的要求。"],
    16: ["年度预决算要经过业主大会审议，不能只是公布。", "建议增加电梯安全的专门义务。", "垃圾分类也应列为物业的义务。"],
    17: ["政府指导价多年没调整，要建立动态调整机制。", "收费标准要和服务等级挂钩。"],
    18: ["对恶意欠费的业主应当有约束措施。", "停水停电催费的情况在我们小区发生过，支持这一条。",
         "建议同时禁止物业公司限制业主车辆出入来催费。"],
    19: ["原物业不退出的问题很突出，建议规定逾期不退出的罚款标准。", "交接时应当有街道和业委会现场见证。"],
    20: ["车位应当优先出租给本小区业主，租金要公开。", "共有车位收益的分配办法要写清楚。",
         "电动车充电设施的建设也应写进来。"],
    21: ["信用信息要和招投标挂钩，失信的不能再接项目。"],
    22: ["五个工作日太长，建议改为三个工作日。", "投诉处理结果应当让投诉人评价。"],
    23: ["罚款额度偏低，起不到作用。"],
    24: ["建议提高罚款上限到十万元。", "对直接责任人员也应当处罚。"],
}
REASONS = ["与上位法规定不一致。", "已在其他条款中作出规定。", "属于实施细则内容，不宜在条例中规定。"]


def load_consultation(now: datetime.datetime | None = None,
                      progress: Progress = lambda key, count, since: None) -> Consultation:
    """Create (or replace) the demo consultation; returns it. Run inside the loader's transaction."""
    from lianxin.activities.models import Activity, Kind

    now = now or clock.now()
    started = time.monotonic()
    rng = random.Random(20260401)
    today = now.date()
    Comment.objects.filter(consultation__title=DEMO_TITLE).delete()
    DraftArticle.objects.filter(consultation__title=DEMO_TITLE).delete()
    Activity.objects.filter(consultation__title=DEMO_TITLE).update(consultation=None)
    Consultation.objects.filter(title=DEMO_TITLE).delete()

    draft = splitter.split(DRAFT)
    city = Region.objects.filter(code="140100").first() or Region.objects.order_by("level", "path").first()
    assert city is not None, "the demo regions must be loaded first"
    admin = User.objects.filter(username="city-admin").first()
    sites = list(Station.objects.active().filter(kind=Station.Kind.STATION).order_by("code")[:SITE_COUNT])
    consultation = Consultation.objects.create(
        title=DEMO_TITLE, organiser="太原市人大常委会法制工作委员会", summary=draft.introduction, source_text=DRAFT,
        region=city, status=Consultation.Status.OPEN, opens_on=today - datetime.timedelta(days=20),
        closes_on=today + datetime.timedelta(days=10), report_due_on=today + datetime.timedelta(days=40),
        created_by=admin, created_at=now - datetime.timedelta(days=22),
    )
    consultation.stations.set(sites)
    articles = DraftArticle.objects.bulk_create([
        DraftArticle(consultation=consultation, order=i, chapter_number=a.chapter_number,
                     chapter_title=a.chapter_title, number=a.number, label=a.label, text=a.text)
        for i, a in enumerate(draft.articles, start=1)])
    by_number = {a.number: a for a in articles}
    sessions: dict[int, list[Activity]] = {}
    for activity in (Activity.objects.filter(kind=Kind.LEGISLATION, station__in=sites).order_by("-starts_at", "id")
                     .only("id", "station_id", "starts_at")):
        sessions.setdefault(activity.station_id, []).append(activity)

    pool = [(number, text) for number, texts in COMMENTS.items() for text in texts]
    comments = []
    for i in range(COMMENT_COUNT):
        number, text = pool[i % len(pool)]
        if i >= len(pool):  # later rounds: the same point made again in other words
            text = rng.choice(["同意上面的意见：", "附议：", "再提一次："]) + text
        created = now - datetime.timedelta(days=rng.uniform(0.2, 19.5))
        at_site = rng.random() < 0.4
        site = rng.choice(sites) if at_site and sites else None
        session = rng.choice(sessions[site.pk]) if site and sessions.get(site.pk) else None
        roll = rng.random()
        moderation = (Comment.Moderation.APPROVED if at_site or roll < 0.82 else
                      Comment.Moderation.PENDING if roll < 0.95 else Comment.Moderation.REJECTED)
        adoption, reason = "", ""
        if moderation == Comment.Moderation.APPROVED and created < now - datetime.timedelta(days=12):
            pick = rng.random()
            if pick < 0.3:
                adoption = Comment.Adoption.ADOPTED
            elif pick < 0.5:
                adoption = Comment.Adoption.PARTLY
            elif pick < 0.65:
                adoption, reason = Comment.Adoption.NOT_ADOPTED, rng.choice(REASONS)
        with_phone = rng.random() < 0.3
        comments.append(Comment(
            consultation=consultation, article=by_number.get(number) if number else None, text=text,
            channel=Comment.Channel.SITE if at_site else Comment.Channel.ONLINE, station=site, session=session,
            citizen_name=f"{rng.choice('王李张刘陈杨赵黄周吴')}{rng.choice(['先生', '女士'])}" if with_phone else "",
            citizen_phone=f"139{rng.randrange(10**8):08d}" if with_phone else "",
            moderation=moderation, adoption=adoption, adoption_reason=reason,
            decided_by=admin if adoption else None, notified_at=created + datetime.timedelta(days=3)
            if adoption and with_phone else None, entered_by=admin if at_site else None, created_at=created,
        ))
    from lianxin.core.crypto import lookup_hash

    for comment in comments:  # save() keeps the phone's lookup hash; bulk_create does not call it
        comment.phone_hash = lookup_hash(comment.citizen_phone) if comment.citizen_phone else ""
    Comment.objects.bulk_create(comments, batch_size=500)
    progress("consultation_comments", len(comments), started)
    return consultation
