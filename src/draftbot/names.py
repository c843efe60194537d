"""Finding names of people, places, units and companies in Chinese text (confidential mode).

Two nets, both offline:

1. rules a careful reader applies: a surname (single or compound) with a title after it
   (王建华同志, 张局长, 欧阳振华副市长) or before it (县委书记刘德明, 村委会主任司马玉兰), lists of
   names (甲、乙、丙 next to a found name or before 同志/等), a given name with 同志 (建华同志),
   names ending in a unit, place, school or company word (白沙镇, 青溪二中, 远航科技, 北山水库),
   and the items of a list that a following noun calls units or companies (宁德时代、比亚迪等企业);
2. jieba's part-of-speech tagger (`jieba.posseg`: nr person, ns place, nt organisation; its
   dictionary ships in the wheel), filtered: a person must start with a surname and have a one- or
   two-character given name, ordinary dictionary words tagged as names are dropped, and nation-wide
   names every report uses (中国, 长三角, 习近平) are left alone.

`find_names(text)` returns (name, kind, keep) for each: `keep` is a title that stays visible
(张局长 -> 【人名1】局长). jieba is imported only when a masked run first calls the tagger.
"""

from __future__ import annotations

import re
from functools import cache

KINDS = ("人名", "单位", "地名", "企业")
CJK = "\u4e00-\u9fff"

# the commoner single-character surnames (about 400), and the compound ones
SURNAMES = frozenset(
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程苏魏吕丁"
    "沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵钱严覃武戴莫孔汤"
    "万常康赖文施洪牛樊葛邢安齐易乔伍庞颜倪庄聂章鲁岳翟殷詹申欧耿关兰焦俞左柳甘祝包宁尚符舒阮柯纪梅童凌"
    "毕单季裴霍涂成苗谷盛曲翁冉骆蓝路游辛靳管柴蒙鲍华喻祁蒲房滕屈饶解牟艾尤阳时穆农司卓古吉缪简车项连芦"
    "麦褚娄窦戚岑景党宫费卜冷晏席卫米柏宗瞿桂全佟应臧闵苟邬边卞姬师和仇栾隋商刁沙荣巫寇桑郎甄丛仲虞敖巩"
    "明佘池查麻苑迟邝官封谈匡鞠惠荆乐冀郁胥南班储原栗燕楚鄢劳谌奚皮粟冼蔺楼盘满闻位厉伊仝区郜海阚花权"
    "强帅屠豆朴盖练廉禹井祖漆巴丰支卿国狄平计索宣晋相初门云容敬来扈晁芮都普阙浦戈伏鹿薄邸雍辜羊阿乌母"
    "裘亓修邰赫杭况那宿鲜印逯隆茹诸战慕危玉银亢嵇公哈湛宾戎勾茅利於呼居揭干但尉冶斯元束檀衣信展阴昝智"
    "幸奉植衡富尧闭由钮厍蒯禤郦暴贝乜仉佴郇逄禚甯"
)  # fmt: skip
COMPOUND_SURNAMES = (
    "欧阳", "司马", "上官", "诸葛", "东方", "皇甫", "尉迟", "公孙", "慕容", "长孙", "宇文", "司徒", "夏侯",
    "轩辕", "令狐", "端木", "西门", "南宫", "独孤", "申屠", "百里", "呼延", "万俟", "澹台", "公冶", "太史",
    "闻人", "赫连", "钟离", "濮阳", "淳于", "单于", "拓跋", "司空", "第五", "左丘", "东郭", "南门", "羊舌",
)  # fmt: skip
# offices and forms of address that stand next to a name
TITLES = tuple(
    sorted(
        (
            "同志 书记 副书记 局长 主任 镇长 县长 市长 区长 乡长 村长 处长 科长 部长 厅长 院长 校长 所长 站长 "
            "队长 组长 经理 总经理 董事长 主席 秘书长 行长 社长 会长 主委 委员 常委 省长 州长 旗长 馆长 "
            "庭长 检察长 政委 指导员 支书 主管 总监 总工 老师 教授 医生 主任医师 书记员 干事 科员 专员 "
            "巡视员 调研员 专家 乡贤 律师 记者 民警 辅警 法官 检察官 护士 工程师 技术员 村医 阿姨 大姐 大哥 师傅 "
            "理事长 监事长 厂长 矿长 场长 园长 会计 出纳 网格员 组织委员 宣传委员 纪检委员"
        ).split(),
        key=len,
        reverse=True,
    )
)
# titles after which a name follows (县长王某, 村委会主任李某): not 同志, not one-character ones
TITLES_BEFORE = tuple(t for t in TITLES if t not in ("同志", "会计", "出纳", "老师", "医生", "教授"))
# public figures and nation-wide places every report names: never masked
PUBLIC = frozenset(
    "习近平 毛泽东 邓小平 江泽民 胡锦涛 马克思 恩格斯 列宁 孙中山 周恩来 雷锋 焦裕禄 孔繁森 谷文昌 杨善洲 "
    "中国 中华 全国 中华人民共和国 中华民族 中共 中共中央 党中央 国务院 全国人大 全国政协 中央 中南海 "
    "长江 黄河 长三角 珠三角 京津冀 粤港澳 大湾区 成渝 长江经济带 东北 西北 西南 华北 华东 华南 华中 "
    "亚洲 欧洲 非洲 一带一路 红船 "
    "新时代 新中国 马克思主义 毛泽东思想 邓小平理论 党政机关 基层党组织 共青团 少先队"
    .split()
)  # fmt: skip
# ordinary words jieba's tagger often takes for places
_NOT_PLACE = frozenset(
    "惠及 高山 深度 美丽 自觉遵守 淡泊名利 确保安全 中青班 人居 东 西 南 北 德 城市 城镇 新城 南门 北门 东门 西门 "
    "入口 出口 卡口 路口 港口 三中 四中 五中 六中 包联 省委 市委 县委 区委".split()
)
PROVINCES = frozenset(
    "北京 天津 上海 重庆 河北 山西 辽宁 吉林 黑龙江 江苏 浙江 安徽 福建 江西 山东 河南 湖北 湖南 广东 海南 "
    "四川 贵州 云南 陕西 甘肃 青海 台湾 内蒙古 广西 西藏 宁夏 新疆 香港 澳门".split()
)
# words that a "given name" candidate cannot start with: the text goes on after a 1- or 2-character name
_FOLLOW_WORDS = (
    "主持 强调 指出 要求 调研 带队 率队 一行 出席 参加 讲话 走访 陪同 同志 等人 分管 负责 担任 兼任 提出 "
    "部署 检查 督导 督查 慰问 看望 介绍 汇报 发言 签约 考察 主讲 授课 作了 做了 到会 到场 批示 审定 听取 "
    "研究 协调 联系 牵头 组织 带领 率领 深入 前往 莅临 亲自 对此 高度 充分 现场 专题 作为 当选 获评 荣获 "
    "获得 被评 同意 签批 获颁 等同 以及 还有 主抓 领衔 包联 挂点 结对 帮扶 一起 一同 共同 分别 先后"
).split()  # fmt: skip
_FOLLOW_CHARS = set("、，。；：！？,.;:!?（）()《》“”\"' \t\n和与及等的在到来为对向从被把将也都已就又还是了给让于即跟同率由并或")
# characters that make a candidate given name a word instead (常务副县长, 任副主任, 全体同志)
_NOT_GIVEN = set("副务委党局部长市县区镇乡村省厅处科办院校会中心组级们等各全本我该班位体员名个届任")

