"""The query's language as search names it, with the real detector (py3langid)."""

import subprocess
import sys

import pytest

from paperfeed.search.language import query_language

ENGLISH = [
    "mixture of experts",
    "LoRA fine-tuning",
    "NeRF",
    "GRPO",
    "mamba state space",
    "tokenzier",  # a typo
    "MVD2",
    "2410.19100",
    "Sergey Levine",
    "Kaiming He",
    "Aleksandar Stanić",
    "Gaël Varoquaux",
    "Xin Tong",
    "Levine offline reinforcement learning",
    "Fréchet inception distance",
    "Schrödinger bridge",
    "Runge Kutta neural ODE",
    "distillation",  # the same word in French
    "diffusion transformers",
    "domain adaptation",
    '"speculative decoding" multi-database drafts',
    "LLaMA-Factory no-code finetuning web UI",
    "using a fine-tuned LLM as a teacher text encoder for CLIP so it handles long, complex captions",
]

NOT_ENGLISH = [
    ("Mischung von Experten", "German"),
    ("große Sprachmodelle", "German"),
    ("décodage spéculatif", "French"),
    ('"grands modèles de langage"', "French"),
    ("unifier diffusion flow matching modèles de cohérence et distillation", "French"),
    ("aprendizaje por refuerzo", "Spanish"),
    ("apprendimento per rinforzo", "Italian"),
    ("modelos de linguagem grandes", "Portuguese"),
    ("grote taalmodellen", "Dutch"),
    ("uczenie ze wzmocnieniem", "Polish"),
    ("pekiştirmeli öğrenme", "Turkish"),
    ("học tăng cường", "Vietnamese"),
    ("model bahasa besar", "Indonesian"),
    ("velké jazykové modely", "Czech"),
    ("大语言模型", "Chinese"),
    ("LLM 幻觉检测", "Chinese"),
    ("拡散モデルによる画像生成", "Japanese"),
    ("대규모 언어 모델", "Korean"),
    ("большие языковые модели", "Russian"),
    ("نماذج اللغة الكبيرة", "Arabic"),
    ("μεγάλα γλωσσικά μοντέλα", "Greek"),
]


@pytest.mark.parametrize("text", ENGLISH)
def test_english_queries_are_not_flagged(text):
    assert query_language(text) is None


@pytest.mark.parametrize(("text", "language"), NOT_ENGLISH)
def test_other_languages_are_named(text, language):
    assert query_language(text) == language


@pytest.mark.parametrize("text", ["", "   ", "!!! ???", "42"])
def test_text_without_words_is_not_judged(text):
    assert query_language(text) is None


def run_python(code: str) -> str:
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                          timeout=120).stdout.strip()


def test_importing_search_does_not_load_the_detector():
    assert run_python("import sys, paperfeed.search, paperfeed.search.language; "
                      "print('py3langid' in sys.modules)") == "False"


def test_first_queries_from_many_threads_all_get_the_answer():
    # A fresh process, so that the eight queries race to load the detector.
    answers = run_python(
        "from concurrent.futures import ThreadPoolExecutor\n"
        "from paperfeed.search.language import query_language\n"
        "with ThreadPoolExecutor(8) as pool:\n"
        "    print(sorted(set(pool.map(query_language, ['Mischung von Experten', '大语言模型'] * 4))))")
    assert answers == "['Chinese', 'German']"
