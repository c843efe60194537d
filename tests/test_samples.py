import pytest

from draftbot.errors import SampleError
from draftbot.samples import builtin_samples, clean_text, load_samples, parse_sample

ADVERT_LINES = ["仅供学习 禁止外传 用后删除", "【打击倒卖活动】", "会员群：", "酷乐文行", "QQ206157060"]


@pytest.fixture(scope="module")
def samples():
    return {s.name: s for s in builtin_samples()}


def test_five_builtin_samples_with_metadata(samples):
    assert sorted(samples) == ["000", "001", "002", "003", "004"]
    for sample in samples.values():
        assert sample.meta["kind"] in ("个人述职", "单位总结")
        assert sample.meta["source"].startswith(sample.name + "_")
        assert sample.meta["role"] and sample.meta["period"]
    assert samples["004"].kind == "单位总结"


def test_003_advert_and_watermark_lines_are_gone(samples):
    text = samples["003"].text
    for fragment in ADVERT_LINES + ["自建平台", "不断迭代", "订阅", "违者后果自负"]:
        assert fragment not in text
    assert text.startswith("园区党工委书记2020年度述职述廉述学报告")
    assert samples["003"].title == "园区党工委书记2020年度述职述廉述学报告"
    assert text.rstrip().endswith("实现新发展！")


def test_cleaning_keeps_long_paragraphs_that_mention_noise_words():
    long_line = "会员" + "单位积极参与园区建设，" * 10
    assert clean_text(f"仅供学习 禁止外传\n{long_line}\n") == long_line


# (sample, top-level numbers, children per top-level section)
EXPECTED = {
    "000": (["一", "二", "三", "四", "五"], [0, 6, 0, 0, 2]),
    "001": (["一", "二", "三", "四", "五"], [0, 0, 0, 0, 0]),
    "002": (["一", "二", "三", "四"], [0, 3, 0, 0]),
    "003": (["一", "二", "三", "四", "五", "六"], [3, 3, 0, 3, 4, 2]),
    "004": (["一", "二", "三"], [5, 0, 4]),
}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_section_splits(samples, name):
    numbers, children = EXPECTED[name]
    sections = samples[name].sections
    assert [s.number for s in sections] == numbers
    assert [len(s.children) for s in sections] == children
    assert samples[name].opening  # every sample has an opening paragraph


def test_split_details(samples):
    s000 = samples["000"].sections
    assert s000[0].heading == "永葆忠诚之心，始终做到“一心向党”"
    assert s000[0].body.startswith("一方面积极参与")
    assert [c.number for c in s000[4].children[1].children] == ["1", "2", "3"]
    assert s000[4].children[1].children[0].heading == "深化学习，坚定信仰信念"
    s004 = samples["004"].sections
    assert s004[0].heading == "2022年主要工作及成效" and s004[1].heading == "存在问题"
    assert s004[2].children[3].heading == "抓好廉政建设，营造“亲”“清”政商环境"


def test_user_samples_replace_or_add(tmp_path):
    (tmp_path / "mine.txt").write_text("仅供学习 禁止外传\n我的述职\n一、政治建设\n内容。\n", encoding="gbk")
    (tmp_path / "notes.pdf").write_bytes(b"%PDF")
    only = load_samples(tmp_path)
    assert [s.name for s in only] == ["mine"]
    assert "仅供学习" not in only[0].text and only[0].sections[0].heading == "政治建设"
    both = load_samples(tmp_path, add=True)
    assert len(both) == 6


def test_bad_sample_folders(tmp_path):
    with pytest.raises(SampleError, match="不存在"):
        load_samples(tmp_path / "nope")
    with pytest.raises(SampleError, match="没有 .txt"):
        load_samples(tmp_path)


def test_sample_without_header_gets_kind_guessed():
    assert parse_sample("园区2025年工作总结\n一、主要工作\n内容。", "x").kind == "单位总结"
    assert parse_sample("2025年述职报告\n一、政治建设\n内容。", "y").kind == "个人述职"