# words before 同志 that are not a given name
_NOT_COMRADE = frozenset(
    "各位 广大 全体 青年 年轻 老 女 男 党员 领导 基层 一线 退休 困难 离退休 干部 有关 相关 其他 两位 "
    "三位 几位 诸位 多位 新 老干部 先进 优秀 入党 预备 正式 中青年 机关 单位 部门 班子 同级 上级 下级 "
    "主要 分管 普通 非党 民主 民营 外来 驻村 一名 一位 这位 那位 每位 女性 男性 少数 多数 个别"
    .split()
)  # fmt: skip

# unit, place, school and company words a name ends in, with the kind of the whole name
SUFFIXES = tuple(
    sorted(
        [(s, "单位") for s in (
            "人民政府 委员会 管委会 管理委员会 开发区 高新区 经开区 工业园 产业园 园区 学校 中学 小学 大学 "
            "学院 幼儿园 医院 卫生院 卫生室 中心 银行 支行 分行 信用社 农商行 研究院 研究所 实验室 "
            "党校 电视台 报社 图书馆 博物馆 纪念馆 文化馆 体育馆 派出所 法院 检察院 监狱 供电所 税务所 "
            "财政所 司法所 卫健委 发改委 经信委 教育局 公安局 局 协会 学会 商会 联合会 基金会 工作站 "
            "事务所 律师事务所 支队 大队 中队 委 厅 残联 妇联 总工会 团委 巡察组 工作组 督导组"
        ).split()]
        + [(s, "地名") for s in (
            "街道 社区 镇 村 乡 县 市 区 省 自治区 自治州 自治县 州 水库 湖 河 江 山 岛 湾 港 峡 "
            "景区 公园 湿地 广场 大道 路 街 小区 新村 片区 村组 居委会 村委会 塘 冲 岩 巷 坪 坝 岭 寨 屯 垭 里"
        ).split()]
        + [(s, "企业") for s in (
            "有限责任公司 股份有限公司 有限公司 公司 集团 合作社 科技 股份 实业 控股 电子 电器 机械 化工 "
            "药业 制药 食品 物流 能源 新能源 新材料 置业 地产 传媒 纺织 服饰 建工 矿业 钢铁 汽车 "
            "电池 光电 光伏 生物 医药 农业科技 酒店 宾馆 工厂 厂 农场 林场 牧场 茶场 酒业 乳业 家居 "
            "新材 物业 餐饮 超市 商贸 锂电 水泥 米业 茶业 智造 机电 矿产 文旅 城投 水务 园林"
        ).split()],
        key=lambda p: len(p[0]),
        reverse=True,
    )
)
_SUFFIX_KIND = dict(SUFFIXES)
# the prefix + suffix form a common word, not a name (开局, 城市, 农村 …)
STOP_ENDINGS = frozenset(
    "开局 格局 布局 大局 全局 结局 当局 僵局 新局 变局 时局 政局 困局 破局 终局 邮局 "
    "城镇 乡镇 集镇 小镇 重镇 全镇 本镇 我镇 该镇 各镇 村镇 "
    "农村 乡村 山村 全村 本村 我村 该村 各村 每村 进村 驻村 行政村 自然村 "
    "城市 超市 上市 都市 全市 本市 我市 该市 各市 门市 股市 夜市 集市 省市 县市 城区 市区 "
    "全县 本县 我县 该县 各县 郡县 城乡 下乡 家乡 全乡 各乡 本乡 返乡 故乡 "
    "为中心 子公司 本公司 该公司 我公司 各公司 分公司 总公司 "
    "全园区 本园区 该园区 各园区 我园区 全学校 各学校 各医院 本医院 中小学 清廉学校 示范学校 试点学校 "
    "兄弟学校 基础教育学校 普高学校 市直学校 一所学校 上级党委局 "
    "社区 全区 本区 该区 我区 各区 辖区 园区 景区 片区 小区 山区 库区 湖区 矿区 校区 社区 新区 老区 "
    "江山 河山 江河 山河 大山 深山 高山 青山 靠山 名山 下山 上山 火山 冰山 "
    "全省 本省 我省 该省 外省 各省 "
    "道路 公路 马路 思路 出路 线路 网路 铁路 道路 门路 路路 "
    "街道 大街 上街 沿街 "
    "湿地公园 高科技 乡村文旅 全域文旅 县城投 市城投 小厂 大厂 建厂 办厂 出厂 进厂 工厂 全厂 本厂 "
    .split()
)  # fmt: skip
# a character right after the suffix that shows the suffix is part of a longer word (市场, 局长 …)
_STOP_FOLLOWERS = {
    "局": set("长面势部限"), "市": set("场民值级区长容政面井郊领重"), "县": set("长级域城"),
    "镇": set("长级区"), "村": set("长级民庄落务"), "乡": set("长级村镇土亲"), "中心": set("组城任工"),
    "街道": set("办"), "中学": set("习生"), "小学": set("习生"), "大学": set("习生"), "学院": set("派"),
    "区": set("长级域委"), "省": set("长级委"), "山": set("区"), "江": set("南"), "河": set("道"),
    "科技": set("创成进"), "能源": set("结"), "生物": set("多"), "路": set("线径子"), "厂": set("长房区"),
    "港": set("口"), "湖": set("泊"), "集团": set("化"), "委": set("员会托"), "化工": set("作"),
    "建工": set("作"), "电子": set("政务化"),
}  # fmt: skip
# a unit name starts after the last of these words in the text before its suffix
LEAD_WORDS = tuple(
    sorted(
        set(
            (
                "和 与 及 同 跟 向 对 在 于 到 赴 从 由 把 被 给 的 了 是 并 等 各 该 我 本 获 个 项 家 名 次 篇 处 "
                "以及 联系 分管 协调 走访 服务于 帮助 支持 推动 配合 组织 参加 参与 深入 前往 牵头 会同 指导 "
                "督促 带领 率领 陪同 调研 考察 引进 围绕 依托 落实 完成 建成 开展 召开 成立 获得 荣获 评为 "
                "担任 兼任 其中 全年 全市 全县 全区 全镇 全省 推进 争取 对接 挂点 包联 结对 帮扶 入驻 落户 "
                "年 月 日 加强 结合 协助 强化 优化 提升 完善 确保 树立 立足 突出 提高 代表 重视 呵护 "
                "着眼 作为 制定 实施 执行 开创 纳入 展示 邀请 通过 保持 借鉴 符合 按照 吸引 举办 实现 入选 构建 "
                "引领 做好 打造 创建 加快 深化 坚持 全面 努力 积极 认真 扎实 切实 不断 签约 签订 携手 "
                "持续 还有 以及 成为 列入 荣膺 成功 首批 唯一 所 年度 事关 根据 助力 充实 谋划 制作 来 为 进 "
                "调任 调入 听取 使 让 强 位于 地处 新建 改造 修缮 整治 清理 疏浚 "
                "任 兼 慰问 看望 接待 对口 支援 援建 帮建 共建 联建 走进 进驻 原任 现任 引入 收受 接受 主持 申报 "
                "承办 承接 对标 赴任 借助 依靠 依据 面对 发挥 动员 发动 号召 "
                "配合 指导 督导 检查 视察 授课 选派 派驻 下派 挂职 轮岗 "
                "向着 面向 针对 涉及 覆盖 辐射 带动 联手 会同 包括 力争 "
                "同志 一是 二是 三是 四是 五是 六是 七是 八是 九是 十是"
            ).split()
        ),
        key=len,
        reverse=True,
    )
)
MAX_UNIT_PREFIX = 12
_NUMERAL = "一二三四五六七八九十"
# a school or unit with a number: 青溪二中, 城关一小, 第三中学 is caught by 中学
_NUMBERED = re.compile(
    rf"([{CJK}]{{2,6}}?)([{_NUMERAL}]{{1,2}}[中小]|[{_NUMERAL}]{{1,2}}[院所队站厂])(?!全会|[{CJK}]*[学生年级])"
)
# the items of a list that a following noun names: 宁德时代、比亚迪等企业 (kind by the noun)
_LIST_NOUNS = {
    "企业": "企业", "公司": "企业", "平台": "企业", "品牌": "企业", "商家": "企业", "厂家": "企业", "商户": "企业", "龙头企业": "企业", "规上企业": "企业",
    "单位": "单位", "部门": "单位", "学校": "单位", "医院": "单位", "机构": "单位", "院校": "单位",
    "村": "地名", "社区": "地名", "地": "地名", "村组": "地名", "乡镇": "地名", "村居": "地名", "地方": "地名", "景区": "地名",
    "同志": "人名", "人": "人名", "名同志": "人名", "位同志": "人名", "名干部": "人名", "名党员": "人名",
}  # fmt: skip

