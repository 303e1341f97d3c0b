"""Key terms of a request's description: Chinese word segmentation (jieba), a small stop-word
list and a few synonyms, so that "电梯又坏了" and "电梯故障停运" share the term 电梯.

jieba (MIT) ships its dictionary inside the package and loads it offline. Loading takes about
half a second, so it happens on first use, never at the bot's start-up, and behind a lock (the
hot-spot job calls this from a worker thread). jieba's own start-up messages are kept out of
the logs.
"""

from __future__ import annotations

import logging
import re
import threading
import warnings
from collections.abc import Iterable
from typing import Any

__all__ = ["STOP_WORDS", "SYNONYMS", "KeyTerms"]

LOG = logging.getLogger(__name__)


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


# Words that say nothing about the problem itself: people, time, politeness, vague verbs.
STOP_WORDS = _words(
    """
    我们 我家 你们 他们 大家 有人 别人 自己 居民 业主 住户 邻居 老人家 一下
    一直 已经 还是 没有 还有 现在 今天 昨天 明天 晚上 早上 上午 下午 中午 半夜
    凌晨 每天 最近 这几天 几天 好几天 经常 总是 一次 多次 时候 时间 问题 情况
    事情 希望 请问 麻烦 帮忙 谢谢 你好 您好 处理 解决 反映 反应 投诉 联系 告诉
    知道 看看 需要 可以 不能 不会 能否 是否 怎么 什么 为什么 这个 那个 这样
    那样 这里 那里 里面 外面 上面 下面 旁边 附近 门口 因为 所以 但是 而且 如果
    虽然 非常 真的 特别 比较 很多 一些 有点 严重 影响 造成 导致 出现 发现 已经
    小区 社区 街道 物业 单元 楼下 楼上 请求 诉求 帮助 尽快 马上 立即 赶紧 一个
    两个 几个 没人 无人 半天 一天 两天 三天 一周 一个月 小时 半小时 分钟 老是
    又是
    """
)
# The same thing said in other words: mapped to one term.
SYNONYMS = {
    "升降梯": "电梯",
    "直梯": "电梯",
    "梯子": "电梯",
    "断水": "停水",
    "没水": "停水",
    "断电": "停电",
    "没电": "停电",
    "跳闸": "停电",
    "渗水": "漏水",
    "滴水": "漏水",
    "积水": "漏水",
    "坏掉": "故障",
    "坏了": "故障",
    "又坏了": "故障",
    "坏掉了": "故障",
    "失灵": "故障",
    "停运": "故障",
    "卡住": "故障",
    "垃圾桶": "垃圾",
    "垃圾箱": "垃圾",
    "噪声": "噪音",
    "吵闹": "噪音",
    "电瓶车": "电动车",
}
# Kept whole by the segmenter (otherwise split into less telling pieces).
DOMAIN_WORDS = ("充电桩", "高空抛物", "化粪池", "楼道灯", "电动车", "停车位", "消防通道", "下水道")
_HAN = re.compile(r"[\u4e00-\u9fff]")
_WORD = re.compile(r"^[a-z]{3,}$")
_DIGIT = re.compile(r"\d")

_lock = threading.Lock()
_tokenizer: Any = None


def _segmenter() -> Any:
    """jieba's tokenizer, loaded once (quietly) on first use."""
    global _tokenizer
    with _lock:
        if _tokenizer is None:
            with warnings.catch_warnings():
                # jieba 0.42 imports pkg_resources, which newer setuptools flags as deprecated.
                warnings.simplefilter("ignore")
                import jieba

            jieba.setLogLevel(logging.WARNING)
            logging.getLogger("jieba").handlers.clear()  # its own stderr handler
            tokenizer = jieba.Tokenizer()
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                tokenizer.initialize()
            for word in DOMAIN_WORDS:
                tokenizer.add_word(word)
            for word in SYNONYMS:
                tokenizer.add_word(word)
            _tokenizer = tokenizer
            LOG.debug("jieba dictionary loaded")
        return _tokenizer


class KeyTerms:
    """The key terms of a text, without the stop words and ``extra_stop`` (e.g. the names of
    the area's units, which every description may mention)."""

    def __init__(self, extra_stop: Iterable[str] = ()) -> None:
        self.stop = (
            STOP_WORDS | {w for name in extra_stop for w in self._raw(name)} | set(extra_stop)
        )

    @staticmethod
    def _raw(text: str) -> list[str]:
        return [str(w).strip().lower() for w in _segmenter().lcut_for_search(text)]

    def __call__(self, text: str) -> set[str]:
        terms = set()
        for word in self._raw(text):
            word = SYNONYMS.get(word, word)
            if len(word) < 2 or word in self.stop or _DIGIT.search(word):
                continue
            if _HAN.search(word) or _WORD.match(word):
                terms.add(word)
        return terms
