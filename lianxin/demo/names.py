"""Building blocks for plausible generated names: people, villages, communities, workplaces."""

from __future__ import annotations

import random


def words(text: str) -> tuple[str, ...]:
    """Space-separated data, kept compact: words("王 李 张") → ("王", "李", "张")."""
    return tuple(text.split())


# Common surnames, weighted roughly as in Shanxi (王, 张, 李, 刘, 赵, 郭 lead).
SURNAMES: tuple[tuple[str, int], ...] = tuple(
    (entry[0], int(entry[1:]))
    for entry in words(
        "王90 张70 李70 刘55 赵35 郭32 杨30 武22 高22 陈20 冯15 贾15 韩14 郝14 田12 梁12 孙12 马12 任11 乔10 "
        "史10 薛10 侯10 程9 范9 闫9 吴9 周9 徐8 胡8 白8 宋8 温8 段7 崔7 秦7 常7 阎6 牛6 康6 吕6 孟6 曹5 董5 卫5 申5 "
        "苏5 石5 岳4 罗4 霍4 裴4 邢4 尹4 姚4 续3 景3 安3 原3 阴2 "
    )
)
_SURNAME_LIST = [s for s, _ in SURNAMES]
_SURNAME_WEIGHTS = [w for _, w in SURNAMES]

MALE_CHARS = "伟强军磊勇斌涛明辉刚建国华平志鹏飞杰文俊峰宏亮兵东海永波晋龙鑫昊宇凯斌彬旭晨浩云山林松保全忠"
FEMALE_CHARS = "丽敏静燕娟霞芳玲红英慧婷琳萍霞艳洁雪梅兰凤秀娜倩瑞晶莉颖佳欣月春荣珍芬淑晓璐蓉"
NEUTRAL_CHARS = "晓文建志国振利海宏永新庆小学卫俊玉金成家立立思瑞"


def person_name(rng: random.Random, female: bool) -> str:
    surname = rng.choices(_SURNAME_LIST, _SURNAME_WEIGHTS)[0]
    pool = FEMALE_CHARS if female else MALE_CHARS
    if rng.random() < 0.3:
        return surname + rng.choice(pool)
    return surname + rng.choice(NEUTRAL_CHARS + pool) + rng.choice(pool)


VILLAGE_PREFIXES = ("东", "西", "南", "北", "上", "下", "前", "后", "大", "小", "新", "中", "高", "")
VILLAGE_STEMS = words(
    "王 李 张 刘 赵 郭 杨 武 高 马 侯 贾 梁 韩 郝 任 石 柳 杏 桃 枣 榆 槐 泉 河 沙 龙 凤 青 白 红 黄 "
)
VILLAGE_SUFFIXES = words("庄 家庄 家堡 堡 沟 峪 坪 营 寨 店 屯 窑 头 湾 峁 坡 村 家寨 社 滩 疃 城 ")
COMMUNITY_STEMS = words(
    "学府 平阳 长风 龙城 亲贤 晋阳 并州 滨河 体育 南内环 文源 和平 锦绣 康乐 "
    "东岗 西华 春晖 丽华 怡园 泰和 兴华 阳光 新苑 铁路 电建 化工 钢园 矿机 桃园 "
    "杏林 双塔 迎宾 朝阳 建设 胜利 五一 柳溪 汾东 汾西 长治 北营 太行 振兴 翠苑 "
    "华苑 金港 紫园 丰润 景苑 安泰 "
)
COMMUNITY_SUFFIXES = (
    "",
    "东",
    "西",
    "南",
    "北",
    "苑",
    "里",
    "园",
    "新村",
    "花园",
    "小区",
    "新城",
    "佳园",
    "雅苑",
    "一",
    "二",
    "三",
)


def village_name(rng: random.Random) -> str:
    return rng.choice(VILLAGE_PREFIXES) + rng.choice(VILLAGE_STEMS) + rng.choice(VILLAGE_SUFFIXES) + "村"


def community_name(rng: random.Random) -> str:
    return rng.choice(COMMUNITY_STEMS) + rng.choice(COMMUNITY_SUFFIXES) + "社区"


def stem(name: str) -> str:
    """坞城街道 → 坞城, 北格镇 → 北格, 西温庄乡 → 西温庄, 东庄村 → 东庄, 学府社区 → 学府."""
    for suffix in ("街道", "社区", "镇", "乡", "村"):
        if name.endswith(suffix) and len(name) > len(suffix) + 1:
            return name[: -len(suffix)]
    return name


COMPANIES = words(
    "太原钢铁(集团)有限公司 山西焦煤西山煤电集团 太原重型机械集团 山西建投集团 "
    "太原化学工业集团 山西汾酒集团 太原供水集团 国网太原供电公司 山西移动太原分公司 "
    "太原市公共交通控股集团 山西杏花村汾酒厂 太原第一热电厂 "
)
SCHOOLS = words(
    "太原市第五中学 山西大学附属中学 太原市实验小学 太原师范学院 山西大学 太原理工大学 "
    "中北大学 山西医科大学 太原市第十二中学 "
)
HOSPITALS = words("山西医科大学第一医院 山西省人民医院 太原市中心医院 太原市第二人民医院 山西白求恩医院")


def occupation(rng: random.Random, level: str, county: str, township: str, village: str) -> str:
    """A work unit and position fitting the deputy's level and place (代表的工作单位及职务)."""
    t, v = township, village
    if level in ("national", "provincial"):
        choices = [
            f"{rng.choice(COMPANIES)}党委书记、董事长",
            f"{rng.choice(COMPANIES)}高级工程师",
            f"{rng.choice(SCHOOLS)}校长",
            f"{rng.choice(HOSPITALS)}主任医师",
            f"{county}人民政府区(县)长",
            "太原市人民政府副市长",
            f"{rng.choice(COMPANIES)}技术工人",
            f"{county}{t}{v}党支部书记",
            "山西省农业科学院研究员",
            "民营企业董事长",
        ]
    elif level == "municipal":
        choices = [
            f"{county}人大常委会主任",
            f"{county}{t}党工委书记",
            f"{rng.choice(COMPANIES)}车间主任",
            f"{rng.choice(SCHOOLS)}教师",
            f"{rng.choice(HOSPITALS)}护士长",
            f"{v}党总支书记",
            "律师事务所主任律师",
            "个体工商户",
            "农民专业合作社理事长",
            "社区卫生服务中心主任",
        ]
    elif level == "county":
        choices = [
            f"{t}党工委书记",
            f"{t}办事处主任",
            f"{v}党支部书记",
            f"{v}居(村)民委员会主任",
            f"{county}教育局教师",
            f"{t}卫生院院长",
            "民营企业总经理",
            "个体工商户",
            f"{rng.choice(COMPANIES)}职工",
            "物业服务企业经理",
            "农民专业合作社理事长",
            "律师",
        ]
    else:
        choices = [
            f"{v}党支部书记",
            f"{v}村民委员会主任",
            f"{v}村民委员会委员",
            f"{v}村民",
            f"{t}中心学校教师",
            f"{t}卫生院医生",
            "种植大户",
            "养殖专业户",
            "个体工商户",
            "农民专业合作社社员",
            f"{t}人民政府干部",
            "乡村医生",
        ]
    return rng.choice(choices)