_COMPOUND_RE = "|".join(COMPOUND_SURNAMES)
_SURNAME_RE = f"(?:{_COMPOUND_RE}|[{''.join(sorted(SURNAMES))}])"
_TITLE_RE = "|".join(TITLES)
_TITLE_BEFORE_RE = "|".join(TITLES_BEFORE)


def surname_of(name: str) -> str:
    """The surname `name` starts with ('' when none)."""
    if name[:2] in COMPOUND_SURNAMES:
        return name[:2]
    return name[:1] if name[:1] in SURNAMES else ""


# characters that do not occur in a given name but end many words (王某等, 李某名)
_NOT_NAME = set("们等各本我该位体员名个届任副党委局厅处科办省市县区镇乡村两企")


def person_shape(name: str) -> bool:
    """A surname and a one- or two-character given name, nothing that makes it a word."""
    surname = surname_of(name)
    given = name[len(surname) :]
    return bool(surname) and 1 <= len(given) <= 2 and not set(given) & _NOT_NAME and _all_cjk(name)


def _all_cjk(text: str) -> bool:
    return bool(text) and all("\u4e00" <= c <= "\u9fff" for c in text)


# -- people --------------------------------------------------------------------------------------

_TITLE_AFTER = re.compile(rf"({_SURNAME_RE})([{CJK}]{{0,2}}?)(副?)({_TITLE_RE})(?!们)")
_TITLE_BEFORE = re.compile(rf"(?:{_TITLE_BEFORE_RE})(?=({_SURNAME_RE}))")
_COMRADE = re.compile(rf"(?<![{CJK}])([{CJK}]{{2}})同志|(?<=[、，。；：\s（(“])([{CJK}]{{2}})同志")


