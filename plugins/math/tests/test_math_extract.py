"""Final-answer extraction and exact numeric parsing."""

from fractions import Fraction

import pytest

from harness_math.extract import boxed_contents, extract_answer
from harness_math.numeric import parse_number


@pytest.mark.parametrize(
    ("text", "answer", "how"),
    [
        ("She makes 9 * 2 = $18 every day.\n#### 18", "18", "####"),
        ("#### 1,200\nThen 7 more", "1,200", "####"),
        ("so \\boxed{\\frac{1}{\\sqrt{2}}} is it", "\\frac{1}{\\sqrt{2}}", "boxed"),
        ("first \\boxed{1} then \\boxed{\\{a, b\\}}", "\\{a, b\\}", "boxed"),
        ("The final answer is $\\boxed{[-1,1]}$.", "[-1,1]", "boxed"),
        ("Answer: $\\dfrac{14}{3}$.", "\\dfrac{14}{3}", "answer"),
        ("**Answer:** 42", "42", "answer"),
        ("So the answer is 18.", "18", "answer"),
        ("I had 3 apples and 4.5 pears", "4.5", "last-number"),
        ("costs 1,250 dollars, then 7, 8", "8", "last-number"),
        ("#### Step 1: add\n3 + 4 = 7\n#### Final answer\n\\boxed{7}", "7", "boxed"),
        ("#### Answer: 12", "12", "answer"),
        ("#### x = 5", "x = 5", "####"),
        ("no numbers here", None, "none"),
        ("", None, "none"),
    ],
)
def test_extraction_finds_the_stated_answer(text: str, answer: str | None, how: str) -> None:
    assert extract_answer(text) == (answer, how)


def test_extraction_order_hashes_then_boxed_then_answer_then_last_number() -> None:
    text = "Answer: 1\n\\boxed{2}\n#### 3\nand 4"
    assert extract_answer(text) == ("3", "####")
    assert extract_answer("Answer: 1\n\\boxed{2} and 4") == ("2", "boxed")
    assert extract_answer("Answer: 1 and then 4") == ("1 and then 4", "answer")


def test_boxed_handles_nested_and_unclosed_braces() -> None:
    assert boxed_contents("\\boxed{\\frac{a}{b^{2}}}") == ["\\frac{a}{b^{2}}"]
    assert boxed_contents("\\boxed{unclosed {") == []


@pytest.mark.parametrize(
    ("text", "lenient", "value"),
    [
        ("70,000", False, Fraction(70000)),
        ("1,450,000", False, Fraction(1450000)),
        ("$18.00", False, Fraction(18)),
        ("18.0", False, Fraction(18)),
        ("-3", False, Fraction(-3)),
        ("\\dfrac{14}{3}", False, Fraction(14, 3)),
        ("-\\frac{1}{2}", False, Fraction(-1, 2)),
        ("7/2", False, Fraction(7, 2)),
        ("90^\\circ", False, Fraction(90)),
        ("12\\%", False, Fraction(12)),
        ("0.1", False, Fraction(1, 10)),
        ("18 dollars", True, Fraction(18)),
        ("x = 5", True, Fraction(5)),
        ("5\\text{ cm}", True, Fraction(5)),
        ("18 dollars", False, None),
        ("5x", False, None),
        ("1,2", False, None),
        ("[-1,1]", True, None),
        ("\\sqrt{2}", True, None),
        ("1/0", False, None),
        ("", False, None),
    ],
)
def test_parse_number_is_exact(text: str, lenient: bool, value: Fraction | None) -> None:
    assert parse_number(text, lenient=lenient) == value


def test_parse_number_never_rounds() -> None:
    assert parse_number("18.0000001") != parse_number("18")
    assert parse_number("0.3") == Fraction(3, 10)
