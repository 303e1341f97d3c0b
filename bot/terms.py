"""Key terms of a request's description: Chinese word segmentation (jieba), a small stop-word
list and a few synonyms, so that "the lift broke again" and "lift fault, stopped" share one term.

jieba (MIT) ships its dictionary inside the package and loads it offline. Loading takes about
half a second, so it happens on first use, never at the bot's start-up, and behind a lock (the
hot-spot job calls this from a worker thread). jieba's own start-up messages are kept out of
the logs.
"""

from __future__ import annotations

import logging
import re
import threading
import tomllib
import warnings
from collections.abc import Iterable
from functools import lru_cache
from importlib import resources
from typing import Any

__all__ = ["KeyTerms", "stop_words", "synonyms"]

LOG = logging.getLogger(__name__)


_WORDS = "hotspot_words.toml"  # the stop words, synonyms and domain words (Chinese data)


@lru_cache(maxsize=1)
def _word_lists() -> tuple[frozenset[str], dict[str, str], tuple[str, ...]]:
    data = tomllib.loads((resources.files("bot") / _WORDS).read_text(encoding="utf-8"))
    return frozenset(data["stop"].split()), dict(data["synonyms"]), tuple(data["domain"])


def stop_words() -> frozenset[str]:
    return _word_lists()[0]


def synonyms() -> dict[str, str]:
    return _word_lists()[1]


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
            _stop, aliases, domain = _word_lists()
            for word in (*domain, *aliases):
                tokenizer.add_word(word)
            _tokenizer = tokenizer
            LOG.debug("jieba dictionary loaded")
        return _tokenizer


class KeyTerms:
    """The key terms of a text, without the stop words and ``extra_stop`` (e.g. the names of
    the area's units, which every description may mention)."""

    def __init__(self, extra_stop: Iterable[str] = ()) -> None:
        names = list(extra_stop)
        self.stop = stop_words() | {w for name in names for w in self._raw(name)} | set(names)
        self.synonyms = synonyms()

    @staticmethod
    def _raw(text: str) -> list[str]:
        return [str(w).strip().lower() for w in _segmenter().lcut_for_search(text)]

    def __call__(self, text: str) -> set[str]:
        terms = set()
        for word in self._raw(text):
            word = self.synonyms.get(word, word)
            if len(word) < 2 or word in self.stop or _DIGIT.search(word):
                continue
            if _HAN.search(word) or _WORD.match(word):
                terms.add(word)
        return terms