def given_extent(text: str, start: int) -> int:
    """How many characters of the given name start at `start`: two unless the second begins what
    follows a name (县长王伟主持 -> 1, 县长王建华主持 -> 2); 0 when there is none."""
    first = text[start : start + 1]
    if not first or not _all_cjk(first) or first in _FOLLOW_CHARS:
        return 0
    second = text[start + 1 : start + 2]
    if not second or not _all_cjk(second) or second in _FOLLOW_CHARS:
        return 1
    if any(text.startswith(w, start + 1) for w in _FOLLOW_WORDS) or any(
        text.startswith(t, start + 1) for t in TITLES
    ):
        return 1
    return 2


def find_people(text: str, segmenter: bool = False) -> list[tuple[str, str]]:
    """(text to mask, title kept visible) for each person the rules find: 王建华同志 -> (王建华, ""),
    张局长 -> (张局长, 局长), 县长周晓燕 -> (周晓燕, "")."""
    out: list[tuple[str, str]] = []
    for match in _TITLE_AFTER.finditer(text):
        surname, given, deputy, title = match.groups()
        if given and (set(given) & _NOT_GIVEN or given in ("同志",)):
            continue
        if given:
            out.append((surname + given, ""))
        elif title != "同志" and len(title) >= 2 and (len(surname) == 2 or _before_ok(text, match.start(), segmenter)):
            out.append((surname + deputy + title, deputy + title))
    for match in _TITLE_BEFORE.finditer(text):
        surname = match.group(1)
        start = match.end() + len(surname)
        size = given_extent(text, start)
        name = surname + text[start : start + size]
        if size and person_shape(name):
            out.append((name, ""))
    for match in _COMRADE.finditer(text):
        given = match.group(1) or match.group(2)
        if given not in _NOT_COMRADE and not set(given) & _NOT_GIVEN and given not in PUBLIC:
            out.append((given, ""))
    found = {name for name, keep in out if not keep}
    out.extend((name, "") for name in list_people(text, found))
    return out


