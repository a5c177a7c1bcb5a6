"""Names for the demo's people: common Chinese surnames and given-name characters with their pinyin."""

from __future__ import annotations

import random

# Common surnames with their pinyin (Lyu is the passport spelling of 吕).
SURNAMES: tuple[tuple[str, str], ...] = (
    ("王", "Wang"), ("李", "Li"), ("张", "Zhang"), ("刘", "Liu"), ("陈", "Chen"), ("杨", "Yang"),
    ("黄", "Huang"), ("赵", "Zhao"), ("吴", "Wu"), ("周", "Zhou"), ("徐", "Xu"), ("孙", "Sun"),
    ("马", "Ma"), ("朱", "Zhu"), ("胡", "Hu"), ("郭", "Guo"), ("何", "He"), ("高", "Gao"),
    ("林", "Lin"), ("罗", "Luo"), ("郑", "Zheng"), ("梁", "Liang"), ("谢", "Xie"), ("宋", "Song"),
    ("唐", "Tang"), ("许", "Xu"), ("韩", "Han"), ("冯", "Feng"), ("邓", "Deng"), ("曹", "Cao"),
    ("彭", "Peng"), ("曾", "Zeng"), ("肖", "Xiao"), ("田", "Tian"), ("董", "Dong"), ("袁", "Yuan"),
    ("潘", "Pan"), ("于", "Yu"), ("蒋", "Jiang"), ("蔡", "Cai"), ("余", "Yu"), ("杜", "Du"),
    ("叶", "Ye"), ("程", "Cheng"), ("苏", "Su"), ("魏", "Wei"), ("吕", "Lyu"), ("丁", "Ding"),
    ("任", "Ren"), ("沈", "Shen"), ("姚", "Yao"), ("卢", "Lu"), ("姜", "Jiang"), ("崔", "Cui"),
    ("钟", "Zhong"), ("谭", "Tan"), ("陆", "Lu"), ("汪", "Wang"), ("范", "Fan"), ("金", "Jin"),
    ("石", "Shi"), ("廖", "Liao"), ("贾", "Jia"), ("夏", "Xia"), ("韦", "Wei"), ("付", "Fu"),
    ("方", "Fang"), ("白", "Bai"), ("邹", "Zou"), ("孟", "Meng"), ("熊", "Xiong"), ("秦", "Qin"),
    ("邱", "Qiu"), ("江", "Jiang"), ("尹", "Yin"), ("薛", "Xue"), ("闫", "Yan"), ("段", "Duan"),
    ("雷", "Lei"), ("侯", "Hou"), ("龙", "Long"), ("史", "Shi"), ("陶", "Tao"), ("黎", "Li"),
    ("贺", "He"), ("顾", "Gu"), ("毛", "Mao"), ("郝", "Hao"), ("龚", "Gong"), ("邵", "Shao"),
    ("万", "Wan"), ("钱", "Qian"), ("严", "Yan"), ("武", "Wu"), ("戴", "Dai"), ("莫", "Mo"),
    ("孔", "Kong"), ("向", "Xiang"), ("汤", "Tang"), ("欧阳", "Ouyang"), ("司马", "Sima"), ("上官", "Shangguan"),
)  # fmt: skip

# Characters common in given names, with their pinyin; one or two make a given name.
GIVEN_SYLLABLES: tuple[tuple[str, str], ...] = (
    ("伟", "Wei"), ("芳", "Fang"), ("娜", "Na"), ("敏", "Min"), ("静", "Jing"), ("丽", "Li"),
    ("强", "Qiang"), ("磊", "Lei"), ("军", "Jun"), ("洋", "Yang"), ("勇", "Yong"), ("艳", "Yan"),
    ("杰", "Jie"), ("娟", "Juan"), ("涛", "Tao"), ("明", "Ming"), ("超", "Chao"), ("秀", "Xiu"),
    ("霞", "Xia"), ("平", "Ping"), ("刚", "Gang"), ("桂", "Gui"), ("英", "Ying"), ("华", "Hua"),
    ("玉", "Yu"), ("兰", "Lan"), ("文", "Wen"), ("辉", "Hui"), ("建", "Jian"), ("国", "Guo"),
    ("鹏", "Peng"), ("宇", "Yu"), ("浩", "Hao"), ("婷", "Ting"), ("雪", "Xue"), ("琳", "Lin"),
    ("晨", "Chen"), ("欣", "Xin"), ("怡", "Yi"), ("佳", "Jia"), ("子", "Zi"), ("萱", "Xuan"),
    ("梓", "Zi"), ("涵", "Han"), ("轩", "Xuan"), ("睿", "Rui"), ("博", "Bo"), ("思", "Si"),
    ("雨", "Yu"), ("泽", "Ze"), ("嘉", "Jia"), ("俊", "Jun"), ("晓", "Xiao"), ("海", "Hai"),
    ("志", "Zhi"), ("红", "Hong"), ("梅", "Mei"), ("莉", "Li"), ("颖", "Ying"), ("慧", "Hui"),
    ("凯", "Kai"), ("斌", "Bin"), ("宁", "Ning"), ("安", "An"), ("欢", "Huan"), ("悦", "Yue"),
    ("彤", "Tong"), ("诗", "Shi"), ("天", "Tian"), ("新", "Xin"), ("立", "Li"), ("成", "Cheng"),
    ("峰", "Feng"), ("亮", "Liang"), ("飞", "Fei"), ("晶", "Jing"), ("倩", "Qian"), ("雅", "Ya"),
    ("琪", "Qi"), ("瑶", "Yao"), ("昊", "Hao"), ("然", "Ran"), ("恩", "En"), ("鑫", "Xin"),
    ("毅", "Yi"), ("荣", "Rong"), ("波", "Bo"), ("楠", "Nan"), ("瑞", "Rui"), ("航", "Hang"),
)  # fmt: skip


def given_name(rng: random.Random) -> tuple[str, str]:
    """A given name of one or two characters, and its pinyin."""
    first_zh, first_py = rng.choice(GIVEN_SYLLABLES)
    if rng.random() < 0.3:
        return first_zh, first_py
    second_zh, second_py = rng.choice(GIVEN_SYLLABLES)
    # Pinyin marks a syllable break before a, o, e (Xiao'an).
    joiner = "'" if second_py[0] in "AOE" else ""
    return first_zh + second_zh, first_py + joiner + second_py.lower()