def _before_ok(text: str, at: int, segmenter: bool = False) -> bool:
    """张局长 is a person unless the surname character ends a word (主张局长 is not)."""
    before = text[at - 1 : at]
    if not before or not _all_cjk(before) or before in "向对和与及由请经陪同找给让跟随":
        return True
    return segmenter and _freq(before + text[at]) < COMMON_FREQ


_LIST = re.compile(rf"[{CJK}]{{2,4}}(?:[、][{CJK}]{{2,4}})+(?:[和与及][{CJK}]{{2,4}})?")


def list_people(text: str, known: set[str]) -> list[str]:
    """The other items of a list of names: 甲、乙、丙 where one is a found name or the list ends
    before 同志, 等人 …"""
    out = []
    for match in _LIST.finditer(text):
        items = re.split(r"[、和与及]", match.group(0))
        after = text[match.end() : match.end() + 4]
        tail = re.match(r"([一二三四五六七八九十两\d]*)(名|位)?(同志|等人|等同志|等)", after)
        if not (any(item.endswith(name) for item in items for name in known) or tail):
            continue
        for index, item in enumerate(items):
            item = next((name for name in known if item.endswith(name)), item)
            name = _ITEM_TAIL.sub("", item)
            if index == 0 and not person_shape(name):  # 选派龚小雨: the verb before the list
                name = next((name[-n:] for n in (3, 2, 4) if person_shape(name[-n:])), name)
            if person_shape(name) and name not in PUBLIC and name not in out:
                out.append(name)
    return out


# what may follow the last name of a list inside the same run of characters (两名同志, 同志, 书记)
_ITEM_TAIL = re.compile(rf"(?:[一二三四五六七八九十两几\d]+[名位个]?.*|(?:{_TITLE_RE}).*)$")


# -- units, places, companies --------------------------------------------------------------------

_SUFFIX_RE = re.compile("|".join(re.escape(s) for s, _ in SUFFIXES))


def suffix_kind(name: str) -> str | None:
    return next((kind for suffix, kind in SUFFIXES if name.endswith(suffix)), None)


COMPANY_FORMS = frozenset("有限责任公司 股份有限公司 有限公司 公司 集团 合作社 酒店 宾馆 工厂 厂 农场 林场 牧场 茶场 超市".split())
_INDUSTRY_WORDS = frozenset(
    "新 绿色 智能 高端 先进 传统 现代 数字 新型 特色 优势 战略性 新兴 主导 支柱 高新 低碳 循环 生态 "
    "农业 工业 服务业 产业 行业 领域 重点 龙头 中小 规上 民营 国有 外资".split()
)


def _trade_prefix(prefix: str) -> bool:
    """The words before a trade word are an industry themselves (新能源电池) or describe one."""
    trades = {s for s, k in SUFFIXES if k == "企业"}
    return any(prefix.endswith(w) for w in trades | _INDUSTRY_WORDS) or prefix in _INDUSTRY_WORDS


ADMIN_LEVELS = set("省市县区镇乡州旗")
# where the words of an official unit name are joined by 和 (发展和改革委员会)
_CONNECTED = re.compile(r"(?:发展和改革|住房和城乡|工业和信息化|文化和旅游|人力资源和社会保障|卫生和计划生育|自然资源和规划|农业和农村)")
_ONE_CHAR_PLACES = ("湖", "塘", "山", "岛", "湾", "岭", "坪", "冲", "岩", "巷", "寨", "屯", "庄", "坝", "洲", "港")


def _suffixed(text: str, match: re.Match, segmenter: bool) -> tuple[str, str] | None:
    """The name that ends in the suffix `match` found, or None when the words before it name nothing."""
    suffix = match.group(0)
    kind = _SUFFIX_KIND[suffix]
    run = _cjk_run_before(text, match.start())
    if text[max(0, match.start() - len(run) - 1) : match.start() - len(run)] in ("*", "x", "X", "×"):
        return None  # a name a sample already hid (**资源股份有限公司)
    prefix = after_lead_word(run)
    if len(run) > MAX_UNIT_PREFIX and prefix == run:
        return None  # no boundary in sight: where the name starts is a guess
    pieces = re.split(r"公司|集团|省级|市级|县级|国家级", prefix)
    prefix = pieces[-1] if len(pieces[-1]) >= 2 else prefix
    if segmenter and prefix:
        prefix = _name_start(prefix, strict=kind != "企业")
    if text[match.end() : match.end() + 1] in _STOP_FOLLOWERS.get(suffix, ()):
        return None
    if kind == "地名" and (prefix[-1:] in ("委", "党", "府", "会") or len(prefix) > 9):
        return None  # 省委省政府; a long run is a sentence that happens to end in 村
    if len(prefix) < 2 and not _short_ok(prefix, suffix, kind, segmenter):
        return None
    if segmenter and len(prefix) >= 2 and _ordinary(prefix) and suffix not in _STREETS:
        return None  # 工程大学, 人民医院: an ordinary word before the suffix names nothing (文化路 does)
    if kind == "企业" and suffix not in COMPANY_FORMS and _trade_prefix(prefix):
        return None  # 新能源电池, 生物医药: an industry, not a company
    name = prefix + suffix
    if _stop_word(name, suffix, segmenter) or _generic_prefix(prefix):
        return None
    return name, kind


_STREETS = frozenset("路 街 大道 大街 巷 里".split())


def _short_ok(prefix: str, suffix: str, kind: str, segmenter: bool) -> bool:
    """A one-character prefix: an administrative level before an office (市教育局), or a rare
    two-character place (梦湖)."""
    if prefix in ADMIN_LEVELS and kind == "单位" and len(suffix) >= 2:
        return True
    return len(prefix) == 1 and suffix in _ONE_CHAR_PLACES and segmenter and _rare(prefix + suffix)


def find_units(text: str, segmenter: bool = False) -> list[tuple[str, str]]:
    """(name, kind) for each unit, place, school or company name ending in a known word; with
    `segmenter`, jieba's tags decide where a name starts (after the last verb, preposition …)."""
    out: list[tuple[str, str]] = []
    for match in _SUFFIX_RE.finditer(text):
        found = _suffixed(text, match, segmenter)
        if found is not None:
            out.append(found)
    for match in _NUMBERED.finditer(text):
        prefix = after_lead_word(match.group(1))
        if segmenter and prefix:
            prefix = _name_start(prefix)
        if len(prefix) >= 2:
            out.append((prefix + match.group(2), "单位"))
    out.extend(listed_units(text))
    out.extend(list_peers(text, dict(out), segmenter))
    return out


_UNIT_LIST = re.compile(rf"[{CJK}A-Za-z0-9]{{2,12}}(?:[、][{CJK}A-Za-z0-9]{{2,12}})+(?:[和与及][{CJK}A-Za-z0-9]{{2,12}})?")


def _item_end(item: str, segmenter: bool) -> str:
    """The last item of a list without what follows it (携程等平台开展推介 -> 携程)."""
    item = re.split(rf"等|[{_NUMERAL}两几\d]+[个名位家所处项]", item)[0]
    if not segmenter or not item:
        return item
    kept = ""
    for word, flag in tagged(item):
        if flag[:1] in "pudmqfcrt" or _common_verb(word, flag):
            break
        kept += word
    return kept


def _drop_leading_verb(item: str) -> str:
    """力争鼎盛光电 -> 鼎盛光电: a common verb that starts the first item of a list."""
    words = tagged(item)
    if len(words) > 1 and words[0][1] == "v" and len(words[0][0]) >= 2 and _freq(words[0][0]) >= 1000:
        return item[len(words[0][0]) :]
    return item


def list_peers(text: str, found: dict[str, str], segmenter: bool) -> list[tuple[str, str]]:
    """The other items of a list one of whose items is a found unit, place or company: they are
    names of the same kind (赴古田、井冈山 -> 古田; 鑫源建设、顺达物流 -> 鑫源建设)."""
    out = []
    for match in _UNIT_LIST.finditer(text):
        items = re.split(r"[、和与及]", match.group(0))
        items[0] = after_lead_word(items[0])
        if segmenter and items[0]:
            items[0] = _name_start(_drop_leading_verb(items[0]))
        items[-1] = _item_end(items[-1], segmenter)
        kinds = [found[i] for i in items if i in found]
        if not kinds:
            continue
        for item in items:
            if any(f.startswith(item) or item.endswith(f) for f in found):
                continue
            if segmenter and any(flag == "v" for _, flag in tagged(item)):
                continue  # a clause (表扬, 中心工作部署), not a name
            if (2 <= len(item) <= 8 and item not in PUBLIC and item not in STOP_ENDINGS
                    and item not in _GENERIC_PREFIXES and item not in ORG_WORDS and (not segmenter or _freq(item) < 1000)):  # fmt: skip
                out.append((item, kinds[0]))
    return out


# org words that are no name by themselves, but are part of one after a place (县纪委, 白沙镇党委)
ORG_WORDS = frozenset(
    "党工委 党委 党组 纪委 监委 纪工委 团委 团工委 工会 妇联 党政办 居委会 村委会 管委会 常委 编委 党组会 "
    "常委会 村两委 两委 总工会 残联 科协 侨联 文联 社科联 省委 市委 县委 区委 州委 镇委 乡委".split()
)


def _stop_word(name: str, suffix: str, segmenter: bool) -> bool:
    """The name ends in a common word (开局, 城市, 农村 …), not in a name and its suffix; with the
    segmenter only when that word really is the last word (民政局 is 民政 + 局, not 民 + 政局)."""
    if name in STOP_ENDINGS or name in ORG_WORDS:
        return True
    if any(name.startswith(w) and name[len(w) :] in ORG_WORDS for w in _GENERIC_PREFIXES):
        return True  # 上级党委, 有关党委
    stops = [stop for stop in STOP_ENDINGS if name.endswith(stop) and len(stop) > len(suffix)]
    if not stops or not segmenter:
        return bool(stops)
    last = tagged(name)[-1][0]
    return any(last == stop for stop in stops)


def _name_start(prefix: str, strict: bool = False) -> str:
    """The end of `prefix` that can be part of a name: after its last verb, preposition, adverb,
    particle, pronoun or conjunction as jieba tags them (the words of 发展和改革 stay together)."""
    words = tagged(prefix)
    kept = ""
    for i in range(len(words) - 1, -1, -1):
        word, flag = words[i]
        if flag == "c" and _CONNECTED.search(word + kept):
            kept = word + kept
            continue
        if flag == "m" and (word[:1] == "第" or not _NUMERAL_WORD.fullmatch(word) or _noun_before(words, i)):
            kept = word + kept  # 市第一人民医院, 万家福, 中铁十七局
            continue
        if flag[:1] in "pdurcmqfty" or word in LEAD_WORDS or _common_verb(word, flag):
            break
        if strict and flag == "v" and kept and len(word) >= 2:
            break  # 融入园区, 紧盯市委: any verb ends a unit's or place's name (a company may start with one)
        kept = word + kept
    return kept


def _common_verb(word: str, flag: str) -> bool:
    """贯彻, 协调, 安排: a verb too common to start a name (安心物业, 远航科技 do start with rarer ones)."""
    return flag[:1] == "v" and flag != "vn" and len(word) >= 2 and _freq(word) >= 1000


_NUMERAL_WORD = re.compile(r"[\d一二三四五六七八九十百千万亿两几多半]+")


def _noun_before(words: list[tuple[str, str]], i: int) -> bool:
    return i > 0 and words[i - 1][1][:1] in "njz" and words[i - 1][0] not in LEAD_WORDS


def rare_word(word: str) -> bool:
    """Not a frequent dictionary word (a place's short form worth masking on its own)."""
    return word in PROVINCES or _freq(word) < 1000


def _ordinary(prefix: str) -> bool:
    """A frequent dictionary word that is not a place of its own (工程, 人民; not 浙江)."""
    return (prefix not in PROVINCES and prefix not in ORG_WORDS and prefix[-1] not in ADMIN_LEVELS
            and _freq(prefix) >= 1000)  # fmt: skip


def _rare(word: str) -> bool:
    """Not an ordinary dictionary word (梦湖, 荷塘 are names; 池塘, 江湖 are not)."""
    return _freq(word) < COMMON_FREQ


# prefixes that make "X局", "X中心" a kind of office, not a name (规划建设局 is an office's name in
# a unit, kept; but "相关局", "各中心" are not)
_GENERIC_PREFIXES = frozenset(
    "相关 有关 其他 上级 下级 同级 主管 基层 各级 全体 所属 直属 下属 对口 省级 市级 县级 区级 镇级 村级 国家级 "
    "国家 地方 当地 本地 外地 偏远 重点 示范 试点 新建 现有".split()
)


_RATINGS = ("省级", "市级", "县级", "区级", "国家级", "国家", "全国")
_QUALITY = ("示范", "试点", "重点", "先进", "美丽", "文明", "特色", "标准化", "规范化", "优秀", "老旧", "新建", "周边")


def _generic_prefix(prefix: str) -> bool:
    if prefix.startswith(_RATINGS) or prefix.endswith(_QUALITY):
        return True  # 省级湿地公园, 乡村振兴示范村: a rating, not a name
    if any(prefix.startswith(w) and prefix[len(w):] in STOP_ENDINGS | _GENERIC_PREFIXES | {""} for w in _GENERIC_PREFIXES):
        return True
    return prefix in _GENERIC_PREFIXES or bool(re.fullmatch(r"[\d一二三四五六七八九十百千万两几多个]+", prefix))


def _cjk_run_before(text: str, end: int) -> str:
    start = end
    while start > 0 and end - start <= MAX_UNIT_PREFIX and "\u4e00" <= text[start - 1] <= "\u9fff":
        start -= 1
    return text[start:end]


def after_lead_word(prefix: str) -> str:
    best = 0
    for word in LEAD_WORDS:
        index = prefix.rfind(word)
        if index >= 0:
            best = max(best, index + len(word))
    return prefix[best:]


_LISTED = re.compile(
    rf"((?:[{CJK}A-Za-z0-9]{{2,12}}[、])*[{CJK}A-Za-z0-9]{{2,12}})等(?:[\d一二三四五六七八九十两多几]+[家个所名位])?"
    rf"({'|'.join(sorted(_LIST_NOUNS, key=len, reverse=True))})"
)


def listed_units(text: str) -> list[tuple[str, str]]:
    """宁德时代、比亚迪等企业 -> both are companies (the kind from the noun after 等)."""
    out = []
    for match in _LISTED.finditer(text):
        kind = _LIST_NOUNS[match.group(2)]
        if kind == "人名":
            continue
        for item in re.split(r"[、]", match.group(1)):
            item = after_lead_word(item)
            if len(item) >= 2 and item not in PUBLIC and item not in STOP_ENDINGS:
                out.append((item, kind))
    return out


# -- the segmenter -------------------------------------------------------------------------------

PERSON_TAGS = ("nr", "nrfg", "nrt")
PLACE_TAGS = ("ns",)
ORG_TAGS = ("nt",)
COMMON_FREQ = 30  # a dictionary word this frequent is an ordinary word, whatever its tag


@cache
def tagger():
    """jieba.posseg, loaded once per process, quietly; its cache file in draftbot's cache folder
    (not the shared temporary folder, where another user could plant one)."""
    import logging

    import jieba
    import jieba.posseg

    jieba.setLogLevel(logging.CRITICAL + 1)  # its progress lines are English and go to stderr
    from draftbot.resources import user_dir

    folder = user_dir("cache")
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError:  # a read-only home: jieba builds its table in memory each run (its failed
        pass  # write is only logged, and its log is off); never the shared temporary folder
    jieba.dt.tmp_dir = str(folder)  # jieba writes a temporary file there and renames it: concurrent runs are safe
    jieba.dt.cache_file = "jieba.cache"
    jieba.initialize()
    return jieba


def tagged(text: str) -> list[tuple[str, str]]:
    """(word, part of speech) for `text`."""
    jieba = tagger()
    return [(pair.word, pair.flag) for pair in jieba.posseg.cut(text)]


def _freq(word: str) -> int:
    return tagger().get_FREQ(word) or 0


def segmenter_names(text: str) -> list[tuple[str, str]]:
    """(name, kind) from the tagger's person, place and organisation words, filtered."""
    words = tagged(text)
    out: list[tuple[str, str]] = []
    for i, (word, flag) in enumerate(words):
        nxt = words[i + 1] if i + 1 < len(words) else ("", "")
        if word in PUBLIC or not _all_cjk(word) or word[0] in _FUNCTION_CHARS:
            continue
        # a surname standing alone, then a given-name word: 钱 卫东, 覃 永福, 司马 玉兰
        joined = word + nxt[0]
        if (
            surname_of(word) == word
            and flag[:1] in "nz"
            and nxt[1] in ("nr", "nz", "nrt", "nrfg", "ns", "nt")
            and _given_ok(joined)
            and person_shape(joined)
            and _freq(joined) < COMMON_FREQ
        ):
            out.append((joined, "人名"))
            continue
        if flag in PERSON_TAGS and person_shape(word) and _freq(word) < COMMON_FREQ and _given_ok(word):
            out.append((word, "人名"))
        elif flag in PLACE_TAGS and len(word) >= 2:
            name = word + _place_tail(words, i)
            if name not in PUBLIC and (name != word or _freq(word) < 1000 and word not in _NOT_PLACE or word in PROVINCES or word[-1] in ADMIN_LEVELS):
                out.append((name, "地名"))
        elif flag in ORG_TAGS and len(word) >= 3 and _freq(word) < COMMON_FREQ and word not in ORG_WORDS:
            out.append((word, "单位"))
    return out


# characters that are surnames but far more often a word of their own (和, 于, 向 …)
_FUNCTION_CHARS = set("和与及同向于从由对在把被给等为以将也都就又还是了其各全本该每此这那党区楼严项干国时平文高明成公师商农工原戴")


def _given_ok(name: str) -> bool:
    """Without a title or a list around it, a tagged name whose given part is a very common word
    (段 + 正文) is taken for that word."""
    given = name[len(surname_of(name)) :]
    return len(given) < 2 or _freq(given) < 500


def _place_tail(words: list[tuple[str, str]], i: int) -> str:
    """北山 + 水库, 青溪 + 二中: a place word and the place or unit word right after it."""
    nxt = words[i + 1][0] if i + 1 < len(words) else ""
    return nxt if nxt and suffix_kind(nxt) and nxt in _SUFFIX_KIND else ""


_PUBLIC_RE = re.compile("|".join(sorted(PUBLIC, key=len, reverse=True)))


def find_names(text: str, segmenter: bool = True) -> list[tuple[str, str, str]]:
    """(name, kind, keep) for every name the rules and (with `segmenter`) jieba find in `text`."""
    text = _PUBLIC_RE.sub(lambda m: "，" * len(m.group(0)), text)  # 习近平总书记 is not 平总, 党工委 not a unit
    out = [(name, "人名", keep) for name, keep in find_people(text, segmenter)]
    out += [(name, kind, "") for name, kind in find_units(text, segmenter)]
    if segmenter:
        ruled = [name for name, _, _ in out]
        for name, kind in segmenter_names(text):
            # a piece inside a longer name the rules found (山镇 of 青山镇, 卫东 of 钱卫东) adds nothing
            if not any(name in longer and not longer.startswith(name) for longer in ruled):
                out.append((name, kind, ""))
    return out
